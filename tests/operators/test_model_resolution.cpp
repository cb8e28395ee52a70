// kono::resolution_consistency on hand-written architectures: pointwise, spectral and
// discretised layers are resolution-independent; grid-unit convolutions and MgNO layers without
// reference extents are not, and the reason names them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <kono/operators/model_registry.hpp>
#include <kono/operators/model_resolution.hpp>

namespace {
using kono::LayerConfig;
using ::testing::HasSubstr;

LayerConfig seq(LayerConfig layers) { return {{"type", "sequential"}, {"layers", std::move(layers)}}; }

LayerConfig conv(int kernel, int stride = 1) {
  return {{"type", "conv"}, {"dim", 2}, {"in_channels", 4}, {"out_channels", 1},
          {"kernel", {kernel, kernel}}, {"stride", {stride, stride}}, {"padding_mode", {"zero", "zero"}}};
}

LayerConfig mgno_layer(LayerConfig reference_extents = nullptr) {
  LayerConfig c{{"type", "mgno_layer"}, {"dim", 2}, {"in_channels", 3}, {"out_channels", 4}, {"levels", 3},
                {"iterations", {1}}, {"post_iterations", {1}}, {"padding_mode", {"zero", "zero"}}};
  if (!reference_extents.is_null()) c["reference_extents"] = std::move(reference_extents);
  return c;
}

TEST(ModelResolution, PointwiseAndSpectralLayersAreConsistent) {
  LayerConfig const fno_like = seq(
      {{{"type", "grid_embedding"}, {"in_channels", 1}, {"dim", 2}},
       {{"type", "linear"}, {"in_channels", 3}, {"out_channels", 8}},
       {{"type", "domain_padding"},
        {"fraction", 0.25},
        {"body", seq({{{"type", "residual"},
                       {"body", {{"type", "spectral_conv"}, {"in_channels", 8}, {"out_channels", 8}, {"modes", {4, 4}}}},
                       {"skip", {{"type", "linear"}, {"in_channels", 8}, {"out_channels", 8}, {"bias", false}}}},
                      {{"type", "gelu"}},
                      {{"type", "soft_gating"}, {"channels", 8}}})}},
       {{"type", "discretized_conv"}, {"in_channels", 8}, {"out_channels", 8}},
       conv(1)});
  auto const r = kono::resolution_consistency(fno_like);
  EXPECT_TRUE(r.consistent) << r.reason;
  EXPECT_EQ(r.reason, "");
}

TEST(ModelResolution, BuiltinFnoIsConsistent) {
  kono::register_builtin_models();
  auto const r = kono::resolution_consistency(
      kono::model_architecture("fno", {{"modes", {4, 4}}, {"hidden_channels", 4}, {"layers", 2}, {"padding", 0.25}}));
  EXPECT_TRUE(r.consistent) << r.reason;
}

TEST(ModelResolution, GridUnitConvolutionsAreNot) {
  auto const r = kono::resolution_consistency(seq({{{"type", "linear"}, {"in_channels", 1}, {"out_channels", 4}}, conv(3)}));
  EXPECT_FALSE(r.consistent);
  EXPECT_THAT(r.reason, HasSubstr("conv: 3x3 kernel in grid units"));
  EXPECT_THAT(r.reason, HasSubstr("(layer 1)"));
  auto const strided = kono::resolution_consistency(conv(1, 2));
  EXPECT_FALSE(strided.consistent);
  EXPECT_THAT(strided.reason, HasSubstr("stride 2x2"));
  LayerConfig transpose = conv(2);
  transpose["type"] = "conv_transpose";
  EXPECT_FALSE(kono::resolution_consistency(transpose).consistent);
}

TEST(ModelResolution, MgnoLayersNeedReferenceExtents) {
  // As kono wrote MgNO before resolution-consistent MgNO: six grid-unit layers and a 3x3 projection.
  LayerConfig old_layers = LayerConfig::array();
  old_layers.push_back({{"type", "grid_embedding"}, {"in_channels", 1}, {"dim", 2}});
  for (int l = 0; l < 3; ++l) old_layers.push_back(mgno_layer());
  old_layers.push_back(conv(3));
  auto const old = kono::resolution_consistency(seq(old_layers));
  EXPECT_FALSE(old.consistent);
  EXPECT_THAT(old.reason, HasSubstr("mgno_layer: 3x3 convolutions and stride-2 transfers in grid units"));
  EXPECT_THAT(old.reason, HasSubstr("(layers 1, 2, 3)"));  // one line for the three
  EXPECT_THAT(old.reason, HasSubstr("conv: 3x3 kernel in grid units (its physical support shrinks on a finer grid) (layer 4)"));

  EXPECT_FALSE(kono::resolution_consistency(mgno_layer(LayerConfig::array())).consistent);  // empty: not set
  EXPECT_FALSE(kono::resolution_consistency(mgno_layer(32)).consistent);                    // not an array
  auto const fresh = kono::resolution_consistency(
      seq({mgno_layer({32, 32}), mgno_layer({32, 32}), {{"type", "discretized_conv"}, {"kernel", {3, 3}}}}));
  EXPECT_TRUE(fresh.consistent) << fresh.reason;
}

TEST(ModelResolution, UnknownAndMalformedLayersAreReported) {
  auto const unknown = kono::resolution_consistency(seq({{{"type", "graph_conv"}}}));
  EXPECT_FALSE(unknown.consistent);
  EXPECT_THAT(unknown.reason, HasSubstr("layer type \"graph_conv\" is not known to be resolution-independent (layer 0)"));
  auto const malformed = kono::resolution_consistency(LayerConfig{{"layers", 3}});
  EXPECT_FALSE(malformed.consistent);
  EXPECT_THAT(malformed.reason, HasSubstr("malformed layer configuration"));
  EXPECT_THAT(malformed.reason, HasSubstr("(layer root)"));
}
}  // namespace
