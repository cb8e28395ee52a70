#include <fftw3.h>

#include <cmath>
#include <sstream>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/spectral_conv.hpp>

namespace kono {
namespace Impl {
namespace {

// FFTW's double and single precision interfaces behind one name.
template <class S>
struct Fftw;
template <>
struct Fftw<double> {
  using plan = fftw_plan;
  static plan r2c(int rank, int const* n, int howmany, double* in, int idist, double* out, int odist) {
    return fftw_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, idist, reinterpret_cast<fftw_complex*>(out),
                                  nullptr, 1, odist, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static plan c2r(int rank, int const* n, int howmany, double* in, int idist, double* out, int odist) {
    return fftw_plan_many_dft_c2r(rank, n, howmany, reinterpret_cast<fftw_complex*>(in), nullptr, 1, idist, out,
                                  nullptr, 1, odist, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static void exec_r2c(plan p, double* in, double* out) {
    fftw_execute_dft_r2c(p, in, reinterpret_cast<fftw_complex*>(out));
  }
  static void exec_c2r(plan p, double* in, double* out) {
    fftw_execute_dft_c2r(p, reinterpret_cast<fftw_complex*>(in), out);
  }
  static void destroy(plan p) { fftw_destroy_plan(p); }
};
template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  static plan r2c(int rank, int const* n, int howmany, float* in, int idist, float* out, int odist) {
    return fftwf_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, idist, reinterpret_cast<fftwf_complex*>(out),
                                   nullptr, 1, odist, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static plan c2r(int rank, int const* n, int howmany, float* in, int idist, float* out, int odist) {
    return fftwf_plan_many_dft_c2r(rank, n, howmany, reinterpret_cast<fftwf_complex*>(in), nullptr, 1, idist, out,
                                   nullptr, 1, odist, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static void exec_r2c(plan p, float* in, float* out) {
    fftwf_execute_dft_r2c(p, in, reinterpret_cast<fftwf_complex*>(out));
  }
  static void exec_c2r(plan p, float* in, float* out) {
    fftwf_execute_dft_c2r(p, reinterpret_cast<fftwf_complex*>(in), out);
  }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
};

using HostExec = Kokkos::DefaultHostExecutionSpace;
using IndexView = Kokkos::View<index_t*, Kokkos::HostSpace>;
}  // namespace

// Plans, index tables and spectra for one input shape [N, Cin, n_1..n_d].
template <class Scalar>
struct SpectralPlans {
  using F = Fftw<Scalar>;
  int d = 0;
  std::vector<int> n;          // spatial extents
  index_t batch = 0, cin = 0, cout = 0;
  index_t points = 1;          // prod n
  index_t lead = 1;            // prod n[0..d-2]
  index_t half = 0;            // n_d / 2 + 1
  index_t spec = 0;            // lead * half: complex values per channel
  bool nyquist = false;        // n_d even: the last half index is the Nyquist plane
  IndexView kept;              // weight mode -> spectrum index
  IndexView inverse;           // spectrum index -> weight mode or -1
  IndexView negate;            // leading-axes flat index -> index of the negated frequency
  Kokkos::View<Scalar*, Kokkos::HostSpace> a, b;  // spectra [N, Cin, spec, 2], [N, Cout, spec, 2]
  typename F::plan r2c_in = nullptr, r2c_out = nullptr, c2r_in = nullptr, c2r_out = nullptr;

  ~SpectralPlans() {
    for (auto p : {r2c_in, r2c_out, c2r_in, c2r_out})
      if (p) F::destroy(p);
  }
  typename F::plan& r2c_plan(index_t channels, typename F::plan& p, Scalar* in, Scalar* out) {
    if (!p) p = F::r2c(d, n.data(), int(batch * channels), in, int(points), out, int(spec));
    KONO_REQUIRE(p != nullptr, "kono::SpectralConv: FFTW r2c planning failed");
    return p;
  }
  typename F::plan& c2r_plan(index_t channels, typename F::plan& p, Scalar* in, Scalar* out) {
    if (!p) p = F::c2r(d, n.data(), int(batch * channels), in, int(spec), out, int(points));
    KONO_REQUIRE(p != nullptr, "kono::SpectralConv: FFTW c2r planning failed");
    return p;
  }
};

namespace {

// Unit-weight planes of the half spectrum (zero and Nyquist planes of the last axis).
KOKKOS_INLINE_FUNCTION bool edge_plane(index_t q, index_t half, bool nyquist) {
  index_t const kl = q % half;
  return kl == 0 || (nyquist && kl == half - 1);
}

// out[s, o, q] = sum_i in[s, i, q] W[i, o, w(q)] * scale on kept modes, zero elsewhere
// (conj: W conjugated and the roles of in/out channels swapped, for the input gradient).
template <class S>
void mode_product(S const* in, S* out, S const* w, index_t batch, index_t cin, index_t cout, index_t spec,
                  index_t nw, index_t const* inverse, bool conj, double scale) {
  Kokkos::parallel_for(
      "kono::SpectralConv::mode_product", Kokkos::RangePolicy<HostExec>(0, batch * cout * spec), [=](index_t idx) {
        index_t const q = idx % spec, o = (idx / spec) % cout, s = idx / (spec * cout);
        index_t const m = inverse[q];
        double re = 0, im = 0;
        if (m >= 0) {
          for (index_t i = 0; i < cin; ++i) {
            S const* z = in + 2 * ((s * cin + i) * spec + q);
            // forward: W[i, o]; adjoint: conj(W[o, i]) with o the input-gradient channel
            index_t const widx = conj ? (o * cin + i) * nw + m : (i * cout + o) * nw + m;
            double const wr = w[2 * widx], wi = conj ? -double(w[2 * widx + 1]) : double(w[2 * widx + 1]);
            re += double(z[0]) * wr - double(z[1]) * wi;
            im += double(z[0]) * wi + double(z[1]) * wr;
          }
        }
        out[2 * idx] = S(re * scale);
        out[2 * idx + 1] = S(im * scale);
      });
}

// Makes the zero (and Nyquist) planes of the last axis Hermitian over the leading axes,
// Z[k] <- (Z[k] + conj Z[-k]) / 2: what neuralop's enforce_hermitian_symmetry does, and what
// makes FFTW's c2r well defined.
template <class S>
void symmetrize_edges(S* z, index_t count, index_t lead, index_t half, bool nyquist, index_t const* negate) {
  Kokkos::parallel_for(
      "kono::SpectralConv::symmetrize", Kokkos::RangePolicy<HostExec>(0, count * lead), [=](index_t idx) {
        index_t const k = idx % lead, c = idx / lead;
        index_t const kn = negate[k];
        if (kn < k) return;
        for (int plane = 0; plane < (nyquist && half > 1 ? 2 : 1); ++plane) {
          index_t const kl = plane == 0 ? 0 : half - 1;
          S* p = z + 2 * ((c * lead + k) * half + kl);
          if (kn == k) {
            p[1] = 0;
          } else {
            S* pn = z + 2 * ((c * lead + kn) * half + kl);
            S const ar = p[0], ai = p[1], br = pn[0], bi = pn[1];
            p[0] = S(0.5) * (ar + br);
            p[1] = S(0.5) * (ai - bi);
            pn[0] = p[0];
            pn[1] = -p[1];
          }
        }
      });
}

template <class S>
void add_bias(S* y, S const* b, index_t batch, index_t cout, index_t points) {
  Kokkos::parallel_for("kono::SpectralConv::bias", Kokkos::RangePolicy<HostExec>(0, batch * cout * points),
                       [=](index_t idx) { y[idx] += b[(idx / points) % cout]; });
}

// One thread per weight (re, im pair) or bias entry, reducing over samples: no atomics.
// dW[i, o, m] = sum_s c_q G[s, o, q] conj(X[s, i, q]) / P with G = rfft(dy), X = rfft(x).
template <class S>
void weight_gradient(S* gw, S* gb, bool has_bias, bool acc_mode, S const* x_hat, S const* g_hat, S const* dy,
                     index_t batch, index_t cin, index_t cout, index_t spec, index_t nw, index_t points, index_t half,
                     bool nyquist, index_t const* kept) {
  index_t const nweights = cin * cout * nw;
  double const inv_points = 1.0 / double(points);
  Kokkos::parallel_for(
      "kono::SpectralConv::backward_weight", Kokkos::RangePolicy<HostExec>(0, nweights + (has_bias ? cout : 0)),
      [=](index_t k) {
        if (k < nweights) {
          index_t const m = k % nw, o = (k / nw) % cout, i = k / (nw * cout);
          index_t const q = kept[m];
          double const c = edge_plane(q, half, nyquist) ? 1.0 : 2.0;
          double re = 0, im = 0;
          for (index_t s = 0; s < batch; ++s) {
            S const* g = g_hat + 2 * ((s * cout + o) * spec + q);
            S const* xh = x_hat + 2 * ((s * cin + i) * spec + q);
            re += double(g[0]) * double(xh[0]) + double(g[1]) * double(xh[1]);
            im += double(g[1]) * double(xh[0]) - double(g[0]) * double(xh[1]);
          }
          re *= c * inv_points;
          im *= c * inv_points;
          gw[2 * k] = S(re) + (acc_mode ? gw[2 * k] : S(0));
          gw[2 * k + 1] = S(im) + (acc_mode ? gw[2 * k + 1] : S(0));
        } else {
          index_t const o = k - nweights;
          double acc = 0;
          for (index_t s = 0; s < batch; ++s)
            for (index_t p = 0; p < points; ++p) acc += dy[(s * cout + o) * points + p];
          gb[o] = S(acc) + (acc_mode ? gb[o] : S(0));
        }
      });
}

// Complex normal entries with total variance std^2 (each part std / sqrt(2)), as torch's
// normal_ on complex tensors; Box-Muller on hashed uniforms.
template <class View>
void fill_normal(View const& v, double stddev, std::uint64_t seed) {
  using value_type = typename View::non_const_value_type;
  using exec = typename View::execution_space;
  Kokkos::parallel_for(
      "kono::SpectralConv::fill_normal", Kokkos::RangePolicy<exec>(0, v.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
        double const u1 = 1.0 - hashed_uniform(seed, 2 * i);  // (0, 1]
        double const u2 = hashed_uniform(seed, 2 * i + 1);
        v(i) = static_cast<value_type>(stddev * math::sqrt(-2.0 * math::log(u1)) *
                                       math::cos(6.283185307179586 * u2));
      });
}

template <class MemorySpace, class Scalar>
struct SpectralContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
};

[[noreturn]] void no_device_path() {
  KONO_THROW(unsupported, "kono::SpectralConv: device FFT path not built (spectral_conv runs in host-accessible "
                          "memory spaces only, through FFTW)");
}

std::string modes_string(std::vector<int> const& m) {
  std::ostringstream os;
  os << "[";
  for (std::size_t a = 0; a < m.size(); ++a) os << (a ? ", " : "") << m[a];
  os << "]";
  return os.str();
}
}  // namespace
}  // namespace Impl

template <class MemorySpace, class Scalar>
SpectralConv<MemorySpace, Scalar>::SpectralConv(int in_channels, int out_channels, std::vector<int> modes, bool bias)
    : m_in(in_channels), m_out(out_channels), m_modes(std::move(modes)), m_bias(bias) {
  KONO_USER_REQUIRE(in_channels > 0 && out_channels > 0, invalid_argument,
                    "kono::SpectralConv: channels must be positive, got in_channels="
                        << in_channels << " out_channels=" << out_channels);
  KONO_USER_REQUIRE(!m_modes.empty() && m_modes.size() <= 3, invalid_argument,
                    "kono::SpectralConv: modes must list 1 to 3 spatial axes, got " << Impl::modes_string(m_modes));
  for (int m : m_modes)
    KONO_USER_REQUIRE(m > 0, invalid_argument,
                      "kono::SpectralConv: modes must be positive, got " << Impl::modes_string(m_modes));
}

template <class MemorySpace, class Scalar>
SpectralConv<MemorySpace, Scalar>::~SpectralConv() = default;

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> SpectralConv<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<SpectralConv>(config_get<int>(cfg, "in_channels", "spectral_conv"),
                                        config_get<int>(cfg, "out_channels", "spectral_conv"),
                                        config_get<std::vector<int>>(cfg, "modes", "spectral_conv"),
                                        config_get<bool>(cfg, "bias", "spectral_conv", true));
}

template <class MemorySpace, class Scalar>
LayerConfig SpectralConv<MemorySpace, Scalar>::config() const {
  return {{"type", "spectral_conv"}, {"in_channels", m_in}, {"out_channels", m_out}, {"modes", m_modes},
          {"bias", m_bias}};
}

template <class MemorySpace, class Scalar>
std::vector<int> SpectralConv<MemorySpace, Scalar>::weight_modes() const {
  std::vector<int> w = m_modes;
  w.back() = w.back() / 2 + 1;
  return w;
}

template <class MemorySpace, class Scalar>
Shape SpectralConv<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  int const d = int(m_modes.size());
  KONO_USER_REQUIRE(in.rank() == d + 2 && in[1] == m_in, size_mismatch,
                    "kono::spectral_conv: input shape " << in.to_string() << " does not match [N, " << m_in << ", "
                                                        << d << " spatial axes] (in_channels=" << m_in
                                                        << ", modes=" << Impl::modes_string(m_modes) << ")");
  for (int a = 0; a < d; ++a)
    KONO_USER_REQUIRE(in[a + 2] >= m_modes[a], size_mismatch,
                      "kono::spectral_conv: spatial axis " << a << " of input " << in.to_string() << " has "
                                                           << in[a + 2] << " points, fewer than its " << m_modes[a]
                                                           << " modes (modes=" << Impl::modes_string(m_modes) << ")");
  return in.with_extent(1, m_out);
}

template <class MemorySpace, class Scalar>
std::size_t SpectralConv<MemorySpace, Scalar>::num_parameters() const {
  std::size_t nw = 1;
  for (int m : weight_modes()) nw *= std::size_t(m);
  return 2 * std::size_t(m_in) * std::size_t(m_out) * nw + (m_bias ? std::size_t(m_out) : 0);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> SpectralConv<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<index_t> ext{m_in, m_out};
  for (int m : weight_modes()) ext.push_back(m);
  ext.push_back(2);
  Shape const ws(ext);
  std::vector<ParameterSlice> s{{"weight", 0, ws}};
  if (m_bias) s.push_back({"bias", std::size_t(ws.size()), Shape{m_out}});
  return s;
}

template <class MemorySpace, class Scalar>
void SpectralConv<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  double const stddev = std::sqrt(2.0 / double(m_in + m_out));
  std::size_t const nw = num_parameters() - (m_bias ? std::size_t(m_out) : 0);
  Impl::fill_normal(Kokkos::subview(this->m_params, std::make_pair(std::size_t(0), nw)), stddev / std::sqrt(2.0),
                    seed);
  if (m_bias)
    Impl::fill_normal(Kokkos::subview(this->m_params, std::make_pair(nw, nw + std::size_t(m_out))), stddev,
                      child_seed(seed, 1));
}

template <class MemorySpace, class Scalar>
Impl::SpectralPlans<Scalar>& SpectralConv<MemorySpace, Scalar>::plans_for(Shape const& in) const {
  auto key = in.to_vector();
  auto it = m_plans.find(key);
  if (it != m_plans.end()) return *it->second;
  auto p = std::make_unique<Impl::SpectralPlans<Scalar>>();
  int const d = int(m_modes.size());
  p->d = d;
  p->batch = in[0];
  p->cin = m_in;
  p->cout = m_out;
  for (int a = 0; a < d; ++a) {
    p->n.push_back(int(in[a + 2]));
    p->points *= in[a + 2];
    if (a < d - 1) p->lead *= in[a + 2];
  }
  p->half = p->n.back() / 2 + 1;
  p->nyquist = p->n.back() % 2 == 0;
  p->spec = p->lead * p->half;
  std::vector<int> const wm = weight_modes();
  index_t nw = 1;
  for (int m : wm) nw *= m;
  p->kept = Impl::IndexView("kono::SpectralConv::kept", nw);
  p->inverse = Impl::IndexView("kono::SpectralConv::inverse", p->spec);
  p->negate = Impl::IndexView("kono::SpectralConv::negate", p->lead);
  Kokkos::deep_copy(p->inverse, index_t(-1));
  for (index_t m = 0; m < nw; ++m) {
    index_t rest = m, q = 0, stride = 1;
    for (int a = d - 1; a >= 0; --a) {
      index_t const j = rest % wm[a];
      rest /= wm[a];
      index_t const na = (a == d - 1) ? p->half : p->n[a];
      index_t const k = (a == d - 1) ? j : ((j - m_modes[a] / 2) % na + na) % na;  // frequency j - m/2
      q += k * stride;
      stride *= na;
    }
    p->kept(m) = q;
    p->inverse(q) = m;
  }
  for (index_t k = 0; k < p->lead; ++k) {
    index_t rest = k, kn = 0, stride = 1;
    for (int a = d - 2; a >= 0; --a) {
      index_t const j = rest % p->n[a];
      rest /= p->n[a];
      kn += ((p->n[a] - j) % p->n[a]) * stride;
      stride *= p->n[a];
    }
    p->negate(k) = kn;
  }
  p->a = Kokkos::View<Scalar*, Kokkos::HostSpace>("kono::SpectralConv::spectrum_in",
                                                  std::size_t(2 * p->batch * m_in * p->spec));
  p->b = Kokkos::View<Scalar*, Kokkos::HostSpace>("kono::SpectralConv::spectrum_out",
                                                  std::size_t(2 * p->batch * m_out * p->spec));
  return *m_plans.emplace(std::move(key), std::move(p)).first->second;
}

template <class MemorySpace, class Scalar>
auto SpectralConv<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                     tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<Impl::SpectralContext<MemorySpace, Scalar>>();
  ctx->x = x;
  if constexpr (host_accessible<MemorySpace>) {
    space.fence();
    auto& p = plans_for(x.shape());
    if (p.batch == 0) return ctx;
    using F = Impl::Fftw<Scalar>;
    Scalar* xp = x.data().data();
    Scalar* yp = y.data().data();
    Scalar* a = p.a.data();
    Scalar* b = p.b.data();
    Scalar const* w = this->m_params.data();
    index_t const nw = index_t(p.kept.extent(0));
    F::exec_r2c(p.r2c_plan(p.cin, p.r2c_in, xp, a), xp, a);
    Impl::mode_product(a, b, w, p.batch, p.cin, p.cout, p.spec, nw, p.inverse.data(), false, 1.0 / double(p.points));
    Impl::symmetrize_edges(b, p.batch * p.cout, p.lead, p.half, p.nyquist, p.negate.data());
    Impl::HostExec().fence();
    F::exec_c2r(p.c2r_plan(p.cout, p.c2r_out, b, yp), b, yp);
    if (m_bias) {
      Impl::add_bias(yp, w + 2 * m_in * m_out * nw, p.batch, p.cout, p.points);
      Impl::HostExec().fence();
    }
  } else {
    (void)space;
    (void)y;
    Impl::no_device_path();
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void SpectralConv<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                      tensor_type const& dy, tensor_type const* dx,
                                                      GradientMode mode) const {
  auto const& ctx = static_cast<Impl::SpectralContext<MemorySpace, Scalar> const&>(base_ctx);
  Shape const in = ctx.x.shape();
  this->check_output(in, dy, "gradient dy");
  if (dx)
    KONO_USER_REQUIRE(dx->shape() == in, size_mismatch,
                      "kono::spectral_conv: dx has shape " << dx->shape().to_string() << ", expected "
                                                           << in.to_string());
  if constexpr (host_accessible<MemorySpace>) {
    space.fence();
    auto& p = plans_for(in);
    using F = Impl::Fftw<Scalar>;
    index_t const nw = index_t(p.kept.extent(0));
    Scalar const* w = this->m_params.data();
    Scalar* gw = this->m_grads.data();
    if (p.batch == 0) {
      if (mode == GradientMode::overwrite)
        for (std::size_t i = 0; i < num_parameters(); ++i) gw[i] = 0;
      return;
    }
    Scalar* xp = ctx.x.data().data();
    Scalar* gp = dy.data().data();
    Scalar* a = p.a.data();
    Scalar* b = p.b.data();
    F::exec_r2c(p.r2c_plan(p.cin, p.r2c_in, xp, a), xp, a);
    F::exec_r2c(p.r2c_plan(p.cout, p.r2c_out, gp, b), gp, b);
    if (mode != GradientMode::ignore) {
      Impl::weight_gradient(gw, gw + 2 * m_in * m_out * nw, m_bias, mode == GradientMode::accumulate, a, b, gp,
                            p.batch, p.cin, p.cout, p.spec, nw, p.points, p.half, p.nyquist, p.kept.data());
      Impl::HostExec().fence();
    }
    if (dx) {
      Scalar* dxp = dx->data().data();
      Impl::mode_product(b, a, w, p.batch, p.cout, p.cin, p.spec, nw, p.inverse.data(), true,
                         1.0 / double(p.points));
      Impl::symmetrize_edges(a, p.batch * p.cin, p.lead, p.half, p.nyquist, p.negate.data());
      Impl::HostExec().fence();
      F::exec_c2r(p.c2r_plan(p.cin, p.c2r_in, a, dxp), a, dxp);
    }
  } else {
    (void)space;
    (void)mode;
    Impl::no_device_path();
  }
}

KONO_INSTANTIATE_FOR_SCALARS(SpectralConv)

namespace Impl {
namespace {
template <class Scalar>
void register_spectral_layers_for() {
  register_layer<DefaultMemorySpace, Scalar>("spectral_conv", &SpectralConv<DefaultMemorySpace, Scalar>::from_config);
}
}  // namespace

void register_spectral_layers() {
  register_spectral_layers_for<float>();
  register_spectral_layers_for<double>();
}
}  // namespace Impl
}  // namespace kono
