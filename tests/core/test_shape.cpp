#include <kono/core/shape.hpp>

#include "support/kono_test.hpp"

namespace {

TEST(Shape, SizeRankAndText) {
  kono::Shape s{64, 1, 16, 16};
  EXPECT_EQ(s.rank(), 4);
  EXPECT_EQ(s.size(), 64 * 16 * 16);
  EXPECT_EQ(s.to_string(), "[64, 1, 16, 16]");
  EXPECT_EQ(s.tail(2), (kono::Shape{16, 16}));
  EXPECT_EQ(s.with_extent(0, 3), (kono::Shape{3, 1, 16, 16}));
  EXPECT_NE(s, (kono::Shape{64, 16, 16}));
}

TEST(Shape, ZeroAndRankZero) {
  EXPECT_EQ(kono::Shape{}.size(), 1);
  EXPECT_EQ(kono::Shape{}.rank(), 0);
  EXPECT_EQ((kono::Shape{0, 3}).size(), 0);
}

TEST(Shape, RejectsBadExtents) {
  EXPECT_KONO_ERROR((kono::Shape{4, -1}), invalid_argument, "extent -1 of axis 1");
  EXPECT_KONO_ERROR((kono::Shape{1, 1, 1, 1, 1, 1, 1}), invalid_argument, "more than 6 axes");
  EXPECT_KONO_ERROR((kono::Shape{2, 3}[2]), invalid_argument, "axis 2 out of range for shape [2, 3]");
}

}  // namespace
