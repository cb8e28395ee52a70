#include <kono/datasets/hdf5_writer.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

#include <kono/core/config.hpp>
#include <kono/core/profiling_region.hpp>

namespace kono {

namespace {

// Collective HDF5 creation calls need identical arguments on every rank: compare with rank 0's.
bool same_as_rank0(MPI_Comm comm, std::string const& key) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size == 1) return true;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int n = static_cast<int>(key.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, comm);
  std::string root = rank == 0 ? key : std::string(static_cast<std::size_t>(n), '\0');
  if (n > 0) MPI_Bcast(&root[0], n, MPI_CHAR, 0, comm);
  return root == key;
}

std::string broadcast_string(MPI_Comm comm, std::string s) {
  int n = static_cast<int>(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, comm);
  s.resize(static_cast<std::size_t>(n));
  if (n > 0) MPI_Bcast(&s[0], n, MPI_CHAR, 0, comm);
  return s;
}

hid_t file_type_of(Hdf5ElementType dtype) {
  switch (dtype) {
    case Hdf5ElementType::float32: return H5T_IEEE_F32LE;
    case Hdf5ElementType::float64: return H5T_IEEE_F64LE;
    case Hdf5ElementType::int32: return H5T_STD_I32LE;
    case Hdf5ElementType::int64: return H5T_STD_I64LE;
    case Hdf5ElementType::other: break;
  }
  return H5I_INVALID_HID;
}

template <class Scalar>
hid_t native_type() {
  return std::is_same<Scalar, float>::value ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
}

Hdf5Handle dataspace_of(std::vector<hsize_t> const& dims) {
  if (dims.empty()) return Hdf5Handle(H5Screate(H5S_SCALAR), H5Sclose);
  return Hdf5Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

std::vector<hsize_t> dims_of(Shape const& shape) {
  std::vector<hsize_t> dims;
  for (index_t e : shape.to_vector()) dims.push_back(static_cast<hsize_t>(e));
  return dims;
}

Hdf5Handle variable_string_type() {
  Hdf5Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

// Attribute values compared across ranks byte for byte.
template <class T>
std::string bytes_of(std::vector<T> const& v) {
  return std::string(reinterpret_cast<char const*>(v.data()), v.size() * sizeof(T));
}
}  // namespace

Hdf5Writer::Hdf5Writer(std::string const& path, MPI_Comm comm) : m_path(path), m_comm(comm) {
  ProfilingRegion region("kono::Hdf5Writer::create");
  Impl::Hdf5ErrorSilencer quiet;
  int size = 1;
  MPI_Comm_rank(comm, &m_rank);
  MPI_Comm_size(comm, &size);
#ifndef H5_HAVE_PARALLEL
  KONO_USER_REQUIRE(size == 1, unsupported,
                    "kono::Hdf5Writer: cannot write \"" << path << "\" on " << size
                                                        << " ranks: this kono was built against a serial HDF5; "
                                                           "install parallel HDF5 (libhdf5-openmpi-dev) and rebuild");
#endif
  std::string tmp;
  Impl::collective_check(comm, [&] {
    if (m_rank != 0) return;
    namespace fs = std::filesystem;
    fs::path const target(path);
    KONO_USER_REQUIRE(!path.empty() && target.has_filename(), invalid_argument,
                      "kono::Hdf5Writer: \"" << path << "\" does not name a file");
    fs::path const dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    KONO_USER_REQUIRE(fs::is_directory(dir, ec), file_io,
                      "kono::Hdf5Writer: cannot create \"" << path << "\": directory \"" << dir.string()
                                                          << "\" does not exist or is not a directory");
    KONO_USER_REQUIRE(!fs::is_directory(target, ec), file_io,
                      "kono::Hdf5Writer: cannot create \"" << path << "\": it is a directory");
    // Same directory as the target, so the final rename stays on one filesystem and is atomic.
    std::random_device rd;
    std::ostringstream name;
    name << "." << target.filename().string() << "." << std::hex << ::getpid() << "_" << rd() << ".tmp";
    tmp = (dir / name.str()).string();
  });
  m_tmp_path = broadcast_string(comm, tmp);

  Hdf5Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
#ifdef H5_HAVE_PARALLEL
  H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL);
#endif
  hid_t const id = H5Fcreate(m_tmp_path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get());
  std::string const why = id < 0 ? Impl::hdf5_error_stack() : std::string();
  int const saved_errno = errno;
  m_file = Hdf5Handle(id, H5Fclose);
  Impl::collective_check(comm, [&] {
    KONO_USER_REQUIRE(m_file.valid(), file_io,
                      "kono::Hdf5Writer: cannot create \"" << path << "\" (temporary file \"" << m_tmp_path
                                                          << "\"): " << std::strerror(saved_errno)
                                                          << "; HDF5 says: " << why);
  });
  try {
    write_attribute("/", "format_version", hdf5_format_version);
    write_attribute("/", "kono_version", KONO_VERSION_STRING);
  } catch (...) {
    discard();
    throw;
  }
}

