// kono validate: fresh inputs (a new seed), solved by the PETSc reference solver and predicted by
// the surrogate, at the training resolution and at others (zero-shot): accuracy, time per sample
// for both, and the speedup. JSON report plus a table on rank 0. Samples spread over ranks.
//
//   kono validate --model=fno.h5 --problem=darcy --resolution=16,32,64 --samples=32 --json=report.json
//   kono validate --model=mgno.h5 --zero_shot=64,128    (training resolution, twice it, 64 and 128)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <kono/core/runtime.hpp>
#include <kono/datasets/sample_shard.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/darcy_dataset.hpp>
#include <kono/solvers/random_fields.hpp>

#include "subcommands.hpp"
#include "train_stencil.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> validate_option_specs() {
  return {
      {"model", "", "model file written by kono train (required)"},
      {"problem", "", "reference problem: darcy (FNO, MgNO, MLP), kolmogorov (learned_stencil, tsm); default from the model"},
      {"resolution", "", "comma list of resolutions (default: the training resolution and twice it)"},
      {"zero_shot", "",
       "comma list of extra resolutions evaluated beside --resolution, e.g. 64,128 (rows off the training grid(s) "
       "are marked zero-shot; a model that is not resolution-consistent warns on stderr)"},
      {"samples", "16", "fresh samples per resolution"},
      {"seed", "982451653", "seed of the fresh inputs (pick one the training data did not use)"},
      {"json", "", "write the report here (empty: print only)"},
      {"eval.batch_size", "64", "samples per forward pass"},
      {"darcy.alpha", "2", "Gaussian random field smoothness"},
      {"darcy.tau", "3", "Gaussian random field inverse length scale"},
      {"darcy.high", "12", "coefficient where the field is positive"},
      {"darcy.low", "3", "coefficient elsewhere"},
      {"darcy.forcing", "1", "right-hand side f"},
      {"darcy.rtol", "1e-10", "KSP relative tolerance (-ksp_rtol overrides)"},
      {"kolmogorov.dns", "256", "kolmogorov: DNS resolution of the fresh trajectories (a multiple of twice the model's grid)"},
      {"kolmogorov.warmup", "10", "kolmogorov: warm-up time discarded before the trajectories start"},
      {"kolmogorov.steps", "60", "kolmogorov: snapshots per fresh trajectory (the rollouts start after 1 time unit of history)"},
      {"kolmogorov.nu", "1e-3", "kolmogorov: viscosity of the fresh trajectories"},
      {"kolmogorov.out", "", "kolmogorov: directory of the fresh data and rollout outputs (default: <model stem>_validate)"},
  };
}

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The spatial extent the model was trained at, from its provenance ("[1, 16, 16]" -> 16), or 0.
index_t training_resolution(ModelMetadata const& meta) {
  for (auto const& kv : meta.provenance)
    if (kv.first == "train_resolution") {
      std::string s = kv.second;
      auto const last = s.find_last_of("0123456789");
      if (last == std::string::npos) return 0;
      auto first = s.find_last_not_of("0123456789", last);
      return index_t(std::stoll(s.substr(first + 1, last - first)));
    }
  return 0;
}

struct ResolutionReport {
  index_t resolution = 0;
  SampleMetrics metrics;
  double solver_seconds = 0, surrogate_seconds = 0, iterations = 0;  // sums over all samples
};

