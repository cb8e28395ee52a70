// Darcy data generation on 1 and 2 ranks: the file is the same bits whatever the rank count,
// the DMDA-decomposed solve equals the single-rank one, provenance and bad input.
#include <petscsys.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <kono/core/config.hpp>
#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/darcy_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>

#include "support/kono_test.hpp"

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

kono::DarcyDatasetOptions small_options(std::string const& out) {
  kono::DarcyDatasetOptions o;
  o.out = out;
  o.group = "train";
  o.samples = 5;
  o.resolution = 16;
  o.seed = 7;
  o.progress_seconds = 0;
  return o;
}

TEST(DarcyDataset, SameBitsOnTheWorldCommunicatorAndOnOneRank) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("darcy_repro", MPI_COMM_WORLD);
  auto o = small_options(dir.file("world.h5"));
  auto const report = kono::generate_darcy_dataset(o, MPI_COMM_WORLD);
  EXPECT_EQ(report.samples, 5);
  ASSERT_EQ(report.iterations.size(), 5u);
  // Every rank makes its own reference file alone, then compares.
  auto s = small_options(dir.file("self_" + std::to_string(world_rank()) + ".h5"));
  kono::generate_darcy_dataset(s, MPI_COMM_SELF);
  kono::Hdf5File world(o.out, MPI_COMM_SELF), self(s.out, MPI_COMM_SELF);
  for (char const* name : {"/train/x", "/train/y", "/train/solver/iterations", "/train/solver/residual_norms"}) {
    auto const a = world.read_array<double>(name);
    auto const b = self.read_array<double>(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << name << " differs at " << i;
  }
  // Shape, contents and provenance.
  auto const info = world.dataset_info("/train/y");
  EXPECT_EQ(info.shape, (kono::Shape{5, 16, 16}));
  EXPECT_EQ(info.element_type, kono::Hdf5ElementType::float64);
  auto const x = world.read_array<double>("/train/x");
  auto const y = world.read_array<double>("/train/y");
  int high = 0, low = 0, other = 0;
  for (double v : x) (v == 12.0 ? high : v == 3.0 ? low : other) += 1;
  EXPECT_GT(high, 0);
  EXPECT_GT(low, 0);
  EXPECT_EQ(other, 0);
  for (int k = 0; k < 5; ++k)
    for (int i = 0; i < 16; ++i) EXPECT_EQ(y[std::size_t(k * 256 + i)], 0.0);  // boundary row x0 = 0
  EXPECT_GT(y[std::size_t(8 * 16 + 8)], 0.0);
  auto const x1 = world.read_array<double>("/train/coords/x1");
  ASSERT_EQ(x1.size(), 16u);
  EXPECT_DOUBLE_EQ(x1[15], 1.0);
  EXPECT_DOUBLE_EQ(x1[3], 0.2);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "problem"), "darcy");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "ksp_type"), "cg");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "pc_type"), "gamg");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "seed"), "7");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_alpha"), 2.0);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_tau"), 3.0);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_sigma"), 3.0);
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "grf_max_wavenumber"), 255);
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "grf_resolution_consistent"), 1);
  EXPECT_NE(world.read_attribute<std::string>("/train", "rng").find("resolution-consistent"), std::string::npos);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "ksp_rtol"), 1e-10);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "kono_version"), KONO_VERSION_STRING);
  auto const its = world.read_array<std::int64_t>("/train/solver/iterations");
  for (std::size_t k = 0; k < its.size(); ++k) EXPECT_EQ(its[k], report.iterations[k]);
}

TEST(DarcyDataset, Float32FilesHoldTheRoundedSamples) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("darcy_f32", MPI_COMM_WORLD);
  auto o = small_options(dir.file("f64.h5"));
  o.group = "";
  o.samples = 3;
  kono::generate_darcy_dataset(o, MPI_COMM_WORLD);
  auto o32 = o;
  o32.out = dir.file("f32.h5");
  o32.dtype = kono::Hdf5ElementType::float32;
  kono::generate_darcy_dataset(o32, MPI_COMM_WORLD);
  kono::Hdf5File f64(o.out, MPI_COMM_SELF), f32(o32.out, MPI_COMM_SELF);
  EXPECT_EQ(f32.dataset_info("/y").element_type, kono::Hdf5ElementType::float32);
  auto const a = f64.read_array<double>("/y");
  auto const b = f32.read_array<double>("/y");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(double(float(a[i])), b[i]);
}

