// kono generate navier-stokes: 2D vorticity trajectories of the FNO benchmark (periodic unit
// square, forcing 0.1 (sin 2pi(x+y) + cos 2pi(x+y)), w0 from a Gaussian random field) or of
// Kolmogorov flow (--ns.forcing=kolmogorov: Kochkov et al. 2021 / jax-cfd, [0, 2pi)^2, forcing
// (sin 4y, 0), drag 0.1, warm-up, coarse MAC states), solved pseudo-spectrally with PETSc TS,
// samples spread over the ranks. PETSc options (-ts_type, -ts_rtol, -ts_adapt_type, ...) apply
// without a prefix, as -ksp_type does for darcy.
//
//   mpiexec -n 2 kono generate navier-stokes --resolution=64 --samples=8 --ns.nu=1e-4 --out=ns.h5
//   mpiexec -n 2 kono generate navier-stokes --ns.forcing=kolmogorov --resolution=256 --samples=4
//       --ns.coarse=32,64 --ns.store_dns=every_10 --out=kolmogorov.h5
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <kono/core/error.hpp>
#include <kono/solvers/mac_coarsening.hpp>

#include "generate_navier_stokes.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> navier_stokes_option_specs() {
  return {
      {"ns.nu", "1e-3",
       "navier-stokes: viscosity nu >= 0 (FNO benchmark: 1e-3, 1e-4, 1e-5); a comma list gives sample k entry k mod len"},
      {"ns.times", "1,2,3,4,5,6,7,8,9,10",
       "navier-stokes: output times, comma list, increasing, counted from the end of the warm-up (y is [N, T, n, n]); "
       "kolmogorov default: --ns.dt_out x 0..--ns.steps_out"},
      {"ns.forcing", "true",
       "navier-stokes: true/fno: f = 0.1 (sin 2pi(x+y) + cos 2pi(x+y)) on the unit square; false/none: free decay; "
       "kolmogorov: Kochkov et al. 2021 (velocity forcing (A sin(k y), 0), drag, [0, 2pi)^2, axis 0 = y)"},
      {"ns.domain_length", "", "navier-stokes: L of the periodic domain [0, L)^2 (default: 1; kolmogorov: 2 pi)"},
      {"ns.forcing_amplitude", "1", "navier-stokes kolmogorov: A, comma list: sample k uses entry k mod len"},
      {"ns.forcing_wavenumber", "4", "navier-stokes kolmogorov: k of sin(k y) (periods per 2 pi)"},
      {"ns.drag", "", "navier-stokes: linear drag coefficient, -drag w (default: kolmogorov 0.1, else 0)"},
      {"ns.warmup", "", "navier-stokes: time integrated and discarded before t = 0 (default: kolmogorov 20, else 0)"},
      {"ns.dt_out", "", "navier-stokes: snapshot interval, replaces --ns.times by 0, dt, ..., steps_out dt "
                        "(default: kolmogorov 0.07)"},
      {"ns.steps_out", "", "navier-stokes: number of snapshot intervals with --ns.dt_out (default: kolmogorov 200)"},
      {"ns.coarse", "", "navier-stokes kolmogorov: coarse MAC resolutions, e.g. 32,64 (each divides n; n itself allowed)"},
      {"ns.store_dns", "all", "navier-stokes: DNS vorticity snapshots in y: all, every_K (every K-th time) or none"},
      {"ns.max_velocity", "",
       "navier-stokes: > 0: w0 is a filtered random velocity (jax-cfd) with this max |u| (default: kolmogorov 7; "
       "else 0 = the GRF)"},
      {"ns.peak_wavenumber", "4", "navier-stokes: spectral peak of the filtered random velocity (--ns.max_velocity)"},
      {"ns.initial", "", "navier-stokes: FILE:DATASET, w0 of sample k = entry k mod M of a [M, n, n] dataset"},
      {"ns.alpha", "2.5", "navier-stokes: w0 random field smoothness (covariance sigma^2 (-Laplacian + tau^2)^-alpha)"},
      {"ns.tau", "7", "navier-stokes: w0 random field inverse length scale"},
      {"ns.sigma", "-1", "navier-stokes: w0 random field amplitude (< 0: tau^(alpha - 1) = 7^1.5, FNO)"},
      {"ns.rtol", "1e-6", "navier-stokes: TS relative tolerance of the adaptive steps (-ts_rtol overrides)"},
      {"ns.atol", "1e-6", "navier-stokes: TS absolute tolerance (-ts_atol overrides)"},
      {"ns.max_steps", "10000000", "navier-stokes: TS step cap per trajectory (reaching it is a failure)"},
  };
}

