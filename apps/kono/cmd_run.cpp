// kono run: the built-in end-to-end default, a user's first hour in one command. Generates a
// Darcy training and test set with PETSc, trains an FNO on it (data-parallel over the ranks),
// evaluates it on the test set, validates it against fresh PETSc solves at the training
// resolution and a finer one (zero-shot), exports fields for ParaView, draws the learning curve
// and one sample as PNGs, and prints a summary with the numbers and where the files are.
//
//   kono run                                   # everything under ./kono_run
//   mpiexec -n 2 kono run --run.dir=out --train.epochs=30 --model.hidden_channels=32
//
// Each step is the function behind its own subcommand (generate_data, train_model, ...), fed an
// option table built from run's options, so `kono run` and the single subcommands cannot drift.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <kono/core/runtime.hpp>
#include <kono/operators/model_registry.hpp>

#include "subcommands.hpp"
#include "workflow.hpp"

extern char** environ;

namespace kono::app {

namespace {
// Sections of `kono train` that `kono run` forwards unchanged (checked by train's own table).
std::vector<std::string> const g_train_sections{"model", "train", "loss", "optimizer", "schedule"};
// Darcy parameters shared by generation and validation (same names as in kono generate).
std::vector<std::string> const g_darcy_keys{"darcy.alpha", "darcy.tau", "darcy.high", "darcy.low", "darcy.forcing",
                                            "darcy.rtol"};
}  // namespace

std::vector<OptionSpec> run_option_specs() {
  return {
      {"run.dir", "kono_run", "output directory (created if missing): data, model, reports, ParaView files, PNGs"},
      {"run.resolution", "32", "Darcy nodes per axis of the training and test data"},
      {"run.train_samples", "512", "training samples generated with PETSc"},
      {"run.test_samples", "64", "test samples generated with PETSc (another seed)"},
      {"run.validate_samples", "16", "fresh PETSc samples per validation resolution"},
      {"run.validate_resolutions", "", "comma list (default: run.resolution and twice it, the second zero-shot)"},
      {"run.seed", "1", "seed of the training data; the test and validation data use seed+1 and seed+2"},
      {"run.export_samples", "0", "test samples exported for ParaView (comma list); the first is drawn as PNG"},
      {"run.plots", "true", "draw PNGs with scripts/plot_*.py (Debian's /usr/bin/python3 with matplotlib and h5py)"},
      {"run.python", "/usr/bin/python3", "Python interpreter for the plots"},
      {"darcy.alpha", "2", "Gaussian random field smoothness"},
      {"darcy.tau", "3", "Gaussian random field inverse length scale"},
      {"darcy.high", "12", "coefficient where the field is positive"},
      {"darcy.low", "3", "coefficient elsewhere"},
      {"darcy.forcing", "1", "right-hand side f"},
      {"darcy.rtol", "1e-10", "KSP relative tolerance of the reference solves (-ksp_rtol overrides)"},
  };
}

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Options child_options(char const* command, std::vector<OptionSpec> specs, std::vector<std::string> const& args,
                      std::vector<std::string> open = {}) {
  Options o(command, std::string("kono run -> kono ") + command, std::move(specs), std::move(open));
  o.parse(args);
  return o;
}

std::string arg(std::string const& key, std::string const& value) { return "--" + key + "=" + value; }

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::setprecision(digits) << v;
  return s.str();
}
}  // namespace

