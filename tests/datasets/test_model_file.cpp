// kono model files and checkpoints: exact round trips in float32 and float64, the documented
// layout, atomic overwrite, and every kind of broken file reported with the file and the item.
#include <kono/core/config.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/model_file.hpp>

#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "datasets/model_file_fixture.hpp"
#include "support/kono_test.hpp"

namespace {

using kono::ModelFileContents;
using kono::read_model_file;
using kono::Shape;
using kono::write_model_file;

MPI_Comm const self = MPI_COMM_SELF;

std::vector<char> file_bytes(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::size_t entries_in(std::string const& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

// --- Raw HDF5 edits, to make files that kono itself would never write. -----------------------

class RawFile {
 public:
  explicit RawFile(std::string const& path) : m_id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    EXPECT_GE(m_id, 0) << "cannot open " << path;
  }
  ~RawFile() {
    if (m_id >= 0) H5Fclose(m_id);
  }
  RawFile(RawFile const&) = delete;
  RawFile& operator=(RawFile const&) = delete;
  hid_t id() const { return m_id; }

  void set_string_attribute(char const* object, char const* name, std::string const& value) {
    hid_t const obj = H5Oopen(m_id, object, H5P_DEFAULT);
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t const type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    hid_t const space = H5Screate(H5S_SCALAR);
    hid_t const attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    char const* data = value.c_str();
    EXPECT_GE(H5Awrite(attr, type, &data), 0) << object << " " << name;
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(obj);
  }
  void set_int_attribute(char const* object, char const* name, std::int64_t value) {
    hid_t const obj = H5Oopen(m_id, object, H5P_DEFAULT);
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t const space = H5Screate(H5S_SCALAR);
    hid_t const attr = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(H5Awrite(attr, H5T_NATIVE_INT64, &value), 0) << object << " " << name;
    H5Aclose(attr);
    H5Sclose(space);
    H5Oclose(obj);
  }
  void delete_attribute(char const* object, char const* name) {
    hid_t const obj = H5Oopen(m_id, object, H5P_DEFAULT);
    EXPECT_GE(H5Adelete(obj, name), 0) << object << " " << name;
    H5Oclose(obj);
  }
  void delete_link(char const* object) { EXPECT_GE(H5Ldelete(m_id, object, H5P_DEFAULT), 0) << object; }
  /// Overwrites a whole float32 or float64 dataset with `values` (memory type of the same size).
  void overwrite(char const* dataset, std::vector<double> const& values, bool as_float) {
    hid_t const d = H5Dopen2(m_id, dataset, H5P_DEFAULT);
    EXPECT_GE(d, 0) << dataset;
    herr_t rc = -1;
    if (as_float) {
      // Element-wise casts of quiet NaN/Inf raise no FE_INVALID.
      std::vector<float> f(values.begin(), values.end());
      rc = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, f.data());
    } else {
      rc = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    }
    EXPECT_GE(rc, 0) << dataset;
    H5Dclose(d);
  }
  void add_dataset(char const* dataset, double value) {
    hsize_t const n = 1;
    hid_t const space = H5Screate_simple(1, &n, nullptr);
    hid_t const d = H5Dcreate2(m_id, dataset, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), 0) << dataset;
    H5Dclose(d);
    H5Sclose(space);
  }

 private:
  hid_t m_id;
};

// --- Round trips -------------------------------------------------------------------------------

TEST(ModelFile, RoundTripFloat64CheckpointIsExact) {
  kono::test::TempDir dir("model_f64");
  std::string const path = dir.file("ckpt.h5");
  ModelFileContents const want = kono::test::sample_contents("float64", true);
  write_model_file(path, want, self);
  EXPECT_TRUE(kono::is_checkpoint_file(path, self));
  kono::test::expect_contents_equal(read_model_file(path, self), want);
}

