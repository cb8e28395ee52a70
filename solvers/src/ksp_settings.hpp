#pragma once
// What a KSP will actually use after the PETSc options were applied: the answer behind the
// ksp_type()/pc_type()/rtol()/... accessors of kono's KSP-based solvers (darcy, poisson-mesh).
// Private to kono::solvers (not installed).
#include <petscksp.h>

#include <string>

#include <kono/solvers/petsc_runtime.hpp>

namespace kono::detail {

struct KspSettings {
  std::string ksp_type, pc_type;
  double rtol = 0, atol = 0;
  int max_iterations = 0;
};

inline KspSettings ksp_settings(KSP ksp) {
  KspSettings s;
  KSPType kt = nullptr;
  PC pc = nullptr;
  PCType pt = nullptr;
  KONO_PETSC_CHECK(KSPGetType(ksp, &kt));
  KONO_PETSC_CHECK(KSPGetPC(ksp, &pc));
  KONO_PETSC_CHECK(PCGetType(pc, &pt));
  PetscReal rtol = 0, atol = 0, dtol = 0;
  PetscInt maxits = 0;
  KONO_PETSC_CHECK(KSPGetTolerances(ksp, &rtol, &atol, &dtol, &maxits));
  s.ksp_type = kt ? kt : "";
  s.pc_type = pt ? pt : "";
  s.rtol = double(rtol);
  s.atol = double(atol);
  s.max_iterations = int(maxits);
  return s;
}

}  // namespace kono::detail