Hdf5Writer::~Hdf5Writer() {
  if (!m_committed) discard();
}

void Hdf5Writer::discard() noexcept {
  m_file.reset();
  if (m_rank == 0 && !m_tmp_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(m_tmp_path, ec);
  }
}

void Hdf5Writer::require_open(char const* caller) const {
  KONO_USER_REQUIRE(!m_committed && m_file.valid(), wrong_state,
                    "kono::Hdf5Writer::" << caller << ": \"" << m_path << "\" was already committed");
}

hid_t Hdf5Writer::create_dataset(char const* caller, std::string const& dataset, Shape const& shape,
                                 Hdf5ElementType dtype) {
  std::ostringstream key;
  key << dataset << '|' << shape.to_string() << '|' << to_string(dtype);
  bool const agreed = same_as_rank0(m_comm, key.str());
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::" << caller << ": ranks disagree on dataset name, shape or type (this rank: \""
                                           << dataset << "\" " << shape.to_string() << " " << to_string(dtype)
                                           << "); the call is collective");
    KONO_USER_REQUIRE(!Impl::open_object(m_file.get(), dataset).valid(), invalid_argument,
                      "kono::Hdf5Writer::" << caller << ": \"" << dataset << "\" already exists in \"" << m_path
                                           << "\"");
  });
  Hdf5Handle const lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Hdf5Handle const space = dataspace_of(dims_of(shape));
  hid_t const id = H5Dcreate2(m_file.get(), dataset.c_str(), file_type_of(dtype), space.get(), lcpl.get(),
                              H5P_DEFAULT, H5P_DEFAULT);
  std::string const why = id < 0 ? Impl::hdf5_error_stack() : std::string();
  Hdf5Handle owned(id, H5Dclose);
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(id >= 0, file_io,
                      "kono::Hdf5Writer::" << caller << ": cannot create dataset \"" << dataset << "\" in \""
                                           << m_path << "\": " << why);
  });
  return owned.release();
}

