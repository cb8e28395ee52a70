// Row-block decomposition of the coarse solver: halo'd copies of the stage states, packed halo
// exchange of all batch samples and channels in one message per direction, divergence gathered
// to every rank for the serial FFT pressure solve. Kernels are free functions over Views.
//
// Why not kono::HaloExchange: it moves one rank-3 field per call, and a stage here has B * 2
// velocity channels (and B * 4 T coefficient channels per step) that share one row split, so
// one packed MPI_Sendrecv per direction replaces up to a hundred small messages.
#include <kono/core/error.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/meshes/structured_grid.hpp>
#include <kono/operators/layer.hpp>
#include <kono/operators/stencil/decomposed_coarse_navier_stokes.hpp>
#include <kono/operators/stencil/stencil_geometry.hpp>

#include "coarse_navier_stokes_kernels.hpp"

#include <climits>
#include <sstream>
#include <cmath>
#include <vector>

namespace kono {
namespace stencil {
namespace {

using Impl::HaloRows;

// dst(b, c, dst_rows(j), i) = src(b, c, src_rows(j), i) for j < nrows.
template <class Exec, class V>
void copy_rows(Exec const& space, V const& src, HaloRows src_rows, V const& dst, HaloRows dst_rows, int nrows) {
  int const B = static_cast<int>(src.extent(0)), C = static_cast<int>(src.extent(1));
  int const nx = static_cast<int>(src.extent(3));
  Impl::for_each_cell(
      "kono::stencil::DecomposedCoarseNavierStokes::copy_rows", space, B * C, nrows, nx,
      KOKKOS_LAMBDA(int bc, int j, int i) {
        int const b = bc / C, c = bc - b * C;
        dst(b, c, dst_rows(j), i) = src(b, c, src_rows(j), i);
      });
}

// The first and last `halo` owned rows into the send buffers ([B, C, halo, nx] each).
template <class Exec, class V, class VB>
void pack_halos(Exec const& space, V const& f, VB const& lower, VB const& upper, int halo, int rows) {
  int const B = static_cast<int>(f.extent(0)), C = static_cast<int>(f.extent(1)), nx = static_cast<int>(f.extent(3));
  Impl::for_each_cell(
      "kono::stencil::DecomposedCoarseNavierStokes::pack_halos", space, B * C, halo, nx,
      KOKKOS_LAMBDA(int bc, int r, int i) {
        int const b = bc / C, c = bc - b * C;
        std::size_t const at = (std::size_t(bc) * halo + r) * nx + i;
        lower(at) = f(b, c, halo + r, i);
        upper(at) = f(b, c, rows + r, i);
      });
}

template <class Exec, class V, class VB>
void unpack_halos(Exec const& space, V const& f, VB const& lower, VB const& upper, int halo, int rows) {
  int const B = static_cast<int>(f.extent(0)), C = static_cast<int>(f.extent(1)), nx = static_cast<int>(f.extent(3));
  Impl::for_each_cell(
      "kono::stencil::DecomposedCoarseNavierStokes::unpack_halos", space, B * C, halo, nx,
      KOKKOS_LAMBDA(int bc, int r, int i) {
        int const b = bc / C, c = bc - b * C;
        std::size_t const at = (std::size_t(bc) * halo + r) * nx + i;
        f(b, c, r, i) = lower(at);
        f(b, c, halo + rows + r, i) = upper(at);
      });
}

// div(b, 0, j, i) at this rank's cell centres, from a halo'd velocity.
template <class Exec, class V>
void block_divergence(Exec const& space, V const& u, HaloRows rows, V const& div, int nrows, double hd) {
  using S = typename V::non_const_value_type;
  int const B = static_cast<int>(u.extent(0)), nx = static_cast<int>(u.extent(3));
  S const inv_h = S(1.0 / hd);
  Impl::for_each_cell(
      "kono::stencil::DecomposedCoarseNavierStokes::divergence", space, B, nrows, nx,
      KOKKOS_LAMBDA(int b, int j, int i) {
        int const ip = i + 1 == nx ? 0 : i + 1, jc = rows(j);
        div(b, 0, j, i) = ((u(b, 0, jc, ip) - u(b, 0, jc, i)) + (u(b, 1, rows(j + 1), i) - u(b, 1, jc, i))) * inv_h;
      });
}

// global(bc, J, i) from the rank-ordered Allgatherv buffer: rank r's block [BC, rows_r, nx]
// starts at BC * begin_r * nx.
template <class Exec, class VR, class VI, class V>
void unshuffle_rows(Exec const& space, VR const& recv, VI const& owner_begin, VI const& owner_rows, V const& global) {
  int const B = static_cast<int>(global.extent(0)), C = static_cast<int>(global.extent(1));
  int const n = static_cast<int>(global.extent(2)), nx = static_cast<int>(global.extent(3));
  Impl::for_each_cell(
      "kono::stencil::DecomposedCoarseNavierStokes::unshuffle_rows", space, B * C, n, nx,
      KOKKOS_LAMBDA(int bc, int J, int i) {
        int const b = bc / C, c = bc - b * C, begin = owner_begin(J), rows = owner_rows(J);
        std::size_t const at = std::size_t(B) * C * begin * nx + (std::size_t(bc) * rows + (J - begin)) * nx + i;
        global(b, c, J, i) = recv(at);
      });
}

// out(b, :, out_rows(j), i) = tmp - G p on this rank's rows, p global [B, 1, n, n].
template <class Exec, class V>
void block_subtract_gradient(Exec const& space, V const& tmp, HaloRows tmp_rows, V const& p, V const& out,
                             HaloRows out_rows, int row_begin, int nrows, double hd) {
  using S = typename V::non_const_value_type;
  int const B = static_cast<int>(tmp.extent(0)), nx = static_cast<int>(tmp.extent(3)),
            n = static_cast<int>(p.extent(2));
  S const inv_h = S(1.0 / hd);
  Impl::for_each_cell(
      "kono::stencil::DecomposedCoarseNavierStokes::subtract_gradient", space, B, nrows, nx,
      KOKKOS_LAMBDA(int b, int j, int i) {
        int const J = row_begin + j, Jm = J == 0 ? n - 1 : J - 1, im = i == 0 ? nx - 1 : i - 1;
        int const jt = tmp_rows(j), jo = out_rows(j);
        S const pc = p(b, 0, J, i);
        out(b, 0, jo, i) = tmp(b, 0, jt, i) - (pc - p(b, 0, J, im)) * inv_h;
        out(b, 1, jo, i) = tmp(b, 1, jt, i) - (pc - p(b, 0, Jm, i)) * inv_h;
      });
}

GridDecomposition make_decomposition(CoarseSolverOptions const& options, int n, MPI_Comm comm) {
  options.validate();
  int const reach = stencil_reach(options.stencil_size);
  KONO_USER_REQUIRE(n >= 2 * reach, invalid_argument,
                    "kono::stencil::DecomposedCoarseNavierStokes: n = " << n << " is too small for stencil_size "
                                                                        << options.stencil_size
                                                                        << " (needs n >= " << 2 * reach << ")");
  int size = 1;
  KONO_MPI_CHECK(MPI_Comm_size(comm, &size));
  KONO_USER_REQUIRE(n / size >= reach, invalid_argument,
                    "kono::stencil::DecomposedCoarseNavierStokes: " << n << " rows over " << size
                                                                    << " ranks leave some rank " << n / size
                                                                    << " rows, fewer than the halo of stencil_size "
                                                                    << options.stencil_size << " (" << reach << ")");
  double const h = options.domain_length / n;
  StructuredGrid const grid({n, n}, {h, h}, {0.0, 0.0}, {true, true});
  return GridDecomposition(grid, comm, reach, {size, 1});
}

}  // namespace

template <class MemorySpace, class Scalar>
struct DecomposedCoarseNavierStokes<MemorySpace, Scalar>::Workspace {
  using buffer = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>;
  using host_buffer = typename buffer::HostMirror;
  index_t batch = -1;
  tensor_type u0, s1, s2, tmp, flux, coef;  // halo'd [B, C, rows + 2 halo, n]
  tensor_type div_local, div_global;        // [B, 1, rows, n], [B, 1, n, n] (then the pressure)
  buffer send_lower, send_upper, recv_lower, recv_upper, gathered;
  host_buffer h_send_lower, h_send_upper, h_recv_lower, h_recv_upper, h_gathered, h_div_local;
  Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> forcing, linear;
  Kokkos::View<int*, Kokkos::LayoutRight, MemorySpace> owner_begin, owner_rows;  // per global row: its rank's block
  std::vector<int> begin_of, rows_of;                                            // per rank
  std::vector<int> counts, displs;                                               // of the last Allgatherv
};

template <class MemorySpace, class Scalar>
DecomposedCoarseNavierStokes<MemorySpace, Scalar>::DecomposedCoarseNavierStokes(CoarseSolverOptions const& options,
                                                                                int n, MPI_Comm comm)
    : m_options(options),
      m_n(n),
      m_h(options.domain_length / n),
      m_decomposition(make_decomposition(options, n, comm)),
      m_projection(n, options.domain_length) {}

template <class MemorySpace, class Scalar>
DecomposedCoarseNavierStokes<MemorySpace, Scalar>::~DecomposedCoarseNavierStokes() = default;
template <class MemorySpace, class Scalar>
DecomposedCoarseNavierStokes<MemorySpace, Scalar>::DecomposedCoarseNavierStokes(
    DecomposedCoarseNavierStokes&&) noexcept = default;
template <class MemorySpace, class Scalar>
DecomposedCoarseNavierStokes<MemorySpace, Scalar>& DecomposedCoarseNavierStokes<MemorySpace, Scalar>::operator=(
    DecomposedCoarseNavierStokes&&) noexcept = default;

template <class MemorySpace, class Scalar>
int DecomposedCoarseNavierStokes<MemorySpace, Scalar>::taps() const noexcept {
  return taps_per_target(m_options.stencil_size);
}

template <class MemorySpace, class Scalar>
typename DecomposedCoarseNavierStokes<MemorySpace, Scalar>::Workspace&
DecomposedCoarseNavierStokes<MemorySpace, Scalar>::workspace(index_t batch) const {
  int const S = m_options.stencil_size, T = taps_per_target(S), R = rows(), w = halo();
  if (!m_work) {
    m_work = std::make_unique<Workspace>();
    Workspace& ws = *m_work;
    Kokkos::View<Scalar*, Kokkos::LayoutRight, Kokkos::HostSpace> f(
        "kono::stencil::DecomposedCoarseNavierStokes::forcing", m_n);
    double const k = 2.0 * 3.14159265358979323846 * m_options.forcing_wavenumber / m_options.domain_length;
    for (int j = 0; j < m_n; ++j) f(j) = static_cast<Scalar>(std::sin(k * (j + 0.5) * m_h));
    Kokkos::View<Scalar*, Kokkos::LayoutRight, Kokkos::HostSpace> lin(
        "kono::stencil::DecomposedCoarseNavierStokes::linear", 4 * T);
    for (int t = 0; t < num_targets; ++t)
      for (int tap = 0; tap < T; ++tap) lin(t * T + tap) = static_cast<Scalar>(linear_coefficient(t, S, tap));
    ws.forcing = Kokkos::create_mirror_view_and_copy(MemorySpace{}, f);
    ws.linear = Kokkos::create_mirror_view_and_copy(MemorySpace{}, lin);
    int const P = m_decomposition.size();
    Kokkos::View<int*, Kokkos::LayoutRight, Kokkos::HostSpace> ob(
        "kono::stencil::DecomposedCoarseNavierStokes::owner_begin", m_n);
    Kokkos::View<int*, Kokkos::LayoutRight, Kokkos::HostSpace> orows(
        "kono::stencil::DecomposedCoarseNavierStokes::owner_rows", m_n);
    for (int r = 0; r < P; ++r) {
      ws.begin_of.push_back(static_cast<int>(m_decomposition.begin_of(r, 0)));
      ws.rows_of.push_back(static_cast<int>(m_decomposition.extent_of(r, 0)));
      for (int J = ws.begin_of.back(); J < ws.begin_of.back() + ws.rows_of.back(); ++J) {
        ob(J) = ws.begin_of.back();
        orows(J) = ws.rows_of.back();
      }
    }
    ws.owner_begin = Kokkos::create_mirror_view_and_copy(MemorySpace{}, ob);
    ws.owner_rows = Kokkos::create_mirror_view_and_copy(MemorySpace{}, orows);
  }
  Workspace& ws = *m_work;
  if (ws.batch != batch) {
    index_t const H = R + 2 * w;
    std::string const l = "kono::stencil::DecomposedCoarseNavierStokes::";
    ws.u0 = tensor_type(l + "u0", Shape{batch, 2, H, m_n});
    ws.s1 = tensor_type(l + "s1", Shape{batch, 2, H, m_n});
    ws.s2 = tensor_type(l + "s2", Shape{batch, 2, H, m_n});
    ws.tmp = tensor_type(l + "tmp", Shape{batch, 2, H, m_n});
    ws.flux = tensor_type(l + "flux", Shape{batch, 4, H, m_n});
    ws.coef = tensor_type();
    ws.div_local = tensor_type(l + "div_local", Shape{batch, 1, R, m_n});
    ws.div_global = tensor_type(l + "div_global", Shape{batch, 1, m_n, m_n});
    // Halo buffers fit the widest field exchanged: the coefficients' 4 T channels.
    index_t const halo_values = batch * 4 * T * w * m_n;
    KONO_USER_REQUIRE(halo_values <= INT_MAX && batch * m_n * m_n <= INT_MAX, unsupported,
                      "kono::stencil::DecomposedCoarseNavierStokes: batch " << batch << " at n = " << m_n
                                                                            << " exceeds one MPI message");
    using buffer = typename Workspace::buffer;
    ws.send_lower = buffer(l + "send_lower", halo_values);
    ws.send_upper = buffer(l + "send_upper", halo_values);
    ws.recv_lower = buffer(l + "recv_lower", halo_values);
    ws.recv_upper = buffer(l + "recv_upper", halo_values);
    ws.gathered = buffer(l + "gathered", batch * m_n * m_n);
    ws.h_send_lower = Kokkos::create_mirror_view(ws.send_lower);
    ws.h_send_upper = Kokkos::create_mirror_view(ws.send_upper);
    ws.h_recv_lower = Kokkos::create_mirror_view(ws.recv_lower);
    ws.h_recv_upper = Kokkos::create_mirror_view(ws.recv_upper);
    ws.h_gathered = Kokkos::create_mirror_view(ws.gathered);
    ws.h_div_local = Kokkos::create_mirror_view(ws.div_local.data());
    ws.batch = batch;
  }
  return ws;
}

template <class MemorySpace, class Scalar>
void DecomposedCoarseNavierStokes<MemorySpace, Scalar>::exchange(execution_space const& space,
                                                                 tensor_type const& field) const {
  Workspace& ws = *m_work;
  int const w = halo(), R = rows();
  int const count = static_cast<int>(field.extent(0) * field.extent(1) * w * m_n);
  auto const f = field.template view<4>();
  auto const range = std::make_pair(std::size_t(0), std::size_t(count));
  auto const sl = Kokkos::subview(ws.send_lower, range), su = Kokkos::subview(ws.send_upper, range);
  auto const rl = Kokkos::subview(ws.recv_lower, range), ru = Kokkos::subview(ws.recv_upper, range);
  pack_halos(space, f, sl, su, w, R);
  space.fence();  // MPI reads host copies: the pack must be done
  // Only `count` values travel (the buffers fit the widest field); no-op copies on host spaces.
  Kokkos::deep_copy(Kokkos::subview(ws.h_send_lower, range), sl);
  Kokkos::deep_copy(Kokkos::subview(ws.h_send_upper, range), su);
  MPI_Datatype const type = ::kono::Impl::mpi_datatype<Scalar>();
  MPI_Comm const comm = m_decomposition.comm();
  int const lower = m_decomposition.neighbor(0, -1), upper = m_decomposition.neighbor(0, +1);
  // My first rows are the lower neighbour's upper halo; my last rows its upper neighbour's lower halo.
  KONO_MPI_CHECK(MPI_Sendrecv(ws.h_send_lower.data(), count, type, lower, 231, ws.h_recv_upper.data(), count, type,
                              upper, 231, comm, MPI_STATUS_IGNORE));
  KONO_MPI_CHECK(MPI_Sendrecv(ws.h_send_upper.data(), count, type, upper, 232, ws.h_recv_lower.data(), count, type,
                              lower, 232, comm, MPI_STATUS_IGNORE));
  Kokkos::deep_copy(rl, Kokkos::subview(ws.h_recv_lower, range));
  Kokkos::deep_copy(ru, Kokkos::subview(ws.h_recv_upper, range));
  unpack_halos(space, f, rl, ru, w, R);
}

template <class MemorySpace, class Scalar>
void DecomposedCoarseNavierStokes<MemorySpace, Scalar>::gather_rows(execution_space const& space,
                                                                    tensor_type const& local,
                                                                    tensor_type const& global) const {
  Workspace& ws = *m_work;
  index_t const BC = local.extent(0) * local.extent(1);
  int const P = m_decomposition.size();
  ws.counts.resize(static_cast<std::size_t>(P));
  ws.displs.resize(static_cast<std::size_t>(P));
  for (int r = 0; r < P; ++r) {
    ws.counts[std::size_t(r)] = static_cast<int>(BC * ws.rows_of[std::size_t(r)] * m_n);
    ws.displs[std::size_t(r)] = static_cast<int>(BC * ws.begin_of[std::size_t(r)] * m_n);
  }
  // The projection's divergence uses the workspace buffers; other fields (gather()) get their own.
  bool const hot = local.data().data() == ws.div_local.data().data();
  typename Workspace::buffer recv =
      hot ? ws.gathered
          : typename Workspace::buffer("kono::stencil::DecomposedCoarseNavierStokes::gathered", BC * m_n * m_n);
  auto h_recv = hot ? ws.h_gathered : Kokkos::create_mirror_view(recv);
  auto h_send = hot ? ws.h_div_local : Kokkos::create_mirror_view(local.data());
  space.fence();  // MPI reads host copies
  Kokkos::deep_copy(h_send, local.data());
  MPI_Datatype const type = ::kono::Impl::mpi_datatype<Scalar>();
  KONO_MPI_CHECK(MPI_Allgatherv(h_send.data(), static_cast<int>(local.size()), type, h_recv.data(), ws.counts.data(),
                                ws.displs.data(), type, m_decomposition.comm()));
  Kokkos::deep_copy(recv, h_recv);
  unshuffle_rows(space, recv, ws.owner_begin, ws.owner_rows, global.template view<4>());
}

template <class MemorySpace, class Scalar>
void DecomposedCoarseNavierStokes<MemorySpace, Scalar>::project(execution_space const& space, tensor_type const& tmp,
                                                                tensor_type const& out, bool out_has_halo) const {
  Workspace& ws = *m_work;
  int const w = halo(), R = rows();
  exchange(space, tmp);  // the divergence of the last owned row reads v one row up
  block_divergence(space, tmp.template view<4>(), HaloRows{w}, ws.div_local.template view<4>(), R, m_h);
  gather_rows(space, ws.div_local, ws.div_global);
  m_projection.pressure(space, ws.div_global, ws.div_global);
  block_subtract_gradient(space, tmp.template view<4>(), HaloRows{w}, ws.div_global.template view<4>(),
                          out.template view<4>(), HaloRows{out_has_halo ? w : 0}, row_begin(), R, m_h);
}

template <class MemorySpace, class Scalar>
void DecomposedCoarseNavierStokes<MemorySpace, Scalar>::step(execution_space const& space, tensor_type const& u_in,
                                                             tensor_type const& coeffs, tensor_type const& params,
                                                             tensor_type const& u_out) const {
  ProfilingRegion region("kono::stencil::DecomposedCoarseNavierStokes::step");
  int const R = rows(), w = halo(), S = m_options.stencil_size, T = taps();
  char const* const where = "kono::stencil::DecomposedCoarseNavierStokes::step: ";
  // Checked collectively: a rank that threw alone would leave the others waiting in a halo
  // exchange, so every rank learns whether any rank's input is bad and throws with it.
  std::ostringstream problem;
  index_t const B = u_in.rank() == 4 ? u_in.extent(0) : 0;
  bool const linear = coeffs.size() == 0;
  if (!(u_in.rank() == 4 && u_in.extent(1) == 2 && u_in.extent(2) == R && u_in.extent(3) == m_n))
    problem << "velocity \"" << u_in.label() << "\" has shape " << u_in.shape().to_string() << ", expected [B, 2, " << R
            << ", " << m_n << "] (rows " << row_begin() << " .. " << row_begin() + R << " of rank "
            << m_decomposition.rank() << ")";
  else if (u_out.shape() != u_in.shape())
    problem << "output \"" << u_out.label() << "\" has shape " << u_out.shape().to_string() << ", expected "
            << u_in.shape().to_string();
  else if (!linear && coeffs.shape() != (Shape{B, 4 * T, R, m_n}))
    problem << "coefficients \"" << coeffs.label() << "\" have shape " << coeffs.shape().to_string() << ", expected ["
            << B << ", " << 4 * T << ", " << R << ", " << m_n << "] or empty";
  else if (params.shape() != (Shape{B, 2}))
    problem << "params \"" << params.label() << "\" have shape " << params.shape().to_string() << ", expected [" << B
            << ", 2]";
  long long const mine[5] = {problem.str().empty() ? 1 : 0, B, -B, linear ? 1 : 0, linear ? 0 : 1};
  long long all[5] = {};
  KONO_MPI_CHECK(MPI_Allreduce(mine, all, 5, MPI_LONG_LONG, MPI_MIN, m_decomposition.comm()));
  KONO_USER_REQUIRE(!problem.str().empty() || all[0] == 1, size_mismatch,
                    where << "the input of another rank is bad (see that rank's error)");
  KONO_USER_REQUIRE(problem.str().empty(), size_mismatch, where << problem.str());
  KONO_USER_REQUIRE(all[1] == -all[2], size_mismatch,
                    where << "the ranks pass different batch sizes (" << all[1] << " to " << -all[2] << ")");
  KONO_USER_REQUIRE(all[3] == 1 - all[4], invalid_argument,
                    where << "some ranks pass coefficients and others an empty tensor");
  if (B == 0) return;
  Workspace& ws = workspace(B);
  using V4 = UnmanagedView<Scalar, 4, MemorySpace>;
  if (!linear) {
    if (ws.coef.size() == 0)
      ws.coef = tensor_type("kono::stencil::DecomposedCoarseNavierStokes::coef", Shape{B, 4 * T, R + 2 * w, m_n});
    copy_rows(space, coeffs.template view<4>(), HaloRows{0}, ws.coef.template view<4>(), HaloRows{w}, R);
    exchange(space, ws.coef);
  }
  Impl::Coefficients<V4, Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>> coef{
      linear ? V4() : ws.coef.template view<4>(), ws.linear, linear};
  copy_rows(space, u_in.template view<4>(), HaloRows{0}, ws.u0.template view<4>(), HaloRows{w}, R);
  exchange(space, ws.u0);
  auto const pv = params.template view<2>();
  auto const u0 = ws.u0.template view<4>();
  double const dt = m_options.dt, drag = m_options.drag;
  // tmp = c0 u0 + c1 s + c2 F(s) on the owned rows, then the projection into `into`.
  auto stage = [&](tensor_type const& s, double c0, double c1, double c2, tensor_type const& into, bool halo_out) {
    auto const sv = s.template view<4>();
    Impl::run_stage(space, u0, sv, coef, ws.flux.template view<4>(), pv, ws.forcing, ws.tmp.template view<4>(),
                    HaloRows{w}, row_begin(), R, S, c0, c1, c2, drag, m_h);
    project(space, ws.tmp, into, halo_out);
    if (halo_out) exchange(space, into);
  };
  if (m_options.time_stepper == TimeStepper::euler) {
    stage(ws.u0, 0.0, 1.0, dt, u_out, false);
  } else {
    stage(ws.u0, 0.0, 1.0, dt, ws.s1, true);
    stage(ws.s1, 0.75, 0.25, 0.25 * dt, ws.s2, true);
    stage(ws.s2, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0 * dt, u_out, false);
  }
}

template <class MemorySpace, class Scalar>
typename DecomposedCoarseNavierStokes<MemorySpace, Scalar>::tensor_type
DecomposedCoarseNavierStokes<MemorySpace, Scalar>::local_rows(execution_space const& space,
                                                              tensor_type const& global) const {
  KONO_USER_REQUIRE(global.rank() == 4 && global.extent(2) == m_n && global.extent(3) == m_n, size_mismatch,
                    "kono::stencil::DecomposedCoarseNavierStokes::local_rows: \""
                        << global.label() << "\" has shape " << global.shape().to_string() << ", expected [B, C, "
                        << m_n << ", " << m_n << "]");
  tensor_type local(Kokkos::WithoutInitializing, global.label() + " (rows)",
                    Shape{global.extent(0), global.extent(1), rows(), m_n});
  copy_rows(space, global.template view<4>(), HaloRows{row_begin()}, local.template view<4>(), HaloRows{0}, rows());
  return local;
}

template <class MemorySpace, class Scalar>
typename DecomposedCoarseNavierStokes<MemorySpace, Scalar>::tensor_type
DecomposedCoarseNavierStokes<MemorySpace, Scalar>::gather(execution_space const& space,
                                                          tensor_type const& local) const {
  KONO_USER_REQUIRE(local.rank() == 4 && local.extent(2) == rows() && local.extent(3) == m_n, size_mismatch,
                    "kono::stencil::DecomposedCoarseNavierStokes::gather: \""
                        << local.label() << "\" has shape " << local.shape().to_string() << ", expected [B, C, "
                        << rows() << ", " << m_n << "]");
  if (!m_work) workspace(local.extent(0));  // the row tables; a stepping batch keeps its scratch
  tensor_type global(Kokkos::WithoutInitializing, local.label() + " (gathered)",
                     Shape{local.extent(0), local.extent(1), m_n, m_n});
  gather_rows(space, local, global);
  return global;
}

KONO_INSTANTIATE_FOR_SCALARS(DecomposedCoarseNavierStokes)

}  // namespace stencil
}  // namespace kono
