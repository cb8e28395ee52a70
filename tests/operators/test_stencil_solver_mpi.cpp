// DecomposedCoarseNavierStokes at 1 and 2 ranks: 10 steps on the row blocks, gathered, against
// the serial CoarseNavierStokes on the same global field (computed on every rank alone), for
// both steppers, the classical and a learned stencil. EXPECT_* only (collectives follow).
#include <mpi.h>

#include <cmath>
#include <random>

#include <kono/operators/stencil/coarse_navier_stokes.hpp>
#include <kono/operators/stencil/decomposed_coarse_navier_stokes.hpp>

#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using Exec = Space::execution_space;
using kono::index_t;
using kono::Shape;
using kono::stencil::CoarseSolverOptions;
using kono::stencil::TimeStepper;
using TensorD = kono::Tensor<Space, double>;
auto const exec = Exec{};

TensorD random_tensor(Shape const& shape, std::uint64_t seed, double scale) {
  kono::Tensor<Kokkos::HostSpace, double> h("kono::test::host", shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-scale, scale);
  for (index_t k = 0; k < h.size(); ++k) h.data()(k) = d(rng);
  return h.clone_to<Space>("kono::test::tensor");
}

double max_diff(TensorD const& a, TensorD const& b) {
  auto const x = a.to_host(), y = b.to_host();
  double m = 0;
  for (index_t k = 0; k < x.size(); ++k) m = std::max(m, std::abs(x.data()(k) - y.data()(k)));
  return m;
}

struct Case {
  TimeStepper stepper;
  bool learned;
  int n;
  int stencil_size;
};

class DecomposedSolver : public ::testing::TestWithParam<Case> {};

TEST_P(DecomposedSolver, TenStepsMatchTheSerialSolver) {
  Case const c = GetParam();
  int const n = c.n;
  index_t const B = 2;
  CoarseSolverOptions o;
  o.dt = 0.5 * (o.domain_length / n) / 7;
  o.time_stepper = c.stepper;
  o.stencil_size = c.stencil_size;
  kono::stencil::CoarseNavierStokes<Space, double> serial(o, n);
  kono::stencil::DecomposedCoarseNavierStokes<Space, double> block(o, n, MPI_COMM_WORLD);
  // Same seeds on every rank: every rank builds the same global fields.
  TensorD u = random_tensor(Shape{B, 2, n, n}, 5, 2.0);
  serial.projection().apply(exec, u, u);
  TensorD coeffs;
  if (c.learned) {
    int const T = serial.taps();
    coeffs = random_tensor(Shape{B, 4 * T, n, n}, 6, 0.1);
    auto h = coeffs.to_host();
    for (index_t k = 0; k < h.size(); ++k) {
      int const ch = static_cast<int>((k / (index_t(n) * n)) % (4 * T));
      h.data()(k) += kono::stencil::linear_coefficient(ch / T, o.stencil_size, ch % T);
    }
    coeffs.copy_from(h);
  }
  TensorD params = random_tensor(Shape{B, 2}, 7, 0.0);
  {
    auto h = params.to_host();
    h.data()(0) = 1e-2, h.data()(1) = 1.0, h.data()(2) = 3e-3, h.data()(3) = 0.5;
    params.copy_from(h);
  }
  TensorD local = block.local_rows(exec, u);
  TensorD const local_coeffs = c.learned ? block.local_rows(exec, coeffs) : TensorD();
  EXPECT_EQ(local.extent(2), block.rows());
  for (int s = 0; s < 10; ++s) {
    serial.step(exec, u, coeffs, params, u);
    block.step(exec, local, local_coeffs, params, local);
  }
  TensorD const gathered = block.gather(exec, local);
  double const diff = max_diff(gathered, u);
  EXPECT_LT(diff, 1e-13) << "rank " << block.decomposition().rank() << " of " << block.decomposition().size();
  EXPECT_GT(max_diff(u, TensorD("zero", u.shape())), 0.1);  // the flow is not trivial
}

