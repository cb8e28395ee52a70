#pragma once
/// Umbrella header of kono::datasets.
#include <kono/meshes.hpp>

#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/normalizer.hpp>
#include <kono/datasets/sample_shard.hpp>
