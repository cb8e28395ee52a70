// Burgers data generation on 1 and 2 ranks: the file is the same bits whatever the rank count,
// layout and provenance, failed trajectories (stop / record) and bad input.
#include <petscsys.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <kono/core/config.hpp>
#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/burgers_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

#include "support/kono_test.hpp"

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

kono::BurgersDatasetOptions small_options(std::string const& out) {
  kono::BurgersDatasetOptions o;
  o.out = out;
  o.group = "train";
  o.samples = 5;
  o.resolution = 64;
  o.seed = 7;
  o.times = {0.0, 0.5, 1.0};
  o.progress_seconds = 0;
  return o;
}

TEST(BurgersDataset, SameBitsOnTheWorldCommunicatorAndOnOneRank) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("burgers_repro", MPI_COMM_WORLD);
  auto o = small_options(dir.file("world.h5"));
  auto const report = kono::generate_burgers_dataset(o, MPI_COMM_WORLD);
  EXPECT_EQ(report.samples, 5);
  ASSERT_EQ(report.steps.size(), 5u);
  EXPECT_EQ(report.ts_type, "arkimex");
  EXPECT_EQ(report.arkimex_type, "4");
  // Every rank makes its own reference file alone, then compares.
  auto s = small_options(dir.file("self_" + std::to_string(world_rank()) + ".h5"));
  kono::generate_burgers_dataset(s, MPI_COMM_SELF);
  kono::Hdf5File world(o.out, MPI_COMM_SELF), self(s.out, MPI_COMM_SELF);
  for (char const* name : {"/train/x", "/train/y", "/train/solver/steps", "/train/solver/rejected_steps",
                           "/train/solver/converged_reason", "/train/solver/final_time"}) {
    auto const a = world.read_array<double>(name);
    auto const b = self.read_array<double>(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << name << " differs at " << i;
  }
  // Layout: x = u0 [N, n], y = u at the output times [N, T, n], y[:, 0] = x since t0 = 0.
  EXPECT_EQ(world.dataset_info("/train/x").shape, (kono::Shape{5, 64}));
  EXPECT_EQ(world.dataset_info("/train/y").shape, (kono::Shape{5, 3, 64}));
  auto const x = world.read_array<double>("/train/x");
  auto const y = world.read_array<double>("/train/y");
  for (int k = 0; k < 5; ++k) {
    auto const u0 = kono::random_initial_condition(64, 7, k);
    for (int j = 0; j < 64; ++j) {
      ASSERT_EQ(x[std::size_t(k * 64 + j)], u0[std::size_t(j)]) << "sample " << k;
      ASSERT_EQ(y[std::size_t(k * 3 * 64 + j)], u0[std::size_t(j)]) << "sample " << k;
    }
    double e0 = 0, e1 = 0;
    for (int j = 0; j < 64; ++j) {
      e0 += y[std::size_t(k * 192 + j)] * y[std::size_t(k * 192 + j)];
      e1 += y[std::size_t(k * 192 + 128 + j)] * y[std::size_t(k * 192 + 128 + j)];
    }
    EXPECT_LT(e1, 0.01 * e0) << "sample " << k << ": viscosity damps the energy by exp(-8 pi^2 nu) ~ 4e-4";
  }
  auto const xc = world.read_array<double>("/train/coords/x0");
  ASSERT_EQ(xc.size(), 64u);
  EXPECT_EQ(xc[0], 0.0);
  EXPECT_DOUBLE_EQ(xc[16], 0.25);
  EXPECT_EQ(world.read_array<double>("/train/coords/t"), (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(world.read_attribute<std::string>("/train", "problem"), "burgers");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "nu"), 0.1);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "ts_type"), "arkimex");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "ts_arkimex_type"), "4");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "ts_adapt_type"), "basic");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "ts_rtol"), 1e-8);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "seed"), "7");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_tau"), 5.0);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "grf_sigma"), 25.0);
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "failed_samples"), 0);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "kono_version"), KONO_VERSION_STRING);
  auto const steps = world.read_array<std::int64_t>("/train/solver/steps");
  auto const reasons = world.read_array<std::int64_t>("/train/solver/converged_reason");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    EXPECT_EQ(steps[k], report.steps[k]);
    EXPECT_GT(steps[k], 5);
    EXPECT_GT(reasons[k], 0);
  }
}

