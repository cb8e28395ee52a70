#pragma once
/// kono::Tensor: a contiguous LayoutRight buffer in an explicit memory space plus its Shape.
#include <string>
#include <utility>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/types.hpp>

namespace kono {

namespace Impl {
template <class Scalar, int Rank>
struct PointerType {
  using type = typename PointerType<Scalar, Rank - 1>::type*;
};
template <class Scalar>
struct PointerType<Scalar, 0> {
  using type = Scalar;
};
}  // namespace Impl

/// Typed rank-N view onto Tensor storage, for kernels. Unmanaged: the Tensor keeps it alive.
template <class Scalar, int Rank, class MemorySpace>
using UnmanagedView = Kokkos::View<typename Impl::PointerType<Scalar, Rank>::type, Kokkos::LayoutRight,
                                   MemorySpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

/// N-d array [batch, channel, spatial...] in MemorySpace, C order (LayoutRight) on every
/// backend so it matches HDF5 and PyTorch. Copies share storage (like Kokkos::View).
template <class MemorySpace, class Scalar = real>
class Tensor {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::Tensor: MemorySpace must be a Kokkos memory space");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using view_type = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>;
  using host_tensor_type = Tensor<Kokkos::HostSpace, Scalar>;

  Tensor() = default;
  /// Zero-initialised allocation labelled `label` (use the qualified name, "kono::Fno::lift").
  Tensor(std::string const& label, Shape const& shape)
      : m_data(Kokkos::view_alloc(label), static_cast<std::size_t>(shape.size())), m_shape(shape) {}
  /// Allocation left uninitialised, for outputs that are overwritten anyway.
  Tensor(WithoutInitializing_t, std::string const& label, Shape const& shape)
      : m_data(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), static_cast<std::size_t>(shape.size())),
        m_shape(shape) {}
  /// Wraps existing storage; throws Error{size_mismatch} unless data.extent(0) == shape.size().
  Tensor(view_type data, Shape const& shape) : m_data(std::move(data)), m_shape(shape) {
    KONO_USER_REQUIRE(static_cast<index_t>(m_data.extent(0)) == shape.size(), size_mismatch,
                      "kono::Tensor: storage \"" << m_data.label() << "\" holds " << m_data.extent(0)
                                                 << " values, shape " << shape.to_string() << " needs "
                                                 << shape.size());
  }

  Shape const& shape() const noexcept { return m_shape; }
  int rank() const noexcept { return m_shape.rank(); }
  index_t extent(int axis) const { return m_shape[axis]; }
  index_t size() const noexcept { return static_cast<index_t>(m_data.extent(0)); }
  std::string label() const { return m_data.label(); }
  bool is_allocated() const noexcept { return m_data.data() != nullptr || m_shape.size() == 0; }
  view_type const& data() const noexcept { return m_data; }  ///< flat storage, size() values

  /// Rank-N unmanaged view for kernels; throws Error{size_mismatch} if Rank != rank().
  template <int Rank>
  UnmanagedView<Scalar, Rank, MemorySpace> view() const {
    KONO_USER_REQUIRE(Rank == rank(), size_mismatch,
                      "kono::Tensor::view: tensor \"" << label() << "\" has shape " << m_shape.to_string()
                                                      << " (rank " << rank() << "), asked for rank " << Rank);
    return make_view<Rank>(std::make_index_sequence<Rank>{});
  }

  /// Same storage, new shape of equal size (throws Error{size_mismatch} otherwise).
  Tensor reshape(Shape const& shape) const {
    KONO_USER_REQUIRE(shape.size() == m_shape.size(), size_mismatch,
                      "kono::Tensor::reshape: cannot view \"" << label() << "\" of shape " << m_shape.to_string()
                                                              << " as " << shape.to_string());
    Tensor t = *this;
    t.m_shape = shape;
    return t;
  }

  /// Samples [first, first+count) along axis 0, sharing storage (contiguous in LayoutRight).
  Tensor slice_batch(index_t first, index_t count) const {
    KONO_USER_REQUIRE(rank() >= 1 && first >= 0 && count >= 0 && first + count <= m_shape[0], invalid_argument,
                      "kono::Tensor::slice_batch: samples [" << first << ", " << first + count
                                                             << ") out of range for \"" << label() << "\" of shape "
                                                             << m_shape.to_string());
    index_t const stride = m_shape[0] == 0 ? 0 : m_shape.size() / m_shape[0];
    Tensor t;
    t.m_data = Kokkos::subview(m_data, std::make_pair(static_cast<std::size_t>(first * stride),
                                                      static_cast<std::size_t>((first + count) * stride)));
    t.m_shape = m_shape.with_extent(0, count);
    return t;
  }

  /// Host copy (or this very storage when MemorySpace is host accessible and HostSpace).
  host_tensor_type to_host() const {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, m_data);
    return host_tensor_type(typename host_tensor_type::view_type(h), m_shape);
  }

  /// Deep copy into a new allocation in OtherSpace.
  template <class OtherSpace>
  Tensor<OtherSpace, Scalar> clone_to(std::string const& label) const {
    Tensor<OtherSpace, Scalar> t(Kokkos::WithoutInitializing, label, m_shape);
    Kokkos::deep_copy(t.data(), m_data);
    return t;
  }

  /// Copies values from `src` (any space); throws Error{size_mismatch} unless shapes agree.
  template <class OtherSpace>
  void copy_from(Tensor<OtherSpace, Scalar> const& src) const {
    KONO_USER_REQUIRE(src.shape() == m_shape, size_mismatch,
                      "kono::Tensor::copy_from: \"" << label() << "\" has shape " << m_shape.to_string()
                                                    << ", source \"" << src.label() << "\" has "
                                                    << src.shape().to_string());
    Kokkos::deep_copy(m_data, src.data());
  }

  void fill(Scalar value) const { Kokkos::deep_copy(m_data, value); }

 private:
  template <int Rank, std::size_t... I>
  UnmanagedView<Scalar, Rank, MemorySpace> make_view(std::index_sequence<I...>) const {
    return UnmanagedView<Scalar, Rank, MemorySpace>(m_data.data(), static_cast<std::size_t>(m_shape[I])...);
  }

  view_type m_data;
  Shape m_shape;
};

}  // namespace kono
