// kono train sets model.reference_resolution from the data only for model families that declare
// that option, and refuses a user value that does not match, naming the option.
#include "../../apps/kono/workflow.hpp"
#include "support/kono_test.hpp"

#include <kono/operators/model_registry.hpp>

namespace {
using kono::LayerConfig;

void register_family_with_reference() {
  kono::register_builtin_models();
  kono::register_model(
      "test_reference_family", [](LayerConfig const&) { return LayerConfig{{"type", "linear"}, {"in_channels", 1}, {"out_channels", 1}}; },
      {{"in_channels", 1, "in"}, {"reference_resolution", nullptr, "training grid (set by kono train)"}}, "test family");
}

TEST(ReferenceResolution, SetOnlyForFamiliesThatDeclareIt) {
  register_family_with_reference();
  LayerConfig fno = LayerConfig::object();
  kono::app::set_reference_resolution(fno, "fno", {32, 32}, "the data");
  EXPECT_FALSE(fno.contains("reference_resolution")) << fno.dump();
  LayerConfig mine = LayerConfig::object();
  kono::app::set_reference_resolution(mine, "test_reference_family", {32, 16}, "the data");
  EXPECT_EQ(mine.at("reference_resolution"), LayerConfig({32, 16}));
}

TEST(ReferenceResolution, UserValueMustMatch) {
  register_family_with_reference();
  LayerConfig same{{"reference_resolution", {32, 32}}}, one{{"reference_resolution", 32}};
  kono::app::set_reference_resolution(same, "test_reference_family", {32, 32}, "the data");
  kono::app::set_reference_resolution(one, "test_reference_family", {32, 32}, "the data");  // one value: every axis
  EXPECT_EQ(same.at("reference_resolution"), LayerConfig({32, 32}));
  EXPECT_EQ(one.at("reference_resolution"), LayerConfig({32, 32}));
  LayerConfig other{{"reference_resolution", {64, 64}}};
  EXPECT_KONO_ERROR(kono::app::set_reference_resolution(other, "test_reference_family", {32, 32},
                                                        "the first grid of --data.resolutions=32,16"),
                    size_mismatch,
                    "--model.reference_resolution=[64,64] does not match the first grid of --data.resolutions=32,16 [32,32]");
  EXPECT_KONO_ERROR(kono::app::set_reference_resolution(other, "fon", {32, 32}, "x"), invalid_argument,
                    "unknown model type \"fon\"");
}
}  // namespace
