// kono::Hdf5Writer: attributes and arrays round trip, files appear only on commit(), failures
// leave an existing file byte-for-byte unchanged.
#include <kono/core/config.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/datasets/hdf5_writer.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "support/kono_test.hpp"

namespace {

using kono::Hdf5File;
using kono::Hdf5Writer;
using kono::Shape;

std::vector<char> file_bytes(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::size_t entries_in(std::string const& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

kono::Tensor<kono::DefaultMemorySpace, double> ramp(Shape const& shape, double offset) {
  kono::Tensor<kono::HostSpace, double> h("kono::test::ramp", shape);
  for (kono::index_t i = 0; i < h.size(); ++i) h.data()(i) = offset + 0.5 * static_cast<double>(i);
  return h.clone_to<kono::DefaultMemorySpace>("kono::test::ramp");
}

TEST(Hdf5Writer, RootCarriesFormatAndKonoVersion) {
  kono::test::TempDir dir("writer_root");
  std::string const path = dir.file("out.h5");
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    EXPECT_FALSE(std::filesystem::exists(path));  // nothing at the target before commit
    EXPECT_TRUE(std::filesystem::exists(w.temporary_path()));
    EXPECT_EQ(std::filesystem::path(w.temporary_path()).parent_path(), std::filesystem::path(dir.path()));
    w.commit();
    EXPECT_TRUE(w.committed());
    EXPECT_FALSE(std::filesystem::exists(w.temporary_path()));
  }
  Hdf5File const f(path, MPI_COMM_SELF);
  EXPECT_EQ(f.read_attribute<std::string>("/", "format_version"), "1");
  EXPECT_EQ(f.read_attribute<std::string>("/", "kono_version"), KONO_VERSION_STRING);
}

TEST(Hdf5Writer, NewerFormatVersionIsRefusedBySampleStore) {
  kono::test::TempDir dir("writer_version");
  std::string const path = dir.file("future.h5");
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_attribute("/", "format_version", "2");
    w.commit();
  }
  EXPECT_KONO_ERROR((void)kono::Hdf5SampleStore(path, MPI_COMM_SELF), unsupported,
                    "has format_version \"2\"; this kono reads format_version \"1\"");
}

TEST(Hdf5Writer, AttributesOfEveryTypeRoundTrip) {
  kono::test::TempDir dir("writer_attrs");
  std::string const path = dir.file("attrs.h5");
  std::vector<double> const dv{0.1, -2.5e300, 3.0, 1e-310};
  std::vector<std::int64_t> const iv{-1, 0, 9007199254740993LL};
  std::vector<std::string> const sv{"alpha", "", "gamma with spaces", "ünïcødé"};
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_attribute("/", "title", std::string("kono test file"));
    w.write_attribute("/", "pi", 3.141592653589793);
    w.write_attribute("/", "answer", std::int64_t{42});
    w.write_attribute("/", "doubles", dv);
    w.write_attribute("/", "ints", iv);
    w.write_attribute("/", "strings", sv);
    w.write_attribute("/", "no_doubles", std::vector<double>{});
    w.write_attribute("/", "empty_string", "");
    w.write_attribute("/", "answer", std::int64_t{43});  // replaces
    w.create_group("/a/b/c");
    w.create_group("/a/b");  // exists: no-op
    w.write_attribute("/a/b/c", "where", "deep");
    w.write_array("/a/coords", Shape{2, 3}, std::vector<double>{0, 1, 2, 3, 4, 5});
    w.write_array("/a/ids", Shape{3}, std::vector<std::int64_t>{7, 8, 9}, kono::Hdf5ElementType::int32);
    w.write_attribute("/a/coords", "units", "m");
    w.commit();
  }
  Hdf5File const f(path, MPI_COMM_SELF);
  EXPECT_EQ(f.read_attribute<std::string>("/", "title"), "kono test file");
  EXPECT_EQ(f.read_attribute<double>("/", "pi"), 3.141592653589793);
  EXPECT_EQ(f.read_attribute<std::int64_t>("/", "answer"), 43);
  EXPECT_EQ(f.read_attribute<std::vector<double>>("/", "doubles"), dv);
  EXPECT_EQ(f.read_attribute<std::vector<std::int64_t>>("/", "ints"), iv);
  EXPECT_EQ(f.read_attribute<std::vector<std::string>>("/", "strings"), sv);
  EXPECT_TRUE(f.read_attribute<std::vector<double>>("/", "no_doubles").empty());
  EXPECT_EQ(f.read_attribute<std::string>("/", "empty_string"), "");
  EXPECT_EQ(f.read_attribute<std::string>("/a/b/c", "where"), "deep");
  EXPECT_EQ(f.read_attribute<std::string>("/a/coords", "units"), "m");
  EXPECT_TRUE(f.has_group("/a/b/c"));
  EXPECT_EQ(f.dataset_info("/a/coords").shape, (Shape{2, 3}));
  EXPECT_EQ(f.read_array<double>("/a/coords"), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(f.dataset_info("/a/ids").element_type, kono::Hdf5ElementType::int32);
  EXPECT_EQ(f.read_array<std::int64_t>("/a/ids"), (std::vector<std::int64_t>{7, 8, 9}));
  EXPECT_KONO_ERROR((void)(f.read_attribute<std::string>("/", "strings")), invalid_argument, "holds 4 values, expected exactly 1");
}

TEST(Hdf5Writer, WithoutCommitNoFileIsLeft) {
  kono::test::TempDir dir("writer_nocommit");
  std::string const path = dir.file("never.h5");
  std::string tmp;
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    tmp = w.temporary_path();
    w.write_samples("/train/x", Shape{4, 3}, ramp(Shape{4, 3}, 0.0), 0);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(Hdf5Writer, FailureLeavesExistingFileUntouched) {
  kono::test::TempDir dir("writer_atomic");
  std::string const path = dir.file("data.h5");
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_samples("/v1", Shape{2, 5}, ramp(Shape{2, 5}, 1.0), 0);
    w.commit();
  }
  std::vector<char> const before = file_bytes(path);
  ASSERT_FALSE(before.empty());

  // An exception half-way through a rewrite: the old file must survive unchanged.
  try {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_samples("/v2", Shape{3, 5}, ramp(Shape{3, 5}, 7.0), 0);
    w.write_samples("/v2", Shape{3, 5}, ramp(Shape{3, 5}, 7.0), 0);  // exists: throws
    ADD_FAILURE() << "second write of /v2 did not throw";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::invalid_argument);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("\"/v2\" already exists"));
  }
  try {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_samples("/v3", Shape{3, 5}, ramp(Shape{3, 5}, 7.0), 0);
    throw std::runtime_error("simulated failure before commit");
  } catch (std::runtime_error const&) {
  }
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(entries_in(dir.path()), 1u);  // no stray temporary files
  {
    Hdf5File const f(path, MPI_COMM_SELF);
    EXPECT_TRUE(f.has_dataset("/v1"));
    EXPECT_FALSE(f.has_dataset("/v2"));
  }

  // A committed rewrite replaces the file.
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_samples("/v4", Shape{1, 5}, ramp(Shape{1, 5}, 2.0), 0);
    w.commit();
  }
  Hdf5File const f(path, MPI_COMM_SELF);
  EXPECT_FALSE(f.has_dataset("/v1"));
  EXPECT_TRUE(f.has_dataset("/v4"));
}

