#pragma once
/// Host BLAS path of kono::Conv and kono::ConvTranspose (kono::Impl; not installed).
///
/// Same small/large convention as impl/conv_kernels.hpp, on raw contiguous host storage
/// [N, C, n0, n1, n2]. Per sample, the large grid's patches are gathered into a column buffer
/// col [B*K, P_small] (im2col, through the padding map) so that each direction is one GEMM with
/// w viewed as [A, B*K]; the transposed direction scatters col back (col2im), wrap-around included.
#include <cstddef>

#include <kono/operators/impl/conv_kernels.hpp>

namespace kono::Impl {

/// Scalars of the column buffer the functions below need for `large_channels` (0 when the
/// convolution is a plain pointwise product and col is not used).
std::size_t conv_blas_workspace_size(ConvGeometry const& g, int large_channels);

/// The layer's column buffer `columns` holding at least `n` scalars; grows it (one allocation)
/// only when a larger shape arrives.
template <class Scalar, class MemorySpace>
Scalar* conv_blas_columns(Kokkos::View<Scalar*, MemorySpace>& columns, std::size_t n) {
  if (columns.extent(0) < n)
    columns =
        Kokkos::View<Scalar*, MemorySpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::conv::columns"), n);
  return columns.data();
}

/// small(n, a) = bias(a) + w [A, B*K] x im2col(large(n)); bias may be null. Overwrites small.
template <class Scalar>
void conv_blas_gather_small(ConvGeometry const& g, std::ptrdiff_t batch, int A, int B, Scalar const* w,
                            Scalar const* large, Scalar* small, Scalar const* bias, Scalar* col);

/// large(n) = bias + col2im(w^T x small(n)); bias may be null. Overwrites large.
template <class Scalar>
void conv_blas_gather_large(ConvGeometry const& g, std::ptrdiff_t batch, int A, int B, Scalar const* w,
                            Scalar const* small, Scalar* large, Scalar const* bias, Scalar* col);

/// dw [A, B*K] = (or +=, when accumulate) sum_n small(n) x im2col(large(n))^T.
template <class Scalar>
void conv_blas_weight_gradient(ConvGeometry const& g, std::ptrdiff_t batch, int A, int B, Scalar const* small,
                               Scalar const* large, Scalar* dw, bool accumulate, Scalar* col);

/// db(c) = (or +=) sum over batch and points of t [N, C, points], summed in double.
template <class Scalar>
void conv_blas_bias_gradient(std::ptrdiff_t batch, int channels, std::ptrdiff_t points, Scalar const* t, Scalar* db,
                             bool accumulate);

}  // namespace kono::Impl
