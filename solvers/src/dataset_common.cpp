#include "dataset_common.hpp"

#include <petscsys.h>

#include <cstdio>
#include <ctime>

#include <kono/core/git_revision.hpp>
#include <kono/core/config.hpp>
#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace kono::detail {

void validate_dataset_output(char const* fq, std::string const& out, index_t samples, Hdf5ElementType dtype,
                             std::string const& group) {
  KONO_USER_REQUIRE(!out.empty(), invalid_argument, fq << ": option out (the output file) is empty");
  KONO_USER_REQUIRE(samples >= 1, invalid_argument, fq << ": samples = " << samples << ", expected at least 1");
  KONO_USER_REQUIRE(dtype == Hdf5ElementType::float32 || dtype == Hdf5ElementType::float64, invalid_argument,
                    fq << ": dtype " << to_string(dtype) << ", expected float32 or float64");
  KONO_USER_REQUIRE(group.find("//") == std::string::npos && group.find_first_of(" \t\n.") == std::string::npos,
                    invalid_argument, fq << ": group \"" << group << "\" is not a plain HDF5 group path");
}

void require_petsc(char const* fq) {
  if (!PetscInitializeCalled && Runtime::exists()) ensure_petsc_initialized(Runtime::current());
  KONO_USER_REQUIRE(PetscInitializeCalled && !PetscFinalizeCalled, wrong_state,
                    fq << ": PETSc is not initialised; call kono::ensure_petsc_initialized");
}

std::string dataset_group_path(std::string const& group) {
  std::string g = group;
  while (!g.empty() && g.front() == '/') g.erase(g.begin());
  while (!g.empty() && g.back() == '/') g.pop_back();
  return g.empty() ? std::string() : "/" + g;
}

void write_run_provenance(Hdf5Writer& w, std::string const& object, std::string const& command_line, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  w.write_attribute(object, "petsc_version", std::to_string(PETSC_VERSION_MAJOR) + "." +
                                                 std::to_string(PETSC_VERSION_MINOR) + "." +
                                                 std::to_string(PETSC_VERSION_SUBMINOR));
  w.write_attribute(object, "kono_version", KONO_VERSION_STRING);
  w.write_attribute(object, "git_revision", KONO_GIT_REVISION);
  char created[32] = "";
  if (rank == 0) {
    std::time_t const t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  MPI_Bcast(created, sizeof created, MPI_CHAR, 0, comm);
  w.write_attribute(object, "created", std::string(created));
  if (!command_line.empty()) w.write_attribute(object, "command_line", command_line);
}

}  // namespace kono::detail