int run_main(std::vector<std::string> const& args) {
  register_builtin_models();
  Options opt("run",
              "kono run [--run.dir=DIR --run.resolution=R --run.train_samples=N ...] [--model.* --train.* "
              "--schedule.* --optimizer.* --loss.* as in kono train] [-petsc_option value ...]\n"
              "  generate (PETSc) -> train (FNO) -> eval -> validate (fresh PETSc solves) -> export (ParaView) -> PNGs",
              run_option_specs(), g_train_sections);
  opt.parse(args);
  if (opt.help_requested()) {
    if (Runtime::current().rank() == 0)
      std::cout << opt.help()
                << "\nplus every option of kono train in the sections model., train., loss., optimizer., schedule.\n"
                   "(defaults as in `kono train --help`: FNO modes 8,8, hidden 24, 4 layers, 15 epochs, AdamW 1e-2,\n"
                   "relative H1 loss); PETSc options (single dash) go to the reference solves.\n";
    return 0;
  }
  insert_petsc_options(opt.positional(), 0);
  MPI_Comm const comm = Runtime::current().comm();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  auto const t_start = Clock::now();

  std::string const dir = opt.text("run.dir");
  KONO_USER_REQUIRE(!dir.empty(), invalid_argument, "kono run: --run.dir is empty: give an output directory");
  long long const res = opt.integer("run.resolution"), ntrain = opt.integer("run.train_samples"),
                  ntest = opt.integer("run.test_samples"), nval = opt.integer("run.validate_samples"),
                  seed = opt.integer("run.seed");
  KONO_USER_REQUIRE(ntrain >= 1, invalid_argument, "--run.train_samples=" << ntrain << " must be >= 1");
  KONO_USER_REQUIRE(ntest >= 1, invalid_argument, "--run.test_samples=" << ntest << " must be >= 1");
  KONO_USER_REQUIRE(nval >= 1, invalid_argument, "--run.validate_samples=" << nval << " must be >= 1");
  KONO_USER_REQUIRE(seed >= 0, invalid_argument, "--run.seed=" << seed << " must be >= 0");
  std::vector<long long> const exported = opt.integers("run.export_samples");
  for (long long s : exported)
    KONO_USER_REQUIRE(s >= 0 && s < ntest, invalid_argument,
                      "--run.export_samples: sample " << s << " is not among the " << ntest << " test samples");
  create_output_directory(dir, "run.dir", "kono run", comm);
  std::vector<std::string> darcy;
  for (auto const& k : g_darcy_keys) darcy.push_back(arg(k, opt.text(k)));
  auto step = [&](int k, char const* what) {
    if (rank == 0)
      std::cout << "\n== kono run [" << k << "/6] " << what << " (" << fixed(since(t_start), 3) << " s) ==\n"
                << std::flush;
  };

  // The training options are checked before any solve: a typo fails now, not after the data.
  std::string const train_file = dir + "/darcy_train.h5", test_file = dir + "/darcy_test.h5";
  std::string const model_file = dir + "/model.h5";
  std::vector<std::string> ta{arg("data.file", train_file), arg("data.test_file", test_file), arg("out", model_file)};
  for (auto const& kv : opt.given_values()) {
    std::string const section = kv.first.substr(0, kv.first.find('.'));
    if (std::find(g_train_sections.begin(), g_train_sections.end(), section) != g_train_sections.end())
      ta.push_back(arg(kv.first, kv.second));
  }
  Options const train_opt = child_options("train", train_option_specs(), ta, {"model", "loss", "optimizer", "schedule"});
  {
    LayerConfig mopt = train_opt.section("model");
    mopt.erase("type");
    mopt["in_channels"] = 1;
    mopt["out_channels"] = 1;
    mopt["dim"] = 2;
    create_model<Space, Real>(train_opt.text("model.type"), mopt, 0)
        .output_shape(Shape{1, 1, index_t(res), index_t(res)});  // e.g. more modes than the grid has
  }

  // 1. Data: training and test sets from PETSc, one file each.
  step(1, "generate Darcy data with PETSc");
  auto generate = [&](std::string const& out, char const* group, long long n, long long s) {
    std::vector<std::string> a{arg("out", out),           arg("group", group),
                               arg("samples", std::to_string(n)), arg("resolution", std::to_string(res)),
                               arg("seed", std::to_string(s)),    arg("dtype", "float32")};
    a.insert(a.end(), darcy.begin(), darcy.end());
    return generate_data(child_options("generate", generate_option_specs(), a), "darcy", comm);
  };
  GenerateResult const gen_train = generate(train_file, "train", ntrain, seed);
  GenerateResult const gen_test = generate(test_file, "test", ntest, seed + 1);

  // 2. Training: kono train with every forwarded model./train./... option.
  step(2, "train the surrogate");
  TrainResult const trained = train_model(train_opt, comm);

  // 3. Test-set metrics and predictions.
  step(3, "evaluate on the test set");
  std::string const metrics_file = dir + "/test_metrics.json", predictions_file = dir + "/test_predictions.h5";
  LayerConfig const metrics = evaluate_model(
      child_options("eval", eval_option_specs(),
                    {arg("model", model_file), arg("data.file", test_file), arg("json", metrics_file),
                     arg("predictions", predictions_file)}),
      comm);

  // 4. Fresh PETSc solves vs the surrogate, at the training resolution and zero-shot.
  step(4, "validate against fresh PETSc solves");
  std::string const validation_file = dir + "/validation.json";
  std::vector<std::string> va{arg("model", model_file), arg("samples", std::to_string(nval)),
                              arg("seed", std::to_string(seed + 2)), arg("json", validation_file)};
  std::string resolutions = opt.text("run.validate_resolutions");
  if (resolutions.empty()) resolutions = std::to_string(res) + "," + std::to_string(2 * res);
  va.push_back(arg("resolution", resolutions));
  va.insert(va.end(), darcy.begin(), darcy.end());
  LayerConfig const validation = validate_model(child_options("validate", validate_option_specs(), va), comm);

  // 5. ParaView files.
  step(5, "export fields for ParaView");
  std::string samples;
  for (long long s : exported) samples += (samples.empty() ? "" : ",") + std::to_string(s);
  ExportResult const exp = export_fields(
      child_options("export", export_option_specs(),
                    {arg("model", model_file), arg("data.file", test_file), arg("data.input", "/test/x"),
                     arg("data.target", "/test/y"), arg("sample", samples), arg("out", dir + "/paraview")}),
      comm);

  // 6. Pictures (rank 0 only; a missing plotting stack is reported, not fatal).
  step(6, "draw the learning curve and a sample");
  std::vector<std::string> pngs;
  std::string plot_problem;
  if (rank == 0 && opt.flag("run.plots")) {
    std::string const scripts = scripts_dir(), python = opt.text("run.python");
    if (scripts.empty()) {
      plot_problem = "plot scripts not found (set KONO_SCRIPTS_DIR to kono's scripts/ folder)";
    } else if (access(python.c_str(), X_OK) != 0) {
      plot_problem = "no Python interpreter at " + python + " (--run.python; Debian: apt-get install python3-matplotlib python3-h5py)";
    } else {
      std::string const curve_png = dir + "/learning_curve.png";
      std::string const sample_png = dir + "/sample_" + std::to_string(exported.front()) + ".png";
      if (run_program({python, scripts + "/plot_learning_curve.py", trained.curve_csv, curve_png, "--title",
                       "kono run: FNO on PETSc Darcy " + std::to_string(res) + "x" + std::to_string(res)}) == 0)
        pngs.push_back(curve_png);
      else
        plot_problem = "plot_learning_curve.py failed (message above)";
      if (run_program({python, scripts + "/plot_fields.py", exp.field_files.front(), sample_png, "--title",
                       "test sample " + std::to_string(exported.front()) + ": input | prediction | reference | error"}) == 0)
        pngs.push_back(sample_png);
      else
        plot_problem = "plot_fields.py failed (message above)";
    }
  }

  if (rank == 0) {
    double const total = since(t_start);
    std::cout << "\n== kono run: summary (" << fixed(total, 3) << " s on " << size << " rank(s)) ==\n"
              << "data      " << train_file << " (" << gen_train.samples << " samples), " << test_file << " ("
              << gen_test.samples << "), " << res << "x" << res << " nodes, PETSc "
              << fixed(gen_train.mean_iterations, 3) << " CG iterations per solve, "
              << fixed(gen_train.seconds + gen_test.seconds, 3) << " s\n"
              << "model     " << model_file << " (" << trained.parameters << " parameters, curve "
              << trained.curve_csv << ")\n"
              << "test      rel L2 " << fixed(metrics["rel_l2"].get<double>(), 4) << ", rel H1 "
              << fixed(metrics["rel_h1"].get<double>(), 4) << ", max abs err "
              << fixed(metrics["max_abs_err"].get<double>(), 4) << "  (" << metrics_file << ")\n"
              << "validate  " << validation_file << "\n";
    for (auto const& r : validation["resolutions"])
      std::cout << "          " << r["resolution"].get<long long>() << "x" << r["resolution"].get<long long>()
                << (r["zero_shot"].get<bool>() ? " (zero-shot)" : "            ") << "  rel L2 "
                << fixed(r["rel_l2"].get<double>(), 4) << "  PETSc " << fixed(r["solver_seconds_per_sample"].get<double>(), 3)
                << " s/sample, surrogate " << fixed(r["surrogate_seconds_per_sample"].get<double>(), 3)
                << " s/sample, speedup " << fixed(r["speedup"].get<double>(), 3) << "x\n";
    std::cout << "paraview  paraview " << exp.collection << "  (arrays input, prediction, reference, abs_error)\n";
    for (auto const& p : pngs) std::cout << "picture   " << p << "\n";
    if (!plot_problem.empty()) std::cout << "pictures  not drawn: " << plot_problem << "\n";
  }
  return 0;
}

}  // namespace kono::app
