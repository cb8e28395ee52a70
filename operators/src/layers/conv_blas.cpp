#include "conv_blas.hpp"

#include <cblas.h>

#include <algorithm>

namespace kono::Impl {
namespace {

inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, float const* a, int lda,
                 float const* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, double const* a, int lda,
                 double const* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

struct Sizes {
  int K;             ///< kernel offsets
  std::ptrdiff_t S;  ///< small-grid points
  std::ptrdiff_t L;  ///< large-grid points
};

Sizes sizes(ConvGeometry const& g) {
  return {g.kernel[0] * g.kernel[1] * g.kernel[2], std::ptrdiff_t{g.small[0]} * g.small[1] * g.small[2],
          std::ptrdiff_t{g.large[0]} * g.large[1] * g.large[2]};
}

/// 1x1 kernel, unit stride, no padding: im2col is the identity, so the GEMMs use the tensors directly.
bool is_pointwise(ConvGeometry const& g) {
  for (int ax = 0; ax < 3; ++ax)
    if (g.kernel[ax] != 1 || g.stride[ax] != 1 || g.pad[ax] != 0) return false;
  return true;
}

int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/// One row of im2col along the contiguous axis (scatter = false: c = patch of l) or of its
/// adjoint (scatter = true: l += patch of c). The o with o*s + off inside [0, n) form one range
/// [lo, hi) read without the padding map; only the few edge points go through conv_source_index.
template <bool scatter, class Scalar>
inline void im2col_row(Scalar* __restrict c, Scalar* __restrict l, int m, int lo, int hi, int s, int off, int n,
                       int mode) {
  auto edge = [&](int o) {
    int const i = conv_source_index(o * s + off, n, mode);
    if (scatter) {
      if (i >= 0) l[i] += c[o];
    } else {
      c[o] = i >= 0 ? l[i] : Scalar(0);
    }
  };
  for (int o = 0; o < lo; ++o) edge(o);
  if (s == 1) {
    Scalar* __restrict ls = l + (lo + off);  // lo + off >= 0 whenever lo < hi
    Scalar* __restrict cs = c + lo;
    int const count = hi - lo;
    if (scatter) {
      // Fixed-length blocks: -O2's cheap vectorizer takes them, not a loop of unknown length.
      int j = 0;
      for (; j + 8 <= count; j += 8)
        for (int t = 0; t < 8; ++t) ls[j + t] += cs[j + t];
      for (; j < count; ++j) ls[j] += cs[j];
    } else {
      std::copy(ls, ls + count, cs);
    }
  } else {
    for (int o = lo; o < hi; ++o) {
      if (scatter)
        l[o * s + off] += c[o];
      else
        c[o] = l[o * s + off];
    }
  }
  for (int o = hi; o < m; ++o) edge(o);
}

/// One sample's im2col (scatter = false: col = patches of large) or its adjoint col2im
/// (scatter = true: large += patches of col). Rows (b, k0, k1, k2), columns (o0, o1, o2).
template <bool scatter, class Scalar>
void im2col_sample(ConvGeometry const& g, int B, Scalar* large, Scalar* col) {
  int const S1 = g.small[1], S2 = g.small[2];
  int const L1 = g.large[1], L2 = g.large[2];
  Sizes const z = sizes(g);
  Scalar* row = col;
  for (int b = 0; b < B; ++b) {
    Scalar* lb = large + b * z.L;
    for (int k0 = 0; k0 < g.kernel[0]; ++k0)
      for (int k1 = 0; k1 < g.kernel[1]; ++k1)
        for (int k2 = 0; k2 < g.kernel[2]; ++k2, row += z.S) {
          int const s2 = g.stride[2];
          int const off2 = k2 * g.dilation[2] - g.pad[2];
          int const lo = std::clamp(ceil_div(-off2, s2), 0, S2);
          int const hi = std::clamp(ceil_div(L2 - off2, s2), lo, S2);
          for (int o0 = 0; o0 < g.small[0]; ++o0) {
            int const i0 = conv_source_index(o0 * g.stride[0] - g.pad[0] + k0 * g.dilation[0], g.large[0], g.mode[0]);
            for (int o1 = 0; o1 < S1; ++o1) {
              int const i1 =
                  conv_source_index(o1 * g.stride[1] - g.pad[1] + k1 * g.dilation[1], g.large[1], g.mode[1]);
              Scalar* c = row + (std::ptrdiff_t{o0} * S1 + o1) * S2;
              if (i0 < 0 || i1 < 0) {
                if (!scatter) std::fill(c, c + S2, Scalar(0));
                continue;
              }
              im2col_row<scatter>(c, lb + (std::ptrdiff_t{i0} * L1 + i1) * L2, S2, lo, hi, s2, off2, L2, g.mode[2]);
            }
          }
        }
  }
}

template <class Scalar>
void fill_rows(Scalar* t, int rows, std::ptrdiff_t cols, Scalar const* values) {
  for (int r = 0; r < rows; ++r) std::fill(t + r * cols, t + (r + 1) * cols, values ? values[r] : Scalar(0));
}

}  // namespace

std::size_t conv_blas_workspace_size(ConvGeometry const& g, int large_channels) {
  if (is_pointwise(g)) return 0;
  Sizes const z = sizes(g);
  return static_cast<std::size_t>(large_channels) * static_cast<std::size_t>(z.K) * static_cast<std::size_t>(z.S);
}

template <class Scalar>
void conv_blas_gather_small(ConvGeometry const& g, std::ptrdiff_t batch, int A, int B, Scalar const* w,
                            Scalar const* large, Scalar* small, Scalar const* bias, Scalar* col) {
  Sizes const z = sizes(g);
  bool const pointwise = is_pointwise(g);
  int const BK = B * z.K, S = static_cast<int>(z.S);
  for (std::ptrdiff_t n = 0; n < batch; ++n) {
    Scalar const* ln = large + n * B * z.L;
    Scalar* sn = small + n * A * z.S;
    Scalar const* c = ln;
    if (!pointwise) {
      // Gather only reads `large`; the scatter instantiation is what needs it writable.
      im2col_sample<false>(g, B, const_cast<Scalar*>(ln), col);
      c = col;
    }
    if (bias) fill_rows(sn, A, z.S, bias);
    gemm(CblasNoTrans, CblasNoTrans, A, S, BK, Scalar(1), w, BK, c, S, bias ? Scalar(1) : Scalar(0), sn, S);
  }
}

template <class Scalar>
void conv_blas_gather_large(ConvGeometry const& g, std::ptrdiff_t batch, int A, int B, Scalar const* w,
                            Scalar const* small, Scalar* large, Scalar const* bias, Scalar* col) {
  Sizes const z = sizes(g);
  bool const pointwise = is_pointwise(g);
  int const BK = B * z.K, S = static_cast<int>(z.S);
  for (std::ptrdiff_t n = 0; n < batch; ++n) {
    Scalar const* sn = small + n * A * z.S;
    Scalar* ln = large + n * B * z.L;
    fill_rows(ln, B, z.L, bias);
    if (pointwise) {
      gemm(CblasTrans, CblasNoTrans, B, S, A, Scalar(1), w, B, sn, S, Scalar(1), ln, S);
    } else {
      gemm(CblasTrans, CblasNoTrans, BK, S, A, Scalar(1), w, BK, sn, S, Scalar(0), col, S);
      im2col_sample<true>(g, B, ln, col);
    }
  }
}

template <class Scalar>
void conv_blas_weight_gradient(ConvGeometry const& g, std::ptrdiff_t batch, int A, int B, Scalar const* small,
                               Scalar const* large, Scalar* dw, bool accumulate, Scalar* col) {
  Sizes const z = sizes(g);
  bool const pointwise = is_pointwise(g);
  int const BK = B * z.K, S = static_cast<int>(z.S);
  if (batch == 0 && !accumulate) std::fill(dw, dw + std::ptrdiff_t{A} * BK, Scalar(0));
  for (std::ptrdiff_t n = 0; n < batch; ++n) {
    Scalar const* ln = large + n * B * z.L;
    Scalar const* sn = small + n * A * z.S;
    Scalar const* c = ln;
    if (!pointwise) {
      im2col_sample<false>(g, B, const_cast<Scalar*>(ln), col);
      c = col;
    }
    Scalar const beta = (n == 0 && !accumulate) ? Scalar(0) : Scalar(1);
    gemm(CblasNoTrans, CblasTrans, A, BK, S, Scalar(1), sn, S, c, S, beta, dw, BK);
  }
}

template <class Scalar>
void conv_blas_bias_gradient(std::ptrdiff_t batch, int channels, std::ptrdiff_t points, Scalar const* t, Scalar* db,
                             bool accumulate) {
  for (int c = 0; c < channels; ++c) {
    double acc = 0;  // N*P terms
    for (std::ptrdiff_t n = 0; n < batch; ++n) {
      Scalar const* tc = t + (n * channels + c) * points;
      for (std::ptrdiff_t q = 0; q < points; ++q) acc += tc[q];
    }
    db[c] = Scalar(acc) + (accumulate ? db[c] : Scalar(0));
  }
}

#define KONO_CONV_BLAS_INSTANTIATE(Scalar)                                                                           \
  template void conv_blas_gather_small<Scalar>(ConvGeometry const&, std::ptrdiff_t, int, int, Scalar const*,        \
                                               Scalar const*, Scalar*, Scalar const*, Scalar*);                     \
  template void conv_blas_gather_large<Scalar>(ConvGeometry const&, std::ptrdiff_t, int, int, Scalar const*,        \
                                               Scalar const*, Scalar*, Scalar const*, Scalar*);                     \
  template void conv_blas_weight_gradient<Scalar>(ConvGeometry const&, std::ptrdiff_t, int, int, Scalar const*,     \
                                                  Scalar const*, Scalar*, bool, Scalar*);                           \
  template void conv_blas_bias_gradient<Scalar>(std::ptrdiff_t, int, std::ptrdiff_t, Scalar const*, Scalar*, bool);
KONO_CONV_BLAS_INSTANTIATE(float)
KONO_CONV_BLAS_INSTANTIATE(double)
#undef KONO_CONV_BLAS_INSTANTIATE

}  // namespace kono::Impl
