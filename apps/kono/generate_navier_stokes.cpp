// kono generate navier-stokes: 2D vorticity trajectories of the FNO benchmark (periodic unit
// square, forcing 0.1 (sin 2pi(x+y) + cos 2pi(x+y)), w0 from a Gaussian random field), solved
// pseudo-spectrally with PETSc TS, samples spread over the ranks. PETSc options (-ts_type,
// -ts_rtol, -ts_adapt_type, ...) apply without a prefix, as -ksp_type does for darcy.
//
//   mpiexec -n 2 kono generate navier-stokes --resolution=64 --samples=8 --ns.nu=1e-4 --out=ns.h5
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <kono/core/error.hpp>

#include "generate_navier_stokes.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> navier_stokes_option_specs() {
  return {
      {"ns.nu", "1e-3", "navier-stokes: viscosity nu >= 0 (FNO benchmark: 1e-3, 1e-4, 1e-5)"},
      {"ns.times", "1,2,3,4,5,6,7,8,9,10", "navier-stokes: output times, comma list, increasing (y is [N, T, n, n])"},
      {"ns.forcing", "true", "navier-stokes: add f = 0.1 (sin 2pi(x+y) + cos 2pi(x+y)) (false: free decay)"},
      {"ns.alpha", "2.5", "navier-stokes: w0 random field smoothness (covariance sigma^2 (-Laplacian + tau^2)^-alpha)"},
      {"ns.tau", "7", "navier-stokes: w0 random field inverse length scale"},
      {"ns.sigma", "-1", "navier-stokes: w0 random field amplitude (< 0: tau^(alpha - 1) = 7^1.5, FNO)"},
      {"ns.rtol", "1e-6", "navier-stokes: TS relative tolerance of the adaptive steps (-ts_rtol overrides)"},
      {"ns.atol", "1e-6", "navier-stokes: TS absolute tolerance (-ts_atol overrides)"},
      {"ns.max_steps", "10000000", "navier-stokes: TS step cap per trajectory (reaching it is a failure)"},
  };
}

namespace {
std::vector<double> parse_times(std::string const& text) {
  std::vector<double> t;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    char* end = nullptr;
    double const v = std::strtod(item.c_str(), &end);
    KONO_USER_REQUIRE(!item.empty() && end && *end == '\0' && std::isfinite(v), invalid_argument,
                      "--ns.times=" << text << ": \"" << item << "\" is not a number (expected e.g. 1,2,5)");
    t.push_back(v);
  }
  KONO_USER_REQUIRE(!t.empty(), invalid_argument, "--ns.times is empty (expected e.g. 1,2,5)");
  return t;
}
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
  d.solver.nu = opt.real("ns.nu");
  KONO_USER_REQUIRE(std::isfinite(d.solver.nu) && d.solver.nu >= 0, invalid_argument,
                    "--ns.nu=" << opt.text("ns.nu") << ": the viscosity must be a finite value >= 0");
  d.solver.times = parse_times(opt.text("ns.times"));
  d.solver.forcing = opt.flag("ns.forcing");
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
    std::cout << "kono generate: navier-stokes 2D, " << d.samples << " samples at " << d.solver.resolution << "^2, nu "
              << d.solver.nu << ", " << d.solver.times.size() << " output times up to t = " << d.solver.times.back()
              << ", seed " << d.seed << ", " << size << " rank(s)\n";
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