template <class MemorySpace, class Scalar>
void Hdf5Writer::write_samples(std::string const& dataset, Shape const& global_shape,
                               Tensor<MemorySpace, Scalar> const& local, index_t first_sample, Hdf5ElementType dtype) {
  ProfilingRegion region("kono::Hdf5Writer::write_samples");
  Impl::Hdf5ErrorSilencer quiet;
  char const* const fq = "kono::Hdf5Writer::write_samples";
  index_t const count = local.rank() >= 1 ? local.extent(0) : 0;
  Impl::collective_check(m_comm, [&] {
    require_open("write_samples");
    KONO_USER_REQUIRE(dtype == Hdf5ElementType::float32 || dtype == Hdf5ElementType::float64, invalid_argument,
                      fq << ": dataset \"" << dataset << "\": samples are stored as float32 or float64, not "
                         << to_string(dtype));
    KONO_USER_REQUIRE(global_shape.rank() >= 1 && local.rank() >= 1, size_mismatch,
                      fq << ": dataset \"" << dataset << "\" needs a sample axis: global shape "
                         << global_shape.to_string() << ", local tensor \"" << local.label() << "\" "
                         << local.shape().to_string());
    Shape const want = global_shape.tail(1);
    Shape const have = local.shape().tail(1);
    bool const channel_squeezed = have.rank() == want.rank() + 1 && have[0] == 1 && have.tail(1) == want;
    KONO_USER_REQUIRE(have == want || channel_squeezed, size_mismatch,
                      fq << ": local tensor \"" << local.label() << "\" has shape " << local.shape().to_string()
                         << ", dataset \"" << dataset << "\" of shape " << global_shape.to_string()
                         << " needs [count, " << want.to_string().substr(1));
    KONO_USER_REQUIRE(first_sample >= 0 && first_sample <= global_shape[0] && count <= global_shape[0] - first_sample,
                      invalid_argument,
                      fq << ": samples [" << first_sample << ", " << first_sample + count << ") out of range for dataset \""
                         << dataset << "\" with " << global_shape[0] << " samples");
  });
  Hdf5Handle const d(create_dataset("write_samples", dataset, global_shape, dtype), H5Dclose);

  auto const host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, local.data());
  int const rank = global_shape.rank();
  std::vector<hsize_t> start(static_cast<std::size_t>(rank), 0);
  std::vector<hsize_t> block = dims_of(global_shape);
  start[0] = static_cast<hsize_t>(first_sample);
  block[0] = static_cast<hsize_t>(count);
  hsize_t const total = static_cast<hsize_t>(local.size());
  hsize_t const mem_extent = total > 0 ? total : 1;
  Hdf5Handle const file_space(H5Dget_space(d.get()), H5Sclose);
  Hdf5Handle const mem_space(H5Screate_simple(1, &mem_extent, nullptr), H5Sclose);
  if (total > 0) {
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr);
  } else {
    // A rank without samples still joins the collective transfer, with empty selections.
    H5Sselect_none(file_space.get());
    H5Sselect_none(mem_space.get());
  }
  Hdf5Handle const xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
#ifdef H5_HAVE_PARALLEL
  H5Pset_dxpl_mpio(xfer.get(), H5FD_MPIO_COLLECTIVE);
#endif
  Scalar dummy{};
  herr_t rc = 0;
  // A dataset with no elements has no storage; HDF5 rejects even an empty collective transfer.
  if (global_shape.size() > 0)
    rc = H5Dwrite(d.get(), native_type<Scalar>(), mem_space.get(), file_space.get(), xfer.get(),
                  total > 0 ? static_cast<void const*>(host.data()) : static_cast<void const*>(&dummy));
  std::string const why = rc < 0 ? Impl::hdf5_error_stack() : std::string();
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(rc >= 0, file_io,
                      fq << ": writing samples [" << first_sample << ", " << first_sample + count << ") of \""
                         << dataset << "\" to \"" << m_path << "\" failed: " << why);
  });
}

void Hdf5Writer::write_rows(std::string const& dataset, Shape const& global_shape,
                            std::vector<std::int64_t> const& local, index_t first_row, Hdf5ElementType dtype) {
  ProfilingRegion region("kono::Hdf5Writer::write_rows");
  Impl::Hdf5ErrorSilencer quiet;
  char const* const fq = "kono::Hdf5Writer::write_rows";
  index_t const row = global_shape.rank() >= 1 ? global_shape.tail(1).size() : 0;
  index_t const count = row > 0 ? index_t(local.size()) / row : 0;
  Impl::collective_check(m_comm, [&] {
    require_open("write_rows");
    KONO_USER_REQUIRE(dtype == Hdf5ElementType::int32 || dtype == Hdf5ElementType::int64, invalid_argument,
                      fq << ": dataset \"" << dataset << "\": integer rows are stored as int32 or int64, not "
                         << to_string(dtype));
    KONO_USER_REQUIRE(global_shape.rank() >= 1 && row > 0 && index_t(local.size()) == count * row, size_mismatch,
                      fq << ": dataset \"" << dataset << "\" of shape " << global_shape.to_string() << ": "
                         << local.size() << " local values are not whole rows");
    KONO_USER_REQUIRE(first_row >= 0 && first_row <= global_shape[0] && count <= global_shape[0] - first_row,
                      invalid_argument,
                      fq << ": rows [" << first_row << ", " << first_row + count << ") out of range for dataset \""
                         << dataset << "\" with " << global_shape[0] << " rows");
    if (dtype == Hdf5ElementType::int32)
      for (std::int64_t v : local)
        KONO_USER_REQUIRE(v >= INT32_MIN && v <= INT32_MAX, invalid_argument,
                          fq << ": dataset \"" << dataset << "\": value " << v << " does not fit int32");
  });
  Hdf5Handle const d(create_dataset("write_rows", dataset, global_shape, dtype), H5Dclose);
  std::vector<hsize_t> start(static_cast<std::size_t>(global_shape.rank()), 0);
  std::vector<hsize_t> block = dims_of(global_shape);
  start[0] = static_cast<hsize_t>(first_row);
  block[0] = static_cast<hsize_t>(count);
  hsize_t const total = static_cast<hsize_t>(local.size());
  hsize_t const mem_extent = total > 0 ? total : 1;
  Hdf5Handle const file_space(H5Dget_space(d.get()), H5Sclose);
  Hdf5Handle const mem_space(H5Screate_simple(1, &mem_extent, nullptr), H5Sclose);
  if (total > 0) {
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr);
  } else {
    H5Sselect_none(file_space.get());
    H5Sselect_none(mem_space.get());
  }
  Hdf5Handle const xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
