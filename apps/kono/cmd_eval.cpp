// kono eval: run a trained model on input/target pairs and report the metrics DESIGN.md lists
// (samples, rel_l2, rel_h1, rmse, nrmse, max_abs_err, plus per-sample arrays) as JSON, and
// optionally the predictions as HDF5. Samples are spread over the MPI ranks. The JSON also says
// on which grid the model was trained ("train_resolution") and whether this data is off it
// ("zero_shot"); a model that is not resolution-consistent evaluated off its training grid gets
// a warning on stderr.
//
//   kono eval --model=fno.h5 --data.file=darcy_16.h5 --json=metrics.json
#include <iostream>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/sample_shard.hpp>

#include "subcommands.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> eval_option_specs() {
  return {
      {"model", "", "model file written by kono train (required)"},
      {"data.file", "", "HDF5 file with the pairs to evaluate (required)"},
      {"data.input", "/test/x", "dataset of inputs"},
      {"data.target", "/test/y", "dataset of targets"},
      {"data.samples", "0", "evaluate the first N samples (0: all)"},
      {"data.channel_axis", "false", "datasets are [N, C, spatial...]"},
      {"data.input_channel_axis", "", "inputs only (default: data.channel_axis)"},
      {"data.target_channel_axis", "", "targets only (default: data.channel_axis)"},
      {"eval.batch_size", "64", "samples per forward pass"},
      {"json", "",
       "write the metrics JSON here (empty: print only): samples, rel_l2, rel_h1, rmse, nrmse, max_abs_err, "
       "per_sample, resolution, train_resolution, zero_shot (data off the training grid(s)), resolution_consistent. "
       "A model that is not resolution-consistent, evaluated zero-shot, also warns on stderr"},
      {"predictions", "", "write the predictions here as HDF5 (/prediction, same layout as the target)"},
  };
}

