#pragma once
/// Definitions of kono::HaloExchange; included only by meshes/src/halo_exchange.cpp, which
/// instantiates them (deal.II's .templates.h pattern).
#include <algorithm>
#include <climits>

#include <kono/core/error.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/meshes/halo_exchange.hpp>

namespace kono {
namespace Impl {

/// buffer(m) = field(box node m), nodes of the box in C order.
template <class ExecutionSpace, class FieldView, class BufferView>
void pack_halo_box(ExecutionSpace const& space, FieldView const& field, HaloBox const& box, BufferView const& buffer) {
  index_t const b0 = box.begin[0], b1 = box.begin[1], b2 = box.begin[2];
  index_t const e1 = box.extent[1], e2 = box.extent[2];
  Kokkos::parallel_for(
      "kono::HaloExchange::pack", Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<index_t>>(space, 0, box.size()),
      KOKKOS_LAMBDA(index_t m) {
        index_t const l = m % e2, t = m / e2;
        buffer(m) = field(b0 + t / e1, b1 + t % e1, b2 + l);
      });
}

/// field(box node m) = buffer(m): the inverse of pack_halo_box.
template <class ExecutionSpace, class FieldView, class BufferView>
void unpack_halo_box(ExecutionSpace const& space, BufferView const& buffer, HaloBox const& box,
                     FieldView const& field) {
  index_t const b0 = box.begin[0], b1 = box.begin[1], b2 = box.begin[2];
  index_t const e1 = box.extent[1], e2 = box.extent[2];
  Kokkos::parallel_for(
      "kono::HaloExchange::unpack",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<index_t>>(space, 0, box.size()), KOKKOS_LAMBDA(index_t m) {
        index_t const l = m % e2, t = m / e2;
        field(b0 + t / e1, b1 + t % e1, b2 + l) = buffer(m);
      });
}

/// Periodic wrap along `axis` held whole by one rank: lower halo <- upper owned layers and
/// upper halo <- lower owned layers. `box` is the lower halo; sources never overlap the
/// destinations because width <= interior.
template <class ExecutionSpace, class FieldView>
void wrap_halo_box(ExecutionSpace const& space, FieldView const& field, HaloBox const& box, int axis, index_t width,
                   index_t interior) {
  index_t const b0 = box.begin[0], b1 = box.begin[1], b2 = box.begin[2];
  index_t const e1 = box.extent[1], e2 = box.extent[2];
  Kokkos::parallel_for(
      "kono::HaloExchange::wrap", Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<index_t>>(space, 0, box.size()),
      KOKKOS_LAMBDA(index_t m) {
        index_t const l = m % e2, t = m / e2;
        index_t dst[3] = {b0 + t / e1, b1 + t % e1, b2 + l};
        index_t src[3] = {dst[0], dst[1], dst[2]};
        index_t const layer = dst[axis];  // 0 .. width-1
        src[axis] = layer + interior;
        field(dst[0], dst[1], dst[2]) = field(src[0], src[1], src[2]);
        dst[axis] = layer + width + interior;
        src[axis] = layer + width;
        field(dst[0], dst[1], dst[2]) = field(src[0], src[1], src[2]);
      });
}

}  // namespace Impl

template <class MemorySpace, class Scalar>
HaloExchange<MemorySpace, Scalar>::HaloExchange(GridDecomposition const& decomposition)
    : m_decomposition(decomposition) {
  GridDecomposition const& d = m_decomposition;
  index_t const w = d.halo_width();
  index_t max_count = 0;
  for (int b = 0; b < d.dim() && w > 0; ++b) {
    AxisPlan& p = m_plans[static_cast<std::size_t>(b)];
    p.lower = d.neighbor(b, -1);
    p.upper = d.neighbor(b, +1);
    if (p.lower == MPI_PROC_NULL && p.upper == MPI_PROC_NULL) continue;
    p.active = true;
    p.local_wrap = d.ranks_per_axis(b) == 1;
    p.interior = d.local_extent(b);

    Impl::HaloBox base;
    for (int a = 0; a < 3; ++a) {
      std::size_t const s = static_cast<std::size_t>(a);
      index_t const wa = d.halo_width(a), na = d.local_extent(a);
      if (a < b) {
        // Earlier axes are done: carry their halos, except beyond a physical boundary, which
        // the neighbour along b shares (same coordinate along a) and which stays untouched.
        base.begin[s] = d.neighbor(a, -1) != MPI_PROC_NULL ? 0 : wa;
        base.extent[s] = wa + na + (d.neighbor(a, +1) != MPI_PROC_NULL ? wa : 0) - base.begin[s];
      } else {
        // Later axes' halos are not filled yet; their own exchange will carry this one.
        base.begin[s] = wa;
        base.extent[s] = na;
      }
    }
    std::size_t const sb = static_cast<std::size_t>(b);
    base.extent[sb] = w;
    p.recv_lower = p.send_lower = p.send_upper = p.recv_upper = base;
    p.recv_lower.begin[sb] = 0;
    p.send_lower.begin[sb] = w;
    p.send_upper.begin[sb] = p.interior;
    p.recv_upper.begin[sb] = p.interior + w;
    KONO_USER_REQUIRE(base.size() <= INT_MAX, unsupported,
                      "kono::HaloExchange: a halo face of " << base.size() << " values along axis " << b
                                                            << " exceeds one MPI message (rank " << d.rank() << ", "
                                                            << d.to_string() << ")");
    if (!p.local_wrap) max_count = std::max(max_count, base.size());
  }
  auto const n = static_cast<std::size_t>(max_count);
  m_send_lower = buffer_type(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::HaloExchange::send_lower"), n);
  m_send_upper = buffer_type(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::HaloExchange::send_upper"), n);
  m_recv_lower = buffer_type(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::HaloExchange::recv_lower"), n);
  m_recv_upper = buffer_type(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::HaloExchange::recv_upper"), n);
  // Host staging: MPI is not assumed GPU-aware. For host memory these alias the buffers above.
  m_host_send_lower = Kokkos::create_mirror_view(Kokkos::HostSpace{}, m_send_lower);
  m_host_send_upper = Kokkos::create_mirror_view(Kokkos::HostSpace{}, m_send_upper);
  m_host_recv_lower = Kokkos::create_mirror_view(Kokkos::HostSpace{}, m_recv_lower);
  m_host_recv_upper = Kokkos::create_mirror_view(Kokkos::HostSpace{}, m_recv_upper);
}

template <class MemorySpace, class Scalar>
typename HaloExchange<MemorySpace, Scalar>::field_type HaloExchange<MemorySpace, Scalar>::create_field(
    std::string const& label) const {
  GridDecomposition const& d = m_decomposition;
  return field_type(Kokkos::view_alloc(label), static_cast<std::size_t>(d.local_extent_with_halo(0)),
                    static_cast<std::size_t>(d.local_extent_with_halo(1)),
                    static_cast<std::size_t>(d.local_extent_with_halo(2)));
}

template <class MemorySpace, class Scalar>
void HaloExchange<MemorySpace, Scalar>::exchange(execution_space const& space, field_type const& field) const {
  ProfilingRegion region("kono::HaloExchange::exchange");
  GridDecomposition const& d = m_decomposition;
  d.check_local_extents("kono::HaloExchange::exchange", field.label(),
                        {static_cast<index_t>(field.extent(0)), static_cast<index_t>(field.extent(1)),
                         static_cast<index_t>(field.extent(2))});
  MPI_Comm const comm = d.comm();
  MPI_Datatype const type = Impl::mpi_datatype<Scalar>();
  index_t const w = d.halo_width();

  // Stages device <-> host; a no-op where the host mirror is the buffer itself.
  auto const stage = [&space](auto const& dst, auto const& src) {
    if (dst.data() != src.data()) Kokkos::deep_copy(space, dst, src);
  };

  for (int axis = 0; axis < 3; ++axis) {
    AxisPlan const& p = m_plans[static_cast<std::size_t>(axis)];
    if (!p.active) continue;
    if (p.local_wrap) {
      Impl::wrap_halo_box(space, field, p.recv_lower, axis, w, p.interior);
      continue;
    }
    auto const count = static_cast<std::size_t>(p.send_lower.size());
    auto const part = std::make_pair(std::size_t(0), count);
    auto const send_lower = Kokkos::subview(m_send_lower, part), send_upper = Kokkos::subview(m_send_upper, part);
    auto const recv_lower = Kokkos::subview(m_recv_lower, part), recv_upper = Kokkos::subview(m_recv_upper, part);
    auto const host_send_lower = Kokkos::subview(m_host_send_lower, part);
    auto const host_send_upper = Kokkos::subview(m_host_send_upper, part);
    auto const host_recv_lower = Kokkos::subview(m_host_recv_lower, part);
    auto const host_recv_upper = Kokkos::subview(m_host_recv_upper, part);
    bool const has_lower = p.lower != MPI_PROC_NULL, has_upper = p.upper != MPI_PROC_NULL;

    if (has_lower) {
      Impl::pack_halo_box(space, field, p.send_lower, send_lower);
      stage(host_send_lower, send_lower);
    }
    if (has_upper) {
      Impl::pack_halo_box(space, field, p.send_upper, send_upper);
      stage(host_send_upper, send_upper);
    }
    space.fence();  // MPI reads the host buffers

    // Tags tell the two messages apart when both neighbours are the same rank (2 ranks, periodic).
    int const to_upper = 2 * axis + 1, to_lower = 2 * axis;
    int const n = static_cast<int>(count);
    std::array<MPI_Request, 4> requests{MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    if (has_lower) KONO_MPI_CHECK(MPI_Irecv(host_recv_lower.data(), n, type, p.lower, to_upper, comm, &requests[0]));
    if (has_upper) KONO_MPI_CHECK(MPI_Irecv(host_recv_upper.data(), n, type, p.upper, to_lower, comm, &requests[1]));
    if (has_lower) KONO_MPI_CHECK(MPI_Isend(host_send_lower.data(), n, type, p.lower, to_lower, comm, &requests[2]));
    if (has_upper) KONO_MPI_CHECK(MPI_Isend(host_send_upper.data(), n, type, p.upper, to_upper, comm, &requests[3]));
    KONO_MPI_CHECK(MPI_Waitall(4, requests.data(), MPI_STATUSES_IGNORE));

    // Staged copies finish before returning, so the host receive buffers are free for the next
    // call even when that one runs on another execution space instance.
    if (has_lower) stage(recv_lower, host_recv_lower);
    if (has_upper) stage(recv_upper, host_recv_upper);
    if (recv_lower.data() != host_recv_lower.data()) space.fence();
    if (has_lower) Impl::unpack_halo_box(space, recv_lower, p.recv_lower, field);
    if (has_upper) Impl::unpack_halo_box(space, recv_upper, p.recv_upper, field);
  }
}

}  // namespace kono
