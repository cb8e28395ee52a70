// Conv and ConvTranspose: forward against naive host references (explicitly padded input for
// conv, a scatter for conv_transpose), the adjoint identity between the two, gradient checks in
// double, configuration round trips and errors.
#include <cmath>
#include <vector>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/conv_transpose.hpp>

#include "support/gradcheck.hpp"

namespace {
using kono::ConvParams;
using kono::ConvTransposeParams;
using kono::index_t;
using kono::PaddingMode;
using kono::Shape;
using kono::test::bind_for_test;
using kono::test::gradcheck;
using kono::test::GradSpace;
using kono::test::GradTensor;
using kono::test::random_tensor;
using Exec = GradSpace::execution_space;
using Conv = kono::Conv<GradSpace, double>;
using ConvT = kono::ConvTranspose<GradSpace, double>;
using Idx = std::vector<index_t>;

constexpr PaddingMode Z = PaddingMode::zero;
constexpr PaddingMode P = PaddingMode::periodic;
constexpr PaddingMode R = PaddingMode::reflect;

// ---- naive host references ------------------------------------------------------------------

index_t product(Idx const& e) {
  index_t n = 1;
  for (index_t v : e) n *= v;
  return n;
}

Idx unflatten(index_t f, Idx const& ext) {
  Idx i(ext.size());
  for (std::size_t a = ext.size(); a-- > 0;) {
    i[a] = f % ext[a];
    f /= ext[a];
  }
  return i;
}

index_t flatten(Idx const& i, Idx const& ext) {
  index_t f = 0;
  for (std::size_t a = 0; a < ext.size(); ++a) f = f * ext[a] + i[a];
  return f;
}

// Source of padded coordinate r (relative to the unpadded origin), -1 for a zero.
// Deliberately written differently from the library: modulo and repeated mirroring.
index_t padded_source(index_t r, index_t n, PaddingMode m) {
  if (m == Z) return (r >= 0 && r < n) ? r : -1;
  if (m == P) return ((r % n) + n) % n;
  while (r < 0 || r >= n) {
    if (r < 0) r = -r;
    if (r >= n) r = 2 * (n - 1) - r;
  }
  return r;
}

std::vector<double> host_values(GradTensor const& t) {
  auto h = t.to_host();
  return std::vector<double>(h.data().data(), h.data().data() + h.size());
}

std::vector<double> host_params(kono::test::BoundParameters const& b) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b.params);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

void set_params(kono::test::BoundParameters const& b, std::vector<double> const& v) {
  auto h = Kokkos::create_mirror_view(b.params);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = v[i];
  Kokkos::deep_copy(b.params, h);
}

GradTensor tensor_from(Shape const& s, std::vector<double> const& v) {
  kono::Tensor<Kokkos::HostSpace, double> h("h", s);
  for (std::size_t i = 0; i < v.size(); ++i) h.data()(i) = v[i];
  return h.clone_to<GradSpace>("x");
}

// Conv: pad the input explicitly into a bigger array, then a valid strided, dilated correlation.
std::vector<double> reference_conv(ConvParams const& p, Idx const& xs, std::vector<double> const& x,
                                   std::vector<double> const& params, Idx& ys) {
  auto const D = static_cast<std::size_t>(p.dim);
  index_t const N = xs[0], Ci = p.in_channels, Co = p.out_channels;
  Idx n(xs.begin() + 2, xs.end()), padded(D), out(D), kern(p.kernel.begin(), p.kernel.end());
  for (std::size_t a = 0; a < D; ++a) {
    padded[a] = n[a] + 2 * p.padding[a];
    out[a] = (padded[a] - p.dilation[a] * (p.kernel[a] - 1) - 1) / p.stride[a] + 1;
  }
  ys = {N, Co};
  ys.insert(ys.end(), out.begin(), out.end());
  index_t const np = product(padded), nn = product(n), no = product(out), nk = product(kern);
  std::vector<double> xp(static_cast<std::size_t>(N * Ci * np), 0.0);
  for (index_t s = 0; s < N * Ci; ++s)
    for (index_t f = 0; f < np; ++f) {
      Idx q = unflatten(f, padded);
      bool zero = false;
      for (std::size_t a = 0; a < D; ++a) {
        q[a] = padded_source(q[a] - p.padding[a], n[a], p.padding_mode[a]);
        zero = zero || q[a] < 0;
      }
      if (!zero) xp[static_cast<std::size_t>(s * np + f)] = x[static_cast<std::size_t>(s * nn + flatten(q, n))];
    }
  std::vector<double> y(static_cast<std::size_t>(N * Co * no));
  std::size_t const bias0 = static_cast<std::size_t>(Co * Ci * nk);
  for (index_t b = 0; b < N; ++b)
    for (index_t co = 0; co < Co; ++co)
      for (index_t fo = 0; fo < no; ++fo) {
        Idx const o = unflatten(fo, out);
        double acc = p.bias ? params[bias0 + static_cast<std::size_t>(co)] : 0.0;
        for (index_t ci = 0; ci < Ci; ++ci)
          for (index_t fk = 0; fk < nk; ++fk) {
            Idx const k = unflatten(fk, kern);
            Idx q(D);
            for (std::size_t a = 0; a < D; ++a) q[a] = o[a] * p.stride[a] + k[a] * p.dilation[a];
            acc += params[static_cast<std::size_t>((co * Ci + ci) * nk + fk)] *
                   xp[static_cast<std::size_t>((b * Ci + ci) * np + flatten(q, padded))];
          }
        y[static_cast<std::size_t>((b * Co + co) * no + fo)] = acc;
      }
  return y;
}

