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
#include <kono/solvers/navier_stokes_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {
namespace {

GaussianRandomFieldOptions field_options(NavierStokesDatasetOptions const& o) {
  GaussianRandomFieldOptions f = navier_stokes_initial_condition_options(o.solver.resolution);
  f.alpha = o.alpha;
  f.tau = o.tau;
  f.sigma = o.sigma;
  return f;
}

NavierStokesOptions solver_options(NavierStokesDatasetOptions const& o) {
  NavierStokesOptions s = o.solver;
  s.throw_on_divergence = o.on_divergence == NavierStokesDivergencePolicy::stop;
  return s;
}

}  // namespace

void NavierStokesDatasetOptions::validate() const {
  char const* fq = "kono::generate_navier_stokes_dataset";
  detail::validate_dataset_output(fq, out, samples, dtype, group);
  try {
    solver_options(*this).validate();
    field_options(*this).validate();
  } catch (Error const& e) {
    KONO_THROW(invalid_argument, fq << ": " << e.what());
  }
}

NavierStokesDatasetReport generate_navier_stokes_dataset(NavierStokesDatasetOptions const& options, MPI_Comm comm) {
  options.validate();
  detail::require_petsc("kono::generate_navier_stokes_dataset");
  auto const t0 = std::chrono::steady_clock::now();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  index_t const N = options.samples, n = options.solver.resolution;
  std::vector<double> const& times = options.solver.times;
  index_t const T = index_t(times.size());
  index_t const per_field = n * n;
  std::string const g = detail::dataset_group_path(options.group);
  SampleShard const shard = shard_samples(N, comm);
  Shape const x_shape{N, n, n}, y_shape{N, T, n, n};
  Tensor<Kokkos::HostSpace, double> x("kono::generate_navier_stokes_dataset::x", x_shape.with_extent(0, shard.count));
  Tensor<Kokkos::HostSpace, double> y("kono::generate_navier_stokes_dataset::y", y_shape.with_extent(0, shard.count));
  std::vector<std::int64_t> steps(std::size_t(N), 0), rejected(std::size_t(N), 0), reasons(std::size_t(N), 0),
      rhs_evals(std::size_t(N), 0), failed(std::size_t(N), 0);
  std::vector<double> final_time(std::size_t(N), 0.0), seconds(std::size_t(N), 0.0);
  // TS settings as PETSc applied them (after the options database), from rank 0.
  char ts_type[64] = "", adapt_type[64] = "";
  double tol[2] = {0, 0};  // rtol, atol
  int imex = 0;

  GaussianRandomField grf(field_options(options));
  double* xv = x.data().data();
  double* yv = y.data().data();
  Impl::collective_check(comm, [&] {
    if (shard.count == 0) return;
    // Sample k is a function of (seed, k) alone and each trajectory gets a fresh TS, so the
    // bits do not depend on the rank count.
    NavierStokesSolver solver(solver_options(options));
    auto const start = std::chrono::steady_clock::now();
    auto last = start;
    for (index_t s = 0; s < shard.count; ++s) {
      index_t const k = shard.first + s;
      double* w0 = xv + s * per_field;
      grf.sample_into(options.seed, k, w0);
      NavierStokesSolveInfo const info = solver.solve(w0, times, yv + s * T * per_field, k);
      std::size_t const ks = std::size_t(k);
      steps[ks] = info.steps;
      rejected[ks] = info.rejected_steps;
      reasons[ks] = info.converged_reason;
      rhs_evals[ks] = info.rhs_evaluations;
      failed[ks] = info.converged ? 0 : 1;
      final_time[ks] = info.final_time;
      seconds[ks] = info.seconds;
      if (ts_type[0] == '\0') {
        std::snprintf(ts_type, sizeof ts_type, "%s", solver.ts_type().c_str());
        std::snprintf(adapt_type, sizeof adapt_type, "%s", solver.adapt_type().c_str());
        tol[0] = solver.rtol();
        tol[1] = solver.atol();
        imex = solver.imex() ? 1 : 0;
      }
      auto const now = std::chrono::steady_clock::now();
      if (rank == 0 && options.progress_seconds > 0 &&
          std::chrono::duration<double>(now - last).count() >= options.progress_seconds) {
        last = now;
        double const elapsed = std::chrono::duration<double>(now - start).count();
        double const per = elapsed / double(s + 1);
        std::printf("kono generate navier-stokes: %lld/%lld samples on rank 0 (%lld in total), %.3g s per "
                    "trajectory, %.3g samples/s on %d rank(s), ETA %.0f s\n",
                    static_cast<long long>(s + 1), static_cast<long long>(shard.count), static_cast<long long>(N), per,
                    double(size) / per, size, per * double(shard.count - s - 1));
        std::fflush(stdout);
      }
    }
  });

  // Per-sample diagnostics: each rank filled its own entries (zeros elsewhere).
  for (auto* v : {&steps, &rejected, &reasons, &rhs_evals, &failed})
    MPI_Allreduce(MPI_IN_PLACE, v->data(), int(N), MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, final_time.data(), int(N), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, seconds.data(), int(N), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Bcast(ts_type, sizeof ts_type, MPI_CHAR, 0, comm);
  MPI_Bcast(adapt_type, sizeof adapt_type, MPI_CHAR, 0, comm);
  MPI_Bcast(tol, 2, MPI_DOUBLE, 0, comm);
  MPI_Bcast(&imex, 1, MPI_INT, 0, comm);

  // Writing: one collective transfer per dataset, then provenance, then the atomic rename.
  Hdf5Writer w(options.out, comm);
  w.write_samples(g + "/x", x_shape, x, shard.first, options.dtype);
  w.write_samples(g + "/y", y_shape, y, shard.first, options.dtype);
  std::vector<double> c(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) c[std::size_t(i)] = double(i) / double(n);
  w.write_array(g + "/coords/x0", Shape{n}, c);
  w.write_array(g + "/coords/x1", Shape{n}, c);
  w.write_array(g + "/coords/t", Shape{T}, times);
  w.write_array(g + "/solver/steps", Shape{N}, steps);
  w.write_array(g + "/solver/rejected_steps", Shape{N}, rejected);
  w.write_array(g + "/solver/converged_reason", Shape{N}, reasons);
  w.write_array(g + "/solver/rhs_evaluations", Shape{N}, rhs_evals);
  w.write_array(g + "/solver/failed", Shape{N}, failed);
  w.write_array(g + "/solver/final_time", Shape{N}, final_time);
  w.write_array(g + "/solver/seconds", Shape{N}, seconds);

  std::string const obj = g.empty() ? "/" : g;
  auto const& fo = grf.options();
  auto const& so = options.solver;
  w.write_attribute(obj, "problem", "navier-stokes");
  w.write_attribute(obj, "equation",
                    so.forcing ? "w_t + u.grad w = nu Lap w + f, u = (psi_x1, -psi_x0), -Lap psi = w on the periodic "
                                 "unit square, f = 0.1 (sin 2pi(x0+x1) + cos 2pi(x0+x1))"
                               : "w_t + u.grad w = nu Lap w, u = (psi_x1, -psi_x0), -Lap psi = w on the periodic unit "
                                 "square (no forcing)");
  w.write_attribute(obj, "x_description", "initial vorticity w(t = 0) at the points, [N, n, n]");
  w.write_attribute(obj, "y_description", "vorticity at the output times coords/t, [N, T, n, n]");
  w.write_attribute(obj, "dim", std::int64_t(2));
  w.write_attribute(obj, "resolution", std::int64_t(n));
  w.write_attribute(obj, "samples", std::int64_t(N));
  w.write_attribute(obj, "nu", so.nu);
  w.write_attribute(obj, "forcing", so.forcing ? "0.1 (sin 2pi(x0+x1) + cos 2pi(x0+x1))" : "none");
  w.write_attribute(obj, "times", times);
  w.write_attribute(obj, "seed", std::to_string(options.seed));
  w.write_attribute(obj, "rng", "sample k: SplitMix64 hash of (seed, k); Box-Muller normals, counter based");
  w.write_attribute(obj, "grid", "n points per axis at x_j = j/n, periodic; C order, axis 0 = x0, axis 1 = x1");
  w.write_attribute(obj, "discretisation",
                    "pseudo-spectral Fourier (FFTW r2c/c2r), advection u.grad w computed in physical space and "
                    "dealiased by the 2/3 rule (keep |m_a| <= (2/3) floor(n/2) on both axes), its mean removed; "
                    "Nyquist mode of first derivatives set to 0; the state is w at the points");
  w.write_attribute(obj, "time_integration",
                    imex ? "PETSc TS, IMEX split: nu Lap w implicit (exact FFT solve per stage), advection and "
                           "forcing explicit; steps hit the output times exactly (MATCHSTEP)"
                         : "PETSc TS, whole right-hand side explicit; steps hit the output times exactly (MATCHSTEP)");
  w.write_attribute(obj, "ts_type", std::string(ts_type));
  w.write_attribute(obj, "ts_adapt_type", std::string(adapt_type));
  w.write_attribute(obj, "ts_rtol", tol[0]);
  w.write_attribute(obj, "ts_atol", tol[1]);
  w.write_attribute(obj, "ts_initial_dt", so.initial_dt);
  w.write_attribute(obj, "ts_max_steps", std::int64_t(so.max_steps));
  w.write_attribute(obj, "petsc_options_prefix", so.options_prefix);
  w.write_attribute(obj, "grf_covariance", "sigma^2 (-Laplacian + tau^2 I)^(-alpha), periodic, constant mode removed");
  w.write_attribute(obj, "grf_alpha", fo.alpha);
  w.write_attribute(obj, "grf_tau", fo.tau);
  w.write_attribute(obj, "grf_sigma", fo.effective_sigma());
  w.write_attribute(obj, "grf_boundary", to_string(fo.boundary));
  w.write_attribute(obj, "mpi_ranks", std::int64_t(size));
  w.write_attribute(obj, "parallel_mode", "samples");
  w.write_attribute(obj, "divergence_policy",
                    options.on_divergence == NavierStokesDivergencePolicy::stop ? "stop" : "record");
  w.write_attribute(obj, "steps_max", *std::max_element(steps.begin(), steps.end()));
  w.write_attribute(obj, "steps_min", *std::min_element(steps.begin(), steps.end()));
  w.write_attribute(obj, "steps", steps);
  w.write_attribute(obj, "failed_samples", std::int64_t(std::count(failed.begin(), failed.end(), 1)));
  detail::write_run_provenance(w, obj, options.command_line, comm);
  w.commit();

  NavierStokesDatasetReport report;
  report.samples = N;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.steps.assign(steps.begin(), steps.end());
  report.rejected_steps.assign(rejected.begin(), rejected.end());
  report.converged_reasons.assign(reasons.begin(), reasons.end());
  report.failed.assign(failed.begin(), failed.end());
  report.sample_seconds = seconds;
  report.ts_type = ts_type;
  report.adapt_type = adapt_type;
  report.rtol = tol[0];
  report.atol = tol[1];
  return report;
}

}  // namespace kono
