/* C API test, compiled as C99: every function, its error codes and messages, and politeness to
 * a host that owns MPI. Usage: test_capi MODEL_DIR host-mpi|kono-mpi
 *   host-mpi: the test calls MPI_Init itself; KonoFinalize must leave MPI running.
 *   kono-mpi: KonoInitialize starts MPI and KonoFinalize ends it. */
#include <kono.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failures = 0;
static int g_rank = 0;

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "[rank %d] %s:%d: CHECK failed: %s\n", g_rank, __FILE__, __LINE__, #cond); \
      ++g_failures;                                                                    \
    }                                                                                  \
  } while (0)

/* The call must fail with `code` and a message containing `fragment`. */
#define CHECK_ERROR(call, code, fragment)                                                          \
  do {                                                                                             \
    int rc_ = (call);                                                                              \
    if (rc_ != (code) || strstr(KonoGetLastErrorMessage(), (fragment)) == NULL) {                  \
      fprintf(stderr, "[rank %d] %s:%d: %s returned %d (%s) \"%s\"; expected %d (%s) with \"%s\"\n", \
              g_rank, __FILE__, __LINE__, #call, rc_, KonoErrorCodeName(rc_), KonoGetLastErrorMessage(), \
              (code), KonoErrorCodeName(code), (fragment));                                         \
      ++g_failures;                                                                                \
    }                                                                                              \
  } while (0)

#define CHECK_OK(call)                                                                                 \
  do {                                                                                                 \
    int rc_ = (call);                                                                                  \
    if (rc_ != KONO_SUCCESS) {                                                                         \
      fprintf(stderr, "[rank %d] %s:%d: %s returned %d: %s\n", g_rank, __FILE__, __LINE__, #call, rc_,  \
              KonoGetLastErrorMessage());                                                              \
      ++g_failures;                                                                                    \
    }                                                                                                  \
  } while (0)

static char g_path[4096];
static const char* model_path(const char* dir, const char* name) {
  snprintf(g_path, sizeof g_path, "%s/%s", dir, name);
  return g_path;
}

