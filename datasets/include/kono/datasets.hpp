#pragma once
/// Umbrella header of kono::datasets.
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/model_file.hpp>
#include <kono/datasets/normalizer.hpp>
#include <kono/datasets/sample_shard.hpp>
#include <kono/datasets/text_file.hpp>
#include <kono/datasets/vtk_export.hpp>
#include <kono/meshes.hpp>