namespace {
std::vector<double> parse_list(std::string const& option, std::string const& text) {
  std::vector<double> t;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    char* end = nullptr;
    double const v = std::strtod(item.c_str(), &end);
    KONO_USER_REQUIRE(!item.empty() && end && *end == '\0' && std::isfinite(v), invalid_argument,
                      "--" << option << "=" << text << ": \"" << item << "\" is not a number (expected e.g. 1,2,5)");
    t.push_back(v);
  }
  KONO_USER_REQUIRE(!t.empty(), invalid_argument, "--" << option << " is empty (expected e.g. 1,2,5)");
  return t;
}
std::vector<double> parse_times(std::string const& text) { return parse_list("ns.times", text); }
}  // namespace

NavierStokesDatasetOptions navier_stokes_options(Options const& opt) {
  KONO_USER_REQUIRE(opt.integer("dim") == 2, invalid_argument,
                    "--dim=" << opt.text("dim") << ": navier-stokes is 2D only");
  KONO_USER_REQUIRE(opt.text("mode") == "samples", invalid_argument,
                    "--mode=" << opt.text("mode") << ": navier-stokes solves whole samples per rank (mode samples)");
  NavierStokesDatasetOptions d;
  d.out = opt.text("out");
  d.group = opt.text("group");
  d.samples = index_t(opt.integer("samples"));
  d.seed = std::uint64_t(opt.integer("seed"));
  d.alpha = opt.real("ns.alpha");
  d.tau = opt.real("ns.tau");
  d.sigma = opt.real("ns.sigma");
  std::string const dtype = opt.text("dtype");
  KONO_USER_REQUIRE(dtype == "float32" || dtype == "float64", invalid_argument,
                    "--dtype=" << dtype << ": choose float32 or float64");
  d.dtype = dtype == "float32" ? Hdf5ElementType::float32 : Hdf5ElementType::float64;
  std::string const div = opt.text("on_divergence");
  KONO_USER_REQUIRE(div == "stop" || div == "record", invalid_argument,
                    "--on_divergence=" << div << ": choose stop or record");
  d.on_divergence = div == "stop" ? NavierStokesDivergencePolicy::stop : NavierStokesDivergencePolicy::record;
  d.solver.resolution = index_t(opt.integer("resolution"));
  std::vector<double> const nus = parse_list("ns.nu", opt.text("ns.nu"));
  for (double nu : nus)
    KONO_USER_REQUIRE(std::isfinite(nu) && nu >= 0, invalid_argument,
                      "--ns.nu=" << opt.text("ns.nu") << ": the viscosity must be a finite value >= 0 (" << nu << ")");
  d.solver.nu = nus.front();
  if (nus.size() > 1) d.nu_list = nus;
  std::string const forcing = opt.text("ns.forcing");
  bool const kol = forcing == "kolmogorov";
  if (kol) {
    d.solver.setup = NavierStokesSetup::kolmogorov;
    d.solver.forcing = true;
    // At 2 pi / n spacing the viscous term is not stiff below ~512^2 (nu k_max^2 = 16 at 256^2):
    // explicit rk 5dp took 1.5x less time than arkimex 4 at 256^2 (docs); -ts_type arkimex overrides.
    d.solver.ts_type = "rk";
    d.solver.rk_type = "5dp";
  } else if (forcing == "fno") {
    d.solver.forcing = true;
  } else if (forcing == "none") {
    d.solver.forcing = false;
  } else {
    try {
      d.solver.forcing = opt.flag("ns.forcing");
    } catch (Error const&) {
      KONO_THROW(invalid_argument, "--ns.forcing=" << forcing << ": choose true/fno, false/none or kolmogorov");
    }
  }
  auto real_or = [&](char const* key, double fallback) { return opt.given(key) ? opt.real(key) : fallback; };
  d.solver.domain_length = real_or("ns.domain_length", kol ? 2.0 * 3.14159265358979323846 : 1.0);
  KONO_USER_REQUIRE(std::isfinite(d.solver.domain_length) && d.solver.domain_length > 0, invalid_argument,
                    "--ns.domain_length=" << opt.text("ns.domain_length") << ": expected a length > 0");
  d.solver.drag = real_or("ns.drag", kol ? 0.1 : 0.0);
  KONO_USER_REQUIRE(std::isfinite(d.solver.drag) && d.solver.drag >= 0, invalid_argument,
                    "--ns.drag=" << opt.text("ns.drag") << ": the drag coefficient must be a finite value >= 0");
  std::vector<double> const amps = parse_list("ns.forcing_amplitude", opt.text("ns.forcing_amplitude"));
  d.solver.forcing_amplitude = amps.front();
  if (amps.size() > 1) d.forcing_amplitude_list = amps;
  long long const kf = opt.integer("ns.forcing_wavenumber");
  KONO_USER_REQUIRE(kf >= 1 && kf <= 1000000, invalid_argument,
                    "--ns.forcing_wavenumber=" << kf << ": expected a positive integer");
  d.solver.forcing_wavenumber = int(kf);
  d.warmup = real_or("ns.warmup", kol ? 20.0 : 0.0);
  KONO_USER_REQUIRE(std::isfinite(d.warmup) && d.warmup >= 0, invalid_argument,
                    "--ns.warmup=" << opt.text("ns.warmup") << ": expected a time >= 0");
  bool const by_interval = opt.given("ns.dt_out") || opt.given("ns.steps_out") || (kol && !opt.given("ns.times"));
  KONO_USER_REQUIRE(!(by_interval && opt.given("ns.times")), invalid_argument,
                    "--ns.times and --ns.dt_out/--ns.steps_out: give one or the other");
  if (by_interval) {
    double const dt = real_or("ns.dt_out", 0.07);
    long long const steps = opt.given("ns.steps_out") ? opt.integer("ns.steps_out") : 200;
    KONO_USER_REQUIRE(std::isfinite(dt) && dt > 0, invalid_argument,
                      "--ns.dt_out=" << opt.text("ns.dt_out") << ": expected an interval > 0");
    KONO_USER_REQUIRE(steps >= 0 && steps <= 1000000, invalid_argument,
                      "--ns.steps_out=" << steps << ": expected 0 .. 1e6 intervals");
    d.solver.times.clear();
    for (long long i = 0; i <= steps; ++i) d.solver.times.push_back(dt * double(i));
  } else {
    d.solver.times = parse_times(opt.text("ns.times"));
  }
  if (opt.given("ns.coarse") && !opt.text("ns.coarse").empty()) {
    for (long long c : opt.integers("ns.coarse")) d.coarse.push_back(index_t(c));
    KONO_USER_REQUIRE(kol, invalid_argument,
                      "--ns.coarse=" << opt.text("ns.coarse") << ": coarse MAC states need --ns.forcing=kolmogorov");
    KONO_USER_REQUIRE(!d.coarse.empty(), invalid_argument, "--ns.coarse is empty (expected e.g. 32,64)");
    validate_mac_coarse_resolutions(index_t(opt.integer("resolution")), d.coarse, "--ns.coarse");
  }
  std::string const store = opt.text("ns.store_dns");
  if (store == "all") {
    d.store_dns_every = 1;
  } else if (store == "none") {
    d.store_dns_every = 0;
  } else {
    std::string const num = store.rfind("every_", 0) == 0 ? store.substr(6) : store;
    char* end = nullptr;
    long long const k = std::strtoll(num.c_str(), &end, 10);
    KONO_USER_REQUIRE(!num.empty() && end && *end == '\0' && k >= 1, invalid_argument,
                      "--ns.store_dns=" << store << ": choose all, none or every_K with K >= 1");
    d.store_dns_every = index_t(k);
  }
  d.max_velocity = real_or("ns.max_velocity", kol ? 7.0 : 0.0);
  KONO_USER_REQUIRE(std::isfinite(d.max_velocity) && d.max_velocity >= 0, invalid_argument,
                    "--ns.max_velocity=" << opt.text("ns.max_velocity") << ": expected a speed >= 0 (0: the GRF)");
  d.peak_wavenumber = opt.real("ns.peak_wavenumber");
  KONO_USER_REQUIRE(std::isfinite(d.peak_wavenumber) && d.peak_wavenumber > 0, invalid_argument,
                    "--ns.peak_wavenumber=" << opt.text("ns.peak_wavenumber") << ": expected > 0");
  if (opt.given("ns.initial") && !opt.text("ns.initial").empty()) {
    std::string const init = opt.text("ns.initial");
    std::size_t const colon = init.rfind(':');
    KONO_USER_REQUIRE(colon != std::string::npos && colon > 0 && colon + 1 < init.size(), invalid_argument,
                      "--ns.initial=" << init << ": expected FILE:DATASET, e.g. w0.h5:/w0");
    d.initial_file = init.substr(0, colon);
    d.initial_dataset = init.substr(colon + 1);
  }
  d.solver.rtol = opt.real("ns.rtol");
  d.solver.atol = opt.real("ns.atol");
  d.solver.max_steps = opt.integer("ns.max_steps");
  d.solver.options_prefix = "";  // plain -ts_type / -ts_rtol / -ts_adapt_type from the command line apply
  d.command_line = "kono generate " + opt.command_line();
  return d;
}

