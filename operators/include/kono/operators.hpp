#pragma once
/// Umbrella header of kono::operators (layers, models, training). It builds on datasets.
#include <kono/datasets.hpp>