#ifdef H5_HAVE_PARALLEL
  H5Pset_dxpl_mpio(xfer.get(), H5FD_MPIO_COLLECTIVE);
#endif
  std::int64_t dummy = 0;
  herr_t rc = 0;
  if (global_shape.size() > 0)
    rc = H5Dwrite(d.get(), H5T_NATIVE_INT64, mem_space.get(), file_space.get(), xfer.get(),
                  total > 0 ? static_cast<void const*>(local.data()) : static_cast<void const*>(&dummy));
  std::string const why = rc < 0 ? Impl::hdf5_error_stack() : std::string();
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(rc >= 0, file_io,
                      fq << ": writing rows [" << first_row << ", " << first_row + count << ") of \"" << dataset
                         << "\" to \"" << m_path << "\" failed: " << why);
  });
}

void Hdf5Writer::write_small(std::string const& dataset, Shape const& shape, hid_t mem_type, Hdf5ElementType dtype,
                             std::size_t n_values, void const* data, bool floating) {
  ProfilingRegion region("kono::Hdf5Writer::write_array");
  Impl::Hdf5ErrorSilencer quiet;
  char const* const fq = "kono::Hdf5Writer::write_array";
  Impl::collective_check(m_comm, [&] {
    require_open("write_array");
    bool const float_type = dtype == Hdf5ElementType::float32 || dtype == Hdf5ElementType::float64;
    bool const int_type = dtype == Hdf5ElementType::int32 || dtype == Hdf5ElementType::int64;
    KONO_USER_REQUIRE(floating ? float_type : int_type, invalid_argument,
                      fq << ": dataset \"" << dataset << "\": " << (floating ? "floating-point" : "integer")
                         << " values cannot be stored as " << to_string(dtype));
    KONO_USER_REQUIRE(static_cast<index_t>(n_values) == shape.size(), size_mismatch,
                      fq << ": dataset \"" << dataset << "\" of shape " << shape.to_string() << " needs "
                         << shape.size() << " values, got " << n_values);
  });
  Hdf5Handle const d(create_dataset("write_array", dataset, shape, dtype), H5Dclose);
  herr_t rc = 0;
  // Independent write from rank 0 alone: the arrays are tiny and identical on every rank.
  if (m_rank == 0 && n_values > 0) rc = H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  std::string const why = rc < 0 ? Impl::hdf5_error_stack() : std::string();
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(rc >= 0, file_io,
                      fq << ": writing \"" << dataset << "\" to \"" << m_path << "\" failed: " << why);
  });
}

void Hdf5Writer::write_array(std::string const& dataset, Shape const& shape, std::vector<double> const& values,
                             Hdf5ElementType dtype) {
  write_small(dataset, shape, H5T_NATIVE_DOUBLE, dtype, values.size(), values.data(), true);
}

