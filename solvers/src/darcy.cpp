#include <petscdmda.h>
#include <petscksp.h>

#include <cmath>
#include <sstream>

#include "ksp_settings.hpp"
#include <kono/core/error.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace kono {

void DarcySolverOptions::validate() const {
  char const* fq = "kono::DarcySolverOptions";
  KONO_USER_REQUIRE(dim == 2 || dim == 3, invalid_argument, fq << ": dim = " << dim << ", expected 2 or 3");
  KONO_USER_REQUIRE(resolution >= darcy_min_resolution, invalid_argument,
                    fq << ": resolution = " << resolution << " nodes per axis, expected at least "
                       << darcy_min_resolution);
  KONO_USER_REQUIRE(resolution <= 1000000, invalid_argument,
                    fq << ": resolution = " << resolution << " nodes per axis exceeds PETSc's 32-bit indices");
  KONO_USER_REQUIRE(std::isfinite(forcing), invalid_argument, fq << ": forcing = " << forcing << " is not finite");
  KONO_USER_REQUIRE(std::isfinite(rtol) && rtol > 0 && rtol < 1, invalid_argument,
                    fq << ": rtol = " << rtol << ", expected a value in (0, 1)");
  KONO_USER_REQUIRE(std::isfinite(atol) && atol >= 0, invalid_argument, fq << ": atol = " << atol << ", expected >= 0");
  KONO_USER_REQUIRE(max_iterations >= 1, invalid_argument,
                    fq << ": max_iterations = " << max_iterations << ", expected >= 1");
  KONO_USER_REQUIRE(!ksp_type.empty() && !pc_type.empty(), invalid_argument,
                    fq << ": ksp_type \"" << ksp_type << "\" and pc_type \"" << pc_type << "\" must not be empty");
}

struct DarcySolver::Impl {
  DarcySolverOptions opt;
  MPI_Comm comm = MPI_COMM_NULL;
  DM da = nullptr;
  Mat A = nullptr;
  Vec u = nullptr, b = nullptr, a_global = nullptr, a_local = nullptr;
  KSP ksp = nullptr;
  long solves = 0;
  std::array<index_t, 3> begin{{0, 0, 0}}, end{{1, 1, 1}};

  ~Impl() {
    // Destroy errors cannot be reported from a destructor; PETSc prints them itself.
    if (ksp) KSPDestroy(&ksp);
    if (A) MatDestroy(&A);
    if (u) VecDestroy(&u);
    if (b) VecDestroy(&b);
    if (a_global) VecDestroy(&a_global);
    if (a_local) VecDestroy(&a_local);
    if (da) DMDestroy(&da);
  }

  void create_ksp() {
    KONO_PETSC_CHECK(KSPCreate(comm, &ksp));
    KONO_PETSC_CHECK(KSPSetOptionsPrefix(ksp, opt.options_prefix.c_str()));
    KONO_PETSC_CHECK(KSPSetType(ksp, opt.ksp_type.c_str()));
    PC pc = nullptr;
    KONO_PETSC_CHECK(KSPGetPC(ksp, &pc));
    KONO_PETSC_CHECK(PCSetType(pc, opt.pc_type.c_str()));
    KONO_PETSC_CHECK(KSPSetTolerances(ksp, opt.rtol, opt.atol, PETSC_DEFAULT, opt.max_iterations));
    KONO_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp, PETSC_FALSE));
    KONO_PETSC_CHECK(KSPSetFromOptions(ksp));
    // CG's default test uses the preconditioned residual, whose size depends on the
    // preconditioner; the true residual makes "rtol" mean the same thing for every PC. Only for
    // CG (GMRES with left preconditioning cannot do it) and only if the user did not choose.
    PetscBool user_norm = PETSC_FALSE;
    KONO_PETSC_CHECK(PetscOptionsHasName(nullptr, opt.options_prefix.c_str(), "-ksp_norm_type", &user_norm));
    PetscBool is_cg = PETSC_FALSE;
    KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ksp), KSPCG, &is_cg));
    if (is_cg && !user_norm) KONO_PETSC_CHECK(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  }
};

