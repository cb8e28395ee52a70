#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <kono/core/config.hpp>
#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/core/tensor.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/sample_shard.hpp>
#include "dataset_common.hpp"
#include <kono/solvers/navier_stokes_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/mac_coarsening.hpp>
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

double nu_of(NavierStokesDatasetOptions const& o, index_t k) {
  return o.nu_list.empty() ? o.solver.nu : o.nu_list[std::size_t(k) % o.nu_list.size()];
}
double amplitude_of(NavierStokesDatasetOptions const& o, index_t k) {
  return o.forcing_amplitude_list.empty() ? o.solver.forcing_amplitude
                                          : o.forcing_amplitude_list[std::size_t(k) % o.forcing_amplitude_list.size()];
}
bool kolmogorov(NavierStokesDatasetOptions const& o) { return o.solver.setup == NavierStokesSetup::kolmogorov; }

// Output times of the one TS run per sample: the end of the warm-up, then warmup + t_i.
std::vector<double> solve_times(NavierStokesDatasetOptions const& o) {
  std::vector<double> t{o.warmup};
  for (double ti : o.solver.times)
    if (ti > 0) t.push_back(o.warmup + ti);
  return t;
}

// Initial vorticities from a file: [M, n, n] or [n, n], read whole on every rank that needs them.
std::vector<double> read_initial(NavierStokesDatasetOptions const& o, index_t& count) {
  char const* fq = "kono::generate_navier_stokes_dataset";
  index_t const n = o.solver.resolution;
  Hdf5File f(o.initial_file, MPI_COMM_SELF);
  KONO_USER_REQUIRE(f.has_dataset(o.initial_dataset), invalid_argument,
                    fq << ": initial vorticity: no dataset \"" << o.initial_dataset << "\" in " << o.initial_file);
  Shape const sh = f.dataset_info(o.initial_dataset).shape;
  bool const ok = (sh.rank() == 2 && sh[0] == n && sh[1] == n) || (sh.rank() == 3 && sh[1] == n && sh[2] == n && sh[0] >= 1);
  KONO_USER_REQUIRE(ok, size_mismatch,
                    fq << ": initial vorticity " << o.initial_file << ":" << o.initial_dataset << " has shape "
                       << sh.to_string() << ", expected [M, " << n << ", " << n << "] or [" << n << ", " << n << "]");
  count = sh.rank() == 2 ? 1 : sh[0];
  std::vector<double> v = f.read_array<double>(o.initial_dataset);
  for (std::size_t i = 0; i < v.size(); ++i)
    KONO_USER_REQUIRE(std::isfinite(v[i]), non_finite,
                      fq << ": initial vorticity " << o.initial_file << ":" << o.initial_dataset << " value " << i
                         << " is not finite");
  return v;
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
  KONO_USER_REQUIRE(std::isfinite(warmup) && warmup >= 0, invalid_argument,
                    fq << ": warmup = " << warmup << ", expected a finite time >= 0");
  for (std::size_t i = 0; i < nu_list.size(); ++i)
    KONO_USER_REQUIRE(std::isfinite(nu_list[i]) && nu_list[i] >= 0, invalid_argument,
                      fq << ": nu_list[" << i << "] = " << nu_list[i] << ", expected a finite viscosity >= 0");
  for (std::size_t i = 0; i < forcing_amplitude_list.size(); ++i)
    KONO_USER_REQUIRE(std::isfinite(forcing_amplitude_list[i]), invalid_argument,
                      fq << ": forcing_amplitude_list[" << i << "] = " << forcing_amplitude_list[i] << " is not finite");
  KONO_USER_REQUIRE(coarse.empty() || solver.setup == NavierStokesSetup::kolmogorov, invalid_argument,
                    fq << ": coarse MAC states need the Kolmogorov set-up (axis 0 = y, axis 1 = x); the set-up is "
                       << to_string(solver.setup));
  validate_mac_coarse_resolutions(solver.resolution, coarse, "kono::generate_navier_stokes_dataset: coarse");
  KONO_USER_REQUIRE(store_dns_every >= 0, invalid_argument,
                    fq << ": store_dns_every = " << store_dns_every << ", expected >= 0 (0: no DNS snapshots)");
  KONO_USER_REQUIRE(std::isfinite(max_velocity) && max_velocity >= 0, invalid_argument,
                    fq << ": max_velocity = " << max_velocity << ", expected >= 0 (0: the GRF initial field)");
  KONO_USER_REQUIRE(std::isfinite(peak_wavenumber) && peak_wavenumber > 0, invalid_argument,
                    fq << ": peak_wavenumber = " << peak_wavenumber << ", expected > 0");
  KONO_USER_REQUIRE(initial_file.empty() == initial_dataset.empty(), invalid_argument,
                    fq << ": initial_file = \"" << initial_file << "\" and initial_dataset = \"" << initial_dataset
                       << "\": give both or neither");
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
  std::vector<double> const tsolve = solve_times(options);
  index_t const offset = times.front() > 0 ? 1 : 0;  // trajectory entry of times[0]
  index_t const every = options.store_dns_every;
  std::vector<double> t_dns;
  for (index_t i = 0; every > 0 && i < T; i += every) t_dns.push_back(times[std::size_t(i)]);
  index_t const Td = index_t(t_dns.size());
  std::size_t const nco = options.coarse.size();
  std::string const g = detail::dataset_group_path(options.group);
  SampleShard const shard = shard_samples(N, comm);
  Shape const x_shape{N, n, n}, y_shape{N, Td, n, n};
  Tensor<Kokkos::HostSpace, double> x("kono::generate_navier_stokes_dataset::x", x_shape.with_extent(0, shard.count));
  Tensor<Kokkos::HostSpace, double> y("kono::generate_navier_stokes_dataset::y", y_shape.with_extent(0, shard.count));
  std::vector<Tensor<Kokkos::HostSpace, double>> cvel, cvort;
  for (index_t nc : options.coarse) {
    cvel.emplace_back("kono::generate_navier_stokes_dataset::coarse_velocity", Shape{shard.count, T, 2, nc, nc});
    cvort.emplace_back("kono::generate_navier_stokes_dataset::coarse_vorticity", Shape{shard.count, T, nc, nc});
  }
  std::vector<std::int64_t> steps(std::size_t(N), 0), rejected(std::size_t(N), 0), reasons(std::size_t(N), 0),
      rhs_evals(std::size_t(N), 0), failed(std::size_t(N), 0);
  std::vector<double> final_time(std::size_t(N), 0.0), seconds(std::size_t(N), 0.0);
  std::vector<double> nus(static_cast<std::size_t>(N)), amps(static_cast<std::size_t>(N));
  for (index_t k = 0; k < N; ++k) {
    nus[std::size_t(k)] = nu_of(options, k);
    amps[std::size_t(k)] = amplitude_of(options, k);
  }
  // TS settings as PETSc applied them (after the options database), from rank 0.
  char ts_type[64] = "", adapt_type[64] = "", ts_subtype[64] = "";
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
    std::unique_ptr<MacCoarsening> mac;
    if (nco) mac = std::make_unique<MacCoarsening>(n, options.solver.domain_length, options.coarse);
    index_t initial_count = 0;
    std::vector<double> initial;
    if (!options.initial_file.empty()) initial = read_initial(options, initial_count);
    std::vector<double> w0(static_cast<std::size_t>(per_field));
    std::vector<double> traj(tsolve.size() * std::size_t(per_field));
    auto const start = std::chrono::steady_clock::now();
    auto last = start;
    for (index_t s = 0; s < shard.count; ++s) {
      index_t const k = shard.first + s;
      std::size_t const ks = std::size_t(k);
      solver.set_parameters(nus[ks], amps[ks]);
      if (!initial.empty())
        std::copy_n(initial.begin() + (k % initial_count) * per_field, per_field, w0.begin());
      else if (options.max_velocity > 0)
        solver.random_initial_vorticity(options.seed, k, options.peak_wavenumber, options.max_velocity, w0.data());
      else
        grf.sample_into(options.seed, k, w0.data());
      NavierStokesSolveInfo const info = solver.solve(w0.data(), tsolve, traj.data(), k);
      std::copy_n(traj.begin(), per_field, xv + s * per_field);
      for (index_t i = 0; i < Td; ++i)
        std::copy_n(traj.begin() + (offset + i * every) * per_field, per_field, yv + (s * Td + i) * per_field);
      for (std::size_t c = 0; c < nco; ++c) {
        index_t const nc = options.coarse[c];
        double* vel = cvel[c].data().data();
        double* vort = cvort[c].data().data();
        for (index_t i = 0; i < T; ++i) {
          mac->set_vorticity(traj.data() + (offset + i) * per_field);
          double* vi = vel + (s * T + i) * 2 * nc * nc;
          mac->velocity(c, vi);
          mac_corner_vorticity(nc, options.solver.domain_length, vi, vort + (s * T + i) * nc * nc);
        }
      }
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
        std::snprintf(ts_subtype, sizeof ts_subtype, "%s", solver.ts_subtype().c_str());
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
  MPI_Bcast(ts_subtype, sizeof ts_subtype, MPI_CHAR, 0, comm);
  MPI_Bcast(tol, 2, MPI_DOUBLE, 0, comm);
  MPI_Bcast(&imex, 1, MPI_INT, 0, comm);

  // Writing: one collective transfer per dataset, then provenance, then the atomic rename.
  Hdf5Writer w(options.out, comm);
  w.write_samples(g + "/x", x_shape, x, shard.first, options.dtype);
  if (Td > 0) w.write_samples(g + "/y", y_shape, y, shard.first, options.dtype);
  for (std::size_t c = 0; c < nco; ++c) {
    index_t const nc = options.coarse[c];
    std::string const cg = g + "/coarse_" + std::to_string(nc);
    w.write_samples(cg + "/velocity", Shape{N, T, 2, nc, nc}, cvel[c], shard.first, options.dtype);
    w.write_samples(cg + "/vorticity", Shape{N, T, nc, nc}, cvort[c], shard.first, options.dtype);
    double const H = options.solver.domain_length / double(nc);
    w.write_attribute(cg, "layout",
                      "MAC grid, cell width H = L/nc; velocity [N, T, 2, nc, nc]: channel 0 u[j][i] = mean over y in "
                      "[jH, (j+1)H] of u(x = iH, y), channel 1 v[j][i] = mean over x in [iH, (i+1)H] of v(x, y = jH); "
                      "vorticity [N, T, nc, nc] at the corners (iH, jH): (v[j][i] - v[j][i-1])/H - (u[j][i] - "
                      "u[j-1][i])/H, periodic");
    w.write_attribute(cg, "cell_width", H);
    w.write_attribute(cg, "resolution", std::int64_t(nc));
  }
  std::vector<double> c(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) c[std::size_t(i)] = options.solver.domain_length * double(i) / double(n);
  w.write_array(g + "/coords/x0", Shape{n}, c);
  w.write_array(g + "/coords/x1", Shape{n}, c);
  w.write_array(g + "/coords/t", Shape{T}, times);
  if (every > 1) w.write_array(g + "/coords/t_dns", Shape{Td}, t_dns);
  if (kolmogorov(options) || !options.nu_list.empty() || !options.forcing_amplitude_list.empty()) {
    w.write_array(g + "/params/nu", Shape{N}, nus);
    w.write_array(g + "/params/forcing_amplitude", Shape{N}, amps);
  }
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
  bool const kol = kolmogorov(options);
  if (kol)
    w.write_attribute(obj, "equation",
                      std::string("w_t + u.grad w = nu Lap w - drag w + f on [0, L)^2 periodic, density 1; axis 0 = y, "
                                  "axis 1 = x; -Lap psi = w, u = psi_y, v = -psi_x, w = v_x - u_y; ") +
                          (so.forcing ? "f = curl (A sin(k' y), 0) = -A k' cos(k' y), k' = 2 pi k / L" : "f = 0"));
  else
    w.write_attribute(obj, "equation",
                      so.forcing ? "w_t + u.grad w = nu Lap w + f, u = (psi_x1, -psi_x0), -Lap psi = w on the periodic "
                                   "unit square, f = 0.1 (sin 2pi(x0+x1) + cos 2pi(x0+x1))"
                                 : "w_t + u.grad w = nu Lap w, u = (psi_x1, -psi_x0), -Lap psi = w on the periodic unit "
                                   "square (no forcing)");
  w.write_attribute(obj, "x_description",
                    options.warmup > 0 ? "vorticity at the end of the warm-up (t = 0) at the points, [N, n, n]"
                                       : "initial vorticity w(t = 0) at the points, [N, n, n]");
  w.write_attribute(obj, "y_description",
                    every > 1 ? "vorticity at the output times coords/t_dns (every store_dns_every-th of coords/t), [N, T', n, n]"
                              : "vorticity at the output times coords/t, [N, T, n, n]");
  w.write_attribute(obj, "setup", to_string(so.setup));
  w.write_attribute(obj, "domain_length", so.domain_length);
  w.write_attribute(obj, "drag", so.drag);
  w.write_attribute(obj, "warmup", options.warmup);
  w.write_attribute(obj, "dns_resolution", std::int64_t(n));
  w.write_attribute(obj, "store_dns_every", std::int64_t(every));
  {
    std::vector<std::int64_t> cl(options.coarse.begin(), options.coarse.end());
    w.write_attribute(obj, "coarse", cl);
  }
  if (kol) {
    w.write_attribute(obj, "forcing_wavenumber", std::int64_t(so.forcing_wavenumber));
    w.write_attribute(obj, "forcing_amplitude",
                      options.forcing_amplitude_list.empty() ? std::vector<double>{so.forcing_amplitude}
                                                             : options.forcing_amplitude_list);
    w.write_attribute(obj, "nu_list", options.nu_list.empty() ? std::vector<double>{so.nu} : options.nu_list);
    w.write_attribute(obj, "params_rule", "sample k uses list entry k mod len (params/nu, params/forcing_amplitude)");
  }
  if (!options.initial_file.empty())
    w.write_attribute(obj, "initial_condition", "file " + options.initial_file + ":" + options.initial_dataset);
  else if (options.max_velocity > 0) {
    w.write_attribute(obj, "initial_condition",
                      "filtered velocity field (jax-cfd style): log-normal spectral amplitude peaked at "
                      "peak_wavenumber, scaled to max |u| = max_velocity; counter-based normals of (seed, k)");
    w.write_attribute(obj, "initial_max_velocity", options.max_velocity);
    w.write_attribute(obj, "initial_peak_wavenumber", options.peak_wavenumber);
  } else
    w.write_attribute(obj, "initial_condition", "Gaussian random field (grf_* attributes)");
  w.write_attribute(obj, "dim", std::int64_t(2));
  w.write_attribute(obj, "resolution", std::int64_t(n));
  w.write_attribute(obj, "samples", std::int64_t(N));
  w.write_attribute(obj, "nu", options.nu_list.empty() ? so.nu : options.nu_list.front());
  w.write_attribute(obj, "forcing", !so.forcing ? "none"
                                    : kol      ? "kolmogorov: velocity (A sin(k' y), 0), k' = 2 pi forcing_wavenumber / L"
                                               : "0.1 (sin 2pi(x0+x1) + cos 2pi(x0+x1))");
  w.write_attribute(obj, "times", times);
  w.write_attribute(obj, "seed", std::to_string(options.seed));
  w.write_attribute(obj, "rng", "sample k: SplitMix64 hash of (seed, k); Box-Muller normals, counter based");
  w.write_attribute(obj, "grid", kol ? "n points per axis at x_j = j L/n, periodic; C order [y, x], axis 0 = y, axis 1 = x"
                                    : "n points per axis at x_j = j/n, periodic; C order, axis 0 = x0, axis 1 = x1");
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
  w.write_attribute(obj, "ts_subtype", std::string(ts_subtype));
  w.write_attribute(obj, "ts_rtol", tol[0]);
  w.write_attribute(obj, "ts_atol", tol[1]);
  w.write_attribute(obj, "ts_initial_dt", so.initial_dt);
  w.write_attribute(obj, "ts_max_steps", std::int64_t(so.max_steps));
  w.write_attribute(obj, "petsc_options_prefix", so.options_prefix);
  if (options.initial_file.empty() && options.max_velocity <= 0) {  // the GRF made w0
    w.write_attribute(obj, "grf_covariance", "sigma^2 (-Laplacian + tau^2 I)^(-alpha), periodic, constant mode removed");
    w.write_attribute(obj, "grf_alpha", fo.alpha);
    w.write_attribute(obj, "grf_tau", fo.tau);
    w.write_attribute(obj, "grf_sigma", fo.effective_sigma());
    w.write_attribute(obj, "grf_boundary", to_string(fo.boundary));
  }
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