GenerateResult generate_navier_stokes(Options const& opt, MPI_Comm comm) {
  NavierStokesDatasetOptions const d = navier_stokes_options(opt);
  d.validate();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0)
    std::cout << "kono generate: navier-stokes 2D (" << to_string(d.solver.setup) << "), " << d.samples
              << " samples at " << d.solver.resolution << "^2, nu " << d.solver.nu
              << (d.nu_list.size() > 1 ? " (list)" : "") << ", warm-up " << d.warmup << ", "
              << d.solver.times.size() << " output times up to t = " << d.solver.times.back() << ", seed " << d.seed
              << ", " << size << " rank(s)\n";
  NavierStokesDatasetReport const r = generate_navier_stokes_dataset(d, comm);
  GenerateResult g;
  g.path = d.out;
  g.samples = r.samples;
  g.seconds = r.seconds;
  double per_traj = 0, rejected = 0;
  int failed = 0;
  for (std::size_t k = 0; k < r.steps.size(); ++k) {
    g.mean_iterations += double(r.steps[k]) / double(r.steps.size());
    rejected += double(r.rejected_steps[k]) / double(r.steps.size());
    per_traj += r.sample_seconds[k] / double(r.steps.size());
    failed += r.failed[k];
  }
  if (rank == 0) {
    std::cout << "kono generate: wrote " << d.out << " (" << r.samples << " samples in " << r.seconds << " s, ts "
              << r.ts_type << ", adapt " << r.adapt_type << ", rtol " << r.rtol << ", atol " << r.atol << ", mean "
              << g.mean_iterations << " steps and " << rejected << " rejected per trajectory, " << per_traj
              << " s per trajectory";
    if (failed) std::cout << ", " << failed << " failed trajectories recorded";
    std::cout << ")\n";
  }
  return g;
}

}  // namespace kono::app
