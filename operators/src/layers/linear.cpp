#include <cblas.h>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layers/linear.hpp>

namespace kono {
namespace {

// Host GEMM through CBLAS (OpenBLAS): the pointwise layer is a batched [out x in] x [in x P]
// product, which BLAS runs near peak; a hand-written Kokkos loop is the device path.
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, float const* a, int lda,
                 float const* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, double const* a, int lda,
                 double const* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Sum of p contiguous values in double with 8 independent partial sums: one running sum is a
// chain of dependent adds (4 cycles each), which made the bias gradient of a 64^2 FNO batch
// cost more than its GEMMs; 8 chains let the adds overlap and vectorise.
template <class S>
double row_sum(S const* v, index_t p) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index_t q = 0;
  for (; q + 8 <= p; q += 8)
    for (int k = 0; k < 8; ++k) a[k] += double(v[q + k]);
  double total = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  for (; q < p; ++q) total += double(v[q]);
  return total;
}

template <class MemorySpace, class Scalar>
struct LinearContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
};

// Device kernels live in free functions: nvcc rejects extended lambdas in protected members.
template <class Exec, class S, class V>
void linear_forward_kernel(Exec const& space, S const* w, S const* b, bool has_bias, index_t n, int cin, int cout,
                           index_t p, V const& xv, V const& yv) {
  Kokkos::parallel_for(
      "kono::Linear::forward", Kokkos::RangePolicy<Exec>(space, 0, n * cout * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, o = (idx / p) % cout, s = idx / (p * cout);
        S acc = has_bias ? b[o] : S(0);
        for (int i = 0; i < cin; ++i) acc += w[o * cin + i] * xv((s * cin + i) * p + q);
        yv(idx) = acc;
      });
}

template <class Exec, class S, class V>
void linear_backward_input_kernel(Exec const& space, S const* w, index_t n, int cin, int cout, index_t p, V const& dyv,
                                  V const& dxv) {
  Kokkos::parallel_for(
      "kono::Linear::backward_input", Kokkos::RangePolicy<Exec>(space, 0, n * cin * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, i = (idx / p) % cin, s = idx / (p * cin);
        S acc = 0;
        for (int o = 0; o < cout; ++o) acc += w[o * cin + i] * dyv((s * cout + o) * p + q);
        dxv(idx) = acc;
      });
}

// One thread per weight or bias entry, each reducing over samples and points: no atomics.
template <class Exec, class S, class V>
void linear_backward_params_kernel(Exec const& space, S* gw, S* gb, bool has_bias, bool acc_mode, index_t n, int cin,
                                   int cout, index_t p, V const& xv, V const& dyv) {
  Kokkos::parallel_for(
      "kono::Linear::backward_weight", Kokkos::RangePolicy<Exec>(space, 0, cout * cin + (has_bias ? cout : 0)),
      KOKKOS_LAMBDA(index_t k) {
        double acc = 0;
        if (k < cout * cin) {
          index_t const o = k / cin, i = k % cin;
          for (index_t s = 0; s < n; ++s)
            for (index_t q = 0; q < p; ++q) acc += dyv((s * cout + o) * p + q) * xv((s * cin + i) * p + q);
          gw[k] = S(acc) + (acc_mode ? gw[k] : S(0));
        } else {
          index_t const o = k - cout * cin;
          for (index_t s = 0; s < n; ++s)
            for (index_t q = 0; q < p; ++q) acc += dyv((s * cout + o) * p + q);
          gb[o] = S(acc) + (acc_mode ? gb[o] : S(0));
        }
      });
}

// Points per sample: product of the spatial extents (1 for a dense layer on [N, C]).
index_t points_per_sample(Shape const& s) { return s.rank() <= 2 ? 1 : s.tail(2).size(); }
}  // namespace

template <class MemorySpace, class Scalar>
Linear<MemorySpace, Scalar>::Linear(int in_channels, int out_channels, bool bias)
    : m_in(in_channels), m_out(out_channels), m_bias(bias) {
  KONO_USER_REQUIRE(in_channels > 0 && out_channels > 0, invalid_argument,
                    "kono::Linear: channels must be positive, got in_channels=" << in_channels
                                                                                << " out_channels=" << out_channels);
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> Linear<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<Linear>(config_get<int>(cfg, "in_channels", "linear"),
                                  config_get<int>(cfg, "out_channels", "linear"),
                                  config_get<bool>(cfg, "bias", "linear", true));
}

template <class MemorySpace, class Scalar>
LayerConfig Linear<MemorySpace, Scalar>::config() const {
  return {{"type", "linear"}, {"in_channels", m_in}, {"out_channels", m_out}, {"bias", m_bias}};
}

template <class MemorySpace, class Scalar>
Shape Linear<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() >= 2 && in[1] == m_in, size_mismatch,
                    "kono::linear: input shape " << in.to_string() << " does not match [N, " << m_in
                                                 << ", spatial...] (in_channels=" << m_in << ")");
  return in.with_extent(1, m_out);
}

