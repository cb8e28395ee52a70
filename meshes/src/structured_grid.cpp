#include <kono/meshes/structured_grid.hpp>

#include <cmath>
#include <sstream>
#include <utility>

#include <kono/core/error.hpp>

namespace kono {

namespace {
template <class T>
std::string join(std::vector<T> const& values) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  os << "]";
  return os.str();
}
}  // namespace

StructuredGrid::StructuredGrid(std::vector<index_t> extents, std::vector<double> spacing, std::vector<double> origin,
                               std::vector<bool> periodic) {
  std::size_t const d = extents.size();
  KONO_USER_REQUIRE(
      d >= 1 && d <= static_cast<std::size_t>(max_dim), invalid_argument,
      "kono::StructuredGrid: " << d << " axes given (extents " << join(extents) << "), expected 1 to " << max_dim);
  KONO_USER_REQUIRE(spacing.size() == d && origin.size() == d && periodic.size() == d, invalid_argument,
                    "kono::StructuredGrid: extents " << join(extents) << " name " << d << " axes, but spacing has "
                                                     << spacing.size() << ", origin " << origin.size()
                                                     << " and periodic " << periodic.size() << " entries");
  for (std::size_t a = 0; a < d; ++a) {
    KONO_USER_REQUIRE(extents[a] >= 1, invalid_argument,
                      "kono::StructuredGrid: extent " << extents[a] << " of axis " << a
                                                      << " must be at least 1 (extents " << join(extents) << ")");
    KONO_USER_REQUIRE(
        std::isfinite(spacing[a]) && spacing[a] > 0, invalid_argument,
        "kono::StructuredGrid: spacing " << spacing[a] << " of axis " << a << " must be positive and finite");
    KONO_USER_REQUIRE(std::isfinite(origin[a]), invalid_argument,
                      "kono::StructuredGrid: origin " << origin[a] << " of axis " << a << " is not finite");
    m_extent[a] = extents[a];
    m_spacing[a] = spacing[a];
    m_origin[a] = origin[a];
    m_periodic[a] = periodic[a];
  }
  m_dim = static_cast<int>(d);
}

StructuredGrid StructuredGrid::unit_box(std::vector<index_t> extents, std::vector<bool> periodic) {
  std::size_t const d = extents.size();
  KONO_USER_REQUIRE(periodic.size() == d, invalid_argument,
                    "kono::StructuredGrid::unit_box: extents "
                        << join(extents) << " name " << d << " axes, periodic has " << periodic.size() << " entries");
  std::vector<double> spacing(d, 1.0);
  for (std::size_t a = 0; a < d; ++a) {
    if (periodic[a]) {
      if (extents[a] >= 1) spacing[a] = 1.0 / static_cast<double>(extents[a]);
    } else {
      // One node cannot span [0, 1]; extents < 1 are left to the constructor's message.
      KONO_USER_REQUIRE(extents[a] != 1, invalid_argument,
                        "kono::StructuredGrid::unit_box: non-periodic axis " << a
                                                                             << " needs at least 2 nodes to span "
                                                                                "[0, 1], got extent 1");
      if (extents[a] >= 2) spacing[a] = 1.0 / static_cast<double>(extents[a] - 1);
    }
  }
  return StructuredGrid(std::move(extents), std::move(spacing), std::vector<double>(d, 0.0), std::move(periodic));
}

std::size_t StructuredGrid::checked_axis(int axis, char const* function) const {
  KONO_USER_REQUIRE(
      axis >= 0 && axis < m_dim, invalid_argument,
      "kono::StructuredGrid::" << function << ": axis " << axis << " out of range for a " << m_dim << "D grid");
  return static_cast<std::size_t>(axis);
}

index_t StructuredGrid::extent(int axis) const { return m_extent[checked_axis(axis, "extent")]; }
double StructuredGrid::spacing(int axis) const { return m_spacing[checked_axis(axis, "spacing")]; }
double StructuredGrid::origin(int axis) const { return m_origin[checked_axis(axis, "origin")]; }
bool StructuredGrid::periodic(int axis) const { return m_periodic[checked_axis(axis, "periodic")]; }

double StructuredGrid::length(int axis) const {
  std::size_t const a = checked_axis(axis, "length");
  index_t const intervals = m_periodic[a] ? m_extent[a] : m_extent[a] - 1;
  return static_cast<double>(intervals) * m_spacing[a];
}

index_t StructuredGrid::num_points() const noexcept {
  if (m_dim == 0) return 0;
  index_t n = 1;
  for (int a = 0; a < m_dim; ++a) n *= m_extent[static_cast<std::size_t>(a)];
  return n;
}

double StructuredGrid::coordinate(int axis, index_t i) const {
  std::size_t const a = checked_axis(axis, "coordinate");
  return m_origin[a] + static_cast<double>(i) * m_spacing[a];
}

Shape StructuredGrid::shape() const { return Shape(std::vector<index_t>(m_extent.begin(), m_extent.begin() + m_dim)); }

std::string StructuredGrid::to_string() const {
  if (m_dim == 0) return "empty grid";
  std::ostringstream os;
  for (int a = 0; a < m_dim; ++a) os << (a ? " x " : "") << m_extent[static_cast<std::size_t>(a)];
  os << " nodes, spacing [";
  for (int a = 0; a < m_dim; ++a) os << (a ? ", " : "") << m_spacing[static_cast<std::size_t>(a)];
  os << "], origin [";
  for (int a = 0; a < m_dim; ++a) os << (a ? ", " : "") << m_origin[static_cast<std::size_t>(a)];
  os << "], periodic [";
  for (int a = 0; a < m_dim; ++a) os << (a ? ", " : "") << (m_periodic[static_cast<std::size_t>(a)] ? "yes" : "no");
  os << "]";
  return os.str();
}

bool operator==(StructuredGrid const& a, StructuredGrid const& b) noexcept {
  // Unused trailing axes are value-initialised in both, so whole-array comparison is exact.
  return a.m_dim == b.m_dim && a.m_extent == b.m_extent && a.m_spacing == b.m_spacing && a.m_origin == b.m_origin &&
         a.m_periodic == b.m_periodic;
}

}  // namespace kono