double relative_difference(std::vector<double> const& a, std::vector<double> const& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

void expect_decomposed_equals_serial(int dim, kono::index_t n) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::GaussianRandomFieldOptions go;
  go.dim = dim;
  go.resolution = n;
  kono::GaussianRandomField grf(go);
  std::vector<double> a;
  kono::threshold_coefficient(grf.sample(3, 1), a);
  kono::DarcySolverOptions o;
  o.dim = dim;
  o.resolution = n;
  kono::DarcySolver serial(PETSC_COMM_SELF, o);
  std::vector<double> u_serial(a.size());
  serial.solve(a.data(), u_serial.data(), 1);

  kono::DarcySolver dist(MPI_COMM_WORLD, o);
  auto const b = dist.owned_begin(), e = dist.owned_end();
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) {
    EXPECT_LT(dist.owned_size(), kono::index_t(a.size()));  // really decomposed
  }
  std::vector<double> a_owned, u_owned(std::size_t(dist.owned_size()));
  kono::index_t const nz = dim == 2 ? 1 : n;
  for (kono::index_t i0 = b[0]; i0 < e[0]; ++i0)
    for (kono::index_t i1 = b[1]; i1 < e[1]; ++i1)
      for (kono::index_t i2 = b[2]; i2 < e[2]; ++i2) a_owned.push_back(a[std::size_t((i0 * n + i1) * nz + i2)]);
  auto const info = dist.solve(a_owned.data(), u_owned.data(), 1);
  EXPECT_TRUE(info.converged());
  auto const u = dist.gather(u_owned.data(), 0);
  if (world_rank() == 0) {
    ASSERT_EQ(u.size(), a.size());
    EXPECT_LT(relative_difference(u, u_serial), 1e-8) << dim << "D";
  } else {
    EXPECT_TRUE(u.empty());
  }
  auto const u_last = dist.gather(u_owned.data(), size - 1);  // another root
  if (world_rank() == size - 1) {
    EXPECT_LT(relative_difference(u_last, u_serial), 1e-8);
  }
}

TEST(DarcyDecomposed, TwoDimensionalSolveEqualsOneRank) { expect_decomposed_equals_serial(2, 65); }
TEST(DarcyDecomposed, ThreeDimensionalSolveEqualsOneRank) { expect_decomposed_equals_serial(3, 17); }

TEST(DarcyDecomposed, DatasetEqualsTheSampleParallelOne) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("darcy_decomp", MPI_COMM_WORLD);
  auto o = small_options(dir.file("samples.h5"));
  o.samples = 3;
  o.resolution = 24;
  kono::generate_darcy_dataset(o, MPI_COMM_WORLD);
  auto d = o;
  d.out = dir.file("decomposed.h5");
  d.mode = kono::DarcyParallelMode::decomposed;
  kono::generate_darcy_dataset(d, MPI_COMM_WORLD);
  kono::Hdf5File fs(o.out, MPI_COMM_SELF), fd(d.out, MPI_COMM_SELF);
  EXPECT_EQ(fs.read_array<double>("/train/x"), fd.read_array<double>("/train/x"));
  auto const ys = fs.read_array<double>("/train/y"), yd = fd.read_array<double>("/train/y");
  for (int k = 0; k < 3; ++k) {
    std::vector<double> a(ys.begin() + k * 576, ys.begin() + (k + 1) * 576);
    std::vector<double> b(yd.begin() + k * 576, yd.begin() + (k + 1) * 576);
    EXPECT_LT(relative_difference(b, a), 1e-8) << "sample " << k;
  }
  EXPECT_EQ(fd.read_attribute<std::string>("/train", "parallel_mode"), "decomposed");
}

TEST(DarcyDataset, DivergedSolveStopsEveryRankAndWritesNothing) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("darcy_div", MPI_COMM_WORLD);
  auto o = small_options(dir.file("div.h5"));
  o.solver.max_iterations = 1;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "DIVERGED_ITS");
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "sample 0 did not converge");
  EXPECT_FALSE(std::filesystem::exists(o.out));
  o.on_divergence = kono::DarcyDivergencePolicy::record;
  auto const report = kono::generate_darcy_dataset(o, MPI_COMM_WORLD);
  for (int r : report.converged_reasons) EXPECT_LT(r, 0);
  kono::Hdf5File f(o.out, MPI_COMM_SELF);
  auto const reasons = f.read_array<std::int64_t>("/train/solver/converged_reason");
  ASSERT_EQ(reasons.size(), 5u);
  for (auto r : reasons) EXPECT_LT(r, 0);
}

TEST(DarcyDataset, BadOptionsAreRefused) {
  kono::test::TempDir dir("darcy_bad", MPI_COMM_WORLD);
  auto o = small_options(dir.file("bad.h5"));
  o.resolution = 3;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "resolution = 3");
  o = small_options(dir.file("bad.h5"));
  o.samples = 0;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "samples = 0");
  o = small_options(dir.file("bad.h5"));
  o.alpha = -1;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "alpha = -1");
  o = small_options(dir.file("bad.h5"));
  o.tau = 0;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "tau = 0");
  o = small_options(dir.file("bad.h5"));
  o.dtype = kono::Hdf5ElementType::int32;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), invalid_argument, "dtype int32");
  o = small_options("/nonexistent-kono-dir/sub/d.h5");
  o.samples = 2;
  o.resolution = 4;
  EXPECT_KONO_ERROR(kono::generate_darcy_dataset(o, MPI_COMM_WORLD), file_io, "/nonexistent-kono-dir/sub/d.h5");
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.h5")));
}

}  // namespace