DarcySolver::DarcySolver(MPI_Comm comm, DarcySolverOptions const& options) : m_impl(std::make_unique<Impl>()) {
  options.validate();
  KONO_USER_REQUIRE(PetscInitializeCalled && !PetscFinalizeCalled, wrong_state,
                    "kono::DarcySolver: PETSc is not initialised; call kono::ensure_petsc_initialized first");
  Impl& m = *m_impl;
  m.opt = options;
  m.comm = comm;
  PetscInt const n = static_cast<PetscInt>(options.resolution);
  // DMDA axis x is kono's last (fastest) axis, so the DMDA's natural ordering is C order.
  if (options.dim == 2) {
    KONO_PETSC_CHECK(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n, n, PETSC_DECIDE,
                                  PETSC_DECIDE, 1, 1, nullptr, nullptr, &m.da));
  } else {
    KONO_PETSC_CHECK(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n, n,
                                  n, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr, nullptr, nullptr, &m.da));
  }
  KONO_PETSC_CHECK(DMSetUp(m.da));
  PetscInt xs = 0, ys = 0, zs = 0, xm = 0, ym = 0, zm = 0;
  KONO_PETSC_CHECK(DMDAGetCorners(m.da, &xs, &ys, &zs, &xm, &ym, &zm));
  if (options.dim == 2) {
    m.begin = {{ys, xs, 0}};
    m.end = {{ys + ym, xs + xm, 1}};
  } else {
    m.begin = {{zs, ys, xs}};
    m.end = {{zs + zm, ys + ym, xs + xm}};
  }
  KONO_PETSC_CHECK(DMCreateMatrix(m.da, &m.A));
  KONO_PETSC_CHECK(DMCreateGlobalVector(m.da, &m.u));
  KONO_PETSC_CHECK(VecDuplicate(m.u, &m.b));
  KONO_PETSC_CHECK(VecDuplicate(m.u, &m.a_global));
  KONO_PETSC_CHECK(DMCreateLocalVector(m.da, &m.a_local));
  m.create_ksp();
}

DarcySolver::~DarcySolver() = default;

DarcySolverOptions const& DarcySolver::options() const noexcept { return m_impl->opt; }
MPI_Comm DarcySolver::comm() const noexcept { return m_impl->comm; }
StructuredGrid DarcySolver::grid() const {
  std::size_t const d = std::size_t(m_impl->opt.dim);
  return StructuredGrid::unit_box(std::vector<index_t>(d, m_impl->opt.resolution), std::vector<bool>(d, false));
}
std::array<index_t, 3> DarcySolver::owned_begin() const noexcept { return m_impl->begin; }
std::array<index_t, 3> DarcySolver::owned_end() const noexcept { return m_impl->end; }
index_t DarcySolver::owned_size() const noexcept {
  auto const& m = *m_impl;
  return (m.end[0] - m.begin[0]) * (m.end[1] - m.begin[1]) * (m.end[2] - m.begin[2]);
}

std::string DarcySolver::ksp_type() const { return detail::ksp_settings(m_impl->ksp).ksp_type; }
std::string DarcySolver::pc_type() const { return detail::ksp_settings(m_impl->ksp).pc_type; }
double DarcySolver::rtol() const { return detail::ksp_settings(m_impl->ksp).rtol; }
double DarcySolver::atol() const { return detail::ksp_settings(m_impl->ksp).atol; }
int DarcySolver::max_iterations() const { return detail::ksp_settings(m_impl->ksp).max_iterations; }