TEST(ModelFile, RoundTripFloat32CheckpointIsExactAfterRounding) {
  kono::test::TempDir dir("model_f32");
  std::string const path = dir.file("ckpt32.h5");
  ModelFileContents want = kono::test::sample_contents("float32", true);
  write_model_file(path, want, self);
  EXPECT_TRUE(kono::is_checkpoint_file(path, self));
  kono::test::expect_contents_equal(read_model_file(path, self), want);

  // Doubles that are not floats come back as the nearest float, bit for bit.
  std::vector<double> const raw{0.1, 1.0 / 3.0, -2.0e-3, 123456.789, 3.0e38};
  want.parameters[0] = {"10.proj.weight", Shape{5}, raw};
  want.checkpoint.reset();
  write_model_file(path, want, self);
  ModelFileContents const got = read_model_file(path, self);
  std::vector<double> rounded;
  for (double v : raw) rounded.push_back(static_cast<double>(static_cast<float>(v)));
  kono::test::expect_bitwise(got.parameters.at(0).values, rounded, "rounded");
  EXPECT_NE(got.parameters.at(0).values[0], 0.1);
}

TEST(ModelFile, ModelWithoutCheckpoint) {
  kono::test::TempDir dir("model_plain");
  std::string const path = dir.file("model.h5");
  ModelFileContents const want = kono::test::sample_contents("float64", false);
  write_model_file(path, want, self);
  ModelFileContents const got = read_model_file(path, self);
  EXPECT_FALSE(got.checkpoint.has_value());
  EXPECT_FALSE(kono::is_checkpoint_file(path, self));
  kono::test::expect_contents_equal(got, want);
  kono::Hdf5File const f(path, self);
  EXPECT_EQ(f.read_attribute<std::string>("/", "kind"), "kono-model");
  EXPECT_FALSE(f.has_group("/checkpoint"));
}

TEST(ModelFile, EmptyAndSingleParameterModels) {
  kono::test::TempDir dir("model_small");
  std::string const path = dir.file("small.h5");
  ModelFileContents c;
  c.model_type = "identity";
  c.scalar_type = "float32";
  write_model_file(path, c, self);  // no parameters, normalizers, provenance; empty architecture
  kono::test::expect_contents_equal(read_model_file(path, self), c);

  // One name: the writer stores a one-element list as a scalar string attribute.
  c.parameters.push_back({"w", Shape{2, 1}, {1.5, -0.5}});
  c.checkpoint = kono::CheckpointState{};
  c.checkpoint->optimizer_state.push_back({"momentum", Shape{2}, {0.0, 1.0}});
  write_model_file(path, c, self);
  kono::test::expect_contents_equal(read_model_file(path, self), c);
}

TEST(ModelFile, LayoutIsTheDocumentedOne) {
  kono::test::TempDir dir("model_layout");
  std::string const path = dir.file("layout.h5");
  write_model_file(path, kono::test::sample_contents("float32", true), self);
  kono::Hdf5File const f(path, self);
  EXPECT_EQ(f.read_attribute<std::string>("/", "format_version"), "1");
  EXPECT_EQ(f.read_attribute<std::string>("/", "kono_version"), KONO_VERSION_STRING);
  EXPECT_EQ(f.read_attribute<std::string>("/", "kind"), "kono-checkpoint");
  EXPECT_EQ(f.read_attribute<std::string>("/model", "model_type"), "fno");
  EXPECT_EQ(f.read_attribute<std::string>("/model", "scalar_type"), "float32");
  EXPECT_EQ(f.read_attribute<std::int64_t>("/model", "num_parameters"), 12 + 48 + 4 + 1 + 0);
  EXPECT_EQ(f.read_attribute<std::vector<std::string>>("/model", "parameter_order"),
            (std::vector<std::string>{"10.proj.weight", "2.body.weight", "2.body.bias", "0.scale", "1.unused"}));
  auto const info = f.dataset_info("/model/parameters/2/body/weight");
  EXPECT_EQ(info.shape, (Shape{2, 4, 3, 2}));
  EXPECT_EQ(info.element_type, kono::Hdf5ElementType::float32);
  EXPECT_EQ(f.read_attribute<std::string>("/model/parameters/2/body/weight", "name"), "2.body.weight");
  EXPECT_EQ(f.dataset_info("/model/parameters/0/scale").shape.rank(), 0);  // HDF5 scalar dataspace
  EXPECT_EQ(f.dataset_info("/model/parameters/1/unused").shape, (Shape{0}));
  EXPECT_EQ(f.read_attribute<std::vector<std::string>>("/normalizers", "names"),
            (std::vector<std::string>{"target", "input"}));
  EXPECT_TRUE(f.has_dataset("/normalizers/input/mean"));
  EXPECT_EQ(f.read_attribute<std::string>("/provenance", "git_revision"), "abc1234");
  EXPECT_EQ(f.read_attribute<std::int64_t>("/checkpoint", "epoch"), 7);
  EXPECT_EQ(f.read_attribute<std::int64_t>("/checkpoint", "optimizer_steps"), 1234);
  EXPECT_EQ(f.read_attribute<std::string>("/checkpoint", "shuffle_seed"), "18446744073709551557");
  EXPECT_EQ(f.dataset_info("/checkpoint/optimizer_state/exp_avg_sq").element_type,
            kono::Hdf5ElementType::float64);
}

