// kono::Hdf5File on the real shared data and on broken files: what it reports, and that every
// failure is a kono::Error with the right code and a message naming the file.
#include <kono/datasets/hdf5_file.hpp>

#include <cmath>
#include <fstream>
#include <iterator>

#include "support/kono_test.hpp"

namespace {

using kono::Hdf5ElementType;
using kono::Hdf5File;
using kono::Shape;
using ::testing::Contains;
using ::testing::HasSubstr;

std::string const darcy = kono::test::shared_data("darcy_16.h5");
std::string const burgers = kono::test::shared_data("burgers_16.h5");

std::vector<char> file_bytes(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(std::string const& path, char const* data, std::size_t n) {
  std::ofstream out(path, std::ios::binary);
  out.write(data, static_cast<std::streamsize>(n));
}

TEST(Hdf5File, DescribesTheDatasetsOfARealFile) {
  Hdf5File const f(darcy, MPI_COMM_SELF);
  EXPECT_EQ(f.path(), darcy);
  EXPECT_TRUE(f.has_dataset("/train/x"));
  EXPECT_TRUE(f.has_dataset("train/y"));  // relative to the root
  EXPECT_FALSE(f.has_dataset("/train"));  // a group, not a dataset
  EXPECT_FALSE(f.has_dataset("/nope/x"));  // missing intermediate group must not throw
  EXPECT_FALSE(f.has_dataset("/train/x/deeper"));
  EXPECT_FALSE(f.has_dataset("/train/z"));
  EXPECT_TRUE(f.has_group("/"));
  EXPECT_TRUE(f.has_group("/test"));
  EXPECT_FALSE(f.has_group("/test/x"));

  auto const x = f.dataset_info("/train/x");
  EXPECT_EQ(x.shape, (Shape{1000, 16, 16}));
  EXPECT_EQ(x.element_type, Hdf5ElementType::float32);
  auto const coords = f.dataset_info("/test/coords");
  EXPECT_EQ(coords.shape, (Shape{16}));
  EXPECT_EQ(coords.element_type, Hdf5ElementType::float64);
  EXPECT_EQ(f.list_datasets(), (std::vector<std::string>{"/test/coords", "/test/x", "/test/y", "/train/coords",
                                                         "/train/x", "/train/y"}));
}

TEST(Hdf5File, ElementTypesOfIntegerAndStringDatasets) {
  Hdf5File const f(kono::test::shared_data("car_surface_mini.h5"), MPI_COMM_SELF);
  EXPECT_EQ(f.dataset_info("/train/faces").element_type, Hdf5ElementType::int32);
  EXPECT_EQ(f.dataset_info("/train/sample_id").element_type, Hdf5ElementType::other);
  EXPECT_STREQ(kono::to_string(Hdf5ElementType::int32), "int32");
}

TEST(Hdf5File, ReadsSmallArrays) {
  Hdf5File const f(darcy, MPI_COMM_SELF);
  auto const c = f.read_array<double>("/train/coords");
  ASSERT_EQ(c.size(), 16u);
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_DOUBLE_EQ(c[i], static_cast<double>(i) / 16.0) << i;
  EXPECT_KONO_ERROR(f.read_array<double>("/train/nothing"), invalid_argument, "/train/nothing");
}

TEST(Hdf5File, ReadsAttributesOfTheRootAndOfGroups) {
  Hdf5File const f(darcy, MPI_COMM_SELF);
  EXPECT_THAT(f.read_attribute<std::string>("/", "layout"), HasSubstr("row-major"));
  EXPECT_EQ(f.read_attribute<std::string>("/", "layout"), "C order (row-major), sample index first");
  EXPECT_EQ(f.read_attribute<std::int64_t>("/train", "n_samples"), 1000);
  EXPECT_EQ(f.read_attribute<std::int64_t>("/test", "resolution"), 16);
  EXPECT_EQ(f.read_attribute<double>("/test", "n_samples"), 50.0);  // integer -> double is exact
  EXPECT_EQ(f.read_attribute<std::vector<std::int64_t>>("/train", "n_samples"), (std::vector<std::int64_t>{1000}));
  EXPECT_THAT(f.read_attribute<std::string>("/train/x", "description"), ::testing::Not(::testing::IsEmpty()));
  EXPECT_TRUE(f.has_attribute("/", "title"));
  EXPECT_FALSE(f.has_attribute("/", "no_such_attribute"));
  EXPECT_FALSE(f.has_attribute("/no/such/object", "title"));

  Hdf5File const b(burgers, MPI_COMM_SELF);
  EXPECT_DOUBLE_EQ(b.read_attribute<double>("/", "viscosity"), 0.01);
}

TEST(Hdf5File, AttributeMisuseIsInvalidArgument) {
  Hdf5File const f(darcy, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(f.read_attribute<std::string>("/", "missing_attr")), invalid_argument,
                    "attribute \"missing_attr\" of \"/\" in \"" + darcy + "\" does not exist");
  EXPECT_KONO_ERROR((void)(f.read_attribute<std::string>("/nowhere", "title")), invalid_argument, "\"/nowhere\" missing");
  EXPECT_KONO_ERROR((void)(f.read_attribute<double>("/", "title")), invalid_argument, "is not a number");
  EXPECT_KONO_ERROR((void)(f.read_attribute<std::string>("/train", "n_samples")), invalid_argument, "is not a string");
  Hdf5File const b(burgers, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(b.read_attribute<std::int64_t>("/", "viscosity")), invalid_argument, "floating-point");
}

TEST(Hdf5File, MissingDatasetNamesDatasetFileAndWhatExists) {
  Hdf5File const f(darcy, MPI_COMM_SELF);
  try {
    (void)f.dataset_info("/train/u");
    ADD_FAILURE() << "no exception";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::invalid_argument);
    std::string const what = e.what();
    EXPECT_THAT(what, HasSubstr("\"/train/u\""));
    EXPECT_THAT(what, HasSubstr(darcy));
    EXPECT_THAT(what, HasSubstr("/train/x"));
    EXPECT_THAT(what, HasSubstr("/test/coords"));
  }
  EXPECT_KONO_ERROR(f.dataset_info("/missing_group/x"), invalid_argument, "(found: /test/coords, /test/x");
}

TEST(Hdf5File, MissingFileIsFileIo) {
  kono::test::TempDir dir("hdf5_missing");
  std::string const path = dir.file("does_not_exist.h5");
  EXPECT_KONO_ERROR((void)Hdf5File(path, MPI_COMM_SELF), file_io, "\"" + path + "\" does not exist");
  EXPECT_KONO_ERROR((void)Hdf5File(dir.path(), MPI_COMM_SELF), file_io, "is a directory");
}

TEST(Hdf5File, GarbageAndEmptyFilesAreCorrupt) {
  kono::test::TempDir dir("hdf5_garbage");
  std::string const garbage = dir.file("garbage.h5");
  std::string const text(4096, 'k');
  write_bytes(garbage, text.data(), text.size());
  EXPECT_KONO_ERROR((void)Hdf5File(garbage, MPI_COMM_SELF), corrupt_file, "\"" + garbage + "\" is not an HDF5 file");
  std::string const empty = dir.file("empty.h5");
  write_bytes(empty, "", 0);
  EXPECT_KONO_ERROR((void)Hdf5File(empty, MPI_COMM_SELF), corrupt_file, empty);
}

TEST(Hdf5File, TruncatedCopyOfRealFileIsCorrupt) {
  kono::test::TempDir dir("hdf5_truncated");
  std::vector<char> const bytes = file_bytes(darcy);
  ASSERT_EQ(bytes.size(), 2161272u);
  std::string const truncated = dir.file("darcy_16_truncated.h5");
  write_bytes(truncated, bytes.data(), bytes.size() / 2);
  try {
    Hdf5File f(truncated, MPI_COMM_SELF);
    ADD_FAILURE() << "opening a truncated file succeeded";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::corrupt_file) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("\"" + truncated + "\" is corrupt or truncated"));
    EXPECT_THAT(e.what(), HasSubstr("truncated file"));  // HDF5's own description
  }
}

