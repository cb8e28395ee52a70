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
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <kono/core.hpp>

#include "subcommands.hpp"

namespace {
using kono::app::Subcommand;

// Subcommands that exist today; the workflow issue adds run/generate/train/eval/validate/export.
Subcommand const g_subcommands[] = {
    {"info", "describe a dataset or model file (datasets, shapes, types, attributes)", kono::app::info_main},
};

std::size_t edit_distance(std::string const& a, std::string const& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t const up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

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
  kono::Runtime runtime(argc, argv);
  bool const root = runtime.rank() == 0;
  std::vector<std::string> args(argv + 1, argv + argc);
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
    std::string best;
    std::size_t best_d = 3;  // suggest only close matches
    std::string known;
    for (auto const& s : g_subcommands) {
      known += std::string(known.empty() ? "" : ", ") + s.name;
      std::size_t const d = edit_distance(args[0], s.name);
      if (d < best_d) best_d = d, best = s.name;
    }
    KONO_THROW(invalid_argument, "unknown subcommand \"" << args[0] << "\"; known: " << known
                                                          << (best.empty() ? "" : "; did you mean \"" + best + "\"?"));
  } catch (kono::Error const& e) {
    if (root) std::cerr << "kono: error (" << kono::to_string(e.code()) << "): " << e.what() << "\n";
    return 2;
  } catch (std::exception const& e) {
    if (root) std::cerr << "kono: unexpected error: " << e.what() << "\n";
    return 3;
  }
}