DarcySolveInfo DarcySolver::solve(double const* a_owned, double* u_owned, index_t sample, double const* f_owned) {
  Impl& m = *m_impl;
  char const* fq = "kono::DarcySolver::solve";
  index_t const nloc = owned_size();
  KONO_USER_REQUIRE(nloc == 0 || (a_owned && u_owned), invalid_argument,
                    fq << ": sample " << sample << ": coefficient or solution array is null");
  // A bad coefficient on one rank must fail every rank, before any collective PETSc call.
  index_t bad = -1;
  for (index_t i = 0; i < nloc && bad < 0; ++i)
    if (!(std::isfinite(a_owned[i]) && a_owned[i] > 0)) bad = i;
  if (f_owned)
    for (index_t i = 0; i < nloc && bad < 0; ++i)
      if (!std::isfinite(f_owned[i])) bad = i;
  int any_bad = bad >= 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &any_bad, 1, MPI_INT, MPI_MAX, m.comm);
  if (any_bad) {
    if (bad >= 0) {
      bool const coefficient_bad = !(std::isfinite(a_owned[bad]) && a_owned[bad] > 0);
      KONO_THROW(invalid_argument, fq << ": sample " << sample << ": "
                                      << (coefficient_bad ? "coefficient a = " : "forcing f = ")
                                      << (coefficient_bad ? a_owned[bad] : f_owned[bad]) << " at owned node " << bad
                                      << (coefficient_bad ? ", expected finite values > 0" : ", expected finite values"));
    }
    KONO_THROW(invalid_argument, fq << ": sample " << sample << ": invalid coefficient or forcing on another rank");
  }

  // 1. Coefficient into the DMDA, with one ghost layer for the neighbours' values.
  PetscScalar* av = nullptr;
  KONO_PETSC_CHECK(VecGetArray(m.a_global, &av));
  for (index_t i = 0; i < nloc; ++i) av[i] = a_owned[i];
  KONO_PETSC_CHECK(VecRestoreArray(m.a_global, &av));
  KONO_PETSC_CHECK(DMGlobalToLocalBegin(m.da, m.a_global, INSERT_VALUES, m.a_local));
  KONO_PETSC_CHECK(DMGlobalToLocalEnd(m.da, m.a_global, INSERT_VALUES, m.a_local));

  // 2. Matrix rows and right-hand side of the owned nodes.
  PetscInt const n = static_cast<PetscInt>(m.opt.resolution);
  double const h = 1.0 / double(n - 1);
  double const ih2 = 1.0 / (h * h);
  int const d = m.opt.dim;
  PetscScalar const* al = nullptr;
  KONO_PETSC_CHECK(VecGetArrayRead(m.a_local, &al));
  PetscInt gxs = 0, gys = 0, gzs = 0, gxm = 0, gym = 0, gzm = 0;
  KONO_PETSC_CHECK(DMDAGetGhostCorners(m.da, &gxs, &gys, &gzs, &gxm, &gym, &gzm));
  auto aloc = [&](PetscInt i, PetscInt j, PetscInt k) {
    return PetscRealPart(al[((k - gzs) * gym + (j - gys)) * gxm + (i - gxs)]);
  };
  PetscScalar* bv = nullptr;
  KONO_PETSC_CHECK(VecGetArray(m.b, &bv));
  // DMDA (i, j, k) = (x, y, z); kono axis order is (k, j, i) in 3D and (j, i) in 2D.
  PetscInt const xs = PetscInt(m.begin[d == 2 ? 1 : 2]), xe = PetscInt(m.end[d == 2 ? 1 : 2]);
  PetscInt const ys = PetscInt(m.begin[d == 2 ? 0 : 1]), ye = PetscInt(m.end[d == 2 ? 0 : 1]);
  PetscInt const zs = d == 2 ? 0 : PetscInt(m.begin[0]), ze = d == 2 ? 1 : PetscInt(m.end[0]);
  auto on_boundary = [n, d](PetscInt i, PetscInt j, PetscInt k) {
    return i == 0 || i == n - 1 || j == 0 || j == n - 1 || (d == 3 && (k == 0 || k == n - 1));
  };
  index_t idx = 0;
  for (PetscInt k = zs; k < ze; ++k)
    for (PetscInt j = ys; j < ye; ++j)
      for (PetscInt i = xs; i < xe; ++i, ++idx) {
        MatStencil row{};
        row.i = i;
        row.j = j;
        row.k = k;
        if (on_boundary(i, j, k)) {
          // Scaled like an interior row with a = 1, so Jacobi-type smoothers see similar sizes.
          PetscScalar const diag = 2.0 * d * ih2;
          KONO_PETSC_CHECK(MatSetValuesStencil(m.A, 1, &row, 1, &row, &diag, INSERT_VALUES));
          bv[idx] = 0;
          continue;
        }
        MatStencil cols[7];
        PetscScalar vals[7];
        int nc = 1;
        double diag = 0;
        double const ac = aloc(i, j, k);
        int const offsets[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};
        for (int o = 0; o < 2 * d; ++o) {
          PetscInt const ni = i + offsets[o][0], nj = j + offsets[o][1], nk = k + offsets[o][2];
          double const an = aloc(ni, nj, nk);
          double const ah = 2.0 * ac * an / (ac + an) * ih2;
          diag += ah;
          if (!on_boundary(ni, nj, nk)) {
            cols[nc].i = ni;
            cols[nc].j = nj;
            cols[nc].k = nk;
            cols[nc].c = 0;
            vals[nc] = -ah;
            ++nc;
          }
        }
        cols[0] = row;
        vals[0] = diag;
        KONO_PETSC_CHECK(MatSetValuesStencil(m.A, 1, &row, nc, cols, vals, INSERT_VALUES));
        bv[idx] = f_owned ? f_owned[idx] : m.opt.forcing;
      }
  KONO_PETSC_CHECK(VecRestoreArray(m.b, &bv));
  KONO_PETSC_CHECK(VecRestoreArrayRead(m.a_local, &al));
  KONO_PETSC_CHECK(MatAssemblyBegin(m.A, MAT_FINAL_ASSEMBLY));
  KONO_PETSC_CHECK(MatAssemblyEnd(m.A, MAT_FINAL_ASSEMBLY));
  KONO_PETSC_CHECK(MatSetOption(m.A, MAT_SYMMETRIC, PETSC_TRUE));
  KONO_PETSC_CHECK(MatSetOption(m.A, MAT_SPD, PETSC_TRUE));

  // 3. Solve from u = 0 with a fresh KSP: GAMG draws random vectors for its eigenvalue
  //    estimates from a generator that lives in the PC, so a reused PC would make sample k
  //    depend on how many samples the same solver handled before (and so on the rank count).
  if (m.solves > 0) {
    KONO_PETSC_CHECK(KSPDestroy(&m.ksp));
    m.create_ksp();
  }
  ++m.solves;
  KONO_PETSC_CHECK(VecSet(m.u, 0.0));
  KONO_PETSC_CHECK(KSPSetOperators(m.ksp, m.A, m.A));
  KONO_PETSC_CHECK(KSPSolve(m.ksp, m.b, m.u));

  DarcySolveInfo info;
  info.sample = sample;
  PetscInt its = 0;
  PetscReal rnorm = 0;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  KONO_PETSC_CHECK(KSPGetIterationNumber(m.ksp, &its));
  KONO_PETSC_CHECK(KSPGetResidualNorm(m.ksp, &rnorm));
  KONO_PETSC_CHECK(KSPGetConvergedReason(m.ksp, &reason));
  info.iterations = static_cast<int>(its);
  info.residual_norm = static_cast<double>(rnorm);
  info.converged_reason = static_cast<int>(reason);
  info.reason_name = KSPConvergedReasons[reason];

  // Boundary rows are decoupled with b = 0, but the multigrid hierarchy mixes them with interior
  // nodes, leaving round-off (1e-15) there; the discrete solution is exactly 0.
  PetscScalar const* uv = nullptr;
  KONO_PETSC_CHECK(VecGetArrayRead(m.u, &uv));
  idx = 0;
  for (PetscInt k = zs; k < ze; ++k)
    for (PetscInt j = ys; j < ye; ++j)
      for (PetscInt i = xs; i < xe; ++i, ++idx) u_owned[idx] = on_boundary(i, j, k) ? 0.0 : PetscRealPart(uv[idx]);
  KONO_PETSC_CHECK(VecRestoreArrayRead(m.u, &uv));

  if (!info.converged() && m.opt.throw_on_divergence) {
    KONO_THROW(invalid_argument,
               fq << ": sample " << sample << " did not converge: KSP reason " << info.reason_name << " ("
                  << info.converged_reason << ") after " << info.iterations << " iterations, residual norm "
                  << info.residual_norm << " (ksp " << ksp_type() << ", pc " << pc_type() << ", rtol " << rtol()
                  << ", max_it " << max_iterations() << "; options prefix -" << m.opt.options_prefix << ")");
  }
  return info;
}

