#pragma once
/// PDEBench's evaluation metrics (pdebench/models/metrics.py, metric_func) per sample, for
/// [N, C, x], [N, C, x, y] and [N, C, x, y, z] predictions. Evaluation only: no gradients.
/// Relative L2 and relative H1 per sample come from RelativeLpLoss / RelativeH1Loss.
#include <cstddef>
#include <vector>

#include <kono/core/tensor.hpp>

namespace kono {

/// Options of pdebench_metrics(); the defaults are metric_func's.
struct PdebenchMetricsOptions {
  std::vector<double> lengths;  ///< domain length per spatial axis (Lx, Ly, Lz); one value = all; default 1
  int i_low = 4;                ///< iLow: fRMSE low band is Fourier shells [0, i_low)
  int i_high = 12;              ///< iHigh: mid band [i_low, i_high), high band [i_high, end)
};

/// Channel-averaged means of the per-sample metrics (see PdebenchMetrics::mean()).
struct PdebenchSummary {
  std::size_t samples = 0;
  double rmse = 0, nrmse = 0, crmse = 0, max_err = 0, brmse = 0, frmse_low = 0, frmse_mid = 0, frmse_high = 0;
};

/// Per-sample values, each what metric_func(if_mean=True) returns for that one sample (time
/// extent 1); every per-channel quantity is averaged over channels as if_mean does. With
/// e = pred - target of one channel, M its points, <.> the mean over those points:
/// - rmse: sqrt(<e^2>).                      - nrmse: sqrt(<e^2>) / sqrt(<y^2>) (no epsilon).
/// - crmse: |sum e| / M = |<e>|, the error of the conserved (spatial-mean) quantity.
/// - max_err: max |e|.
/// - brmse: RMS of e over the first and last index along each axis, PDEBench's counting: 1D
///   sqrt((e_0^2 + e_{n-1}^2) / 2); 2D/3D the faces' sum of e^2 over 2(nx+ny), resp.
///   2(nx ny + ny nz + nz nx) (edges and corners counted once per face they lie on). PDEBench's
///   3D code sums over channels inside the root; here 3D is per channel like 1D/2D.
/// - frmse_low/mid/high: with F = unnormalised DFT of e, 1D: |F_k| Lx / nx for k = 0..nx/2;
///   2D/3D: shell s = floor(|(i, j[, k])|) over the non-negative quadrant i < nx/2, j < ny/2
///   [, k < nz/2], s < min(n/2), value sqrt(sum_shell |F|^2) Lx Ly [Lz] / (nx ny [nz]); each band is
///   the mean over its shells. A band with no shell (small grids) is 0 where PDEBench gets NaN.
/// PDEBench aggregates a batch of B samples as the mean of these values for rmse, nrmse and
/// brmse, but as the RMS over samples for crmse and fRMSE and the max for max_err; mean() is
/// the mean of the per-sample values, i.e. PDEBench's metrics() with batch size 1.
struct PdebenchMetrics {
  std::vector<double> rmse, nrmse, crmse, max_err, brmse, frmse_low, frmse_mid, frmse_high;

  std::size_t size() const noexcept { return rmse.size(); }
  /// Appends another batch's samples (e.g. over an evaluation loop). Not collective.
  void append(PdebenchMetrics const& other);
  /// Sums over samples of each metric; for MPI, reduce the sums and samples, then divide.
  PdebenchSummary sum() const;
  /// Means over samples of each metric (all 0 for no samples).
  PdebenchSummary mean() const;
};

/// PDEBench metrics of pred vs target, both [N, C, spatial...] with 1 to 3 spatial axes. Copies
/// to host and uses FFTW in double. Not collective. Throws Error{size_mismatch} when the shapes
/// differ or the rank is not 3..5, Error{invalid_argument} for an empty channel/spatial axis or
/// bad options, Error{non_finite} naming the sample and channel when a target channel is all
/// zero (nRMSE undefined).
template <class MemorySpace, class Scalar>
PdebenchMetrics pdebench_metrics(typename MemorySpace::execution_space const& space,
                                 Tensor<MemorySpace, Scalar> const& pred, Tensor<MemorySpace, Scalar> const& target,
                                 PdebenchMetricsOptions const& options = {});

}  // namespace kono