// Transposed conv: scatter every input value through the kernel, crop `padding` on each side.
std::vector<double> reference_conv_transpose(ConvTransposeParams const& p, Idx const& xs, std::vector<double> const& x,
                                             std::vector<double> const& params, Idx& ys) {
  auto const D = static_cast<std::size_t>(p.dim);
  index_t const N = xs[0], Ci = p.in_channels, Co = p.out_channels;
  Idx n(xs.begin() + 2, xs.end()), out(D), kern(p.kernel.begin(), p.kernel.end());
  for (std::size_t a = 0; a < D; ++a)
    out[a] = (n[a] - 1) * p.stride[a] - 2 * p.padding[a] + p.dilation[a] * (p.kernel[a] - 1) + p.output_padding[a] + 1;
  ys = {N, Co};
  ys.insert(ys.end(), out.begin(), out.end());
  index_t const nn = product(n), no = product(out), nk = product(kern);
  std::size_t const bias0 = static_cast<std::size_t>(Co * Ci * nk);
  std::vector<double> y(static_cast<std::size_t>(N * Co * no));
  for (index_t b = 0; b < N; ++b)
    for (index_t co = 0; co < Co; ++co)
      for (index_t fo = 0; fo < no; ++fo)
        y[static_cast<std::size_t>((b * Co + co) * no + fo)] =
            p.bias ? params[bias0 + static_cast<std::size_t>(co)] : 0;
  for (index_t b = 0; b < N; ++b)
    for (index_t ci = 0; ci < Ci; ++ci)
      for (index_t fi = 0; fi < nn; ++fi) {
        Idx const i = unflatten(fi, n);
        for (index_t co = 0; co < Co; ++co)
          for (index_t fk = 0; fk < nk; ++fk) {
            Idx const k = unflatten(fk, kern);
            Idx o(D);
            bool inside = true;
            for (std::size_t a = 0; a < D; ++a) {
              o[a] = i[a] * p.stride[a] - p.padding[a] + k[a] * p.dilation[a];
              inside = inside && o[a] >= 0 && o[a] < out[a];
            }
            if (!inside) continue;
            y[static_cast<std::size_t>((b * Co + co) * no + flatten(o, out))] +=
                x[static_cast<std::size_t>((b * Ci + ci) * nn + fi)] *
                params[static_cast<std::size_t>((ci * Co + co) * nk + fk)];
          }
      }
  return y;
}

Shape make_shape(index_t batch, index_t channels, Idx const& spatial) {
  Idx e{batch, channels};
  e.insert(e.end(), spatial.begin(), spatial.end());
  return Shape(e);
}

std::string describe(kono::LayerConfig const& cfg, Idx const& spatial) {
  return cfg.dump() + " on spatial " + Shape(spatial).to_string();
}

void expect_matches(std::vector<double> const& got, std::vector<double> const& ref, std::string const& what) {
  ASSERT_EQ(got.size(), ref.size()) << what;
  int bad = 0;
  for (std::size_t i = 0; i < ref.size() && bad < 5; ++i) {
    bool const ok = std::abs(got[i] - ref[i]) <= 1e-12 * (1 + std::abs(ref[i]));
    EXPECT_TRUE(ok) << what << ": entry " << i << " is " << got[i] << ", reference " << ref[i];
    bad += !ok;
  }
}

ConvParams conv_params(int dim, std::vector<int> kernel, std::vector<int> stride, std::vector<int> dilation,
                       std::vector<PaddingMode> modes, std::vector<int> padding = {}, bool bias = true) {
  ConvParams p;
  p.dim = dim;
  p.in_channels = 2;
  p.out_channels = 3;
  p.kernel = std::move(kernel);
  p.stride = std::move(stride);
  p.dilation = std::move(dilation);
  p.padding_mode = std::move(modes);
  p.padding = std::move(padding);
  p.bias = bias;
  return p;
}

ConvTransposeParams conv_transpose_params(int dim, std::vector<int> kernel, std::vector<int> stride,
                                          std::vector<int> padding, std::vector<int> output_padding = {},
                                          std::vector<int> dilation = {}, bool bias = true) {
  ConvTransposeParams p;
  p.dim = dim;
  p.in_channels = 2;
  p.out_channels = 3;
  p.kernel = std::move(kernel);
  p.stride = std::move(stride);
  p.padding = std::move(padding);
  p.output_padding = std::move(output_padding);
  p.dilation = std::move(dilation);
  p.bias = bias;
  return p;
}

void check_conv_forward(ConvParams const& params, Idx const& spatial, std::uint64_t seed) {
  Conv conv(params);
  auto const bound = bind_for_test(conv, seed);
  Shape const xs = make_shape(2, 2, spatial);
  GradTensor const x = random_tensor(xs, seed + 1);
  Idx ys;
  std::vector<double> const ref = reference_conv(conv.params(), xs.to_vector(), host_values(x), host_params(bound), ys);
  std::string const what = describe(conv.config(), spatial);
  ASSERT_EQ(conv.output_shape(xs), Shape(ys)) << what;
  GradTensor y("y", Shape(ys));
  conv.forward(Exec{}, x, y);
  expect_matches(host_values(y), ref, what);
}

void check_conv_transpose_forward(ConvTransposeParams const& params, Idx const& spatial, std::uint64_t seed) {
  ConvT ct(params);
  auto const bound = bind_for_test(ct, seed);
  Shape const xs = make_shape(2, 2, spatial);
  GradTensor const x = random_tensor(xs, seed + 1);
  Idx ys;
  std::vector<double> const ref =
      reference_conv_transpose(ct.params(), xs.to_vector(), host_values(x), host_params(bound), ys);
  std::string const what = describe(ct.config(), spatial);
  ASSERT_EQ(ct.output_shape(xs), Shape(ys)) << what;
  GradTensor y("y", Shape(ys));
  ct.forward(Exec{}, x, y);
  expect_matches(host_values(y), ref, what);
}

// ---- forward ----------------------------------------------------------------------------------

