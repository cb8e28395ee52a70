#pragma once
/// kono::HaloExchange: fills the halo nodes of a decomposed grid field from the neighbouring
/// ranks (and from the rank itself across a periodic axis it holds whole).
#include <mpi.h>

#include <array>
#include <string>
#include <type_traits>
#include <utility>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/types.hpp>
#include <kono/meshes/grid_decomposition.hpp>

namespace kono {

namespace Impl {
/// Box of local (halo-inclusive) indices [begin, begin + extent) of a LocalFieldView.
struct HaloBox {
  std::array<index_t, 3> begin{};
  std::array<index_t, 3> extent{};
  index_t size() const noexcept { return extent[0] * extent[1] * extent[2]; }
};
}  // namespace Impl

/// Halo update for the LocalFieldView<MemorySpace, Scalar> fields of one GridDecomposition.
/// Axes are exchanged in the order 0, 1, 2, each one carrying the halos filled before it, so
/// edge and corner halos get their diagonal neighbours' values. Periodic axes wrap. Halo nodes
/// beyond a non-periodic physical boundary (and the edges and corners touching them) are never
/// written, so boundary values a caller stores there survive. Packing runs in Kokkos kernels;
/// MPI sees host copies (GPU-aware MPI is not assumed). Copies share buffers.
template <class MemorySpace, class Scalar = real>
class HaloExchange {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::HaloExchange: MemorySpace must be a Kokkos memory space");
  static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value,
                "kono::HaloExchange: Scalar must be float or double");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using field_type = LocalFieldView<MemorySpace, Scalar>;

  /// Plans the exchange and allocates its pack/unpack buffers once (exchange() allocates
  /// nothing). Keeps a copy of `decomposition`. Not collective; throws Error{unsupported} when a
  /// halo face holds 2^31 or more values (one MPI message).
  explicit HaloExchange(GridDecomposition const& decomposition);

  GridDecomposition const& decomposition() const noexcept { return m_decomposition; }

  /// Zero-filled field with extents local_extent_with_halo(0..2), labelled `label`. Not collective.
  field_type create_field(std::string const& label) const;

  /// Overwrites the halos of `field` (extents local_extent_with_halo(0..2)); kernels run on
  /// `space` and may still be running on return. Collective on decomposition().comm() (the
  /// extents check is an MPI_Allreduce, so a wrong field on one rank cannot hang the others);
  /// throws Error{size_mismatch} on every rank if any rank's field has other extents, Error{mpi}.
  void exchange(execution_space const& space, field_type const& field) const;
  /// Same, on a default instance of execution_space.
  void exchange(field_type const& field) const { exchange(execution_space{}, field); }

 private:
  using buffer_type = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>;
  using host_buffer_type =
      decltype(Kokkos::create_mirror_view(Kokkos::HostSpace{}, std::declval<buffer_type const&>()));

  // What one axis needs: boxes are local indices; the sends hold the outermost owned layers,
  // the receives the halo layers on the same side.
  struct AxisPlan {
    bool active = false;      // false: no halo, or no neighbour on either side
    bool local_wrap = false;  // periodic axis held by this rank alone: a copy, no MPI
    int lower = MPI_PROC_NULL;
    int upper = MPI_PROC_NULL;
    index_t interior = 0;  // owned nodes along the axis
    Impl::HaloBox send_lower, send_upper, recv_lower, recv_upper;
  };

  GridDecomposition m_decomposition;
  std::array<AxisPlan, 3> m_plans;
  // One set of buffers serves all axes: they are exchanged one after the other.
  buffer_type m_send_lower, m_send_upper, m_recv_lower, m_recv_upper;
  host_buffer_type m_host_send_lower, m_host_send_upper, m_host_recv_lower, m_host_recv_upper;
};

extern template class HaloExchange<DefaultMemorySpace, float>;
extern template class HaloExchange<DefaultMemorySpace, double>;

}  // namespace kono
