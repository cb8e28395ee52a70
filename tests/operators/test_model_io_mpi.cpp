// Model files and checkpoints: save/load gives identical predictions, a resumed run equals an
// uninterrupted one, files that do not fit the architecture are refused with a clear error.
#include <filesystem>
#include <fstream>

#include <kono/datasets/normalizer.hpp>
#include <kono/operators/layers/grid_embedding.hpp>
#include <kono/operators/layers/sequential.hpp>
#include <kono/operators/losses/mse.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/optimizers/adam.hpp>
#include <kono/operators/training/trainer.hpp>

#include "support/gradcheck.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::Shape;

template <class Scalar>
kono::Model<Space, Scalar> small_model(std::uint64_t seed) {
  std::vector<std::unique_ptr<kono::Layer<Space, Scalar>>> layers;
  layers.push_back(std::make_unique<kono::GridEmbedding<Space, Scalar>>(1, 1));
  layers.push_back(kono::make_channel_mlp<Space, Scalar>(2, 8, 1));
  return kono::Model<Space, Scalar>("test_mlp", std::make_unique<kono::Sequential<Space, Scalar>>(std::move(layers)), seed);
}

template <class Scalar>
kono::Tensor<Space, Scalar> input(kono::index_t n) {
  auto d = kono::test::random_tensor(Shape{n, 1, 6}, 3);
  kono::Tensor<Space, Scalar> t("x", d.shape());
  auto dh = d.to_host();
  auto th = kono::Tensor<kono::HostSpace, Scalar>("xh", d.shape());
  for (kono::index_t i = 0; i < d.size(); ++i) th.data()(i) = Scalar(dh.data()(i));
  t.copy_from(th);
  return t;
}

template <class Scalar>
void round_trip() {
  kono::test::TempDir dir("model_io", MPI_COMM_WORLD);
  auto model = small_model<Scalar>(42);
  kono::ModelMetadata meta;
  meta.provenance = kono::standard_provenance("kono train --test", MPI_COMM_WORLD);
  kono::Normalizer norm(kono::NormalizerKind::scalar);
  norm.fit(input<Scalar>(5), MPI_COMM_SELF);
  meta.normalizers.emplace_back("target", norm);
  kono::save_model(dir.file("m.h5"), model, meta, MPI_COMM_WORLD);
  auto loaded = kono::load_model<Space, Scalar>(dir.file("m.h5"), MPI_COMM_WORLD);
  EXPECT_EQ(loaded.model.model_type(), "test_mlp");
  EXPECT_EQ(loaded.model.architecture(), model.architecture());
  EXPECT_FALSE(loaded.checkpoint.has_value());
  auto const x = input<Scalar>(4);
  auto const a = model.predict(x).to_host();
  auto const b = loaded.model.predict(x).to_host();
  for (kono::index_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()(i), b.data()(i)) << i;
  ASSERT_NE(loaded.meta.normalizer("target"), nullptr);
  EXPECT_EQ(loaded.meta.normalizer("target")->mean(), norm.mean());
  bool has_cmd = false;
  for (auto const& kv : loaded.meta.provenance) has_cmd |= kv.first == "command_line" && kv.second == "kono train --test";
  EXPECT_TRUE(has_cmd);
}

TEST(ModelIo, RoundTripGivesIdenticalPredictionsFloat) { round_trip<float>(); }
TEST(ModelIo, RoundTripGivesIdenticalPredictionsDouble) { round_trip<double>(); }

struct TrainingRun {
  std::vector<double> params;
  std::vector<kono::EpochRecord> curve;
};

// Trains `total` epochs; when stop_after > 0, stops there, writes a checkpoint, and resumes
// from the file with fresh objects. `multi`: multi-resolution training on a second, coarser set.
TrainingRun train(MPI_Comm comm, int total, int stop_after, std::string const& ckpt, bool multi = false) {
  auto x = input<double>(13);
  auto y = input<double>(13);
  auto const x2 = kono::test::random_tensor(Shape{9, 1, 4}, 41), y2 = kono::test::random_tensor(Shape{9, 1, 4}, 42);
  auto fit = [&](kono::Trainer<Space, double>& t) {
    if (multi)
      t.fit({{x, y}, {x2, y2}}, {}, {});
    else
      t.fit(x, y, {}, {});
  };
  kono::MseLoss<Space, double> loss;
  kono::CosineAnnealingLr schedule(1e-2, 10);
  kono::TrainerOptions opt;
  opt.epochs = stop_after > 0 ? stop_after : total;
  opt.batch_size = 4;
  opt.progress = false;
  opt.shuffle_seed = 9;
  auto model = small_model<double>(1);
  kono::Adam<Space, double> adam(model.num_parameters());
  {
    kono::Trainer<Space, double> t(model, loss, adam, schedule, comm, opt);
    fit(t);
    if (stop_after == 0) {
      auto const h = kono::test::snapshot(model.parameters());
      return {std::vector<double>(h.data(), h.data() + h.extent(0)), t.curve()};
    }
    kono::save_model(ckpt, model, {}, comm,
                     kono::make_checkpoint_state(adam, schedule, stop_after, opt.shuffle_seed,
                                                 kono::learning_curve_json(t.curve())));
  }
  auto resumed = kono::load_model<Space, double>(ckpt, comm);
  EXPECT_TRUE(resumed.checkpoint.has_value());
  kono::Adam<Space, double> adam2(resumed.model.num_parameters());
  kono::restore_optimizer(*resumed.checkpoint, adam2, ckpt);
  opt.epochs = total;
  kono::Trainer<Space, double> t2(resumed.model, loss, adam2, schedule, comm, opt);
  t2.set_start(int(resumed.checkpoint->epoch), kono::learning_curve_from_json(resumed.checkpoint->learning_curve_json));
  fit(t2);
  auto const h = kono::test::snapshot(resumed.model.parameters());
  return {std::vector<double>(h.data(), h.data() + h.extent(0)), t2.curve()};
}

