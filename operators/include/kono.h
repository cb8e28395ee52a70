/* kono.h: C API of kono for simulation codes (C99, C++ and, through the kono Fortran module,
 * Fortran). Load a trained kono model file and apply it in-process to host arrays.
 *
 *   KonoInitialize(&argc, &argv);                      // polite: reuses the host's MPI/Kokkos
 *   KonoModel model;
 *   KonoModelLoad(MPI_COMM_WORLD, "model.h5", &model);  // collective on the communicator
 *   KonoModelApplyDouble(model, batch, channels, extents, in, out);   // not collective
 *   KonoModelDestroy(&model);
 *   KonoFinalize();
 *
 * Conventions (PETSc / libCEED style):
 *  - Every function returns an int error code: KONO_SUCCESS (0) or one of KonoErrorCode.
 *    The message of the last failure on the calling thread is KonoGetLastErrorMessage().
 *    No function aborts the host or lets a C++ exception escape.
 *  - Handles are opaque pointers; Destroy takes the handle's address and sets it to NULL.
 *  - Arrays are host memory in C (row-major) order [batch, channel, n_1, ..., n_d]; a Fortran
 *    array x(n_d, ..., n_1, channel, batch) has the same memory layout.
 * Reference with errors, collectiveness and thread safety per function: docs/c_api.md. */
#ifndef KONO_H
#define KONO_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KONO_C_API_VERSION 1 /* bumped when a function's signature or meaning changes */

/** Error codes. 1..9 are kono::ErrorCode's values (core/include/kono/core/error.hpp). */
typedef enum {
  KONO_SUCCESS = 0,
  KONO_ERROR_INVALID_ARGUMENT = 1, /* a value is not allowed (negative batch, empty path) */
  KONO_ERROR_SIZE_MISMATCH = 2,    /* channels or extents do not fit the model */
  KONO_ERROR_FILE_IO = 3,          /* file missing or unreadable */
  KONO_ERROR_CORRUPT_FILE = 4,     /* not a kono model file, or inconsistent content */
  KONO_ERROR_NON_FINITE = 5,       /* NaN or Inf where finite values are required */
  KONO_ERROR_WRONG_STATE = 6,      /* call before KonoInitialize / after KonoFinalize */
  KONO_ERROR_UNSUPPORTED = 7,      /* e.g. a model file written by a newer kono (format_version) */
  KONO_ERROR_MPI = 8,              /* an MPI call failed */
  KONO_ERROR_INTERNAL = 9,         /* a kono bug: please report it with the message */
  KONO_ERROR_NULL_POINTER = 10,    /* a required pointer argument is NULL */
  KONO_ERROR_OUT_OF_MEMORY = 11,   /* an allocation failed */
  KONO_ERROR_UNKNOWN = 12          /* any other failure (a foreign exception) */
} KonoErrorCode;

/** Opaque handle to a loaded model (a kono::Surrogate). */
typedef struct KonoModel_s* KonoModel;

/* ---- runtime -------------------------------------------------------------------------- */

/** Starts what the host has not started: MPI (MPI_Init_thread, FUNNELED) and Kokkos; PETSc is
 *  never started by the C API. argc/argv may be NULL. Idempotent (later calls return 0).
 *  Collective on MPI_COMM_WORLD when it starts MPI. Call from the main thread. */
int KonoInitialize(int* argc, char*** argv);
/** Releases every model still alive (their handles then return KONO_ERROR_WRONG_STATE, and
 *  KonoModelDestroy still frees them), then finalizes only what KonoInitialize started.
 *  Returns KONO_ERROR_WRONG_STATE when kono is not initialised. Collective like KonoInitialize. */
int KonoFinalize(void);
/** *initialized = 1 between KonoInitialize and KonoFinalize, else 0. Never fails unless NULL. */
int KonoInitialized(int* initialized);