void Hdf5Writer::write_array(std::string const& dataset, Shape const& shape, std::vector<std::int64_t> const& values,
                             Hdf5ElementType dtype) {
  write_small(dataset, shape, H5T_NATIVE_INT64, dtype, values.size(), values.data(), false);
}

void Hdf5Writer::create_group(std::string const& group) {
  ProfilingRegion region("kono::Hdf5Writer::create_group");
  Impl::Hdf5ErrorSilencer quiet;
  bool const agreed = same_as_rank0(m_comm, group);
  bool exists = false;
  Impl::collective_check(m_comm, [&] {
    require_open("create_group");
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::create_group: ranks disagree on the group name (this rank: \"" << group
                                                                                                       << "\")");
    Hdf5Handle const existing = Impl::open_object(m_file.get(), group);
    exists = existing.valid();
    KONO_USER_REQUIRE(!exists || H5Iget_type(existing.get()) == H5I_GROUP, invalid_argument,
                      "kono::Hdf5Writer::create_group: \"" << group << "\" exists in \"" << m_path
                                                           << "\" and is not a group");
  });
  if (exists) return;
  Hdf5Handle const lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Hdf5Handle const g(H5Gcreate2(m_file.get(), group.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  std::string const why = g.valid() ? std::string() : Impl::hdf5_error_stack();
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(g.valid(), file_io,
                      "kono::Hdf5Writer::create_group: cannot create \"" << group << "\" in \"" << m_path
                                                                         << "\": " << why);
  });
}

void Hdf5Writer::write_raw_attribute(std::string const& object, std::string const& name, hid_t mem_type,
                                     hid_t file_type, std::vector<hsize_t> const& dims, void const* data) {
  ProfilingRegion region("kono::Hdf5Writer::write_attribute");
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5Handle obj;
  Impl::collective_check(m_comm, [&] {
    require_open("write_attribute");
    obj = Impl::open_object(m_file.get(), object);
    KONO_USER_REQUIRE(obj.valid(), invalid_argument,
                      "kono::Hdf5Writer::write_attribute: object \"" << object << "\" missing in \"" << m_path
                                                                     << "\" (create the group or dataset first)");
  });
  herr_t rc = 0;
  if (H5Aexists(obj.get(), name.c_str()) > 0) rc = H5Adelete(obj.get(), name.c_str());
  // An empty vector becomes a null dataspace: zero-sized simple dataspaces are not portable.
  bool const empty = !dims.empty() && dims[0] == 0;
  Hdf5Handle const space = empty ? Hdf5Handle(H5Screate(H5S_NULL), H5Sclose) : dataspace_of(dims);
  Hdf5Handle attr;
  if (rc >= 0) attr = Hdf5Handle(H5Acreate2(obj.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                 H5Aclose);
  if (attr.valid() && !empty) rc = H5Awrite(attr.get(), mem_type, data);
  bool const ok = rc >= 0 && attr.valid();
  std::string const why = ok ? std::string() : Impl::hdf5_error_stack();
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(ok, file_io,
                      "kono::Hdf5Writer::write_attribute: cannot write attribute \"" << name << "\" of \"" << object
                                                                                     << "\" in \"" << m_path
                                                                                     << "\": " << why);
  });
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name, std::string const& value) {
  write_attribute(object, name, std::vector<std::string>{value});
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name, char const* value) {
  write_attribute(object, name, std::vector<std::string>{std::string(value ? value : "")});
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name,
                                 std::vector<std::string> const& value) {
  std::string key = object + '|' + name;
  for (auto const& s : value) key += '|' + std::to_string(s.size()) + ':' + s;
  bool const agreed = same_as_rank0(m_comm, key);
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::write_attribute: ranks disagree on attribute \"" << name << "\" of \""
                                                                                          << object << "\"");
  });
  std::vector<char const*> ptrs;
  for (auto const& s : value) ptrs.push_back(s.c_str());
  Hdf5Handle const type = variable_string_type();
  // A one-element vector is written as a scalar attribute, as h5py does for a plain str.
  std::vector<hsize_t> const dims = value.size() == 1 ? std::vector<hsize_t>{} : std::vector<hsize_t>{value.size()};
  write_raw_attribute(object, name, type.get(), type.get(), dims, ptrs.data());
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name, double value) {
  bool const agreed = same_as_rank0(m_comm, object + '|' + name + '|' + bytes_of(std::vector<double>{value}));
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::write_attribute: ranks disagree on attribute \"" << name << "\"");
  });
  write_raw_attribute(object, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {}, &value);
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name, std::int64_t value) {
  bool const agreed = same_as_rank0(m_comm, object + '|' + name + '|' + bytes_of(std::vector<std::int64_t>{value}));
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::write_attribute: ranks disagree on attribute \"" << name << "\"");
  });
  write_raw_attribute(object, name, H5T_NATIVE_INT64, H5T_STD_I64LE, {}, &value);
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name,
                                 std::vector<double> const& value) {
  bool const agreed = same_as_rank0(m_comm, object + '|' + name + '|' + bytes_of(value));
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::write_attribute: ranks disagree on attribute \"" << name << "\"");
  });
  write_raw_attribute(object, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {value.size()}, value.data());
}

