#include <type_traits>

#include <kono/core/mpi_check.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/stencil/decomposed_stencil_rollout.hpp>
#include <kono/operators/stencil/hippo.hpp>
#include <kono/operators/stencil/stencil_network.hpp>

namespace kono {
namespace {
using L = StencilInputLayout;

template <class Exec>
using Range4 = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<4>>;

// Interior rows of the extended network input e [B, 2 + 2M + 2, rows + 2R, n]: u, HiPPO features,
// log10(nu) + 3 and the amplitude (the layout of StencilRollout's network input).
template <class Exec, class V, class P>
void fill_interior(Exec const& space, V const& u, V const& c, P const& params, int R, V const& e) {
  int const m2 = c.data() ? int(c.extent(1)) : 0;
  Kokkos::parallel_for(
      "kono::DecomposedStencilRollout::fill", Range4<Exec>(space, {0, 0, 0, 0}, {long(e.extent(0)), long(e.extent(1)), long(u.extent(2)), long(u.extent(3))}),
      KOKKOS_LAMBDA(int b, int ch, int j, int i) {
        typename V::non_const_value_type v;
        if (ch < 2)
          v = u(b, ch, j, i);
        else if (ch < 2 + m2)
          v = c(b, ch - 2, j, i);
        else if (ch == 2 + m2)
          v = math::log(params(b, 0)) * 0.43429448190325182765 + 3;
        else
          v = params(b, 1);
        e(b, ch, R + j, i) = v;
      });
}

// rows [first, first + R) of e <-> buf [B, C, R, n].
template <class Exec, class V, class Buf>
void pack_rows(Exec const& space, V const& e, int first, Buf const& buf, bool to_buffer) {
  int const C = int(e.extent(1)), n = int(e.extent(3));
  int const R = int(buf.extent(0) / (e.extent(0) * e.extent(1) * e.extent(3)));
  Kokkos::parallel_for(
      "kono::DecomposedStencilRollout::pack", Range4<Exec>(space, {0, 0, 0, 0}, {long(e.extent(0)), long(e.extent(1)), long(R), long(e.extent(3))}),
      KOKKOS_LAMBDA(int b, int ch, int r, int i) {
        std::size_t const k = ((std::size_t(b) * C + ch) * R + r) * n + i;
        if (to_buffer)
          buf(k) = e(b, ch, first + r, i);
        else
          e(b, ch, first + r, i) = buf(k);
      });
}

template <class Scalar>
MPI_Datatype mpi_type() {
  return std::is_same<Scalar, float>::value ? MPI_FLOAT : MPI_DOUBLE;
}
}  // namespace

template <class MemorySpace, class Scalar>
DecomposedStencilRollout<MemorySpace, Scalar>::DecomposedStencilRollout(model_type const& model, int n, MPI_Comm comm)
    : m_model(model), m_solver(model.options().solver, n, comm), m_comm(m_solver.decomposition().comm()) {
  auto const& o = model.options();
  if (auto const* net = model.network()) {
    LayerConfig cfg = net->config();
    cfg["valid_rows"] = true;
    m_network = create_layer<MemorySpace, Scalar>(cfg, "kono::DecomposedStencilRollout");
    m_network->bind_parameters(net->parameters(), net->gradients());
    m_reach = static_cast<StencilNetwork<MemorySpace, Scalar> const&>(*m_network).reach();
  }
  if (o.hippo_order > 0) m_hippo = std::make_unique<HippoLegT<MemorySpace, Scalar>>(o.hippo_order, o.hippo_theta, model.model_dt());
  int few = m_solver.rows() < m_reach ? 1 : 0, any = 0;
  MPI_Allreduce(&few, &any, 1, MPI_INT, MPI_MAX, m_comm);
  KONO_USER_REQUIRE(!any, invalid_argument,
                    "kono::DecomposedStencilRollout: some rank owns fewer of the " << n << " rows than the network's "
                                                                                   << m_reach << "-row receptive radius; use fewer ranks");
  m_lower = m_solver.decomposition().neighbor(0, -1);
  m_upper = m_solver.decomposition().neighbor(0, +1);
  KONO_REQUIRE(m_lower != MPI_PROC_NULL && m_upper != MPI_PROC_NULL, "the row decomposition is not periodic");
}

template <class MemorySpace, class Scalar>
DecomposedStencilRollout<MemorySpace, Scalar>::~DecomposedStencilRollout() = default;

template <class MemorySpace, class Scalar>
void DecomposedStencilRollout<MemorySpace, Scalar>::rollout(execution_space const& space, tensor_type const& x, int steps,
                                                            std::function<void(int, tensor_type const&)> const& on_step) const {
  auto const& o = m_model.options();
  int const M = o.hippo_order, R = m_reach, rows = this->rows(), n = m_solver.n();
  index_t const B = x.extent(0);
  KONO_USER_REQUIRE(x.rank() == 4 && x.extent(1) == m_model.input_channels() && x.extent(2) == rows && x.extent(3) == n,
                    size_mismatch,
                    "kono::DecomposedStencilRollout::rollout: input " << x.shape().to_string() << " is not [B, "
                                                                      << m_model.input_channels() << ", " << rows << ", "
                                                                      << n << "] (this rank's rows)");
  Shape const vel({B, 2, rows, n});
  tensor_type u(Kokkos::WithoutInitializing, "kono::DecomposedStencilRollout::u", vel);
  tensor_type v(Kokkos::WithoutInitializing, "kono::DecomposedStencilRollout::v", vel);
  tensor_type params("kono::DecomposedStencilRollout::parameters", Shape({B, 2}));
  tensor_type c, c_next;
  auto xv = x.template view<4>();
  {
    auto uv = u.template view<4>();
    auto pv = params.template view<2>();
    Kokkos::parallel_for(
        "kono::DecomposedStencilRollout::init", Range4<execution_space>(space, {0, 0, 0, 0}, {long(B), 2L, long(rows), long(n)}),
        KOKKOS_LAMBDA(int b, int ch, int j, int i) {
          uv(b, ch, j, i) = xv(b, L::velocity + ch, j, i);
          if (ch == 0 && j == 0 && i == 0) {
            pv(b, 0) = xv(b, L::nu, 0, 0);
            pv(b, 1) = xv(b, L::amplitude, 0, 0);
          }
        });
  }
  if (M > 0) {
    c = tensor_type(Kokkos::WithoutInitializing, "kono::DecomposedStencilRollout::c", Shape({B, 2 * M, rows, n}));
    c_next = tensor_type(Kokkos::WithoutInitializing, "kono::DecomposedStencilRollout::c_next", c.shape());
    auto cv = c.template view<4>();
    Kokkos::parallel_for(
        "kono::DecomposedStencilRollout::init_hippo", Range4<execution_space>(space, {0, 0, 0, 0}, {long(B), long(2 * M), long(rows), long(n)}),
        KOKKOS_LAMBDA(int b, int ch, int j, int i) { cv(b, ch, j, i) = xv(b, L::hippo + ch, j, i); });
  }
  tensor_type ext, raw, coeffs;
  Kokkos::View<Scalar*, MemorySpace> send, recv;
  if (m_network) {
    int const cin = static_cast<StencilNetwork<MemorySpace, Scalar> const&>(*m_network).options().in_channels;
    ext = tensor_type("kono::DecomposedStencilRollout::network_input", Shape({B, cin, rows + 2 * R, n}));
    raw = tensor_type(Kokkos::WithoutInitializing, "kono::DecomposedStencilRollout::raw", m_network->output_shape(ext.shape()));
    coeffs = tensor_type(Kokkos::WithoutInitializing, "kono::DecomposedStencilRollout::stencils",
                         m_model.constraint()->output_shape(raw.shape()));
    send = Kokkos::View<Scalar*, MemorySpace>("kono::DecomposedStencilRollout::send", std::size_t(B * cin * R * n));
    recv = Kokkos::View<Scalar*, MemorySpace>("kono::DecomposedStencilRollout::recv", send.extent(0));
  }
  auto send_h = Kokkos::create_mirror_view(send);
  auto recv_h = Kokkos::create_mirror_view(recv);
  // One halo of R rows each way: my lowest rows go to the lower neighbour's top halo, my highest to
  // the upper neighbour's bottom halo (periodic ring; a single rank sends to itself).
  auto exchange = [&](tensor_type const& e) {
    auto ev = e.template view<4>();
    int const count = int(send.extent(0));
    for (int dir = 0; dir < 2; ++dir) {
      int const first_send = dir == 0 ? R : rows;          // lowest / highest owned rows
      int const first_recv = dir == 0 ? R + rows : 0;      // top / bottom halo
      int const to = dir == 0 ? m_lower : m_upper, from = dir == 0 ? m_upper : m_lower;
      pack_rows(space, ev, first_send, send, true);
      space.fence();
      Kokkos::deep_copy(send_h, send);
      KONO_MPI_CHECK(MPI_Sendrecv(send_h.data(), count, mpi_type<Scalar>(), to, 70 + dir, recv_h.data(), count,
                                  mpi_type<Scalar>(), from, 70 + dir, m_comm, MPI_STATUS_IGNORE));
      Kokkos::deep_copy(recv, recv_h);
      pack_rows(space, ev, first_recv, recv, false);
    }
  };
  for (int k = 1; k <= steps; ++k) {
    tensor_type step_coeffs;
    if (m_network) {
      fill_interior(space, u.template view<4>(), M > 0 ? c.template view<4>() : UnmanagedView<Scalar, 4, MemorySpace>(),
                    params.template view<2>(), R, ext.template view<4>());
      exchange(ext);
      m_network->forward(space, ext, raw);
      m_model.constraint()->forward(space, raw, coeffs);
      step_coeffs = coeffs;
    }
    for (int s = 0; s < o.substeps; ++s) {
      m_solver.step(space, u, step_coeffs, params, v);
      std::swap(u, v);
    }
    on_step(k, u);
    if (M > 0) {
      m_hippo->update(space, c, u, c_next);
      std::swap(c, c_next);
    }
  }
}

KONO_INSTANTIATE_FOR_SCALARS(DecomposedStencilRollout)

}  // namespace kono
