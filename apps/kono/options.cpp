#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <kono/core/closest_match.hpp>
#include <kono/core/error.hpp>

#include "options.hpp"

namespace kono::app {
namespace {
std::string section_of(std::string const& key) {
  auto const dot = key.find('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

bool parse_bool(std::string const& v, bool& out) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (s == "true" || s == "yes" || s == "on" || s == "1") return out = true, true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return out = false, true;
  return false;
}

bool parse_integer(std::string const& v, long long& out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(v.c_str(), &end, 10);
  return errno == 0 && end && *end == '\0';
}

bool parse_real(std::string const& v, double& out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(v.c_str(), &end);
  return errno == 0 && end && *end == '\0';
}

std::vector<std::string> split(std::string const& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, sep);) out.push_back(item);
  return out;
}

// A YAML scalar or flat sequence as option text (sequences become comma lists).
std::string yaml_text(YAML::Node const& n, std::string const& key, std::string const& path) {
  if (n.IsScalar()) return n.as<std::string>();
  if (n.IsNull()) return "";
  if (n.IsSequence()) {
    std::string out;
    for (std::size_t i = 0; i < n.size(); ++i) {
      KONO_USER_REQUIRE(n[i].IsScalar(), invalid_argument,
                        path << ": option \"" << key << "\" must be a value or a flat list");
      out += (i ? "," : "") + n[i].as<std::string>();
    }
    return out;
  }
  KONO_THROW(invalid_argument, path << ": option \"" << key << "\" is nested too deeply (use section: {key: value})");
}
}  // namespace

Options::Options(std::string command, std::string usage, std::vector<OptionSpec> specs,
                 std::vector<std::string> open_sections)
    : m_command(std::move(command)), m_usage(std::move(usage)), m_specs(std::move(specs)), m_open(std::move(open_sections)) {
  m_specs.push_back({"config", "", "YAML file of options (section: {key: value}); the command line wins"});
}

OptionSpec const* Options::find(std::string const& key) const {
  for (auto const& s : m_specs)
    if (s.key == key) return &s;
  return nullptr;
}

bool Options::is_open(std::string const& key) const {
  return std::find(m_open.begin(), m_open.end(), section_of(key)) != m_open.end();
}

void Options::set(std::string const& key, std::string const& value, std::string const& where) {
  if (!find(key) && !is_open(key)) {
    std::vector<std::string> known;
    for (auto const& s : m_specs) known.push_back(s.key);
    KONO_THROW(invalid_argument, "kono " << m_command << ": unknown option \"--" << key << "\"" << where
                                         << known_names_hint(key, known) << " (see kono " << m_command << " --help)");
  }
  m_values[key] = value;
}

void Options::load_yaml(std::string const& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (YAML::BadFile const&) {
    KONO_THROW(file_io, "kono " << m_command << ": cannot read the config file \"" << path << "\" (--config)");
  } catch (YAML::Exception const& e) {
    KONO_THROW(invalid_argument, "kono " << m_command << ": " << path << " is not valid YAML: " << e.what());
  }
  if (root.IsNull()) return;
  KONO_USER_REQUIRE(root.IsMap(), invalid_argument,
                    path << ": a kono config file is a mapping (section: {key: value})");
  std::string const where = " in " + path;
  for (auto const& top : root) {
    std::string const name = top.first.as<std::string>();
    if (top.second.IsMap()) {
      for (auto const& kv : top.second) {
        std::string const key = name + "." + kv.first.as<std::string>();
        set(key, yaml_text(kv.second, key, path), where);
      }
    } else {
      set(name, yaml_text(top.second, name, path), where);
    }
  }
}