ResolutionReport validate_darcy(RealModel const& model, ModelMetadata const& meta, Options const& opt, index_t res,
                                MPI_Comm comm) {
  index_t const n = index_t(opt.integer("samples"));
  SampleShard const shard = shard_samples(n, comm);
  DarcySolverOptions so;
  so.dim = 2;
  so.resolution = res;
  so.forcing = opt.real("darcy.forcing");
  so.rtol = opt.real("darcy.rtol");
  so.options_prefix = "";
  so.throw_on_divergence = false;  // reported below, collectively
  DarcySolver solver(MPI_COMM_SELF, so);  // PETSC_COMM_SELF: each rank solves whole samples
  GaussianRandomFieldOptions go;
  go.dim = 2;
  go.resolution = res;
  go.alpha = opt.real("darcy.alpha");
  go.tau = opt.real("darcy.tau");
  // As kono generate darcy: the same continuous field for (seed, k) at every resolution.
  go.max_wavenumber = darcy_default_max_wavenumber(2);
  GaussianRandomField grf(go);
  std::uint64_t const seed = std::uint64_t(opt.integer("seed"));
  index_t const points = res * res;

  Tensor<HostSpace, Real> xh("kono::validate::a", Shape{shard.count, 1, res, res});
  Tensor<HostSpace, Real> yh("kono::validate::u", Shape{shard.count, 1, res, res});
  ResolutionReport rep;
  rep.resolution = res;
  double local[3] = {0, 0, 0};  // solver seconds, surrogate seconds, iterations
  std::vector<double> a, u(static_cast<std::size_t>(points));
  // A reference that did not converge is no reference: find the first failed sample on any rank
  // (collectively, so no rank waits forever) and report it.
  struct {
    int sample, reason;
  } failed{int(n), 0}, first_failed{};
  unsigned char reason_name[64] = {}, any_reason_name[64] = {};
  for (index_t s = 0; s < shard.count; ++s) {
    index_t const k = shard.first + s;
    threshold_coefficient(grf.sample(seed, k), a, opt.real("darcy.high"), opt.real("darcy.low"));
    auto const t0 = Clock::now();
    DarcySolveInfo const info = solver.solve(a.data(), u.data(), k);
    local[0] += since(t0);
    local[2] += info.iterations;
    if (!info.converged()) {
      failed = {int(k), info.converged_reason};
      std::snprintf(reinterpret_cast<char*>(reason_name), sizeof reason_name, "%s", info.reason_name.c_str());
      break;
    }
    for (index_t p = 0; p < points; ++p) {
      xh.data()(s * points + p) = Real(a[std::size_t(p)]);
      yh.data()(s * points + p) = Real(u[std::size_t(p)]);
    }
  }
  MPI_Allreduce(&failed, &first_failed, 1, MPI_2INT, MPI_MINLOC, comm);
  if (first_failed.sample < int(n) && failed.sample != first_failed.sample) std::fill(reason_name, reason_name + 64, 0);
  MPI_Allreduce(reason_name, any_reason_name, 64, MPI_UNSIGNED_CHAR, MPI_MAX, comm);
  KONO_USER_REQUIRE(first_failed.sample >= int(n), invalid_argument,
                    "kono validate: the PETSc reference solve of fresh darcy sample " << first_failed.sample << " at "
                        << res << "x" << res << " did not converge (KSP reason "
                        << reinterpret_cast<char const*>(any_reason_name) << " = " << first_failed.reason
                        << "); check the -ksp_* / -pc_* options");
  if (shard.count > 0) {
    RealTensor x = xh.clone_to<Space>("kono::validate::x"), y = yh.clone_to<Space>("kono::validate::y");
    predict(model, x.slice_batch(0, 1), 1, meta.normalizer("input"), meta.normalizer("target"));  // warm-up: plans
    auto const t0 = Clock::now();
    RealTensor pred = predict(model, x, index_t(opt.integer("eval.batch_size")), meta.normalizer("input"),
                              meta.normalizer("target"));
    Kokkos::fence();
    local[1] = since(t0);
    rep.metrics = compute_metrics(pred, y);
  }
  double total[3];
  MPI_Allreduce(local, total, 3, MPI_DOUBLE, MPI_SUM, comm);
  rep.solver_seconds = total[0];
  rep.surrogate_seconds = total[1];
  rep.iterations = total[2];
  rep.metrics = gather_metrics(rep.metrics, comm);
  return rep;
}
}  // namespace

