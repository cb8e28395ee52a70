#include <kono/core/error.hpp>
#include <kono/core/mpi_check.hpp>

#include "support/kono_test.hpp"

namespace {

void user_check(int n) { KONO_USER_REQUIRE(n > 0, invalid_argument, "--model.layers=" << n << " must be positive"); }

TEST(Error, UserRequireCarriesCodeAndStreamedMessage) {
  EXPECT_NO_THROW(user_check(3));
  EXPECT_KONO_ERROR(user_check(-2), invalid_argument, "--model.layers=-2 must be positive");
}

TEST(Error, UserErrorsHaveNoSourceLocationButInternalOnesDo) {
  try {
    user_check(0);
    FAIL() << "no throw";
  } catch (kono::Error const& e) {
    EXPECT_THAT(e.what(), ::testing::Not(::testing::HasSubstr("test_error.cpp")));
  }
  try {
    KONO_REQUIRE(1 + 1 == 3, "arithmetic");
    FAIL() << "no throw";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::internal);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("test_error.cpp"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("1 + 1 == 3"));
  }
}

TEST(Error, CodeNamesAreStable) {
  EXPECT_STREQ(kono::to_string(kono::ErrorCode::file_io), "file_io");
  EXPECT_STREQ(kono::to_string(kono::ErrorCode::non_finite), "non_finite");
  EXPECT_EQ(static_cast<int>(kono::ErrorCode::invalid_argument), 1);
  EXPECT_EQ(static_cast<int>(kono::ErrorCode::internal), 9);
}

TEST(Error, MpiCheckTurnsFailuresIntoErrors) {
  MPI_Comm dup;
  MPI_Comm_dup(MPI_COMM_SELF, &dup);
  MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
  int value = 1;
  // Root 5 does not exist on a one-process communicator.
  EXPECT_KONO_ERROR(KONO_MPI_CHECK(MPI_Bcast(&value, 1, MPI_INT, 5, dup)), mpi, "MPI_Bcast");
  MPI_Comm_free(&dup);
}

}  // namespace

#include <kono/core/closest_match.hpp>

namespace {
TEST(ClosestMatch, SuggestsOnlyNearNames) {
  std::vector<std::string> const known{"spectral_conv", "linear", "gelu"};
  EXPECT_EQ(kono::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(kono::closest_match("spectal_conv", known), "spectral_conv");
  EXPECT_EQ(kono::closest_match("lnear", known), "linear");
  EXPECT_EQ(kono::closest_match("transformer", known), "");
  EXPECT_EQ(kono::known_names_hint("gelo", known), "; known: spectral_conv, linear, gelu; did you mean \"gelu\"?");
}
}  // namespace