TEST(Conv, Forward1dMatchesReferenceForEveryOption) {
  std::uint64_t seed = 100;
  for (int k : {1, 2, 3})
    for (int s : {1, 2})
      for (int d : {1, 2})
        for (PaddingMode m : {Z, P, R}) {
          check_conv_forward(conv_params(1, {k}, {s}, {d}, {m}), {7}, ++seed);       // default ("same") padding
          check_conv_forward(conv_params(1, {k}, {s}, {d}, {m}, {2}), {7}, ++seed);  // explicit padding
        }
  check_conv_forward(conv_params(1, {3}, {1}, {1}, {Z}, {0}), {7}, ++seed);         // "valid"
  check_conv_forward(conv_params(1, {3}, {1}, {1}, {P}, {7}), {7}, ++seed);         // periodic pad = extent
  check_conv_forward(conv_params(1, {3}, {2}, {1}, {R}, {6}), {7}, ++seed);         // reflect pad = extent - 1
  check_conv_forward(conv_params(1, {1}, {1}, {1}, {R}), {1}, ++seed);              // extent 1
  check_conv_forward(conv_params(1, {3}, {1}, {1}, {P}, {1}), {1}, ++seed);         // extent 1, periodic
  check_conv_forward(conv_params(1, {3}, {1}, {1}, {Z}, {1}, false), {7}, ++seed);  // no bias
}

TEST(Conv, Forward2dMatchesReferenceWithMixedPerAxisPadding) {
  std::uint64_t seed = 200;
  for (PaddingMode m0 : {Z, P, R})
    for (PaddingMode m1 : {Z, P, R}) {
      check_conv_forward(conv_params(2, {3}, {1}, {1}, {m0, m1}), {9, 5}, ++seed);
      check_conv_forward(conv_params(2, {3, 2}, {2, 1}, {1, 2}, {m0, m1}), {9, 5}, ++seed);
      check_conv_forward(conv_params(2, {2, 3}, {1, 2}, {2, 1}, {m0, m1}, {1, 2}), {9, 5}, ++seed);
    }
  check_conv_forward(conv_params(2, {1}, {2}, {1}, {Z}), {9, 5}, ++seed);
}

TEST(Conv, Forward3dMatchesReference) {
  std::uint64_t seed = 300;
  check_conv_forward(conv_params(3, {3}, {1}, {1}, {P, R, Z}), {5, 4, 3}, ++seed);
  check_conv_forward(conv_params(3, {3}, {2, 1, 2}, {1}, {R, P, Z}), {5, 4, 3}, ++seed);
  check_conv_forward(conv_params(3, {2, 3, 3}, {1}, {2, 1, 1}, {Z, Z, P}), {5, 4, 3}, ++seed);
  check_conv_forward(conv_params(3, {3, 2, 1}, {1, 2, 1}, {1, 1, 2}, {P}, {2, 1, 0}), {5, 4, 3}, ++seed);
  check_conv_forward(conv_params(3, {3}, {1}, {1, 2, 1}, {R}, {1}), {5, 4, 3}, ++seed);
}

// PyTorch's 'reflect' and 'circular' on a hand-worked example, independent of the reference.
TEST(Conv, PaddingModesMatchPyTorchByHand) {
  struct Case {
    PaddingMode mode;
    std::vector<double> expected;
  };
  for (Case const& c :
       {Case{R, {3, 2, 1, 2, 3, 4, 3, 2}}, Case{P, {3, 4, 1, 2, 3, 4, 1, 2}}, Case{Z, {0, 0, 1, 2, 3, 4, 0, 0}}}) {
    ConvParams p = conv_params(1, {1}, {}, {}, {c.mode}, {2}, false);
    p.in_channels = p.out_channels = 1;
    Conv conv(p);
    auto const b = bind_for_test(conv);
    set_params(b, {1.0});
    GradTensor const x = tensor_from(Shape{1, 1, 4}, {1, 2, 3, 4});
    GradTensor y("y", conv.output_shape(x.shape()));
    conv.forward(Exec{}, x, y);
    EXPECT_EQ(host_values(y), c.expected) << kono::to_string(c.mode);
  }
}

TEST(ConvTranspose, ForwardMatchesScatterReference) {
  std::uint64_t seed = 400;
  check_conv_transpose_forward(conv_transpose_params(1, {4}, {2}, {1}), {7}, ++seed);  // MgNO: doubles n
  check_conv_transpose_forward(conv_transpose_params(2, {4}, {2}, {1}), {9, 5}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(1, {3}, {1}, {1}), {7}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(2, {3}, {1}, {0}), {9, 5}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(1, {3}, {2}, {1}, {1}), {7}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(2, {3, 2}, {2, 3}, {1, 0}, {1, 2}), {9, 5}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(2, {3}, {1}, {2}, {1}, {2}), {9, 5}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(3, {2, 3, 4}, {2, 1, 2}, {0, 1, 1}, {1, 0, 0}), {5, 4, 3}, ++seed);
  check_conv_transpose_forward(conv_transpose_params(1, {2}, {3}, {0}, {}, {}, false), {1}, ++seed);
  // MgNO's upsampling doubles every extent.
  ConvT const up(conv_transpose_params(2, {4}, {2}, {1}));
  EXPECT_EQ(up.output_shape(Shape{2, 2, 9, 5}), (Shape{2, 3, 18, 10}));
}

TEST(ConvTranspose, MatchesPyTorchByHand) {
  ConvTransposeParams p = conv_transpose_params(1, {4}, {2}, {1}, {}, {}, false);
  p.in_channels = p.out_channels = 1;
  ConvT ct(p);
  auto const b = bind_for_test(ct);
  set_params(b, {1, 1, 1, 1});
  GradTensor const x = tensor_from(Shape{1, 1, 2}, {1, 2});
  GradTensor y("y", ct.output_shape(x.shape()));
  ct.forward(Exec{}, x, y);
  // Uncropped [1, 1, 3, 3, 2, 2], padding 1 removed on both sides.
  EXPECT_EQ(host_values(y), (std::vector<double>{1, 3, 3, 2}));
}

