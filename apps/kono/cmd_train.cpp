// kono train: fit a model (FNO, MLP, ...) to input/target pairs of an HDF5 file, data-parallel
// over the MPI ranks, and write the model file (architecture, parameters, normalisers,
// provenance) plus the learning curve.
//
//   kono train --data.file=darcy_16.h5 --model.type=fno --model.modes=8,8 --out=fno.h5
//   mpiexec -n 2 kono train --config=train.yaml
#include <algorithm>
#include <iostream>
#include <optional>

#include <kono/core/runtime.hpp>
#include <kono/operators/losses/loss_registry.hpp>
#include <kono/operators/losses/relative_h1.hpp>
#include <kono/operators/losses/relative_lp.hpp>
#include <kono/operators/model_registry.hpp>
#include <kono/operators/optimizers/optimizer_registry.hpp>
#include <kono/operators/training/trainer.hpp>

#include "grid_resample.hpp"
#include "subcommands.hpp"
#include "train_stencil.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> train_option_specs() {
  return {
      {"data.file", "", "HDF5 file with the training (and test) pairs (required)"},
      {"data.input", "/train/x", "dataset of training inputs [N, spatial...] (or [N, C, spatial...])"},
      {"data.target", "/train/y", "dataset of training targets"},
      {"data.test_input", "/test/x", "dataset of test inputs, evaluated during training (empty: none)"},
      {"data.test_target", "/test/y", "dataset of test targets"},
      {"data.test_file", "", "HDF5 file of the test pairs (empty: data.file)"},
      {"data.train_samples", "0", "use the first N training samples (0: all)"},
      {"data.test_samples", "0", "use the first N test samples (0: all)"},
      {"data.channel_axis", "false", "datasets are [N, C, spatial...] instead of one channel [N, spatial...]"},
      {"data.input_channel_axis", "", "inputs only: [N, C, spatial...] (default: data.channel_axis)"},
      {"data.target_channel_axis", "", "targets only, e.g. true for Burgers [N, T, x] as T channels (default: data.channel_axis)"},
      {"data.resolutions", "",
       "multi-resolution training: comma list of grid sizes (nodes per axis), e.g. 32,16; the training samples are "
       "also used as coarser copies at each size (exact subsampling when the coarse nodes are fine nodes, else "
       "bilinear interpolation at the coarse nodes; see data.grid); an epoch makes every batch of every "
       "grid once, each step on one grid, in an order seeded by train.seed; the first size is the reference "
       "(model.reference_resolution, the grid of the test samples and metric, train_resolution); the data's size "
       "must be listed or finer than all; not with pointwise normalisation (empty: the data's grid only)"},
      {"data.grid", "",
       "grid points for --data.resolutions: nodes (x_i = i/(n-1), boundary included, as kono generate darcy; exact "
       "subsampling when (n-1)/(m-1) is an integer), half_open (x_i = i/n, neuraloperator's darcy_16) or periodic "
       "(x_i = i/n, e.g. Burgers); exact when n/m is an integer (default: --model.grid if given, else nodes)"},
      {"data.normalize_input", "none", "input normalisation: none, scalar, per_channel, pointwise"},
      {"data.normalize_target", "scalar", "target normalisation (training sees encoded targets)"},
      {"model.type", "fno",
       "model family; model.* options below depend on it (in/out_channels, dim and, where the family has it, "
       "reference_resolution are set from the data)"},
      {"loss.type", "h1", "training loss: h1, l2, lp, mse (loss.* keys go to the loss; learned_stencil/tsm: mse unless given)"},
      {"optimizer.type", "adamw", "adam, adamw or sgd (optimizer.* keys go to the optimizer)"},
      {"optimizer.variant", "neuralop", "adamw flavour: neuralop or pytorch"},
      {"optimizer.weight_decay", "1e-4", "weight decay"},
      {"schedule.type", "cosine", "learning-rate schedule: constant, step, cosine"},
      {"schedule.lr", "1e-2", "base learning rate (learned_stencil/tsm: 1e-3 unless given)"},
      {"schedule.T_max", "30", "cosine period in epochs (schedule.step_size/gamma for step)"},
      {"train.epochs", "15", "epochs"},
      {"train.batch_size", "64", "global batch size, sharded over the ranks"},
      {"train.micro_batch_size", "0",
       "samples per forward/backward pass; passes add up to one step (0: automatic, ~16384 grid points)"},
      {"train.eval_every", "1", "evaluate on the test set every k epochs"},
      {"train.seed", "0", "seed of the initial parameters and of the shuffling"},
      {"train.clip_grad_norm", "0", "clip the gradient to this global norm (0: off)"},
      {"train.checkpoint", "", "checkpoint file written every train.checkpoint_every epochs (empty: none)"},
      {"train.checkpoint_every", "0", "epochs between checkpoints (0: only at the end)"},
      {"train.resume", "", "checkpoint to resume from (same options otherwise)"},
      {"train.init", "", "start from the parameters of this model file (same family and size; fine-tuning); a fresh optimiser and schedule"},
      {"train.progress", "true", "one progress line per epoch on rank 0"},
      {"out", "model.h5", "model file to write; the learning curve goes to <stem>_curve.csv/.json"},
      {"data.coarse", "32", "learned_stencil/tsm: coarse grid n of the trajectories <group>/coarse_<n>/velocity"},
      {"data.train_group", "/train", "learned_stencil/tsm: group of the training trajectories (params/, coords/t)"},
      {"data.test_group", "/test", "learned_stencil/tsm: group of the test trajectories (empty: none)"},
      {"train.unroll", "1,4,16",
       "learned_stencil/tsm: curriculum of unroll lengths (model steps per window), the epochs split evenly; 1 is "
       "teacher forcing (one step from every reference state), the last is the full unroll"},
      {"train.window_stride", "2", "learned_stencil/tsm: snapshots between the starts of two training windows"},
      {"train.history", "1.0",
       "learned_stencil/tsm: windows start after this much reference history (time units; tsm needs its HiPPO window)"},
  };
}

