#pragma once
/// Read-only access to an HDF5 file on an MPI communicator, with HDF5 failures turned into
/// kono::Error, plus the RAII identifier type the other HDF5 classes share.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/types.hpp>

namespace kono {

/// Owns one HDF5 identifier and closes it with the matching H5?close; move-only.
class Hdf5Handle {
 public:
  using close_function = herr_t (*)(hid_t);

  Hdf5Handle() noexcept = default;
  /// Takes ownership of `id` (a negative id stays invalid and is never closed).
  Hdf5Handle(hid_t id, close_function close) noexcept : m_id(id), m_close(close) {}
  ~Hdf5Handle() { reset(); }
  Hdf5Handle(Hdf5Handle&& other) noexcept : m_id(other.m_id), m_close(other.m_close) { other.m_id = H5I_INVALID_HID; }
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept;
  Hdf5Handle(Hdf5Handle const&) = delete;
  Hdf5Handle& operator=(Hdf5Handle const&) = delete;

  hid_t get() const noexcept { return m_id; }
  bool valid() const noexcept { return m_id >= 0; }
  /// Closes now; collective when the identifier is a file opened with MPI-IO.
  void reset() noexcept;
  /// Gives up ownership without closing (the caller closes and checks the result).
  hid_t release() noexcept {
    hid_t const id = m_id;
    m_id = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t m_id = H5I_INVALID_HID;
  close_function m_close = nullptr;
};

/// Element type of a dataset as kono sees it; anything else (strings, compounds) is `other`.
enum class Hdf5ElementType { float32, float64, int32, int64, other };
/// "float32", "float64", "int32", "int64" or "other", for messages.
char const* to_string(Hdf5ElementType type) noexcept;

/// Shape and element type of one dataset.
struct Hdf5DatasetInfo {
  Shape shape;
  Hdf5ElementType element_type = Hdf5ElementType::other;
};

/// An existing HDF5 file opened read-only with MPI-IO on `comm`. Opening and destruction are
/// collective on `comm`; every other member is local (independent) and may be called by any
/// subset of ranks. `comm` must stay valid while the file is open.
class Hdf5File {
 public:
  /// Collective open. Throws Error{file_io} (missing or unreadable), Error{corrupt_file} (not
  /// HDF5, truncated), Error{unsupported} (serial HDF5 build and more than one rank).
  Hdf5File(std::string const& path, MPI_Comm comm);

  std::string const& path() const noexcept { return m_path; }
  MPI_Comm comm() const noexcept { return m_comm; }
  hid_t id() const noexcept { return m_file.get(); }  ///< raw handle, for kono's own HDF5 code

  /// True if `object` (e.g. "/train/x") exists and is a dataset; never throws for missing groups.
  bool has_dataset(std::string const& object) const;
  /// True if `object` exists and is a group ("/" always is).
  bool has_group(std::string const& object) const;
  /// Absolute paths of all datasets, in name order ("/test/x", "/train/x", ...).
  std::vector<std::string> list_datasets() const;
  /// Shape and element type; throws Error{invalid_argument} naming the dataset, the file and
  /// the datasets that do exist.
  Hdf5DatasetInfo dataset_info(std::string const& dataset) const;

  /// Whole small dataset (coordinates, statistics) converted to T = double or std::int64_t, C order.
  /// Throws Error{invalid_argument} when missing or not numeric.
  template <class T>
  std::vector<T> read_array(std::string const& dataset) const;

  /// Names of the attributes of `object` in creation order; throws Error{invalid_argument} if missing.
  std::vector<std::string> list_attributes(std::string const& object) const;
  /// Any string or numeric attribute formatted as text ("1", "0.01", "[16, 16]"), for `kono info`.
  std::string attribute_as_text(std::string const& object, std::string const& name) const;
  /// True if `object` exists and carries attribute `name`.
  bool has_attribute(std::string const& object, std::string const& name) const;
  /// Attribute `name` of `object` ("/" for the root) as T: std::string (fixed or variable
  /// length), double, std::int64_t, or std::vector of these. Scalars need exactly one element.
  /// Throws Error{invalid_argument} (missing object or attribute, wrong class or count).
  template <class T>
  T read_attribute(std::string const& object, std::string const& name) const;

 private:
  std::string m_path;
  MPI_Comm m_comm = MPI_COMM_NULL;
  Hdf5Handle m_file;
};

namespace Impl {
/// Silences HDF5's automatic error printing for its lifetime (the previous handler is restored),
/// so failures reach users once, as kono::Error.
class Hdf5ErrorSilencer {
 public:
  Hdf5ErrorSilencer() noexcept;
  ~Hdf5ErrorSilencer();
  Hdf5ErrorSilencer(Hdf5ErrorSilencer const&) = delete;
  Hdf5ErrorSilencer& operator=(Hdf5ErrorSilencer const&) = delete;

 private:
  H5E_auto2_t m_func = nullptr;
  void* m_data = nullptr;
};

/// HDF5's current error stack as one line ("H5Fopen: unable to open file; ...: truncated
/// file ..."), or "" if empty; clears the stack.
std::string hdf5_error_stack();

/// Runs `f` on every rank of `comm`; if it throws kono::Error on any rank, every rank throws
/// the error of the lowest failing rank. Keeps ranks in step before the next collective call.
void collective_check(MPI_Comm comm, std::function<void()> const& f);

/// Opens `object` of `file` as a generic HDF5 object (group or dataset); invalid handle if absent.
Hdf5Handle open_object(hid_t file, std::string const& object);

/// Comma-separated list of the datasets in `file`, at most `limit` names, for error messages.
std::string dataset_list(Hdf5File const& file, std::size_t limit = 20);

/// Hdf5ElementType of an HDF5 datatype identifier.
Hdf5ElementType element_type_of(hid_t type);

/// Extents of a dataspace as a kono::Shape; throws Error{unsupported} above Shape::max_rank.
Shape shape_of_dataspace(hid_t space, std::string const& what);
}  // namespace Impl

}  // namespace kono