// --- Writing: refusals and atomicity ----------------------------------------------------------

TEST(ModelFile, WriteRefusesBadContentsAndCreatesNothing) {
  kono::test::TempDir dir("model_refuse");
  std::string const path = dir.file("bad.h5");
  auto with_param = [](std::string const& name, Shape const& shape, std::vector<double> const& v) {
    ModelFileContents c = kono::test::sample_contents("float64", false);
    c.parameters.push_back({name, shape, v});
    return c;
  };
  double const nan = std::numeric_limits<double>::quiet_NaN();
  double const inf = std::numeric_limits<double>::infinity();
  EXPECT_KONO_ERROR(write_model_file(path, with_param("a..b", Shape{1}, {1.0}), self), invalid_argument,
                    "parameter name \"a..b\" is not valid");
  EXPECT_KONO_ERROR(write_model_file(path, with_param("a/b", Shape{1}, {1.0}), self), invalid_argument,
                    "contains '/'");
  EXPECT_KONO_ERROR(write_model_file(path, with_param("", Shape{1}, {1.0}), self), invalid_argument, "is empty");
  EXPECT_KONO_ERROR(write_model_file(path, with_param(".w", Shape{1}, {1.0}), self), invalid_argument,
                    "empty component");
  EXPECT_KONO_ERROR(write_model_file(path, with_param("2.body.bias", Shape{1}, {1.0}), self), invalid_argument,
                    "\"2.body.bias\" appears twice");
  EXPECT_KONO_ERROR(write_model_file(path, with_param("2.body", Shape{1}, {1.0}), self), invalid_argument,
                    "\"2.body\" and \"2.body.weight\" clash");
  EXPECT_KONO_ERROR(write_model_file(path, with_param("x", Shape{2, 2}, {1.0}), self), size_mismatch,
                    "\"x\" has 1 values, its shape [2, 2] needs 4");
  EXPECT_KONO_ERROR(write_model_file(path, with_param("x", Shape{3}, {1.0, nan, inf}), self), non_finite,
                    "parameter \"x\" has 2 NaN/Inf values (first at flat index 1)");
  ModelFileContents c = with_param("x", Shape{2}, {1.0, 1e39});
  c.scalar_type = "float32";
  EXPECT_KONO_ERROR(write_model_file(path, c, self), non_finite, "beyond float32 range");
  c = kono::test::sample_contents("float64", true);
  c.scalar_type = "float16";
  EXPECT_KONO_ERROR(write_model_file(path, c, self), invalid_argument, "scalar_type \"float16\"");
  c = kono::test::sample_contents("float64", true);
  c.model_type.clear();
  EXPECT_KONO_ERROR(write_model_file(path, c, self), invalid_argument, "model_type is empty");
  c = kono::test::sample_contents("float64", true);
  c.checkpoint->epoch = -1;
  EXPECT_KONO_ERROR(write_model_file(path, c, self), invalid_argument, "epoch=-1");
  c = kono::test::sample_contents("float64", true);
  c.checkpoint->optimizer_state[1].values[5] = nan;
  EXPECT_KONO_ERROR(write_model_file(path, c, self), non_finite, "optimizer state \"exp_avg_sq\"");
  c = kono::test::sample_contents("float64", true);
  c.provenance.emplace_back("created", "again");
  EXPECT_KONO_ERROR(write_model_file(path, c, self), invalid_argument, "provenance key \"created\" appears twice");
  c = kono::test::sample_contents("float64", true);
  c.normalizers.emplace_back("a/b", c.normalizers[0].second);
  EXPECT_KONO_ERROR(write_model_file(path, c, self), invalid_argument, "normalizer name \"a/b\"");
  c = kono::test::sample_contents("float64", true);
  c.normalizers.emplace_back("unfitted", kono::Normalizer(kono::NormalizerKind::scalar));
  EXPECT_KONO_ERROR(write_model_file(path, c, self), wrong_state, "call fit() first");
  c = kono::test::sample_contents("float64", true);
  c.normalizers.emplace_back("nan_stats", kono::test::nan_fitted_normalizer());
  EXPECT_KONO_ERROR(write_model_file(path, c, self), non_finite, "normalizer \"nan_stats\" has 1 NaN/Inf means");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(entries_in(dir.path()), 0u);  // no temporary files left either

  std::string const nowhere = dir.file("no/such/dir/model.h5");
  EXPECT_KONO_ERROR(write_model_file(nowhere, kono::test::sample_contents("float64", true), self), file_io,
                    "\"" + nowhere + "\"");
}