TEST(ModelIo, ResumedTrainingEqualsUninterruptedTraining) {
  kono::test::TempDir dir("resume", MPI_COMM_WORLD);
  TrainingRun const straight = train(MPI_COMM_WORLD, 5, 0, "");
  TrainingRun const resumed = train(MPI_COMM_WORLD, 5, 2, dir.file("ckpt.h5"));
  EXPECT_EQ(straight.params, resumed.params);  // bitwise: same steps, same order, same state
  ASSERT_EQ(resumed.curve.size(), 5u);
  for (int e = 0; e < 5; ++e) EXPECT_EQ(straight.curve[std::size_t(e)].train_loss, resumed.curve[std::size_t(e)].train_loss);
}

// Multi-resolution training (kono train --data.resolutions): its step schedule depends only on
// (seed, epoch), so a resumed run makes the same steps.
TEST(ModelIo, ResumedMultiResolutionTrainingEqualsUninterruptedTraining) {
  kono::test::TempDir dir("resume_multi", MPI_COMM_WORLD);
  TrainingRun const straight = train(MPI_COMM_WORLD, 5, 0, "", true);
  TrainingRun const resumed = train(MPI_COMM_WORLD, 5, 2, dir.file("ckpt.h5"), true);
  EXPECT_EQ(straight.params, resumed.params);
  ASSERT_EQ(resumed.curve.size(), 5u);
  for (int e = 0; e < 5; ++e) EXPECT_EQ(straight.curve[std::size_t(e)].train_loss, resumed.curve[std::size_t(e)].train_loss);
  EXPECT_NE(straight.params, train(MPI_COMM_WORLD, 5, 0, "", false).params);  // the second set did take part
}

TEST(ModelIo, FilesThatDoNotFitTheArchitectureAreRefused) {
  kono::test::TempDir dir("model_bad", MPI_COMM_WORLD);
  auto model = small_model<double>(1);
  auto contents = kono::model_file_contents(model, {});
  auto wrong = contents;
  wrong.parameters[0].shape = Shape{8, 3};  // in_channels 3 instead of 2
  wrong.parameters[0].values.resize(24, 0.0);
  kono::write_model_file(dir.file("wrong.h5"), wrong, MPI_COMM_WORLD);
  EXPECT_KONO_ERROR((kono::load_model<Space, double>(dir.file("wrong.h5"), MPI_COMM_WORLD)), corrupt_file,
                    "the architecture expects \"1.0.weight\" [8, 2]");
  auto missing = contents;
  missing.parameters.pop_back();
  kono::write_model_file(dir.file("missing.h5"), missing, MPI_COMM_WORLD);
  EXPECT_KONO_ERROR((kono::load_model<Space, double>(dir.file("missing.h5"), MPI_COMM_WORLD)), corrupt_file,
                    "holds 3 parameter arrays, its architecture has 4");
  auto unknown = contents;
  unknown.architecture_json = R"({"type": "spectal_conv"})";
  kono::write_model_file(dir.file("unknown.h5"), unknown, MPI_COMM_WORLD);
  EXPECT_KONO_ERROR((kono::load_model<Space, double>(dir.file("unknown.h5"), MPI_COMM_WORLD)), corrupt_file,
                    "unknown layer type \"spectal_conv\"");
  EXPECT_KONO_ERROR((kono::load_model<Space, double>(kono::test::shared_data("darcy_16.h5"), MPI_COMM_WORLD)),
                    corrupt_file, "not a kono model file");
  EXPECT_KONO_ERROR((kono::load_model<Space, double>(dir.file("nope.h5"), MPI_COMM_WORLD)), file_io, "nope.h5");
}
}  // namespace
