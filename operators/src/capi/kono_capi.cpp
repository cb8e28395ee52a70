// C API (kono.h) over kono::Surrogate. Every entry point runs its body inside guarded(): a C++
// exception becomes an int code plus a thread-local message and never crosses into C.
#include <kono.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>

#include <kono/core/config.hpp>
#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/operators/inference.hpp>

struct KonoModel_s {
  std::unique_ptr<kono::Surrogate> surrogate;  // null after KonoFinalize released it
};

namespace {

// One lock for the runtime state, the registry of live handles and every model call: Kokkos'
// Serial backend and FFTW's planner are not re-entrant, so concurrent applies are serialised.
std::mutex g_mutex;
bool g_initialized = false;
std::unique_ptr<kono::Runtime> g_runtime;  // set only when KonoInitialize created the runtime
std::set<KonoModel_s*> g_live;
thread_local std::string t_last_error;

// An error raised by the C layer itself (codes kono::ErrorCode has no name for).
struct CapiError {
  int code;
  std::string message;
};

template <class F>
int guarded(char const* function, F&& body) noexcept {
  try {
    body();
    return KONO_SUCCESS;
  } catch (CapiError const& e) {
    t_last_error = std::string(function) + ": " + e.message;
    return e.code;
  } catch (kono::Error const& e) {
    t_last_error = std::string(function) + ": " + e.what();
    return static_cast<int>(e.code());
  } catch (std::bad_alloc const&) {
    t_last_error = std::string(function) + ": out of memory";
    return KONO_ERROR_OUT_OF_MEMORY;
  } catch (std::exception const& e) {
    t_last_error = std::string(function) + ": " + e.what();
    return KONO_ERROR_UNKNOWN;
  } catch (...) {
    t_last_error = std::string(function) + ": unknown exception";
    return KONO_ERROR_UNKNOWN;
  }
}

void require_pointer(void const* p, char const* name) {
  if (p == nullptr) throw CapiError{KONO_ERROR_NULL_POINTER, std::string("argument `") + name + "` is NULL"};
}

void require_initialized() {
  if (!g_initialized)
    throw CapiError{KONO_ERROR_WRONG_STATE, "kono is not initialised; call KonoInitialize first (or again after KonoFinalize)"};
}

// The surrogate behind a handle; caller holds g_mutex.
kono::Surrogate const& surrogate_of(KonoModel model) {
  require_pointer(model, "model");
  if (g_live.count(model) == 0)
    throw CapiError{KONO_ERROR_INVALID_ARGUMENT, "`model` is not a live KonoModel (destroyed, or never loaded)"};
  if (!model->surrogate)
    throw CapiError{KONO_ERROR_WRONG_STATE, "the model was released by KonoFinalize; only KonoModelDestroy is allowed"};
  require_initialized();
  return *model->surrogate;
}

template <class Scalar>
int apply(char const* function, KonoModel model, int64_t batch, int channels, const int64_t* extents,
          Scalar const* in, Scalar* out) {
  return guarded(function, [&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    kono::Surrogate const& s = surrogate_of(model);
    require_pointer(extents, "extents");
    if (batch > 0) {
      require_pointer(in, "in");
      require_pointer(out, "out");
    }
    s.apply<Scalar>(batch, channels, extents, in, out);
  });
}

}  // namespace

extern "C" {

int KonoInitialize(int* argc, char*** argv) {
  return guarded("KonoInitialize", [&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_initialized) return;
    // Runtime starts only what nobody started; a C++ host's own Runtime is reused as it is.
    if (!kono::Runtime::exists()) {
      static int no_argc = 0;
      static char* no_args[] = {nullptr};
      char** no_argv = no_args;
      int& ac = argc ? *argc : no_argc;
      char**& av = (argc && argv) ? *argv : no_argv;
      g_runtime = std::make_unique<kono::Runtime>(ac, av);
    }
    g_initialized = true;
  });
}

int KonoFinalize(void) {
  return guarded("KonoFinalize", [&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    require_initialized();
    // Models hold Kokkos Views: they must go before Kokkos does. Their shells stay valid.
    for (KonoModel_s* m : g_live) m->surrogate.reset();
    g_runtime.reset();
    g_initialized = false;
  });
}

int KonoInitialized(int* initialized) {
  return guarded("KonoInitialized", [&] {
    require_pointer(initialized, "initialized");
    std::lock_guard<std::mutex> lock(g_mutex);
    *initialized = g_initialized ? 1 : 0;
  });
}

int KonoGetVersion(int* major, int* minor, int* patch) {
  return guarded("KonoGetVersion", [&] {
    require_pointer(major, "major");
    require_pointer(minor, "minor");
    require_pointer(patch, "patch");
    *major = KONO_VERSION_MAJOR;
    *minor = KONO_VERSION_MINOR;
    *patch = KONO_VERSION_PATCH;
  });
}

const char* KonoGetLastErrorMessage(void) { return t_last_error.c_str(); }

size_t KonoCopyLastErrorMessage(char* buf, size_t len) {
  size_t const n = t_last_error.size();
  if (buf != nullptr && len > 0) {
    size_t const k = n < len - 1 ? n : len - 1;
    std::memcpy(buf, t_last_error.data(), k);
    buf[k] = '\0';
  }
  return n;
}

