#pragma once
// Forward kernels of the coarse solver shared by CoarseNavierStokes (whole periodic grid) and
// DecomposedCoarseNavierStokes (a block of rows with halos). A Rows functor maps a row index
// (possibly outside [0, rows owned)) to the array row: periodic wrap on the whole grid, a
// shift past the halo on a block. x is always whole and periodic.
#include <kono/core/kokkos_compat.hpp>
#include <kono/operators/stencil/stencil_geometry.hpp>

#include "cell_loop.hpp"

namespace kono {
namespace stencil {
namespace Impl {

KOKKOS_INLINE_FUNCTION int wrap(int x, int n) { return x < 0 ? x + n : (x >= n ? x - n : x); }

/// Rows of a whole periodic grid of n rows.
struct PeriodicRows {
  int n;
  KOKKOS_INLINE_FUNCTION int operator()(int j) const { return wrap(j, n); }
};
/// Rows of a block stored below `halo` halo rows: row j is array row j + halo.
struct HaloRows {
  int halo;
  KOKKOS_INLINE_FUNCTION int operator()(int j) const { return j + halo; }
};

/// Coefficient c[b][ch][row][i], or the classical linear stencil's table entry when `linear`.
template <class VC, class VL>
struct Coefficients {
  VC c;
  VL table;
  bool linear;
  KOKKOS_INLINE_FUNCTION typename VL::non_const_value_type operator()(int b, int ch, int row, int i) const {
    return linear ? table(ch) : c(b, ch, row, i);
  }
};

/// Linearly averaged advecting velocities Uc, Vk, Uk, Vc at cell/corner (j, i) (geometry header).
template <class VU, class Rows>
KOKKOS_FORCEINLINE_FUNCTION void advecting(VU const& u, Rows const& rows, int b, int j, int i, int nx,
                                           typename VU::non_const_value_type* a) {
  using S = typename VU::non_const_value_type;
  int const im = i == 0 ? nx - 1 : i - 1, ip = i + 1 == nx ? 0 : i + 1;
  int const jc = rows(j), jm = rows(j - 1), jp = rows(j + 1);
  S const half = S(0.5);
  a[0] = half * (u(b, 0, jc, i) + u(b, 0, jc, ip));
  a[1] = half * (u(b, 1, jc, im) + u(b, 1, jc, i));
  a[2] = half * (u(b, 0, jm, i) + u(b, 0, jc, i));
  a[3] = half * (u(b, 1, jc, i) + u(b, 1, jp, i));
}

/// Calls f(k, dy, dx) for the taps k of target t (tap_offset order) without tap_offset's
/// per-tap divisions: its offsets are a base plus (ty, tx).
template <class F>
KOKKOS_FORCEINLINE_FUNCTION void for_each_tap(int t, int S, F const& f) {
  int dy0 = 0, dx0 = 0;
  tap_offset(t, S, 0, dy0, dx0);
  int const ntx = taps_x(t, S), nty = taps_y(t, S);
  for (int ty = 0; ty < nty; ++ty)
    for (int tx = 0; tx < ntx; ++tx) f(ty * ntx + tx, dy0 + ty, dx0 + tx);
}

/// q_t at (j, i): the stencil of target t applied to its source component.
template <class VU, class Coef, class Rows>
KOKKOS_FORCEINLINE_FUNCTION typename VU::non_const_value_type interpolate(VU const& u, Coef const& coef,
                                                                          Rows const& rows, int b, int t, int j, int i,
                                                                          int nx, int S, int T) {
  typename VU::non_const_value_type q = 0;
  int const comp = source_component(t), jc = rows(j);
  for_each_tap(t, S, [&](int k, int dy, int dx) {
    q += coef(b, t * T + k, jc, i) * u(b, comp, rows(j + dy), wrap(i + dx, nx));
  });
  return q;
}

/// flux(b, t, rows(j), i) = a_t q_t for rows j in [j_first, j_first + nrows).
template <class Exec, class VU, class Coef, class VF, class Rows>
void flux_kernel(Exec const& space, VU const& u, Coef const& coef, VF const& flux, Rows const& rows, int j_first,
                 int nrows, int S) {
  using Sc = typename VF::non_const_value_type;
  int const B = static_cast<int>(u.extent(0)), nx = static_cast<int>(u.extent(3));
  int const T = taps_per_target(S);
  for_each_cell(
      "kono::stencil::CoarseNavierStokes::flux", space, B, nrows, nx, KOKKOS_LAMBDA(int b, int r, int i) {
        int const j = j_first + r, jc = rows(j);
        Sc a[4];
        advecting(u, rows, b, j, i, nx, a);
        for (int t = 0; t < num_targets; ++t)
          flux(b, t, jc, i) = a[t] * interpolate(u, coef, rows, b, t, j, i, nx, S, T);
      });
}

/// Precomputed fluxes (flux_kernel) read at logical row j.
template <class VF, class Rows>
struct StoredFlux {
  VF flux;
  Rows rows;
  KOKKOS_FORCEINLINE_FUNCTION typename VF::non_const_value_type operator()(int b, int t, int j, int i) const {
    return flux(b, t, rows(j), i);
  }
};

/// The classical stencil's fluxes computed where they are read (q = the advecting average), so
/// the classical step needs no flux array: each flux is recomputed twice, which is cheaper than
/// writing and reading four arrays.
template <class VU, class Rows>
struct LinearFlux {
  VU u;
  Rows rows;
  int nx;
  KOKKOS_FORCEINLINE_FUNCTION typename VU::non_const_value_type operator()(int b, int t, int j, int i) const {
    using S = typename VU::non_const_value_type;
    S a[4];
    advecting(u, rows, b, j, i, nx, a);
    switch (t) {
      case 0:
        return a[0] * a[0];
      case 1:
        return a[1] * a[2];
      case 2:
        return a[2] * a[1];
      default:
        return a[3] * a[3];
    }
  }
};

/// out = c0 u0 + c1 w + c2 F(w) on rows [0, nrows), F from the fluxes of w at logical rows
/// -1 .. nrows; forcing is indexed by the global row row_begin + j.
template <class Exec, class VU, class VF, class VP, class VY, class VO, class Rows>
void stage_kernel(Exec const& space, VU const& u0, VU const& w, VF const& flux, VP const& params, VY const& forcing,
                  VO const& out, Rows const& rows, int row_begin, int nrows, double c0d, double c1d, double c2d,
                  double dragd, double hd) {
  using S = typename VO::non_const_value_type;
  int const B = static_cast<int>(w.extent(0)), nx = static_cast<int>(w.extent(3));
  S const c0 = S(c0d), c1 = S(c1d), c2 = S(c2d), drag = S(dragd), inv_h = S(1.0 / hd), inv_h2 = S(1.0 / (hd * hd));
  for_each_cell(
      "kono::stencil::CoarseNavierStokes::stage", space, B, nrows, nx, KOKKOS_LAMBDA(int b, int j, int i) {
        int const im = i == 0 ? nx - 1 : i - 1, ip = i + 1 == nx ? 0 : i + 1;
        int const jc = rows(j), jm = rows(j - 1), jp = rows(j + 1);
        S const nu = params(b, 0), amp = params(b, 1);
        S const uc = w(b, 0, jc, i), vc = w(b, 1, jc, i);
        S const lap_u = (w(b, 0, jc, ip) + w(b, 0, jc, im) + w(b, 0, jp, i) + w(b, 0, jm, i) - S(4) * uc) * inv_h2;
        S const lap_v = (w(b, 1, jc, ip) + w(b, 1, jc, im) + w(b, 1, jp, i) + w(b, 1, jm, i) - S(4) * vc) * inv_h2;
        S const fu = -(flux(b, 0, j, i) - flux(b, 0, j, im)) * inv_h -
                     (flux(b, 1, j + 1, i) - flux(b, 1, j, i)) * inv_h + nu * lap_u + amp * forcing(row_begin + j) -
                     drag * uc;
        S const fv = -(flux(b, 2, j, ip) - flux(b, 2, j, i)) * inv_h -
                     (flux(b, 3, j, i) - flux(b, 3, j - 1, i)) * inv_h + nu * lap_v - drag * vc;
        out(b, 0, jc, i) = c0 * u0(b, 0, jc, i) + c1 * uc + c2 * fu;
        out(b, 1, jc, i) = c0 * u0(b, 1, jc, i) + c1 * vc + c2 * fv;
      });
}

/// One stage: tmp = c0 u0 + c1 w + c2 F(w) on rows [0, nrows) of a grid whose row map is `rows`;
/// learned coefficients go through the flux array (rows -1 .. nrows), the classical stencil
/// computes its fluxes in place.
template <class Exec, class VU, class Coef, class VF, class VP, class VY, class Rows>
void run_stage(Exec const& space, VU const& u0, VU const& w, Coef const& coef, VF const& flux, VP const& params,
               VY const& forcing, VU const& tmp, Rows const& rows, int row_begin, int nrows, int S, double c0,
               double c1, double c2, double drag, double h) {
  int const nx = static_cast<int>(w.extent(3));
  if (coef.linear) {
    stage_kernel(space, u0, w, LinearFlux<VU, Rows>{w, rows, nx}, params, forcing, tmp, rows, row_begin, nrows, c0, c1,
                 c2, drag, h);
  } else {
    flux_kernel(space, w, coef, flux, rows, -1, nrows + 2, S);
    stage_kernel(space, u0, w, StoredFlux<VF, Rows>{flux, rows}, params, forcing, tmp, rows, row_begin, nrows, c0, c1,
                 c2, drag, h);
  }
}

}  // namespace Impl
}  // namespace stencil
}  // namespace kono
