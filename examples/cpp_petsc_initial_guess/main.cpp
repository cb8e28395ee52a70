// A C++ PETSc program that uses a kono surrogate as the initial guess of a Darcy solve.
//
// Sample runs:
//   ./petsc_initial_guess -model model.h5                       # 64x64, CG + GAMG, 3 samples
//   ./petsc_initial_guess -model model.h5 -n 128 -samples 5 -pc_type jacobi
//   mpiexec -n 2 ./petsc_initial_guess -model model.h5 -n 96
//   ./petsc_initial_guess -model m32.h5 -n 32 -model_input coefficient   # model trained on
//       `kono generate darcy` data (input: the coefficient a itself, same discretisation)
//
// Description: -div(a grad u) = 1 on the unit square, u = 0 on the boundary, 5-point stencil on
// an n x n node grid (DMDA), harmonic-mean face coefficients, a = a_hi where a two-phase mask
// is 1 and a_lo elsewhere. Each sample is solved twice with the same KSP (set up once): from
// u = 0, and from the surrogate's prediction for the mask (kono::DMDASurrogate, rescaled by
// kono::rescale_initial_guess because the training data's coefficient values are not known),
// with KSPSetInitialGuessNonzero. Prints iterations and times of both and the guess's error.
#include <petscdmda.h>
#include <petscksp.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include <kono/core/runtime.hpp>
#include <kono/operators/inference.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/petsc_surrogate.hpp>

namespace {

// Deterministic smooth random field thresholded at 0: the same on any number of ranks.
struct MaskField {
  double amp[4][4], phx[4][4], phy[4][4];
  explicit MaskField(unsigned seed) {
    std::uint64_t s = 0x9E3779B97F4A7C15ull * (seed + 1);
    auto next = [&s] {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      return double(s >> 11) / double(1ull << 53);
    };
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 4; ++l) {
        amp[k][l] = (next() - 0.5) / (1.0 + k * k + l * l);
        phx[k][l] = 6.283185307179586 * next();
        phy[k][l] = 6.283185307179586 * next();
      }
  }
  double operator()(double x, double y) const {
    double v = 0;
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 4; ++l)
        v += amp[k][l] * std::cos(3.141592653589793 * (k + 1) * x + phx[k][l]) *
             std::cos(3.141592653589793 * (l + 1) * y + phy[k][l]);
    return v > 0 ? 1.0 : 0.0;
  }
};

