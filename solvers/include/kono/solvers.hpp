#pragma once
/// Umbrella header of kono::solvers (PETSc reference solvers and data generation).
#include <kono/datasets.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/darcy_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>