// <conv(x), y> = <x, conv_transpose(y)> for zero padding and the same weights ([out, in, k] of
// the conv is [in, out, k] of the transposed conv); output_padding restores the conv's input size.
TEST(ConvTranspose, IsTheAdjointOfZeroPaddedConv) {
  struct Case {
    int dim;
    std::vector<int> kernel, stride, dilation, padding;
    Idx spatial;
  };
  std::uint64_t seed = 500;
  for (Case const& c :
       {Case{1, {3}, {1}, {1}, {1}, {7}}, Case{1, {4}, {2}, {1}, {1}, {8}}, Case{1, {3}, {2}, {2}, {0}, {9}},
        Case{2, {3, 2}, {2, 1}, {1, 2}, {1, 0}, {9, 5}}, Case{2, {4}, {2}, {1}, {1}, {8, 6}},
        Case{3, {3, 2, 3}, {1, 2, 2}, {2, 1, 1}, {1, 0, 2}, {5, 4, 3}}}) {
    ConvParams cp = conv_params(c.dim, c.kernel, c.stride, c.dilation, {Z}, c.padding, false);
    Conv conv(cp);
    auto const bc = bind_for_test(conv, ++seed);
    Shape const xs = make_shape(2, 2, c.spatial);
    Shape const ys = conv.output_shape(xs);
    std::vector<int> op;
    for (int a = 0; a < c.dim; ++a) {
      auto const ua = static_cast<std::size_t>(a);
      index_t const full = (ys[2 + a] - 1) * c.stride[ua % c.stride.size()] - 2 * c.padding[ua % c.padding.size()] +
                           c.dilation[ua % c.dilation.size()] * (c.kernel[ua % c.kernel.size()] - 1) + 1;
      op.push_back(static_cast<int>(c.spatial[ua] - full));
    }
    ConvTransposeParams tp = conv_transpose_params(c.dim, c.kernel, c.stride, c.padding, op, c.dilation, false);
    tp.in_channels = 3;
    tp.out_channels = 2;
    ConvT ct(tp);
    auto const bt = bind_for_test(ct, seed + 1000);
    set_params(bt, host_params(bc));
    ASSERT_EQ(ct.output_shape(ys), xs);
    GradTensor const x = random_tensor(xs, ++seed);
    GradTensor const y = random_tensor(ys, ++seed);
    GradTensor cx("cx", ys), ty("ty", xs);
    conv.forward(Exec{}, x, cx);
    ct.forward(Exec{}, y, ty);
    auto dot = [](std::vector<double> const& a, std::vector<double> const& b) {
      double s = 0;
      for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
      return s;
    };
    double const lhs = dot(host_values(cx), host_values(y));
    double const rhs = dot(host_values(x), host_values(ty));
    EXPECT_NEAR(lhs, rhs, 1e-12 * (1 + std::abs(lhs))) << conv.config().dump();
    EXPECT_GT(std::abs(lhs), 1e-3);  // not trivially zero
  }
}

// ---- gradients ----------------------------------------------------------------------------------

TEST(Conv, GradientsMatchFiniteDifferences) {
  struct Case {
    ConvParams p;
    Idx spatial;
  };
  std::uint64_t seed = 600;
  for (Case const& c :
       {Case{conv_params(1, {3}, {1}, {1}, {Z}), {7}}, Case{conv_params(1, {3}, {2}, {1}, {P}), {7}},
        Case{conv_params(1, {2}, {1}, {2}, {R}, {2}), {7}}, Case{conv_params(2, {3}, {1}, {2}, {R, P}), {9, 5}},
        Case{conv_params(2, {3, 2}, {2, 1}, {1}, {P, Z}, {}, false), {9, 5}},
        Case{conv_params(2, {3}, {2}, {1}, {P, R}, {1}), {6, 5}},
        Case{conv_params(3, {3}, {2, 1, 1}, {1}, {Z, P, R}), {5, 4, 3}},
        Case{conv_params(3, {2, 3, 3}, {1}, {1, 2, 1}, {R, Z, P}, {1}), {5, 4, 3}}}) {
    SCOPED_TRACE(describe(c.p.to_config(), c.spatial));
    Conv conv(c.p);
    auto const b = bind_for_test(conv, ++seed);
    gradcheck(conv, random_tensor(make_shape(2, 2, c.spatial), ++seed));
  }
}

TEST(ConvTranspose, GradientsMatchFiniteDifferences) {
  struct Case {
    ConvTransposeParams p;
    Idx spatial;
  };
  std::uint64_t seed = 700;
  for (Case const& c :
       {Case{conv_transpose_params(1, {4}, {2}, {1}), {7}}, Case{conv_transpose_params(1, {3}, {1}, {1}, {}, {2}), {7}},
        Case{conv_transpose_params(2, {3}, {2}, {1}, {1}), {5, 4}},
        Case{conv_transpose_params(2, {4, 2}, {2, 1}, {1, 0}, {}, {1, 2}, false), {5, 4}},
        Case{conv_transpose_params(3, {2, 3, 2}, {2, 1, 1}, {0, 1, 0}, {1, 0, 0}), {3, 4, 3}}}) {
    SCOPED_TRACE(describe(c.p.to_config(), c.spatial));
    ConvT ct(c.p);
    auto const b = bind_for_test(ct, ++seed);
    gradcheck(ct, random_tensor(make_shape(2, 2, c.spatial), ++seed));
  }
}

TEST(Conv, EmptyBatchGivesZeroParameterGradients) {
  Conv conv(conv_params(2, {3}, {1}, {1}, {P}));
  auto const b = bind_for_test(conv);
  Kokkos::deep_copy(b.grads, 5.0);
  GradTensor const x("x", Shape{0, 2, 4, 4});
  GradTensor y("y", conv.output_shape(x.shape())), dx("dx", x.shape());
  auto ctx = conv.forward(Exec{}, x, y);
  conv.backward(Exec{}, *ctx, y, &dx, kono::GradientMode::overwrite);
  auto g = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b.grads);
  for (std::size_t i = 0; i < g.extent(0); ++i) EXPECT_EQ(g(i), 0.0) << i;
}

