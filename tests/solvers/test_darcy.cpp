// Darcy reference solver on one rank: manufactured solutions (observed order 2 in 2D and 3D),
// an 8^d case against a dense direct solve, solver reuse, PETSc option overrides, bad input.
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

#include "support/kono_test.hpp"

namespace {

double const pi = 3.14159265358979323846;

void init_petsc() { kono::ensure_petsc_initialized(kono::Runtime::current()); }

// Max-norm error of the solver against u = prod sin(pi x_a) with a = 1 + |x|^2, f = -div(a grad u).
double mms_error(int dim, kono::index_t n) {
  kono::DarcySolverOptions o;
  o.dim = dim;
  o.resolution = n;
  kono::DarcySolver solver(PETSC_COMM_SELF, o);
  kono::index_t const total = dim == 2 ? n * n : n * n * n;
  std::vector<double> a(total), f(total), u(total), exact(total);
  double const h = 1.0 / double(n - 1);
  kono::index_t const nz = dim == 2 ? 1 : n;
  for (kono::index_t i0 = 0; i0 < n; ++i0)
    for (kono::index_t i1 = 0; i1 < n; ++i1)
      for (kono::index_t i2 = 0; i2 < nz; ++i2) {
        double const x[3] = {i0 * h, i1 * h, dim == 3 ? i2 * h : 0.5};
        kono::index_t const idx = (i0 * n + i1) * nz + i2;
        double s[3], c[3];
        for (int d = 0; d < 3; ++d) {
          s[d] = std::sin(pi * x[d]);
          c[d] = std::cos(pi * x[d]);
        }
        double av = 1, uv = 1, lap = 0, grad_dot = 0;
        for (int d = 0; d < dim; ++d) {
          av += x[d] * x[d];
          uv *= s[d];
        }
        for (int d = 0; d < dim; ++d) {
          double du = pi * c[d];
          for (int e = 0; e < dim; ++e)
            if (e != d) du *= s[e];
          grad_dot += 2 * x[d] * du;  // grad a . grad u
        }
        lap = -dim * pi * pi * uv;
        a[idx] = av;
        exact[idx] = uv;
        f[idx] = -(grad_dot + av * lap);
      }
  auto const info = solver.solve(a.data(), u.data(), 0, f.data());
  EXPECT_TRUE(info.converged()) << info.reason_name;
  double err = 0;
  for (kono::index_t i = 0; i < total; ++i) err = std::max(err, std::abs(u[i] - exact[i]));
  return err;
}

TEST(Darcy, ManufacturedSolution2DConvergesAtSecondOrder) {
  init_petsc();
  double const e1 = mms_error(2, 17), e2 = mms_error(2, 33), e3 = mms_error(2, 65);
  double const p1 = std::log2(e1 / e2), p2 = std::log2(e2 / e3);
  std::printf("Darcy 2D MMS max errors %.3e %.3e %.3e, observed orders %.3f %.3f\n", e1, e2, e3, p1, p2);
  EXPECT_NEAR(p1, 2.0, 0.15);
  EXPECT_NEAR(p2, 2.0, 0.15);
  EXPECT_LT(e3, 1e-3);
}

TEST(Darcy, ManufacturedSolution3DConvergesAtSecondOrder) {
  init_petsc();
  double const e1 = mms_error(3, 9), e2 = mms_error(3, 17), e3 = mms_error(3, 33);
  double const p1 = std::log2(e1 / e2), p2 = std::log2(e2 / e3);
  std::printf("Darcy 3D MMS max errors %.3e %.3e %.3e, observed orders %.3f %.3f\n", e1, e2, e3, p1, p2);
  EXPECT_NEAR(p1, 2.0, 0.2);
  EXPECT_NEAR(p2, 2.0, 0.15);
}

// The same equations assembled densely here, independently of the solver, and solved by
// Gaussian elimination with partial pivoting.
std::vector<double> dense_reference(int dim, kono::index_t n, std::vector<double> const& a, double f) {
  kono::index_t const nz = dim == 2 ? 1 : n;
  kono::index_t const total = dim == 2 ? n * n : n * n * n;
  auto id = [&](kono::index_t i0, kono::index_t i1, kono::index_t i2) { return (i0 * n + i1) * nz + i2; };
  auto interior = [&](kono::index_t i0, kono::index_t i1, kono::index_t i2) {
    return i0 > 0 && i0 < n - 1 && i1 > 0 && i1 < n - 1 && (dim == 2 || (i2 > 0 && i2 < n - 1));
  };
  // Unknowns: interior nodes, numbered in C order.
  std::vector<kono::index_t> number(total, -1), node;
  for (kono::index_t i0 = 0; i0 < n; ++i0)
    for (kono::index_t i1 = 0; i1 < n; ++i1)
      for (kono::index_t i2 = 0; i2 < nz; ++i2)
        if (interior(i0, i1, i2)) {
          number[id(i0, i1, i2)] = kono::index_t(node.size());
          node.push_back(id(i0, i1, i2));
        }
  std::size_t const m = node.size();
  std::vector<double> A(m * m, 0.0), b(m, f);
  double const ih2 = double(n - 1) * double(n - 1);
  for (kono::index_t i0 = 0; i0 < n; ++i0)
    for (kono::index_t i1 = 0; i1 < n; ++i1)
      for (kono::index_t i2 = 0; i2 < nz; ++i2) {
        if (!interior(i0, i1, i2)) continue;
        std::size_t const r = std::size_t(number[id(i0, i1, i2)]);
        double const ac = a[id(i0, i1, i2)];
        int const off[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};
        for (int o = 0; o < 2 * dim; ++o) {
          kono::index_t const j0 = i0 + off[o][0], j1 = i1 + off[o][1], j2 = i2 + off[o][2];
          double const an = a[id(j0, j1, j2)];
          double const w = 2 * ac * an / (ac + an) * ih2;
          A[r * m + r] += w;
          if (interior(j0, j1, j2)) A[r * m + std::size_t(number[id(j0, j1, j2)])] -= w;
        }
      }
  for (std::size_t k = 0; k < m; ++k) {
    std::size_t p = k;
    for (std::size_t i = k + 1; i < m; ++i)
      if (std::abs(A[i * m + k]) > std::abs(A[p * m + k])) p = i;
    if (p != k) {
      for (std::size_t j = 0; j < m; ++j) std::swap(A[k * m + j], A[p * m + j]);
      std::swap(b[k], b[p]);
    }
    for (std::size_t i = k + 1; i < m; ++i) {
      double const l = A[i * m + k] / A[k * m + k];
      for (std::size_t j = k; j < m; ++j) A[i * m + j] -= l * A[k * m + j];
      b[i] -= l * b[k];
    }
  }
  std::vector<double> x(m);
  for (std::size_t k = m; k-- > 0;) {
    double s = b[k];
    for (std::size_t j = k + 1; j < m; ++j) s -= A[k * m + j] * x[j];
    x[k] = s / A[k * m + k];
  }
  std::vector<double> u(total, 0.0);
  for (std::size_t k = 0; k < m; ++k) u[std::size_t(node[k])] = x[k];
  return u;
}

void expect_matches_dense(int dim) {
  init_petsc();
  kono::index_t const n = 8;
  kono::GaussianRandomFieldOptions go;
  go.dim = dim;
  go.resolution = n;
  kono::GaussianRandomField grf(go);
  std::vector<double> a;
  kono::threshold_coefficient(grf.sample(2024, 0), a);
  ASSERT_NE(*std::min_element(a.begin(), a.end()), *std::max_element(a.begin(), a.end()))
      << "the test needs a two-phase coefficient";
  kono::DarcySolverOptions o;
  o.dim = dim;
  o.resolution = n;
  kono::DarcySolver solver(PETSC_COMM_SELF, o);
  std::vector<double> u(a.size());
  auto const info = solver.solve(a.data(), u.data(), 0);
  EXPECT_TRUE(info.converged());
  auto const ref = dense_reference(dim, n, a, 1.0);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    num += (u[i] - ref[i]) * (u[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  EXPECT_LT(std::sqrt(num / den), 1e-8) << dim << "D, " << info.iterations << " iterations";
  EXPECT_GT(den, 0.0);
}

TEST(Darcy, Matches8x8DenseDirectSolve) { expect_matches_dense(2); }
TEST(Darcy, Matches8x8x8DenseDirectSolve) { expect_matches_dense(3); }

// Sample-parallel reproducibility needs a reused solver to give the same bits as a fresh one.
TEST(Darcy, ReusedSolverGivesTheSameBitsAsAFreshOne) {
  init_petsc();
  kono::index_t const n = 33;
  kono::GaussianRandomFieldOptions go;
  go.resolution = n;
  kono::GaussianRandomField grf(go);
  kono::DarcySolverOptions o;
  o.resolution = n;
  kono::DarcySolver reused(PETSC_COMM_SELF, o);
  std::vector<double> a, u(n * n), u_fresh(n * n);
  for (int k = 0; k < 3; ++k) {
    kono::threshold_coefficient(grf.sample(9, k), a);
    auto const info = reused.solve(a.data(), u.data(), k);
    EXPECT_EQ(info.reason_name.rfind("CONVERGED", 0), 0u) << info.reason_name;
    EXPECT_GT(info.iterations, 0);
    EXPECT_LT(info.residual_norm, 1e-10 * std::sqrt(double((n - 2) * (n - 2))) * 1.0001);
  }
  kono::DarcySolver fresh(PETSC_COMM_SELF, o);
  fresh.solve(a.data(), u_fresh.data(), 2);
  EXPECT_EQ(u, u_fresh);
  for (kono::index_t i = 0; i < n; ++i) {  // boundary nodes are exactly zero
    EXPECT_EQ(u[i], 0.0);
    EXPECT_EQ(u[(n - 1) * n + i], 0.0);
    EXPECT_EQ(u[i * n], 0.0);
    EXPECT_EQ(u[i * n + n - 1], 0.0);
  }
  EXPECT_EQ(reused.ksp_type(), "cg");
  EXPECT_EQ(reused.pc_type(), "gamg");
  EXPECT_DOUBLE_EQ(reused.rtol(), 1e-10);
}

TEST(Darcy, PetscOptionsWithThePrefixOverrideTheDefaults) {
  init_petsc();
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-kono_test_override_ksp_type", "gmres"));
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-kono_test_override_pc_type", "jacobi"));
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-kono_test_override_ksp_rtol", "1e-9"));
  kono::DarcySolverOptions o;
  o.resolution = 12;
  o.options_prefix = "kono_test_override_";
  kono::DarcySolver solver(PETSC_COMM_SELF, o);
  EXPECT_EQ(solver.ksp_type(), "gmres");
  EXPECT_EQ(solver.pc_type(), "jacobi");
  EXPECT_DOUBLE_EQ(solver.rtol(), 1e-9);
  std::vector<double> a(144, 2.0), u(144);
  EXPECT_TRUE(solver.solve(a.data(), u.data()).converged());
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-kono_test_override_ksp_type"));
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-kono_test_override_pc_type"));
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-kono_test_override_ksp_rtol"));
}

TEST(Darcy, DivergedSolveNamesSampleAndReason) {
  init_petsc();
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-kono_test_div_ksp_max_it", "2"));
  kono::DarcySolverOptions o;
  o.resolution = 33;
  o.options_prefix = "kono_test_div_";
  std::vector<double> a(33 * 33, 1.0), u(33 * 33);
  for (std::size_t i = 0; i < a.size(); i += 3) a[i] = 1e4;  // hard enough that 2 iterations do not do
  {
    kono::DarcySolver solver(PETSC_COMM_SELF, o);
    EXPECT_EQ(solver.max_iterations(), 2);
    EXPECT_KONO_ERROR(solver.solve(a.data(), u.data(), 7), invalid_argument, "sample 7 did not converge");
    EXPECT_KONO_ERROR(solver.solve(a.data(), u.data(), 7), invalid_argument, "DIVERGED_ITS");
  }
  o.throw_on_divergence = false;
  kono::DarcySolver quiet(PETSC_COMM_SELF, o);
  auto const info = quiet.solve(a.data(), u.data(), 8);
  EXPECT_FALSE(info.converged());
  EXPECT_EQ(info.reason_name, "DIVERGED_ITS");
  EXPECT_EQ(info.sample, 8);
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-kono_test_div_ksp_max_it"));
}

TEST(Darcy, BadInputIsRefused) {
  init_petsc();
  kono::DarcySolverOptions o;
  o.resolution = 3;
  EXPECT_KONO_ERROR(kono::DarcySolver(PETSC_COMM_SELF, o), invalid_argument, "resolution = 3");
  o = {};
  o.dim = 1;
  EXPECT_KONO_ERROR(kono::DarcySolver(PETSC_COMM_SELF, o), invalid_argument, "dim = 1");
  o = {};
  o.rtol = 0;
  EXPECT_KONO_ERROR(kono::DarcySolver(PETSC_COMM_SELF, o), invalid_argument, "rtol = 0");
  o = {};
  o.resolution = 6;
  kono::DarcySolver solver(PETSC_COMM_SELF, o);
  std::vector<double> a(36, 1.0), u(36);
  a[20] = -2.0;
  EXPECT_KONO_ERROR(solver.solve(a.data(), u.data(), 5), invalid_argument, "sample 5: coefficient a = -2");
  a[20] = std::nan("");
  EXPECT_KONO_ERROR(solver.solve(a.data(), u.data(), 5), invalid_argument, "expected finite values > 0");
}

}  // namespace
