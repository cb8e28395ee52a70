// kono::DMDASurrogate: the model applied to a Vec on a decomposed DMDA equals the model applied
// to the whole field on one rank (np 1 and np 2 in one run each), and misfits are reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/petsc_surrogate.hpp>

namespace {
std::string const dir = KONO_CAPI_MODEL_DIR;

double field(PetscInt i, PetscInt j) { return ((i / 3 + 2 * j / 5) % 3 == 0) ? 1.0 : 0.0; }

TEST(DMDASurrogate, DecomposedEqualsWholeField) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  auto const model = kono::Surrogate::load(dir + "/fno2d_f64.h5", PETSC_COMM_WORLD);
  PetscInt const M = 20, N = 18;  // x has 20 nodes, y 18: model tensor [1, 1, 18, 20]
  DM da;
  ASSERT_EQ(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, M, N, PETSC_DECIDE,
                         PETSC_DECIDE, 1, 1, nullptr, nullptr, &da), 0);
  ASSERT_EQ(DMSetUp(da), 0);
  Vec x, y;
  DMCreateGlobalVector(da, &x);
  VecDuplicate(x, &y);
  PetscInt xs, ys, xm, ym;
  DMDAGetCorners(da, &xs, &ys, nullptr, &xm, &ym, nullptr);
  PetscScalar** a;
  DMDAVecGetArray(da, x, &a);
  for (PetscInt j = ys; j < ys + ym; ++j)
    for (PetscInt i = xs; i < xs + xm; ++i) a[j][i] = field(i, j);
  DMDAVecRestoreArray(da, x, &a);
  {
    kono::DMDASurrogate const s(model, da);
    EXPECT_EQ(s.input_shape(), (kono::Shape{1, 1, N, M}));
    s.apply(x, y);
  }
  // Reference: the whole field, C order [y][x], through the host-array API.
  std::vector<double> in(std::size_t(M * N)), ref(in.size());
  for (PetscInt j = 0; j < N; ++j)
    for (PetscInt i = 0; i < M; ++i) in[std::size_t(j * M + i)] = field(i, j);
  kono::index_t const ext[2] = {N, M};
  model.apply<double>(1, 1, ext, in.data(), ref.data());
  PetscScalar const** g2;
  DMDAVecGetArrayRead(da, y, &g2);
  double max_diff = 0, max_ref = 0;
  for (double r : ref) max_ref = std::max(max_ref, std::abs(r));
  for (PetscInt j = ys; j < ys + ym; ++j)
    for (PetscInt i = xs; i < xs + xm; ++i) max_diff = std::max(max_diff, std::abs(g2[j][i] - ref[std::size_t(j * M + i)]));
  DMDAVecRestoreArrayRead(da, y, &g2);
  // The adapter runs the model on rank 0, the reference runs on every rank: each process measures
  // its own FFTW plans (FFTW_MEASURE), which may pick algorithms that round differently, so on
  // rank 1 the two agree to rounding (seen: 5.6e-17), not bitwise. A wrong gather/scatter is O(1).
  EXPECT_GT(max_ref, 0.0);
  EXPECT_LE(max_diff, 1e-12 * max_ref);

  // A 3-dof DMDA does not fit a 1-channel model: size_mismatch naming the file, on every rank.
  DM da3;
  DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, M, N, PETSC_DECIDE,
               PETSC_DECIDE, 3, 1, nullptr, nullptr, &da3);
  DMSetUp(da3);
  try {
    kono::DMDASurrogate const bad(model, da3);
    ADD_FAILURE() << "no throw";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::size_mismatch);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("3 channels"));
  }
  DMDestroy(&da3);
  VecDestroy(&x);
  VecDestroy(&y);
  DMDestroy(&da);
}
}  // namespace
