#include <kono/datasets/hdf5_file.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <kono/core/profiling_region.hpp>

// HDF5 1.12 changed the object-info and vlen-reclaim APIs; these are the only version branches.
#if H5_VERSION_GE(1, 12, 0)
#define KONO_H5_OBJECT_INFO H5O_info2_t
#define KONO_H5_OVISIT(id, cb, data) H5Ovisit3(id, H5_INDEX_NAME, H5_ITER_INC, cb, data, H5O_INFO_BASIC)
#define KONO_H5_VLEN_RECLAIM(type, space, buf) H5Treclaim(type, space, H5P_DEFAULT, buf)
#define KONO_H5_IS_HDF5(path) H5Fis_accessible(path, H5P_DEFAULT)
#else
#define KONO_H5_OBJECT_INFO H5O_info_t
#define KONO_H5_OVISIT(id, cb, data) H5Ovisit2(id, H5_INDEX_NAME, H5_ITER_INC, cb, data, H5O_INFO_BASIC)
#define KONO_H5_VLEN_RECLAIM(type, space, buf) H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf)
#define KONO_H5_IS_HDF5(path) H5Fis_hdf5(path)
#endif

namespace kono {

Hdf5Handle& Hdf5Handle::operator=(Hdf5Handle&& other) noexcept {
  if (this != &other) {
    reset();
    m_id = other.m_id;
    m_close = other.m_close;
    other.m_id = H5I_INVALID_HID;
  }
  return *this;
}

void Hdf5Handle::reset() noexcept {
  if (m_id >= 0 && m_close) m_close(m_id);
  m_id = H5I_INVALID_HID;
}

char const* to_string(Hdf5ElementType type) noexcept {
  switch (type) {
    case Hdf5ElementType::float32: return "float32";
    case Hdf5ElementType::float64: return "float64";
    case Hdf5ElementType::int32: return "int32";
    case Hdf5ElementType::int64: return "int64";
    case Hdf5ElementType::other: return "other";
  }
  return "other";
}

namespace Impl {

Hdf5ErrorSilencer::Hdf5ErrorSilencer() noexcept {
  H5Eget_auto2(H5E_DEFAULT, &m_func, &m_data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Hdf5ErrorSilencer::~Hdf5ErrorSilencer() { H5Eset_auto2(H5E_DEFAULT, m_func, m_data); }

namespace {
herr_t collect_error(unsigned /*n*/, H5E_error2_t const* err, void* data) {
  auto& parts = *static_cast<std::vector<std::string>*>(data);
  std::string s = err->func_name ? err->func_name : "";
  if (err->desc && *err->desc) s += (s.empty() ? "" : ": ") + std::string(err->desc);
  if (!s.empty() && std::find(parts.begin(), parts.end(), s) == parts.end()) parts.push_back(s);
  return 0;
}

herr_t collect_dataset(hid_t /*obj*/, char const* name, KONO_H5_OBJECT_INFO const* info, void* data) {
  if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(data)->push_back("/" + std::string(name));
  return 0;
}

// "/a//b/" and "a/b" both become "/a/b", so users may spell paths either way.
std::string normalize(std::string const& object) {
  std::string out = "/";
  std::istringstream in(object);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (out.size() > 1) out += '/';
    out += part;
  }
  return out;
}

bool is_numeric(hid_t type) {
  H5T_class_t const c = H5Tget_class(type);
  return c == H5T_INTEGER || c == H5T_FLOAT;
}

template <class T>
hid_t native_type() {
  if constexpr (std::is_same<T, double>::value)
    return H5T_NATIVE_DOUBLE;
  else
    return H5T_NATIVE_INT64;
}
}  // namespace

std::string hdf5_error_stack() {
  std::vector<std::string> parts;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &parts);
  H5Eclear2(H5E_DEFAULT);
  std::string out;
  for (auto const& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

void collective_check(MPI_Comm comm, std::function<void()> const& f) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size == 1) {
    f();
    return;
  }
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int code = 0;
  std::string message;
  try {
    f();
  } catch (Error const& e) {
    code = static_cast<int>(e.code());
    message = e.what();
  } catch (std::exception const& e) {
    code = static_cast<int>(ErrorCode::internal);
    message = e.what();
  }
  int const mine = code != 0 ? rank : INT_MAX;
  int lowest = INT_MAX;
  MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm);
  if (lowest == INT_MAX) return;
  int header[2] = {code, static_cast<int>(message.size())};
  MPI_Bcast(header, 2, MPI_INT, lowest, comm);
  message.resize(static_cast<std::size_t>(header[1]));
  MPI_Bcast(&message[0], header[1], MPI_CHAR, lowest, comm);
  throw Error(static_cast<ErrorCode>(header[0]), message);
}

Hdf5Handle open_object(hid_t file, std::string const& object) {
  std::string const path = normalize(object);
  if (path != "/") {
    // H5Oopen on "/a/b" fails noisily when "/a" is missing: test each link on the way down.
    for (std::size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
      std::string const prefix = path.substr(0, pos);
      if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return {};
      }
      if (pos == std::string::npos) break;
    }
  }
  hid_t const id = H5Oopen(file, path.c_str(), H5P_DEFAULT);
  if (id < 0) H5Eclear2(H5E_DEFAULT);
  return Hdf5Handle(id, H5Oclose);
}

