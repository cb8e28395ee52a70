// FNO: the architecture neuraloperator builds (parameter count of its Darcy tutorial model),
// gradients of the whole model and of domain padding, resolution invariance, save/load.
#include <cmath>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/domain_padding.hpp>
#include <kono/operators/layers/spectral_conv.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/model_registry.hpp>

#include "support/gradcheck.hpp"
#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::LayerConfig;
using kono::Shape;

// neuraloperator 1.0: FNO(n_modes=(8, 8), hidden_channels=24, in_channels=1, out_channels=1,
// lifting_channel_ratio=2, projection_channel_ratio=2) has 191,881 parameters:
// lifting 1,368 + 4 blocks x 47,316 + projection 1,249.
TEST(Fno, ParameterCountMatchesNeuraloperatorsDarcyTutorial) {
  auto model = kono::create_model<Space, float>("fno", {{"modes", {8, 8}}, {"hidden_channels", 24}}, 1);
  EXPECT_EQ(model.num_parameters(), 191881u);
  std::size_t spectral = 0;
  for (auto const& s : model.parameter_slices())
    if (s.name.find("body.weight") != std::string::npos && s.shape.rank() == 5) spectral += s.shape.size();
  EXPECT_EQ(spectral, 4u * 24 * 24 * 8 * 5 * 2);  // complex weights [24, 24, 8, 5] per block
}

TEST(Fno, OptionsAreCheckedWithClearErrors) {
  EXPECT_KONO_ERROR(kono::model_architecture("fno", {{"mode", 8}}), invalid_argument, "did you mean \"modes\"");
  EXPECT_KONO_ERROR(kono::model_architecture("fno", {{"modes", {8, 8, 8}}}), invalid_argument,
                    "--model.modes has 3 values for a 2D problem");
  EXPECT_KONO_ERROR(kono::model_architecture("fno", {{"modes", 0}}), invalid_argument, "must be positive");
  EXPECT_KONO_ERROR(kono::model_architecture("fon", {}), invalid_argument, "did you mean \"fno\"");
  EXPECT_KONO_ERROR(kono::model_architecture("fno", {{"hidden_channels", "wide"}}), invalid_argument,
                    "hidden_channels");
  // Too many modes for the grid is found when the model meets the data.
  auto model = kono::create_model<Space, float>("fno", {{"modes", 12}, {"hidden_channels", 4}}, 1);
  EXPECT_KONO_ERROR(model.output_shape(Shape{1, 1, 8, 8}), size_mismatch, "modes");
}

// Whole-model finite-difference check in 1D, 2D and 3D, with and without domain padding.
TEST(Fno, WholeModelGradients1D2D3D) {
  struct Case {
    int dim;
    Shape in;
    double padding;
  };
  for (Case const& c : {Case{1, Shape{2, 2, 9}, 0.25}, Case{2, Shape{2, 1, 6, 5}, 0.0}, Case{2, Shape{1, 1, 5, 6}, 0.2},
                        Case{3, Shape{1, 1, 4, 5, 4}, 0.0}}) {
    SCOPED_TRACE("dim " + std::to_string(c.dim) + " input " + c.in.to_string());
    LayerConfig const opt{{"dim", c.dim},       {"in_channels", c.in[1]}, {"out_channels", 2},
                          {"modes", 3},         {"hidden_channels", 3},  {"layers", 2},
                          {"padding", c.padding}};
    auto model = kono::create_model<Space, double>("fno", opt, 11);
    kono::test::gradcheck(model.root(), kono::test::random_tensor(c.in, 5), {1e-6, 1e-5, 1e-8, 200});
  }
}

TEST(DomainPadding, PadsLikeNeuraloperatorAndIsDifferentiable) {
  LayerConfig const body{{"type", "spectral_conv"}, {"in_channels", 2}, {"out_channels", 3}, {"modes", {3, 2}}};
  auto layer = kono::create_layer<Space, double>({{"type", "domain_padding"}, {"fraction", {0.1, 0.5}}, {"body", body}});
  auto const& pad = dynamic_cast<kono::DomainPadding<Space, double> const&>(*layer);
  // round(1.6) = 2; round(2.5) = 2 (half to even, as Python's round)
  EXPECT_EQ(pad.padded_shape(Shape{4, 2, 16, 5}), (Shape{4, 2, 18, 7}));
  EXPECT_EQ(layer->output_shape(Shape{4, 2, 16, 5}), (Shape{4, 3, 16, 5}));
  auto const bound = kono::test::bind_for_test(*layer, 3);
  kono::test::gradcheck(*layer, kono::test::random_tensor(Shape{2, 2, 6, 5}, 7));
  LayerConfig const bad{{"type", "domain_padding"}, {"fraction", 1.5}, {"body", body}};
  EXPECT_KONO_ERROR((kono::create_layer<Space, double>(bad)), invalid_argument, "must be in [0, 1]");
}

