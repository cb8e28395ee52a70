#include <petscksp.h>

#include <algorithm>
#include <cmath>

#include "ksp_settings.hpp"
#include <kono/core/error.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/poisson_mesh.hpp>

#include "poisson_mesh_petscfe.hpp"

namespace kono {

void PoissonMeshSolverOptions::validate() const {
  char const* fq = "kono::PoissonMeshSolverOptions";
  KONO_USER_REQUIRE(std::isfinite(rtol) && rtol > 0 && rtol < 1, invalid_argument,
                    fq << ": rtol = " << rtol << ", expected a value in (0, 1)");
  KONO_USER_REQUIRE(std::isfinite(atol) && atol >= 0, invalid_argument, fq << ": atol = " << atol << ", expected >= 0");
  KONO_USER_REQUIRE(max_iterations >= 1, invalid_argument,
                    fq << ": max_iterations = " << max_iterations << ", expected >= 1");
  KONO_USER_REQUIRE(!ksp_type.empty() && !pc_type.empty(), invalid_argument,
                    fq << ": ksp_type \"" << ksp_type << "\" and pc_type \"" << pc_type << "\" must not be empty");
  KONO_USER_REQUIRE(assembly == "petscfe" || assembly == "direct", invalid_argument,
                    fq << ": assembly = \"" << assembly << "\", choose petscfe or direct");
}

struct PoissonMeshSolver::Impl {
  PoissonMeshSolverOptions opt;
  KSP ksp = nullptr;

  ~Impl() {
    if (ksp) KSPDestroy(&ksp);
  }

  void create_ksp() {
    if (ksp) KONO_PETSC_CHECK(KSPDestroy(&ksp));
    KONO_PETSC_CHECK(KSPCreate(PETSC_COMM_SELF, &ksp));
    KONO_PETSC_CHECK(KSPSetOptionsPrefix(ksp, opt.options_prefix.c_str()));
    KONO_PETSC_CHECK(KSPSetType(ksp, opt.ksp_type.c_str()));
    PC pc = nullptr;
    KONO_PETSC_CHECK(KSPGetPC(ksp, &pc));
    KONO_PETSC_CHECK(PCSetType(pc, opt.pc_type.c_str()));
    KONO_PETSC_CHECK(KSPSetTolerances(ksp, opt.rtol, opt.atol, PETSC_DEFAULT, opt.max_iterations));
    KONO_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp, PETSC_FALSE));
    KONO_PETSC_CHECK(KSPSetFromOptions(ksp));
    // As in DarcySolver: CG tests the true residual unless the user chose a norm.
    PetscBool user_norm = PETSC_FALSE, is_cg = PETSC_FALSE;
    KONO_PETSC_CHECK(PetscOptionsHasName(nullptr, opt.options_prefix.c_str(), "-ksp_norm_type", &user_norm));
    KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ksp), KSPCG, &is_cg));
    if (is_cg && !user_norm) KONO_PETSC_CHECK(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  }
};

PoissonMeshSolver::PoissonMeshSolver(PoissonMeshSolverOptions const& options) : m_impl(std::make_unique<Impl>()) {
  options.validate();
  KONO_USER_REQUIRE(PetscInitializeCalled && !PetscFinalizeCalled, wrong_state,
                    "kono::PoissonMeshSolver: PETSc is not initialised; call kono::ensure_petsc_initialized first");
  m_impl->opt = options;
  m_impl->create_ksp();
}

PoissonMeshSolver::~PoissonMeshSolver() = default;

PoissonMeshSolverOptions const& PoissonMeshSolver::options() const noexcept { return m_impl->opt; }

std::string PoissonMeshSolver::ksp_type() const { return detail::ksp_settings(m_impl->ksp).ksp_type; }
std::string PoissonMeshSolver::pc_type() const { return detail::ksp_settings(m_impl->ksp).pc_type; }
double PoissonMeshSolver::rtol() const { return detail::ksp_settings(m_impl->ksp).rtol; }
double PoissonMeshSolver::atol() const { return detail::ksp_settings(m_impl->ksp).atol; }
int PoissonMeshSolver::max_iterations() const { return detail::ksp_settings(m_impl->ksp).max_iterations; }

