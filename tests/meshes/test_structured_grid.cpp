#include <kono/meshes/structured_grid.hpp>

#include <limits>

#include "support/kono_test.hpp"

namespace {

using kono::index_t;
using kono::StructuredGrid;

TEST(StructuredGrid, UnitBoxNonPeriodicIncludesBothEnds) {
  auto const g = StructuredGrid::unit_box({7}, {false});
  EXPECT_EQ(g.dim(), 1);
  EXPECT_EQ(g.extent(0), 7);
  EXPECT_EQ(g.num_points(), 7);
  EXPECT_FALSE(g.periodic(0));
  EXPECT_DOUBLE_EQ(g.spacing(0), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(g.length(0), 1.0);
  for (index_t i = 0; i < 7; ++i) EXPECT_DOUBLE_EQ(g.coordinate(0, i), static_cast<double>(i) / 6.0) << "node " << i;
  EXPECT_EQ(g.coordinate(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(g.coordinate(0, 6), 1.0);
}

TEST(StructuredGrid, UnitBoxPeriodicOmitsTheEndNode) {
  auto const g = StructuredGrid::unit_box({5}, {true});
  EXPECT_TRUE(g.periodic(0));
  EXPECT_DOUBLE_EQ(g.spacing(0), 0.2);
  EXPECT_DOUBLE_EQ(g.length(0), 1.0);
  for (index_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(g.coordinate(0, i), static_cast<double>(i) / 5.0) << "node " << i;
  EXPECT_LT(g.coordinate(0, 4), 1.0);
  // Halo nodes extrapolate: node -1 is the periodic image of node 4, node 5 that of node 0.
  EXPECT_DOUBLE_EQ(g.coordinate(0, -1), -0.2);
  EXPECT_DOUBLE_EQ(g.coordinate(0, 5), 1.0);
  // A single periodic node is a valid (constant) grid.
  auto const one = StructuredGrid::unit_box({1}, {true});
  EXPECT_DOUBLE_EQ(one.spacing(0), 1.0);
}

TEST(StructuredGrid, TwoDimensionalMixedPeriodicity) {
  auto const g = StructuredGrid::unit_box({9, 5}, {true, false});
  EXPECT_EQ(g.dim(), 2);
  EXPECT_EQ(g.num_points(), 45);
  EXPECT_EQ(g.shape(), (kono::Shape{9, 5}));
  EXPECT_DOUBLE_EQ(g.spacing(0), 1.0 / 9.0);
  EXPECT_DOUBLE_EQ(g.spacing(1), 0.25);
  EXPECT_DOUBLE_EQ(g.coordinate(0, 8), 8.0 / 9.0);
  EXPECT_DOUBLE_EQ(g.coordinate(1, 3), 0.75);
  EXPECT_EQ(g.to_string(), "9 x 5 nodes, spacing [0.111111, 0.25], origin [0, 0], periodic [yes, no]");
}

TEST(StructuredGrid, ThreeDimensionalWithOriginAndOddExtents) {
  StructuredGrid const g({5, 4, 3}, {0.5, 2.0, 0.25}, {-1.0, 10.0, 0.5}, {false, true, false});
  EXPECT_EQ(g.dim(), 3);
  EXPECT_EQ(g.num_points(), 60);
  EXPECT_EQ(g.shape(), (kono::Shape{5, 4, 3}));
  EXPECT_EQ(g.extent(2), 3);
  EXPECT_EQ(g.origin(1), 10.0);
  EXPECT_TRUE(g.periodic(1));
  EXPECT_FALSE(g.periodic(2));
  EXPECT_DOUBLE_EQ(g.coordinate(0, 4), 1.0);
  EXPECT_DOUBLE_EQ(g.coordinate(1, 3), 16.0);
  EXPECT_DOUBLE_EQ(g.coordinate(2, 2), 1.0);
  EXPECT_DOUBLE_EQ(g.length(0), 2.0);  // 4 intervals
  EXPECT_DOUBLE_EQ(g.length(1), 8.0);  // periodic: 4 intervals including the wrap
  EXPECT_DOUBLE_EQ(g.length(2), 0.5);
}

TEST(StructuredGrid, EqualityComparesEveryAxisProperty) {
  auto const a = StructuredGrid::unit_box({9, 5}, {true, false});
  EXPECT_EQ(a, StructuredGrid::unit_box({9, 5}, {true, false}));
  EXPECT_NE(a, StructuredGrid::unit_box({9, 5}, {false, false}));
  EXPECT_NE(a, StructuredGrid::unit_box({9, 6}, {true, false}));
  EXPECT_NE(a, StructuredGrid::unit_box({9}, {true}));
}

TEST(StructuredGrid, InvalidArgumentsNameAxisAndValue) {
  EXPECT_KONO_ERROR(StructuredGrid({}, {}, {}, {}), invalid_argument, "0 axes given");
  EXPECT_KONO_ERROR(StructuredGrid({2, 2, 2, 2}, {1, 1, 1, 1}, {0, 0, 0, 0}, {false, false, false, false}),
                    invalid_argument, "4 axes given (extents [2, 2, 2, 2]), expected 1 to 3");
  EXPECT_KONO_ERROR(StructuredGrid({4, 0}, {1, 1}, {0, 0}, {false, false}), invalid_argument,
                    "extent 0 of axis 1 must be at least 1");
  EXPECT_KONO_ERROR(StructuredGrid({4, -3}, {1, 1}, {0, 0}, {false, false}), invalid_argument, "extent -3 of axis 1");
  EXPECT_KONO_ERROR(StructuredGrid({4, 4}, {1, 0}, {0, 0}, {false, false}), invalid_argument,
                    "spacing 0 of axis 1 must be positive");
  EXPECT_KONO_ERROR(StructuredGrid({4}, {-0.5}, {0}, {false}), invalid_argument, "spacing -0.5 of axis 0");
  EXPECT_KONO_ERROR(StructuredGrid({4}, {std::numeric_limits<double>::infinity()}, {0}, {false}), invalid_argument,
                    "spacing inf of axis 0");
  EXPECT_KONO_ERROR(StructuredGrid({4}, {1.0}, {std::numeric_limits<double>::quiet_NaN()}, {false}), invalid_argument,
                    "origin nan of axis 0 is not finite");
  EXPECT_KONO_ERROR(StructuredGrid({4, 4}, {1}, {0, 0}, {false, false}), invalid_argument,
                    "name 2 axes, but spacing has 1, origin 2 and periodic 2 entries");
  EXPECT_KONO_ERROR(StructuredGrid::unit_box({4, 4}, {false}), invalid_argument, "periodic has 1 entries");
  EXPECT_KONO_ERROR(StructuredGrid::unit_box({4, 1}, {false, false}), invalid_argument,
                    "non-periodic axis 1 needs at least 2 nodes");
  EXPECT_KONO_ERROR(StructuredGrid::unit_box({0}, {true}), invalid_argument, "extent 0 of axis 0");
}

TEST(StructuredGrid, AxisOutOfRange) {
  auto const g = StructuredGrid::unit_box({3, 3}, {false, false});
  EXPECT_KONO_ERROR((void)g.extent(2), invalid_argument,
                    "kono::StructuredGrid::extent: axis 2 out of range for a 2D grid");
  EXPECT_KONO_ERROR((void)g.coordinate(-1, 0), invalid_argument, "coordinate: axis -1");
  EXPECT_KONO_ERROR((void)g.spacing(3), invalid_argument, "spacing: axis 3");
  EXPECT_KONO_ERROR((void)StructuredGrid().extent(0), invalid_argument, "for a 0D grid");
  EXPECT_EQ(StructuredGrid().num_points(), 0);
}

}  // namespace
