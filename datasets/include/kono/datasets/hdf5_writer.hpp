#pragma once
/// Collective, atomic creation of kono HDF5 files (samples, arrays, attributes): everything goes
/// to a temporary file that commit() renames over the target, so a failure never leaves a
/// half-written file or truncates an existing one.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <kono/core/shape.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>

namespace kono {

/// Version of the layout described in docs/file_formats.md, stored as root attribute "format_version".
inline constexpr char const* hdf5_format_version = "1";

/// Writes one HDF5 file with MPI-IO on `comm`. Every member is collective (all ranks call it
/// with the same dataset names, shapes and attribute values). `comm` must outlive the writer.
class Hdf5Writer {
 public:
  /// Creates "<dir>/.<name>.<pid>_<random>.tmp" next to `path` and writes the root attributes
  /// format_version and kono_version. Throws Error{file_io} naming `path` if it cannot be created.
  Hdf5Writer(std::string const& path, MPI_Comm comm);
  /// Without commit(): closes and deletes the temporary file; an existing `path` stays untouched.
  ~Hdf5Writer();
  Hdf5Writer(Hdf5Writer const&) = delete;
  Hdf5Writer& operator=(Hdf5Writer const&) = delete;

  std::string const& path() const noexcept { return m_path; }
  std::string const& temporary_path() const noexcept { return m_tmp_path; }
  MPI_Comm comm() const noexcept { return m_comm; }
  bool committed() const noexcept { return m_committed; }

  /// Creates dataset `dataset` of `global_shape` [N, ...] (missing groups are created) and writes
  /// this rank's samples `local` [count, ...] at [first_sample, first_sample + count) in one
  /// collective transfer. `local`'s per-sample shape must equal global_shape.tail(1), or be it with
  /// a leading 1 (a [count, 1, s...] tensor into a [N, s...] dataset). Stored as `dtype`; samples
  /// no rank writes read as 0. Throws Error{invalid_argument} (range, dtype, existing name) or
  /// Error{size_mismatch}.
  template <class MemorySpace, class Scalar>
  void write_samples(std::string const& dataset, Shape const& global_shape, Tensor<MemorySpace, Scalar> const& local,
                     index_t first_sample, Hdf5ElementType dtype);
  /// As above, stored as float32 for float tensors and float64 for double tensors.
  template <class MemorySpace, class Scalar>
  void write_samples(std::string const& dataset, Shape const& global_shape, Tensor<MemorySpace, Scalar> const& local,
                     index_t first_sample) {
    write_samples(dataset, global_shape, local, first_sample,
                  std::is_same<Scalar, float>::value ? Hdf5ElementType::float32 : Hdf5ElementType::float64);
  }

  /// Integer rows (ragged data such as mesh cells concatenated over samples): creates `dataset` of
  /// `global_shape` [R, ...] and writes this rank's rows `local` (C order, a multiple of
  /// global_shape.tail(1).size() values) at [first_row, first_row + rows) in one collective
  /// transfer. dtype int32 or int64 (values must fit). Throws Error{invalid_argument} (range,
  /// dtype, existing name, int32 overflow) or Error{size_mismatch}.
  void write_rows(std::string const& dataset, Shape const& global_shape, std::vector<std::int64_t> const& local,
                  index_t first_row, Hdf5ElementType dtype = Hdf5ElementType::int64);

  /// Small array (coordinates, statistics) of `shape` from rank 0's `values` (C order); other
  /// ranks' values are ignored but must have the same size. dtype: float32/float64 for doubles,
  /// int32/int64 for integers. Throws Error{size_mismatch} or Error{invalid_argument}.
  void write_array(std::string const& dataset, Shape const& shape, std::vector<double> const& values,
                   Hdf5ElementType dtype = Hdf5ElementType::float64);
  void write_array(std::string const& dataset, Shape const& shape, std::vector<std::int64_t> const& values,
                   Hdf5ElementType dtype = Hdf5ElementType::int64);

  /// Creates group `group` and any missing parents; no-op if it exists.
  void create_group(std::string const& group);

  /// Attribute `name` on the existing group or dataset `object` ("/" is the root), replacing
  /// any attribute of that name. Strings are variable-length UTF-8 (h5py reads them as str).
  /// Throws Error{invalid_argument} for a missing object.
  void write_attribute(std::string const& object, std::string const& name, std::string const& value);
  void write_attribute(std::string const& object, std::string const& name, char const* value);
  void write_attribute(std::string const& object, std::string const& name, double value);
  void write_attribute(std::string const& object, std::string const& name, std::int64_t value);
  void write_attribute(std::string const& object, std::string const& name, std::vector<std::string> const& value);
  void write_attribute(std::string const& object, std::string const& name, std::vector<double> const& value);
  void write_attribute(std::string const& object, std::string const& name, std::vector<std::int64_t> const& value);

  /// Closes the temporary file, then (rank 0) fsyncs it and renames it to path() atomically.
  /// Afterwards every write throws Error{wrong_state}. Throws Error{file_io} if the rename fails.
  void commit();

 private:
  void require_open(char const* caller) const;
  void discard() noexcept;
  void write_raw_attribute(std::string const& object, std::string const& name, hid_t mem_type, hid_t file_type,
                           std::vector<hsize_t> const& dims, void const* data);
  void write_small(std::string const& dataset, Shape const& shape, hid_t mem_type, Hdf5ElementType dtype,
                   std::size_t n_values, void const* data, bool floating);
  hid_t create_dataset(char const* caller, std::string const& dataset, Shape const& shape, Hdf5ElementType dtype);

  std::string m_path;
  std::string m_tmp_path;
  MPI_Comm m_comm = MPI_COMM_NULL;
  int m_rank = 0;
  Hdf5Handle m_file;
  bool m_committed = false;
};

}  // namespace kono
