#pragma once
// Options of a kono subcommand: one table per subcommand gives every key, its default and its
// help; values come from `--config FILE.yaml` (`section: {key: value}`) and the command line
// (`--section.key=value` or `--section.key value`), the command line winning. The same table
// makes `--help`, so the help cannot drift from what is accepted.
#include <map>
#include <string>
#include <vector>

#include <kono/operators/layer_config.hpp>

namespace kono::app {

/// One option: "section.key" (or a top-level "key"), its default as text ("" = empty/none) and help.
struct OptionSpec {
  std::string key;
  std::string default_value;
  std::string help;
};

class Options {
 public:
  /// `open_sections`: sections whose keys are not all listed (e.g. "model": the keys depend on
  /// model.type and are checked by the model registry); any key in them is accepted here.
  Options(std::string command, std::string usage, std::vector<OptionSpec> specs,
          std::vector<std::string> open_sections = {});

  /// Reads --config first, then the command line; `--help`/`-h` sets help_requested(). Throws
  /// Error{invalid_argument} for an unknown option (with "did you mean"), a missing value, or a
  /// bad YAML file (naming the file).
  void parse(std::vector<std::string> const& args);

  bool help_requested() const noexcept { return m_help; }
  std::string help() const;
  /// Arguments that are not options, in order (e.g. the PROBLEM of `kono generate`).
  std::vector<std::string> const& positional() const noexcept { return m_positional; }
  /// The arguments as given, for provenance.
  std::string const& command_line() const noexcept { return m_command_line; }

  bool given(std::string const& key) const;  ///< set on the command line or in the config file
  /// Every key set on the command line or in the config file, with its text (for forwarding
  /// options to another subcommand's table, as `kono run` does).
  std::map<std::string, std::string> const& given_values() const noexcept { return m_values; }
  std::string text(std::string const& key) const;  ///< value or default; unknown key: internal error
  long long integer(std::string const& key) const;  ///< throws Error{invalid_argument} naming the option
  double real(std::string const& key) const;
  bool flag(std::string const& key) const;  ///< true/false, yes/no, on/off, 1/0
  std::vector<long long> integers(std::string const& key) const;  ///< comma-separated
  /// Keys of `section` as a JSON object, values typed (numbers, booleans, comma lists as arrays).
  /// Defaults of the table apply; when `<section>.type` is set to a non-default value, only the
  /// defaults of `type` itself do (the others belong to the default type).
  LayerConfig section(std::string const& name) const;
  /// A command line --key=value text parsed as section() does (for tests and callers).
  static LayerConfig typed_value(std::string const& text);

 private:
  OptionSpec const* find(std::string const& key) const;
  bool is_open(std::string const& key) const;
  void set(std::string const& key, std::string const& value, std::string const& where);
  void load_yaml(std::string const& path);

  std::string m_command, m_usage;
  std::vector<OptionSpec> m_specs;
  std::vector<std::string> m_open;
  std::map<std::string, std::string> m_values;
  std::vector<std::string> m_positional;
  std::string m_command_line;
  bool m_help = false;
};

}  // namespace kono::app