void Hdf5Writer::write_attribute(std::string const& object, std::string const& name,
                                 std::vector<std::int64_t> const& value) {
  bool const agreed = same_as_rank0(m_comm, object + '|' + name + '|' + bytes_of(value));
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(agreed, invalid_argument,
                      "kono::Hdf5Writer::write_attribute: ranks disagree on attribute \"" << name << "\"");
  });
  write_raw_attribute(object, name, H5T_NATIVE_INT64, H5T_STD_I64LE, {value.size()}, value.data());
}

void Hdf5Writer::commit() {
  ProfilingRegion region("kono::Hdf5Writer::commit");
  Impl::Hdf5ErrorSilencer quiet;
  Impl::collective_check(m_comm, [&] { require_open("commit"); });
  herr_t const rc = H5Fclose(m_file.release());
  std::string const why = rc < 0 ? Impl::hdf5_error_stack() : std::string();
  Impl::collective_check(m_comm, [&] {
    KONO_USER_REQUIRE(rc >= 0, file_io,
                      "kono::Hdf5Writer::commit: closing \"" << m_tmp_path << "\" (for \"" << m_path
                                                             << "\") failed: " << why);
  });
  Impl::collective_check(m_comm, [&] {
    if (m_rank != 0) return;
    // fsync before rename: otherwise a crash can leave `path` pointing at an empty file.
    int const fd = ::open(m_tmp_path.c_str(), O_RDONLY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    if (std::rename(m_tmp_path.c_str(), m_path.c_str()) != 0) {
      int const e = errno;
      std::error_code ec;
      std::filesystem::remove(m_tmp_path, ec);
      KONO_THROW(file_io, "kono::Hdf5Writer::commit: cannot rename \"" << m_tmp_path << "\" to \"" << m_path
                                                                        << "\": " << std::strerror(e));
    }
    std::filesystem::path const dir = std::filesystem::path(m_path).has_parent_path()
                                          ? std::filesystem::path(m_path).parent_path()
                                          : std::filesystem::path(".");
    int const dfd = ::open(dir.c_str(), O_RDONLY);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  });
  m_committed = true;
}

#define KONO_INSTANTIATE_WRITER(SPACE, SCALAR)                                                         \
  template void Hdf5Writer::write_samples<SPACE, SCALAR>(std::string const&, Shape const&,            \
                                                         Tensor<SPACE, SCALAR> const&, index_t, Hdf5ElementType);

KONO_INSTANTIATE_WRITER(DefaultMemorySpace, float)
KONO_INSTANTIATE_WRITER(DefaultMemorySpace, double)
// Host backends make HostSpace the default memory space; instantiating it again would redefine.
#if defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_SERIAL) || defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_OPENMP) || \
    defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_THREADS) || defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_HPX)
static_assert(std::is_same<HostSpace, DefaultMemorySpace>::value, "kono: host backend, HostSpace expected");
#else
KONO_INSTANTIATE_WRITER(HostSpace, float)
KONO_INSTANTIATE_WRITER(HostSpace, double)
#endif

}  // namespace kono
