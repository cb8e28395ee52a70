// kono generate burgers: viscous Burgers trajectories from random initial conditions.
//
//   mpiexec -n 2 kono generate burgers --resolution=1024 --samples=1000 --seed=1 --out=b.h5 -ts_rtol 1e-8
#include "generate_burgers.hpp"

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <kono/core/error.hpp>

namespace kono::app {

std::vector<OptionSpec> burgers_generate_option_specs() {
  return {
      {"burgers.nu", "0.1", "Burgers: viscosity nu >= 0 (FNO benchmark 0.1); grid x_j = j/N, N even >= 8"},
      {"burgers.times", "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1",
       "Burgers: increasing output times, comma separated; y is [N, T, resolution] (FNO: u0 -> u(1))"},
      {"burgers.rtol", "1e-8", "Burgers: TS relative local error tolerance (-ts_rtol overrides)"},
      {"burgers.atol", "1e-8", "Burgers: TS absolute local error tolerance (-ts_atol overrides)"},
  };
}

namespace {
std::vector<double> parse_times(std::string const& text) {
  std::vector<double> times;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    errno = 0;
    double const v = std::strtod(item.c_str(), &end);
    KONO_USER_REQUIRE(!item.empty() && end && *end == '\0' && errno == 0, invalid_argument,
                      "--burgers.times=" << text << ": \"" << item << "\" is not a number (expected e.g. 0,0.5,1)");
    times.push_back(v);
  }
  KONO_USER_REQUIRE(!times.empty(), invalid_argument, "--burgers.times is empty (expected e.g. 0,0.5,1)");
  return times;
}
}  // namespace

BurgersDatasetOptions burgers_options(Options const& opt) {
  BurgersDatasetOptions b;
  b.out = opt.text("out");
  b.group = opt.text("group");
  b.samples = index_t(opt.integer("samples"));
  b.resolution = index_t(opt.integer("resolution"));
  b.seed = std::uint64_t(opt.integer("seed"));
  KONO_USER_REQUIRE(!opt.given("dim") || opt.integer("dim") == 1, invalid_argument,
                    "--dim=" << opt.text("dim") << ": burgers is one-dimensional (drop --dim or use --dim=1)");
  KONO_USER_REQUIRE(opt.text("mode") == "samples", invalid_argument,
                    "--mode=" << opt.text("mode") << ": burgers solves each sample on one rank; use --mode=samples");
  b.nu = opt.real("burgers.nu");
  b.times = parse_times(opt.text("burgers.times"));
  b.solver.rtol = opt.real("burgers.rtol");
  b.solver.atol = opt.real("burgers.atol");
  b.solver.options_prefix = "";  // plain -ts_type / -ts_rtol from the command line apply, as -ksp_type does for darcy
  std::string const dtype = opt.text("dtype");
  KONO_USER_REQUIRE(dtype == "float32" || dtype == "float64", invalid_argument,
                    "--dtype=" << dtype << ": choose float32 or float64");
  b.dtype = dtype == "float32" ? Hdf5ElementType::float32 : Hdf5ElementType::float64;
  std::string const div = opt.text("on_divergence");
  KONO_USER_REQUIRE(div == "stop" || div == "record", invalid_argument,
                    "--on_divergence=" << div << ": choose stop or record");
  b.on_failure = div == "stop" ? BurgersFailurePolicy::stop : BurgersFailurePolicy::record;
  b.command_line = "kono generate " + opt.command_line();
  return b;
}

GenerateResult generate_burgers(Options const& opt, MPI_Comm comm) {
  BurgersDatasetOptions const b = burgers_options(opt);
  b.validate();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0)
    std::cout << "kono generate: burgers 1D, nu " << b.nu << ", " << b.samples << " samples at " << b.resolution
              << " points, " << b.times.size() << " output times to t = " << b.times.back() << ", seed " << b.seed
              << ", " << size << " rank(s)\n";
  BurgersDatasetReport const r = generate_burgers_dataset(b, comm);
  GenerateResult g;
  g.path = b.out;
  g.samples = r.samples;
  g.seconds = r.seconds;
  for (int s : r.steps) g.mean_iterations += double(s) / double(std::max<std::size_t>(1, r.steps.size()));
  if (rank == 0)
    std::cout << "kono generate: wrote " << b.out << " (" << r.samples << " samples in " << r.seconds << " s, ts "
              << r.ts_type << (r.arkimex_type.empty() ? "" : " " + r.arkimex_type) << ", adapt " << r.adapt_type
              << ", rtol " << r.rtol << ", atol " << r.atol << ", mean " << g.mean_iterations
              << " steps per trajectory)\n";
  return g;
}

}  // namespace kono::app
