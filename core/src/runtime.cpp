#include <dlfcn.h>
#include <sched.h>

#include <cstdlib>
#include <iostream>
#include <thread>
#include <type_traits>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/runtime.hpp>

namespace kono {
namespace {
Runtime* g_current = nullptr;

// A threaded BLAS (OpenBLAS) starts one thread per core in every rank. kono's own kernels run
// on Kokkos' host space: with the Serial backend that is one thread per rank, and the BLAS
// threads then only add spinning and oversubscription. Measured on 2 cores, 1 rank: FNO epochs
// at 16^2 / 64^2 / 256^2 took 0.51 / 0.80 / 1.67 s with 1 BLAS thread against 0.59-0.83 /
// 1.14-1.26 / 2.48-2.54 s with 2, and MgNO 11.2 against 14.3 s (docs/cluster.md). So: with a
// Serial host space one BLAS thread per rank; with a threaded host space (OpenMP), an unbound
// rank gets its share of the node's cores. Only when kono owns the process (it started MPI):
// a host code that started MPI itself keeps its BLAS settings, and a user's
// OPENBLAS_NUM_THREADS / GOTO_NUM_THREADS / OMP_NUM_THREADS always wins. dlsym: kono does not
// depend on which BLAS is linked.
void choose_blas_threads(MPI_Comm comm) {
  for (char const* v : {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"})
    if (std::getenv(v)) return;
  using set_threads_fn = void (*)(int);
  auto const set = reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set) return;
#if defined(KOKKOS_ENABLE_SERIAL)
  if (std::is_same_v<Kokkos::DefaultHostExecutionSpace, Kokkos::Serial>) {
    set(1);
    return;
  }
#endif
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS) return;
  int local = 1;
  MPI_Comm_size(node, &local);
  MPI_Comm_free(&node);
  // A launcher that bound the rank to some cores already told OpenBLAS (it counts the affinity
  // mask); only unbound ranks, which see every core, need their share.
  int const cores = int(std::thread::hardware_concurrency());
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (local <= 1 || sched_getaffinity(0, sizeof mask, &mask) != 0 || CPU_COUNT(&mask) < cores) return;
  set(cores > local ? cores / local : 1);
}
}  // namespace

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
  if (m_started_mpi) choose_blas_threads(m_comm);
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
