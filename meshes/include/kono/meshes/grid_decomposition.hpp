#pragma once
/// kono::GridDecomposition: which block of a StructuredGrid each MPI rank owns, and
/// kono::gather_to_root, which assembles a decomposed field on rank 0.
#include <mpi.h>

#include <array>
#include <climits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/types.hpp>
#include <kono/meshes/structured_grid.hpp>

namespace kono {

/// A rank's local block of a grid field, halos included: always rank 3, C order, extents
/// local_extent_with_halo(0..2) (axes the grid does not have are 1 wide).
template <class MemorySpace, class Scalar = real>
using LocalFieldView = Kokkos::View<Scalar***, Kokkos::LayoutRight, MemorySpace>;

/// Block decomposition of a StructuredGrid over a Cartesian process grid (MPI_Cart_create with
/// the grid's periodicity). Every rank owns a contiguous box of nodes plus a halo of
/// halo_width() nodes on both sides of each grid axis; along an axis of n nodes over p ranks
/// the first n % p ranks own one node more. Axes beyond grid().dim() exist with one rank,
/// extent 1 and no halo, so local fields are always rank 3. Copies share the communicator.
class GridDecomposition {
 public:
  /// `ranks_per_axis` has one entry per grid axis and multiplies to the size of `comm`; empty
  /// means slabs (all ranks along axis 0). Collective on `comm`. Throws Error{invalid_argument}
  /// on every rank if any rank has more ranks than nodes along an axis, a halo wider than the
  /// smallest local extent, or arguments that differ from those of the other ranks.
  GridDecomposition(StructuredGrid const& grid, MPI_Comm comm, int halo_width, std::vector<int> ranks_per_axis = {});

  /// Rank counts from MPI_Dims_create, the largest count going to the axis with the most
  /// nodes. Collective on `comm`; throws like the constructor.
  static GridDecomposition blocks(StructuredGrid const& grid, MPI_Comm comm, int halo_width);

  MPI_Comm comm() const noexcept { return *m_comm; }  ///< the Cartesian communicator (same rank order as the input)
  int rank() const noexcept { return m_rank; }
  int size() const noexcept { return m_size; }
  StructuredGrid const& grid() const noexcept { return m_grid; }
  int dim() const noexcept { return m_grid.dim(); }
  int halo_width() const noexcept { return m_halo; }
  int halo_width(int axis) const;  ///< halo_width() on grid axes, 0 on the others

  // Per-axis queries take axis 0..2 (axes >= dim() answer trivially); other axes throw
  // Error{invalid_argument}.
  int ranks_per_axis(int axis) const;
  int coords(int axis) const;                      ///< this rank's position in the process grid
  index_t global_extent(int axis) const;           ///< grid().extent(axis), 1 beyond dim()
  index_t local_begin(int axis) const;             ///< global index of the first owned node
  index_t local_extent(int axis) const;            ///< owned nodes, halo excluded
  index_t local_extent_with_halo(int axis) const;  ///< local_extent + 2 * halo_width(axis)
  Shape local_shape_with_halo() const;             ///< the three extents of a LocalFieldView
  /// Rank next to this one along `axis`, direction -1 (lower) or +1 (upper); wraps on periodic
  /// axes (possibly to this rank itself), MPI_PROC_NULL at a non-periodic boundary.
  int neighbor(int axis, int direction) const;

  // The same layout queries for any rank of comm(), e.g. to write per-rank pieces. Not collective.
  int coords_of(int rank, int axis) const;
  index_t begin_of(int rank, int axis) const;
  index_t extent_of(int rank, int axis) const;

  /// Throws Error{size_mismatch} on every rank when the extents of any rank's field differ from
  /// local_extent_with_halo(); `caller` and `label` go into the message. Collective.
  void check_local_extents(char const* caller, std::string const& label, std::array<index_t, 3> const& extents) const;

  std::string to_string()
      const;  ///< "rank 1 of 2, coords [1, 0, 0] of [2, 1, 1], nodes [4, 7) x [0, 1) x [0, 1), halo 1"

 private:
  std::size_t checked_axis(int axis, char const* function) const;
  int checked_rank(int rank, char const* function) const;

