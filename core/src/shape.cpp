#include <kono/core/error.hpp>
#include <kono/core/shape.hpp>

namespace kono {

Shape::Shape(std::initializer_list<index_t> extents) {
  for (index_t e : extents) append(e);
}

Shape::Shape(std::vector<index_t> const& extents) {
  for (index_t e : extents) append(e);
}

void Shape::append(index_t extent) {
  KONO_USER_REQUIRE(m_rank < max_rank, invalid_argument,
                    "kono::Shape: more than " << max_rank << " axes are not supported");
  KONO_USER_REQUIRE(extent >= 0, invalid_argument,
                    "kono::Shape: extent " << extent << " of axis " << m_rank << " is negative");
  m_extents[static_cast<std::size_t>(m_rank++)] = extent;
}

index_t Shape::operator[](int axis) const {
  KONO_USER_REQUIRE(axis >= 0 && axis < m_rank, invalid_argument,
                    "kono::Shape: axis " << axis << " out of range for shape " << to_string());
  return m_extents[static_cast<std::size_t>(axis)];
}

index_t Shape::size() const noexcept {
  index_t n = 1;
  for (int i = 0; i < m_rank; ++i) n *= m_extents[static_cast<std::size_t>(i)];
  return n;
}

Shape Shape::with_extent(int axis, index_t extent) const {
  (void)(*this)[axis];  // range check with the usual message
  KONO_USER_REQUIRE(extent >= 0, invalid_argument, "kono::Shape: extent " << extent << " is negative");
  Shape s = *this;
  s.m_extents[static_cast<std::size_t>(axis)] = extent;
  return s;
}

Shape Shape::tail(int first) const {
  KONO_USER_REQUIRE(first >= 0 && first <= m_rank, invalid_argument,
                    "kono::Shape::tail: " << first << " out of range for shape " << to_string());
  Shape s;
  for (int i = first; i < m_rank; ++i) s.append(m_extents[static_cast<std::size_t>(i)]);
  return s;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (int i = 0; i < m_rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(m_extents[static_cast<std::size_t>(i)]);
  }
  return s + "]";
}

bool operator==(Shape const& a, Shape const& b) noexcept {
  if (a.m_rank != b.m_rank) return false;
  for (int i = 0; i < a.m_rank; ++i)
    if (a.m_extents[static_cast<std::size_t>(i)] != b.m_extents[static_cast<std::size_t>(i)]) return false;
  return true;
}

}  // namespace kono
