#pragma once
/// Kokkos kernels behind kono::Conv and kono::ConvTranspose (kono::Impl; not for users).
///
/// Both layers relate a "small" strided grid (conv output, conv_transpose input) to a "large"
/// grid (conv input, conv_transpose output): small point o and kernel offset k touch large point
/// map(o*s - p + k*d), where map applies the padding mode. Every 1-d and 2-d problem is a 3-d one
/// with unit leading axes, so one kernel per direction serves all dimensions.
#include <cstdint>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>

namespace kono::Impl {

/// Padding modes as kernels see them (same order as kono::PaddingMode).
enum ConvPad : int { conv_pad_zero = 0, conv_pad_periodic = 1, conv_pad_reflect = 2 };

/// Extents and per-axis options of one convolution; axis 2 is the fastest (innermost) one.
struct ConvGeometry {
  int small[3];  ///< strided grid: conv output, conv_transpose input
  int large[3];  ///< read/written through the padding: conv input, conv_transpose output
  int kernel[3];
  int stride[3];
  int dilation[3];
  int pad[3];
  int mode[3];  ///< ConvPad; periodic needs pad <= large, reflect pad < large
};

/// [N, C, n0, n1, n2] view of tensor storage.
template <class Scalar, class MemorySpace>
using ConvTensor5 = UnmanagedView<Scalar, 5, MemorySpace>;
/// Bias vector (extent 0 when the layer has none).
template <class Scalar, class MemorySpace>
using ConvVector = UnmanagedView<Scalar, 1, MemorySpace>;

/// Tensor [N, C, spatial(dim)...] with contiguous storage `data` as [N, C, n0, n1, n2], the
/// leading 3 - dim spatial axes of extent 1.
template <class Scalar, class MemorySpace>
ConvTensor5<Scalar, MemorySpace> conv_view5(Scalar* data, Shape const& shape, int dim) {
  std::size_t e[3] = {1, 1, 1};
  for (int a = 0; a < dim; ++a) e[3 - dim + a] = static_cast<std::size_t>(shape[2 + a]);
  return ConvTensor5<Scalar, MemorySpace>(data, static_cast<std::size_t>(shape[0]), static_cast<std::size_t>(shape[1]),
                                          e[0], e[1], e[2]);
}

/// Large-grid index read for raw coordinate r (in [-pad, n + pad)), or -1 for a zero pad.
/// One wrap or mirror suffices because the layers check the pad against the extent.
KOKKOS_INLINE_FUNCTION int conv_source_index(int r, int n, int mode) {
  if (r >= 0 && r < n) return r;
  if (mode == conv_pad_periodic) return r < 0 ? r + n : r - n;
  if (mode == conv_pad_reflect) return r < 0 ? -r : 2 * (n - 1) - r;
  return -1;
}

/// The distinct raw coordinates that conv_source_index maps to i (at most 3), in r[].
KOKKOS_INLINE_FUNCTION int conv_preimages(int i, int n, int mode, int* r) {
  int c = 0;
  r[c++] = i;
  if (mode == conv_pad_periodic) {
    r[c++] = i - n;
    r[c++] = i + n;
  } else if (mode == conv_pad_reflect) {
    if (i > 0) r[c++] = -i;
    if (i < n - 1) r[c++] = 2 * (n - 1) - i;
  }
  return c;
}

/// small(n, a, o) = bias(a) + sum_{b, k} w(a, b, k) large(n, b, map(o*s - p + k*d)), w = [A, B, k...].
/// Conv forward (small = y) and conv_transpose input gradient (small = dx). One thread per output.
template <class ExecutionSpace, class Scalar, class MemorySpace>
void conv_gather_small(ExecutionSpace const& space, ConvGeometry const& geometry,
                       ConvTensor5<Scalar const, MemorySpace> const& w,
                       ConvTensor5<Scalar const, MemorySpace> const& large,
                       ConvTensor5<Scalar, MemorySpace> const& small,
                       ConvVector<Scalar const, MemorySpace> const& bias) {
  ConvGeometry const g = geometry;
  int const A = static_cast<int>(small.extent(1));
  int const B = static_cast<int>(large.extent(1));
  bool const has_bias = bias.extent(0) > 0;
  std::int64_t const total = static_cast<std::int64_t>(small.extent(0)) * A * g.small[0] * g.small[1] * g.small[2];
  Kokkos::parallel_for(
      "kono::Impl::conv_gather_small",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, total),
      KOKKOS_LAMBDA(std::int64_t idx) {
        int const o2 = static_cast<int>(idx % g.small[2]);
        idx /= g.small[2];
        int const o1 = static_cast<int>(idx % g.small[1]);
        idx /= g.small[1];
        int const o0 = static_cast<int>(idx % g.small[0]);
        idx /= g.small[0];
        int const a = static_cast<int>(idx % A);
        std::int64_t const n = idx / A;
        Scalar acc = has_bias ? bias(a) : Scalar(0);
        // Kernel offsets outside, channels inside: the padding map is evaluated once per offset.
        for (int k0 = 0; k0 < g.kernel[0]; ++k0) {
          int const i0 = conv_source_index(o0 * g.stride[0] - g.pad[0] + k0 * g.dilation[0], g.large[0], g.mode[0]);
          if (i0 < 0) continue;
          for (int k1 = 0; k1 < g.kernel[1]; ++k1) {
            int const i1 = conv_source_index(o1 * g.stride[1] - g.pad[1] + k1 * g.dilation[1], g.large[1], g.mode[1]);
            if (i1 < 0) continue;
            for (int k2 = 0; k2 < g.kernel[2]; ++k2) {
              int const i2 = conv_source_index(o2 * g.stride[2] - g.pad[2] + k2 * g.dilation[2], g.large[2], g.mode[2]);
              if (i2 < 0) continue;
              for (int b = 0; b < B; ++b) acc += w(a, b, k0, k1, k2) * large(n, b, i0, i1, i2);
            }
          }
        }
        small(n, a, o0, o1, o2) = acc;
      });
}