TEST(ModelFile, FailedOverwriteLeavesTheOldFileIntact) {
  kono::test::TempDir dir("model_atomic");
  std::string const path = dir.file("model.h5");
  ModelFileContents const old = kono::test::sample_contents("float64", true);
  write_model_file(path, old, self);
  std::vector<char> const before = file_bytes(path);
  ASSERT_FALSE(before.empty());

  // A NaN in the last optimizer array fails after everything else already went to the temporary file.
  ModelFileContents bad = kono::test::sample_contents("float32", true);
  bad.checkpoint->optimizer_state.back().values.back() = std::numeric_limits<double>::quiet_NaN();
  EXPECT_KONO_ERROR(write_model_file(path, bad, self), non_finite, "exp_avg_sq");
  // A NaN in the last parameter, before any checkpoint state.
  bad = kono::test::sample_contents("float64", false);
  bad.parameters.push_back({"9.late", Shape{3}, {1.0, 2.0, std::numeric_limits<double>::quiet_NaN()}});
  EXPECT_KONO_ERROR(write_model_file(path, bad, self), non_finite, "\"9.late\"");
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(entries_in(dir.path()), 1u);
  kono::test::expect_contents_equal(read_model_file(path, self), old);

  // A successful overwrite replaces it.
  ModelFileContents const next = kono::test::sample_contents("float32", false);
  write_model_file(path, next, self);
  kono::test::expect_contents_equal(read_model_file(path, self), next);
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

// --- Reading broken files ----------------------------------------------------------------------

TEST(ModelFile, MissingGarbageTruncatedAndForeignFiles) {
  kono::test::TempDir dir("model_corrupt");
  std::string const missing = dir.file("missing.h5");
  EXPECT_KONO_ERROR((void)read_model_file(missing, self), file_io, missing);
  EXPECT_KONO_ERROR((void)kono::is_checkpoint_file(missing, self), file_io, missing);

  std::string const garbage = dir.file("garbage.h5");
  std::ofstream(garbage, std::ios::binary) << std::string(4096, 'k') << "not hdf5";
  EXPECT_KONO_ERROR((void)read_model_file(garbage, self), corrupt_file, garbage);

  std::string const good = dir.file("good.h5");
  write_model_file(good, kono::test::sample_contents("float64", true), self);
  std::vector<char> bytes = file_bytes(good);
  std::string const truncated = dir.file("truncated.h5");
  std::ofstream(truncated, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_KONO_ERROR((void)read_model_file(truncated, self), corrupt_file, truncated);

  std::string const darcy = kono::test::shared_data("darcy_16.h5");
  EXPECT_KONO_ERROR((void)read_model_file(darcy, self), corrupt_file, "is not a kono model file");
  EXPECT_KONO_ERROR((void)read_model_file(darcy, self), corrupt_file, darcy);
  EXPECT_FALSE(kono::is_checkpoint_file(darcy, self));
}

TEST(ModelFile, NewerFormatVersionIsUnsupported) {
  kono::test::TempDir dir("model_version");
  std::string const path = dir.file("future.h5");
  write_model_file(path, kono::test::sample_contents("float64", false), self);
  RawFile(path).set_string_attribute("/", "format_version", "2");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), unsupported, "written by a newer kono, format_version 2 > 1");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), unsupported, path);
  // Numbers are compared, not strings: "01" is version 1, and an integer attribute is accepted.
  RawFile(path).set_string_attribute("/", "format_version", "01");
  EXPECT_NO_THROW((void)read_model_file(path, self));
  RawFile(path).set_int_attribute("/", "format_version", 1);
  EXPECT_NO_THROW((void)read_model_file(path, self));
  RawFile(path).set_int_attribute("/", "format_version", 10);
  EXPECT_KONO_ERROR((void)read_model_file(path, self), unsupported, "format_version 10 > 1");
  RawFile(path).set_string_attribute("/", "format_version", "one");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "format_version \"one\"");
}