namespace {
std::string model_help() {
  std::string s = "\nmodel options (--model.KEY=VALUE), per --model.type:\n";
  for (auto const& type : registered_model_types()) {
    s += "  " + type + ": " + model_summary(type) + "\n";
    for (auto const& o : model_options(type)) {
      std::string k = "    --model." + o.key;
      k.resize(34, ' ');
      s += k + o.help + " [default: " + o.default_value.dump() + "]\n";
    }
  }
  return s;
}

void put(std::vector<std::pair<std::string, std::string>>& p, std::string k, std::string v) {
  p.emplace_back(std::move(k), std::move(v));
}

// The grids of --data.resolutions for samples on `spatial` (the data's grid), first = reference;
// empty when the option is empty. Errors name the option.
std::vector<std::vector<index_t>> training_grids(Options const& opt, Shape const& spatial, std::string const& file) {
  if (opt.text("data.resolutions").empty()) return {};
  std::vector<long long> const sizes = opt.integers("data.resolutions");
  index_t const n = spatial[0];
  for (int a = 1; a < spatial.rank(); ++a)
    KONO_USER_REQUIRE(spatial[a] == n, invalid_argument,
                      "--data.resolutions needs the same number of nodes on every axis, but " << file << " holds samples on "
                                                                                            << spatial.to_string());
  std::vector<std::vector<index_t>> grids;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    long long const m = sizes[i];
    KONO_USER_REQUIRE(m >= 2 && m <= n, invalid_argument,
                      "--data.resolutions=" << opt.text("data.resolutions") << ": " << m << " is not between 2 and the data's "
                                            << n << " nodes per axis (" << file << ": " << spatial.to_string()
                                            << "); coarser copies only");
    for (std::size_t j = 0; j < i; ++j)
      KONO_USER_REQUIRE(sizes[j] != m, invalid_argument,
                        "--data.resolutions=" << opt.text("data.resolutions") << " lists " << m << " twice");
    grids.emplace_back(std::size_t(spatial.rank()), index_t(m));
  }
  // Every size is at most the data's: so the data's own grid is listed or finer than all of them
  // (no copy is finer than what was solved).
  return grids;
}

