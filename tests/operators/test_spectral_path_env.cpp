// KONO_SPECTRAL_PATH end to end: a bad value makes SpectralConv's forward throw a clear error
// (its own process, so nothing has read the variable before the test sets it).
#include <cstdlib>

#include <kono/operators/layers/spectral_conv.hpp>

#include "support/gradcheck.hpp"

namespace {
TEST(SpectralPathEnvironment, BadValueIsAClearErrorOnEveryCall) {
  ASSERT_EQ(setenv("KONO_SPECTRAL_PATH", "gpu", 1), 0);
  kono::SpectralConv<kono::test::GradSpace, double> layer(1, 1, {4});
  auto const bound = kono::test::bind_for_test(layer);
  auto const x = kono::test::random_tensor(kono::Shape{1, 1, 8}, 1);
  kono::test::GradTensor y("y", kono::Shape{1, 1, 8});
  for (int call = 0; call < 2; ++call)
    EXPECT_KONO_ERROR(layer.forward(kono::test::GradSpace::execution_space{}, x, y), invalid_argument,
                      "environment variable KONO_SPECTRAL_PATH=\"gpu\" is not allowed: use \"host\"");
}
}  // namespace
