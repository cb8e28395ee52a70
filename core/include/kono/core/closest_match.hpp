#pragma once
/// "Did you mean" support for names users type (subcommands, layer types, options).
#include <string>
#include <vector>

namespace kono {
/// Levenshtein distance between a and b.
std::size_t edit_distance(std::string const& a, std::string const& b);
/// The candidate closest to `name` if within a third of its length (at least 2 edits), else "".
std::string closest_match(std::string const& name, std::vector<std::string> const& candidates);
/// `"; known: a, b, c; did you mean \"b\"?"`, the tail of an unknown-name error message.
std::string known_names_hint(std::string const& name, std::vector<std::string> const& candidates);
}  // namespace kono
