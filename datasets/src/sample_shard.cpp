#include <kono/datasets/sample_shard.hpp>

#include <algorithm>

#include <kono/core/error.hpp>

namespace kono {

SampleShard shard_samples(index_t n, int rank, int size) {
  KONO_USER_REQUIRE(n >= 0, invalid_argument, "kono::shard_samples: number of samples " << n << " is negative");
  KONO_USER_REQUIRE(size > 0 && rank >= 0 && rank < size, invalid_argument,
                    "kono::shard_samples: rank " << rank << " out of range for " << size << " ranks");
  index_t const base = n / size;
  index_t const extra = n % size;
  return {rank * base + std::min<index_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}

SampleShard shard_samples(index_t n, MPI_Comm comm) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  return shard_samples(n, rank, size);
}

}  // namespace kono
