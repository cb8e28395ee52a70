// Time of one step of the coarse finite-volume Navier-Stokes solver (classical linear stencil)
// at 32^2..256^2 for batch 1 and 8, and of its reverse mode with learned coefficients at 32^2 and
// 64^2. dt = 0.5 h / 7 (CFL 0.5 at |u| = 7), so one time unit is 14 n / (2 pi) steps; the counter
// sim_time_per_s is the simulated time per second of wall time, per sample in the batch.
// Under mpiexec, the Decomposed/Halo/Allgather benchmarks time the row-block solver and the two
// messages it sends per stage (the rest run on every rank alone: filter them out):
//   bench_stencil_solver --benchmark_out=stencil_solver.json
//   mpiexec -n 2 bench_stencil_solver --benchmark_filter='Decomposed|Halo|Allgather'
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <random>
#include <string>
#include <vector>

#include <kono/kono.hpp>
#include <kono/operators/stencil/coarse_navier_stokes.hpp>
#include <kono/operators/stencil/decomposed_coarse_navier_stokes.hpp>

namespace {
using Space = kono::DefaultMemorySpace;
using Exec = Space::execution_space;
using kono::index_t;
using kono::Shape;

template <class Scalar>
struct Setup {
  kono::stencil::CoarseNavierStokes<Space, Scalar> solver;
  kono::Tensor<Space, Scalar> u, out, coeffs, params;

  Setup(int n, index_t B, bool learned)
      : solver(options(n), n), u("u", Shape{B, 2, n, n}), out("out", Shape{B, 2, n, n}), params("p", Shape{B, 2}) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> d(-1, 1);
    auto uh = u.to_host();
    for (index_t k = 0; k < uh.size(); ++k) uh.data()(k) = Scalar(d(rng));
    u.copy_from(uh);
    solver.projection().apply(Exec{}, u, u);
    auto ph = params.to_host();
    for (index_t b = 0; b < B; ++b) {
      ph.data()(2 * b) = Scalar(1e-3);
      ph.data()(2 * b + 1) = Scalar(1);
    }
    params.copy_from(ph);
    if (learned) {
      int const T = solver.taps();
      coeffs = kono::Tensor<Space, Scalar>("c", Shape{B, 4 * T, n, n});
      auto ch = coeffs.to_host();
      for (index_t k = 0; k < ch.size(); ++k) {
        int const c = int((k / (index_t(n) * n)) % (4 * T));
        ch.data()(k) = Scalar(kono::stencil::linear_coefficient(c / T, 4, c % T) + 0.05 * d(rng));
      }
      coeffs.copy_from(ch);
    }
  }
  static kono::stencil::CoarseSolverOptions options(int n) {
    kono::stencil::CoarseSolverOptions o;
    o.dt = 0.5 * (o.domain_length / n) / 7;
    return o;
  }
};