/** Library version (e.g. 0, 1, 0). Callable at any time. */
int KonoGetVersion(int* major, int* minor, int* patch);

/* ---- errors --------------------------------------------------------------------------- */

/** Message of the last failing kono call on this thread ("" if none). The string stays valid
 *  until the next failing call on the same thread. Callable at any time. */
const char* KonoGetLastErrorMessage(void);
/** Copies the last message into buf (always NUL-terminated when len > 0; truncated to fit).
 *  Returns the full message length, excluding the NUL. For Fortran and other FFI callers. */
size_t KonoCopyLastErrorMessage(char* buf, size_t len);
/** Stable name of a code: "success", "invalid_argument", ..., "unknown" for others. */
const char* KonoErrorCodeName(int code);

/* ---- models --------------------------------------------------------------------------- */

/** Loads the model file `path` on every rank of `comm` (each rank gets a full copy; the model
 *  is then applied independently per rank). Collective on comm. Errors: NULL_POINTER (path,
 *  model), WRONG_STATE (not initialised), FILE_IO, CORRUPT_FILE, UNSUPPORTED (newer
 *  format_version), NON_FINITE. On error *model is set to NULL. */
int KonoModelLoad(MPI_Comm comm, const char* path, KonoModel* model);
/** Same, with a Fortran MPI handle (MPI_Comm_f2c). Used by the Fortran module. */
int KonoModelLoadF(MPI_Fint comm, const char* path, KonoModel* model);

/** Spatial dimension d (1, 2 or 3). Not collective. Errors: NULL_POINTER, WRONG_STATE. */
int KonoModelGetDimension(KonoModel model, int* dim);
/** Input and output channel counts (either pointer may be NULL). Not collective. */
int KonoModelGetChannels(KonoModel model, int* in_channels, int* out_channels);
/** *any = 1 when the model accepts any grid with extents >= KonoModelGetMinExtents (an FNO),
 *  0 when it is tied to its training grid. Not collective. */
int KonoModelAcceptsAnyResolution(KonoModel model, int* any);
/** Smallest accepted extent per axis (d values; e.g. the Fourier modes). Not collective. */
int KonoModelGetMinExtents(KonoModel model, int64_t* min_extents);
/** Output grid extents (d values) for input grid extents (d values). Not collective.
 *  Errors: NULL_POINTER, WRONG_STATE, SIZE_MISMATCH (extents too small). */
int KonoModelGetOutputExtents(KonoModel model, const int64_t* extents, int64_t* out_extents);
/** *is_float = 1 when the model computes in float32 (the CLI's default), 0 for float64. */
int KonoModelStoresFloat(KonoModel model, int* is_float);

/** out <- model(in): in is [batch, channels, extents[0..d-1]] and out is [batch, out_channels,
 *  output extents] (KonoModelGetOutputExtents; the same extents for an FNO), both host
 *  arrays in C order that do not overlap. `channels` is the channel count of `in` and must
 *  equal the model's input channels. The input and target normalisers stored in the file are
 *  applied. A double call on a float32 model converts in and out. batch = 0 does nothing.
 *  Not collective; serialised across threads by an internal lock.
 *  Errors: NULL_POINTER (model, extents, in, out), WRONG_STATE, INVALID_ARGUMENT (batch < 0),
 *  SIZE_MISMATCH (channels, an extent < 1 or below the minimum). On error out is untouched. */
int KonoModelApplyFloat(KonoModel model, int64_t batch, int channels, const int64_t* extents, const float* in,
                        float* out);
int KonoModelApplyDouble(KonoModel model, int64_t batch, int channels, const int64_t* extents, const double* in,
                         double* out);

/** Frees the model and sets *model = NULL; *model == NULL is allowed (no-op). Not collective.
 *  Works after KonoFinalize too. Errors: NULL_POINTER (model itself). */
int KonoModelDestroy(KonoModel* model);

#ifdef __cplusplus
}
#endif
#endif /* KONO_H */