TEST(Conv, FloatMatchesDouble) {
  ConvParams const p = conv_params(2, {3}, {2, 1}, {1}, {R, P});
  Conv cd(p);
  kono::Conv<GradSpace, float> cf(p);
  auto const bd = bind_for_test(cd, 3);
  Kokkos::View<float*, Kokkos::LayoutRight, GradSpace> pf("pf", cf.num_parameters()), gf("gf", cf.num_parameters());
  using FloatLayer = kono::Layer<GradSpace, float>;
  cf.bind_parameters(FloatLayer::param_view(pf.data(), pf.extent(0)), FloatLayer::param_view(gf.data(), gf.extent(0)));
  cf.initialize_parameters(3);
  GradTensor const x = random_tensor(Shape{2, 2, 9, 5}, 4);
  kono::Tensor<GradSpace, float> xf("xf", x.shape());
  {
    auto xh = x.to_host();
    auto xfh = Kokkos::create_mirror_view(xf.data());
    for (index_t i = 0; i < x.size(); ++i) xfh(i) = static_cast<float>(xh.data()(i));
    Kokkos::deep_copy(xf.data(), xfh);
  }
  GradTensor yd("yd", cd.output_shape(x.shape()));
  kono::Tensor<GradSpace, float> yf("yf", cf.output_shape(x.shape()));
  cd.forward(Exec{}, x, yd);
  cf.forward(Exec{}, xf, yf);
  auto const ydh = yd.to_host();
  auto const yfh = yf.to_host();
  for (index_t i = 0; i < ydh.size(); ++i) EXPECT_NEAR(yfh.data()(i), ydh.data()(i), 1e-5) << i;
}

// ---- parameters and configuration -----------------------------------------------------------

TEST(Conv, ParameterSlicesAndPyTorchInitialisation) {
  Conv conv(conv_params(2, {3, 2}, {1}, {1}, {Z}));
  EXPECT_EQ(conv.num_parameters(), 3u * 2 * 3 * 2 + 3);
  auto const slices = conv.parameter_slices();
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0].name, "weight");
  EXPECT_EQ(slices[0].shape, (Shape{3, 2, 3, 2}));
  EXPECT_EQ(slices[1].name, "bias");
  EXPECT_EQ(slices[1].offset, 36u);
  EXPECT_EQ(slices[1].shape, (Shape{3}));
  auto const b = bind_for_test(conv, 9);
  std::vector<double> const v = host_params(b);
  double const bound = 1 / std::sqrt(2.0 * 3 * 2);  // fan_in = in * prod(k)
  double maxabs = 0;
  for (double e : v) maxabs = std::max(maxabs, std::abs(e));
  EXPECT_LE(maxabs, bound);
  EXPECT_GT(maxabs, 0.5 * bound);
  EXPECT_NE(v[0], v[36]);  // bias drawn from the child seed, not a copy of the weight's start
  Conv again(conv_params(2, {3, 2}, {1}, {1}, {Z}));
  EXPECT_EQ(host_params(bind_for_test(again, 9)), v);
  EXPECT_NE(host_params(bind_for_test(again, 10)), v);

  ConvT ct(conv_transpose_params(2, {4}, {2}, {1}));
  EXPECT_EQ(ct.parameter_slices()[0].shape, (Shape{2, 3, 4, 4}));  // [in, out, k...]
  auto const bt = bind_for_test(ct, 9);
  double const bound_t = 1 / std::sqrt(3.0 * 16);  // PyTorch: fan_in = weight.size(1) * prod(k)
  maxabs = 0;
  for (double e : host_params(bt)) maxabs = std::max(maxabs, std::abs(e));
  EXPECT_LE(maxabs, bound_t);
  EXPECT_GT(maxabs, 0.5 * bound_t);
}

TEST(Conv, ConfigRoundTripGivesTheSameLayer) {
  Conv conv(conv_params(2, {3, 2}, {2, 1}, {1, 2}, {P, R}, {1}));
  kono::LayerConfig const cfg = conv.config();
  EXPECT_EQ(cfg.at("type"), "conv");
  EXPECT_EQ(cfg.at("padding_mode"), (kono::LayerConfig{"periodic", "reflect"}));
  EXPECT_EQ(cfg.at("padding"), (kono::LayerConfig{1, 1}));
  Conv copy(ConvParams::from_config(kono::LayerConfig::parse(cfg.dump())));
  EXPECT_EQ(copy.config(), cfg);
  auto const b1 = bind_for_test(conv, 21);
  auto const b2 = bind_for_test(copy, 21);
  GradTensor const x = random_tensor(Shape{2, 2, 9, 5}, 22);
  GradTensor y1("y1", conv.output_shape(x.shape())), y2("y2", copy.output_shape(x.shape()));
  conv.forward(Exec{}, x, y1);
  copy.forward(Exec{}, x, y2);
  EXPECT_EQ(host_values(y1), host_values(y2));

  ConvT ct(conv_transpose_params(3, {4, 3, 2}, {2, 1, 3}, {1, 0, 0}, {1, 0, 2}, {1, 2, 1}, false));
  ConvT ct_copy(ConvTransposeParams::from_config(kono::LayerConfig::parse(ct.config().dump())));
  EXPECT_EQ(ct_copy.config(), ct.config());
  EXPECT_EQ(ct_copy.num_parameters(), ct.num_parameters());
}

TEST(Conv, ConfigShorthands) {
  // Numbers broadcast to every axis, dim follows from an array kernel, "same" is the default padding.
  auto const p = ConvParams::from_config({{"type", "conv"},
                                          {"dim", 2},
                                          {"in_channels", 2},
                                          {"out_channels", 3},
                                          {"kernel", 5},
                                          {"dilation", 2},
                                          {"padding", "same"},
                                          {"padding_mode", "circular"}});
  EXPECT_EQ(p.kernel, (std::vector<int>{5, 5}));
  EXPECT_EQ(p.padding, (std::vector<int>{4, 4}));
  EXPECT_EQ(p.padding_mode, (std::vector<PaddingMode>{P, P}));
  auto const q = ConvParams::from_config({{"in_channels", 1},
                                          {"out_channels", 1},
                                          {"kernel", {3, 1, 3}},
                                          {"padding_mode", {"zeros", "reflect", "periodic"}}});
  EXPECT_EQ(q.dim, 3);
  EXPECT_EQ(q.padding, (std::vector<int>{1, 0, 1}));
  EXPECT_EQ(q.stride, (std::vector<int>{1, 1, 1}));
  EXPECT_TRUE(q.bias);
  Conv const same(p);
  EXPECT_EQ(same.output_shape(Shape{1, 2, 9, 5}), (Shape{1, 3, 9, 5}));
}