TEST(Hdf5Writer, UnwritableDirectoryIsFileIo) {
  kono::test::TempDir dir("writer_unwritable");
  std::string const missing_dir = dir.file("no/such/dir/out.h5");
  EXPECT_KONO_ERROR((void)Hdf5Writer(missing_dir, MPI_COMM_SELF), file_io, "cannot create \"" + missing_dir + "\"");
  // A regular file where a directory should be: fails even for root, unlike permission bits.
  std::string const blocker = dir.file("plain_file");
  std::ofstream(blocker) << "x";
  std::string const under_file = blocker + "/out.h5";
  EXPECT_KONO_ERROR((void)Hdf5Writer(under_file, MPI_COMM_SELF), file_io, under_file);
  EXPECT_KONO_ERROR((void)Hdf5Writer(dir.path(), MPI_COMM_SELF), file_io, "is a directory");
}

TEST(Hdf5Writer, IntegerRowsRoundTripAsInt32AndInt64) {
  kono::test::TempDir dir("writer_rows");
  std::string const path = dir.file("rows.h5");
  std::vector<std::int64_t> const cells{0, 1, 2, 2, 1, 3, 7, 8, 9};
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    // Rows [1, 4) of a [5, 3] dataset; rows 0 and 4 are written by nobody and read as 0.
    w.write_rows("/mesh/cells", Shape{5, 3}, cells, 1, kono::Hdf5ElementType::int32);
    w.write_rows("/mesh/big", Shape{2}, std::vector<std::int64_t>{-5, std::int64_t(1) << 40}, 0);
    w.write_rows("/mesh/none", Shape{0, 2}, std::vector<std::int64_t>{}, 0);
    EXPECT_KONO_ERROR(w.write_rows("/bad", Shape{3, 3}, std::vector<std::int64_t>{1, 2}, 0), size_mismatch,
                      "not whole rows");
    EXPECT_KONO_ERROR(w.write_rows("/bad", Shape{3, 3}, cells, 1), invalid_argument, "rows [1, 4) out of range");
    EXPECT_KONO_ERROR(w.write_rows("/bad", Shape{1}, std::vector<std::int64_t>{std::int64_t(1) << 40}, 0,
                                   kono::Hdf5ElementType::int32),
                      invalid_argument, "does not fit int32");
    EXPECT_KONO_ERROR(w.write_rows("/bad", Shape{1}, std::vector<std::int64_t>{1}, 0, kono::Hdf5ElementType::float64),
                      invalid_argument, "int32 or int64");
    w.commit();
  }
  Hdf5File const f(path, MPI_COMM_SELF);
  auto const info = f.dataset_info("/mesh/cells");
  EXPECT_EQ(info.shape, (Shape{5, 3}));
  EXPECT_EQ(info.element_type, kono::Hdf5ElementType::int32);
  auto const back = f.read_array<std::int64_t>("/mesh/cells");
  std::vector<std::int64_t> want(3, 0);
  want.insert(want.end(), cells.begin(), cells.end());
  want.insert(want.end(), 3, 0);
  EXPECT_EQ(back, want);
  EXPECT_EQ(f.dataset_info("/mesh/big").element_type, kono::Hdf5ElementType::int64);
  EXPECT_EQ(f.read_array<std::int64_t>("/mesh/big"), (std::vector<std::int64_t>{-5, std::int64_t(1) << 40}));
  EXPECT_EQ(f.dataset_info("/mesh/none").shape, (Shape{0, 2}));
}