// --data.grid (else --model.grid, else nodes): where the data's points sit (grid_resample.hpp).
std::string grid_name(Options const& opt) {
  if (!opt.text("data.grid").empty()) return opt.text("data.grid");
  return opt.given("model.grid") ? opt.text("model.grid") : std::string("nodes");
}

GridNodes grid_nodes(Options const& opt) {
  std::string const g = grid_name(opt);
  KONO_USER_REQUIRE(g == "nodes" || g == "half_open" || g == "periodic", invalid_argument,
                    "--data.grid=" << g << (opt.text("data.grid").empty() ? " (from --model.grid)" : "")
                                   << ": choose nodes (x_i = i/(n-1)), half_open or periodic (x_i = i/n)");
  return g == "nodes" ? GridNodes::nodes : GridNodes::half_open;
}

// x on `grid`: itself when it is already there, else its coarser copy.
RealTensor on_grid(RealTensor const& x, std::vector<index_t> const& grid, GridNodes nodes) {
  return x.shape().tail(2).to_vector() == grid ? x : downsample_grid(x, grid, nodes);
}
}  // namespace

TrainResult train_model(Options const& opt, MPI_Comm comm) {
  if (is_stencil_model(opt.text("model.type"))) return train_stencil_model(opt, comm);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::string const file = opt.text("data.file");
  KONO_USER_REQUIRE(!file.empty(), invalid_argument, "kono train: --data.file is required (an HDF5 file with /train/x, /train/y)");
  std::string const out = opt.text("out");
  require_writable(out, "out");
  bool const in_axis = channel_axis_of(opt, "input"), out_axis = channel_axis_of(opt, "target");

  // Data (replicated on every rank: the trainer shards each global batch).
  Hdf5SampleStore store(file, comm);
  long long const ntrain = opt.integer("data.train_samples"), ntest = opt.integer("data.test_samples");
  KONO_USER_REQUIRE(ntrain >= 0 && ntest >= 0, invalid_argument, "--data.train_samples and --data.test_samples must be >= 0");
  RealTensor x = read_samples(store, opt.text("data.input"), 0, ntrain ? ntrain : -1, in_axis, "data.input");
  RealTensor y = read_samples(store, opt.text("data.target"), 0, ntrain ? ntrain : -1, out_axis, "data.target");
  KONO_USER_REQUIRE(x.extent(0) == y.extent(0), size_mismatch,
                    file << ": " << opt.text("data.input") << " has " << x.extent(0) << " samples but "
                         << opt.text("data.target") << " has " << y.extent(0));
  KONO_USER_REQUIRE(x.shape().tail(2) == y.shape().tail(2), size_mismatch,
                    file << ": inputs " << x.shape().to_string() << " and targets " << y.shape().to_string()
                         << " are on different grids");
  bool const has_test = !opt.text("data.test_input").empty();
  RealTensor xt, yt;
  if (has_test) {
    std::string const test_file = opt.text("data.test_file");
    std::optional<Hdf5SampleStore> other;
    if (!test_file.empty() && test_file != file) other.emplace(test_file, comm);
    Hdf5SampleStore const& test_store = other ? *other : store;
    xt = read_samples(test_store, opt.text("data.test_input"), 0, ntest ? ntest : -1, in_axis, "data.test_input");
    yt = read_samples(test_store, opt.text("data.test_target"), 0, ntest ? ntest : -1, out_axis, "data.test_target");
  }

  // Multi-resolution training: the grids (first = reference), checked against the data.
  Shape const data_grid = x.shape().tail(2);
  std::vector<std::vector<index_t>> const grids = training_grids(opt, data_grid, file);
  std::vector<index_t> const reference = grids.empty() ? data_grid.to_vector() : grids[0];
  GridNodes const nodes = grid_nodes(opt);
  if (!grids.empty()) {
    for (char const* which : {"input", "target"})
      KONO_USER_REQUIRE(opt.text(std::string("data.normalize_") + which) != "pointwise", invalid_argument,
                        "--data.normalize_" << which << "=pointwise holds statistics per grid point of "
                                            << data_grid.to_string() << ", so it cannot serve --data.resolutions="
                                            << opt.text("data.resolutions") << "; use scalar or per_channel");
    if (has_test) {
      std::vector<index_t> const test_grid = xt.shape().tail(2).to_vector();
      bool fits = test_grid.size() == reference.size();
      for (std::size_t a = 0; fits && a < test_grid.size(); ++a) fits = test_grid[a] >= reference[a];
      KONO_USER_REQUIRE(fits, invalid_argument,
                        "--data.resolutions=" << opt.text("data.resolutions") << ": the test samples "
                                              << xt.shape().to_string() << " (--data.test_input) are coarser than the reference grid "
                                              << extents_text(reference) << " the test metric is computed on");
    }
  }

  // Model: channels and dimension come from the data, and so does the reference grid for families
  // that take one (resolution-consistent models anchor their kernels to it: docs/resolution.md).
  std::string const type = opt.text("model.type");
  LayerConfig mopt = opt.section("model");
  mopt.erase("type");
  int const dim = x.shape().rank() - 2;
  set_reference_resolution(mopt, type, reference,
                           grids.empty() ? "the grid of the training data (" + file + ": inputs " + x.shape().to_string() + ")"
                                         : "the first grid of --data.resolutions=" + opt.text("data.resolutions"));
  for (auto const& kv : {std::pair<char const*, long long>{"in_channels", x.extent(1)}, {"out_channels", y.extent(1)},
                         {"dim", dim}}) {
    if (mopt.contains(kv.first))
      KONO_USER_REQUIRE(mopt.at(kv.first) == LayerConfig(kv.second), size_mismatch,
                        "--model." << kv.first << "=" << mopt.at(kv.first).dump() << " does not match the data ("
                                   << file << ": inputs " << x.shape().to_string() << ", targets "
                                   << y.shape().to_string() << ")");
    mopt[kv.first] = kv.second;
  }
  std::uint64_t const seed = std::uint64_t(opt.integer("train.seed"));
  RealModel model = create_model<Space, Real>(type, mopt, seed);
  model.output_shape(x.shape().with_extent(0, 1));  // a model that cannot take the data fails here, clearly
  for (auto const& g : grids) {  // ... and at every grid of --data.resolutions
    std::vector<index_t> e{1, x.extent(1)};
    e.insert(e.end(), g.begin(), g.end());
    model.output_shape(Shape(e));
  }

  // Normalisation fitted on the training set (same statistics on any rank count).
  ModelMetadata meta;
  NormalizerKind kind{};
  Normalizer const* input_norm = nullptr;
  Normalizer const* target_norm = nullptr;
  if (normalizer_kind(opt.text("data.normalize_input"), "data.normalize_input", kind)) {
    Normalizer n(kind);
    n.fit(x.slice_batch(0, rank == 0 ? x.extent(0) : 0), comm);  // replicated data: rank 0 holds it all
    meta.normalizers.emplace_back("input", n);
  }
  if (normalizer_kind(opt.text("data.normalize_target"), "data.normalize_target", kind)) {
    Normalizer n(kind);
    n.fit(y.slice_batch(0, rank == 0 ? y.extent(0) : 0), comm);
    meta.normalizers.emplace_back("target", n);
  }
  input_norm = meta.normalizer("input");
  target_norm = meta.normalizer("target");
  if (input_norm) {
    input_norm->encode(x);
    if (has_test) input_norm->encode(xt);
  }
  RealTensor y_encoded = y;
  if (target_norm) {
    y_encoded = y.clone_to<Space>("kono::train::y_encoded");
    target_norm->encode(y_encoded);
  }
  // One (input, encoded target) set per grid; the test pairs on the reference grid. The
  // normalisers are scalar or per channel here, so encoding commutes with the grid transfer.
  std::vector<std::pair<RealTensor, RealTensor>> sets;
  std::string grids_text;
  if (grids.empty()) {
    sets.emplace_back(x, y_encoded);
  } else {
    for (auto const& g : grids) {
      sets.emplace_back(on_grid(x, g, nodes), on_grid(y_encoded, g, nodes));
      std::string const how = g == data_grid.to_vector() ? "the data"
                              : exact_subsampling(data_grid, g, nodes) ? "exact subsampling"
                              : dim == 1                         ? "linear interpolation"
                              : dim == 2                         ? "bilinear interpolation"
                                                                 : "trilinear interpolation";
      grids_text += (grids_text.empty() ? "" : ", ") + extents_text(g) + " (" + how + ")";
    }
    if (has_test) {
      xt = on_grid(xt, reference, nodes);
      yt = on_grid(yt, reference, nodes);
    }
  }

  // Loss, optimizer, schedule from their sections (the registries check the keys).
  auto loss = create_loss<Space, Real>(opt.section("loss"), "--loss.*");
  auto optimizer = create_optimizer<Space, Real>(opt.section("optimizer"), model.num_parameters(), "--optimizer.*");
  auto schedule = create_lr_schedule(opt.section("schedule"), "--schedule.*");

  TrainerOptions to;
  to.epochs = int(opt.integer("train.epochs"));
  to.batch_size = index_t(opt.integer("train.batch_size"));
  to.micro_batch_size = index_t(opt.integer("train.micro_batch_size"));
  to.eval_every = int(opt.integer("train.eval_every"));
  to.shuffle_seed = seed;
  to.clip_grad_norm = opt.real("train.clip_grad_norm");
  to.progress = opt.flag("train.progress");
  std::string const stem = path_stem(out);
  to.curve_csv = stem + "_curve.csv";
  to.curve_json = stem + "_curve.json";
  to.validate();

  // Provenance: what the model was trained on, and the shapes eval/validate check against.
  put(meta.provenance, "in_channels", std::to_string(x.extent(1)));
  put(meta.provenance, "out_channels", std::to_string(y.extent(1)));
  put(meta.provenance, "dim", std::to_string(dim));
  put(meta.provenance, "train_resolution", Shape(reference).to_string());
  if (!grids.empty()) {
    std::string all;
    for (auto const& g : grids) all += (all.empty() ? "" : ", ") + Shape(g).to_string();
    put(meta.provenance, "train_resolutions", "[" + all + "]");  // JSON: [[32, 32], [16, 16]]
    put(meta.provenance, "data_resolution", data_grid.to_string());
    put(meta.provenance, "data_grid", grid_name(opt));
  }
  put(meta.provenance, "train_data", file + ":" + opt.text("data.input") + "," + opt.text("data.target"));
  put(meta.provenance, "train_samples", std::to_string(x.extent(0)));
  put(meta.provenance, "model_options", mopt.dump());
  put(meta.provenance, "loss", opt.section("loss").dump());
  put(meta.provenance, "optimizer", opt.section("optimizer").dump());
  put(meta.provenance, "schedule", opt.section("schedule").dump());
  put(meta.provenance, "epochs", std::to_string(to.epochs));
  put(meta.provenance, "batch_size", std::to_string(to.batch_size));
  put(meta.provenance, "seed", std::to_string(seed));
  for (auto const& kv : standard_provenance("kono train " + opt.command_line(), comm)) meta.provenance.push_back(kv);

  Trainer<Space, Real> trainer(model, *loss, *optimizer, *schedule, comm, to);
  trainer.add_eval_loss("l2", std::make_unique<RelativeLpLoss<Space, Real>>(2.0));
  trainer.add_eval_loss("h1", std::make_unique<RelativeH1Loss<Space, Real>>());
  trainer.set_target_normalizer(target_norm);

  std::string const init = opt.text("train.init");
  if (!init.empty()) {
    KONO_USER_REQUIRE(opt.text("train.resume").empty(), invalid_argument, "--train.init and --train.resume exclude each other");
    auto loaded = load_model<Space, Real>(init, comm);
    KONO_USER_REQUIRE(loaded.model.architecture() == model.architecture(), invalid_argument,
                      init << " (--train.init) holds a different architecture than --model.* describe");
    Kokkos::deep_copy(model.parameters(), loaded.model.parameters());
  }
  std::string const resume = opt.text("train.resume");
  if (!resume.empty()) {
    auto loaded = load_model<Space, Real>(resume, comm);
    KONO_USER_REQUIRE(loaded.checkpoint.has_value(), invalid_argument,
                      resume << " (--train.resume) is a model file without training state, not a checkpoint");
    KONO_USER_REQUIRE(loaded.model.architecture() == model.architecture(), invalid_argument,
                      resume << " (--train.resume) holds a different architecture than --model.* describe");
    Kokkos::deep_copy(model.parameters(), loaded.model.parameters());
    restore_optimizer(*loaded.checkpoint, *optimizer, resume);
    trainer.set_start(int(loaded.checkpoint->epoch), learning_curve_from_json(loaded.checkpoint->learning_curve_json));
    if (rank == 0) std::cout << "kono train: resuming " << resume << " after epoch " << loaded.checkpoint->epoch << "\n";
  }
  std::string const ckpt = opt.text("train.checkpoint");
  int const every = int(opt.integer("train.checkpoint_every"));
  if (!ckpt.empty()) {
    require_writable(ckpt, "train.checkpoint");
    trainer.set_epoch_callback([&](int done, std::vector<EpochRecord> const& curve) {
      if ((every > 0 && done % every == 0) || done == to.epochs)
        save_model(ckpt, model, meta, comm,
                   make_checkpoint_state(*optimizer, *schedule, done, seed, learning_curve_json(curve)));
    });
  }

  if (rank == 0) {
    std::cout << "kono train: " << type << " with " << model.num_parameters() << " parameters on " << x.extent(0)
              << " samples " << x.shape().tail(1).to_string() << " from " << file << ", " << to.epochs << " epochs, batch "
              << to.batch_size << ", " << size << " rank(s)\n";
    if (!grids.empty())
      std::cout << "kono train: multi-resolution on " << grids_text << "; reference and test grid "
                << extents_text(reference) << "\n";
  }
  TrainResult result;
  result.curve = has_test ? trainer.fit(sets, xt, yt) : trainer.fit(sets, x.slice_batch(0, 0), y.slice_batch(0, 0));
  result.model_path = out;
  result.curve_csv = to.curve_csv;
  result.parameters = model.num_parameters();
  if (has_test && !result.curve.empty() && !result.curve.back().test.empty()) {
    result.test_l2 = result.curve.back().test.at("l2");
    result.test_h1 = result.curve.back().test.at("h1");
    put(meta.provenance, "final_test_rel_l2", std::to_string(result.test_l2));
    put(meta.provenance, "final_test_rel_h1", std::to_string(result.test_h1));
  }
  save_model(out, model, meta, comm);
  if (rank == 0) {
    std::cout << "kono train: wrote " << out << " and " << to.curve_csv;
    if (has_test) std::cout << "; test rel L2 " << result.test_l2 << ", rel H1 " << result.test_h1;
    std::cout << "\n";
  }
  return result;
}

int train_main(std::vector<std::string> const& args) {
  register_builtin_models();
  Options opt("train", "kono train --data.file=FILE.h5 [--model.type=fno --model.KEY=VALUE ...] [--out=MODEL.h5]",
              train_option_specs(), {"model", "loss", "optimizer", "schedule"});
  opt.parse(args);
  if (opt.help_requested()) {
    if (Runtime::current().rank() == 0) std::cout << opt.help() << model_help();
    return 0;
  }
  KONO_USER_REQUIRE(opt.positional().empty(), invalid_argument,
                    "kono train: unexpected argument \"" << opt.positional()[0] << "\" (options are --key=value)");
  train_model(opt, Runtime::current().comm());
  return 0;
}

}  // namespace kono::app
