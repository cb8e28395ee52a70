#pragma once
// Helpers shared by kono's tests: error expectations, temporary directories, tolerances.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include <kono/core/error.hpp>

/// Expects `stmt` to throw kono::Error with code `expected_code` and a message containing `fragment`.
#define EXPECT_KONO_ERROR(stmt, expected_code, fragment)                                      \
  do {                                                                                        \
    bool kono_thrown_ = false;                                                                \
    try {                                                                                     \
      stmt;                                                                                   \
    } catch (::kono::Error const& kono_e_) {                                                  \
      kono_thrown_ = true;                                                                    \
      EXPECT_EQ(kono_e_.code(), ::kono::ErrorCode::expected_code)                             \
          << "message: " << kono_e_.what();                                                   \
      EXPECT_THAT(std::string(kono_e_.what()), ::testing::HasSubstr(fragment));              \
    }                                                                                         \
    EXPECT_TRUE(kono_thrown_) << #stmt " did not throw kono::Error";                          \
  } while (false)

namespace kono::test {

/// Directory of the shared real datasets (../shared/data beside the checkout).
inline std::string shared_data(std::string const& name) { return std::string(KONO_SHARED_DATA_DIR) + "/" + name; }

/// A fresh directory under the build tree, removed at scope exit. Same path on every rank of
/// `comm` (rank 0 picks it), so collective file tests can share it.
class TempDir {
 public:
  explicit TempDir(std::string const& tag, MPI_Comm comm = MPI_COMM_SELF) : m_comm(comm) {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    char buf[512] = {};
    if (rank == 0) {
      std::random_device rd;
      std::string p = std::string(KONO_TEST_BINARY_DIR) + "/tmp/" + tag + "_" + std::to_string(rd());
      std::filesystem::create_directories(p);
      std::snprintf(buf, sizeof buf, "%s", p.c_str());
    }
    MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, comm);
    m_path = buf;
  }
  ~TempDir() {
    MPI_Barrier(m_comm);
    int rank = 0;
    MPI_Comm_rank(m_comm, &rank);
    std::error_code ec;
    if (rank == 0) std::filesystem::remove_all(m_path, ec);
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
  std::string const& path() const { return m_path; }
  std::string file(std::string const& name) const { return m_path + "/" + name; }

 private:
  MPI_Comm m_comm;
  std::string m_path;
};

}  // namespace kono::test
