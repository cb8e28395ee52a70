#include <kono/core/closest_match.hpp>
#include <kono/operators/layers/activation.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct ActivationContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
};

// Value and derivative in double: float GELU via erf loses digits the gradient check notices.
// Float tensors take the fast float path below for GELU (the FNO's activation, on every hidden
// value of every block); every other case computes in double.
KOKKOS_INLINE_FUNCTION double act_value(ActivationKind k, double x) {
  switch (k) {
    case ActivationKind::gelu: return 0.5 * x * (1.0 + math::erf(x * 0.70710678118654752440));
    case ActivationKind::relu: return x > 0 ? x : 0.0;
    case ActivationKind::tanh: return math::tanh(x);
    case ActivationKind::silu: return x / (1.0 + math::exp(-x));
  }
  return 0.0;
}

KOKKOS_INLINE_FUNCTION double act_derivative(ActivationKind k, double x) {
  switch (k) {
    case ActivationKind::gelu:
      return 0.5 * (1.0 + math::erf(x * 0.70710678118654752440)) + x * 0.39894228040143267794 * math::exp(-0.5 * x * x);
    case ActivationKind::relu: return x > 0 ? 1.0 : 0.0;
    case ActivationKind::tanh: {
      double const t = math::tanh(x);
      return 1.0 - t * t;
    }
    case ActivationKind::silu: {
      double const s = 1.0 / (1.0 + math::exp(-x));
      return s * (1.0 + x * (1.0 - s));
    }
  }
  return 0.0;
}

// erf for float: the odd/even rational approximation on [-4, 4] that XLA and Eigen use for
// float (|error| < 5e-7; erf(+-4) rounds to +-1 in float). Only multiplies, adds and one
// division, and exp_float below instead of libm's expf: no call in the loop, so it vectorises
// (this file is compiled with -fno-trapping-math, which GCC needs to if-convert the clamps).
// GELU forward and backward were over half of an FNO training epoch (docs/benchmarks_fno.md).
KOKKOS_INLINE_FUNCTION float erf_float(float a) {
  float const x = a > 4.f ? 4.f : (a < -4.f ? -4.f : a);
  float const x2 = x * x;
  float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p - 2.10102402082508e-06f;
  p = x2 * p - 5.69250639462346e-05f;
  p = x2 * p - 7.34990630326855e-04f;
  p = x2 * p - 2.95459980854025e-03f;
  p = x2 * p - 1.60960333262415e-02f;
  float q = x2 * -1.45660718464996e-05f - 2.13374055278905e-04f;
  q = x2 * q - 1.68282697438203e-03f;
  q = x2 * q - 7.37332916720468e-03f;
  q = x2 * q - 1.42647390514189e-02f;
  return x * p / q;
}
// exp(t) for float t <= 0 (relative error < 1e-7 on [-87, 0]): t = n ln2 + r with n rounded by
// truncation (SSE2 has no vector floor), a degree-7 Taylor-like polynomial (Cephes expf
// coefficients) on |r| <= ln2/2, and 2^n built in the exponent bits.
KOKKOS_INLINE_FUNCTION float exp_float_nonpositive(float t) {
  t = t < -87.f ? -87.f : t;
  float const n = float(std::int32_t(t * 1.44269504f - 0.5f));  // nearest integer for t <= 0
  float const r = (t - n * 0.693359375f) + n * 2.12194440e-4f;  // ln2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  std::int32_t const bits = (std::int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}
KOKKOS_INLINE_FUNCTION float gelu_value(float x) { return 0.5f * x * (1.0f + erf_float(x * 0.70710678f)); }
KOKKOS_INLINE_FUNCTION float gelu_derivative(float x) {
  return 0.5f * (1.0f + erf_float(x * 0.70710678f)) + x * 0.39894228f * exp_float_nonpositive(-0.5f * x * x);
}

// On x86-64 hosts the float GELU loops are compiled for three ISA levels and the best one is
// picked when the library loads (GCC/Clang function multi-versioning). A generic build (Debian's,
// or any site build without -march) otherwise runs them 4 floats wide without FMA: that made
// GELU forward + backward 37 % of an FNO training epoch at 64^2 (docs/benchmarks_fno.md).
// Builds whose baseline already has AVX2 (-march=native, kono_NATIVE) skip the clones: GCC will
// not inline the native-ISA erf_float into a lower-ISA clone, which made GELU 2x slower there.
#if defined(__x86_64__) && !defined(__AVX2__) && defined(__has_attribute) && !defined(__CUDACC__) && \
    !defined(__HIPCC__) && !defined(__INTEL_LLVM_COMPILER)
#if __has_attribute(target_clones)
#define KONO_HOST_ISA_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#endif
#endif
#ifndef KONO_HOST_ISA_CLONES
#define KONO_HOST_ISA_CLONES
#endif

KONO_HOST_ISA_CLONES void gelu_forward_host(float const* __restrict x, float* __restrict y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = gelu_value(x[i]);
}
KONO_HOST_ISA_CLONES void gelu_backward_host(float const* __restrict x, float const* __restrict dy, float* __restrict dx,
                                             std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * gelu_derivative(x[i]);
}

// Host execution spaces run the multi-versioned loops above on contiguous chunks (one chunk per
// work item, so OpenMP/Threads backends still split the range).
template <class Exec>
constexpr bool runs_on_host_memory = std::is_same_v<typename Exec::memory_space, Kokkos::HostSpace>;
constexpr std::size_t host_chunk = 8192;

// Kernels live in free functions: nvcc rejects extended lambdas in protected members.
template <class Exec, class X, class Y>
void activation_forward(Exec const& space, ActivationKind kind, X const& xv, Y const& yv) {
  using S = typename Y::non_const_value_type;
  Kokkos::RangePolicy<Exec> const policy(space, 0, xv.extent(0));
  if constexpr (std::is_same_v<S, float>) {
    if constexpr (runs_on_host_memory<Exec>) {
      if (kind == ActivationKind::gelu) {
        std::size_t const n = xv.extent(0);
        float const* x = xv.data();
        float* y = yv.data();
        Kokkos::parallel_for(
            "kono::Activation::forward_gelu_float_host",
            Kokkos::RangePolicy<Exec>(space, 0, (n + host_chunk - 1) / host_chunk), [=](std::size_t c) {
              std::size_t const b = c * host_chunk;
              gelu_forward_host(x + b, y + b, std::min(host_chunk, n - b));
            });
        return;
      }
    }
    if (kind == ActivationKind::gelu) {
      Kokkos::parallel_for(
          "kono::Activation::forward_gelu_float", policy, KOKKOS_LAMBDA(std::size_t i) { yv(i) = gelu_value(xv(i)); });
      return;
    }
  }
  Kokkos::parallel_for(
      "kono::Activation::forward", policy,
      KOKKOS_LAMBDA(std::size_t i) { yv(i) = static_cast<S>(act_value(kind, double(xv(i)))); });
}

template <class Exec, class X, class Y>
void activation_backward(Exec const& space, ActivationKind kind, X const& xv, X const& dyv, Y const& dxv) {
  using S = typename Y::non_const_value_type;
  Kokkos::RangePolicy<Exec> const policy(space, 0, xv.extent(0));
  if constexpr (std::is_same_v<S, float>) {
    if constexpr (runs_on_host_memory<Exec>) {
      if (kind == ActivationKind::gelu) {
        std::size_t const n = xv.extent(0);
        float const* x = xv.data();
        float const* dy = dyv.data();
        float* dx = dxv.data();
        Kokkos::parallel_for(
            "kono::Activation::backward_gelu_float_host",
            Kokkos::RangePolicy<Exec>(space, 0, (n + host_chunk - 1) / host_chunk), [=](std::size_t c) {
              std::size_t const b = c * host_chunk;
              gelu_backward_host(x + b, dy + b, dx + b, std::min(host_chunk, n - b));
            });
        return;
      }
    }
    if (kind == ActivationKind::gelu) {
      Kokkos::parallel_for(
          "kono::Activation::backward_gelu_float", policy,
          KOKKOS_LAMBDA(std::size_t i) { dxv(i) = dyv(i) * gelu_derivative(xv(i)); });
      return;
    }
  }
  Kokkos::parallel_for(
      "kono::Activation::backward", policy,
      KOKKOS_LAMBDA(std::size_t i) { dxv(i) = static_cast<S>(double(dyv(i)) * act_derivative(kind, double(xv(i)))); });
}
}  // namespace