INSTANTIATE_TEST_SUITE_P(Cases, DecomposedSolver,
                         ::testing::Values(Case{TimeStepper::rk3, false, 32, 4}, Case{TimeStepper::rk3, true, 16, 4},
                                           Case{TimeStepper::euler, true, 17, 4}, Case{TimeStepper::rk3, true, 24, 6}),
                         [](auto const& info) {
                           Case const& c = info.param;
                           return to_string(c.stepper) + (c.learned ? "_learned_" : "_linear_") + std::to_string(c.n) +
                                  "_S" + std::to_string(c.stencil_size);
                         });

TEST(DecomposedSolver, GatherInvertsLocalRows) {
  int const n = 12;
  CoarseSolverOptions o;
  o.dt = 0.01;
  kono::stencil::DecomposedCoarseNavierStokes<Space, double> block(o, n, MPI_COMM_WORLD);
  TensorD const g = random_tensor(Shape{3, 5, n, n}, 9, 1.0);
  EXPECT_EQ(max_diff(block.gather(exec, block.local_rows(exec, g)), g), 0.0);
}

}  // namespace

namespace {
TEST(DecomposedSolver, BadInputOnOneRankThrowsOnEveryRank) {
  int const n = 12;
  CoarseSolverOptions o;
  o.dt = 0.01;
  kono::stencil::DecomposedCoarseNavierStokes<Space, double> block(o, n, MPI_COMM_WORLD);
  int const rank = block.decomposition().rank(), last = block.decomposition().size() - 1;
  TensorD const p("p", Shape{1, 2});
  TensorD u("u", Shape{1, 2, block.rows() + (rank == last ? 1 : 0), n});
  EXPECT_KONO_ERROR(block.step(exec, u, TensorD(), p, u), size_mismatch,
                    rank == last ? "velocity \"u\" has shape" : "the input of another rank is bad");
  // Only some ranks pass coefficients: every rank refuses (with one rank, it passes them).
  TensorD good("good", Shape{1, 2, block.rows(), n});
  TensorD c = rank == last ? TensorD("c", Shape{1, 4 * block.taps(), block.rows(), n}) : TensorD();
  if (block.decomposition().size() > 1)
    EXPECT_KONO_ERROR(block.step(exec, good, c, p, good), invalid_argument, "some ranks pass coefficients");
}
}  // namespace

namespace {
TEST(DecomposedSolver, FloatMatchesTheSerialFloatSolver) {
  int const n = 16;
  CoarseSolverOptions o;
  o.dt = 0.5 * (o.domain_length / n) / 7;
  using TensorF = kono::Tensor<Space, float>;
  kono::stencil::CoarseNavierStokes<Space, float> serial(o, n);
  kono::stencil::DecomposedCoarseNavierStokes<Space, float> block(o, n, MPI_COMM_WORLD);
  kono::Tensor<Kokkos::HostSpace, float> h("u", Shape{1, 2, n, n});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (index_t k = 0; k < h.size(); ++k) h.data()(k) = d(rng);
  TensorF u = h.clone_to<Space>("u");
  serial.projection().apply(exec, u, u);
  kono::Tensor<Kokkos::HostSpace, float> ph("p", Shape{1, 2});
  ph.data()(0) = 0.01f, ph.data()(1) = 1.0f;
  TensorF const p = ph.clone_to<Space>("p");
  TensorF local = block.local_rows(exec, u);
  for (int s = 0; s < 5; ++s) {
    serial.step(exec, u, TensorF(), p, u);
    block.step(exec, local, TensorF(), p, local);
  }
  auto const a = block.gather(exec, local).to_host(), b = u.to_host();
  double m = 0;
  for (index_t k = 0; k < a.size(); ++k) m = std::max(m, double(std::abs(a.data()(k) - b.data()(k))));
  EXPECT_LT(m, 1e-5);
}
}  // namespace