const char* KonoErrorCodeName(int code) {
  switch (code) {
    case KONO_SUCCESS: return "success";
    case KONO_ERROR_NULL_POINTER: return "null_pointer";
    case KONO_ERROR_OUT_OF_MEMORY: return "out_of_memory";
    case KONO_ERROR_UNKNOWN: return "unknown";
    default:
      if (code >= 1 && code <= 9) return kono::to_string(static_cast<kono::ErrorCode>(code));
      return "unknown";
  }
}

int KonoModelLoad(MPI_Comm comm, const char* path, KonoModel* model) {
  if (model != nullptr) *model = nullptr;
  return guarded("KonoModelLoad", [&] {
    require_pointer(model, "model");
    require_pointer(path, "path");
    if (path[0] == '\0') throw CapiError{KONO_ERROR_INVALID_ARGUMENT, "`path` is empty"};
    if (comm == MPI_COMM_NULL) throw CapiError{KONO_ERROR_INVALID_ARGUMENT, "`comm` is MPI_COMM_NULL"};
    std::lock_guard<std::mutex> lock(g_mutex);
    require_initialized();
    auto handle = std::make_unique<KonoModel_s>();
    handle->surrogate = std::make_unique<kono::Surrogate>(kono::Surrogate::load(path, comm));
    g_live.insert(handle.get());
    *model = handle.release();
  });
}

int KonoModelLoadF(MPI_Fint comm, const char* path, KonoModel* model) {
  // MPI_Comm_f2c is only meaningful once MPI is up; check first so the message is ours.
  int mpi_up = 0;
  MPI_Initialized(&mpi_up);
  if (!mpi_up) {
    if (model != nullptr) *model = nullptr;
    return guarded("KonoModelLoadF", [] { require_initialized(); });
  }
  return KonoModelLoad(MPI_Comm_f2c(comm), path, model);
}

int KonoModelGetDimension(KonoModel model, int* dim) {
  return guarded("KonoModelGetDimension", [&] {
    require_pointer(dim, "dim");
    std::lock_guard<std::mutex> lock(g_mutex);
    *dim = surrogate_of(model).dimension();
  });
}

int KonoModelGetChannels(KonoModel model, int* in_channels, int* out_channels) {
  return guarded("KonoModelGetChannels", [&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    kono::Surrogate const& s = surrogate_of(model);
    if (in_channels) *in_channels = s.in_channels();
    if (out_channels) *out_channels = s.out_channels();
  });
}

int KonoModelAcceptsAnyResolution(KonoModel model, int* any) {
  return guarded("KonoModelAcceptsAnyResolution", [&] {
    require_pointer(any, "any");
    std::lock_guard<std::mutex> lock(g_mutex);
    *any = surrogate_of(model).accepts_any_resolution() ? 1 : 0;
  });
}

int KonoModelGetMinExtents(KonoModel model, int64_t* min_extents) {
  return guarded("KonoModelGetMinExtents", [&] {
    require_pointer(min_extents, "min_extents");
    std::lock_guard<std::mutex> lock(g_mutex);
    auto const m = surrogate_of(model).min_extents();
    for (std::size_t a = 0; a < m.size(); ++a) min_extents[a] = m[a];
  });
}

int KonoModelGetOutputExtents(KonoModel model, const int64_t* extents, int64_t* out_extents) {
  return guarded("KonoModelGetOutputExtents", [&] {
    require_pointer(extents, "extents");
    require_pointer(out_extents, "out_extents");
    std::lock_guard<std::mutex> lock(g_mutex);
    kono::Surrogate const& s = surrogate_of(model);
    std::vector<kono::index_t> ext{1, s.in_channels()};
    for (int a = 0; a < s.dimension(); ++a) {
      if (extents[a] < 1)
        throw CapiError{KONO_ERROR_SIZE_MISMATCH, "extent " + std::to_string(a) + " is " + std::to_string(extents[a]) +
                                                      ", must be >= 1"};
      ext.push_back(extents[a]);
    }
    kono::Shape const out = s.output_shape(kono::Shape(ext));
    for (int a = 0; a < s.dimension(); ++a) out_extents[a] = out[a + 2];
  });
}

int KonoModelStoresFloat(KonoModel model, int* is_float) {
  return guarded("KonoModelStoresFloat", [&] {
    require_pointer(is_float, "is_float");
    std::lock_guard<std::mutex> lock(g_mutex);
    *is_float = surrogate_of(model).stores_float() ? 1 : 0;
  });
}

int KonoModelApplyFloat(KonoModel model, int64_t batch, int channels, const int64_t* extents, const float* in,
                        float* out) {
  return apply("KonoModelApplyFloat", model, batch, channels, extents, in, out);
}

int KonoModelApplyDouble(KonoModel model, int64_t batch, int channels, const int64_t* extents, const double* in,
                         double* out) {
  return apply("KonoModelApplyDouble", model, batch, channels, extents, in, out);
}

int KonoModelDestroy(KonoModel* model) {
  return guarded("KonoModelDestroy", [&] {
    require_pointer(model, "model");
    if (*model == nullptr) return;
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_live.erase(*model) == 0)
      throw CapiError{KONO_ERROR_INVALID_ARGUMENT, "`*model` is not a live KonoModel (destroyed twice?)"};
    delete *model;  // frees the surrogate's Views; Kokkos is still up unless KonoFinalize ran
    *model = nullptr;
  });
}

}  // extern "C"
