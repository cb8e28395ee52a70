#include <algorithm>

#include <kono/core/closest_match.hpp>

namespace kono {

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

std::string closest_match(std::string const& name, std::vector<std::string> const& candidates) {
  std::size_t const limit = std::max<std::size_t>(2, name.size() / 3);
  std::string best;
  std::size_t best_d = limit + 1;
  for (auto const& c : candidates) {
    std::size_t const d = edit_distance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string known_names_hint(std::string const& name, std::vector<std::string> const& candidates) {
  std::string s = "; known: ";
  for (std::size_t i = 0; i < candidates.size(); ++i) s += (i ? ", " : "") + candidates[i];
  std::string const best = closest_match(name, candidates);
  if (!best.empty()) s += "; did you mean \"" + best + "\"?";
  return s;
}
}  // namespace kono