TEST(ModelFile, MissingAndInconsistentItemsAreNamed) {
  kono::test::TempDir dir("model_items");
  std::string const path = dir.file("m.h5");
  auto fresh = [&](std::string const& scalar_type = "float64") {
    write_model_file(path, kono::test::sample_contents(scalar_type, true), self);
  };

  fresh();
  RawFile(path).delete_link("/model/parameters/2/body/bias");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file,
                    "parameter \"2.body.bias\" (dataset \"/model/parameters/2/body/bias\") missing in \"" + path);

  fresh();
  RawFile(path).delete_link("/checkpoint/optimizer_state/exp_avg");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "optimizer state \"exp_avg\"");

  fresh();
  RawFile(path).delete_attribute("/", "kind");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "is not a kono model file");

  fresh();
  RawFile(path).set_string_attribute("/", "kind", "kono-samples");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "kind = \"kono-samples\"");

  fresh();
  RawFile(path).delete_link("/model");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "not a kono model file (no /model group)");

  fresh();
  RawFile(path).set_string_attribute("/", "kind", "kono-model");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "kind \"kono-model\" but a /checkpoint group");

  fresh();
  RawFile(path).set_int_attribute("/model", "num_parameters", 66);
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "num_parameters = 66");

  fresh();
  RawFile(path).delete_attribute("/model", "parameter_order");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "attribute \"parameter_order\" of \"/model\"");

  fresh();
  RawFile(path).add_dataset("/model/parameters/2/body/extra", 1.0);
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file,
                    "\"/model/parameters/2/body/extra\" in \"" + path +
                        "\" is not listed in attribute \"parameter_order\"");

  fresh("float32");
  RawFile(path).set_string_attribute("/model", "scalar_type", "float64");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file,
                    "parameter \"10.proj.weight\" in \"" + path + "\" is stored as float32, expected float64");

  fresh();
  RawFile(path).set_string_attribute("/model/parameters/0/scale", "name", "0.other");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "says it holds \"0.other\"");

  fresh();
  RawFile(path).set_string_attribute("/checkpoint", "shuffle_seed", "-3");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "shuffle_seed \"-3\"");

  fresh();
  RawFile(path).delete_link("/normalizers/input/std");
  EXPECT_KONO_ERROR((void)read_model_file(path, self), corrupt_file, "normalizer \"input\"");
}

TEST(ModelFile, NonFiniteValuesAreNamed) {
  kono::test::TempDir dir("model_nan");
  std::string const path = dir.file("nan.h5");
  double const nan = std::numeric_limits<double>::quiet_NaN();
  double const inf = std::numeric_limits<double>::infinity();

  write_model_file(path, kono::test::sample_contents("float64", true), self);
  RawFile(path).overwrite("/model/parameters/2/body/bias", {0.0, nan, 1.0, nan}, false);
  EXPECT_KONO_ERROR((void)read_model_file(path, self), non_finite,
                    "parameter \"2.body.bias\" in \"" + path + "\" has 2 NaN/Inf values (first at flat index 1)");

  write_model_file(path, kono::test::sample_contents("float32", true), self);
  std::vector<double> w(12, 0.5);
  w[7] = -inf;
  RawFile(path).overwrite("/model/parameters/10/proj/weight", w, true);
  EXPECT_KONO_ERROR((void)read_model_file(path, self), non_finite, "parameter \"10.proj.weight\"");

  write_model_file(path, kono::test::sample_contents("float32", true), self);
  std::vector<double> s(64, 1.0);
  s[63] = nan;
  RawFile(path).overwrite("/checkpoint/optimizer_state/exp_avg", s, false);
  EXPECT_KONO_ERROR((void)read_model_file(path, self), non_finite, "optimizer state \"exp_avg\"");
}

}  // namespace
