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
#include <kono/solvers/darcy_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace kono {

char const* to_string(DarcyCoefficient c) noexcept {
  switch (c) {
    case DarcyCoefficient::threshold: return "threshold";
    case DarcyCoefficient::lognormal: return "lognormal";
  }
  return "unknown";
}

char const* to_string(DarcyParallelMode m) noexcept {
  switch (m) {
    case DarcyParallelMode::samples: return "samples";
    case DarcyParallelMode::decomposed: return "decomposed";
  }
  return "unknown";
}

namespace {

GaussianRandomFieldOptions field_options(DarcyDatasetOptions const& o) {
  GaussianRandomFieldOptions f;
  f.dim = o.dim;
  f.resolution = o.resolution;
  f.alpha = o.alpha;
  f.tau = o.tau;
  f.sigma = o.sigma;
  f.boundary = o.field_boundary;
  f.max_wavenumber = o.field_max_wavenumber < 0 ? darcy_default_max_wavenumber(o.dim) : o.field_max_wavenumber;
  return f;
}

DarcySolverOptions solver_options(DarcyDatasetOptions const& o) {
  DarcySolverOptions s = o.solver;
  s.dim = o.dim;
  s.resolution = o.resolution;
  s.forcing = o.forcing;
  s.throw_on_divergence = o.on_divergence == DarcyDivergencePolicy::stop;
  return s;
}

void make_coefficient(DarcyDatasetOptions const& o, std::vector<double> const& field, std::vector<double>& a) {
  if (o.coefficient == DarcyCoefficient::threshold)
    threshold_coefficient(field, a, o.high, o.low);
  else
    lognormal_coefficient(field, a, o.lognormal_scale);
}

// Rank 0's progress line, at most every `interval` seconds.
class Progress {
 public:
  Progress(double interval, index_t local_total, index_t global_total, int rank, int size)
      : m_interval(interval), m_local_total(local_total), m_global_total(global_total), m_rank(rank), m_size(size),
        m_start(std::chrono::steady_clock::now()), m_last(m_start) {}
  void update(index_t local_done, bool decomposed) {
    if (m_rank != 0 || m_interval <= 0) return;
    auto const now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - m_last).count() < m_interval) return;
    m_last = now;
    double const elapsed = std::chrono::duration<double>(now - m_start).count();
    // Sample-parallel ranks progress alike, so rank 0's rate times the rank count estimates the whole.
    double const rate = local_done / std::max(elapsed, 1e-9) * (decomposed ? 1 : m_size);
    double const eta = (m_local_total - local_done) * elapsed / std::max<double>(double(local_done), 1.0);
    std::printf("kono generate darcy: %lld/%lld samples on rank 0 (%lld in total), %.3g samples/s, ETA %.0f s\n",
                static_cast<long long>(local_done), static_cast<long long>(m_local_total),
                static_cast<long long>(m_global_total), rate, eta);
    std::fflush(stdout);
  }

 private:
  double m_interval;
  index_t m_local_total, m_global_total;
  int m_rank, m_size;
  std::chrono::steady_clock::time_point m_start, m_last;
};

}  // namespace

void DarcyDatasetOptions::validate() const {
  char const* fq = "kono::generate_darcy_dataset";
  detail::validate_dataset_output(fq, out, samples, dtype, group);
  KONO_USER_REQUIRE(dim == 2 || dim == 3, invalid_argument, fq << ": dim = " << dim << ", expected 2 or 3");
  KONO_USER_REQUIRE(resolution >= darcy_min_resolution, invalid_argument,
                    fq << ": resolution = " << resolution << " nodes per axis, expected at least "
                       << darcy_min_resolution);
  KONO_USER_REQUIRE(field_max_wavenumber >= -1, invalid_argument,
                    fq << ": field_max_wavenumber = " << field_max_wavenumber
                       << ", expected -1 (default cutoff), 0 (the grid's) or a cutoff > 0");
  KONO_USER_REQUIRE(std::isfinite(forcing), invalid_argument, fq << ": forcing = " << forcing << " is not finite");
  if (coefficient == DarcyCoefficient::threshold) {
    KONO_USER_REQUIRE(std::isfinite(high) && high > 0 && std::isfinite(low) && low > 0, invalid_argument,
                      fq << ": phase values high = " << high << ", low = " << low << ", expected finite values > 0");
  } else {
    KONO_USER_REQUIRE(std::isfinite(lognormal_scale), invalid_argument,
                      fq << ": lognormal_scale = " << lognormal_scale << " is not finite");
  }
  try {
    field_options(*this).validate();
    solver_options(*this).validate();
  } catch (Error const& e) {
    KONO_THROW(invalid_argument, fq << ": " << e.what());
  }
}

