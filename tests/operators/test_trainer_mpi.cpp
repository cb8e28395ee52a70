// Data-parallel training: the same global batches give the same parameters on 1 and 2 ranks
// (compared within one run against an MPI_COMM_SELF reference), training reduces the loss,
// the learning curve is written, bad shapes are refused on every rank.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <tuple>

#include <kono/operators/layers/sequential.hpp>
#include <kono/operators/losses/mse.hpp>
#include <kono/operators/losses/relative_h1.hpp>
#include <kono/operators/model_registry.hpp>
#include <kono/operators/optimizers/adam.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <kono/operators/training/trainer.hpp>

#include "support/gradcheck.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::Shape;
using T = kono::Tensor<Space, double>;

// A smooth target map the MLP can learn: y = sin(pi x) pointwise.
std::pair<T, T> make_data(kono::index_t n, std::uint64_t seed) {
  T x = kono::test::random_tensor(Shape{n, 1, 8}, seed);
  T y("y", x.shape());
  auto xv = x.data();
  auto yv = y.data();
  Kokkos::parallel_for(
      "target", Kokkos::RangePolicy<Space::execution_space>(0, x.size()),
      KOKKOS_LAMBDA(kono::index_t i) { yv(i) = kono::math::sin(3.14159265358979 * xv(i)); });
  return {x, y};
}

