// Navier-Stokes data generation on 1 and 2 ranks: the samples are the same bits whatever the
// rank count, layout and provenance, failed trajectories under both policies, bad input.
#include <petscsys.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <kono/core/config.hpp>
#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/navier_stokes_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>

#include "support/kono_test.hpp"

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

kono::NavierStokesDatasetOptions small_options(std::string const& out) {
  kono::NavierStokesDatasetOptions o;
  o.out = out;
  o.group = "train";
  o.samples = 3;
  o.seed = 11;
  o.solver.resolution = 16;
  o.solver.times = {0.5, 1.0};
  o.progress_seconds = 0;
  return o;
}

TEST(NavierStokesDataset, SameBitsOnTheWorldCommunicatorAndOnOneRank) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("ns_repro", MPI_COMM_WORLD);
  auto o = small_options(dir.file("world.h5"));
  auto const report = kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD);
  EXPECT_EQ(report.samples, 3);
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(report.ts_type, "arkimex");
  // Every rank makes its own reference file alone, then compares.
  auto s = small_options(dir.file("self_" + std::to_string(world_rank()) + ".h5"));
  kono::generate_navier_stokes_dataset(s, MPI_COMM_SELF);
  kono::Hdf5File world(o.out, MPI_COMM_SELF), self(s.out, MPI_COMM_SELF);
  for (char const* name : {"/train/x", "/train/y", "/train/solver/steps", "/train/solver/rejected_steps",
                           "/train/solver/converged_reason", "/train/solver/rhs_evaluations",
                           "/train/solver/final_time", "/train/coords/t", "/train/coords/x0"}) {
    auto const a = world.read_array<double>(name);
    auto const b = self.read_array<double>(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << name << " differs at " << i;
  }
  // Layout and contents.
  EXPECT_EQ(world.dataset_info("/train/x").shape, (kono::Shape{3, 16, 16}));
  EXPECT_EQ(world.dataset_info("/train/y").shape, (kono::Shape{3, 2, 16, 16}));
  EXPECT_EQ(world.read_array<double>("/train/coords/t"), (std::vector<double>{0.5, 1.0}));
  auto const x1 = world.read_array<double>("/train/coords/x1");
  ASSERT_EQ(x1.size(), 16u);
  EXPECT_DOUBLE_EQ(x1[4], 0.25);
  auto const x = world.read_array<double>("/train/x");
  auto const y = world.read_array<double>("/train/y");
  // Samples differ from each other, and the vorticity moves away from w0.
  double dx = 0, dy = 0, norm = 0;
  for (std::size_t i = 0; i < 256; ++i) {
    dx += std::abs(x[i] - x[256 + i]);
    dy += std::abs(y[256 + i] - x[i]);  // sample 0 at t = 1 vs its w0
    norm += std::abs(x[i]);
  }
  EXPECT_GT(dx, 0.1 * norm);
  EXPECT_GT(dy, 1e-3 * norm);
  auto const steps = world.read_array<std::int64_t>("/train/solver/steps");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    EXPECT_GT(steps[k], 0);
    EXPECT_EQ(steps[k], report.steps[k]);
  }
  for (auto f : world.read_array<std::int64_t>("/train/solver/failed")) EXPECT_EQ(f, 0);
  // Provenance.
  EXPECT_EQ(world.read_attribute<std::string>("/train", "problem"), "navier-stokes");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "nu"), 1e-3);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "ts_type"), "arkimex");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "ts_adapt_type"), "basic");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "ts_rtol"), 1e-6);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_tau"), 7.0);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_alpha"), 2.5);
  EXPECT_NEAR(world.read_attribute<double>("/train", "grf_sigma"), std::pow(7.0, 1.5), 1e-12);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "seed"), "11");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "kono_version"), KONO_VERSION_STRING);
  EXPECT_EQ(world.read_attribute<std::vector<std::int64_t>>("/train", "steps"), steps);
}

TEST(NavierStokesDataset, Float32FilesHoldTheRoundedSamples) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("ns_f32", MPI_COMM_WORLD);
  auto o = small_options(dir.file("f64.h5"));
  o.group = "";
  o.samples = 2;
  o.solver.times = {0.25};
  kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD);
  auto o32 = o;
  o32.out = dir.file("f32.h5");
  o32.dtype = kono::Hdf5ElementType::float32;
  kono::generate_navier_stokes_dataset(o32, MPI_COMM_WORLD);
  kono::Hdf5File f64(o.out, MPI_COMM_SELF), f32(o32.out, MPI_COMM_SELF);
  EXPECT_EQ(f32.dataset_info("/y").element_type, kono::Hdf5ElementType::float32);
  EXPECT_EQ(f32.dataset_info("/y").shape, (kono::Shape{2, 1, 16, 16}));
  auto const a = f64.read_array<double>("/y");
  auto const b = f32.read_array<double>("/y");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(double(float(a[i])), b[i]);
}

TEST(NavierStokesDataset, FailedTrajectoryStopsEveryRankAndWritesNothing) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("ns_div", MPI_COMM_WORLD);
  auto o = small_options(dir.file("div.h5"));
  o.solver.max_steps = 2;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "CONVERGED_ITS");
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "sample 0 failed at t");
  EXPECT_FALSE(std::filesystem::exists(o.out));
  o.on_divergence = kono::NavierStokesDivergencePolicy::record;
  auto const report = kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD);
  for (int f : report.failed) EXPECT_EQ(f, 1);
  kono::Hdf5File f(o.out, MPI_COMM_SELF);
  auto const failed = f.read_array<std::int64_t>("/train/solver/failed");
  auto const reasons = f.read_array<std::int64_t>("/train/solver/converged_reason");
  ASSERT_EQ(failed.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(failed[k], 1);
    EXPECT_EQ(reasons[k], 2);  // TS_CONVERGED_ITS: the step cap, before the first output time
  }
  for (double t : f.read_array<double>("/train/solver/final_time")) EXPECT_LT(t, 0.5);
  EXPECT_EQ(f.read_attribute<std::int64_t>("/train", "failed_samples"), 3);
  EXPECT_EQ(f.read_attribute<std::string>("/train", "divergence_policy"), "record");
}

TEST(NavierStokesDataset, BadOptionsAreRefused) {
  kono::test::TempDir dir("ns_bad", MPI_COMM_WORLD);
  auto o = small_options(dir.file("bad.h5"));
  o.solver.nu = -1;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument,
                    "nu (the viscosity) = -1");
  o = small_options(dir.file("bad.h5"));
  o.solver.resolution = 4;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "resolution = 4");
  o = small_options(dir.file("bad.h5"));
  o.samples = 0;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "samples = 0");
  o = small_options(dir.file("bad.h5"));
  o.tau = 0;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "tau = 0");
  o = small_options(dir.file("bad.h5"));
  o.solver.times = {2, 1};
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "times[1] = 1");
  o = small_options(dir.file("bad.h5"));
  o.dtype = kono::Hdf5ElementType::int32;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "dtype int32");
  o = small_options("/nonexistent-kono-dir/sub/ns.h5");
  o.samples = 2;
  o.solver.resolution = 8;
  o.solver.times = {0.1};
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), file_io, "/nonexistent-kono-dir/sub/ns.h5");
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.h5")));
}

}  // namespace
