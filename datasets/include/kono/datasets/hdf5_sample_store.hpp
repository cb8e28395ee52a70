#pragma once
/// Samples of operator-learning datasets ([N, spatial...] or [N, C, spatial...]) read from an
/// HDF5 file into kono::Tensor [count, C, spatial...], whole or sharded over MPI ranks.
#include <mpi.h>

#include <string>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/sample_shard.hpp>

namespace kono {

/// How a dataset's axes map to [sample, channel, spatial...]. Without a channel axis a dataset
/// [N, s1..sd] is one channel and reads as [count, 1, s1..sd]; with it, [N, C, s1..sd] as stored.
/// 1 <= d <= 3 spatial axes in both cases.
struct SampleLayout {
  bool has_channel_axis = false;
};

/// Read access to the sample datasets of one HDF5 file on `comm`. Construction and destruction
/// are collective; read() is independent, read_shard() collective.
class Hdf5SampleStore {
 public:
  /// Collective open; throws as Hdf5File (file_io, corrupt_file, unsupported), and
  /// Error{unsupported} for a kono file whose root format_version is not hdf5_format_version.
  Hdf5SampleStore(std::string const& path, MPI_Comm comm);

  Hdf5File const& file() const noexcept { return m_file; }
  std::string const& path() const noexcept { return m_file.path(); }
  MPI_Comm comm() const noexcept { return m_file.comm(); }

  /// Extent N of axis 0. Not collective; throws Error{invalid_argument} for a missing dataset.
  index_t num_samples(std::string const& dataset) const;
  /// Shape [C, spatial...] of one sample under `layout`. Not collective; throws
  /// Error{invalid_argument} (missing dataset, non-numeric) or Error{size_mismatch} (wrong rank).
  Shape sample_shape(std::string const& dataset, SampleLayout layout = {}) const;

  /// Samples [first, first+count) as a LayoutRight Tensor [count, C, spatial...] in MemorySpace;
  /// values are converted by HDF5 to Scalar. Independent (not collective). Throws
  /// Error{invalid_argument} (range, missing dataset), Error{size_mismatch}, Error{non_finite}
  /// (names the global index of the first bad sample), Error{corrupt_file}.
  template <class MemorySpace = DefaultMemorySpace, class Scalar = real>
  Tensor<MemorySpace, Scalar> read(std::string const& dataset, index_t first, index_t count,
                                   SampleLayout layout = {}) const;

  /// This rank's share shard_samples(N, comm()) of the samples, read with one collective
  /// transfer. Collective; throws as read(), identically on every rank.
  template <class MemorySpace = DefaultMemorySpace, class Scalar = real>
  Tensor<MemorySpace, Scalar> read_shard(std::string const& dataset, SampleLayout layout = {}) const;

 private:
  template <class MemorySpace, class Scalar>
  Tensor<MemorySpace, Scalar> read_range(char const* caller, std::string const& dataset, index_t first,
                                         index_t count, SampleLayout layout, bool collective) const;

  Hdf5File m_file;
};

}  // namespace kono
