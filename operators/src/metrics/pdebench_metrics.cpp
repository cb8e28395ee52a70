#include <kono/operators/metrics/pdebench_metrics.hpp>

#include <fftw3.h>

#include <algorithm>
#include <cmath>

#include <kono/core/error.hpp>
#include <kono/core/profiling_region.hpp>

namespace kono {

namespace {

/// FFTW plan and buffers for one real [spatial...] slab, released on every exit path.
class RealFft {
 public:
  explicit RealFft(std::vector<int> const& n) {
    std::size_t real_size = 1;
    for (int v : n) real_size *= static_cast<std::size_t>(v);
    m_complex_size = real_size / static_cast<std::size_t>(n.back()) * static_cast<std::size_t>(n.back() / 2 + 1);
    m_in = fftw_alloc_real(real_size);
    m_out = fftw_alloc_complex(m_complex_size);
    KONO_USER_REQUIRE(m_in != nullptr && m_out != nullptr, internal, "kono::pdebench_metrics: FFTW allocation failed");
    // FFTW_ESTIMATE neither measures nor touches the buffers; plans are cheap at these sizes.
    m_plan = fftw_plan_dft_r2c(static_cast<int>(n.size()), n.data(), m_in, m_out, FFTW_ESTIMATE);
    KONO_USER_REQUIRE(m_plan != nullptr, internal, "kono::pdebench_metrics: FFTW could not plan the transform");
  }
  ~RealFft() {
    if (m_plan) fftw_destroy_plan(m_plan);
    fftw_free(m_out);
    fftw_free(m_in);
  }
  RealFft(RealFft const&) = delete;
  RealFft& operator=(RealFft const&) = delete;

  double* input() const { return m_in; }
  void execute() const { fftw_execute(m_plan); }
  /// |F_k|^2 of output entry k (r2c layout: last axis has n/2 + 1 entries).
  double power(std::size_t k) const { return m_out[k][0] * m_out[k][0] + m_out[k][1] * m_out[k][1]; }