std::vector<double> train_and_get_parameters(MPI_Comm comm, int epochs, std::vector<kono::EpochRecord>* curve,
                                             kono::TrainerOptions opt = {}, double lr = 1e-2) {
  auto [x, y] = make_data(21, 1);  // 21: batches of 8, 8, 5 (a partial batch), odd shards on 2 ranks
  auto [xt, yt] = make_data(7, 2);
  kono::Model<Space, double> model("mlp", kono::make_channel_mlp<Space, double>(1, 16, 1), 123);
  kono::MseLoss<Space, double> loss;
  kono::Adam<Space, double> adam(model.num_parameters());
  kono::CosineAnnealingLr schedule(lr, 60);
  opt.epochs = epochs;
  opt.batch_size = 8;
  opt.eval_every = 1;
  opt.progress = false;
  opt.shuffle_seed = 77;
  kono::Trainer<Space, double> trainer(model, loss, adam, schedule, comm, opt);
  trainer.add_eval_loss("mse", std::make_unique<kono::MseLoss<Space, double>>());
  auto const& c = trainer.fit(x, y, xt, yt);
  if (curve) *curve = c;
  auto h = kono::test::snapshot(model.parameters());
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

TEST(TrainerMpi, SameParametersOnAnyRankCountAsOnOneRank) {
  std::vector<kono::EpochRecord> curve_world, curve_self;
  auto const world = train_and_get_parameters(MPI_COMM_WORLD, 3, &curve_world);
  auto const self = train_and_get_parameters(MPI_COMM_SELF, 3, &curve_self);
  ASSERT_EQ(world.size(), self.size());
  double maxdiff = 0;
  for (std::size_t i = 0; i < world.size(); ++i) maxdiff = std::max(maxdiff, std::abs(world[i] - self[i]));
  EXPECT_LT(maxdiff, 1e-12) << "parameters differ between the distributed run and the single-rank run";
  ASSERT_EQ(curve_world.size(), curve_self.size());
  for (std::size_t e = 0; e < curve_world.size(); ++e) {
    EXPECT_NEAR(curve_world[e].train_loss, curve_self[e].train_loss, 1e-12);
    EXPECT_NEAR(curve_world[e].test.at("mse"), curve_self[e].test.at("mse"), 1e-12);
  }
}

// FNO (spectral layers, domain padding, H1 loss, neuralop's AdamW) trained data-parallel gives
// the parameters a single rank gets.
std::vector<double> train_fno(MPI_Comm comm, kono::index_t micro_batch = 0) {
  auto x = kono::test::random_tensor(Shape{10, 1, 8, 6}, 21);
  auto y = kono::test::random_tensor(Shape{10, 1, 8, 6}, 22);
  auto model = kono::create_model<Space, double>(
      "fno", {{"modes", {4, 3}}, {"hidden_channels", 4}, {"layers", 2}, {"padding", 0.25}}, 5);
  kono::RelativeH1Loss<Space, double> loss;
  kono::Adam<Space, double> adamw(model.num_parameters(), kono::AdamOptions::neuralop_adamw());
  kono::CosineAnnealingLr schedule(1e-2, 30);
  kono::TrainerOptions opt;
  opt.epochs = 2;
  opt.batch_size = 4;  // batches 4, 4, 2: shards 2+2, 2+2, 1+1 on two ranks
  opt.micro_batch_size = micro_batch;
  opt.progress = false;
  kono::Trainer<Space, double> trainer(model, loss, adamw, schedule, comm, opt);
  trainer.fit(x, y, x.slice_batch(0, 0), y.slice_batch(0, 0));
  auto h = kono::test::snapshot(model.parameters());
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

TEST(TrainerMpi, FnoTrainsToTheSameParametersOnAnyRankCount) {
  auto const world = train_fno(MPI_COMM_WORLD);
  auto const self = train_fno(MPI_COMM_SELF);
  ASSERT_EQ(world.size(), self.size());
  double maxdiff = 0, moved = 0;
  auto const init = kono::test::snapshot(
      kono::create_model<Space, double>("fno", {{"modes", {4, 3}}, {"hidden_channels", 4}, {"layers", 2}, {"padding", 0.25}}, 5)
          .parameters());
  for (std::size_t i = 0; i < world.size(); ++i) {
    maxdiff = std::max(maxdiff, std::abs(world[i] - self[i]));
    moved = std::max(moved, std::abs(self[i] - init(i)));
  }
  EXPECT_GT(moved, 1e-4) << "training did not change the parameters";
  EXPECT_LT(maxdiff, 1e-12) << "FNO parameters differ between the distributed and the single-rank run";
}

// Micro-batches (one forward/backward pass per sample, gradients accumulated by every FNO layer)
// make the same optimiser steps as one pass over the whole shard, on 1 and on 2 ranks.
TEST(TrainerMpi, MicroBatchesGiveTheSameStepsAsWholeBatches) {
  auto const whole = train_fno(MPI_COMM_SELF, 4);
  auto const init = kono::test::snapshot(
      kono::create_model<Space, double>("fno", {{"modes", {4, 3}}, {"hidden_channels", 4}, {"layers", 2}, {"padding", 0.25}}, 5)
          .parameters());
  for (MPI_Comm comm : {MPI_COMM_SELF, MPI_COMM_WORLD}) {
    for (kono::index_t micro : {1, 3}) {
      auto const split = train_fno(comm, micro);
      ASSERT_EQ(split.size(), whole.size());
      double maxdiff = 0, moved = 0;
      for (std::size_t i = 0; i < whole.size(); ++i) {
        maxdiff = std::max(maxdiff, std::abs(split[i] - whole[i]));
        moved = std::max(moved, std::abs(whole[i] - init(i)));
      }
      EXPECT_GT(moved, 1e-4);
      EXPECT_LT(maxdiff, 1e-12) << "micro_batch_size=" << micro << " changed the training";
    }
  }
}

TEST(TrainerMpi, TrainingReducesTheLossAndWritesTheCurve) {
  kono::test::TempDir dir("trainer", MPI_COMM_WORLD);
  kono::TrainerOptions opt;
  opt.curve_csv = dir.file("curve.csv");
  opt.curve_json = dir.file("curve.json");
  std::vector<kono::EpochRecord> curve;
  train_and_get_parameters(MPI_COMM_WORLD, 60, &curve, opt, 3e-2);
  ASSERT_EQ(curve.size(), 60u);
  EXPECT_LT(curve.back().train_loss, 0.1 * curve.front().train_loss);
  EXPECT_LT(curve.back().test.at("mse"), 0.1 * curve.front().test.at("mse"));
  MPI_Barrier(MPI_COMM_WORLD);
  std::ifstream csv(opt.curve_csv);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,lr,train_loss,test_mse,seconds,samples_per_second");
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 60);
  std::ifstream js(opt.curve_json);
  std::string text((std::istreambuf_iterator<char>(js)), std::istreambuf_iterator<char>());
  auto const back = kono::learning_curve_from_json(text);
  ASSERT_EQ(back.size(), 60u);
  EXPECT_DOUBLE_EQ(back[59].train_loss, curve[59].train_loss);
}

TEST(TrainerMpi, PermutationDependsOnlyOnSeedAndEpoch) {
  kono::Model<Space, double> model("mlp", kono::make_channel_mlp<Space, double>(1, 4, 1), 1);
  kono::MseLoss<Space, double> loss;
  kono::Adam<Space, double> adam(model.num_parameters());
  kono::ConstantLr schedule(1e-3);
  kono::TrainerOptions opt;
  opt.shuffle_seed = 5;
  kono::Trainer<Space, double> a(model, loss, adam, schedule, MPI_COMM_WORLD, opt), b(model, loss, adam, schedule, MPI_COMM_SELF, opt);
  auto const p0 = a.permutation(100, 0);
  EXPECT_EQ(p0, b.permutation(100, 0));
  EXPECT_NE(p0, a.permutation(100, 1));
  auto sorted = p0;
  std::sort(sorted.begin(), sorted.end());
  for (kono::index_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[std::size_t(i)], i);
}

TEST(TrainerMpi, RefusesMismatchedDataAndBadOptions) {
  kono::Model<Space, double> model("mlp", kono::make_channel_mlp<Space, double>(1, 4, 1), 1);
  kono::MseLoss<Space, double> loss;
  kono::Adam<Space, double> adam(model.num_parameters());
  kono::ConstantLr schedule(1e-3);
  kono::Trainer<Space, double> trainer(model, loss, adam, schedule, MPI_COMM_WORLD, {});
  T x("x", Shape{4, 1, 8}), y2("y", Shape{4, 2, 8}), y3("y", Shape{3, 1, 8});
  EXPECT_KONO_ERROR((trainer.fit(x, y2, T(), T())), size_mismatch, "to [4, 1, 8], but the targets are [4, 2, 8]");
  EXPECT_KONO_ERROR((trainer.fit(x, y3, T(), T())), size_mismatch, "same number");
  kono::TrainerOptions bad;
  bad.batch_size = 0;
  EXPECT_KONO_ERROR((kono::Trainer<Space, double>(model, loss, adam, schedule, MPI_COMM_WORLD, bad)), invalid_argument,
                    "--train.batch_size=0");
  bad.batch_size = 4;
  bad.micro_batch_size = -1;
  EXPECT_KONO_ERROR((kono::Trainer<Space, double>(model, loss, adam, schedule, MPI_COMM_WORLD, bad)), invalid_argument,
                    "--train.micro_batch_size=-1 must be >= 0");
  kono::Adam<Space, double> wrong(3);
  EXPECT_KONO_ERROR((kono::Trainer<Space, double>(model, loss, wrong, schedule, MPI_COMM_WORLD, {})), size_mismatch,
                    "optimizer holds state for 3 parameters");
}
}  // namespace

