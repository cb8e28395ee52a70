// kono generate PROBLEM: reference data with PETSc, written into one HDF5 file (parallel HDF5)
// with provenance. Samples are spread over the MPI ranks (each solved on PETSC_COMM_SELF), or,
// with --mode=decomposed, every sample is solved by all ranks through the DMDA decomposition.
// Arguments that start with a single '-' are PETSc options (-ksp_type cg -pc_type gamg ...).
//
//   mpiexec -n 2 kono generate darcy --resolution=64 --samples=8 --seed=1 --out=d.h5
#include <iostream>

#include <kono/core/closest_match.hpp>
#include <kono/core/runtime.hpp>
#include <kono/solvers/darcy_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>

#include "generate_poisson_mesh.hpp"
#include "generate_navier_stokes.hpp"
#include "generate_burgers.hpp"
#include "subcommands.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> generate_option_specs() {
  std::vector<OptionSpec> specs{
      {"out", "", "HDF5 file to write (replaced atomically when complete; required)"},
      {"samples", "8", "number of samples"},
      {"resolution", "64", "nodes per axis (Darcy: x_i = i/(N-1), N >= 4; navier-stokes: periodic x_j = j/N, N >= 8)"},
      {"seed", "0", "seed: sample k depends only on (seed, k), whatever the rank count"},
      {"group", "", "write <group>/x, <group>/y (e.g. train, test) instead of /x, /y"},
      {"dim", "2", "spatial dimension (Darcy: 2 or 3)"},
      {"dtype", "float64", "stored type of x and y: float32 or float64"},
      {"mode", "samples", "samples (each rank solves whole samples) or decomposed (all ranks solve each sample)"},
      {"on_divergence", "stop", "stop (error naming the sample; no file) or record (keep going, reason stored)"},
      {"darcy.alpha", "2", "Gaussian random field smoothness (covariance (-Laplacian + tau^2)^-alpha)"},
      {"darcy.tau", "3", "Gaussian random field inverse length scale"},
      {"darcy.max_wavenumber", "-1",
       "field cutoff K per axis: -1 the default (255 in 2D, 63 in 3D), the same continuous field at every "
       "resolution; K > 0 likewise with that cutoff; 0 all the grid resolves (the field then depends on the resolution)"},
      {"darcy.coefficient", "threshold", "threshold (two-phase, FNO benchmark) or lognormal"},
      {"darcy.high", "12", "threshold: coefficient where the field is positive"},
      {"darcy.low", "3", "threshold: coefficient elsewhere"},
      {"darcy.lognormal_scale", "1", "lognormal: a = exp(scale * field)"},
      {"darcy.forcing", "1", "right-hand side f"},
      {"darcy.rtol", "1e-10", "KSP relative tolerance (-ksp_rtol overrides)"},
  };
  for (auto const& rows : {poisson_mesh_option_specs(), navier_stokes_option_specs(), burgers_generate_option_specs()})
    specs.insert(specs.end(), rows.begin(), rows.end());
  return specs;
}

namespace {
std::vector<std::string> const g_problems{"darcy", "poisson-mesh", "burgers", "navier-stokes"};

DarcyDatasetOptions darcy_options(Options const& opt) {
  DarcyDatasetOptions d;
  d.out = opt.text("out");
  d.group = opt.text("group");
  d.samples = index_t(opt.integer("samples"));
  d.resolution = index_t(opt.integer("resolution"));
  d.dim = int(opt.integer("dim"));
  d.seed = std::uint64_t(opt.integer("seed"));
  d.alpha = opt.real("darcy.alpha");
  d.tau = opt.real("darcy.tau");
  d.field_max_wavenumber = index_t(opt.integer("darcy.max_wavenumber"));
  std::string const coef = opt.text("darcy.coefficient");
  KONO_USER_REQUIRE(coef == "threshold" || coef == "lognormal", invalid_argument,
                    "--darcy.coefficient=" << coef << ": choose threshold or lognormal"
                                           << known_names_hint(coef, {"threshold", "lognormal"}));
  d.coefficient = coef == "threshold" ? DarcyCoefficient::threshold : DarcyCoefficient::lognormal;
  d.high = opt.real("darcy.high");
  d.low = opt.real("darcy.low");
  d.lognormal_scale = opt.real("darcy.lognormal_scale");
  d.forcing = opt.real("darcy.forcing");
  std::string const dtype = opt.text("dtype");
  KONO_USER_REQUIRE(dtype == "float32" || dtype == "float64", invalid_argument,
                    "--dtype=" << dtype << ": choose float32 or float64");
  d.dtype = dtype == "float32" ? Hdf5ElementType::float32 : Hdf5ElementType::float64;
  std::string const mode = opt.text("mode");
  KONO_USER_REQUIRE(mode == "samples" || mode == "decomposed", invalid_argument,
                    "--mode=" << mode << ": choose samples or decomposed");
  d.mode = mode == "samples" ? DarcyParallelMode::samples : DarcyParallelMode::decomposed;
  std::string const div = opt.text("on_divergence");
  KONO_USER_REQUIRE(div == "stop" || div == "record", invalid_argument,
                    "--on_divergence=" << div << ": choose stop or record");
  d.on_divergence = div == "stop" ? DarcyDivergencePolicy::stop : DarcyDivergencePolicy::record;
  d.solver.rtol = opt.real("darcy.rtol");
  d.solver.options_prefix = "";  // plain -ksp_type / -pc_type / -ksp_rtol from the command line apply
  d.command_line = "kono generate " + opt.command_line();
  return d;
}
}  // namespace