// Fills mask, assembles A and b for a = a_lo + (a_hi - a_lo) * mask.
void assemble(DM da, Vec mask, double a_lo, double a_hi, Mat A, Vec b) {
  PetscInt xs, ys, xm, ym, M, N;
  PetscCallAbort(PETSC_COMM_WORLD, DMDAGetInfo(da, nullptr, &M, &N, nullptr, nullptr, nullptr, nullptr, nullptr,
                                               nullptr, nullptr, nullptr, nullptr, nullptr));
  PetscCallAbort(PETSC_COMM_WORLD, DMDAGetCorners(da, &xs, &ys, nullptr, &xm, &ym, nullptr));
  Vec local;
  PetscCallAbort(PETSC_COMM_WORLD, DMGetLocalVector(da, &local));
  PetscCallAbort(PETSC_COMM_WORLD, DMGlobalToLocal(da, mask, INSERT_VALUES, local));
  PetscScalar const** m;
  PetscScalar** bb;
  PetscCallAbort(PETSC_COMM_WORLD, DMDAVecGetArrayRead(da, local, &m));
  PetscCallAbort(PETSC_COMM_WORLD, DMDAVecGetArray(da, b, &bb));
  double const h2 = 1.0 / double((M - 1) * (M - 1));
  auto coef = [&](PetscInt i, PetscInt j) { return a_lo + (a_hi - a_lo) * PetscRealPart(m[j][i]); };
  for (PetscInt j = ys; j < ys + ym; ++j)
    for (PetscInt i = xs; i < xs + xm; ++i) {
      MatStencil row{0, j, i, 0};
      if (i == 0 || j == 0 || i == M - 1 || j == N - 1) {
        PetscScalar one = 1.0;
        PetscCallAbort(PETSC_COMM_WORLD, MatSetValuesStencil(A, 1, &row, 1, &row, &one, INSERT_VALUES));
        bb[j][i] = 0;
        continue;
      }
      MatStencil cols[5];
      PetscScalar vals[5];
      int n = 0;
      double diag = 0, ai = coef(i, j);
      PetscInt const nb[4][2] = {{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}};
      for (auto const& q : nb) {
        double const aj = coef(q[0], q[1]);
        double const w = 2 * ai * aj / (ai + aj) / h2;
        diag += w;
        bool const boundary = q[0] == 0 || q[1] == 0 || q[0] == M - 1 || q[1] == N - 1;
        if (!boundary) {  // u = 0 there: the column is eliminated, A stays symmetric
          cols[n] = MatStencil{0, q[1], q[0], 0};
          vals[n++] = -w;
        }
      }
      cols[n] = row;
      vals[n++] = diag;
      PetscCallAbort(PETSC_COMM_WORLD, MatSetValuesStencil(A, 1, &row, n, cols, vals, INSERT_VALUES));
      bb[j][i] = 1.0;
    }
  PetscCallAbort(PETSC_COMM_WORLD, DMDAVecRestoreArray(da, b, &bb));
  PetscCallAbort(PETSC_COMM_WORLD, DMDAVecRestoreArrayRead(da, local, &m));
  PetscCallAbort(PETSC_COMM_WORLD, DMRestoreLocalVector(da, &local));
  PetscCallAbort(PETSC_COMM_WORLD, MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCallAbort(PETSC_COMM_WORLD, MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
}

void fill_mask(DM da, Vec mask, unsigned seed) {
  MaskField const field(seed);
  PetscInt xs, ys, xm, ym, M;
  PetscCallAbort(PETSC_COMM_WORLD, DMDAGetInfo(da, nullptr, &M, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                               nullptr, nullptr, nullptr, nullptr, nullptr));
  PetscCallAbort(PETSC_COMM_WORLD, DMDAGetCorners(da, &xs, &ys, nullptr, &xm, &ym, nullptr));
  PetscScalar** m;
  PetscCallAbort(PETSC_COMM_WORLD, DMDAVecGetArray(da, mask, &m));
  for (PetscInt j = ys; j < ys + ym; ++j)
    for (PetscInt i = xs; i < xs + xm; ++i) m[j][i] = field(double(i) / double(M - 1), double(j) / double(M - 1));
  PetscCallAbort(PETSC_COMM_WORLD, DMDAVecRestoreArray(da, mask, &m));
}

}  // namespace

int main(int argc, char** argv) {
  // 1. kono starts MPI and Kokkos, then PETSc on the same communicator; all end in reverse.
  kono::Runtime runtime(argc, argv);
  kono::ensure_petsc_initialized(runtime, &argc, &argv);
  try {
    char model_path[PETSC_MAX_PATH_LEN] = "";
    PetscInt n = 64, samples = 3;
    PetscReal a_lo = 3.0, a_hi = 12.0;
    PetscBool have_model = PETSC_FALSE;
    char model_input[32] = "mask";  // what the model was trained on: the 0/1 mask or a itself
    KONO_PETSC_CHECK(PetscOptionsGetString(nullptr, nullptr, "-model", model_path, sizeof model_path, &have_model));
    KONO_PETSC_CHECK(PetscOptionsGetInt(nullptr, nullptr, "-n", &n, nullptr));
    KONO_PETSC_CHECK(PetscOptionsGetInt(nullptr, nullptr, "-samples", &samples, nullptr));
    KONO_PETSC_CHECK(PetscOptionsGetReal(nullptr, nullptr, "-a_lo", &a_lo, nullptr));
    KONO_PETSC_CHECK(PetscOptionsGetReal(nullptr, nullptr, "-a_hi", &a_hi, nullptr));
    KONO_PETSC_CHECK(PetscOptionsGetString(nullptr, nullptr, "-model_input", model_input, sizeof model_input, nullptr));
    bool const feed_coefficient = std::string(model_input) == "coefficient";
    if (!have_model) {
      PetscPrintf(PETSC_COMM_WORLD, "usage: petsc_initial_guess -model MODEL.h5 [-n 64] [-samples 3] [KSP options]\n");
      return 2;
    }

    // 2. The surrogate, loaded on every rank; the grid and the Darcy operator.
    kono::Surrogate const model = kono::Surrogate::load(model_path, PETSC_COMM_WORLD);
    DM da;
    KONO_PETSC_CHECK(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n, n,
                                  PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr, nullptr, &da));
    KONO_PETSC_CHECK(DMSetUp(da));
    kono::DMDASurrogate const guess(model, da);  // checks dimension, channels and grid
    Mat A;
    Vec mask, b, u, u_ref;
    KONO_PETSC_CHECK(DMCreateMatrix(da, &A));
    KONO_PETSC_CHECK(DMCreateGlobalVector(da, &mask));
    KONO_PETSC_CHECK(VecDuplicate(mask, &b));
    KONO_PETSC_CHECK(VecDuplicate(mask, &u));
    KONO_PETSC_CHECK(VecDuplicate(mask, &u_ref));
    Vec coef;  // a = a_lo + (a_hi - a_lo) mask, for models trained on the coefficient
    KONO_PETSC_CHECK(VecDuplicate(mask, &coef));
    KSP ksp;
    KONO_PETSC_CHECK(KSPCreate(PETSC_COMM_WORLD, &ksp));
    KONO_PETSC_CHECK(KSPSetType(ksp, KSPCG));
    PC pc;
    KONO_PETSC_CHECK(KSPGetPC(ksp, &pc));
    KONO_PETSC_CHECK(PCSetType(pc, PCGAMG));
    KONO_PETSC_CHECK(KSPSetTolerances(ksp, 1e-8, PETSC_DEFAULT, PETSC_DEFAULT, 10000));
    KONO_PETSC_CHECK(KSPSetFromOptions(ksp));
    int const size = runtime.size();
    PetscPrintf(PETSC_COMM_WORLD, "petsc_initial_guess: %s (%s) on a %dx%d DMDA, %d rank(s), a in {%g, %g}\n",
                model_path, model.provenance("train_resolution").c_str(), int(n), int(n), size, double(a_lo),
                double(a_hi));

    double sum_t0 = 0, sum_t1 = 0, sum_tm = 0, sum_err = 0;
    long sum_i0 = 0, sum_i1 = 0;
    for (PetscInt s = 0; s < samples; ++s) {
      // 3. The sample: mask, operator, preconditioner set up once for both solves.
      fill_mask(da, mask, unsigned(s));
      KONO_PETSC_CHECK(MatZeroEntries(A));
      assemble(da, mask, a_lo, a_hi, A, b);
      KONO_PETSC_CHECK(KSPSetOperators(ksp, A, A));
      KONO_PETSC_CHECK(KSPSetUp(ksp));

      // 4. Plain PETSc: from zero.
      KONO_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp, PETSC_FALSE));
      KONO_PETSC_CHECK(VecSet(u_ref, 0.0));
      double t = MPI_Wtime();
      KONO_PETSC_CHECK(KSPSolve(ksp, b, u_ref));
      double const t0 = MPI_Wtime() - t;
      PetscInt i0, i1;
      KONO_PETSC_CHECK(KSPGetIterationNumber(ksp, &i0));

      // 5. From the surrogate's guess (model on rank 0, scattered to the DMDA).
      t = MPI_Wtime();
      if (feed_coefficient) {
        KONO_PETSC_CHECK(VecCopy(mask, coef));
        KONO_PETSC_CHECK(VecScale(coef, a_hi - a_lo));
        KONO_PETSC_CHECK(VecShift(coef, a_lo));
      }
      guess.apply(feed_coefficient ? coef : mask, u);
      double const alpha = kono::rescale_initial_guess(A, b, u);
      double const tm = MPI_Wtime() - t;
      PetscReal err, ref;
      Vec d;
      KONO_PETSC_CHECK(VecDuplicate(u, &d));
      KONO_PETSC_CHECK(VecWAXPY(d, -1.0, u_ref, u));
      KONO_PETSC_CHECK(VecNorm(d, NORM_2, &err));
      KONO_PETSC_CHECK(VecNorm(u_ref, NORM_2, &ref));
      KONO_PETSC_CHECK(VecDestroy(&d));
      KONO_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE));
      t = MPI_Wtime();
      KONO_PETSC_CHECK(KSPSolve(ksp, b, u));
      double const t1 = MPI_Wtime() - t;
      KONO_PETSC_CHECK(KSPGetIterationNumber(ksp, &i1));
      KSPConvergedReason reason;
      KONO_PETSC_CHECK(KSPGetConvergedReason(ksp, &reason));
      if (reason < 0) KONO_THROW(internal, "the solve from the surrogate guess diverged: " << KSPConvergedReasons[reason]);
      PetscPrintf(PETSC_COMM_WORLD,
                  "sample %d: zero guess %d its %.2f ms | surrogate guess (scale %.3g, rel. error %.3f) %d its %.2f ms "
                  "+ model %.2f ms\n",
                  int(s), int(i0), 1e3 * t0, alpha, double(err / ref), int(i1), 1e3 * t1, 1e3 * tm);
      sum_t0 += t0;
      sum_t1 += t1;
      sum_tm += tm;
      sum_i0 += i0;
      sum_i1 += i1;
      sum_err += double(err / ref);
    }
    double const k = double(samples > 0 ? samples : 1);
    PetscPrintf(PETSC_COMM_WORLD,
                "summary: zero guess %.1f its %.2f ms; surrogate guess %.1f its %.2f ms + model %.2f ms "
                "(guess rel. error %.3f); iterations saved %.1f%%, time saved %.1f%%\n",
                sum_i0 / k, 1e3 * sum_t0 / k, sum_i1 / k, 1e3 * sum_t1 / k, 1e3 * sum_tm / k, sum_err / k,
                100.0 * (1.0 - double(sum_i1) / double(sum_i0 > 0 ? sum_i0 : 1)),
                100.0 * (1.0 - (sum_t1 + sum_tm) / (sum_t0 > 0 ? sum_t0 : 1)));
    KONO_PETSC_CHECK(KSPDestroy(&ksp));
    KONO_PETSC_CHECK(VecDestroy(&mask));
    KONO_PETSC_CHECK(VecDestroy(&b));
    KONO_PETSC_CHECK(VecDestroy(&u));
    KONO_PETSC_CHECK(VecDestroy(&u_ref));
    KONO_PETSC_CHECK(VecDestroy(&coef));
    KONO_PETSC_CHECK(MatDestroy(&A));
    KONO_PETSC_CHECK(DMDestroy(&da));  // `guess` still holds a reference; it is released at scope end
  } catch (std::exception const& e) {
    std::fprintf(stderr, "petsc_initial_guess: %s\n", e.what());
    return 1;
  }
  return 0;
}
