#pragma once
/// Umbrella header of kono::core.
#include <kono/core/closest_match.hpp>
#include <kono/core/config.hpp>
#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/core/runtime.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>
