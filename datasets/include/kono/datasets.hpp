#pragma once
/// Umbrella header of kono::datasets.
#include <kono/meshes.hpp>