std::string dataset_list(Hdf5File const& file, std::size_t limit) {
  std::vector<std::string> const names = file.list_datasets();
  if (names.empty()) return "no datasets";
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += ", ... (" + std::to_string(names.size() - limit) + " more)";
  return out;
}

Hdf5ElementType element_type_of(hid_t type) {
  std::size_t const size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      return size == 4 ? Hdf5ElementType::float32 : size == 8 ? Hdf5ElementType::float64 : Hdf5ElementType::other;
    case H5T_INTEGER:
      if (H5Tget_sign(type) != H5T_SGN_2) return Hdf5ElementType::other;
      return size == 4 ? Hdf5ElementType::int32 : size == 8 ? Hdf5ElementType::int64 : Hdf5ElementType::other;
    default: return Hdf5ElementType::other;
  }
}

Shape shape_of_dataspace(hid_t space, std::string const& what) {
  int const rank = H5Sget_simple_extent_ndims(space);
  KONO_USER_REQUIRE(rank >= 0, corrupt_file, what << ": cannot read its dataspace (" << hdf5_error_stack() << ")");
  KONO_USER_REQUIRE(rank <= Shape::max_rank, unsupported,
                    what << " has " << rank << " axes; kono supports at most " << Shape::max_rank);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  std::vector<index_t> extents(dims.begin(), dims.end());
  return Shape(extents);
}

}  // namespace Impl

Hdf5File::Hdf5File(std::string const& path, MPI_Comm comm) : m_path(path), m_comm(comm) {
  ProfilingRegion region("kono::Hdf5File::open");
  Impl::Hdf5ErrorSilencer quiet;
  int size = 1;
  MPI_Comm_size(comm, &size);
#ifndef H5_HAVE_PARALLEL
  KONO_USER_REQUIRE(size == 1, unsupported,
                    "kono::Hdf5File: cannot open \"" << path << "\" on " << size
                                                     << " ranks: this kono was built against a serial HDF5; "
                                                        "install parallel HDF5 (libhdf5-openmpi-dev) and rebuild");
#endif
  Impl::collective_check(comm, [&] {
    std::error_code ec;
    auto const status = std::filesystem::status(path, ec);
    KONO_USER_REQUIRE(std::filesystem::exists(status), file_io,
                      "kono::Hdf5File: file \"" << path << "\" does not exist");
    KONO_USER_REQUIRE(!std::filesystem::is_directory(status), file_io,
                      "kono::Hdf5File: \"" << path << "\" is a directory, not an HDF5 file");
    std::ifstream probe(path, std::ios::binary);
    KONO_USER_REQUIRE(probe.good(), file_io,
                      "kono::Hdf5File: file \"" << path << "\" cannot be read (" << std::strerror(errno) << ")");
  });

  Hdf5Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
#ifdef H5_HAVE_PARALLEL
  H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL);