/* A two-phase 0/1 field, like Darcy coefficients. */
static void fill_input(double* x, int64_t n, double shift) {
  for (int64_t i = 0; i < n; ++i) x[i] = ((i * 37 + 11) % 17 > 8 ? 1.0 : 0.0) + shift;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: test_capi MODEL_DIR host-mpi|kono-mpi\n");
    return 2;
  }
  const char* dir = argv[1];
  int const host_mpi = strcmp(argv[2], "host-mpi") == 0;
  KonoModel model = NULL;
  int flag = -1;

  /* 1. Before KonoInitialize: everything that needs the runtime says so. */
  CHECK_OK(KonoInitialized(&flag));
  CHECK(flag == 0);
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "fno2d_f32.h5"), &model), KONO_ERROR_WRONG_STATE,
              "call KonoInitialize first");
  CHECK(model == NULL);
  CHECK_ERROR(KonoModelLoadF(0, model_path(dir, "fno2d_f32.h5"), &model), KONO_ERROR_WRONG_STATE, "KonoInitialize");
  CHECK_ERROR(KonoFinalize(), KONO_ERROR_WRONG_STATE, "not initialised");
  CHECK_ERROR(KonoInitialized(NULL), KONO_ERROR_NULL_POINTER, "initialized");
  {
    int ma = -1, mi = -1, pa = -1;
    CHECK_OK(KonoGetVersion(&ma, &mi, &pa));
    CHECK(ma >= 0 && mi >= 0 && pa >= 0);
  }
  CHECK(strcmp(KonoErrorCodeName(KONO_ERROR_UNSUPPORTED), "unsupported") == 0);
  CHECK(strcmp(KonoErrorCodeName(KONO_ERROR_NULL_POINTER), "null_pointer") == 0);
  CHECK(strcmp(KonoErrorCodeName(12345), "unknown") == 0);

  /* 2. Start-up, polite to a host that owns MPI. */
  if (host_mpi) MPI_Init(&argc, &argv);
  CHECK_OK(KonoInitialize(&argc, &argv));
  CHECK_OK(KonoInitialize(&argc, &argv)); /* idempotent */
  CHECK_OK(KonoInitialized(&flag));
  CHECK(flag == 1);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);

  /* 3. Load errors. */
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, NULL, &model), KONO_ERROR_NULL_POINTER, "path");
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "fno2d_f32.h5"), NULL), KONO_ERROR_NULL_POINTER, "model");
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, "", &model), KONO_ERROR_INVALID_ARGUMENT, "empty");
  CHECK_ERROR(KonoModelLoad(MPI_COMM_NULL, model_path(dir, "fno2d_f32.h5"), &model), KONO_ERROR_INVALID_ARGUMENT,
              "MPI_COMM_NULL");
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "missing.h5"), &model), KONO_ERROR_FILE_IO, "missing.h5");
  CHECK(model == NULL);
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "not_hdf5.h5"), &model), KONO_ERROR_CORRUPT_FILE,
              "not_hdf5.h5");
  CHECK_ERROR(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "fno2d_v2.h5"), &model), KONO_ERROR_UNSUPPORTED,
              "format_version");
  CHECK(strstr(KonoGetLastErrorMessage(), "fno2d_v2.h5") != NULL);
  CHECK(model == NULL);
  {
    char small[8];
    size_t const n = KonoCopyLastErrorMessage(small, sizeof small);
    CHECK(n == strlen(KonoGetLastErrorMessage()));
    CHECK(strlen(small) == sizeof small - 1);
  }

  /* 4. Load and query (through the Fortran entry point too). */
  CHECK_OK(KonoModelLoadF(MPI_Comm_c2f(MPI_COMM_WORLD), model_path(dir, "fno2d_f32.h5"), &model));
  CHECK(model != NULL);
  CHECK_OK(KonoModelDestroy(&model));
  CHECK(model == NULL);
  CHECK_OK(KonoModelDestroy(&model)); /* NULL handle: no-op */
  CHECK_ERROR(KonoModelDestroy(NULL), KONO_ERROR_NULL_POINTER, "model");
  CHECK_OK(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "fno2d_f32.h5"), &model));
  {
    int dim = 0, cin = 0, cout = 0, any = -1, isf = -1;
    int64_t minext[2] = {0, 0}, ext[2] = {32, 24}, oext[2] = {0, 0};
    CHECK_OK(KonoModelGetDimension(model, &dim));
    CHECK(dim == 2);
    CHECK_OK(KonoModelGetChannels(model, &cin, &cout));
    CHECK(cin == 1 && cout == 1);
    CHECK_OK(KonoModelGetChannels(model, NULL, &cout));
    CHECK_OK(KonoModelAcceptsAnyResolution(model, &any));
    CHECK(any == 1);
    CHECK_OK(KonoModelGetMinExtents(model, minext));
    CHECK(minext[0] == 4 && minext[1] == 4);
    CHECK_OK(KonoModelGetOutputExtents(model, ext, oext));
    CHECK(oext[0] == 32 && oext[1] == 24);
    CHECK_OK(KonoModelStoresFloat(model, &isf));
    CHECK(isf == 1);
    CHECK_ERROR(KonoModelGetDimension(NULL, &dim), KONO_ERROR_NULL_POINTER, "model");
    CHECK_ERROR(KonoModelGetDimension(model, NULL), KONO_ERROR_NULL_POINTER, "dim");
    CHECK_ERROR(KonoModelAcceptsAnyResolution(model, NULL), KONO_ERROR_NULL_POINTER, "any");
    CHECK_ERROR(KonoModelGetDimension((KonoModel)&flag, &dim), KONO_ERROR_INVALID_ARGUMENT, "not a live KonoModel");
    ext[0] = 2;
    CHECK_ERROR(KonoModelGetOutputExtents(model, ext, oext), KONO_ERROR_SIZE_MISMATCH, "at least 4");
  }

  /* 5. Apply, float and double, two resolutions. */
  {
    enum { B = 2, N = 16, M = 32 };
    int64_t ext[2] = {N, N};
    static double xd[B * N * N], yd[B * N * N];
    static float xf[B * N * N], yf[B * N * N];
    static double xm[M * M], ym[M * M];
    int64_t i;
    double max_diff = 0, max_abs = 0;
    fill_input(xd, N * N, 0.0);
    memcpy(xd + N * N, xd, sizeof(double) * N * N); /* two identical samples */
    for (i = 0; i < B * N * N; ++i) xf[i] = (float)xd[i];
    CHECK_OK(KonoModelApplyDouble(model, B, 1, ext, xd, yd));
    CHECK_OK(KonoModelApplyFloat(model, B, 1, ext, xf, yf));
    for (i = 0; i < B * N * N; ++i) {
      CHECK(isfinite(yd[i]));
      if (fabs(yd[i] - (double)yf[i]) > max_diff) max_diff = fabs(yd[i] - (double)yf[i]);
      if (fabs(yd[i]) > max_abs) max_abs = fabs(yd[i]);
    }
    CHECK(max_abs > 0);
    CHECK(max_diff <= 1e-6 * (1 + max_abs)); /* a float model: the double call converts */
    CHECK(memcmp(yd, yd + N * N, sizeof(double) * N * N) == 0); /* samples are independent */
    CHECK_OK(KonoModelApplyDouble(model, 0, 1, ext, NULL, NULL)); /* empty batch */

    /* Every rank loaded the same model: same result everywhere. */
    {
      double lo = yd[5], hi = yd[5];
      MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      CHECK(lo == hi);
    }

    /* Zero-shot at another resolution. */
    ext[0] = M;
    ext[1] = M;
    fill_input(xm, M * M, 0.0);
    CHECK_OK(KonoModelApplyDouble(model, 1, 1, ext, xm, ym));

    /* Bad input: out must stay untouched. */
    ext[0] = N;
    ext[1] = N;
    for (i = 0; i < B * N * N; ++i) yd[i] = -777.0;
    CHECK_ERROR(KonoModelApplyDouble(model, B, 2, ext, xd, yd), KONO_ERROR_SIZE_MISMATCH, "2 channels");
    CHECK_ERROR(KonoModelApplyDouble(model, -1, 1, ext, xd, yd), KONO_ERROR_INVALID_ARGUMENT, "batch");
    CHECK_ERROR(KonoModelApplyDouble(model, B, 1, NULL, xd, yd), KONO_ERROR_NULL_POINTER, "extents");
    CHECK_ERROR(KonoModelApplyDouble(model, B, 1, ext, NULL, yd), KONO_ERROR_NULL_POINTER, "`in`");
    CHECK_ERROR(KonoModelApplyFloat(model, B, 1, ext, xf, NULL), KONO_ERROR_NULL_POINTER, "`out`");
    CHECK_ERROR(KonoModelApplyFloat(NULL, B, 1, ext, xf, yf), KONO_ERROR_NULL_POINTER, "model");
    ext[1] = 0;
    CHECK_ERROR(KonoModelApplyDouble(model, B, 1, ext, xd, yd), KONO_ERROR_SIZE_MISMATCH, "extent 1 is 0");
    ext[1] = 3;
    CHECK_ERROR(KonoModelApplyDouble(model, B, 1, ext, xd, yd), KONO_ERROR_SIZE_MISMATCH, "at least 4");
    for (i = 0; i < B * N * N; ++i) CHECK(yd[i] == -777.0);
  }

  /* 6. A float64 file gives the float file's answer in double; a pointwise-normalised model is
   *    tied to its 16x16 grid. */
  {
    enum { N = 16 };
    int64_t ext[2] = {N, N};
    static double x[N * N], y32[N * N], y64[N * N], ybig[32 * 32], xbig[32 * 32];
    KonoModel m64 = NULL, mpw = NULL;
    int isf = -1, any = -1, i;
    double max_diff = 0;
    fill_input(x, N * N, 0.0);
    CHECK_OK(KonoModelApplyDouble(model, 1, 1, ext, x, y32));
    CHECK_OK(KonoModelLoad(MPI_COMM_WORLD, model_path(dir, "fno2d_f64.h5"), &m64));
    CHECK_OK(KonoModelStoresFloat(m64, &isf));
    CHECK(isf == 0);
    CHECK_OK(KonoModelApplyDouble(m64, 1, 1, ext, x, y64));
    for (i = 0; i < N * N; ++i)
      if (fabs(y32[i] - y64[i]) > max_diff) max_diff = fabs(y32[i] - y64[i]);
    CHECK(max_diff < 1e-4);
    CHECK_OK(KonoModelDestroy(&m64));

    CHECK_OK(KonoModelLoad(MPI_COMM_SELF, model_path(dir, "fno2d_pointwise.h5"), &mpw));
    CHECK_OK(KonoModelAcceptsAnyResolution(mpw, &any));
    CHECK(any == 0);
    CHECK_OK(KonoModelApplyDouble(mpw, 1, 1, ext, x, y64));
    ext[0] = ext[1] = 32;
    fill_input(xbig, 32 * 32, 0.0);
    CHECK_ERROR(KonoModelApplyDouble(mpw, 1, 1, ext, xbig, ybig), KONO_ERROR_SIZE_MISMATCH, "");
    CHECK_OK(KonoModelDestroy(&mpw));
  }

  /* 7. KonoFinalize releases live models; their handles then report it. */
  CHECK_OK(KonoFinalize());
  {
    int dim = 0;
    CHECK_ERROR(KonoModelGetDimension(model, &dim), KONO_ERROR_WRONG_STATE, "released by KonoFinalize");
    CHECK_OK(KonoModelDestroy(&model));
    CHECK(model == NULL);
  }
  CHECK_OK(KonoInitialized(&flag));
  CHECK(flag == 0);
  {
    int finalized = 0;
    MPI_Finalized(&finalized);
    CHECK(finalized == (host_mpi ? 0 : 1)); /* kono ends only what it started */
    if (host_mpi) {
      int bad = g_failures;
      MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
      g_failures = bad;
      MPI_Finalize();
    }
  }
  if (g_failures == 0 && g_rank == 0) printf("test_capi (%s): all checks passed\n", argv[2]);
  return g_failures == 0 ? 0 : 1;
}
