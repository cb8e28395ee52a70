#pragma once
/// Extents of a tensor, [batch, channel, spatial...] by convention, at most rank 6.
#include <array>
#include <initializer_list>
#include <string>
#include <vector>

#include <kono/core/types.hpp>

namespace kono {

/// Small value type holding up to max_rank non-negative extents; throws Error{invalid_argument}
/// for a negative extent or too many axes.
class Shape {
 public:
  static constexpr int max_rank = 6;

  Shape() = default;
  Shape(std::initializer_list<index_t> extents);
  explicit Shape(std::vector<index_t> const& extents);

  int rank() const noexcept { return m_rank; }
  index_t operator[](int axis) const;  ///< throws Error{invalid_argument} when axis >= rank
  index_t size() const noexcept;       ///< product of the extents (1 for rank 0)
  std::vector<index_t> to_vector() const { return {m_extents.begin(), m_extents.begin() + m_rank}; }
  /// Shape with the leading extent replaced (e.g. a batch of a different size).
  Shape with_extent(int axis, index_t extent) const;
  /// Extents from axis `first` on ("spatial" part of [N, C, spatial...] is tail(2)).
  Shape tail(int first) const;
  std::string to_string() const;  ///< "[64, 1, 16, 16]", for error messages

  friend bool operator==(Shape const& a, Shape const& b) noexcept;
  friend bool operator!=(Shape const& a, Shape const& b) noexcept { return !(a == b); }

 private:
  void append(index_t extent);
  std::array<index_t, max_rank> m_extents{};
  int m_rank = 0;
};

}  // namespace kono