TEST(Conv, CreatedThroughTheRegistry) {
  kono::Impl::register_conv_layers();
  auto conv = kono::create_layer<GradSpace, double>(
      {{"type", "conv"}, {"in_channels", 2}, {"out_channels", 3}, {"kernel", {3, 3}}, {"padding_mode", "periodic"}});
  EXPECT_EQ(conv->type_name(), "conv");
  EXPECT_EQ(conv->output_shape(Shape{1, 2, 8, 8}), (Shape{1, 3, 8, 8}));
  auto up = kono::create_layer<GradSpace, float>({{"type", "conv_transpose"},
                                                  {"dim", 2},
                                                  {"in_channels", 3},
                                                  {"out_channels", 2},
                                                  {"kernel", 4},
                                                  {"stride", 2},
                                                  {"padding", 1}});
  EXPECT_EQ(up->type_name(), "conv_transpose");
  EXPECT_EQ(up->output_shape(Shape{1, 3, 8, 4}), (Shape{1, 2, 16, 8}));
}

// ---- errors -------------------------------------------------------------------------------------

TEST(Conv, RejectsWrongInputs) {
  Conv conv(conv_params(1, {3}, {1}, {1}, {R}));
  EXPECT_KONO_ERROR(conv.output_shape(Shape{2, 3, 9}), size_mismatch,
                    "kono::conv: input of shape [2, 3, 9] has 3 channels");
  EXPECT_KONO_ERROR(conv.output_shape(Shape{2, 2, 9, 9}), size_mismatch, "[2, 2, 9, 9] has rank 4, expected 3");
  EXPECT_KONO_ERROR(conv.output_shape(Shape{2, 2, 1}), size_mismatch, "reflect padding 1 on spatial axis 0");
  Conv const periodic(conv_params(2, {1}, {1}, {1}, {Z, P}, {0, 3}));
  EXPECT_KONO_ERROR(periodic.output_shape(Shape{1, 2, 4, 2}), size_mismatch, "periodic padding 3 on spatial axis 1");
  Conv const big(conv_params(1, {5}, {1}, {2}, {Z}, {0}));
  EXPECT_KONO_ERROR(big.output_shape(Shape{1, 2, 8}), size_mismatch, "too small on spatial axis 0");
  // The Layer wrapper reports a wrong output through output_shape's message.
  auto const b = bind_for_test(conv);
  GradTensor const x = random_tensor(Shape{2, 3, 9}, 1);
  GradTensor y("y", Shape{2, 3, 9});
  EXPECT_KONO_ERROR(conv.forward(Exec{}, x, y), size_mismatch, "[2, 3, 9]");
  // Backward checks its gradients against the forward's shapes.
  GradTensor const good = random_tensor(Shape{2, 2, 9}, 2);
  GradTensor gy("gy", Shape{2, 3, 9}), dx("dx", Shape{2, 2, 8});
  auto ctx = conv.forward(Exec{}, good, gy);
  EXPECT_KONO_ERROR(conv.backward(Exec{}, *ctx, gy, &dx, kono::GradientMode::overwrite), size_mismatch,
                    "input gradient \"dx\" has shape [2, 2, 8]");
  GradTensor bad_dy("bad_dy", Shape{2, 3, 8});
  EXPECT_KONO_ERROR(conv.backward(Exec{}, *ctx, bad_dy, nullptr, kono::GradientMode::overwrite), size_mismatch,
                    "bad_dy");
  ConvT const ct(conv_transpose_params(1, {4}, {2}, {1}));
  EXPECT_KONO_ERROR(ct.output_shape(Shape{2, 5, 4}), size_mismatch,
                    "kono::conv_transpose: input of shape [2, 5, 4] has 5 channels");
  ConvT const crop(conv_transpose_params(1, {2}, {1}, {1}));
  EXPECT_KONO_ERROR(crop.output_shape(Shape{2, 2, 1}), size_mismatch, "gives output extent 0");
}

TEST(Conv, RejectsInvalidParameters) {
  EXPECT_KONO_ERROR((void)Conv(conv_params(2, {3, 0}, {1}, {1}, {Z})), invalid_argument,
                    "kono::conv: kernel[1] must be positive");
  EXPECT_KONO_ERROR((void)Conv(conv_params(2, {3}, {0}, {1}, {Z})), invalid_argument, "stride[0] must be positive");
  EXPECT_KONO_ERROR((void)Conv(conv_params(2, {3}, {1}, {1}, {Z}, {-1})), invalid_argument,
                    "padding[0] must be non-negative");
  EXPECT_KONO_ERROR((void)Conv(conv_params(2, {3, 3, 3}, {1}, {1}, {Z})), invalid_argument, "expected 1 or dim = 2");
  EXPECT_KONO_ERROR((void)Conv(conv_params(2, {3}, {1}, {1}, {Z, P, R})), invalid_argument,
                    "padding_mode has 3 entries");
  EXPECT_KONO_ERROR((void)Conv(conv_params(4, {3}, {1}, {1}, {Z})), invalid_argument, "dim must be 1, 2 or 3");
  EXPECT_KONO_ERROR((void)Conv(conv_params(2, {}, {1}, {1}, {Z})), invalid_argument, "kernel is required");
  EXPECT_KONO_ERROR((void)ConvT(conv_transpose_params(1, {3}, {2}, {1}, {2})), invalid_argument,
                    "output_padding[0] = 2 must be smaller than stride (2) or dilation (1)");
  kono::LayerConfig const base{{"type", "conv"}, {"dim", 1}, {"in_channels", 2}, {"out_channels", 3}, {"kernel", 3}};
  auto with = [&](char const* key, kono::LayerConfig value) {
    kono::LayerConfig c = base;
    c[key] = std::move(value);
    return c;
  };
  EXPECT_KONO_ERROR(ConvParams::from_config(with("kernel", 0)), invalid_argument, "kernel[0] must be positive");
  EXPECT_KONO_ERROR(ConvParams::from_config(with("dilatoin", 2)), invalid_argument,
                    "unknown key \"dilatoin\"; known: ");
  EXPECT_KONO_ERROR(ConvParams::from_config(with("padding_mode", "mirror")), invalid_argument,
                    "unknown padding_mode \"mirror\"");
  EXPECT_KONO_ERROR(ConvParams::from_config(with("stride", "two")), invalid_argument, "key \"stride\" must be");
  EXPECT_KONO_ERROR(ConvParams::from_config(with("padding", "valid")), invalid_argument, "\"same\"");
  EXPECT_KONO_ERROR(ConvParams::from_config(with("type", "linear")), invalid_argument, "given to a \"conv\" layer");
  kono::LayerConfig no_channels = base;
  no_channels.erase("in_channels");
  EXPECT_KONO_ERROR(ConvParams::from_config(no_channels), invalid_argument, "missing key \"in_channels\"");
  EXPECT_KONO_ERROR(ConvTransposeParams::from_config({{"type", "conv_transpose"},
                                                      {"dim", 1},
                                                      {"in_channels", 2},
                                                      {"out_channels", 3},
                                                      {"kernel", 3},
                                                      {"padding_mode", "reflect"}}),
                    invalid_argument, "only \"zero\"");
}

}  // namespace

