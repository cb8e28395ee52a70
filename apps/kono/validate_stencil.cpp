// kono validate for learned_stencil / tsm models: fresh Kolmogorov-flow DNS trajectories solved
// now with PETSc TS (new seed), then kono rollout of the model against the classical coarse solver
// at its grid and at twice it, so the report says how long the surrogate stays correlated with
// a solve it has never seen, and at what cost.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <kono/core/runtime.hpp>
#include <kono/operators/model_io.hpp>

#include "subcommands.hpp"
#include "train_stencil.hpp"
#include "workflow.hpp"

namespace kono::app {

LayerConfig validate_stencil_model(Options const& opt, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string const model_path = opt.text("model");
  auto loaded = load_model<Space, Real>(model_path, comm);
  KONO_USER_REQUIRE(is_stencil_model(loaded.model.model_type()), invalid_argument,
                    "kono validate --problem=kolmogorov: " << model_path << " is a " << loaded.model.model_type()
                                                           << " model; Kolmogorov validation runs learned_stencil and tsm models");
  auto const res = model_resolution(loaded.model.architecture(), loaded.meta.provenance);
  KONO_USER_REQUIRE(!res.train.empty(), invalid_argument, model_path << " does not record its training grid");
  index_t const n = res.train[0];
  long long const dns = opt.integer("kolmogorov.dns");
  KONO_USER_REQUIRE(dns >= 2 * n && dns % (2 * n) == 0, invalid_argument,
                    "--kolmogorov.dns=" << dns << " must be a multiple of twice the model's grid " << n
                                        << " (the classical solver runs at " << n << " and " << 2 * n << ")");
  long long const samples = opt.given("samples") ? opt.integer("samples") : 2;
  KONO_USER_REQUIRE(samples >= 1, invalid_argument, "--samples=" << samples << " must be >= 1");
  std::string const dir = opt.text("kolmogorov.out").empty() ? path_stem(model_path) + "_validate" : opt.text("kolmogorov.out");
  create_output_directory(dir, "kolmogorov.out", "kono validate", comm);
  std::string const data = dir + "/fresh.h5";
  double const dt = std::stod(loaded.meta.provenance.empty() ? "0.07" : [&] {
    for (auto const& kv : loaded.meta.provenance)
      if (kv.first == "snapshot_interval") return kv.second;
    return std::string("0.07");
  }());
  std::ostringstream dts;
  dts << dt;
  // Fresh DNS: the generator as `kono generate navier-stokes --ns.forcing=kolmogorov` runs it.
  Options gen("generate", "", generate_option_specs(), {"ns"});
  gen.parse({"--ns.forcing=kolmogorov", "--resolution=" + std::to_string(dns),
             "--ns.coarse=" + std::to_string(n) + "," + std::to_string(2 * n), "--ns.warmup=" + opt.text("kolmogorov.warmup"),
             "--ns.dt_out=" + dts.str(), "--ns.steps_out=" + opt.text("kolmogorov.steps"), "--ns.nu=" + opt.text("kolmogorov.nu"),
             "--ns.store_dns=none", "--dtype=float32", "--samples=" + std::to_string(samples),
             "--seed=" + opt.text("seed"), "--group=validate", "--out=" + data});
  if (rank == 0)
    std::cout << "kono validate: " << samples << " fresh Kolmogorov trajectories at " << dns << "^2 (PETSc TS, seed "
              << opt.text("seed") << "), then rollouts of " << model_path << " vs the classical solver at " << n
              << " and " << 2 * n << "\n";
  generate_data(gen, "navier-stokes", comm);
  long long const steps = opt.integer("kolmogorov.steps");
  long long const start = std::min<long long>(steps - 1, static_cast<long long>(std::ceil(1.0 / dt - 1e-9)));
  std::vector<std::string> args = {"--model=" + model_path,
                                   "--data.file=" + data,
                                   "--data.group=/validate",
                                   "--steps=" + std::to_string(steps - start),
                                   "--start=" + std::to_string(start),
                                   "--compare=classical@" + std::to_string(n) + ",classical@" + std::to_string(2 * n),
                                   "--out=" + dir,
                                   "--export_sample=-1"};
  rollout_main(args);
  std::ifstream in(dir + "/rollout.json");
  LayerConfig report = LayerConfig::parse(in);
  report["problem"] = "kolmogorov";
  report["model"] = model_path;
  report["dns_resolution"] = dns;
  report["seed"] = opt.integer("seed");
  std::string const json = opt.text("json");
  if (!json.empty()) write_text_on_root(json, report.dump(2) + "\n", comm);
  if (rank == 0 && !json.empty()) std::cout << "kono validate: report in " << json << "\n";
  return report;
}

}  // namespace kono::app