// Padding changes what the layer computes: with zeros appended the spectral layer no longer
// sees the periodic wrap-around, and the crop returns the original extents.
TEST(DomainPadding, DiffersFromTheUnpaddedLayerButKeepsTheShape) {
  LayerConfig const body{{"type", "spectral_conv"}, {"in_channels", 1}, {"out_channels", 1}, {"modes", {4}}};
  auto plain = kono::create_layer<Space, double>(body);
  auto padded = kono::create_layer<Space, double>({{"type", "domain_padding"}, {"fraction", 0.5}, {"body", body}});
  auto const bp = kono::test::bind_for_test(*plain, 3);
  auto const bq = kono::test::bind_for_test(*padded, 3);
  auto const x = kono::test::random_tensor(Shape{1, 1, 8}, 1);
  kono::Tensor<Space, double> a("a", Shape{1, 1, 8}), b("b", Shape{1, 1, 8});
  plain->forward({}, x, a);
  padded->forward({}, x, b);
  auto ah = a.to_host(), bh = b.to_host();
  double diff = 0;
  for (int i = 0; i < 8; ++i) diff = std::max(diff, std::abs(ah.data()(i) - bh.data()(i)));
  EXPECT_GT(diff, 1e-3);
}

// A model built for 16x16 runs at any resolution with n >= modes; a smooth input gives a smooth
// output that agrees across resolutions at the shared points up to the aliasing of GELU.
TEST(Fno, EvaluatesAtOtherResolutions) {
  auto model = kono::create_model<Space, double>("fno", {{"modes", 4}, {"hidden_channels", 8}, {"layers", 2}}, 3);
  auto smooth = [](kono::index_t n) {
    kono::Tensor<kono::HostSpace, double> h("x", Shape{1, 1, n, n});
    for (kono::index_t i = 0; i < n; ++i)
      for (kono::index_t j = 0; j < n; ++j)
        h.data()(i * n + j) = std::sin(2 * M_PI * double(i) / double(n)) * std::cos(2 * M_PI * double(j) / double(n));
    return h.clone_to<Space>("x");
  };
  auto const y16 = model.predict(smooth(16)).to_host();
  auto const y32 = model.predict(smooth(32)).to_host();
  auto const y20 = model.predict(smooth(20));
  EXPECT_EQ(y20.shape(), (Shape{1, 1, 20, 20}));
  double num = 0, den = 0;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      double const a = y16.data()(i * 16 + j), b = y32.data()((2 * i) * 32 + 2 * j);
      num += (a - b) * (a - b);
      den += a * a;
    }
  EXPECT_LT(std::sqrt(num / den), 0.05) << "16x16 and 32x32 predictions disagree at the shared grid points";
}

TEST(Fno, SaveLoadGivesIdenticalPredictions) {
  kono::test::TempDir dir("fno_io");
  auto model = kono::create_model<Space, float>("fno", {{"modes", 4}, {"hidden_channels", 6}, {"padding", 0.125}}, 9);
  kono::save_model(dir.file("m.h5"), model, {}, MPI_COMM_SELF);
  auto loaded = kono::load_model<Space, float>(dir.file("m.h5"), MPI_COMM_SELF);
  EXPECT_EQ(loaded.model.model_type(), "fno");
  EXPECT_EQ(loaded.model.architecture(), model.architecture());
  auto const xd = kono::test::random_tensor(Shape{3, 1, 12, 10}, 2).to_host();
  kono::Tensor<kono::HostSpace, float> xh("x", xd.shape());
  for (kono::index_t i = 0; i < xd.size(); ++i) xh.data()(i) = float(xd.data()(i));
  auto const x = xh.clone_to<Space>("x");
  auto const a = model.predict(x).to_host(), b = loaded.model.predict(x).to_host();
  for (kono::index_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()(i), b.data()(i)) << "at " << i;
}
}  // namespace