// ---- host BLAS path (im2col + GEMM) against the portable Kokkos kernels --------------------------

namespace {
void set_view(Kokkos::View<double*, Kokkos::LayoutRight, GradSpace> const& v, std::vector<double> const& values) {
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < values.size(); ++i) h(i) = values[i];
  Kokkos::deep_copy(v, h);
}

std::vector<double> view_values(Kokkos::View<double*, Kokkos::LayoutRight, GradSpace> const& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

// Forward, then backward in every gradient mode (parameter gradients start from the same random
// values, dx from garbage) and without dx: the BLAS layer must agree with the portable one.
template <class L, class Params>
void check_blas_matches_portable(Params const& params, Idx const& spatial, std::uint64_t seed) {
  L blas(params), portable(params);
  portable.use_portable_kernels(true);
  std::string const what = describe(blas.config(), spatial);
  SCOPED_TRACE(what);
  auto const b1 = bind_for_test(blas, seed);
  auto const b2 = bind_for_test(portable, seed);
  Shape const xs = make_shape(3, params.in_channels, spatial);
  Shape const ys = blas.output_shape(xs);
  GradTensor const x = random_tensor(xs, seed + 1);
  GradTensor const dy = random_tensor(ys, seed + 2);
  GradTensor y1("y1", ys), y2("y2", ys);
  auto const c1 = blas.forward(Exec{}, x, y1);
  auto const c2 = portable.forward(Exec{}, x, y2);
  expect_matches(host_values(y1), host_values(y2), what + " forward");
  std::vector<double> const g0 = host_values(random_tensor(Shape{index_t(blas.num_parameters())}, seed + 3));
  for (auto mode : {kono::GradientMode::ignore, kono::GradientMode::overwrite, kono::GradientMode::accumulate}) {
    std::string const m = what + " mode " + std::to_string(static_cast<int>(mode));
    set_view(b1.grads, g0);
    set_view(b2.grads, g0);
    GradTensor dx1("dx1", xs), dx2("dx2", xs);
    dx1.fill(7.0);
    dx2.fill(-3.0);
    blas.backward(Exec{}, *c1, dy, &dx1, mode);
    portable.backward(Exec{}, *c2, dy, &dx2, mode);
    expect_matches(host_values(dx1), host_values(dx2), m + " dx");
    expect_matches(view_values(b1.grads), view_values(b2.grads), m + " parameter gradients");
    if (mode == kono::GradientMode::ignore) expect_matches(view_values(b1.grads), g0, m + " untouched gradients");
  }
  set_view(b1.grads, g0);
  set_view(b2.grads, g0);
  blas.backward(Exec{}, *c1, dy, nullptr, kono::GradientMode::overwrite);
  portable.backward(Exec{}, *c2, dy, nullptr, kono::GradientMode::overwrite);
  expect_matches(view_values(b1.grads), view_values(b2.grads), what + " gradients without dx");
}

TEST(Conv, BlasPathMatchesPortableKernels) {
  std::uint64_t seed = 900;
  auto check = [&](ConvParams const& p, Idx const& spatial) {
    check_blas_matches_portable<Conv>(p, spatial, seed += 10);
  };
  for (int s : {1, 2})
    for (int d : {1, 2})
      for (PaddingMode m : {Z, P, R}) {
        check(conv_params(1, {3}, {s}, {d}, {m}), {7});
        check(conv_params(1, {2}, {s}, {d}, {m}, {2}, false), {9});
        check(conv_params(2, {3}, {s}, {d}, {m}), {9, 5});
        check(conv_params(3, {3}, {s, 1, s}, {1, d, 1}, {m}), {5, 4, 3});
      }
  check(conv_params(1, {3}, {1}, {1}, {P}, {7}), {7});                      // periodic pad = extent
  check(conv_params(1, {3}, {2}, {1}, {R}, {6}), {7});                      // reflect pad = extent - 1
  check(conv_params(1, {5}, {3}, {2}, {P}, {4}), {4});                      // wrap on both sides of every point
  check(conv_params(1, {3}, {1}, {1}, {P}, {1}), {1});                      // extent 1
  check(conv_params(2, {3}, {1}, {1}, {Z}, {0}), {6, 5});                   // "valid"
  check(conv_params(2, {1}, {1}, {1}, {Z}), {5, 4});                        // pointwise: no im2col
  check(conv_params(2, {1}, {2}, {1}, {P}, {}, false), {5, 4});             // 1x1, strided
  check(conv_params(2, {3, 2}, {2, 1}, {1, 2}, {P, R}, {1, 2}), {9, 5});    // mixed per-axis modes
  check(conv_params(2, {5, 3}, {1, 3}, {1}, {R, P}), {11, 7});              // stride 3
  check(conv_params(3, {2, 3, 3}, {1}, {2, 1, 1}, {Z, R, P}, {1}), {5, 4, 3});
  check(conv_params(3, {3, 2, 1}, {1, 2, 1}, {1, 1, 2}, {P, Z, R}, {2, 1, 0}, false), {5, 4, 3});
}

TEST(ConvTranspose, BlasPathMatchesPortableKernels) {
  std::uint64_t seed = 1900;
  auto check = [&](ConvTransposeParams const& p, Idx const& spatial) {
    check_blas_matches_portable<ConvT>(p, spatial, seed += 10);
  };
  check(conv_transpose_params(1, {4}, {2}, {1}), {7});
  check(conv_transpose_params(1, {3}, {1}, {1}, {}, {2}), {7});
  check(conv_transpose_params(1, {5}, {1}, {3}, {}, {}, false), {6});       // crops more than it adds
  check(conv_transpose_params(2, {3}, {2}, {1}, {1}), {5, 4});
  check(conv_transpose_params(2, {4, 2}, {2, 1}, {1, 0}, {}, {1, 2}, false), {5, 4});
  check(conv_transpose_params(2, {3}, {3}, {0}, {2}), {3, 4});              // output_padding: untouched points
  check(conv_transpose_params(2, {1}, {1}, {0}), {4, 3});                   // pointwise
  check(conv_transpose_params(3, {2, 3, 2}, {2, 1, 1}, {0, 1, 0}, {1, 0, 0}), {3, 4, 3});
  check(conv_transpose_params(3, {3}, {2}, {1}, {1}, {1, 2, 1}), {3, 3, 2});
}

// Float (what training runs): sgemm against the portable kernels, to float rounding.
template <class L, class Params>
void check_float_blas_matches_portable(Params const& params, Idx const& spatial) {
  using FloatLayer = kono::Layer<GradSpace, float>;
  using FView = Kokkos::View<float*, Kokkos::LayoutRight, GradSpace>;
  using FTensor = kono::Tensor<GradSpace, float>;
  L blas(params), portable(params);
  portable.use_portable_kernels(true);
  SCOPED_TRACE(describe(blas.config(), spatial));
  std::size_t const np = blas.num_parameters();
  FView p("p", np), g1("g1", np), g2("g2", np);
  blas.bind_parameters(FloatLayer::param_view(p.data(), np), FloatLayer::param_view(g1.data(), np));
  portable.bind_parameters(FloatLayer::param_view(p.data(), np), FloatLayer::param_view(g2.data(), np));
  blas.initialize_parameters(5);
  Shape const xs = make_shape(2, params.in_channels, spatial), ys = blas.output_shape(xs);
  auto to_float = [](GradTensor const& t) {
    auto h = t.to_host();
    kono::Tensor<Kokkos::HostSpace, float> f("f", t.shape());
    for (index_t i = 0; i < t.size(); ++i) f.data()(i) = static_cast<float>(h.data()(i));
    return f.clone_to<GradSpace>("t");
  };
  FTensor const x = to_float(random_tensor(xs, 11)), dy = to_float(random_tensor(ys, 12));
  FTensor y1("y1", ys), y2("y2", ys), dx1("dx1", xs), dx2("dx2", xs);
  auto const c1 = blas.forward(Exec{}, x, y1);
  auto const c2 = portable.forward(Exec{}, x, y2);
  blas.backward(Exec{}, *c1, dy, &dx1, kono::GradientMode::overwrite);
  portable.backward(Exec{}, *c2, dy, &dx2, kono::GradientMode::overwrite);
  auto expect_close = [](auto const& a, auto const& b, char const* what) {
    auto const ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, a);
    auto const hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b);
    for (std::size_t i = 0; i < ha.extent(0); ++i)
      ASSERT_NEAR(ha(i), hb(i), 2e-5 * (1 + std::abs(hb(i)))) << what << " entry " << i;
  };
  expect_close(y1.data(), y2.data(), "forward");
  expect_close(dx1.data(), dx2.data(), "dx");
  expect_close(g1, g2, "parameter gradients");
}