 private:
  double* m_in = nullptr;
  fftw_complex* m_out = nullptr;
  fftw_plan m_plan = nullptr;
  std::size_t m_complex_size = 0;
};

/// floor(sqrt(q)) exactly, for the shell index of a wave vector.
index_t isqrt(index_t q) {
  auto s = static_cast<index_t>(std::sqrt(static_cast<double>(q)));
  while (s * s > q) --s;
  while ((s + 1) * (s + 1) <= q) ++s;
  return s;
}

/// Mean of values[first, last) clipped to the available shells; 0 when empty.
double band_mean(std::vector<double> const& values, int first, int last) {
  auto const lo = static_cast<std::size_t>(std::max(first, 0));
  auto const hi = std::min(values.size(), static_cast<std::size_t>(std::max(last, 0)));
  if (lo >= hi) return 0.0;
  double s = 0;
  for (std::size_t k = lo; k < hi; ++k) s += values[k];
  return s / static_cast<double>(hi - lo);
}

PdebenchSummary accumulate(PdebenchMetrics const& m) {
  PdebenchSummary s;
  s.samples = m.size();
  auto total = [](std::vector<double> const& v) {
    double t = 0;
    for (double x : v) t += x;
    return t;
  };
  s.rmse = total(m.rmse);
  s.nrmse = total(m.nrmse);
  s.crmse = total(m.crmse);
  s.max_err = total(m.max_err);
  s.brmse = total(m.brmse);
  s.frmse_low = total(m.frmse_low);
  s.frmse_mid = total(m.frmse_mid);
  s.frmse_high = total(m.frmse_high);
  return s;
}

}  // namespace

void PdebenchMetrics::append(PdebenchMetrics const& other) {
  auto add = [](std::vector<double>& a, std::vector<double> const& b) { a.insert(a.end(), b.begin(), b.end()); };
  add(rmse, other.rmse);
  add(nrmse, other.nrmse);
  add(crmse, other.crmse);
  add(max_err, other.max_err);
  add(brmse, other.brmse);
  add(frmse_low, other.frmse_low);
  add(frmse_mid, other.frmse_mid);
  add(frmse_high, other.frmse_high);
}

PdebenchSummary PdebenchMetrics::sum() const { return accumulate(*this); }

PdebenchSummary PdebenchMetrics::mean() const {
  PdebenchSummary s = accumulate(*this);
  if (s.samples == 0) return s;
  double const inv = 1.0 / static_cast<double>(s.samples);
  for (double* v : {&s.rmse, &s.nrmse, &s.crmse, &s.max_err, &s.brmse, &s.frmse_low, &s.frmse_mid, &s.frmse_high})
    *v *= inv;
  return s;
}

template <class MemorySpace, class Scalar>
PdebenchMetrics pdebench_metrics(typename MemorySpace::execution_space const& space,
                                 Tensor<MemorySpace, Scalar> const& pred, Tensor<MemorySpace, Scalar> const& target,
                                 PdebenchMetricsOptions const& options) {
  ProfilingRegion region("kono::pdebench_metrics");
  Shape const& shape = pred.shape();
  KONO_USER_REQUIRE(shape == target.shape(), size_mismatch,
                    "kono::pdebench_metrics: pred \"" << pred.label() << "\" has shape " << shape.to_string()
                                                      << ", target \"" << target.label() << "\" has shape "
                                                      << target.shape().to_string() << "; they must be equal");
  int const dims = shape.rank() - 2;
  KONO_USER_REQUIRE(dims >= 1 && dims <= 3, size_mismatch,
                    "kono::pdebench_metrics: pred \"" << pred.label() << "\" has shape " << shape.to_string()
                                                      << ", expected [N, C, x], [N, C, x, y] or [N, C, x, y, z]");
  for (int a = 1; a < shape.rank(); ++a)
    KONO_USER_REQUIRE(shape[a] > 0, invalid_argument,
                      "kono::pdebench_metrics: pred \"" << pred.label() << "\" of shape " << shape.to_string()
                                                        << " has an empty axis " << a);
  KONO_USER_REQUIRE(options.i_low >= 0 && options.i_high >= options.i_low, invalid_argument,
                    "kono::pdebench_metrics: bands iLow = " << options.i_low << ", iHigh = " << options.i_high
                                                            << " are not allowed, expected 0 <= iLow <= iHigh");
  KONO_USER_REQUIRE(options.lengths.size() <= 1 || static_cast<int>(options.lengths.size()) == dims, size_mismatch,
                    "kono::pdebench_metrics: " << options.lengths.size() << " domain lengths for shape "
                                               << shape.to_string() << " with " << dims << " spatial axes");
  for (double l : options.lengths)
    KONO_USER_REQUIRE(std::isfinite(l) && l > 0, invalid_argument,
                      "kono::pdebench_metrics: domain length " << l << " is not allowed, expected > 0");

  index_t const samples = shape[0], channels = shape[1];
  index_t n[3] = {1, 1, 1}, stride[3] = {1, 1, 1};
  for (int a = 0; a < dims; ++a) n[a] = shape[2 + a];
  for (int a = dims - 2; a >= 0; --a) stride[a] = stride[a + 1] * n[a + 1];
  index_t const points = shape.size() / std::max<index_t>(1, samples * channels);
  double measure = 1;  // Lx Ly [Lz]
  for (int a = 0; a < dims; ++a)
    measure *= options.lengths.empty() ? 1.0 : options.lengths[options.lengths.size() == 1 ? 0 : a];

  PdebenchMetrics m;
  for (auto* v : {&m.rmse, &m.nrmse, &m.crmse, &m.max_err, &m.brmse, &m.frmse_low, &m.frmse_mid, &m.frmse_high})
    v->assign(static_cast<std::size_t>(samples), 0.0);
  if (samples == 0) return m;

  space.fence();
  auto const hp = pred.to_host();
  auto const ht = target.to_host();
  auto const& p = hp.data();
  auto const& t = ht.data();

  std::vector<int> fft_extent(static_cast<std::size_t>(dims));
  for (int a = 0; a < dims; ++a) fft_extent[static_cast<std::size_t>(a)] = static_cast<int>(n[a]);
  RealFft fft(fft_extent);
  index_t const last_complex = n[dims - 1] / 2 + 1;
  // 1D keeps every rfft mode; 2D/3D keep shells below min(n_a / 2), as metric_func does.
  index_t shells = dims == 1 ? n[0] / 2 + 1 : n[0] / 2;
  for (int a = 1; a < dims; ++a) shells = std::min(shells, n[a] / 2);
  std::vector<double> shell_power(static_cast<std::size_t>(shells));
  std::vector<double> shell_value(static_cast<std::size_t>(shells));
  double boundary_points = 0;
  for (int a = 0; a < dims; ++a) boundary_points += 2.0 * static_cast<double>(points / n[a]);

  double const inv_c = 1.0 / static_cast<double>(channels);
  double const inv_m = 1.0 / static_cast<double>(points);
  for (index_t s = 0; s < samples; ++s) {
    for (index_t c = 0; c < channels; ++c) {
      index_t const base = (s * channels + c) * points;
      auto err = [&](index_t k) {
        return static_cast<double>(p(static_cast<std::size_t>(base + k))) -
               static_cast<double>(t(static_cast<std::size_t>(base + k)));
      };
      double se2 = 0, sy2 = 0, se = 0, emax = 0;
      double* in = fft.input();
      for (index_t k = 0; k < points; ++k) {
        double const e = err(k);
        double const y = static_cast<double>(t(static_cast<std::size_t>(base + k)));
        se2 += e * e;
        sy2 += y * y;
        se += e;
        emax = std::max(emax, std::abs(e));
        in[k] = e;
      }
      KONO_USER_REQUIRE(sy2 > 0, non_finite,
                        "kono::pdebench_metrics: channel " << c << " of target sample " << s << " in \""
                                                           << target.label()
                                                           << "\" is all zero; nRMSE = RMSE / RMS(target) is undefined");
      double bd = 0;
      for (int a = 0; a < dims; ++a) {
        index_t const far = (n[a] - 1) * stride[a];
        for (index_t k = 0; k < points; ++k) {
          if ((k / stride[a]) % n[a] != 0) continue;
          double const e0 = err(k), e1 = err(k + far);
          bd += e0 * e0 + e1 * e1;
        }
      }
      double const rmse = std::sqrt(se2 * inv_m);
      m.rmse[static_cast<std::size_t>(s)] += inv_c * rmse;
      m.nrmse[static_cast<std::size_t>(s)] += inv_c * rmse / std::sqrt(sy2 * inv_m);
      m.crmse[static_cast<std::size_t>(s)] += inv_c * std::abs(se) * inv_m;
      m.max_err[static_cast<std::size_t>(s)] += inv_c * emax;
      m.brmse[static_cast<std::size_t>(s)] += inv_c * std::sqrt(bd / boundary_points);

      fft.execute();
      std::fill(shell_power.begin(), shell_power.end(), 0.0);
      if (dims == 1) {
        for (index_t k = 0; k < shells; ++k) shell_power[static_cast<std::size_t>(k)] = fft.power(static_cast<std::size_t>(k));
      } else {
        index_t const hi = n[0] / 2, hj = n[1] / 2, hk = dims == 3 ? n[2] / 2 : 1;
        for (index_t i = 0; i < hi; ++i)
          for (index_t j = 0; j < hj; ++j)
            for (index_t k = 0; k < hk; ++k) {
              index_t const sh = isqrt(i * i + j * j + (dims == 3 ? k * k : 0));
              if (sh >= shells) continue;
              index_t const idx = dims == 2 ? i * last_complex + j : (i * n[1] + j) * last_complex + k;
              shell_power[static_cast<std::size_t>(sh)] += fft.power(static_cast<std::size_t>(idx));
            }
      }
      double const norm = measure / static_cast<double>(points);
      for (std::size_t k = 0; k < shell_power.size(); ++k) shell_value[k] = std::sqrt(shell_power[k]) * norm;
      m.frmse_low[static_cast<std::size_t>(s)] += inv_c * band_mean(shell_value, 0, options.i_low);
      m.frmse_mid[static_cast<std::size_t>(s)] += inv_c * band_mean(shell_value, options.i_low, options.i_high);
      m.frmse_high[static_cast<std::size_t>(s)] +=
          inv_c * band_mean(shell_value, options.i_high, static_cast<int>(shell_value.size()));
    }
  }
  return m;
}

template PdebenchMetrics pdebench_metrics<DefaultMemorySpace, float>(DefaultExecutionSpace const&,
                                                                     Tensor<DefaultMemorySpace, float> const&,
                                                                     Tensor<DefaultMemorySpace, float> const&,
                                                                     PdebenchMetricsOptions const&);
template PdebenchMetrics pdebench_metrics<DefaultMemorySpace, double>(DefaultExecutionSpace const&,
                                                                      Tensor<DefaultMemorySpace, double> const&,
                                                                      Tensor<DefaultMemorySpace, double> const&,
                                                                      PdebenchMetricsOptions const&);

}  // namespace kono