/// large(n, b, i) = bias(b) + sum over (a, k, o) with map(o*s - p + k*d) = i of w(a, b, k) small(n, a, o).
/// Conv input gradient (large = dx) and conv_transpose forward (large = y). A gather over
/// large points (one thread each) so that no two threads write the same value: no atomics.
template <class ExecutionSpace, class Scalar, class MemorySpace>
void conv_gather_large(ExecutionSpace const& space, ConvGeometry const& geometry,
                       ConvTensor5<Scalar const, MemorySpace> const& w,
                       ConvTensor5<Scalar const, MemorySpace> const& small,
                       ConvTensor5<Scalar, MemorySpace> const& large,
                       ConvVector<Scalar const, MemorySpace> const& bias) {
  ConvGeometry const g = geometry;
  int const A = static_cast<int>(small.extent(1));
  int const B = static_cast<int>(large.extent(1));
  bool const has_bias = bias.extent(0) > 0;
  std::int64_t const total = static_cast<std::int64_t>(large.extent(0)) * B * g.large[0] * g.large[1] * g.large[2];
  Kokkos::parallel_for(
      "kono::Impl::conv_gather_large",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, total),
      KOKKOS_LAMBDA(std::int64_t idx) {
        int i[3];
        i[2] = static_cast<int>(idx % g.large[2]);
        idx /= g.large[2];
        i[1] = static_cast<int>(idx % g.large[1]);
        idx /= g.large[1];
        i[0] = static_cast<int>(idx % g.large[0]);
        idx /= g.large[0];
        int const b = static_cast<int>(idx % B);
        std::int64_t const n = idx / B;
        int r0[3], r1[3], r2[3];
        int const c0 = conv_preimages(i[0], g.large[0], g.mode[0], r0);
        int const c1 = conv_preimages(i[1], g.large[1], g.mode[1], r1);
        int const c2 = conv_preimages(i[2], g.large[2], g.mode[2], r2);
        Scalar acc = has_bias ? bias(b) : Scalar(0);
        // o*s = r + p - k*d must be a multiple of s inside [0, small): the (k, o) pairs of each axis.
        for (int k0 = 0; k0 < g.kernel[0]; ++k0) {
          for (int q0 = 0; q0 < c0; ++q0) {
            int const t0 = r0[q0] + g.pad[0] - k0 * g.dilation[0];
            if (t0 < 0 || t0 % g.stride[0] != 0 || t0 / g.stride[0] >= g.small[0]) continue;
            int const o0 = t0 / g.stride[0];
            for (int k1 = 0; k1 < g.kernel[1]; ++k1) {
              for (int q1 = 0; q1 < c1; ++q1) {
                int const t1 = r1[q1] + g.pad[1] - k1 * g.dilation[1];
                if (t1 < 0 || t1 % g.stride[1] != 0 || t1 / g.stride[1] >= g.small[1]) continue;
                int const o1 = t1 / g.stride[1];
                for (int k2 = 0; k2 < g.kernel[2]; ++k2) {
                  for (int q2 = 0; q2 < c2; ++q2) {
                    int const t2 = r2[q2] + g.pad[2] - k2 * g.dilation[2];
                    if (t2 < 0 || t2 % g.stride[2] != 0 || t2 / g.stride[2] >= g.small[2]) continue;
                    int const o2 = t2 / g.stride[2];
                    for (int a = 0; a < A; ++a) acc += w(a, b, k0, k1, k2) * small(n, a, o0, o1, o2);
                  }
                }
              }
            }
          }
        }
        large(n, b, i[0], i[1], i[2]) = acc;
      });
}

