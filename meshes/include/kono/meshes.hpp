#pragma once
/// Umbrella header of kono::meshes.
#include <kono/core.hpp>
#include <kono/meshes/grid_decomposition.hpp>
#include <kono/meshes/halo_exchange.hpp>
#include <kono/meshes/structured_grid.hpp>
