#pragma once
/// Which contiguous range of a dataset's samples each MPI rank owns.
#include <mpi.h>

#include <kono/core/types.hpp>

namespace kono {

/// Samples [first, first + count) of a dataset.
struct SampleShard {
  index_t first = 0;
  index_t count = 0;
};

/// Balanced contiguous split of n samples over `size` ranks: the first n % size ranks get one
/// more. Not collective; throws Error{invalid_argument} for n < 0 or rank outside [0, size).
SampleShard shard_samples(index_t n, int rank, int size);

/// The share of the calling rank of `comm` (same split as above). Not collective.
SampleShard shard_samples(index_t n, MPI_Comm comm);

}  // namespace kono