void Options::parse(std::vector<std::string> const& args) {
  for (auto const& a : args) m_command_line += (m_command_line.empty() ? "" : " ") + a;
  // Pass 1: split into (key, value) pairs and positionals; pass 2 applies config then the rest.
  std::vector<std::pair<std::string, std::string>> given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string const& a = args[i];
    if (a == "--help" || a == "-h") {
      m_help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      m_positional.push_back(a);
      continue;
    }
    std::string key = a.substr(2), value;
    auto const eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else {
      OptionSpec const* s = find(key);
      bool const boolean = s && (s->default_value == "true" || s->default_value == "false");
      bool const next_is_value = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
      if (boolean && !next_is_value) {
        value = "true";
      } else {
        KONO_USER_REQUIRE(next_is_value, invalid_argument,
                          "kono " << m_command << ": option \"--" << key << "\" needs a value (--" << key << "=VALUE)");
        value = args[++i];
      }
    }
    given.emplace_back(key, value);
  }
  if (m_help) return;
  for (auto const& kv : given)
    if (kv.first == "config") load_yaml(kv.second);
  for (auto const& kv : given) set(kv.first, kv.second, "");
}

bool Options::given(std::string const& key) const { return m_values.count(key) > 0; }

std::string Options::text(std::string const& key) const {
  auto const it = m_values.find(key);
  if (it != m_values.end()) return it->second;
  OptionSpec const* s = find(key);
  KONO_REQUIRE(s != nullptr || is_open(key), "kono::app::Options: option \"" << key << "\" is not in the table");
  return s ? s->default_value : std::string();
}

long long Options::integer(std::string const& key) const {
  long long v = 0;
  std::string const t = text(key);
  KONO_USER_REQUIRE(parse_integer(t, v), invalid_argument,
                    "kono " << m_command << ": --" << key << "=" << t << " is not an integer");
  return v;
}

double Options::real(std::string const& key) const {
  double v = 0;
  std::string const t = text(key);
  KONO_USER_REQUIRE(parse_real(t, v), invalid_argument, "kono " << m_command << ": --" << key << "=" << t << " is not a number");
  return v;
}

bool Options::flag(std::string const& key) const {
  bool v = false;
  std::string const t = text(key);
  KONO_USER_REQUIRE(parse_bool(t, v), invalid_argument,
                    "kono " << m_command << ": --" << key << "=" << t << " is not true or false");
  return v;
}

std::vector<long long> Options::integers(std::string const& key) const {
  std::vector<long long> out;
  for (auto const& item : split(text(key), ',')) {
    long long v = 0;
    KONO_USER_REQUIRE(parse_integer(item, v), invalid_argument,
                      "kono " << m_command << ": --" << key << "=" << text(key) << " is not a comma-separated list of integers");
    out.push_back(v);
  }
  return out;
}

LayerConfig Options::typed_value(std::string const& t) {
  if (t.find(',') != std::string::npos) {
    LayerConfig a = LayerConfig::array();
    for (auto const& item : split(t, ',')) a.push_back(typed_value(item));
    return a;
  }
  long long i = 0;
  double d = 0;
  bool b = false;
  if (parse_integer(t, i)) return i;
  if (parse_real(t, d)) return d;
  if (parse_bool(t, b) && t != "0" && t != "1") return b;
  return t;
}

LayerConfig Options::section(std::string const& name) const {
  std::string const prefix = name + ".";
  OptionSpec const* type_spec = find(prefix + "type");
  bool const default_type = !given(prefix + "type") || !type_spec || text(prefix + "type") == type_spec->default_value;
  LayerConfig out = LayerConfig::object();
  for (auto const& s : m_specs)
    if (s.key.rfind(prefix, 0) == 0 && !s.default_value.empty() && (default_type || s.key == prefix + "type"))
      out[s.key.substr(prefix.size())] = typed_value(s.default_value);
  for (auto const& kv : m_values)
    if (kv.first.rfind(prefix, 0) == 0) out[kv.first.substr(prefix.size())] = typed_value(kv.second);
  return out;
}

std::string Options::help() const {
  std::ostringstream os;
  os << "usage: " << m_usage << "\n\noptions (--key=VALUE or --key VALUE; in a --config YAML file as section: {key: VALUE}):\n";
  std::size_t width = 0;
  for (auto const& s : m_specs) width = std::max(width, s.key.size() + 2);
  for (auto const& s : m_specs) {
    std::string k = "--" + s.key;
    k.resize(width + 2, ' ');
    os << "  " << k << s.help;
    if (!s.default_value.empty()) os << " [default: " << s.default_value << "]";
    os << "\n";
  }
  return os.str();
}

}  // namespace kono::app
