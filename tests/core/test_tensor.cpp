#include <kono/core/tensor.hpp>

#include "support/kono_test.hpp"

namespace {

using Space = kono::DefaultMemorySpace;
using Exec = kono::DefaultExecutionSpace;

template <class Scalar>
class TensorTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(TensorTyped, Scalars);

TYPED_TEST(TensorTyped, RankNViewIsRowMajorOverFlatStorage) {
  using Scalar = TypeParam;
  kono::Tensor<Space, Scalar> t("kono::test::t", kono::Shape{2, 3, 5, 7});
  auto v = t.template view<4>();
  static_assert(std::is_same<typename decltype(v)::array_layout, Kokkos::LayoutRight>::value, "LayoutRight");
  Kokkos::parallel_for(
      "fill", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<4>>({0, 0, 0, 0}, {2, 3, 5, 7}),
      KOKKOS_LAMBDA(int n, int c, int i, int j) { v(n, c, i, j) = Scalar(((n * 3 + c) * 5 + i) * 7 + j); });
  auto h = t.to_host();
  for (kono::index_t k = 0; k < t.size(); ++k) ASSERT_EQ(h.data()(k), Scalar(k)) << "flat index " << k;
  EXPECT_EQ(t.label(), "kono::test::t");
}

TYPED_TEST(TensorTyped, ZeroSizedAndOddSizes) {
  kono::Tensor<Space, TypeParam> empty("empty", kono::Shape{0, 1, 13});
  EXPECT_EQ(empty.size(), 0);
  EXPECT_EQ(empty.to_host().size(), 0);
  kono::Tensor<Space, TypeParam> odd("odd", kono::Shape{1, 1, 13});
  odd.fill(TypeParam(2.5));
  auto h = odd.to_host();
  for (int i = 0; i < 13; ++i) EXPECT_EQ(h.data()(i), TypeParam(2.5));
}

TEST(Tensor, ReshapeAndSliceShareStorage) {
  kono::Tensor<Space, double> t("t", kono::Shape{4, 1, 3});
  auto flat = t.reshape(kono::Shape{12});
  auto s = t.slice_batch(2, 2);
  EXPECT_EQ(s.shape(), (kono::Shape{2, 1, 3}));
  s.fill(7.0);
  auto h = flat.to_host();
  for (int i = 0; i < 12; ++i) EXPECT_EQ(h.data()(i), i >= 6 ? 7.0 : 0.0) << i;
}

TEST(Tensor, CopiesAreDeepWhenAsked) {
  kono::Tensor<Space, float> a("a", kono::Shape{2, 2});
  a.fill(1.0f);
  auto b = a.clone_to<kono::HostSpace>("b");
  a.fill(3.0f);
  EXPECT_EQ(b.data()(3), 1.0f);
  b.fill(5.0f);
  a.copy_from(b);
  EXPECT_EQ(a.to_host().data()(0), 5.0f);
}

TEST(Tensor, MisuseNamesTheTensorAndShapes) {
  kono::Tensor<Space, double> t("kono::test::x", kono::Shape{2, 1, 4});
  EXPECT_KONO_ERROR((void)t.view<2>(), size_mismatch, "\"kono::test::x\" has shape [2, 1, 4] (rank 3)");
  EXPECT_KONO_ERROR(t.reshape(kono::Shape{3, 3}), size_mismatch, "as [3, 3]");
  EXPECT_KONO_ERROR(t.slice_batch(1, 2), invalid_argument, "samples [1, 3) out of range");
  kono::Tensor<Space, double> other("kono::test::y", kono::Shape{8});
  EXPECT_KONO_ERROR(t.copy_from(other), size_mismatch, "source \"kono::test::y\" has [8]");
  Kokkos::View<double*, Kokkos::LayoutRight, Space> raw("raw", 5);
  EXPECT_KONO_ERROR((kono::Tensor<Space, double>(raw, kono::Shape{2, 3})), size_mismatch, "holds 5 values");
}

}  // namespace