  StructuredGrid m_grid;
  std::shared_ptr<MPI_Comm> m_comm;
  int m_rank = 0;
  int m_size = 1;
  int m_halo = 0;
  std::array<int, 3> m_dims{1, 1, 1};
  std::array<int, 3> m_coords{};
  std::array<int, 3> m_lower{MPI_PROC_NULL, MPI_PROC_NULL, MPI_PROC_NULL};
  std::array<int, 3> m_upper{MPI_PROC_NULL, MPI_PROC_NULL, MPI_PROC_NULL};
  std::array<index_t, 3> m_begin{};
  std::array<index_t, 3> m_extent{1, 1, 1};
};

namespace Impl {
/// MPI datatype of a kono scalar (float or double).
template <class Scalar>
MPI_Datatype mpi_datatype() {
  static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value,
                "kono: MPI transfers support float and double scalars only");
  return std::is_same<Scalar, float>::value ? MPI_FLOAT : MPI_DOUBLE;
}
}  // namespace Impl

/// Copies the owned nodes of every rank's local field into a LayoutRight host array with the
/// global extents [n0, n1, n2] (1 beyond dim()), returned on rank 0; other ranks get a 0x0x0
/// View. For tests and file export: it goes through one rank. Collective; throws
/// Error{size_mismatch} on every rank when any rank's field has the wrong extents, and
/// Error{unsupported} for grids of 2^31 or more nodes.
template <class MemorySpace, class Scalar>
Kokkos::View<Scalar***, Kokkos::LayoutRight, Kokkos::HostSpace> gather_to_root(
    GridDecomposition const& decomposition, Kokkos::View<Scalar***, Kokkos::LayoutRight, MemorySpace> const& field) {
  ProfilingRegion region("kono::gather_to_root");
  GridDecomposition const& d = decomposition;
  d.check_local_extents("kono::gather_to_root", field.label(),
                        {static_cast<index_t>(field.extent(0)), static_cast<index_t>(field.extent(1)),
                         static_cast<index_t>(field.extent(2))});
  index_t const n0 = d.global_extent(0), n1 = d.global_extent(1), n2 = d.global_extent(2);
  KONO_USER_REQUIRE(
      n0 * n1 * n2 <= INT_MAX, unsupported,
      "kono::gather_to_root: grid " << d.grid().to_string() << " has too many nodes for one MPI message to rank 0");

  // The whole local block goes to the host: simpler than a device pack, and this path is I/O.
  auto const host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, field);
  std::array<index_t, 3> w{}, e{};
  for (int a = 0; a < 3; ++a) {
    w[static_cast<std::size_t>(a)] = d.halo_width(a);
    e[static_cast<std::size_t>(a)] = d.local_extent(a);
  }
  std::vector<Scalar> send(static_cast<std::size_t>(e[0] * e[1] * e[2]));
  std::size_t k = 0;
  for (index_t i = 0; i < e[0]; ++i)
    for (index_t j = 0; j < e[1]; ++j)
      for (index_t l = 0; l < e[2]; ++l) send[k++] = host(i + w[0], j + w[1], l + w[2]);

  bool const root = d.rank() == 0;
  std::vector<int> counts, displs;
  std::vector<Scalar> recv;
  if (root) {
    counts.resize(static_cast<std::size_t>(d.size()));
    displs.resize(static_cast<std::size_t>(d.size()));
    int offset = 0;
    for (int r = 0; r < d.size(); ++r) {
      counts[static_cast<std::size_t>(r)] = static_cast<int>(d.extent_of(r, 0) * d.extent_of(r, 1) * d.extent_of(r, 2));
      displs[static_cast<std::size_t>(r)] = offset;
      offset += counts[static_cast<std::size_t>(r)];
    }
    recv.resize(static_cast<std::size_t>(offset));
  }
  KONO_MPI_CHECK(MPI_Gatherv(send.data(), static_cast<int>(send.size()), Impl::mpi_datatype<Scalar>(), recv.data(),
                             counts.data(), displs.data(), Impl::mpi_datatype<Scalar>(), 0, d.comm()));

  if (!root)
    return Kokkos::View<Scalar***, Kokkos::LayoutRight, Kokkos::HostSpace>("kono::gather_to_root::global", 0, 0, 0);
  Kokkos::View<Scalar***, Kokkos::LayoutRight, Kokkos::HostSpace> global(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::gather_to_root::global"), static_cast<std::size_t>(n0),
      static_cast<std::size_t>(n1), static_cast<std::size_t>(n2));
  for (int r = 0; r < d.size(); ++r) {
    index_t const b0 = d.begin_of(r, 0), b1 = d.begin_of(r, 1), b2 = d.begin_of(r, 2);
    index_t const e0 = d.extent_of(r, 0), e1 = d.extent_of(r, 1), e2 = d.extent_of(r, 2);
    std::size_t m = static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]);
    for (index_t i = 0; i < e0; ++i)
      for (index_t j = 0; j < e1; ++j)
        for (index_t l = 0; l < e2; ++l) global(b0 + i, b1 + j, b2 + l) = recv[m++];
  }
  return global;
}

}  // namespace kono
