#pragma once
/// kono::StructuredGrid: a uniform 1D/2D/3D grid of nodes, the geometry every grid operator
/// and every decomposition of kono is built on.
#include <array>
#include <string>
#include <vector>

#include <kono/core/shape.hpp>
#include <kono/core/types.hpp>

namespace kono {

/// Uniform axis-aligned grid: per axis a node count, spacing, origin and periodic flag.
/// Node i of an axis sits at origin + i * spacing. A periodic axis does not store its end node
/// (it is node 0 again). Host-side value type; not collective.
class StructuredGrid {
 public:
  static constexpr int max_dim = 3;

  StructuredGrid() = default;
  /// All vectors have one entry per axis (1 to 3 axes). Throws Error{invalid_argument} naming
  /// the axis and value for a bad dimension, extent < 1, spacing <= 0 or non-finite origin.
  StructuredGrid(std::vector<index_t> extents, std::vector<double> spacing, std::vector<double> origin,
                 std::vector<bool> periodic);

  /// Grid on [0,1]^d: a periodic axis of N nodes has x_i = i/N, a non-periodic one (N >= 2)
  /// has x_i = i/(N-1), so both ends are nodes. Throws Error{invalid_argument}.
  static StructuredGrid unit_box(std::vector<index_t> extents, std::vector<bool> periodic);

  int dim() const noexcept { return m_dim; }
  index_t extent(int axis) const;  ///< number of nodes; throws Error{invalid_argument} unless 0 <= axis < dim()
  double spacing(int axis) const;
  double origin(int axis) const;
  bool periodic(int axis) const;
  /// Length of the domain along `axis`: N*h when periodic, (N-1)*h otherwise.
  double length(int axis) const;
  index_t num_points() const noexcept;  ///< product of the extents
  /// Coordinate of node i; any i is accepted, so halo nodes outside [0, N) extrapolate linearly.
  double coordinate(int axis, index_t i) const;
  Shape shape() const;            ///< the extents as a rank-dim() Shape
  std::string to_string() const;  ///< "9 x 5 nodes, spacing [0.125, 0.25], origin [0, 0], periodic [yes, no]"

  friend bool operator==(StructuredGrid const& a, StructuredGrid const& b) noexcept;
  friend bool operator!=(StructuredGrid const& a, StructuredGrid const& b) noexcept { return !(a == b); }

 private:
  std::size_t checked_axis(int axis, char const* function) const;

  int m_dim = 0;
  std::array<index_t, max_dim> m_extent{};
  std::array<double, max_dim> m_spacing{};
  std::array<double, max_dim> m_origin{};
  std::array<bool, max_dim> m_periodic{};
};

}  // namespace kono