DarcyDatasetReport generate_darcy_dataset(DarcyDatasetOptions const& options, MPI_Comm comm) {
  options.validate();
  detail::require_petsc("kono::generate_darcy_dataset");
  auto const t0 = std::chrono::steady_clock::now();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  index_t const N = options.samples, n = options.resolution;
  int const d = options.dim;
  index_t const per_sample = d == 2 ? n * n : n * n * n;
  std::string const g = detail::dataset_group_path(options.group);
  SampleShard const shard = shard_samples(N, comm);
  Shape const global = d == 2 ? Shape{N, n, n} : Shape{N, n, n, n};
  Tensor<Kokkos::HostSpace, double> x("kono::generate_darcy_dataset::x", global.with_extent(0, shard.count));
  Tensor<Kokkos::HostSpace, double> y("kono::generate_darcy_dataset::y", global.with_extent(0, shard.count));
  std::vector<std::int64_t> iterations(std::size_t(N), 0), reasons(std::size_t(N), 0);
  std::vector<double> residuals(std::size_t(N), 0.0);
  // Solver settings as PETSc applied them (after the options database), from rank 0.
  char ksp_type[64] = "", pc_type[64] = "";
  double tol[3] = {0, 0, 0};  // rtol, atol, max_it
  Progress progress(options.progress_seconds, options.mode == DarcyParallelMode::samples ? shard.count : N, N, rank,
                    size);

  auto record = [&](DarcySolver const& s, DarcySolveInfo const& info) {
    iterations[std::size_t(info.sample)] = info.iterations;
    residuals[std::size_t(info.sample)] = info.residual_norm;
    reasons[std::size_t(info.sample)] = info.converged_reason;
    if (ksp_type[0] == '\0') {
      std::snprintf(ksp_type, sizeof ksp_type, "%s", s.ksp_type().c_str());
      std::snprintf(pc_type, sizeof pc_type, "%s", s.pc_type().c_str());
      tol[0] = s.rtol();
      tol[1] = s.atol();
      tol[2] = s.max_iterations();
    }
  };

  GaussianRandomField grf(field_options(options));
  std::vector<double> field(static_cast<std::size_t>(per_sample)), a(static_cast<std::size_t>(per_sample));
  double* xv = x.data().data();
  double* yv = y.data().data();
  if (options.mode == DarcyParallelMode::samples) {
    // Each rank solves its own contiguous block on PETSC_COMM_SELF. Sample k is a function of
    // (seed, k) alone and the solve starts from 0, so the bits do not depend on the rank count.
    Impl::collective_check(comm, [&] {
      if (shard.count == 0) return;
      DarcySolver solver(PETSC_COMM_SELF, solver_options(options));
      for (index_t s = 0; s < shard.count; ++s) {
        index_t const k = shard.first + s;
        grf.sample_into(options.seed, k, field.data());
        make_coefficient(options, field, a);
        std::copy(a.begin(), a.end(), xv + s * per_sample);
        DarcySolveInfo const info = solver.solve(a.data(), yv + s * per_sample, k);
        record(solver, info);
        progress.update(s + 1, false);
      }
    });
  } else {
    // All ranks solve each sample together; every rank synthesises the (replicated) coefficient
    // and keeps its owned block; the owner of sample k in the file's split gathers u.
    DarcySolver solver(comm, solver_options(options));
    auto const b = solver.owned_begin(), e = solver.owned_end();
    std::vector<double> a_owned(std::size_t(solver.owned_size())), u_owned(a_owned.size());
    for (index_t k = 0; k < N; ++k) {
      grf.sample_into(options.seed, k, field.data());
      make_coefficient(options, field, a);
      std::size_t idx = 0;
      for (index_t i0 = b[0]; i0 < e[0]; ++i0)
        for (index_t i1 = b[1]; i1 < e[1]; ++i1)
          for (index_t i2 = b[2]; i2 < e[2]; ++i2)
            a_owned[idx++] = a[std::size_t(d == 2 ? i0 * n + i1 : (i0 * n + i1) * n + i2)];
      DarcySolveInfo const info = solver.solve(a_owned.data(), u_owned.data(), k);
      record(solver, info);
      int owner = 0;
      for (int r = 0; r < size; ++r) {
        SampleShard const sh = shard_samples(N, r, size);
        if (k >= sh.first && k < sh.first + sh.count) owner = r;
      }
      std::vector<double> u_full = solver.gather(u_owned.data(), owner);
      if (rank == owner) {
        index_t const s = k - shard.first;
        std::copy(a.begin(), a.end(), xv + s * per_sample);
        std::copy(u_full.begin(), u_full.end(), yv + s * per_sample);
      }
      progress.update(k + 1, true);
    }
  }

  // Per-sample diagnostics: each rank filled its own entries (zeros elsewhere); in decomposed
  // mode every rank holds all of them already.
  if (options.mode == DarcyParallelMode::samples) {
    MPI_Allreduce(MPI_IN_PLACE, iterations.data(), int(N), MPI_INT64_T, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, reasons.data(), int(N), MPI_INT64_T, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, residuals.data(), int(N), MPI_DOUBLE, MPI_SUM, comm);
  }
  MPI_Bcast(ksp_type, sizeof ksp_type, MPI_CHAR, 0, comm);
  MPI_Bcast(pc_type, sizeof pc_type, MPI_CHAR, 0, comm);
  MPI_Bcast(tol, 3, MPI_DOUBLE, 0, comm);

  // Writing: one collective transfer per dataset, then provenance, then the atomic rename.
  Hdf5Writer w(options.out, comm);
  w.write_samples(g + "/x", global, x, shard.first, options.dtype);
  w.write_samples(g + "/y", global, y, shard.first, options.dtype);
  StructuredGrid const node_grid = StructuredGrid::unit_box(std::vector<index_t>(std::size_t(d), n),
                                                            std::vector<bool>(std::size_t(d), false));
  for (int axis = 0; axis < d; ++axis) {
    std::vector<double> c(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) c[std::size_t(i)] = node_grid.coordinate(axis, i);
    w.write_array(g + "/coords/x" + std::to_string(axis), Shape{n}, c);
  }
  w.write_array(g + "/solver/iterations", Shape{N}, iterations);
  w.write_array(g + "/solver/residual_norms", Shape{N}, residuals);
  w.write_array(g + "/solver/converged_reason", Shape{N}, reasons);

  std::string const obj = g.empty() ? "/" : g;
  auto const& fo = grf.options();
  w.write_attribute(obj, "problem", "darcy");
  w.write_attribute(obj, "equation", d == 2 ? "-div(a grad u) = f on (0,1)^2, u = 0 on the boundary"
                                            : "-div(a grad u) = f on (0,1)^3, u = 0 on the boundary");
  w.write_attribute(obj, "x_description", "coefficient a at the nodes");
  w.write_attribute(obj, "y_description", "solution u at the nodes (0 on boundary nodes)");
  w.write_attribute(obj, "dim", std::int64_t(d));
  w.write_attribute(obj, "resolution", std::int64_t(n));
  w.write_attribute(obj, "samples", std::int64_t(N));
  w.write_attribute(obj, "seed", std::to_string(options.seed));
  bool const consistent = fo.max_wavenumber > 0;
  w.write_attribute(obj, "rng",
                    consistent ? "sample k: SplitMix64 hash of (seed, k); the normal of each wave vector is a Box-Muller "
                                 "normal at a counter made of the wave vector (counter based, independent of the grid); "
                                 "resolution-consistent: the same (seed, k) gives the same continuous field at any resolution"
                               : "sample k: SplitMix64 hash of (seed, k); the normal of each wave vector is a Box-Muller "
                                 "normal at a counter made of the wave vector (counter based); the cutoff is the grid's, "
                                 "so the field depends on the resolution");
  w.write_attribute(obj, "grf_max_wavenumber", std::int64_t(grf.max_wavenumber()));
  w.write_attribute(obj, "grf_resolution_consistent", std::int64_t(consistent ? 1 : 0));
  w.write_attribute(obj, "grf_sampling",
                    consistent ? "continuous field truncated at wave numbers k_a <= grf_max_wavenumber, evaluated "
                                 "exactly at the nodes (modes the grid does not resolve are aliased as point sampling "
                                 "demands); identical at the shared points of any two resolutions"
                               : "all wave numbers the grid resolves (k_a <= N-1); finer grids add modes");
  w.write_attribute(obj, "grid", "N nodes per axis at x_i = i/(N-1), boundary nodes included; C order, axis 0 = x0");
  w.write_attribute(obj, "discretisation",
                    d == 2 ? "finite differences, 5-point stencil, edge coefficient = harmonic mean of the nodal a, "
                             "scaled by 1/h^2, h = 1/(N-1); Dirichlet u = 0 at boundary nodes"
                           : "finite differences, 7-point stencil, edge coefficient = harmonic mean of the nodal a, "
                             "scaled by 1/h^2, h = 1/(N-1); Dirichlet u = 0 at boundary nodes");
  w.write_attribute(obj, "forcing", options.forcing);
  w.write_attribute(obj, "coefficient", to_string(options.coefficient));
  if (options.coefficient == DarcyCoefficient::threshold) {
    w.write_attribute(obj, "coefficient_high", options.high);
    w.write_attribute(obj, "coefficient_low", options.low);
    w.write_attribute(obj, "coefficient_rule", "a = high where the field > 0, low elsewhere");
  } else {
    w.write_attribute(obj, "lognormal_scale", options.lognormal_scale);
    w.write_attribute(obj, "coefficient_rule", "a = exp(lognormal_scale * field)");
  }
  w.write_attribute(obj, "grf_covariance", "sigma^2 (-Laplacian + tau^2 I)^(-alpha), constant mode removed");
  w.write_attribute(obj, "grf_alpha", fo.alpha);
  w.write_attribute(obj, "grf_tau", fo.tau);
  w.write_attribute(obj, "grf_sigma", fo.effective_sigma());
  w.write_attribute(obj, "grf_boundary", to_string(fo.boundary));
  w.write_attribute(obj, "ksp_type", std::string(ksp_type));
  w.write_attribute(obj, "pc_type", std::string(pc_type));
  w.write_attribute(obj, "ksp_rtol", tol[0]);
  w.write_attribute(obj, "ksp_atol", tol[1]);
  w.write_attribute(obj, "ksp_max_it", std::int64_t(tol[2]));
  w.write_attribute(obj, "ksp_residual", "2-norm of b - A u (unpreconditioned) for CG unless -<prefix>ksp_norm_type");
  w.write_attribute(obj, "petsc_options_prefix", options.solver.options_prefix);
  w.write_attribute(obj, "parallel_mode", to_string(options.mode));
  w.write_attribute(obj, "mpi_ranks", std::int64_t(size));
  w.write_attribute(obj, "divergence_policy",
                    options.on_divergence == DarcyDivergencePolicy::stop ? "stop" : "record");
  w.write_attribute(obj, "iterations_max", *std::max_element(iterations.begin(), iterations.end()));
  w.write_attribute(obj, "iterations_min", *std::min_element(iterations.begin(), iterations.end()));
  w.write_attribute(obj, "residual_norm_max", *std::max_element(residuals.begin(), residuals.end()));
  detail::write_run_provenance(w, obj, options.command_line, comm);
  w.commit();

  DarcyDatasetReport report;
  report.samples = N;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.iterations.assign(iterations.begin(), iterations.end());
  report.residual_norms = residuals;
  report.converged_reasons.assign(reasons.begin(), reasons.end());
  report.ksp_type = ksp_type;
  report.pc_type = pc_type;
  report.rtol = tol[0];
  return report;
}

}  // namespace kono