#endif
  hid_t const id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  // Read the stack now: the next HDF5 call clears it.
  std::string const why = id < 0 ? Impl::hdf5_error_stack() : std::string();
  m_file = Hdf5Handle(id, H5Fclose);
  Impl::collective_check(comm, [&] {
    if (m_file.valid()) return;
    htri_t const signature = KONO_H5_IS_HDF5(path.c_str());
    H5Eclear2(H5E_DEFAULT);
    KONO_USER_REQUIRE(signature > 0, corrupt_file,
                      "kono::Hdf5File: \"" << path << "\" is not an HDF5 file (no HDF5 signature found)");
    KONO_THROW(corrupt_file, "kono::Hdf5File: \"" << path << "\" is corrupt or truncated; HDF5 says: " << why);
  });
}

bool Hdf5File::has_dataset(std::string const& object) const {
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5Handle const h = Impl::open_object(id(), object);
  return h.valid() && H5Iget_type(h.get()) == H5I_DATASET;
}

bool Hdf5File::has_group(std::string const& object) const {
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5Handle const h = Impl::open_object(id(), object);
  return h.valid() && H5Iget_type(h.get()) == H5I_GROUP;
}

std::vector<std::string> Hdf5File::list_datasets() const {
  Impl::Hdf5ErrorSilencer quiet;
  std::vector<std::string> names;
  if (KONO_H5_OVISIT(id(), Impl::collect_dataset, &names) < 0) H5Eclear2(H5E_DEFAULT);
  std::sort(names.begin(), names.end());
  return names;
}

