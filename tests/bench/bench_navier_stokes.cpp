// Navier-Stokes reference solver benchmark (issue 4): seconds per trajectory of the FNO setting
// (periodic unit square, f = 0.1 (sin 2pi(x+y) + cos 2pi(x+y)), w0 ~ GRF alpha 2.5 tau 7), with
// the samples spread over the ranks, and the error of the final vorticity against a tight
// reference (rk 5dp, rtol = atol = 1e-10) of the same samples.
//   bench_navier_stokes                              # 64^2, nu 1e-3, t = 1..10, 4 samples
//   bench_navier_stokes --res 64 128 --nu 1e-4 --tend 10 --samples 4
//   bench_navier_stokes -ns_ts_type rk -ns_ts_rk_type 5dp   # PETSc options pass through
//   bench_navier_stokes --no-reference                # skip the reference solves
// Prints one row per resolution: TS type, adapt type, tolerances, mean accepted / rejected
// steps, mean right-hand-side evaluations, seconds per trajectory (one rank's wall time divided
// by its samples), and max over samples of ||w - w_ref||_2 / ||w_ref||_2 at t_end.
#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/datasets/sample_shard.hpp>
#include <kono/solvers/navier_stokes.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

int main(int argc, char** argv) {
  std::vector<kono::index_t> resolutions;
  kono::index_t samples = 4;
  double nu = 1e-3, tend = 10;
  std::uint64_t seed = 1;
  bool reference = true;
  std::vector<char*> petsc_args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    if (a == "--res") {
      while (i + 1 < argc && argv[i + 1][0] != '-') resolutions.push_back(std::atoll(argv[++i]));
    } else if (a == "--samples" && i + 1 < argc) {
      samples = std::atoll(argv[++i]);
    } else if (a == "--nu" && i + 1 < argc) {
      nu = std::atof(argv[++i]);
    } else if (a == "--tend" && i + 1 < argc) {
      tend = std::atof(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--no-reference") {
      reference = false;
    } else {
      petsc_args.push_back(argv[i]);
    }
  }
  if (resolutions.empty()) resolutions = {64};
  int pargc = int(petsc_args.size());
  char** pargv = petsc_args.data();
  kono::Runtime runtime(pargc, pargv);
  kono::ensure_petsc_initialized(runtime, &pargc, &pargv);
  MPI_Comm const comm = runtime.comm();
  int const rank = runtime.rank(), size = runtime.size();
  std::vector<double> times;
  for (int t = 1; t <= int(std::floor(tend + 1e-9)); ++t) times.push_back(t);
  if (times.empty() || times.back() < tend) times.push_back(tend);

  if (rank == 0) {
    std::printf("# bench_navier_stokes: nu %g, %zu output times up to t = %g, %lld samples, %d rank(s), seed %llu\n",
                nu, times.size(), tend, static_cast<long long>(samples), size,
                static_cast<unsigned long long>(seed));
    std::printf("%10s %8s %6s %8s %8s %9s %9s %10s %12s %12s\n", "resolution", "ts", "adapt", "rtol", "steps",
                "rejected", "rhs_evals", "s/traj", "samples/s", "rel_err_ref");
  }
  for (kono::index_t n : resolutions) {
    kono::NavierStokesOptions o;
    o.resolution = n;
    o.nu = nu;
    o.times = times;
    kono::GaussianRandomField grf(kono::navier_stokes_initial_condition_options(n));
    kono::SampleShard const shard = kono::shard_samples(samples, comm);
    double sums[3] = {0, 0, 0};  // steps, rejected, rhs evaluations
    double err_max = 0;
    std::string ts, adapt;
    double rtol = 0;
    std::vector<std::vector<double>> finals;
    MPI_Barrier(comm);
    auto const t0 = std::chrono::steady_clock::now();
    {
      kono::NavierStokesSolver solver(o);
      for (kono::index_t s = 0; s < shard.count; ++s) {
        kono::index_t const k = shard.first + s;
        kono::NavierStokesSolveInfo info;
        auto const w = solver.solve(grf.sample(seed, k), &info, k);
        sums[0] += double(info.steps);
        sums[1] += double(info.rejected_steps);
        sums[2] += double(info.rhs_evaluations);
        finals.emplace_back(w.end() - std::ptrdiff_t(n * n), w.end());
      }
      ts = solver.ts_type();
      adapt = solver.adapt_type();
      rtol = solver.rtol();
    }
    double const local_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double seconds = 0;
    MPI_Allreduce(&local_seconds, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm);
    if (reference) {
      kono::NavierStokesOptions r = o;
      r.ts_type = "rk";
      r.rtol = r.atol = 1e-10;
      r.options_prefix = "nsbench_reference_";  // not overridden by the -ns_ options under test
      KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-nsbench_reference_ts_rk_type", "5dp"));
      kono::NavierStokesSolver ref(r);
      for (kono::index_t s = 0; s < shard.count; ++s) {
        auto const w = ref.solve(grf.sample(seed, shard.first + s));
        double num = 0, den = 0;
        for (kono::index_t i = 0; i < n * n; ++i) {
          double const wr = w[std::size_t((std::ptrdiff_t(times.size()) - 1) * n * n + i)];
          num += (finals[std::size_t(s)][std::size_t(i)] - wr) * (finals[std::size_t(s)][std::size_t(i)] - wr);
          den += wr * wr;
        }
        err_max = std::max(err_max, std::sqrt(num / den));
      }
    }
    MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, &err_max, 1, MPI_DOUBLE, MPI_MAX, comm);
    // Ranks hold whole samples: per-trajectory time is wall time x ranks / samples.
    double const per_traj = seconds * size / double(samples);
    if (rank == 0)
      std::printf("%10lld %8s %6s %8.1e %8.1f %9.1f %9.1f %10.4f %12.3f %12s\n", static_cast<long long>(n), ts.c_str(),
                  adapt.c_str(), rtol, sums[0] / samples, sums[1] / samples, sums[2] / samples, per_traj,
                  samples / seconds,
                  reference ? (std::to_string(err_max).substr(0, 10)).c_str() : "-");
  }
  return 0;
}
