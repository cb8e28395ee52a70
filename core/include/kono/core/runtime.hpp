#pragma once
/// Start-up and shut-down of MPI and Kokkos (and, through hooks, PETSc) in the right order,
/// polite to a host code that initialised any of them itself.
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace kono {

/// RAII owner of kono's runtime. Initialises MPI (if not yet), then Kokkos (if not yet);
/// the destructor runs registered finalizers (LIFO), then finalizes only what it started.
/// At most one Runtime exists at a time. Collective on MPI_COMM_WORLD when it starts MPI.
class Runtime {
 public:
  /// argc/argv may be modified (Kokkos and MPI strip their own flags). `comm` is duplicated
  /// and becomes comm(). Throws Error{wrong_state} if MPI was already finalized or another
  /// Runtime is alive.
  Runtime(int& argc, char**& argv, MPI_Comm comm = MPI_COMM_WORLD);
  ~Runtime();
  Runtime(Runtime const&) = delete;
  Runtime& operator=(Runtime const&) = delete;

  MPI_Comm comm() const noexcept { return m_comm; }  ///< kono's duplicate of the given communicator
  int rank() const noexcept { return m_rank; }
  int size() const noexcept { return m_size; }
  bool started_mpi() const noexcept { return m_started_mpi; }
  bool started_kokkos() const noexcept { return m_started_kokkos; }

  /// Registers `f` to run at shut-down, before Kokkos and MPI are finalized (PETSc uses this).
  void at_finalize(std::string const& name, std::function<void()> f);

  /// The live Runtime; throws Error{wrong_state} when there is none.
  static Runtime& current();
  static bool exists() noexcept;

 private:
  MPI_Comm m_comm = MPI_COMM_NULL;
  int m_rank = 0;
  int m_size = 1;
  bool m_started_mpi = false;
  bool m_started_kokkos = false;
  std::vector<std::pair<std::string, std::function<void()>>> m_finalizers;
};

}  // namespace kono
