// The portable SpectralConv path (Kokkos kernels + full-grid batched FFT, what runs on GPUs),
// run on the host through Impl::ScopedSpectralPath: against the pruned host path and a direct
// DFT, gradients by finite differences, gradient modes, reuse of its scratch, the
// KONO_SPECTRAL_PATH values, and FNO training steps against the host path.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <kono/operators/layers/spectral_conv.hpp>
#include <kono/operators/losses/mse.hpp>
#include <kono/operators/model_registry.hpp>
#include <kono/operators/optimizers/adam.hpp>

#include "layers/spectral_conv_portable.hpp"
#include "operators/spectral_reference.hpp"
#include "support/gradcheck.hpp"

namespace {
using kono::index_t;
using kono::Shape;
using kono::Impl::ScopedSpectralPath;
using kono::Impl::SpectralPath;
using kono::test::bind_for_test;
using kono::test::GradSpace;
using kono::test::GradTensor;
using kono::test::random_tensor;
using Exec = GradSpace::execution_space;

template <class S>
using Tensor = kono::Tensor<GradSpace, S>;
template <class S>
using Spectral = kono::SpectralConv<GradSpace, S>;

template <class View>
std::vector<double> values(View const& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

template <class S, class View>
void set_values(View const& v, std::vector<double> const& x) {
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < x.size(); ++i) h(i) = S(x[i]);
  Kokkos::deep_copy(v, h);
}

template <class S>
Tensor<S> tensor_of(Shape const& shape, std::uint64_t seed) {
  Tensor<S> t("x", shape);
  set_values<S>(t.data(), values(random_tensor(shape, seed).data()));
  return t;
}

// Parameters of both precisions from the same double values, bound to a layer.
template <class S>
struct Bound {
  Kokkos::View<S*, Kokkos::LayoutRight, GradSpace> params, grads;
};
template <class S>
Bound<S> bind(Spectral<S>& layer, std::uint64_t seed) {
  Bound<S> b{Kokkos::View<S*, Kokkos::LayoutRight, GradSpace>("params", layer.num_parameters()),
             Kokkos::View<S*, Kokkos::LayoutRight, GradSpace>("grads", layer.num_parameters())};
  set_values<S>(b.params, values(random_tensor(Shape{index_t(layer.num_parameters())}, seed).data()));
  using PV = typename kono::Layer<GradSpace, S>::param_view;
  layer.bind_parameters(PV(b.params.data(), b.params.extent(0)), PV(b.grads.data(), b.grads.extent(0)));
  return b;
}

double max_abs(std::vector<double> const& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// |a - b| <= tol * (1 + max |b|) everywhere; reports the first failures.
void expect_close(std::vector<double> const& a, std::vector<double> const& b, double tol, std::string const& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  double const bound = tol * (1 + max_abs(b));
  int bad = 0;
  for (std::size_t i = 0; i < a.size() && bad < 5; ++i)
    if (!(std::abs(a[i] - b[i]) <= bound)) {
      ADD_FAILURE() << what << " at " << i << ": " << a[i] << " vs " << b[i] << " (bound " << bound << ")";
      ++bad;
    }
}

struct Case {
  Shape in;
  std::vector<int> modes;
};

// 1D, 2D and 3D; odd and even extents; n == m; even m < n (the extended +m/2 rows); the
// Nyquist column kept (m == n even on the last axis) and not.
std::vector<Case> cases() {
  return {{Shape{2, 2, 7}, {5}},          {Shape{2, 2, 16}, {8}},          {Shape{2, 2, 8}, {8}},
          {Shape{3, 2, 9}, {9}},          {Shape{2, 2, 9, 5}, {4, 4}},     {Shape{2, 2, 16, 16}, {8, 8}},
          {Shape{2, 2, 8, 8}, {8, 8}},    {Shape{2, 2, 7, 6}, {5, 6}},     {Shape{1, 2, 10, 7}, {6, 7}},
          {Shape{2, 2, 5, 4, 6}, {4, 3, 6}}, {Shape{1, 2, 4, 3, 2}, {3, 3, 2}}, {Shape{1, 2, 6, 5, 8}, {4, 5, 6}}};
}

template <class S>
std::vector<double> forward_on(SpectralPath path, Spectral<S> const& layer, Tensor<S> const& x) {
  ScopedSpectralPath scope(path);
  Tensor<S> y("y", layer.output_shape(x.shape()));
  layer.forward(Exec{}, x, y);
  return values(y.data());
}

TEST(SpectralPortable, ForwardMatchesHostPathAndDirectDft) {
  std::uint64_t seed = 100;
  for (auto const& c : cases()) {
    SCOPED_TRACE(c.in.to_string());
    Spectral<double> layer(2, 3, c.modes);
    auto const b = bind(layer, ++seed);
    auto const x = tensor_of<double>(c.in, ++seed);
    auto const host = forward_on(SpectralPath::host, layer, x);
    auto const portable = forward_on(SpectralPath::portable, layer, x);
    auto const ref = kono::test::reference(c.in, 3, c.modes, values(b.params), values(x.data()));
    EXPECT_GT(max_abs(ref), 0.1);
    expect_close(portable, ref, 1e-12, "portable vs direct DFT");
    expect_close(portable, host, 1e-13, "portable vs host path");
    // Again on the same shape: the cached tables, plans and scratch give the same result.
    EXPECT_EQ(forward_on(SpectralPath::portable, layer, x), portable);
  }
}

// FFTW's multi-dimensional c2r takes real parts after the leading axes, which symmetrises the
// zero and Nyquist planes implicitly, so the forward comparisons above cannot see whether the
// scatter does it; cuFFT's C2R needs Hermitian input. Check the scatter kernel directly against
// an independent computation of the kept set.
TEST(SpectralPortable, ScatterMakesTheEdgePlanesHermitian) {
  std::uint64_t seed = 150;
  for (auto const& c : cases()) {
    SCOPED_TRACE(c.in.to_string());
    auto const full = c.in.to_vector();
    std::vector<index_t> const n(full.begin() + 2, full.end());
    auto const g = kono::Impl::make_spectral_geometry<GradSpace>(c.modes, n);
    int const d = int(n.size());
    index_t const fields = 2, half = n.back() / 2 + 1, kd = c.modes.back() / 2 + 1;
    index_t lead = 1;
    for (int a = 0; a < d - 1; ++a) lead *= n[a];
    ASSERT_EQ(g.lead, lead);
    ASSERT_EQ(g.half, half);
    bool const nyquist_kept = n.back() % 2 == 0 && half - 1 < kd;
    auto const hat = random_tensor(Shape{fields * g.nw * 2}, ++seed);
    Kokkos::View<double*, Kokkos::LayoutRight, GradSpace> spec("spec", std::size_t(2 * fields * lead * half));
    kono::Impl::spectral_scatter(Exec{}, hat.data(), g.lead_kept, g.lead_neg, spec, fields, lead, half, kd, g.nw,
                                 g.nyq);
    auto const z = values(spec);
    auto const h = values(hat.data());
    // Leading index l -> per-axis rows; kept weight row j on axis a has full index (j - m/2) mod n.
    auto weight_row = [&](index_t l) -> index_t {
      index_t flat = 0;
      for (int a = 0; a < d - 1; ++a) {
        index_t stride = 1;
        for (int b = a + 1; b < d - 1; ++b) stride *= n[b];
        index_t const r = (l / stride) % n[a];
        index_t found = -1;
        for (index_t j = 0; j < c.modes[a]; ++j)
          if (((j - c.modes[a] / 2) % n[a] + n[a]) % n[a] == r) found = j;
        if (found < 0) return -1;
        flat = flat * c.modes[a] + found;
      }
      return flat;
    };
    auto negate = [&](index_t l) {
      index_t out = 0;
      for (int a = 0; a < d - 1; ++a) {
        index_t stride = 1;
        for (int b = a + 1; b < d - 1; ++b) stride *= n[b];
        index_t const r = (l / stride) % n[a];
        out = out * n[a] + (n[a] - r) % n[a];
      }
      return out;
    };
    for (index_t f = 0; f < fields; ++f)
      for (index_t l = 0; l < lead; ++l)
        for (index_t q = 0; q < half; ++q) {
          auto y = [&](index_t row, int part) {
            index_t const j = weight_row(row);
            return (q < kd && j >= 0) ? h[std::size_t(2 * (f * g.nw + j * kd + q) + part)] : 0.0;
          };
          bool const edge = q < kd && (q == 0 || (nyquist_kept && q == half - 1));
          index_t const ln = negate(l);
          double const re = edge ? 0.5 * (y(l, 0) + y(ln, 0)) : y(l, 0);
          double const im = edge ? 0.5 * (y(l, 1) - y(ln, 1)) : y(l, 1);
          std::size_t const at = std::size_t(2 * ((f * lead + l) * half + q));
          ASSERT_EQ(z[at], re) << "f " << f << " l " << l << " q " << q;
          ASSERT_EQ(z[at + 1], im) << "f " << f << " l " << l << " q " << q;
          if (edge) {  // Hermitian over the leading axes, exactly
            std::size_t const atn = std::size_t(2 * ((f * lead + ln) * half + q));
            ASSERT_EQ(z[at], z[atn]);
            ASSERT_EQ(z[at + 1], -z[atn + 1]);
          }
        }
  }
}

TEST(SpectralPortable, FloatForwardMatchesHostPathAndDouble) {
  std::uint64_t seed = 200;
  for (auto const& c : cases()) {
    SCOPED_TRACE(c.in.to_string());
    Spectral<float> lf(2, 3, c.modes);
    Spectral<double> ld(2, 3, c.modes);
    ++seed;
    auto const bf = bind(lf, seed);
    auto const bd = bind(ld, seed);
    auto const xf = tensor_of<float>(c.in, seed + 1000);
    auto const xd = tensor_of<double>(c.in, seed + 1000);
    auto const host = forward_on(SpectralPath::host, lf, xf);
    auto const portable = forward_on(SpectralPath::portable, lf, xf);
    auto const exact = forward_on(SpectralPath::host, ld, xd);
    expect_close(portable, host, 2e-6, "float portable vs float host path");
    expect_close(portable, exact, 2e-6, "float portable vs double");
  }
}

// Forward on each path, then backward in every gradient mode from the same starting gradients
// (dx from different garbage), and without dx: the two paths must agree.
template <class S>
void check_backward_matches(Case const& c, bool bias, std::uint64_t seed, double tol) {
  SCOPED_TRACE(c.in.to_string() + (bias ? " bias" : " no bias"));
  Spectral<S> host(2, 3, c.modes, bias), portable(2, 3, c.modes, bias);
  auto const bh = bind(host, seed);
  auto const bp = bind(portable, seed);
  auto const x = tensor_of<S>(c.in, seed + 1);
  Shape const ys = host.output_shape(c.in);
  auto const dy = tensor_of<S>(ys, seed + 2);
  Tensor<S> y1("y1", ys), y2("y2", ys);
  auto const c1 = [&] {
    ScopedSpectralPath s(SpectralPath::host);
    return host.forward(Exec{}, x, y1);
  }();
  auto const c2 = [&] {
    ScopedSpectralPath s(SpectralPath::portable);
    return portable.forward(Exec{}, x, y2);
  }();
  std::vector<double> const g0 = values(random_tensor(Shape{index_t(host.num_parameters())}, seed + 3).data());
  for (auto mode : {kono::GradientMode::ignore, kono::GradientMode::overwrite, kono::GradientMode::accumulate}) {
    std::string const m = "mode " + std::to_string(static_cast<int>(mode));
    set_values<S>(bh.grads, g0);
    set_values<S>(bp.grads, g0);
    auto const start = values(bp.grads);
    Tensor<S> dx1("dx1", c.in), dx2("dx2", c.in);
    dx1.fill(S(7));
    dx2.fill(S(-3));
    // The context decides the path: backward follows its forward whatever is selected now.
    host.backward(Exec{}, *c1, dy, &dx1, mode);
    portable.backward(Exec{}, *c2, dy, &dx2, mode);
    expect_close(values(dx2.data()), values(dx1.data()), tol, m + " dx");
    expect_close(values(bp.grads), values(bh.grads), tol, m + " parameter gradients");
    if (mode == kono::GradientMode::ignore) {
      EXPECT_EQ(values(bp.grads), start) << "ignore changed the gradients";
    }
  }
  set_values<S>(bh.grads, g0);
  set_values<S>(bp.grads, g0);
  host.backward(Exec{}, *c1, dy, nullptr, kono::GradientMode::overwrite);
  portable.backward(Exec{}, *c2, dy, nullptr, kono::GradientMode::overwrite);
  expect_close(values(bp.grads), values(bh.grads), tol, "gradients without dx");
}

TEST(SpectralPortable, BackwardMatchesHostPathInEveryMode) {
  std::uint64_t seed = 300;
  for (auto const& c : cases())
    for (bool bias : {true, false}) {
      check_backward_matches<double>(c, bias, seed += 10, 1e-13);
      check_backward_matches<float>(c, bias, seed += 10, 2e-6);
    }
}

TEST(SpectralPortable, AccumulateAddsToOverwrite) {
  ScopedSpectralPath scope(SpectralPath::portable);
  Spectral<double> layer(3, 2, {4, 5});
  auto const b = bind(layer, 5);
  auto const x = tensor_of<double>(Shape{2, 3, 9, 8}, 6);
  auto const dy = tensor_of<double>(Shape{2, 2, 9, 8}, 7);
  Tensor<double> y("y", dy.shape());
  auto const ctx = layer.forward(Exec{}, x, y);
  std::vector<double> const g0 = values(random_tensor(Shape{index_t(layer.num_parameters())}, 8).data());
  set_values<double>(b.grads, g0);
  layer.backward(Exec{}, *ctx, dy, nullptr, kono::GradientMode::overwrite);
  auto const once = values(b.grads);
  layer.backward(Exec{}, *ctx, dy, nullptr, kono::GradientMode::accumulate);
  auto const twice = values(b.grads);
  set_values<double>(b.grads, g0);
  layer.backward(Exec{}, *ctx, dy, nullptr, kono::GradientMode::accumulate);
  auto const added = values(b.grads);
  EXPECT_GT(max_abs(once), 1e-3);
  for (std::size_t i = 0; i < once.size(); ++i) {
    ASSERT_NEAR(twice[i], 2 * once[i], 1e-14 * (1 + std::abs(once[i]))) << i;
    ASSERT_NEAR(added[i], g0[i] + once[i], 1e-14 * (1 + std::abs(once[i]))) << i;
  }
  // An empty batch overwrites with zeros and accumulates nothing.
  Tensor<double> x0("x0", Shape{0, 3, 9, 8}), y0("y0", Shape{0, 2, 9, 8});
  auto const ctx0 = layer.forward(Exec{}, x0, y0);
  layer.backward(Exec{}, *ctx0, y0, nullptr, kono::GradientMode::accumulate);
  EXPECT_EQ(values(b.grads), added);
  layer.backward(Exec{}, *ctx0, y0, nullptr, kono::GradientMode::overwrite);
  EXPECT_EQ(max_abs(values(b.grads)), 0.0);
}

TEST(SpectralPortable, GradientsByFiniteDifferences) {
  ScopedSpectralPath scope(SpectralPath::portable);
  std::vector<Case> const grad_cases{{Shape{2, 2, 7}, {5}},          {Shape{2, 2, 8}, {8}},
                                     {Shape{2, 2, 9, 5}, {4, 4}},    {Shape{1, 2, 8, 6}, {8, 6}},
                                     {Shape{1, 2, 10, 7}, {6, 7}},   {Shape{2, 2, 5, 4, 6}, {4, 3, 6}},
                                     {Shape{1, 2, 3, 4, 5}, {3, 4, 5}}};
  for (bool bias : {true, false})
    for (auto const& c : grad_cases) {
      SCOPED_TRACE(c.in.to_string() + (bias ? " bias" : " no bias"));
      Spectral<double> layer(2, 3, c.modes, bias);
      auto const b = bind_for_test(layer);
      kono::test::gradcheck(layer, random_tensor(c.in, 9));
    }
}

TEST(SpectralPortable, ReusedShapeAndBatchAllocateNothing) {
  ScopedSpectralPath scope(SpectralPath::portable);
  Spectral<float> layer(3, 4, {6, 6});
  auto const b = bind(layer, 1);
  auto step = [&](index_t batch) {
    auto const x = tensor_of<float>(Shape{batch, 3, 12, 10}, 2);
    auto const dy = tensor_of<float>(Shape{batch, 4, 12, 10}, 3);
    Tensor<float> y("y", dy.shape()), dx("dx", x.shape());
    auto const ctx = layer.forward(Exec{}, x, y);
    layer.backward(Exec{}, *ctx, dy, &dx, kono::GradientMode::overwrite);
  };
  auto const before = kono::Impl::portable_spectral_allocations();
  step(4);
  auto const first = kono::Impl::portable_spectral_allocations();
  // Tables (3), scratch (4) and the FFT plans for 12 and 16 fields (2).
  EXPECT_EQ(first - before, 9u);
  step(4);
  step(4);
  EXPECT_EQ(kono::Impl::portable_spectral_allocations(), first);
  step(2);  // a new batch size: its own scratch and plans, the same tables
  auto const second = kono::Impl::portable_spectral_allocations();
  EXPECT_EQ(second - first, 6u);
  step(4);
  step(2);
  EXPECT_EQ(kono::Impl::portable_spectral_allocations(), second);
}

TEST(SpectralPortable, PathValues) {
  using kono::Impl::parse_spectral_path;
  EXPECT_EQ(parse_spectral_path(nullptr), SpectralPath::host);
  EXPECT_EQ(parse_spectral_path(""), SpectralPath::host);
  EXPECT_EQ(parse_spectral_path("host"), SpectralPath::host);
  EXPECT_EQ(parse_spectral_path("portable"), SpectralPath::portable);
  for (char const* bad : {"gpu", "Portable", "cuda", "host "})
    EXPECT_KONO_ERROR(parse_spectral_path(bad), invalid_argument,
                      "KONO_SPECTRAL_PATH=\"" + std::string(bad) + "\" is not allowed: use \"host\"");
  EXPECT_KONO_ERROR(parse_spectral_path("gpu"), invalid_argument, "or \"portable\"");
  {
    ScopedSpectralPath outer(SpectralPath::portable);
    EXPECT_EQ(kono::Impl::selected_spectral_path(), SpectralPath::portable);
    {
      ScopedSpectralPath inner(SpectralPath::host);
      EXPECT_EQ(kono::Impl::selected_spectral_path(), SpectralPath::host);
    }
    EXPECT_EQ(kono::Impl::selected_spectral_path(), SpectralPath::portable);
  }
}

// A few Adam steps of a small 2D FNO (lifting, 2 Fourier blocks, projection) with the portable
// spectral path and with the host path, from the same initial parameters and data.
template <class S>
std::pair<std::vector<double>, std::vector<double>> train_fno(SpectralPath path, int steps) {
  ScopedSpectralPath scope(path);
  auto model = kono::create_model<GradSpace, S>(
      "fno", {{"modes", {6, 5}}, {"hidden_channels", 6}, {"layers", 2}, {"padding", 0.125}}, 17);
  kono::MseLoss<GradSpace, S> loss;
  kono::Adam<GradSpace, S> adam(model.num_parameters());
  std::vector<double> losses;
  for (int k = 0; k < steps; ++k) {
    auto const x = tensor_of<S>(Shape{3, 1, 14, 12}, 40 + std::uint64_t(k));
    auto const target = tensor_of<S>(Shape{3, 1, 14, 12}, 80 + std::uint64_t(k));
    Tensor<S> pred("pred", target.shape()), dpred("dpred", target.shape());
    auto const ctx = model.root().forward(Exec{}, x, pred);
    losses.push_back(loss.sum(Exec{}, pred, target));
    loss.backward(Exec{}, pred, target, 1.0 / 3, dpred);
    model.root().backward(Exec{}, *ctx, dpred, nullptr, kono::GradientMode::overwrite);
    adam.step(Exec{}, model.parameters(), model.gradients(), 1e-2);
  }
  return {losses, values(model.parameters())};
}

TEST(SpectralPortable, FnoTrainingStepsMatchHostPath) {
  auto const [host_loss, host_params] = train_fno<double>(SpectralPath::host, 5);
  auto const [port_loss, port_params] = train_fno<double>(SpectralPath::portable, 5);
  EXPECT_LT(host_loss.back(), host_loss.front());  // it trains
  expect_close(port_loss, host_loss, 1e-12, "double losses");
  expect_close(port_params, host_params, 1e-10, "double parameters after 5 steps");
  // float: Adam divides by sqrt(v), so rounding differences in near-zero gradient entries grow;
  // the loss trajectory still agrees closely.
  auto const [fh_loss, fh_params] = train_fno<float>(SpectralPath::host, 5);
  auto const [fp_loss, fp_params] = train_fno<float>(SpectralPath::portable, 5);
  expect_close(fp_loss, fh_loss, 1e-4, "float losses");
  expect_close(fp_loss, host_loss, 1e-3, "float vs double losses");
  expect_close(fp_params, fh_params, 1e-3, "float parameters after 5 steps");
}
}  // namespace
