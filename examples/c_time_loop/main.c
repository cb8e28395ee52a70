/* A C simulation loop that calls a kono surrogate every time step.
 *
 * Sample runs:
 *   ./c_time_loop model.h5                      # 64x64 grid, 20 steps
 *   ./c_time_loop model.h5 128 50
 *   mpiexec -n 2 ./c_time_loop model.h5 64 10    # each rank runs its own batch of fields
 *
 * Description: a two-phase permeability field (a disc of the permeable phase) drifts across
 * the unit square; every step the surrogate (a Darcy FNO made by `kono train`) predicts the
 * pressure for the current field, and the loop prints the step, the pressure range and the
 * time per surrogate call. Each rank owns one field (the batch axis is the rank's own), so the
 * apply is not collective; only loading the model is. */
#include <kono.h>
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>

/* Aborts the run with kono's message; a real code would clean up and return to its caller. */
#define KONO_CALL(call)                                                                       \
  do {                                                                                        \
    int kono_rc_ = (call);                                                                    \
    if (kono_rc_ != KONO_SUCCESS) {                                                           \
      fprintf(stderr, "%s failed: %s (%s)\n", #call, KonoGetLastErrorMessage(), KonoErrorCodeName(kono_rc_)); \
      MPI_Abort(MPI_COMM_WORLD, kono_rc_);                                                    \
    }                                                                                         \
  } while (0)

int main(int argc, char** argv) {
  int rank = 0, size = 1, dim = 0, cin = 0, cout = 0, any = 0;
  int64_t n = 64, steps = 20, step, i, j;
  MPI_Init(&argc, &argv); /* the host owns MPI; kono only starts Kokkos */
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2) {
    if (rank == 0) fprintf(stderr, "usage: c_time_loop MODEL.h5 [N=64] [STEPS=20]\n");
    MPI_Finalize();
    return 2;
  }
  if (argc > 2) n = atoll(argv[2]);
  if (argc > 3) steps = atoll(argv[3]);

  /* 1. Start kono and load the model on all ranks. */
  KONO_CALL(KonoInitialize(&argc, &argv));
  KonoModel model = NULL;
  KONO_CALL(KonoModelLoad(MPI_COMM_WORLD, argv[1], &model));
  KONO_CALL(KonoModelGetDimension(model, &dim));
  KONO_CALL(KonoModelGetChannels(model, &cin, &cout));
  KONO_CALL(KonoModelAcceptsAnyResolution(model, &any));
  if (dim != 2 || cin != 1 || cout != 1) {
    if (rank == 0) fprintf(stderr, "c_time_loop needs a 2D model with 1 input and 1 output channel\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (rank == 0)
    printf("c_time_loop: %s, %dD, %d -> %d channels, any resolution: %s; grid %lldx%lld, %lld steps, %d rank(s)\n",
           argv[1], dim, cin, cout, any ? "yes" : "no", (long long)n, (long long)n, (long long)steps, size);

  /* 2. The time loop: update the coefficient, call the surrogate, use its answer. */
  {
    int64_t const ext[2] = {n, n};
    double* a = malloc(sizeof(double) * (size_t)(n * n));
    double* u = malloc(sizeof(double) * (size_t)(n * n));
    double total = 0;
    for (step = 0; step < steps; ++step) {
      double const cx = 0.25 + 0.5 * (double)step / (double)(steps > 1 ? steps - 1 : 1);
      double const cy = 0.5 + 0.1 * (double)rank;
      double lo = 1e300, hi = -1e300, t0, t1;
      for (i = 0; i < n; ++i)
        for (j = 0; j < n; ++j) {
          double const x = (double)i / (double)n, y = (double)j / (double)n;
          a[i * n + j] = (x - cx) * (x - cx) + (y - cy) * (y - cy) < 0.04 ? 1.0 : 0.0;
        }
      t0 = MPI_Wtime();
      KONO_CALL(KonoModelApplyDouble(model, 1, 1, ext, a, u));
      t1 = MPI_Wtime();
      total += t1 - t0;
      for (i = 0; i < n * n; ++i) {
        if (u[i] < lo) lo = u[i];
        if (u[i] > hi) hi = u[i];
      }
      if (rank == 0) printf("step %3lld  disc at x=%.3f  u in [%.4f, %.4f]  surrogate %.2f ms\n", (long long)step, cx, lo, hi,
                            1e3 * (t1 - t0));
    }
    if (rank == 0) printf("c_time_loop: %lld surrogate calls, mean %.2f ms per call\n", (long long)steps,
                          steps > 0 ? 1e3 * total / (double)steps : 0.0);
    free(a);
    free(u);
  }

  /* 3. Clean up in reverse order; the host finalizes MPI. */
  KONO_CALL(KonoModelDestroy(&model));
  KONO_CALL(KonoFinalize());
  MPI_Finalize();
  return 0;
}