char const* to_string(ActivationKind kind) noexcept {
  switch (kind) {
    case ActivationKind::gelu: return "gelu";
    case ActivationKind::relu: return "relu";
    case ActivationKind::tanh: return "tanh";
    case ActivationKind::silu: return "silu";
  }
  return "?";
}

ActivationKind activation_from_string(std::string const& name) {
  for (auto k : {ActivationKind::gelu, ActivationKind::relu, ActivationKind::tanh, ActivationKind::silu})
    if (name == to_string(k)) return k;
  KONO_THROW(invalid_argument, "unknown activation \"" << name << "\""
                                                       << known_names_hint(name, {"gelu", "relu", "tanh", "silu"}));
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> Activation<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  std::string type = config_get<std::string>(cfg, "type", "activation");
  if (type == "activation") type = config_get<std::string>(cfg, "kind", "activation");
  return std::make_unique<Activation>(activation_from_string(type));
}

template <class MemorySpace, class Scalar>
auto Activation<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                   tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<ActivationContext<MemorySpace, Scalar>>();
  ctx->x = x;
  activation_forward(space, m_kind, x.data(), y.data());
  return ctx;
}

template <class MemorySpace, class Scalar>
void Activation<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                    tensor_type const& dy, tensor_type const* dx, GradientMode) const {
  auto const& ctx = static_cast<ActivationContext<MemorySpace, Scalar> const&>(base_ctx);
  this->check_output(ctx.x.shape(), dy, "gradient dy");
  if (!dx) return;
  this->check_output(ctx.x.shape(), *dx, "gradient dx");
  activation_backward(space, m_kind, ctx.x.data(), dy.data(), dx->data());
}

KONO_INSTANTIATE_FOR_SCALARS(Activation)
}  // namespace kono
