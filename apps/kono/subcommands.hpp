#pragma once
// The subcommands of the `kono` executable; each lives in its own cmd_<name>.cpp.
#include <string>
#include <vector>

namespace kono::app {
/// Entry point of one subcommand: args excludes the program and subcommand names.
/// Returns the process exit code; throws kono::Error for bad input (main reports it).
using SubcommandMain = int (*)(std::vector<std::string> const& args);

struct Subcommand {
  char const* name;
  char const* summary;
  SubcommandMain run;
};

int info_main(std::vector<std::string> const& args);
}  // namespace kono::app
