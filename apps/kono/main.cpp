// kono: the command-line tool. Dispatches to one subcommand per file.
//
// Sample runs:
//   kono --help
//   kono info ../shared/data/darcy_16.h5
//   mpiexec -n 2 kono info ../shared/data/darcy_16.h5
//
// Description:
//   Starts MPI and Kokkos through kono::Runtime, runs the named subcommand, and turns a
//   kono::Error into a one-line message on rank 0 and a non-zero exit code.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <kono/core/git_revision.hpp>
#include <kono/core.hpp>

#include "subcommands.hpp"

namespace {
using kono::app::Subcommand;

Subcommand const g_subcommands[] = {
    {"run", "the end-to-end default: generate (PETSc) -> train (FNO) -> eval -> validate -> export -> PNGs",
     kono::app::run_main},
    {"generate", "reference data with PETSc into one HDF5 file (darcy, poisson-mesh, burgers, navier-stokes)",
     kono::app::generate_main},
    {"train", "train a model on input/target pairs of an HDF5 file (data-parallel over ranks)", kono::app::train_main},
    {"eval", "evaluate a model file on pairs of an HDF5 file: metrics JSON, predictions", kono::app::eval_main},
    {"validate", "fresh PETSc solves vs the surrogate: accuracy, time per sample, speedup, zero-shot resolutions",
     kono::app::validate_main},
    {"export", "fields for ParaView: input, prediction, reference, abs_error as .vti/.pvti + .pvd", kono::app::export_main},
    {"rollout", "roll out learned stencil / classical coarse solvers on Kolmogorov flow: correlation vs time, ParaView series",
     kono::app::rollout_main},
    {"info", "describe a dataset or model file (datasets, shapes, types, attributes)", kono::app::info_main},
};

void print_help(std::ostream& os) {
  os << "kono " << KONO_VERSION_STRING << " (" << KONO_GIT_REVISION << "): neural operators on Kokkos, MPI, PETSc and HDF5\n\n"
     << "usage: kono SUBCOMMAND [options]      (under MPI: mpiexec -n N kono SUBCOMMAND ...)\n\n"
     << "subcommands:\n";
  for (auto const& s : g_subcommands) {
    std::string name = s.name;
    name.resize(10, ' ');
    os << "  " << name << s.summary << "\n";
  }
  os << "\noptions:\n  --help, -h    this text (`kono SUBCOMMAND --help` for a subcommand's options)\n"
     << "  --version     print the version and exit\n";
}
}  // namespace

int main(int argc, char** argv) {
  // Kokkos answers --help itself; it must reach only kono's option tables.
  std::vector<char*> runtime_argv;
  for (int i = 0; i < argc; ++i)
    if (std::string(argv[i]) != "--help" && std::string(argv[i]) != "-h") runtime_argv.push_back(argv[i]);
  int runtime_argc = int(runtime_argv.size());
  runtime_argv.push_back(nullptr);
  char** runtime_args = runtime_argv.data();
  kono::Runtime runtime(runtime_argc, runtime_args);
  bool const root = runtime.rank() == 0;
  std::vector<std::string> args;  // Kokkos consumed its --kokkos-* options
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]).rfind("--kokkos-", 0) != 0) args.emplace_back(argv[i]);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (root) print_help(std::cout);
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version") {
    if (root) std::cout << "kono " << KONO_VERSION_STRING << " (" << KONO_GIT_REVISION << ")\n";
    return 0;
  }
  try {
    for (auto const& s : g_subcommands)
      if (args[0] == s.name) return s.run(std::vector<std::string>(args.begin() + 1, args.end()));
    std::vector<std::string> names;
    for (auto const& s : g_subcommands) names.emplace_back(s.name);
    KONO_THROW(invalid_argument, "unknown subcommand \"" << args[0] << "\"" << kono::known_names_hint(args[0], names));
  } catch (kono::Error const& e) {
    if (root) std::cerr << "kono: error (" << kono::to_string(e.code()) << "): " << e.what() << "\n";
    return 2;
  } catch (std::exception const& e) {
    if (root) std::cerr << "kono: unexpected error: " << e.what() << "\n";
    return 3;
  }
}