#include <kono/operators/losses/relative_lp.hpp>

namespace {
int g_allocations = 0;
void count_allocation(Kokkos::Profiling::SpaceHandle, char const*, void const*, std::uint64_t) { ++g_allocations; }

TEST(TrainerMpi, SteadyStateTrainingStepAllocatesNothing) {
  auto [x, y] = make_data(16, 3);
  std::vector<std::unique_ptr<kono::Layer<Space, double>>> layers;
  layers.push_back(kono::make_channel_mlp<Space, double>(1, 8, 1));
  layers.push_back(std::make_unique<kono::Residual<Space, double>>(kono::make_channel_mlp<Space, double>(1, 4, 1)));
  kono::Model<Space, double> model("mlp", std::make_unique<kono::Sequential<Space, double>>(std::move(layers)), 3);
  kono::RelativeLpLoss<Space, double> loss;
  kono::Adam<Space, double> adam(model.num_parameters());
  kono::ConstantLr schedule(1e-3);
  kono::Trainer<Space, double> trainer(model, loss, adam, schedule, MPI_COMM_WORLD, {});
  std::vector<kono::index_t> const batch{3, 1, 4, 1, 5, 9, 2, 6};
  trainer.train_step(x, y, batch, 1e-3);  // first step sizes the workspaces
  g_allocations = 0;
  Kokkos::Tools::Experimental::set_allocate_data_callback(count_allocation);
  trainer.train_step(x, y, batch, 1e-3);
  trainer.train_step(x, y, batch, 1e-3);
  Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
  // The counter does see allocations (so the zero below means something).
  Kokkos::Tools::Experimental::set_allocate_data_callback(count_allocation);
  { T probe("probe", Shape{4}); }
  Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
  EXPECT_EQ(g_allocations, 1) << "allocation callback not called";
  g_allocations -= 1;
  EXPECT_EQ(g_allocations, 0) << "Kokkos allocations inside steady-state training steps";
}
}  // namespace