void insert_petsc_options(std::vector<std::string> const& args, std::size_t first) {
  std::string petsc;
  for (std::size_t i = first; i < args.size(); ++i) {
    KONO_USER_REQUIRE(i > first || args[i].rfind("-", 0) == 0, invalid_argument,
                      "unexpected argument \"" << args[i] << "\" (kono options are --key=value, PETSc options -name value)");
    petsc += " " + args[i];
  }
  ensure_petsc_initialized(Runtime::current());
  if (!petsc.empty()) KONO_PETSC_CHECK(PetscOptionsInsertString(nullptr, petsc.c_str()));
  // PetscInitialize ran before these options existed: start the event log that -log_view prints
  // at PetscFinalize, or PETSc refuses to print it.
  PetscBool log_view = PETSC_FALSE;
  KONO_PETSC_CHECK(PetscOptionsHasName(nullptr, nullptr, "-log_view", &log_view));
  if (log_view) KONO_PETSC_CHECK(PetscLogDefaultBegin());
}

GenerateResult generate_data(Options const& opt, std::string const& problem, MPI_Comm comm) {
  KONO_USER_REQUIRE(std::find(g_problems.begin(), g_problems.end(), problem) != g_problems.end(), invalid_argument,
                    "unknown problem \"" << problem << "\" for kono generate (known: darcy, poisson-mesh, burgers, navier-stokes)"
                                         << known_names_hint(problem, g_problems));
  KONO_USER_REQUIRE(!opt.text("out").empty(), invalid_argument, "kono generate: --out is required (an HDF5 file)");
  require_writable(opt.text("out"), "out");
  if (problem == "poisson-mesh") return generate_poisson_mesh(opt, comm);
  if (problem == "navier-stokes") return generate_navier_stokes(opt, comm);
  if (problem == "burgers") return generate_burgers(opt, comm);
  DarcyDatasetOptions const d = darcy_options(opt);
  d.validate();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0)
    std::cout << "kono generate: darcy " << d.dim << "D, " << d.samples << " samples at " << d.resolution
              << " nodes per axis, seed " << d.seed << ", " << size << " rank(s), mode " << to_string(d.mode) << "\n";
  DarcyDatasetReport const r = generate_darcy_dataset(d, comm);
  GenerateResult g;
  g.path = d.out;
  g.samples = r.samples;
  g.seconds = r.seconds;
  for (int it : r.iterations) g.mean_iterations += double(it) / double(std::max<std::size_t>(1, r.iterations.size()));
  if (rank == 0)
    std::cout << "kono generate: wrote " << d.out << " (" << r.samples << " samples in " << r.seconds << " s, "
              << r.ksp_type << "+" << r.pc_type << ", rtol " << r.rtol << ", mean " << g.mean_iterations
              << " iterations per solve)\n";
  return g;
}

int generate_main(std::vector<std::string> const& args) {
  Options opt("generate",
              "kono generate PROBLEM --out=FILE.h5 [--samples=N --resolution=R --seed=S --group=train] "
              "[-petsc_option value ...]\n  PROBLEM: darcy, poisson-mesh, burgers, navier-stokes",
              generate_option_specs());
  opt.parse(args);
  if (opt.help_requested()) {
    if (Runtime::current().rank() == 0) std::cout << opt.help();
    return 0;
  }
  // PETSc options look like positionals to the option table (single dash); they follow PROBLEM.
  KONO_USER_REQUIRE(!opt.positional().empty(), invalid_argument,
                    "kono generate: name the problem (kono generate darcy --out=d.h5 ...)");
  insert_petsc_options(opt.positional(), 1);
  generate_data(opt, opt.positional()[0], Runtime::current().comm());
  return 0;
}

}  // namespace kono::app