LayerConfig evaluate_model(Options const& opt, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string const model_path = opt.text("model"), file = opt.text("data.file");
  KONO_USER_REQUIRE(!model_path.empty(), invalid_argument, "kono eval: --model is required (a file from kono train)");
  KONO_USER_REQUIRE(!file.empty(), invalid_argument, "kono eval: --data.file is required");
  std::string const json = opt.text("json"), pred_path = opt.text("predictions");
  if (!json.empty()) require_writable(json, "json");
  if (!pred_path.empty()) require_writable(pred_path, "predictions");
  bool const in_axis = channel_axis_of(opt, "input"), out_axis = channel_axis_of(opt, "target");

  auto loaded = load_model<Space, Real>(model_path, comm);
  Hdf5SampleStore store(file, comm);
  std::string const in_ds = opt.text("data.input"), out_ds = opt.text("data.target");
  KONO_USER_REQUIRE(store.file().has_dataset(in_ds), invalid_argument,
                    file << " has no dataset \"" << in_ds << "\" (--data.input)");
  KONO_USER_REQUIRE(store.file().has_dataset(out_ds), invalid_argument,
                    file << " has no dataset \"" << out_ds << "\" (--data.target)");
  ModelSignature const sig = model_signature(loaded.meta);
  Shape const in_shape = store.sample_shape(in_ds, SampleLayout{in_axis});
  Shape const out_shape = store.sample_shape(out_ds, SampleLayout{out_axis});
  check_model_fits(sig, model_path, in_shape, file, in_ds, true);
  check_model_fits(sig, model_path, out_shape, file, out_ds, false);
  index_t n = store.num_samples(in_ds);
  KONO_USER_REQUIRE(store.num_samples(out_ds) == n, size_mismatch,
                    file << ": " << in_ds << " has " << n << " samples but " << out_ds << " has " << store.num_samples(out_ds));
  long long const want = opt.integer("data.samples");
  KONO_USER_REQUIRE(want >= 0 && want <= n, invalid_argument,
                    "--data.samples=" << want << " but " << file << ":" << in_ds << " has " << n << " samples");
  if (want > 0) n = index_t(want);
  // Off the training grid, a model that is not resolution-consistent computes another operator.
  std::vector<index_t> const grid = in_shape.tail(1).to_vector();
  ModelResolution const res = model_resolution(loaded.model.architecture(), loaded.meta.provenance);
  warn_if_not_resolution_consistent("eval", model_path, res, file + ":" + in_ds, {grid}, comm);

  SampleShard const shard = shard_samples(n, comm);
  RealTensor x, y, pred;
  SampleMetrics local;
  if (shard.count > 0) {
    x = read_samples(store, in_ds, shard.first, shard.count, in_axis, "data.input");
    y = read_samples(store, out_ds, shard.first, shard.count, out_axis, "data.target");
    pred = predict(loaded.model, x, index_t(opt.integer("eval.batch_size")), loaded.meta.normalizer("input"),
                   loaded.meta.normalizer("target"));
    local = compute_metrics(pred, y);
  }
  SampleMetrics const all = gather_metrics(local, comm);
  LayerConfig report = metrics_json(all, {{"model", model_path}, {"data", file + ":" + in_ds + "," + out_ds}});
  report["resolution"] = grid;
  report["train_resolution"] = res.train.empty() ? LayerConfig(nullptr) : LayerConfig(res.train);
  report["zero_shot"] = res.zero_shot(grid);
  report["resolution_consistent"] = res.consistency.consistent;
  if (!res.consistency.consistent) report["resolution_consistent_reason"] = res.consistency.reason;

  if (!pred_path.empty()) {
    std::vector<index_t> global = out_shape.to_vector();
    global.insert(global.begin(), n);
    if (!out_axis) global.erase(global.begin() + 1);
    Hdf5Writer w(pred_path, comm);
    RealTensor local_pred = pred;
    if (shard.count == 0) {
      std::vector<index_t> e = out_shape.to_vector();
      e.insert(e.begin(), 0);
      local_pred = RealTensor("kono::empty", Shape(e));
    }
    w.write_samples("/prediction", Shape(global), local_pred, shard.first);
    w.write_attribute("/", "model", model_path);
    w.write_attribute("/", "data", file + ":" + in_ds);
    w.commit();
  }
  if (!json.empty()) write_text_on_root(json, report.dump(2) + "\n", comm);
  if (rank == 0) {
    std::cout << "kono eval: " << all.size() << " samples of " << file << ":" << in_ds << " on "
              << extents_text(grid);
    if (report["zero_shot"].get<bool>()) std::cout << " (zero-shot: trained at " << extents_text(res.train) << ")";
    std::cout << "\n"
              << "  rel_l2 " << report["rel_l2"].get<double>() << "  rel_h1 " << report["rel_h1"].get<double>()
              << "  rmse " << report["rmse"].get<double>() << "  nrmse " << report["nrmse"].get<double>()
              << "  max_abs_err " << report["max_abs_err"].get<double>() << "\n";
    if (!json.empty()) std::cout << "  metrics: " << json << "\n";
    if (!pred_path.empty()) std::cout << "  predictions: " << pred_path << "\n";
  }
  return report;
}

int eval_main(std::vector<std::string> const& args) {
  Options opt("eval", "kono eval --model=MODEL.h5 --data.file=FILE.h5 [--data.input=/test/x --data.target=/test/y] "
                      "[--json=metrics.json] [--predictions=pred.h5]",
              eval_option_specs());
  opt.parse(args);
  if (opt.help_requested()) {
    if (Runtime::current().rank() == 0) std::cout << opt.help();
    return 0;
  }
  KONO_USER_REQUIRE(opt.positional().empty(), invalid_argument,
                    "kono eval: unexpected argument \"" << opt.positional()[0] << "\" (options are --key=value)");
  evaluate_model(opt, Runtime::current().comm());
  return 0;
}

}  // namespace kono::app