/// dw(a, b, k) = sum_{n, o} small(n, a, o) large(n, b, map(o*s - p + k*d)), written or added.
/// One team per weight entry reducing over batch and small grid: race-free without atomics.
/// Threads take rows (n, o0, o1), vector lanes the contiguous o2, so no index is divided per term.
template <class ExecutionSpace, class Scalar, class MemorySpace>
void conv_weight_gradient(ExecutionSpace const& space, ConvGeometry const& geometry,
                          ConvTensor5<Scalar const, MemorySpace> const& small,
                          ConvTensor5<Scalar const, MemorySpace> const& large,
                          ConvTensor5<Scalar, MemorySpace> const& dw, bool accumulate) {
  ConvGeometry const g = geometry;
  int const A = static_cast<int>(dw.extent(0));
  int const B = static_cast<int>(dw.extent(1));
  std::int64_t const rows = static_cast<std::int64_t>(small.extent(0)) * g.small[0] * g.small[1];
  int const league = A * B * g.kernel[0] * g.kernel[1] * g.kernel[2];
  using policy = Kokkos::TeamPolicy<ExecutionSpace>;
  using member = typename policy::member_type;
  Kokkos::parallel_for(
      "kono::Impl::conv_weight_gradient", policy(space, league, Kokkos::AUTO, Kokkos::AUTO),
      KOKKOS_LAMBDA(member const& team) {
        int e = team.league_rank();
        int const k2 = e % g.kernel[2];
        e /= g.kernel[2];
        int const k1 = e % g.kernel[1];
        e /= g.kernel[1];
        int const k0 = e % g.kernel[0];
        e /= g.kernel[0];
        int const b = e % B;
        int const a = e / B;
        Scalar sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, rows),
            [&](std::int64_t row, Scalar& acc) {
              int const o1 = static_cast<int>(row % g.small[1]);
              row /= g.small[1];
              int const o0 = static_cast<int>(row % g.small[0]);
              std::int64_t const n = row / g.small[0];
              int const i0 = conv_source_index(o0 * g.stride[0] - g.pad[0] + k0 * g.dilation[0], g.large[0], g.mode[0]);
              int const i1 = conv_source_index(o1 * g.stride[1] - g.pad[1] + k1 * g.dilation[1], g.large[1], g.mode[1]);
              if (i0 < 0 || i1 < 0) return;
              Scalar const* s_row = &small(n, a, o0, o1, 0);
              Scalar const* l_row = &large(n, b, i0, i1, 0);
              Scalar row_sum = 0;
              Kokkos::parallel_reduce(
                  Kokkos::ThreadVectorRange(team, g.small[2]),
                  [&](int o2, Scalar& v) {
                    int const i2 =
                        conv_source_index(o2 * g.stride[2] - g.pad[2] + k2 * g.dilation[2], g.large[2], g.mode[2]);
                    if (i2 >= 0) v += s_row[o2] * l_row[i2];
                  },
                  row_sum);
              acc += row_sum;
            },
            sum);
        Kokkos::single(Kokkos::PerTeam(team), [&]() {
          if (accumulate)
            dw(a, b, k0, k1, k2) += sum;
          else
            dw(a, b, k0, k1, k2) = sum;
        });
      });
}

/// db(c) = sum_{n, x} t(n, c, x) over every batch and spatial point, written or added; one team per channel.
template <class ExecutionSpace, class Scalar, class MemorySpace>
void conv_bias_gradient(ExecutionSpace const& space, ConvTensor5<Scalar const, MemorySpace> const& t,
                        ConvVector<Scalar, MemorySpace> const& db, bool accumulate) {
  std::int64_t const N = static_cast<std::int64_t>(t.extent(0));
  std::int64_t const C = static_cast<std::int64_t>(t.extent(1));
  std::int64_t const P = static_cast<std::int64_t>(t.extent(2) * t.extent(3) * t.extent(4));
  Scalar const* data = t.data();
  using policy = Kokkos::TeamPolicy<ExecutionSpace>;
  using member = typename policy::member_type;
  Kokkos::parallel_for(
      "kono::Impl::conv_bias_gradient", policy(space, static_cast<int>(C), Kokkos::AUTO),
      KOKKOS_LAMBDA(member const& team) {
        int const c = team.league_rank();
        Scalar sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, N * P),
            [&](std::int64_t j, Scalar& acc) { acc += data[((j / P) * C + c) * P + j % P]; }, sum);
        Kokkos::single(Kokkos::PerTeam(team), [&]() {
          if (accumulate)
            db(c) += sum;
          else
            db(c) = sum;
        });
      });
}

}  // namespace kono::Impl