TEST(BurgersDataset, Float32RootLayoutHoldsTheRoundedSamples) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("burgers_f32", MPI_COMM_WORLD);
  auto o = small_options(dir.file("f64.h5"));
  o.group = "";
  o.samples = 3;
  o.times = {1.0};  // the FNO pair u0 -> u(1)
  kono::generate_burgers_dataset(o, MPI_COMM_WORLD);
  auto o32 = o;
  o32.out = dir.file("f32.h5");
  o32.dtype = kono::Hdf5ElementType::float32;
  kono::generate_burgers_dataset(o32, MPI_COMM_WORLD);
  kono::Hdf5File f64(o.out, MPI_COMM_SELF), f32(o32.out, MPI_COMM_SELF);
  EXPECT_EQ(f64.dataset_info("/y").shape, (kono::Shape{3, 1, 64}));
  EXPECT_EQ(f32.dataset_info("/y").element_type, kono::Hdf5ElementType::float32);
  auto const a = f64.read_array<double>("/y");
  auto const b = f32.read_array<double>("/y");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(double(float(a[i])), b[i]);
}

TEST(BurgersDataset, FailedTrajectoryStopsEveryRankAndKeepsTheOldFile) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("burgers_fail", MPI_COMM_WORLD);
  auto good = small_options(dir.file("data.h5"));
  good.samples = 2;
  kono::generate_burgers_dataset(good, MPI_COMM_WORLD);
  auto o = small_options(good.out);
  o.solver.initial_dt = 0.5;
  o.solver.max_rejections = 0;
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), invalid_argument,
                    "sample 0 failed: TS reason DIVERGED_STEP_REJECTED");
  {
    kono::Hdf5File f(good.out, MPI_COMM_SELF);  // the earlier file is untouched
    EXPECT_EQ(f.dataset_info("/train/y").shape, (kono::Shape{2, 3, 64}));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  o.out = dir.file("recorded.h5");
  o.on_failure = kono::BurgersFailurePolicy::record;
  auto const report = kono::generate_burgers_dataset(o, MPI_COMM_WORLD);
  for (int r : report.converged_reasons) EXPECT_LT(r, 0);
  kono::Hdf5File f(o.out, MPI_COMM_SELF);
  auto const reasons = f.read_array<std::int64_t>("/train/solver/converged_reason");
  ASSERT_EQ(reasons.size(), 5u);
  for (auto r : reasons) EXPECT_LT(r, 0);
  EXPECT_EQ(f.read_attribute<std::int64_t>("/train", "failed_samples"), 5);
  EXPECT_EQ(f.read_attribute<std::string>("/train", "failure_policy"), "record");
}

TEST(BurgersDataset, BadOptionsAreRefused) {
  kono::test::TempDir dir("burgers_bad", MPI_COMM_WORLD);
  auto o = small_options(dir.file("bad.h5"));
  o.nu = -1;
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), invalid_argument,
                    "nu = -1: negative or non-finite viscosity");
  o = small_options(dir.file("bad.h5"));
  o.resolution = 4;
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), invalid_argument, "resolution = 4");
  o = small_options(dir.file("bad.h5"));
  o.samples = 0;
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), invalid_argument, "samples = 0");
  o = small_options(dir.file("bad.h5"));
  o.times = {0.5, 0.2};
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), invalid_argument, "output_times[1] = 0.2");
  o = small_options(dir.file("bad.h5"));
  o.dtype = kono::Hdf5ElementType::int32;
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), invalid_argument, "dtype int32");
  o = small_options("/nonexistent-kono-dir/sub/b.h5");
  EXPECT_KONO_ERROR(kono::generate_burgers_dataset(o, MPI_COMM_WORLD), file_io, "/nonexistent-kono-dir/sub/b.h5");
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.h5")));
}

}  // namespace