TEST(Hdf5Writer, MisuseIsReportedWithNames) {
  kono::test::TempDir dir("writer_misuse");
  std::string const path = dir.file("misuse.h5");
  Hdf5Writer w(path, MPI_COMM_SELF);
  auto const t = ramp(Shape{3, 4}, 0.0);
  EXPECT_KONO_ERROR(w.write_samples("/a", Shape{3, 5}, t, 0), size_mismatch, "needs [count, 5]");
  EXPECT_KONO_ERROR(w.write_samples("/a", Shape{4, 4}, t, 2), invalid_argument, "samples [2, 5) out of range");
  EXPECT_KONO_ERROR(w.write_samples("/a", Shape{3, 4}, t, 0, kono::Hdf5ElementType::int32), invalid_argument,
                    "float32 or float64");
  EXPECT_KONO_ERROR((void)(w.write_array("/b", Shape{2, 2}, std::vector<double>{1, 2, 3})), size_mismatch,
                    "needs 4 values, got 3");
  EXPECT_KONO_ERROR((void)(w.write_array("/b", Shape{1}, std::vector<double>{1}, kono::Hdf5ElementType::int64)),
                    invalid_argument, "cannot be stored as int64");
  EXPECT_KONO_ERROR(w.write_attribute("/nowhere", "x", 1.0), invalid_argument, "\"/nowhere\" missing");
  // [count, 1, 4] into a [N, 4] dataset: the channel axis of one is dropped.
  w.write_samples("/squeezed", Shape{3, 4}, t.reshape(Shape{3, 1, 4}), 0);
  w.commit();
  EXPECT_KONO_ERROR(w.write_attribute("/", "late", 1.0), wrong_state, "already committed");
  EXPECT_KONO_ERROR(w.commit(), wrong_state, "already committed");
}

}  // namespace
