#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <kono/core/config.hpp>
#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/core/tensor.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/sample_shard.hpp>
#include "dataset_common.hpp"
#include <kono/solvers/burgers_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {

char const* to_string(BurgersFailurePolicy p) noexcept {
  switch (p) {
    case BurgersFailurePolicy::stop: return "stop";
    case BurgersFailurePolicy::record: return "record";
  }
  return "unknown";
}

namespace {

BurgersSolverOptions solver_options(BurgersDatasetOptions const& o) {
  BurgersSolverOptions s = o.solver;
  s.resolution = o.resolution;
  s.nu = o.nu;
  s.output_times = o.times;
  s.throw_on_divergence = o.on_failure == BurgersFailurePolicy::stop;
  return s;
}

}  // namespace

void BurgersDatasetOptions::validate() const {
  char const* fq = "kono::generate_burgers_dataset";
  detail::validate_dataset_output(fq, out, samples, dtype, group);
  try {
    solver_options(*this).validate();
  } catch (Error const& e) {
    KONO_THROW(invalid_argument, fq << ": " << e.what());
  }
}

BurgersDatasetReport generate_burgers_dataset(BurgersDatasetOptions const& options, MPI_Comm comm) {
  options.validate();
  detail::require_petsc("kono::generate_burgers_dataset");
  auto const t0 = std::chrono::steady_clock::now();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  index_t const N = options.samples, n = options.resolution, T = index_t(options.times.size());
  std::string const g = detail::dataset_group_path(options.group);
  SampleShard const shard = shard_samples(N, comm);
  // The writer first: an unwritable output fails before hours of solves; it commits atomically.
  Hdf5Writer w(options.out, comm);

  Tensor<Kokkos::HostSpace, double> x("kono::generate_burgers_dataset::x", Shape{shard.count, n});
  Tensor<Kokkos::HostSpace, double> y("kono::generate_burgers_dataset::y", Shape{shard.count, T, n});
  std::vector<std::int64_t> steps(std::size_t(N), 0), rejected(std::size_t(N), 0), reasons(std::size_t(N), 0);
  std::vector<double> final_times(std::size_t(N), 0.0);
  std::int64_t failed = 0;  // trajectories that did not reach the last time (policy record)
  // Settings as PETSc applied them (after the options database), from rank 0.
  char ts_type[64] = "", ark_type[64] = "", adapt_type[64] = "";
  double tol[3] = {0, 0, 0};  // rtol, atol, max_steps

  double* xv = x.data().data();
  double* yv = y.data().data();
  // Each rank solves its own contiguous block on PETSC_COMM_SELF. Sample k is a function of
  // (seed, k) alone and each trajectory starts a fresh TS, so the bits do not depend on the rank count.
  Impl::collective_check(comm, [&] {
    GaussianRandomField grf(burgers_initial_condition_options(n));
    BurgersSolver solver(solver_options(options));
    std::snprintf(ts_type, sizeof ts_type, "%s", solver.ts_type().c_str());
    std::snprintf(ark_type, sizeof ark_type, "%s", solver.arkimex_type().c_str());
    std::snprintf(adapt_type, sizeof adapt_type, "%s", solver.adapt_type().c_str());
    tol[0] = solver.rtol();
    tol[1] = solver.atol();
    tol[2] = solver.max_steps();
    auto const start = std::chrono::steady_clock::now();
    auto last = start;
    for (index_t s = 0; s < shard.count; ++s) {
      index_t const k = shard.first + s;
      double* u0 = xv + s * n;
      grf.sample_into(options.seed, k, u0);
      BurgersSolveInfo const info = solver.solve(u0, options.times, yv + s * T * n, k);
      steps[std::size_t(k)] = info.steps;
      rejected[std::size_t(k)] = info.rejected_steps;
      reasons[std::size_t(k)] = info.converged_reason;
      final_times[std::size_t(k)] = info.final_time;
      if (!info.converged()) ++failed;
      auto const now = std::chrono::steady_clock::now();
      if (rank == 0 && options.progress_seconds > 0 &&
          std::chrono::duration<double>(now - last).count() >= options.progress_seconds) {
        last = now;
        double const elapsed = std::chrono::duration<double>(now - start).count();
        double const done = double(s + 1);
        std::printf("kono generate burgers: %lld/%lld samples on rank 0 (%lld in total), %.3g samples/s, ETA %.0f s\n",
                    static_cast<long long>(s + 1), static_cast<long long>(shard.count), static_cast<long long>(N),
                    done / elapsed * size, (double(shard.count) - done) * elapsed / done);
        std::fflush(stdout);
      }
    }
  });

  // Each rank filled its own entries (zeros elsewhere).
  MPI_Allreduce(MPI_IN_PLACE, steps.data(), int(N), MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, rejected.data(), int(N), MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, reasons.data(), int(N), MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, final_times.data(), int(N), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Bcast(ts_type, sizeof ts_type, MPI_CHAR, 0, comm);
  MPI_Bcast(ark_type, sizeof ark_type, MPI_CHAR, 0, comm);
  MPI_Bcast(adapt_type, sizeof adapt_type, MPI_CHAR, 0, comm);
  MPI_Bcast(tol, 3, MPI_DOUBLE, 0, comm);
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT64_T, MPI_SUM, comm);

  // One collective transfer per dataset, then provenance, then the atomic rename.
  w.write_samples(g + "/x", Shape{N, n}, x, shard.first, options.dtype);
  w.write_samples(g + "/y", Shape{N, T, n}, y, shard.first, options.dtype);
  std::vector<double> xc(static_cast<std::size_t>(n));
  for (index_t j = 0; j < n; ++j) xc[std::size_t(j)] = double(j) / double(n);
  w.write_array(g + "/coords/x0", Shape{n}, xc);
  w.write_array(g + "/coords/t", Shape{T}, options.times);
  w.write_array(g + "/solver/steps", Shape{N}, steps);
  w.write_array(g + "/solver/rejected_steps", Shape{N}, rejected);
  w.write_array(g + "/solver/converged_reason", Shape{N}, reasons);
  w.write_array(g + "/solver/final_time", Shape{N}, final_times);

  std::string const obj = g.empty() ? "/" : g;
  auto const fo = burgers_initial_condition_options(n);
  w.write_attribute(obj, "problem", "burgers");
  w.write_attribute(obj, "equation", "u_t + (u^2/2)_x = nu u_xx on [0,1), periodic");
  w.write_attribute(obj, "x_description", "initial condition u0 at the grid points");
  w.write_attribute(obj, "y_description", "u at the output times coords/t (axis 1) and the grid points (axis 2)");
  w.write_attribute(obj, "dim", std::int64_t(1));
  w.write_attribute(obj, "resolution", std::int64_t(n));
  w.write_attribute(obj, "samples", std::int64_t(N));
  w.write_attribute(obj, "nu", options.nu);
  w.write_attribute(obj, "times", options.times);
  w.write_attribute(obj, "seed", std::to_string(options.seed));
  w.write_attribute(obj, "rng", "sample k: SplitMix64 hash of (seed, k); Box-Muller normals, counter based");
  w.write_attribute(obj, "grid", "N periodic points x_j = j/N, j = 0..N-1");
  w.write_attribute(obj, "discretisation",
                    "Fourier pseudo-spectral (FFTW), advection dealiased by the 2/3 rule (modes |k| <= (N-1)/3 "
                    "in the product and its derivative), viscosity exact in Fourier space for all modes; "
                    "method of lines with PETSc TS");
  w.write_attribute(obj, "initial_condition",
                    "Gaussian random field, covariance sigma^2 (-Laplacian + tau^2 I)^(-alpha), "
                    "periodic, constant mode removed");
  w.write_attribute(obj, "grf_alpha", fo.alpha);
  w.write_attribute(obj, "grf_tau", fo.tau);
  w.write_attribute(obj, "grf_sigma", fo.effective_sigma());
  w.write_attribute(obj, "grf_boundary", to_string(fo.boundary));
  w.write_attribute(obj, "ts_type", std::string(ts_type));
  w.write_attribute(obj, "ts_arkimex_type", std::string(ark_type));
  w.write_attribute(obj, "ts_splitting", ark_type[0] ? "IMEX: nu u_xx implicit (exact Fourier inverse), "
                                                       "advection explicit"
                                                     : "one right-hand side (advection + viscosity)");
  w.write_attribute(obj, "ts_adapt_type", std::string(adapt_type));
  w.write_attribute(obj, "ts_rtol", tol[0]);
  w.write_attribute(obj, "ts_atol", tol[1]);
  w.write_attribute(obj, "ts_max_steps", std::int64_t(tol[2]));
  w.write_attribute(obj, "ts_initial_dt", options.solver.initial_dt);
  w.write_attribute(obj, "petsc_options_prefix", options.solver.options_prefix);
  w.write_attribute(obj, "parallel_mode", "samples");
  w.write_attribute(obj, "mpi_ranks", std::int64_t(size));
  w.write_attribute(obj, "failure_policy", to_string(options.on_failure));
  w.write_attribute(obj, "failed_samples", failed);
  w.write_attribute(obj, "steps_min", *std::min_element(steps.begin(), steps.end()));
  w.write_attribute(obj, "steps_max", *std::max_element(steps.begin(), steps.end()));
  w.write_attribute(obj, "rejected_steps_max", *std::max_element(rejected.begin(), rejected.end()));
  detail::write_run_provenance(w, obj, options.command_line, comm);
  w.commit();

  BurgersDatasetReport report;
  report.samples = N;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.steps.assign(steps.begin(), steps.end());
  report.rejected_steps.assign(rejected.begin(), rejected.end());
  report.converged_reasons.assign(reasons.begin(), reasons.end());
  report.final_times = final_times;
  report.ts_type = ts_type;
  report.arkimex_type = ark_type;
  report.adapt_type = adapt_type;
  report.rtol = tol[0];
  report.atol = tol[1];
  return report;
}

}  // namespace kono