namespace {

// assembly = "direct": the element matrices written out (see the class comment); boundary rows
// keep their diagonal with b = diag * g. The caller destroys *A and *b.
void assemble_direct(TriangleMesh const& mesh, std::vector<double> const& a, std::vector<double> const& f,
                     std::vector<double> const& g, Mat* A, Vec* b) {
  std::size_t const n = std::size_t(mesh.node_count());
  // Row lengths from the edges: a node couples to itself and its edge neighbours.
  std::vector<PetscInt> nnz(n, 1);
  for (index_t e = 0; e < mesh.edge_count(); ++e) {
    std::size_t const i = std::size_t(mesh.edges[std::size_t(2 * e)]), j = std::size_t(mesh.edges[std::size_t(2 * e + 1)]);
    if (!mesh.boundary[i]) ++nnz[i];
    if (!mesh.boundary[j]) ++nnz[j];
  }
  PetscInt const N = PetscInt(n);
  KONO_PETSC_CHECK(MatCreateSeqAIJ(PETSC_COMM_SELF, N, N, 0, nnz.data(), A));
  KONO_PETSC_CHECK(MatSetOption(*A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  KONO_PETSC_CHECK(VecCreateSeq(PETSC_COMM_SELF, N, b));
  std::vector<double> rhs(n, 0.0);
  auto gval = [&](std::size_t i) { return g.empty() ? 0.0 : g[i]; };

  for (index_t c = 0; c < mesh.cell_count(); ++c) {
    std::int64_t const* v = &mesh.cells[std::size_t(3 * c)];
    double const* p[3] = {&mesh.nodes[std::size_t(2 * v[0])], &mesh.nodes[std::size_t(2 * v[1])],
                          &mesh.nodes[std::size_t(2 * v[2])]};
    double const area = mesh.cell_area(c);
    // grad phi_k = (y_{k+1} - y_{k+2}, x_{k+2} - x_{k+1}) / (2 area)
    double bx[3], by[3];
    for (int k = 0; k < 3; ++k) {
      bx[k] = p[(k + 1) % 3][1] - p[(k + 2) % 3][1];
      by[k] = p[(k + 2) % 3][0] - p[(k + 1) % 3][0];
    }
    double const abar = (a[std::size_t(v[0])] + a[std::size_t(v[1])] + a[std::size_t(v[2])]) / 3.0;
    double const fsum = f[std::size_t(v[0])] + f[std::size_t(v[1])] + f[std::size_t(v[2])];
    PetscInt rows[3];
    PetscScalar ke[9];
    for (int r = 0; r < 3; ++r) {
      rows[r] = PetscInt(v[r]);
      for (int s = 0; s < 3; ++s) ke[3 * r + s] = abar * (bx[r] * bx[s] + by[r] * by[s]) / (4.0 * area);
    }
    for (int r = 0; r < 3; ++r) {
      std::size_t const i = std::size_t(v[r]);
      if (mesh.boundary[i]) {
        // Boundary row: keep its diagonal (the scale of its neighbours' rows), b = diag * g.
        KONO_PETSC_CHECK(MatSetValue(*A, rows[r], rows[r], ke[4 * r], ADD_VALUES));
        rhs[i] += PetscRealPart(ke[4 * r]) * gval(i);
        continue;
      }
      rhs[i] += area / 12.0 * (f[i] + fsum);
      for (int s = 0; s < 3; ++s) {
        std::size_t const j = std::size_t(v[s]);
        if (mesh.boundary[j])
          rhs[i] -= PetscRealPart(ke[3 * r + s]) * gval(j);
        else
          KONO_PETSC_CHECK(MatSetValue(*A, rows[r], rows[s], ke[3 * r + s], ADD_VALUES));
      }
    }
  }
  KONO_PETSC_CHECK(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  KONO_PETSC_CHECK(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscScalar* bv = nullptr;
  KONO_PETSC_CHECK(VecGetArray(*b, &bv));
  for (std::size_t i = 0; i < n; ++i) bv[i] = rhs[i];
  KONO_PETSC_CHECK(VecRestoreArray(*b, &bv));
}

}  // namespace

PoissonMeshSolveInfo PoissonMeshSolver::solve(TriangleMesh const& mesh, std::vector<double> const& a,
                                              std::vector<double> const& f, std::vector<double>& u, index_t sample,
                                              std::vector<double> const& g) {
  char const* fq = "kono::PoissonMeshSolver::solve";
  Impl& m = *m_impl;
  std::size_t const n = std::size_t(mesh.node_count());
  KONO_USER_REQUIRE(a.size() == n && f.size() == n && (g.empty() || g.size() == n) && mesh.boundary.size() == n,
                    size_mismatch,
                    fq << ": sample " << sample << ": the mesh has " << n << " nodes, but a has " << a.size()
                       << ", f " << f.size() << ", g " << g.size() << " and the boundary flags "
                       << mesh.boundary.size() << " values");
  std::size_t boundary_nodes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    KONO_USER_REQUIRE(std::isfinite(a[i]) && a[i] > 0, invalid_argument,
                      fq << ": sample " << sample << ": coefficient a = " << a[i] << " at node " << i
                         << ", expected finite values > 0");
    KONO_USER_REQUIRE(std::isfinite(f[i]), invalid_argument,
                      fq << ": sample " << sample << ": source f = " << f[i] << " at node " << i << " is not finite");
    KONO_USER_REQUIRE(g.empty() || std::isfinite(g[i]), invalid_argument,
                      fq << ": sample " << sample << ": boundary value g = " << g[i] << " at node " << i
                         << " is not finite");
    boundary_nodes += mesh.boundary[i] ? 1 : 0;
  }
  KONO_USER_REQUIRE(boundary_nodes > 0, invalid_argument,
                    fq << ": sample " << sample << ": the mesh has no boundary nodes for the Dirichlet condition");

  Mat A = nullptr;
  Vec b = nullptr, x = nullptr;
  struct Guard {
    Mat* A;
    Vec *b, *x;
    ~Guard() {
      MatDestroy(A);
      VecDestroy(b);
      VecDestroy(x);
    }
  } guard{&A, &b, &x};
  auto gval = [&](std::size_t i) { return g.empty() ? 0.0 : g[i]; };
  std::vector<PetscInt> row;  // row of node i in A, -1 where A has none
  if (m.opt.assembly == "petscfe") {
    detail::assemble_poisson_petscfe(mesh, a, f, g, &A, &b, row);
  } else {
    assemble_direct(mesh, a, f, g, &A, &b);
    row.resize(n);
    for (std::size_t i = 0; i < n; ++i) row[i] = PetscInt(i);
  }
  KONO_PETSC_CHECK(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
  KONO_PETSC_CHECK(MatSetOption(A, MAT_SPD, PETSC_TRUE));
  KONO_PETSC_CHECK(VecDuplicate(b, &x));

  // A fresh KSP per solve: GAMG's random eigenvalue estimates would otherwise depend on how many
  // samples this solver handled before (see DarcySolver::solve).
  m.create_ksp();
  KONO_PETSC_CHECK(VecSet(x, 0.0));
  KONO_PETSC_CHECK(KSPSetOperators(m.ksp, A, A));
  KONO_PETSC_CHECK(KSPSolve(m.ksp, b, x));

  PoissonMeshSolveInfo info;
  info.sample = sample;
  PetscInt its = 0;
  PetscReal rnorm = 0;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  KONO_PETSC_CHECK(KSPGetIterationNumber(m.ksp, &its));
  KONO_PETSC_CHECK(KSPGetResidualNorm(m.ksp, &rnorm));
  KONO_PETSC_CHECK(KSPGetConvergedReason(m.ksp, &reason));
  info.iterations = int(its);
  info.residual_norm = double(rnorm);
  info.converged_reason = int(reason);
  info.reason_name = KSPConvergedReasons[reason];

  u.assign(n, 0.0);
  PetscScalar const* xv = nullptr;
  KONO_PETSC_CHECK(VecGetArrayRead(x, &xv));
  for (std::size_t i = 0; i < n; ++i) u[i] = mesh.boundary[i] ? gval(i) : PetscRealPart(xv[row[i]]);
  KONO_PETSC_CHECK(VecRestoreArrayRead(x, &xv));

  if (!info.converged() && m.opt.throw_on_divergence)
    KONO_THROW(invalid_argument, fq << ": sample " << sample << " did not converge: KSP reason " << info.reason_name
                                    << " (" << info.converged_reason << ") after " << info.iterations
                                    << " iterations, residual norm " << info.residual_norm << " (ksp " << ksp_type()
                                    << ", pc " << pc_type() << ", rtol " << rtol() << ", max_it " << max_iterations()
                                    << "; options prefix -" << m.opt.options_prefix << ")");
  return info;
}

}  // namespace kono
