// kono::shard_samples: balanced contiguous split, first n % p ranks one larger.
#include <kono/datasets/sample_shard.hpp>

#include "support/kono_test.hpp"

namespace {

TEST(SampleShard, BalancedContiguousSplit) {
  struct Expect {
    kono::index_t first, count;
  };
  std::vector<Expect> const ten_over_three = {{0, 4}, {4, 3}, {7, 3}};
  for (int r = 0; r < 3; ++r) {
    auto const s = kono::shard_samples(10, r, 3);
    EXPECT_EQ(s.first, ten_over_three[static_cast<std::size_t>(r)].first) << r;
    EXPECT_EQ(s.count, ten_over_three[static_cast<std::size_t>(r)].count) << r;
  }
  // Fewer samples than ranks, and none at all.
  EXPECT_EQ(kono::shard_samples(2, 2, 3).count, 0);
  EXPECT_EQ(kono::shard_samples(2, 2, 3).first, 2);
  EXPECT_EQ(kono::shard_samples(0, 0, 1).count, 0);
  // Every split covers [0, n) exactly once.
  for (kono::index_t n : {0, 1, 7, 1000, 1001})
    for (int p : {1, 2, 3, 8}) {
      kono::index_t next = 0;
      for (int r = 0; r < p; ++r) {
        auto const s = kono::shard_samples(n, r, p);
        EXPECT_EQ(s.first, next) << n << " " << r << "/" << p;
        next += s.count;
      }
      EXPECT_EQ(next, n);
    }
  auto const self = kono::shard_samples(5, MPI_COMM_SELF);
  EXPECT_EQ(self.first, 0);
  EXPECT_EQ(self.count, 5);
}

TEST(SampleShard, BadArguments) {
  EXPECT_KONO_ERROR(kono::shard_samples(-1, 0, 1), invalid_argument, "-1 is negative");
  EXPECT_KONO_ERROR(kono::shard_samples(4, 2, 2), invalid_argument, "rank 2 out of range for 2 ranks");
}

}  // namespace
