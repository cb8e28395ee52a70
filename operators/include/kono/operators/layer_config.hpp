#pragma once
/// Layer and model configuration: a JSON object ({"type": "linear", "in_channels": 3, ...}),
/// the same text model files store, so an architecture round-trips exactly.
#include <nlohmann/json.hpp>

#include <string>

#include <kono/core/error.hpp>

namespace kono {
using LayerConfig = nlohmann::json;

/// Value of `key` in `cfg` as T; throws Error{invalid_argument} naming the key and `where`
/// when it is missing or of the wrong type.
template <class T>
T config_get(LayerConfig const& cfg, std::string const& key, std::string const& where) {
  KONO_USER_REQUIRE(cfg.is_object() && cfg.contains(key), invalid_argument,
                    where << ": missing key \"" << key << "\" in " << cfg.dump());
  try {
    return cfg.at(key).get<T>();
  } catch (nlohmann::json::exception const& e) {
    KONO_THROW(invalid_argument, where << ": key \"" << key << "\" has the wrong type (" << cfg.at(key).dump()
                                       << "): " << e.what());
  }
}

/// Like config_get, with a default when the key is absent.
template <class T>
T config_get(LayerConfig const& cfg, std::string const& key, std::string const& where, T const& fallback) {
  if (!cfg.is_object() || !cfg.contains(key)) return fallback;
  return config_get<T>(cfg, key, where);
}
}  // namespace kono