LayerConfig validate_model(Options const& opt, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string const model_path = opt.text("model"), json = opt.text("json");
  KONO_USER_REQUIRE(!model_path.empty(), invalid_argument, "kono validate: --model is required (a file from kono train)");
  std::string problem = opt.text("problem");
  if (problem.empty())
    problem = is_stencil_model(load_model<Space, Real>(model_path, comm).model.model_type()) ? "kolmogorov" : "darcy";
  KONO_USER_REQUIRE(problem == "darcy" || problem == "kolmogorov", invalid_argument,
                    "kono validate: unknown --problem=" << problem << " (known: darcy, kolmogorov)");
  if (problem == "kolmogorov") return validate_stencil_model(opt, comm);
  if (!json.empty()) require_writable(json, "json");
  long long const n = opt.integer("samples");
  KONO_USER_REQUIRE(n >= 1, invalid_argument, "--samples=" << n << " must be >= 1");
  auto loaded = load_model<Space, Real>(model_path, comm);
  ModelSignature const sig = model_signature(loaded.meta);
  KONO_USER_REQUIRE((sig.dim < 0 || sig.dim == 2) && sig.in_channels <= 1 && sig.out_channels <= 1, size_mismatch,
                    "model " << model_path << " maps " << sig.in_channels << " to " << sig.out_channels << " channel(s) in "
                             << sig.dim << "D; darcy validation needs a 2D one-channel coefficient -> solution model");
  index_t const trained = training_resolution(loaded.meta);
  std::vector<long long> resolutions;
  if (opt.text("resolution").empty()) {
    KONO_USER_REQUIRE(trained > 0, invalid_argument,
                      model_path << " does not record its training resolution; give --resolution");
    resolutions = {trained, 2 * trained};
  } else {
    resolutions = opt.integers("resolution");
  }
  for (long long r : resolutions)
    KONO_USER_REQUIRE(r >= darcy_min_resolution, invalid_argument,
                      "--resolution=" << r << " is below the Darcy minimum of " << darcy_min_resolution);
  if (!opt.text("zero_shot").empty())
    for (long long r : opt.integers("zero_shot")) {
      KONO_USER_REQUIRE(r >= darcy_min_resolution, invalid_argument,
                        "--zero_shot=" << r << " is below the Darcy minimum of " << darcy_min_resolution);
      if (std::find(resolutions.begin(), resolutions.end(), r) == resolutions.end()) resolutions.push_back(r);
    }
  // Off the training grid, a model that is not resolution-consistent computes another operator.
  ModelResolution const res = model_resolution(loaded.model.architecture(), loaded.meta.provenance);
  std::vector<std::vector<index_t>> grids;
  for (long long r : resolutions) grids.push_back({index_t(r), index_t(r)});
  warn_if_not_resolution_consistent("validate", model_path, res, "fresh darcy data", grids, comm);

  LayerConfig report{{"model", model_path}, {"problem", problem}, {"seed", opt.integer("seed")},
                     {"training_resolution", trained}, {"resolution_consistent", res.consistency.consistent},
                     {"resolutions", LayerConfig::array()}};
  if (!res.consistency.consistent) report["resolution_consistent_reason"] = res.consistency.reason;
  std::ostringstream table;
  table << "| resolution | samples | rel L2 | rel H1 | max abs err | PETSc s/sample | surrogate s/sample | speedup | CG iterations |\n"
        << "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (long long r : resolutions) {
    if (rank == 0) std::cout << "kono validate: " << n << " fresh darcy samples at " << r << "x" << r << "\n" << std::flush;
    ResolutionReport const rep = validate_darcy(loaded.model, loaded.meta, opt, index_t(r), comm);
    bool const zero_shot = res.train.empty() ? index_t(r) != trained : res.zero_shot({index_t(r), index_t(r)});
    double const solver = rep.solver_seconds / double(n), surrogate = rep.surrogate_seconds / double(n);
    LayerConfig entry = metrics_json(rep.metrics, {{"resolution", r},
                                                    {"zero_shot", zero_shot},
                                                    {"solver_seconds_per_sample", solver},
                                                    {"surrogate_seconds_per_sample", surrogate},
                                                    {"speedup", surrogate > 0 ? solver / surrogate : 0.0},
                                                    {"mean_solver_iterations", rep.iterations / double(n)}});
    table << "| " << r << (zero_shot ? " (zero-shot)" : "") << " | " << n << " | " << std::setprecision(4)
          << entry["rel_l2"].get<double>() << " | " << entry["rel_h1"].get<double>() << " | "
          << entry["max_abs_err"].get<double>() << " | " << std::setprecision(3) << solver << " | " << surrogate << " | "
          << entry["speedup"].get<double>() << " | " << entry["mean_solver_iterations"].get<double>() << " |\n";
    report["resolutions"].push_back(entry);
  }
  report["table"] = table.str();
  if (!json.empty()) write_text_on_root(json, report.dump(2) + "\n", comm);
  if (rank == 0) {
    std::cout << table.str();
    if (!json.empty()) std::cout << "kono validate: report in " << json << "\n";
  }
  return report;
}

int validate_main(std::vector<std::string> const& args) {
  Options opt("validate",
              "kono validate --model=MODEL.h5 [--problem=darcy --resolution=16,32 --samples=N --json=report.json] "
              "[-petsc_option value ...]",
              validate_option_specs());
  opt.parse(args);
  if (opt.help_requested()) {
    if (Runtime::current().rank() == 0) std::cout << opt.help();
    return 0;
  }
  insert_petsc_options(opt.positional(), 0);
  validate_model(opt, Runtime::current().comm());
  return 0;
}

}  // namespace kono::app
