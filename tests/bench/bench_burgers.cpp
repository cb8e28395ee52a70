// Burgers reference solver benchmark (issue 4): seconds per trajectory, TS steps and the time
// integration error against resolution, FNO setting (nu = 0.1, GRF u0, outputs 0, 0.1, ..., 1).
//   bench_burgers                                  # resolutions 256 1024, 8 samples each
//   bench_burgers --res 256 1024 4096 --samples 4 -burgers_ts_rtol 1e-9   # PETSc options pass through
//   bench_burgers --nu 0.01                        # neuraloperator's bundled Burgers data uses nu = 0.01
// Each rank solves its own samples (PETSC_COMM_SELF); rank 0 prints one row per resolution:
// mean/min/max accepted steps, mean rejected steps, seconds per trajectory (solve only, mean and
// min over rank 0's samples), and the max relative L2 difference at t = 1 of rank 0's first
// sample against the same solve with rtol = atol = 1e-11 (the time integration error), and the
// max relative L2 difference at t = 1, at the N shared points, between a 4N-point solve and an
// N-point solve of its u0 restricted to modes |k| < N/2 (the spatial error of the N-point grid).
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
#include <kono/solvers/burgers.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

int main(int argc, char** argv) {
  std::vector<kono::index_t> resolutions;
  kono::index_t samples = 8;
  std::uint64_t seed = 1;
  double nu = kono::BurgersSolverOptions{}.nu;
  std::vector<char*> petsc_args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    if (a == "--res") {
      while (i + 1 < argc && argv[i + 1][0] != '-') resolutions.push_back(std::atoll(argv[++i]));
    } else if (a == "--samples" && i + 1 < argc) {
      samples = std::atoll(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--nu" && i + 1 < argc) {
      nu = std::atof(argv[++i]);
    } else {
      petsc_args.push_back(argv[i]);
    }
  }
  if (resolutions.empty()) resolutions = {256, 1024};
  int pargc = int(petsc_args.size());
  char** pargv = petsc_args.data();
  kono::Runtime runtime(pargc, pargv);
  kono::ensure_petsc_initialized(runtime, &pargc, &pargv);
  int const rank = runtime.rank(), size = runtime.size();
  kono::SampleShard const shard = kono::shard_samples(samples, runtime.comm());

  if (rank == 0) {
    kono::BurgersSolverOptions probe_options;
    probe_options.resolution = resolutions.front();
    probe_options.nu = nu;
    kono::BurgersSolver probe(probe_options);
    std::printf("# bench_burgers: nu %.3g, %lld samples per resolution, %d rank(s), ts %s %s, adapt %s, rtol %.1e, "
                "atol %.1e, outputs 0:0.1:1, seed %llu\n",
                nu, static_cast<long long>(samples), size, probe.ts_type().c_str(),
                probe.arkimex_type().c_str(), probe.adapt_type().c_str(), probe.rtol(), probe.atol(),
                static_cast<unsigned long long>(seed));
    std::printf("%8s %10s %8s %8s %10s %14s %14s %16s %16s\n", "N", "steps", "min", "max", "rejected", "s/trajectory",
                "min s/traj", "time err (rel)", "space err (rel)");
  }
  for (kono::index_t n : resolutions) {
    kono::BurgersSolverOptions o;
    o.resolution = n;
    o.nu = nu;
    kono::BurgersSolver solver(o);
    kono::GaussianRandomField grf(kono::burgers_initial_condition_options(n));
    std::vector<double> u0(static_cast<std::size_t>(n)), traj(o.output_times.size() * std::size_t(n)), first;
    double steps = 0, rejected = 0, seconds = 0, min_seconds = 1e300;
    int min_steps = 1 << 30, max_steps = 0;
    for (kono::index_t s = 0; s < shard.count; ++s) {
      grf.sample_into(seed, shard.first + s, u0.data());
      auto const t0 = std::chrono::steady_clock::now();
      auto const info = solver.solve(u0.data(), o.output_times, traj.data(), shard.first + s);
      double const dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      seconds += dt;
      min_seconds = std::min(min_seconds, dt);
      steps += info.steps;
      rejected += info.rejected_steps;
      min_steps = std::min(min_steps, info.steps);
      max_steps = std::max(max_steps, info.steps);
      if (s == 0) first.assign(traj.end() - n, traj.end());
    }
    double err = 0, space_err = 0;
    if (shard.count > 0) {
      kono::BurgersSolverOptions tight = o;
      tight.rtol = tight.atol = 1e-11;
      tight.options_prefix = "burgers_reference_";  // not overridden by -burgers_ts_rtol
      kono::BurgersSolver reference(tight);
      grf.sample_into(seed, shard.first, u0.data());
      reference.solve(u0.data(), o.output_times, traj.data(), shard.first);
      double num = 0, den = 0;
      for (kono::index_t j = 0; j < n; ++j) {
        double const r = traj[traj.size() - std::size_t(n) + std::size_t(j)];
        num += (first[std::size_t(j)] - r) * (first[std::size_t(j)] - r);
        den += r * r;
      }
      err = std::sqrt(num / den);
      // Spatial: the first sample on 4N points, its restriction to N points.
      kono::BurgersSolverOptions fine = o;
      fine.resolution = 4 * n;
      fine.options_prefix = "burgers_reference_";
      kono::BurgersSolver fine_solver(fine);
      kono::GaussianRandomField fine_grf(kono::burgers_initial_condition_options(4 * n));
      std::vector<double> u0_fine = fine_grf.sample(seed, shard.first),
                          traj_fine(o.output_times.size() * std::size_t(4 * n));
      fine_solver.solve(u0_fine.data(), o.output_times, traj_fine.data(), shard.first);
      // Band-limited restriction (modes |k| < N/2 of the 4N-point field, naive DFT): plain
      // subsampling would alias modes k = N, 2N, ... into the mean, which Burgers conserves.
      std::vector<double> re(std::size_t(n / 2)), im(std::size_t(n / 2));
      double const two_pi = 6.283185307179586;
      for (kono::index_t k = 0; k < n / 2; ++k)
        for (kono::index_t j = 0; j < 4 * n; ++j) {
          double const a = two_pi * double(k) * double(j) / double(4 * n);
          re[std::size_t(k)] += u0_fine[std::size_t(j)] * std::cos(a) / double(4 * n);
          im[std::size_t(k)] -= u0_fine[std::size_t(j)] * std::sin(a) / double(4 * n);
        }
      for (kono::index_t j = 0; j < n; ++j) {
        double v = re[0];
        for (kono::index_t k = 1; k < n / 2; ++k) {
          double const a = two_pi * double(k) * double(j) / double(n);
          v += 2 * (re[std::size_t(k)] * std::cos(a) - im[std::size_t(k)] * std::sin(a));
        }
        u0[std::size_t(j)] = v;
      }
      solver.solve(u0.data(), o.output_times, traj.data(), shard.first);
      num = 0;
      den = 0;
      std::size_t const last_fine = traj_fine.size() - std::size_t(4 * n), last = traj.size() - std::size_t(n);
      for (kono::index_t j = 0; j < n; ++j) {
        double const r = traj_fine[last_fine + std::size_t(4 * j)];
        num += (traj[last + std::size_t(j)] - r) * (traj[last + std::size_t(j)] - r);
        den += r * r;
      }
      space_err = std::sqrt(num / den);
    }
    if (rank == 0 && shard.count > 0) {
      double const c = double(shard.count);
      std::printf("%8lld %10.1f %8d %8d %10.2f %14.4g %14.4g %16.2e %16.2e\n", static_cast<long long>(n), steps / c,
                  min_steps, max_steps, rejected / c, seconds / c, min_seconds, err, space_err);
      std::fflush(stdout);
    }
  }
  return 0;
}
