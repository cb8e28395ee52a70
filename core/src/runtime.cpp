#include <iostream>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/runtime.hpp>

namespace kono {
namespace {
Runtime* g_current = nullptr;
}

Runtime::Runtime(int& argc, char**& argv, MPI_Comm comm) {
  KONO_USER_REQUIRE(g_current == nullptr, wrong_state,
                    "kono::Runtime: a kono runtime is already alive; create only one per process");
  int finalized = 0;
  MPI_Finalized(&finalized);
  KONO_USER_REQUIRE(!finalized, wrong_state,
                    "kono::Runtime: MPI was already finalized; kono must start before MPI_Finalize");
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // FUNNELED: only the main thread calls MPI; enough for Kokkos host backends.
    int provided = 0;
    KONO_MPI_CHECK(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
    m_started_mpi = true;
  }
  if (comm == MPI_COMM_WORLD) MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  KONO_MPI_CHECK(MPI_Comm_dup(comm, &m_comm));
  MPI_Comm_set_errhandler(m_comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(m_comm, &m_rank);
  MPI_Comm_size(m_comm, &m_size);
  if (!Kokkos::is_initialized()) {
    Kokkos::initialize(argc, argv);
    m_started_kokkos = true;
  }
  g_current = this;
}

Runtime::~Runtime() {
  // Reverse order of start-up: hooks (PETSc), Kokkos, MPI. Errors here cannot be thrown.
  for (auto it = m_finalizers.rbegin(); it != m_finalizers.rend(); ++it) {
    try {
      it->second();
    } catch (std::exception const& e) {
      std::cerr << "kono: finalizer \"" << it->first << "\" failed: " << e.what() << "\n";
    }
  }
  m_finalizers.clear();
  if (m_started_kokkos && Kokkos::is_initialized()) Kokkos::finalize();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    MPI_Comm_free(&m_comm);
    if (m_started_mpi) MPI_Finalize();
  }
  g_current = nullptr;
}

void Runtime::at_finalize(std::string const& name, std::function<void()> f) {
  m_finalizers.emplace_back(name, std::move(f));
}

Runtime& Runtime::current() {
  KONO_USER_REQUIRE(g_current != nullptr, wrong_state,
                    "kono::Runtime::current: kono is not initialised; create a kono::Runtime first");
  return *g_current;
}

bool Runtime::exists() noexcept { return g_current != nullptr; }

}  // namespace kono