template <class Scalar>
void BM_Step(benchmark::State& state) {
  int const n = int(state.range(0));
  index_t const B = state.range(1);
  Setup<Scalar> s(n, B, false);
  s.solver.step(Exec{}, s.u, s.coeffs, s.params, s.out);  // plans and scratch
  for (auto _ : state) {
    s.solver.step(Exec{}, s.u, s.coeffs, s.params, s.out);
    Exec{}.fence();
  }
  state.counters["sim_time_per_s"] =
      benchmark::Counter(s.solver.options().dt, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["cells_per_s"] = benchmark::Counter(double(B) * n * n, benchmark::Counter::kIsIterationInvariantRate);
}

template <class Scalar>
void BM_StepBackward(benchmark::State& state) {
  int const n = int(state.range(0));
  index_t const B = state.range(1);
  Setup<Scalar> s(n, B, true);
  kono::Tensor<Space, Scalar> du("du", s.u.shape()), dc("dc", s.coeffs.shape());
  s.solver.step_backward(Exec{}, s.u, s.coeffs, s.params, s.u, du, dc, false);
  for (auto _ : state) {
    s.solver.step_backward(Exec{}, s.u, s.coeffs, s.params, s.u, du, dc, true);
    Exec{}.fence();
  }
  state.counters["sim_time_per_s"] =
      benchmark::Counter(s.solver.options().dt, benchmark::Counter::kIsIterationInvariantRate);
}

// The forward with learned coefficients, for the backward/forward ratio at the same sizes.
template <class Scalar>
void BM_StepLearned(benchmark::State& state) {
  int const n = int(state.range(0));
  index_t const B = state.range(1);
  Setup<Scalar> s(n, B, true);
  s.solver.step(Exec{}, s.u, s.coeffs, s.params, s.out);
  for (auto _ : state) {
    s.solver.step(Exec{}, s.u, s.coeffs, s.params, s.out);
    Exec{}.fence();
  }
  state.counters["sim_time_per_s"] =
      benchmark::Counter(s.solver.options().dt, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- row-block decomposition (run under mpiexec; fixed iteration counts keep ranks in step) ----

int world_size() {
  int p = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

// The classical step of DecomposedCoarseNavierStokes on MPI_COMM_WORLD.
void BM_DecomposedStep(benchmark::State& state) {
  int const n = int(state.range(0));
  index_t const B = state.range(1);
  Setup<double> s(n, B, false);  // the global field, the same on every rank
  kono::stencil::DecomposedCoarseNavierStokes<Space, double> block(Setup<double>::options(n), n, MPI_COMM_WORLD);
  auto local = block.local_rows(Exec{}, s.u);
  block.step(Exec{}, local, s.coeffs, s.params, local);
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state) block.step(Exec{}, local, s.coeffs, s.params, local);
  state.counters["ranks"] = world_size();
  state.counters["sim_time_per_s"] =
      benchmark::Counter(block.options().dt, benchmark::Counter::kIsIterationInvariantRate);
}

// What one velocity halo exchange sends: stencil_reach(4) = 3 rows of B x 2 channels each way.
void BM_HaloSendrecv(benchmark::State& state) {
  int const n = int(state.range(0)), B = int(state.range(1)), P = world_size();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int const count = B * 2 * 3 * n, lower = (rank + P - 1) % P, upper = (rank + 1) % P;
  std::vector<double> sl(std::size_t(count), 1.0), su(sl), rl(sl), ru(sl);
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state) {
    MPI_Sendrecv(sl.data(), count, MPI_DOUBLE, lower, 1, ru.data(), count, MPI_DOUBLE, upper, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    MPI_Sendrecv(su.data(), count, MPI_DOUBLE, upper, 2, rl.data(), count, MPI_DOUBLE, lower, 2, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
  }
  state.counters["ranks"] = P;
}

// What one projection gathers: the divergence, B x n x n values, n / P rows from each rank.
void BM_DivergenceAllgather(benchmark::State& state) {
  int const n = int(state.range(0)), B = int(state.range(1)), P = world_size();
  std::vector<int> counts(static_cast<std::size_t>(P)), displs(static_cast<std::size_t>(P));
  int offset = 0;
  for (int r = 0; r < P; ++r) {
    counts[std::size_t(r)] = B * (n / P + (r < n % P ? 1 : 0)) * n;
    displs[std::size_t(r)] = offset;
    offset += counts[std::size_t(r)];
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::vector<double> send(std::size_t(counts[std::size_t(rank)]), 1.0), recv(static_cast<std::size_t>(offset));
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state)
    MPI_Allgatherv(send.data(), counts[std::size_t(rank)], MPI_DOUBLE, recv.data(), counts.data(), displs.data(),
                   MPI_DOUBLE, MPI_COMM_WORLD);
  state.counters["ranks"] = P;
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int n : {32, 64, 128, 256})
    for (int B : {1, 8}) b->Args({n, B});
}
void grad_sizes(benchmark::internal::Benchmark* b) {
  for (int n : {32, 64})
    for (int B : {1, 8}) b->Args({n, B});
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Step, double)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Step, float)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_StepLearned, float)->Apply(grad_sizes)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_StepBackward, float)->Apply(grad_sizes)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_StepBackward, double)->Apply(grad_sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecomposedStep)->Apply(sizes)->Iterations(30)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HaloSendrecv)->Apply(sizes)->Iterations(200)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DivergenceAllgather)->Apply(sizes)->Iterations(200)->UseRealTime()->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("kono_git_revision", KONO_GIT_REVISION_BENCH);
  benchmark::AddCustomContext("kokkos_execution_space", kono::default_execution_space_name());
  benchmark::AddCustomContext("mpi_ranks", std::to_string(runtime.size()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