// Multi-resolution training (kono train --data.resolutions): an FNO trained on the same samples
// on two grids, each step on one grid, gives the same parameters on 1 and 2 ranks and twice in a
// row; the schedule makes every batch of every set once per epoch, in an order that depends only
// on (seed, epoch).
namespace {
std::vector<double> train_fno_multi_resolution(MPI_Comm comm) {
  auto x8 = kono::test::random_tensor(Shape{10, 1, 8, 8}, 31);
  auto y8 = kono::test::random_tensor(Shape{10, 1, 8, 8}, 32);
  auto x6 = kono::test::random_tensor(Shape{7, 1, 6, 6}, 33);  // another size: sets need not match
  auto y6 = kono::test::random_tensor(Shape{7, 1, 6, 6}, 34);
  auto xt = kono::test::random_tensor(Shape{3, 1, 8, 8}, 35);
  auto yt = kono::test::random_tensor(Shape{3, 1, 8, 8}, 36);
  auto model = kono::create_model<Space, double>("fno", {{"modes", {2, 2}}, {"hidden_channels", 4}, {"layers", 2}}, 5);
  kono::RelativeH1Loss<Space, double> loss;
  kono::Adam<Space, double> adamw(model.num_parameters(), kono::AdamOptions::neuralop_adamw());
  kono::CosineAnnealingLr schedule(1e-2, 30);
  kono::TrainerOptions opt;
  opt.epochs = 3;
  opt.batch_size = 4;  // 3 batches at 8x8 (4, 4, 2) and 2 at 6x6 (4, 3) per epoch
  opt.progress = false;
  opt.shuffle_seed = 9;
  kono::Trainer<Space, double> trainer(model, loss, adamw, schedule, comm, opt);
  trainer.add_eval_loss("h1", std::make_unique<kono::RelativeH1Loss<Space, double>>());
  auto const& curve = trainer.fit({{x8, y8}, {x6, y6}}, xt, yt);
  EXPECT_EQ(curve.size(), 3u);
  EXPECT_EQ(curve.back().test.count("h1"), 1u);
  auto h = kono::test::snapshot(model.parameters());
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

TEST(TrainerMpi, MultiResolutionTrainsToTheSameParametersOnAnyRankCount) {
  auto const world = train_fno_multi_resolution(MPI_COMM_WORLD);
  auto const self = train_fno_multi_resolution(MPI_COMM_SELF);
  auto const again = train_fno_multi_resolution(MPI_COMM_SELF);
  auto const init = kono::test::snapshot(
      kono::create_model<Space, double>("fno", {{"modes", {2, 2}}, {"hidden_channels", 4}, {"layers", 2}}, 5).parameters());
  ASSERT_EQ(world.size(), self.size());
  double maxdiff = 0, moved = 0;
  for (std::size_t i = 0; i < world.size(); ++i) {
    maxdiff = std::max(maxdiff, std::abs(world[i] - self[i]));
    moved = std::max(moved, std::abs(self[i] - init(i)));
  }
  EXPECT_GT(moved, 1e-4) << "training did not change the parameters";
  EXPECT_LT(maxdiff, 1e-12) << "multi-resolution FNO parameters differ between the distributed and the single-rank run";
  EXPECT_EQ(self, again) << "multi-resolution training is not deterministic";
}

TEST(TrainerMpi, MultiResolutionScheduleMakesEveryBatchOnceInASeededOrder) {
  kono::Model<Space, double> model("mlp", kono::make_channel_mlp<Space, double>(1, 4, 1), 1);
  kono::MseLoss<Space, double> loss;
  kono::Adam<Space, double> adam(model.num_parameters());
  kono::ConstantLr schedule(1e-3);
  kono::TrainerOptions opt;
  opt.batch_size = 8;
  opt.shuffle_seed = 5;
  kono::Trainer<Space, double> a(model, loss, adam, schedule, MPI_COMM_WORLD, opt), b(model, loss, adam, schedule, MPI_COMM_SELF, opt);
  using Step = kono::Trainer<Space, double>::Step;
  auto key = [](Step const& s) { return std::tuple<int, kono::index_t, kono::index_t>(s.set, s.first, s.count); };
  // One set: today's order, batch after batch.
  auto const one = a.step_schedule({21}, 4);
  ASSERT_EQ(one.size(), 3u);
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_EQ(key(one[i]), key(Step{0, kono::index_t(8 * i), i == 2 ? 5 : 8}));
  // Three sets: every batch once, same on every rank count, another order in another epoch.
  auto const e0 = a.step_schedule({21, 10, 3}, 0);
  ASSERT_EQ(e0.size(), 3u + 2u + 1u);
  std::vector<std::tuple<int, kono::index_t, kono::index_t>> got, want{{0, 0, 8}, {0, 8, 8}, {0, 16, 5}, {1, 0, 8}, {1, 8, 2}, {2, 0, 3}};
  for (auto const& s : e0) got.push_back(key(s));
  auto const order0 = got;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  auto const same = b.step_schedule({21, 10, 3}, 0);
  for (std::size_t i = 0; i < same.size(); ++i) EXPECT_EQ(key(same[i]), order0[i]);
  bool differs = false;
  for (int epoch = 1; epoch < 6 && !differs; ++epoch) {
    auto const e = a.step_schedule({21, 10, 3}, epoch);
    for (std::size_t i = 0; i < e.size(); ++i) differs = differs || key(e[i]) != order0[i];
  }
  EXPECT_TRUE(differs) << "the step order does not change between epochs";
  // Set 0 keeps the single-set permutation; other sets get their own.
  EXPECT_EQ(a.set_permutation(0, 21, 3), a.permutation(21, 3));
  EXPECT_NE(a.set_permutation(1, 21, 3), a.permutation(21, 3));
  EXPECT_EQ(a.set_permutation(1, 21, 3), b.set_permutation(1, 21, 3));
}
}  // namespace