TEST(Conv, FloatBlasPathMatchesPortableKernels) {
  check_float_blas_matches_portable<kono::Conv<GradSpace, float>>(conv_params(2, {3}, {1}, {1}, {R, P}), {9, 6});
  check_float_blas_matches_portable<kono::Conv<GradSpace, float>>(conv_params(2, {3}, {2}, {1}, {Z}), {9, 6});
  check_float_blas_matches_portable<kono::ConvTranspose<GradSpace, float>>(conv_transpose_params(2, {4}, {2}, {1}),
                                                                          {5, 4});
}

// The column buffer grows to the largest shape and is then reused: no allocation per call.
int g_conv_allocations = 0;
void count_conv_allocation(Kokkos::Profiling::SpaceHandle, char const*, void const*, std::uint64_t) {
  ++g_conv_allocations;
}

TEST(Conv, BlasPathReusesItsWorkspace) {
  Conv conv(conv_params(2, {3}, {1}, {1}, {P}));
  ConvT ct(conv_transpose_params(2, {4}, {2}, {1}));
  auto const b1 = bind_for_test(conv);
  auto const b2 = bind_for_test(ct);
  GradTensor const big = random_tensor(Shape{2, 2, 8, 8}, 1), small = random_tensor(Shape{2, 2, 4, 4}, 2);
  GradTensor yb("yb", conv.output_shape(big.shape())), ys("ys", conv.output_shape(small.shape()));
  GradTensor dxb("dxb", big.shape()), dxs("dxs", small.shape());
  GradTensor const tx = random_tensor(Shape{2, 2, 4, 4}, 3);
  GradTensor ty("ty", ct.output_shape(tx.shape())), tdx("tdx", tx.shape());
  auto step = [&] {
    for (GradTensor const* x : {&big, &small}) {
      GradTensor& y = x == &big ? yb : ys;
      auto ctx = conv.forward(Exec{}, *x, y);
      conv.backward(Exec{}, *ctx, y, x == &big ? &dxb : &dxs, kono::GradientMode::accumulate);
    }
    auto ctx = ct.forward(Exec{}, tx, ty);
    ct.backward(Exec{}, *ctx, ty, &tdx, kono::GradientMode::overwrite);
  };
  step();
  g_conv_allocations = 0;
  Kokkos::Tools::Experimental::set_allocate_data_callback(count_conv_allocation);
  step();
  step();
  Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
  EXPECT_EQ(g_conv_allocations, 0);
}
}  // namespace
