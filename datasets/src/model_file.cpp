#include <kono/datasets/model_file.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>

#include <kono/core/profiling_region.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_writer.hpp>

namespace kono {

namespace {

constexpr char const* kind_model = "kono-model";
constexpr char const* kind_checkpoint = "kono-checkpoint";
constexpr char const* parameters_group = "/model/parameters";
constexpr char const* normalizers_group = "/normalizers";
constexpr char const* provenance_group = "/provenance";
constexpr char const* checkpoint_group = "/checkpoint";
constexpr char const* optimizer_state_group = "/checkpoint/optimizer_state";

// "2.body.weight" under "/model/parameters" is the dataset "/model/parameters/2/body/weight":
// the dotted name becomes a group path, so h5py users browse the model layer by layer.
std::string dataset_of(std::string const& group, std::string const& name) {
  std::string path = name;
  std::replace(path.begin(), path.end(), '.', '/');
  return group + "/" + path;
}

bool has_control_char(std::string const& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

// Empty when `name` is a valid dotted array name, otherwise why not.
std::string dotted_name_problem(std::string const& name) {
  if (name.empty()) return "it is empty";
  if (name.find('/') != std::string::npos) return "it contains '/' (use '.' to separate components)";
  if (has_control_char(name)) return "it contains a control character";
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
    return "it has an empty component (leading, trailing or doubled '.')";
  return {};
}

// Empty when `name` can be one HDF5 link or attribute name (normalizer, provenance key).
std::string plain_name_problem(std::string const& name) {
  if (name.empty()) return "it is empty";
  if (name == "." || name == "..") return "\".\" and \"..\" are reserved";
  if (name.find('/') != std::string::npos) return "it contains '/'";
  if (has_control_char(name)) return "it contains a control character";
  return {};
}

// Names map to HDF5 paths, so one may not be a dotted prefix of another: "a.b" would have to be
// both a dataset and the group holding "a.b.c". Returns the first such pair, or {"", ""}.
std::pair<std::string, std::string> prefix_conflict(std::vector<std::string> const& names) {
  std::set<std::string> const all(names.begin(), names.end());
  for (auto const& n : names)
    for (std::size_t dot = n.find('.'); dot != std::string::npos; dot = n.find('.', dot + 1))
      if (all.count(n.substr(0, dot))) return {n.substr(0, dot), n};
  return {};
}

// True (and the name in `duplicate`) when some name appears twice.
bool find_duplicate(std::vector<std::string> names, std::string& duplicate) {
  std::sort(names.begin(), names.end());
  auto const it = std::adjacent_find(names.begin(), names.end());
  if (it == names.end()) return false;
  duplicate = *it;
  return true;
}

std::vector<std::string> names_of(std::vector<NamedArray> const& arrays) {
  std::vector<std::string> out;
  out.reserve(arrays.size());
  for (auto const& a : arrays) out.push_back(a.name);
  return out;
}

// NaN/Inf count and first index; std::isfinite does no ordered comparison, so a quiet NaN does not
// raise FE_INVALID (the tests trap it).
struct NonFinite {
  std::size_t count = 0;
  std::size_t first = 0;
};

NonFinite count_non_finite(std::vector<double> const& values, bool float32_range) {
  NonFinite nf;
  for (std::size_t i = 0; i < values.size(); ++i) {
    double const v = values[i];
    // HDF5's double -> float conversion turns |v| > FLT_MAX into Inf: refuse it before it happens.
    bool const bad = !std::isfinite(v) || (float32_range && std::fabs(v) > static_cast<double>(FLT_MAX));
    if (bad && nf.count++ == 0) nf.first = i;
  }
  return nf;
}

// ---------------------------------------------------------------------------------------------
// Broadcast of rank 0's contents. Array values stay on rank 0: Hdf5Writer::write_array writes
// rank 0's values and only needs the sizes elsewhere, so a large model is not sent around.

class Packer {
 public:
  void u64(std::uint64_t v) { raw(&v, sizeof v); }
  void i64(std::int64_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void str(std::string const& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void shape(Shape const& s) {
    auto const e = s.to_vector();
    u64(e.size());
    for (index_t x : e) i64(x);
  }
  void doubles(std::vector<double> const& v) {
    u64(v.size());
    raw(v.data(), v.size() * sizeof(double));
  }
  std::string& buffer() { return m_buf; }

 private:
  void raw(void const* p, std::size_t n) {
    if (n > 0) m_buf.append(static_cast<char const*>(p), n);
  }
  std::string m_buf;
};

class Unpacker {
 public:
  explicit Unpacker(std::string const& buf) : m_buf(buf) {}
  std::uint64_t u64() { return pod<std::uint64_t>(); }
  std::int64_t i64() { return pod<std::int64_t>(); }
  double f64() { return pod<double>(); }
  std::string str() {
    std::size_t const n = static_cast<std::size_t>(u64());
    KONO_REQUIRE(m_pos + n <= m_buf.size(), "model-file broadcast buffer too short");
    std::string s = m_buf.substr(m_pos, n);
    m_pos += n;
    return s;
  }
  Shape shape() {
    std::vector<index_t> e(static_cast<std::size_t>(u64()));
    for (auto& x : e) x = i64();
    return Shape(e);
  }
  std::vector<double> doubles() {
    std::vector<double> v(static_cast<std::size_t>(u64()));
    KONO_REQUIRE(m_pos + v.size() * sizeof(double) <= m_buf.size(), "model-file broadcast buffer too short");
    if (!v.empty()) std::memcpy(v.data(), m_buf.data() + m_pos, v.size() * sizeof(double));
    m_pos += v.size() * sizeof(double);
    return v;
  }

 private:
  template <class T>
  T pod() {
    KONO_REQUIRE(m_pos + sizeof(T) <= m_buf.size(), "model-file broadcast buffer too short");
    T v;
    std::memcpy(&v, m_buf.data() + m_pos, sizeof(T));
    m_pos += sizeof(T);
    return v;
  }
  std::string const& m_buf;
  std::size_t m_pos = 0;
};

void pack_shapes(Packer& p, std::vector<NamedArray> const& arrays) {
  p.u64(arrays.size());
  for (auto const& a : arrays) {
    p.str(a.name);
    p.shape(a.shape);
    p.u64(a.values.size());
  }
}

std::vector<NamedArray> unpack_shapes(Unpacker& u) {
  std::vector<NamedArray> arrays(static_cast<std::size_t>(u.u64()));
  for (auto& a : arrays) {
    a.name = u.str();
    a.shape = u.shape();
    a.values.assign(static_cast<std::size_t>(u.u64()), 0.0);
  }
  return arrays;
}

std::string pack(ModelFileContents const& c) {
  Packer p;
  p.str(c.model_type);
  p.str(c.architecture_json);
  p.str(c.scalar_type);
  pack_shapes(p, c.parameters);
  p.u64(c.normalizers.size());
  for (auto const& [name, n] : c.normalizers) {
    p.str(name);
    p.u64(n.is_fitted() ? 1 : 0);
    p.i64(static_cast<std::int64_t>(n.kind()));
    p.f64(n.eps());
    if (!n.is_fitted()) continue;
    p.i64(n.count());
    p.shape(n.stats_shape());
    p.doubles(n.mean());
    p.doubles(n.stddev());
  }
  p.u64(c.provenance.size());
  for (auto const& [key, value] : c.provenance) {
    p.str(key);
    p.str(value);
  }
  p.u64(c.checkpoint ? 1 : 0);
  if (c.checkpoint) {
    CheckpointState const& s = *c.checkpoint;
    p.str(s.optimizer_json);
    pack_shapes(p, s.optimizer_state);
    p.i64(s.optimizer_steps);
    p.i64(s.epoch);
    p.str(s.schedule_json);
    p.u64(s.shuffle_seed);
    p.str(s.learning_curve_json);
  }
  return std::move(p.buffer());
}

ModelFileContents unpack(std::string const& buf) {
  Unpacker u(buf);
  ModelFileContents c;
  c.model_type = u.str();
  c.architecture_json = u.str();
  c.scalar_type = u.str();
  c.parameters = unpack_shapes(u);
  c.normalizers.resize(static_cast<std::size_t>(u.u64()));
  for (auto& [name, n] : c.normalizers) {
    name = u.str();
    bool const fitted = u.u64() != 0;
    auto const kind = static_cast<NormalizerKind>(u.i64());
    double const eps = u.f64();
    if (!fitted) {
      n = Normalizer(kind, eps);  // rank 0 fails in save() with Error{wrong_state}; so do we
      continue;
    }
    index_t const count = u.i64();
    Shape const shape = u.shape();
    std::vector<double> const mean = u.doubles();
    std::vector<double> const stddev = u.doubles();
    n = Normalizer(kind, shape, mean, stddev, count, eps);
  }
  c.provenance.resize(static_cast<std::size_t>(u.u64()));
  for (auto& [key, value] : c.provenance) {
    key = u.str();
    value = u.str();
  }
  if (u.u64() != 0) {
    CheckpointState s;
    s.optimizer_json = u.str();
    s.optimizer_state = unpack_shapes(u);
    s.optimizer_steps = u.i64();
    s.epoch = u.i64();
    s.schedule_json = u.str();
    s.shuffle_seed = u.u64();
    s.learning_curve_json = u.str();
    c.checkpoint = std::move(s);
  }
  return c;
}

// MPI counts are int: send long buffers in pieces.
void broadcast_bytes(std::string& buf, MPI_Comm comm) {
  std::uint64_t n = buf.size();
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm);
  buf.resize(static_cast<std::size_t>(n));
  constexpr std::size_t chunk = std::size_t{1} << 30;
  for (std::size_t off = 0; off < buf.size(); off += chunk) {
    int const len = static_cast<int>(std::min(chunk, buf.size() - off));
    MPI_Bcast(&buf[off], len, MPI_CHAR, 0, comm);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

char const* const fq_write = "kono::write_model_file";

void validate_arrays(std::string const& path, char const* what, std::vector<NamedArray> const& arrays) {
  for (auto const& a : arrays) {
    std::string const problem = dotted_name_problem(a.name);
    KONO_USER_REQUIRE(problem.empty(), invalid_argument,
                      fq_write << ": " << what << " name \"" << a.name << "\" is not valid for \"" << path
                               << "\": " << problem);
    KONO_USER_REQUIRE(static_cast<index_t>(a.values.size()) == a.shape.size(), size_mismatch,
                      fq_write << ": " << what << " \"" << a.name << "\" has " << a.values.size()
                               << " values, its shape " << a.shape.to_string() << " needs " << a.shape.size());
  }
  std::string duplicate;
  KONO_USER_REQUIRE(!find_duplicate(names_of(arrays), duplicate), invalid_argument,
                    fq_write << ": " << what << " name \"" << duplicate << "\" appears twice (writing \"" << path
                             << "\")");
  auto const conflict = prefix_conflict(names_of(arrays));
  KONO_USER_REQUIRE(conflict.first.empty(), invalid_argument,
                    fq_write << ": " << what << " names \"" << conflict.first << "\" and \"" << conflict.second
                             << "\" clash in \"" << path << "\": '.' separates HDF5 groups, so \""
                             << conflict.first << "\" cannot be both an array and a group");
}

void validate(std::string const& path, ModelFileContents const& c) {
  KONO_USER_REQUIRE(!c.model_type.empty(), invalid_argument,
                    fq_write << ": model_type is empty (writing \"" << path << "\")");
  KONO_USER_REQUIRE(c.scalar_type == "float32" || c.scalar_type == "float64", invalid_argument,
                    fq_write << ": scalar_type \"" << c.scalar_type << "\" (writing \"" << path
                             << "\"); expected \"float32\" or \"float64\"");
  validate_arrays(path, "parameter", c.parameters);
  std::vector<std::string> names;
  for (auto const& [name, n] : c.normalizers) {
    std::string const problem = plain_name_problem(name);
    KONO_USER_REQUIRE(problem.empty(), invalid_argument,
                      fq_write << ": normalizer name \"" << name << "\" is not valid for \"" << path
                               << "\": " << problem);
    names.push_back(name);
  }
  for (auto const& [name, n] : c.normalizers) {
    if (!n.is_fitted()) continue;  // save() says "call fit() first"
    // fit() on data holding NaN yields NaN statistics, which Normalizer::load would refuse.
    NonFinite const bad_mean = count_non_finite(n.mean(), false);
    NonFinite const bad_std = count_non_finite(n.stddev(), false);
    KONO_USER_REQUIRE(bad_mean.count + bad_std.count == 0, non_finite,
                      fq_write << ": normalizer \"" << name << "\" has " << bad_mean.count << " NaN/Inf means and "
                               << bad_std.count << " NaN/Inf standard deviations; not writing \"" << path << "\"");
  }
  std::string duplicate;
  KONO_USER_REQUIRE(!find_duplicate(names, duplicate), invalid_argument,
                    fq_write << ": normalizer \"" << duplicate << "\" appears twice (writing \"" << path << "\")");
  names.clear();
  for (auto const& [key, value] : c.provenance) {
    std::string const problem = plain_name_problem(key);
    KONO_USER_REQUIRE(problem.empty(), invalid_argument,
                      fq_write << ": provenance key \"" << key << "\" is not valid for \"" << path
                               << "\": " << problem);
    names.push_back(key);
  }
  KONO_USER_REQUIRE(!find_duplicate(names, duplicate), invalid_argument,
                    fq_write << ": provenance key \"" << duplicate << "\" appears twice (writing \"" << path
                             << "\")");
  if (c.checkpoint) {
    CheckpointState const& s = *c.checkpoint;
    validate_arrays(path, "optimizer state", s.optimizer_state);
    KONO_USER_REQUIRE(s.optimizer_steps >= 0 && s.epoch >= 0, invalid_argument,
                      fq_write << ": checkpoint counters must be >= 0, got optimizer_steps=" << s.optimizer_steps
                               << ", epoch=" << s.epoch << " (writing \"" << path << "\")");
  }
}

// Values are checked just before their array is written, so data is traversed once; a bad array
// late in the list aborts a half-written temporary file, which Hdf5Writer then discards.
void write_arrays(Hdf5Writer& w, std::string const& group, char const* what, std::vector<NamedArray> const& arrays,
                  Hdf5ElementType dtype) {
  w.create_group(group);
  for (auto const& a : arrays) {
    Impl::collective_check(w.comm(), [&] {
      NonFinite const nf = count_non_finite(a.values, dtype == Hdf5ElementType::float32);
      KONO_USER_REQUIRE(nf.count == 0, non_finite,
                        fq_write << ": " << what << " \"" << a.name << "\" has " << nf.count << " NaN/Inf values"
                                 << (dtype == Hdf5ElementType::float32 ? " or values beyond float32 range" : "")
                                 << " (first at flat index " << nf.first << "); not writing \"" << w.path() << "\"");
    });
    std::string const dataset = dataset_of(group, a.name);
    w.write_array(dataset, a.shape, a.values, dtype);
    w.write_attribute(dataset, "name", a.name);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

char const* const fq_read = "kono::read_model_file";

// Hdf5File reports a missing or mistyped attribute as invalid_argument (the caller asked for it);
// in a model file it means the file is broken.
template <class T>
T attribute(Hdf5File const& file, std::string const& object, std::string const& name) {
  KONO_USER_REQUIRE(file.has_attribute(object, name), corrupt_file,
                    fq_read << ": attribute \"" << name << "\" of \"" << object << "\" missing in \"" << file.path()
                            << "\"");
  try {
    return file.read_attribute<T>(object, name);
  } catch (Error const& e) {
    if (e.code() != ErrorCode::invalid_argument) throw;
    throw Error(ErrorCode::corrupt_file, std::string(fq_read) + ": " + e.what());
  }
}

// Strict non-negative decimal integer ("1", "18446744073709551615"); false if not one or too big.
bool parse_u64(std::string const& text, std::uint64_t& out) {
  auto const is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.empty() || text.size() > 20 || !std::all_of(text.begin(), text.end(), is_digit)) return false;
  out = 0;
  for (char c : text) {
    std::uint64_t const digit = static_cast<std::uint64_t>(c - '0');
    if (out > (UINT64_MAX - digit) / 10) return false;
    out = out * 10 + digit;
  }
  return true;
}

std::vector<NamedArray> read_arrays(Hdf5File const& file, std::vector<std::string> const& all_datasets,
                                    std::string const& group, char const* what, char const* order_attribute,
                                    std::vector<std::string> const& order, Hdf5ElementType dtype) {
  std::string const& path = file.path();
  std::string duplicate;
  KONO_USER_REQUIRE(!find_duplicate(order, duplicate), corrupt_file,
                    fq_read << ": " << what << " \"" << duplicate << "\" is listed twice in attribute \""
                            << order_attribute << "\" of \"" << path << "\"");
  std::vector<NamedArray> arrays;
  arrays.reserve(order.size());
  std::set<std::string> expected;
  for (auto const& name : order) {
    std::string const problem = dotted_name_problem(name);
    KONO_USER_REQUIRE(problem.empty(), corrupt_file,
                      fq_read << ": " << what << " name \"" << name << "\" in attribute \"" << order_attribute
                              << "\" of \"" << path << "\" is not valid: " << problem);
    std::string const dataset = dataset_of(group, name);
    expected.insert(dataset);
    KONO_USER_REQUIRE(file.has_dataset(dataset), corrupt_file,
                      fq_read << ": " << what << " \"" << name << "\" (dataset \"" << dataset << "\") missing in \""
                              << path << "\"");
    Hdf5DatasetInfo const info = file.dataset_info(dataset);
    KONO_USER_REQUIRE(info.element_type == dtype, corrupt_file,
                      fq_read << ": " << what << " \"" << name << "\" in \"" << path << "\" is stored as "
                              << to_string(info.element_type) << ", expected " << to_string(dtype));
    if (file.has_attribute(dataset, "name")) {
      auto const stored = attribute<std::string>(file, dataset, "name");
      KONO_USER_REQUIRE(stored == name, corrupt_file,
                        fq_read << ": dataset \"" << dataset << "\" in \"" << path << "\" says it holds \"" << stored
                                << "\", attribute \"" << order_attribute << "\" lists \"" << name << "\"");
    }
    NamedArray a{name, info.shape, file.read_array<double>(dataset)};
    NonFinite const nf = count_non_finite(a.values, false);
    KONO_USER_REQUIRE(nf.count == 0, non_finite,
                      fq_read << ": " << what << " \"" << name << "\" in \"" << path << "\" has " << nf.count
                              << " NaN/Inf values (first at flat index " << nf.first << ")");
    arrays.push_back(std::move(a));
  }
  // A dataset nobody lists would be silently dropped: the order attribute and the groups disagree.
  std::string const prefix = group + "/";
  for (auto const& d : all_datasets)
    KONO_USER_REQUIRE(d.compare(0, prefix.size(), prefix) != 0 || expected.count(d), corrupt_file,
                      fq_read << ": dataset \"" << d << "\" in \"" << path << "\" is not listed in attribute \""
                              << order_attribute << "\"");
  return arrays;
}

ModelFileContents read_contents(Hdf5File const& file) {
  std::string const& path = file.path();
  ModelFileContents c;

  // Identify the file before anything else, so a data file gets a plain "not a model file".
  KONO_USER_REQUIRE(file.has_attribute("/", "kind"), corrupt_file,
                    fq_read << ": \"" << path << "\" is not a kono model file (no root attribute \"kind\"; found: "
                            << Impl::dataset_list(file, 5) << ")");
  std::string const kind = file.attribute_as_text("/", "kind");
  KONO_USER_REQUIRE(kind == kind_model || kind == kind_checkpoint, corrupt_file,
                    fq_read << ": \"" << path << "\" is not a kono model file (root attribute kind = \"" << kind
                            << "\", expected \"" << kind_model << "\" or \"" << kind_checkpoint << "\")");
  KONO_USER_REQUIRE(file.has_attribute("/", "format_version"), corrupt_file,
                    fq_read << ": \"" << path << "\" has no root attribute \"format_version\"");
  std::string const version_text = file.attribute_as_text("/", "format_version");
  std::uint64_t version = 0;
  KONO_USER_REQUIRE(parse_u64(version_text, version) && version >= 1, corrupt_file,
                    fq_read << ": \"" << path << "\" has format_version \"" << version_text
                            << "\"; expected a positive integer");
  KONO_USER_REQUIRE(version <= static_cast<std::uint64_t>(model_format_version), unsupported,
                    fq_read << ": \"" << path << "\" was written by a newer kono, format_version " << version << " > "
                            << model_format_version << "; upgrade kono to read it");
  KONO_USER_REQUIRE(file.has_group("/model"), corrupt_file,
                    fq_read << ": \"" << path << "\" is not a kono model file (no /model group)");

  c.model_type = attribute<std::string>(file, "/model", "model_type");
  c.architecture_json = attribute<std::string>(file, "/model", "architecture");
  c.scalar_type = attribute<std::string>(file, "/model", "scalar_type");
  KONO_USER_REQUIRE(c.scalar_type == "float32" || c.scalar_type == "float64", corrupt_file,
                    fq_read << ": \"" << path << "\" has scalar_type \"" << c.scalar_type
                            << "\"; expected \"float32\" or \"float64\"");
  auto const num_parameters = attribute<std::int64_t>(file, "/model", "num_parameters");
  auto const order = attribute<std::vector<std::string>>(file, "/model", "parameter_order");
  std::vector<std::string> const all_datasets = file.list_datasets();
  c.parameters = read_arrays(file, all_datasets, parameters_group, "parameter", "parameter_order", order,
                             c.scalar_type == "float32" ? Hdf5ElementType::float32 : Hdf5ElementType::float64);
  index_t total = 0;
  for (auto const& p : c.parameters) total += p.shape.size();
  KONO_USER_REQUIRE(total == num_parameters, corrupt_file,
                    fq_read << ": \"" << path << "\" says num_parameters = " << num_parameters
                            << ", its parameter datasets hold " << total << " values");

  if (file.has_group(normalizers_group)) {
    for (auto const& name : attribute<std::vector<std::string>>(file, normalizers_group, "names")) {
      std::string const problem = plain_name_problem(name);
      KONO_USER_REQUIRE(problem.empty(), corrupt_file,
                        fq_read << ": normalizer name \"" << name << "\" in \"" << path << "\" is not valid: "
                                << problem);
      try {
        c.normalizers.emplace_back(name, Normalizer::load(file, std::string(normalizers_group) + "/" + name));
      } catch (Error const& e) {
        throw Error(e.code() == ErrorCode::non_finite ? e.code() : ErrorCode::corrupt_file,
                    std::string(fq_read) + ": normalizer \"" + name + "\": " + e.what());
      }
    }
  }

  if (file.has_group(provenance_group))
    for (auto const& key : file.list_attributes(provenance_group))
      c.provenance.emplace_back(key, attribute<std::string>(file, provenance_group, key));

  bool const has_checkpoint = file.has_group(checkpoint_group);
  KONO_USER_REQUIRE(has_checkpoint == (kind == kind_checkpoint), corrupt_file,
                    fq_read << ": \"" << path << "\" has kind \"" << kind << "\" but "
                            << (has_checkpoint ? "a" : "no") << " " << checkpoint_group << " group");
  if (has_checkpoint) {
    CheckpointState s;
    s.optimizer_json = attribute<std::string>(file, checkpoint_group, "optimizer");
    s.optimizer_steps = attribute<std::int64_t>(file, checkpoint_group, "optimizer_steps");
    s.epoch = attribute<std::int64_t>(file, checkpoint_group, "epoch");
    KONO_USER_REQUIRE(s.optimizer_steps >= 0 && s.epoch >= 0, corrupt_file,
                      fq_read << ": \"" << path << "\" has negative checkpoint counters (optimizer_steps="
                              << s.optimizer_steps << ", epoch=" << s.epoch << ")");
    s.schedule_json = attribute<std::string>(file, checkpoint_group, "schedule");
    std::string const seed = attribute<std::string>(file, checkpoint_group, "shuffle_seed");
    KONO_USER_REQUIRE(parse_u64(seed, s.shuffle_seed), corrupt_file,
                      fq_read << ": \"" << path << "\" has shuffle_seed \"" << seed
                              << "\"; expected a decimal integer in [0, 2^64)");
    s.learning_curve_json = attribute<std::string>(file, checkpoint_group, "learning_curve");
    auto const state_order = attribute<std::vector<std::string>>(file, checkpoint_group, "optimizer_state_order");
    s.optimizer_state = read_arrays(file, all_datasets, optimizer_state_group, "optimizer state",
                                    "optimizer_state_order", state_order, Hdf5ElementType::float64);
    c.checkpoint = std::move(s);
  }
  return c;
}

}  // namespace

void write_model_file(std::string const& path, ModelFileContents const& contents, MPI_Comm comm) {
  ProfilingRegion region("kono::write_model_file");
  int size = 1;
  int rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  // Every Hdf5Writer call needs identical names and attributes on all ranks; ranks' own contents
  // may differ (a "created" timestamp), so all ranks write what rank 0 has.
  // Validated before the broadcast, so that rebuilding rank 0's normalizers elsewhere cannot fail.
  Impl::collective_check(comm, [&] {
    if (rank == 0) validate(path, contents);
  });
  ModelFileContents received;
  ModelFileContents const* c = &contents;
  if (size > 1) {
    std::string buf = rank == 0 ? pack(contents) : std::string();
    broadcast_bytes(buf, comm);
    Impl::collective_check(comm, [&] {
      if (rank == 0) return;
      received = unpack(buf);
      c = &received;
    });
  }

  Hdf5Writer w(path, comm);
  w.write_attribute("/", "kind", c->checkpoint ? kind_checkpoint : kind_model);

  w.create_group("/model");
  w.write_attribute("/model", "model_type", c->model_type);
  w.write_attribute("/model", "architecture", c->architecture_json);
  w.write_attribute("/model", "scalar_type", c->scalar_type);
  index_t total = 0;
  for (auto const& p : c->parameters) total += p.shape.size();
  w.write_attribute("/model", "num_parameters", static_cast<std::int64_t>(total));
  w.write_attribute("/model", "parameter_order", names_of(c->parameters));
  write_arrays(w, parameters_group, "parameter", c->parameters,
               c->scalar_type == "float32" ? Hdf5ElementType::float32 : Hdf5ElementType::float64);

  w.create_group(normalizers_group);
  std::vector<std::string> normalizer_names;
  for (auto const& entry : c->normalizers) normalizer_names.push_back(entry.first);
  w.write_attribute(normalizers_group, "names", normalizer_names);
  for (auto const& [name, n] : c->normalizers) n.save(w, std::string(normalizers_group) + "/" + name);

  w.create_group(provenance_group);
  for (auto const& [key, value] : c->provenance) w.write_attribute(provenance_group, key, value);

  if (c->checkpoint) {
    CheckpointState const& s = *c->checkpoint;
    w.create_group(checkpoint_group);
    w.write_attribute(checkpoint_group, "optimizer", s.optimizer_json);
    w.write_attribute(checkpoint_group, "optimizer_steps", s.optimizer_steps);
    w.write_attribute(checkpoint_group, "epoch", s.epoch);
    w.write_attribute(checkpoint_group, "schedule", s.schedule_json);
    // Decimal text: Hdf5Writer stores int64 only, where a seed >= 2^63 would read back negative.
    w.write_attribute(checkpoint_group, "shuffle_seed", std::to_string(s.shuffle_seed));
    w.write_attribute(checkpoint_group, "learning_curve", s.learning_curve_json);
    w.write_attribute(checkpoint_group, "optimizer_state_order", names_of(s.optimizer_state));
    write_arrays(w, optimizer_state_group, "optimizer state", s.optimizer_state, Hdf5ElementType::float64);
  }
  w.commit();
}

ModelFileContents read_model_file(std::string const& path, MPI_Comm comm) {
  ProfilingRegion region("kono::read_model_file");
  Hdf5File const file(path, comm);
  ModelFileContents contents;
  // Every rank reads the whole (small) file independently; errors are agreed on so that no rank
  // leaves for the collective close while another still reads.
  Impl::collective_check(comm, [&] { contents = read_contents(file); });
  return contents;
}

bool is_checkpoint_file(std::string const& path, MPI_Comm comm) {
  ProfilingRegion region("kono::is_checkpoint_file");
  Hdf5File const file(path, comm);
  return file.has_group(checkpoint_group);
}

}  // namespace kono
