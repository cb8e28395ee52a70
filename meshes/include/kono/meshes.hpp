#pragma once
/// Umbrella header of kono::meshes.
#include <kono/core.hpp>