std::vector<double> DarcySolver::gather(double const* owned, int root) const {
  Impl& m = *m_impl;
  int rank = 0, size = 1;
  MPI_Comm_rank(m.comm, &rank);
  MPI_Comm_size(m.comm, &size);
  index_t const nloc = owned_size();
  KONO_USER_REQUIRE(root >= 0 && root < size, invalid_argument,
                    "kono::DarcySolver::gather: root " << root << " is not a rank of a " << size << "-rank communicator");
  std::vector<double> out;
  if (size == 1) {
    out.assign(owned, owned + nloc);
    return out;
  }
  // Natural ordering of a DMDA is x fastest, which is kono's C order.
  Vec g = nullptr, nat = nullptr, seq = nullptr;
  VecScatter sc = nullptr;
  KONO_PETSC_CHECK(DMGetGlobalVector(m.da, &g));
  PetscScalar* gv = nullptr;
  KONO_PETSC_CHECK(VecGetArray(g, &gv));
  for (index_t i = 0; i < nloc; ++i) gv[i] = owned[i];
  KONO_PETSC_CHECK(VecRestoreArray(g, &gv));
  KONO_PETSC_CHECK(DMDACreateNaturalVector(m.da, &nat));
  KONO_PETSC_CHECK(DMDAGlobalToNaturalBegin(m.da, g, INSERT_VALUES, nat));
  KONO_PETSC_CHECK(DMDAGlobalToNaturalEnd(m.da, g, INSERT_VALUES, nat));
  KONO_PETSC_CHECK(DMRestoreGlobalVector(m.da, &g));
  KONO_PETSC_CHECK(VecScatterCreateToZero(nat, &sc, &seq));
  KONO_PETSC_CHECK(VecScatterBegin(sc, nat, seq, INSERT_VALUES, SCATTER_FORWARD));
  KONO_PETSC_CHECK(VecScatterEnd(sc, nat, seq, INSERT_VALUES, SCATTER_FORWARD));
  if (rank == 0) {
    PetscInt len = 0;
    KONO_PETSC_CHECK(VecGetLocalSize(seq, &len));
    PetscScalar const* sv = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(seq, &sv));
    out.resize(std::size_t(len));
    for (PetscInt i = 0; i < len; ++i) out[std::size_t(i)] = PetscRealPart(sv[i]);
    KONO_PETSC_CHECK(VecRestoreArrayRead(seq, &sv));
  }
  KONO_PETSC_CHECK(VecScatterDestroy(&sc));
  KONO_PETSC_CHECK(VecDestroy(&seq));
  KONO_PETSC_CHECK(VecDestroy(&nat));
  if (root != 0) {
    // VecScatterCreateToZero gathers on rank 0; forward to the requested root.
    if (rank == 0) {
      unsigned long long len = out.size();
      MPI_Send(&len, 1, MPI_UNSIGNED_LONG_LONG, root, 0, m.comm);
      MPI_Send(out.data(), int(len), MPI_DOUBLE, root, 1, m.comm);
      out.clear();
    } else if (rank == root) {
      unsigned long long len = 0;
      MPI_Recv(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, 0, m.comm, MPI_STATUS_IGNORE);
      out.resize(len);
      MPI_Recv(out.data(), int(len), MPI_DOUBLE, 0, 1, m.comm, MPI_STATUS_IGNORE);
    }
  }
  return out;
}

}  // namespace kono
