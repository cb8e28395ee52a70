#pragma once
/// Everything in kono: include this, link kono::kono.
#include <kono/core.hpp>
#include <kono/datasets.hpp>
#include <kono/meshes.hpp>
#include <kono/operators.hpp>
#include <kono/solvers.hpp>