template <class MemorySpace, class Scalar>
std::size_t Linear<MemorySpace, Scalar>::num_parameters() const {
  return static_cast<std::size_t>(m_out) * static_cast<std::size_t>(m_in) + (m_bias ? std::size_t(m_out) : 0);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> Linear<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<ParameterSlice> s{{"weight", 0, Shape{m_out, m_in}}};
  if (m_bias) s.push_back({"bias", std::size_t(m_out) * std::size_t(m_in), Shape{m_out}});
  return s;
}

template <class MemorySpace, class Scalar>
void Linear<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  std::size_t const nw = std::size_t(m_out) * std::size_t(m_in);
  fill_fan_in_uniform(Kokkos::subview(this->m_params, std::make_pair(std::size_t(0), nw)), m_in, seed);
  if (m_bias)
    fill_fan_in_uniform(Kokkos::subview(this->m_params, std::make_pair(nw, nw + std::size_t(m_out))), m_in,
                        child_seed(seed, 1));
}

template <class MemorySpace, class Scalar>
auto Linear<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                               tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<LinearContext<MemorySpace, Scalar>>();
  ctx->x = x;
  index_t const n = x.extent(0);
  index_t const p = points_per_sample(x.shape());
  int const cin = m_in, cout = m_out;
  bool const has_bias = m_bias;
  Scalar const* w = this->m_params.data();
  Scalar const* b = w + std::size_t(cout) * std::size_t(cin);
  auto xv = x.data();
  auto yv = y.data();
  bool use_blas = false;
  if constexpr (host_accessible<MemorySpace>) use_blas = !m_portable;
  if (use_blas) {
    space.fence();
    for (index_t s = 0; s < n; ++s) {
      Scalar* ys = yv.data() + s * cout * p;
      if (has_bias)
        for (int o = 0; o < cout; ++o)
          for (index_t q = 0; q < p; ++q) ys[o * p + q] = b[o];
      gemm(CblasNoTrans, CblasNoTrans, cout, int(p), cin, Scalar(1), w, cin, xv.data() + s * cin * p, int(p),
           has_bias ? Scalar(1) : Scalar(0), ys, int(p));
    }
  } else {
    linear_forward_kernel(space, w, b, has_bias, n, cin, cout, p, xv, yv);
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void Linear<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                tensor_type const& dy, tensor_type const* dx, GradientMode mode) const {
  auto const& ctx = static_cast<LinearContext<MemorySpace, Scalar> const&>(base_ctx);
  Shape const in = ctx.x.shape();
  this->check_output(in, dy, "gradient dy");
  index_t const n = in[0];
  index_t const p = points_per_sample(in);
  int const cin = m_in, cout = m_out;
  bool const has_bias = m_bias;
  Scalar const* w = this->m_params.data();
  Scalar* gw = this->m_grads.data();
  Scalar* gb = gw + std::size_t(cout) * std::size_t(cin);
  auto xv = ctx.x.data();
  auto dyv = dy.data();
  if (dx) KONO_USER_REQUIRE(dx->shape() == in, size_mismatch, "kono::linear: dx has shape " << dx->shape().to_string()
                                                                                            << ", expected " << in.to_string());
  bool use_blas = false;
  if constexpr (host_accessible<MemorySpace>) use_blas = !m_portable;
  if (use_blas) {
    space.fence();
    if (dx) {
      auto dxv = dx->data();
      for (index_t s = 0; s < n; ++s)
        gemm(CblasTrans, CblasNoTrans, cin, int(p), cout, Scalar(1), w, cin, dyv.data() + s * cout * p, int(p),
             Scalar(0), dxv.data() + s * cin * p, int(p));
    }
    if (mode != GradientMode::ignore) {
      for (index_t s = 0; s < n; ++s) {
        Scalar const beta = (s == 0 && mode == GradientMode::overwrite) ? Scalar(0) : Scalar(1);
        gemm(CblasNoTrans, CblasTrans, cout, cin, int(p), Scalar(1), dyv.data() + s * cout * p, int(p),
             xv.data() + s * cin * p, int(p), beta, gw, cin);
      }
      if (has_bias) {
        for (int o = 0; o < cout; ++o) {
          double acc = 0;  // summed in double: N*P terms
          for (index_t s = 0; s < n; ++s) acc += row_sum(dyv.data() + (s * cout + o) * p, p);
          gb[o] = Scalar(acc) + (mode == GradientMode::accumulate ? gb[o] : Scalar(0));
        }
      }
      if (n == 0 && mode == GradientMode::overwrite)
        for (std::size_t i = 0; i < std::size_t(cout) * std::size_t(cin); ++i) gw[i] = 0;
    }
  } else {
    if (dx) linear_backward_input_kernel(space, w, n, cin, cout, p, dyv, dx->data());
    if (mode != GradientMode::ignore)
      linear_backward_params_kernel(space, gw, gb, has_bias, mode == GradientMode::accumulate, n, cin, cout, p, xv, dyv);
  }
}

KONO_INSTANTIATE_FOR_SCALARS(Linear)
}  // namespace kono
