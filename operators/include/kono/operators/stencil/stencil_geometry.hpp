#pragma once
/// Geometry of kono's staggered (MAC) periodic grid and of the interpolation stencils the
/// learned finite-volume solver uses. Shared by the coarse solver, the stencil constraint and
/// the models, so every part agrees on where a tap sits.
///
/// Grid: n x n cells of width h = L / n on the periodic square [0, L)^2; arrays are [.., ny, nx]
/// (axis 0 is y, slowest; axis 1 is x). Cell (j, i) has its centre at ((i + 1/2) h, (j + 1/2) h).
/// Velocity channel 0 is u (x component) at the x-faces (i h, (j + 1/2) h); channel 1 is v (y
/// component) at the y-faces ((i + 1/2) h, j h): the face averages a finite-volume scheme
/// carries. Corner (j, i) is the point (i h, j h); vorticity lives there.
///
/// Flux form (what the solver computes, h the cell width; indices periodic):
///   du[j][i]/dt = -( Uc[j][i] q0[j][i] - Uc[j][i-1] q0[j][i-1] ) / h
///                 -( Vk[j+1][i] q1[j+1][i] - Vk[j][i] q1[j][i] ) / h + ...
///   dv[j][i]/dt = -( Uk[j][i+1] q2[j][i+1] - Uk[j][i] q2[j][i] ) / h
///                 -( Vc[j][i] q3[j][i] - Vc[j-1][i] q3[j-1][i] ) / h + ...
/// with the advecting velocities averaged linearly, Uc[j][i] = (u[j][i] + u[j][i+1]) / 2 (at
/// centres), Vk[j][i] = (v[j][i-1] + v[j][i]) / 2, Uk[j][i] = (u[j-1][i] + u[j][i]) / 2 (at
/// corners), Vc[j][i] = (v[j][i] + v[j+1][i]) / 2, and the advected values q0..q3 interpolated
/// by the stencils below (the learned part).
#include <kono/core/kokkos_compat.hpp>

namespace kono {
namespace stencil {

/// The four interpolated (advected) values, one per face of the two momentum control volumes.
enum class Target : int {
  u_center = 0,  ///< u at the cell centre ((i+1/2) h, (j+1/2) h): x-flux of u
  u_corner = 1,  ///< u at the corner (i h, j h): y-flux of u
  v_corner = 2,  ///< v at the corner (i h, j h): x-flux of v
  v_center = 3   ///< v at the cell centre: y-flux of v
};
inline constexpr int num_targets = 4;

/// Velocity component a target interpolates (0: u, 1: v).
KOKKOS_INLINE_FUNCTION constexpr int source_component(int target) { return target < 2 ? 0 : 1; }
/// Whether the target lies midway between source points along x (else aligned with a column).
KOKKOS_INLINE_FUNCTION constexpr bool midway_in_x(int target) { return target == 0 || target == 2; }

/// Taps of one target for stencil size S (even, >= 2): S points along the axis where the target
/// is midway, S - 1 (centred) along the axis where it is aligned.
KOKKOS_INLINE_FUNCTION constexpr int taps_x(int target, int S) { return midway_in_x(target) ? S : S - 1; }
KOKKOS_INLINE_FUNCTION constexpr int taps_y(int target, int S) { return midway_in_x(target) ? S - 1 : S; }
KOKKOS_INLINE_FUNCTION constexpr int taps_per_target(int S) { return S * (S - 1); }

/// Integer offsets (dy, dx) of tap t (t = ty * taps_x + tx) of `target` at cell/corner (j, i):
/// the source value is component source_component(target) at [j + dy][i + dx] (periodic).
KOKKOS_INLINE_FUNCTION void tap_offset(int target, int S, int t, int& dy, int& dx) {
  int const ntx = taps_x(target, S);
  int const tx = t % ntx, ty = t / ntx;
  int const mid0 = -(S / 2) + 1;  // first offset along a midway axis, relative to the lower neighbour
  int const al0 = -(S / 2) + 1;   // first offset along an aligned axis (S - 1 centred taps)
  // Lower neighbour along the midway axis: u_center x: i; u_corner y: j-1; v_corner x: i-1; v_center y: j.
  switch (target) {
    case 0: dx = mid0 + tx; dy = al0 + ty; break;
    case 1: dx = al0 + tx; dy = -1 + mid0 + ty; break;
    case 2: dx = -1 + mid0 + tx; dy = al0 + ty; break;
    default: dx = al0 + tx; dy = mid0 + ty; break;
  }
}

/// Position of tap t relative to the target, in units of h (for polynomial constraints).
KOKKOS_INLINE_FUNCTION void tap_position(int target, int S, int t, double& ry, double& rx) {
  int dy = 0, dx = 0;
  tap_offset(target, S, t, dy, dx);
  // Source points sit half a cell from the target along its midway axis (see Target).
  switch (target) {
    case 0: rx = dx - 0.5; ry = dy; break;  // u at x = (i+dx) h vs target (i+1/2) h
    case 1: rx = dx; ry = dy + 0.5; break;  // u at y = (j+dy+1/2) h vs target j h
    case 2: rx = dx + 0.5; ry = dy; break;  // v at x = (i+dx+1/2) h vs target i h
    default: rx = dx; ry = dy - 0.5; break; // v at y = (j+dy) h vs target (j+1/2) h
  }
}

/// The classical (second-order, linear) stencil: the mean of the two nearest source points.
KOKKOS_INLINE_FUNCTION double linear_coefficient(int target, int S, int t) {
  double ry = 0, rx = 0;
  tap_position(target, S, t, ry, rx);
  bool const mx = midway_in_x(target);
  double const mid = mx ? rx : ry, al = mx ? ry : rx;
  return (al == 0.0 && (mid == -0.5 || mid == 0.5)) ? 0.5 : 0.0;
}

/// Widest periodic reach of any tap along either axis (halo width a stencil needs).
KOKKOS_INLINE_FUNCTION constexpr int stencil_reach(int S) { return S / 2 + 1; }

}  // namespace stencil
}  // namespace kono