Hdf5DatasetInfo Hdf5File::dataset_info(std::string const& dataset) const {
  ProfilingRegion region("kono::Hdf5File::dataset_info");
  Impl::Hdf5ErrorSilencer quiet;
  KONO_USER_REQUIRE(has_dataset(dataset), invalid_argument,
                    "kono::Hdf5File::dataset_info: dataset \"" << dataset << "\" missing in \"" << m_path
                                                               << "\" (found: " << Impl::dataset_list(*this) << ")");
  Hdf5Handle const d(H5Dopen2(id(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  Hdf5Handle const space(H5Dget_space(d.get()), H5Sclose);
  Hdf5Handle const type(H5Dget_type(d.get()), H5Tclose);
  KONO_USER_REQUIRE(space.valid() && type.valid(), corrupt_file,
                    "kono::Hdf5File::dataset_info: cannot read dataset \"" << dataset << "\" in \"" << m_path
                                                                           << "\": " << Impl::hdf5_error_stack());
  std::ostringstream what;
  what << "kono::Hdf5File::dataset_info: dataset \"" << dataset << "\" in \"" << m_path << "\"";
  return {Impl::shape_of_dataspace(space.get(), what.str()), Impl::element_type_of(type.get())};
}

template <class T>
std::vector<T> Hdf5File::read_array(std::string const& dataset) const {
  ProfilingRegion region("kono::Hdf5File::read_array");
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5DatasetInfo const info = dataset_info(dataset);
  KONO_USER_REQUIRE(info.element_type != Hdf5ElementType::other, invalid_argument,
                    "kono::Hdf5File::read_array: dataset \"" << dataset << "\" in \"" << m_path
                                                             << "\" is not numeric");
  std::vector<T> values(static_cast<std::size_t>(info.shape.size()));
  if (values.empty()) return values;
  Hdf5Handle const d(H5Dopen2(id(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  herr_t const rc = H5Dread(d.get(), Impl::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  KONO_USER_REQUIRE(rc >= 0, corrupt_file,
                    "kono::Hdf5File::read_array: reading \"" << dataset << "\" from \"" << m_path
                                                             << "\" failed: " << Impl::hdf5_error_stack());
  return values;
}

bool Hdf5File::has_attribute(std::string const& object, std::string const& name) const {
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5Handle const obj = Impl::open_object(id(), object);
  if (!obj.valid()) return false;
  htri_t const exists = H5Aexists(obj.get(), name.c_str());
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

namespace {
// Everything read_attribute needs once the attribute is open.
struct OpenAttribute {
  Hdf5Handle attr, type, space;
  std::size_t count = 0;
  std::string what;  // 'attribute "n" of "/train" in "f.h5"', for messages
};

OpenAttribute open_attribute(Hdf5File const& file, std::string const& object, std::string const& name) {
  OpenAttribute a;
  a.what = "attribute \"" + name + "\" of \"" + object + "\" in \"" + file.path() + "\"";
  Hdf5Handle const obj = Impl::open_object(file.id(), object);
  KONO_USER_REQUIRE(obj.valid(), invalid_argument,
                    "kono::Hdf5File::read_attribute: object \"" << object << "\" missing in \"" << file.path()
                                                                << "\"");
  htri_t const exists = H5Aexists(obj.get(), name.c_str());
  KONO_USER_REQUIRE(exists > 0, invalid_argument, "kono::Hdf5File::read_attribute: " << a.what << " does not exist");
  a.attr = Hdf5Handle(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  a.type = Hdf5Handle(H5Aget_type(a.attr.get()), H5Tclose);
  a.space = Hdf5Handle(H5Aget_space(a.attr.get()), H5Sclose);
  KONO_USER_REQUIRE(a.attr.valid() && a.type.valid() && a.space.valid(), corrupt_file,
                    "kono::Hdf5File::read_attribute: cannot open " << a.what << ": " << Impl::hdf5_error_stack());
  hssize_t const n = H5Sget_simple_extent_npoints(a.space.get());
  a.count = n > 0 ? static_cast<std::size_t>(n) : 0;
  return a;
}

std::vector<std::string> read_strings(OpenAttribute const& a) {
  KONO_USER_REQUIRE(H5Tget_class(a.type.get()) == H5T_STRING, invalid_argument,
                    "kono::Hdf5File::read_attribute: " << a.what << " is not a string");
  std::vector<std::string> out;
  if (a.count == 0) return out;
  Hdf5Handle const mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mem.get(), H5Tget_cset(a.type.get()));
  if (H5Tis_variable_str(a.type.get()) > 0) {
    H5Tset_size(mem.get(), H5T_VARIABLE);
    std::vector<char*> buf(a.count, nullptr);
    KONO_USER_REQUIRE(H5Aread(a.attr.get(), mem.get(), buf.data()) >= 0, corrupt_file,
                      "kono::Hdf5File::read_attribute: reading " << a.what << " failed: " << Impl::hdf5_error_stack());
    for (char* s : buf) out.emplace_back(s ? s : "");
    KONO_H5_VLEN_RECLAIM(mem.get(), a.space.get(), buf.data());
  } else {
    std::size_t const len = H5Tget_size(a.type.get());
    H5Tset_size(mem.get(), len);
    H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
    std::vector<char> buf(a.count * len + 1, '\0');
    KONO_USER_REQUIRE(H5Aread(a.attr.get(), mem.get(), buf.data()) >= 0, corrupt_file,
                      "kono::Hdf5File::read_attribute: reading " << a.what << " failed: " << Impl::hdf5_error_stack());
    for (std::size_t i = 0; i < a.count; ++i) {
      char const* s = buf.data() + i * len;
      out.emplace_back(s, strnlen(s, len));  // NULLPAD strings are not terminated when full
    }
  }
  return out;
}

template <class T>
std::vector<T> read_numbers(OpenAttribute const& a) {
  KONO_USER_REQUIRE(Impl::is_numeric(a.type.get()), invalid_argument,
                    "kono::Hdf5File::read_attribute: " << a.what << " is not a number");
  // Reading a floating-point attribute as an integer would silently truncate it.
  KONO_USER_REQUIRE(std::is_floating_point<T>::value || H5Tget_class(a.type.get()) == H5T_INTEGER, invalid_argument,
                    "kono::Hdf5File::read_attribute: " << a.what << " is floating-point, asked for an integer");
  std::vector<T> out(a.count);
  if (a.count == 0) return out;
  KONO_USER_REQUIRE(H5Aread(a.attr.get(), Impl::native_type<T>(), out.data()) >= 0, corrupt_file,
                    "kono::Hdf5File::read_attribute: reading " << a.what << " failed: " << Impl::hdf5_error_stack());
  return out;
}

template <class T>
T single(std::vector<T> values, OpenAttribute const& a) {
  KONO_USER_REQUIRE(values.size() == 1, invalid_argument,
                    "kono::Hdf5File::read_attribute: " << a.what << " holds " << values.size()
                                                       << " values, expected exactly 1");
  return std::move(values.front());
}
}  // namespace

template <class T>
T Hdf5File::read_attribute(std::string const& object, std::string const& name) const {
  Impl::Hdf5ErrorSilencer quiet;
  OpenAttribute const a = open_attribute(*this, object, name);
  if constexpr (std::is_same<T, std::string>::value)
    return single(read_strings(a), a);
  else if constexpr (std::is_same<T, std::vector<std::string>>::value)
    return read_strings(a);
  else if constexpr (std::is_same<T, double>::value || std::is_same<T, std::int64_t>::value)
    return single(read_numbers<T>(a), a);
  else
    return read_numbers<typename T::value_type>(a);
}

template std::vector<double> Hdf5File::read_array<double>(std::string const&) const;
template std::vector<std::int64_t> Hdf5File::read_array<std::int64_t>(std::string const&) const;
template std::string Hdf5File::read_attribute<std::string>(std::string const&, std::string const&) const;
template double Hdf5File::read_attribute<double>(std::string const&, std::string const&) const;
template std::int64_t Hdf5File::read_attribute<std::int64_t>(std::string const&, std::string const&) const;
template std::vector<std::string> Hdf5File::read_attribute<std::vector<std::string>>(std::string const&,
                                                                                     std::string const&) const;
template std::vector<double> Hdf5File::read_attribute<std::vector<double>>(std::string const&,
                                                                           std::string const&) const;
template std::vector<std::int64_t> Hdf5File::read_attribute<std::vector<std::int64_t>>(std::string const&,
                                                                                       std::string const&) const;

std::vector<std::string> Hdf5File::list_attributes(std::string const& object) const {
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5Handle const obj = Impl::open_object(id(), object);
  KONO_USER_REQUIRE(obj.valid(), invalid_argument,
                    "kono::Hdf5File::list_attributes: object \"" << object << "\" missing in \"" << m_path << "\"");
  std::vector<std::string> names;
  auto collect = [](hid_t, char const* name, H5A_info_t const*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t idx = 0;
  herr_t const rc = H5Aiterate2(obj.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names);
  KONO_USER_REQUIRE(rc >= 0, corrupt_file,
                    "kono::Hdf5File::list_attributes: cannot list attributes of \"" << object << "\" in \"" << m_path
                                                                                    << "\": " << Impl::hdf5_error_stack());
  return names;
}

std::string Hdf5File::attribute_as_text(std::string const& object, std::string const& name) const {
  Impl::Hdf5ErrorSilencer quiet;
  Hdf5Handle const obj = Impl::open_object(id(), object);
  KONO_USER_REQUIRE(obj.valid(), invalid_argument,
                    "kono::Hdf5File::attribute_as_text: object \"" << object << "\" missing in \"" << m_path << "\"");
  Hdf5Handle const attr(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  KONO_USER_REQUIRE(attr.valid(), invalid_argument,
                    "kono::Hdf5File::attribute_as_text: attribute \"" << name << "\" of \"" << object
                                                                       << "\" missing in \"" << m_path << "\"");
  Hdf5Handle const type(H5Aget_type(attr.get()), H5Tclose);
  Hdf5Handle const space(H5Aget_space(attr.get()), H5Sclose);
  H5T_class_t const cls = H5Tget_class(type.get());
  hssize_t const n = H5Sget_simple_extent_npoints(space.get());
  auto join = [](auto const& values) {
    std::ostringstream os;
    if (values.size() != 1) os << "[";
    for (std::size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
    if (values.size() != 1) os << "]";
    return os.str();
  };
  if (cls == H5T_STRING) {
    if (n == 1) return read_attribute<std::string>(object, name);
    return join(read_attribute<std::vector<std::string>>(object, name));
  }
  if (cls == H5T_FLOAT) return join(read_attribute<std::vector<double>>(object, name));
  if (cls == H5T_INTEGER) return join(read_attribute<std::vector<std::int64_t>>(object, name));
  return "(" + std::to_string(n) + " values of a non-numeric type)";
}

}  // namespace kono