TEST(Hdf5File, ErrorStackAndCollectiveCheckHelpers) {
  EXPECT_EQ(kono::Impl::hdf5_error_stack(), "");
  EXPECT_NO_THROW(kono::Impl::collective_check(MPI_COMM_SELF, [] {}));
  EXPECT_KONO_ERROR(kono::Impl::collective_check(
                        MPI_COMM_SELF, [] { KONO_THROW(non_finite, "kono::test: bad value"); }),
                    non_finite, "kono::test: bad value");
}

}  // namespace

namespace {
TEST(Hdf5FileAttributes, ListsAndFormatsAttributesOfTheSharedDarcyFile) {
  kono::Hdf5File const file(kono::test::shared_data("darcy_16.h5"), MPI_COMM_SELF);
  auto const names = file.list_attributes("/");
  EXPECT_THAT(names, ::testing::Contains("source_repository"));
  EXPECT_THAT(names, ::testing::Contains("pde"));
  EXPECT_EQ(file.attribute_as_text("/", "source_repository"), "https://github.com/neuraloperator/neuraloperator");
  EXPECT_EQ(file.attribute_as_text("/test", "n_samples"), "50");
  EXPECT_EQ(file.attribute_as_text("/train", "resolution"), "16");
  EXPECT_KONO_ERROR(file.list_attributes("/nope"), invalid_argument, "\"/nope\" missing");
  EXPECT_KONO_ERROR(file.attribute_as_text("/", "nope"), invalid_argument, "attribute \"nope\"");
}
}  // namespace
