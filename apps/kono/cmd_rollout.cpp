// kono rollout: run a learned finite-volume solver (learned_stencil, tsm) or the classical coarse
// solver from reference states of a Kolmogorov-flow file for S steps; report the vorticity
// correlation with the reference over time, the highly-correlated duration and the wall time per
// simulated time unit of every method compared; write the trajectory, a ParaView time series and
// a PNG of correlation vs time.
//
//   kono rollout --model=tsm.h5 --data.file=kolmogorov.h5 --steps=100 --compare=classical@32,classical@128
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/sample_shard.hpp>
#include <kono/datasets/text_file.hpp>
#include <kono/datasets/vtk_export.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/model_registry.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>

#include "stencil_data.hpp"
#include "subcommands.hpp"
#include "workflow.hpp"

namespace kono::app {
namespace {
using Clock = std::chrono::steady_clock;
using Rollout = StencilRollout<Space, Real>;

std::vector<OptionSpec> rollout_option_specs() {
  return {
      {"model", "", "model file of a learned_stencil or tsm model, or classical@N (the coarse solver with linear stencils on N x N) (required)"},
      {"data.file", "", "Kolmogorov-flow file of kono generate navier-stokes --ns.forcing=kolmogorov (required)"},
      {"data.group", "/test", "group of the reference trajectories"},
      {"data.coarse", "0", "grid n the correlation is measured on (0: the first method's grid)"},
      {"samples", "0", "first N trajectories (0: all)"},
      {"steps", "", "model steps (snapshot intervals) to roll out (required)"},
      {"start", "-1", "snapshot the rollouts start from (-1: after --history time units, so TSM has its HiPPO window)"},
      {"history", "1.0", "reference history before the start (time units) when --start=-1"},
      {"compare", "", "comma list of further methods: model files or classical@N"},
      {"threshold", "0.95", "correlation defining the highly-correlated duration"},
      {"cfl", "0.5", "classical@N: CFL number that picks the substeps per snapshot interval"},
      {"cfl_limit", "2.0", "stop with an error when a state exceeds this CFL number or holds NaN/Inf (0: off)"},
      {"batch", "0", "trajectories per rollout pass (0: all of this rank's)"},
      {"out", "rollout", "output directory: rollout.h5, rollout.json, correlation.csv, rollout.pvd + .vti, correlation.png"},
      {"export_sample", "0", "trajectory written as the ParaView time series (-1: none)"},
      {"export_every", "1", "every k-th step goes into the time series"},
      {"plots", "true", "draw correlation.png with scripts/plot_correlation.py"},
      {"python", "/usr/bin/python3", "Python interpreter for the plot"},
  };
}

struct Method {
  std::string label, spec;
  index_t n = 0;             // grid the method runs on
  std::optional<RealModel> model;
  std::vector<double> corr;  // [samples_local * (steps + 1)]
  double seconds = 0;        // rollout time of this rank's samples (without the metric)
  int substeps = 0;
};

// classical@N: the coarse solver with linear stencils, substeps from the CFL number of the fastest initial state.
RealModel classical_model(index_t N, double snapshot_dt, double umax, double cfl, double cfl_limit, int& substeps) {
  double const h = 2 * M_PI / double(N);
  substeps = std::max(1, int(std::ceil(snapshot_dt * umax / (cfl * h) - 1e-9)));
  LayerConfig o = {{"learned", false}, {"dt", snapshot_dt / substeps}, {"substeps", substeps}, {"cfl_limit", cfl_limit}};
  return create_model<Space, Real>("learned_stencil", o, 0);
}

double max_speed(Trajectories const& d, index_t start) {
  double m = 0;
  for (index_t i = 0; i < d.samples; ++i) {
    float const* u = d.state(i, start);
    for (index_t k = 0; k < 2 * d.n * d.n; ++k) m = std::max(m, double(std::abs(u[k])));
  }
  return m;
}

index_t grid_of(std::string const& spec, std::string const& where) {
  std::string const digits = spec.substr(std::string("classical@").size());
  KONO_USER_REQUIRE(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos, invalid_argument,
                    where << "=" << spec << ": expected classical@N with N the grid size, e.g. classical@128");
  return index_t(std::stoll(digits));
}

// Crossing time of `threshold` (linear between snapshots); the whole horizon if never crossed.
double correlated_duration(double const* corr, int steps, double dt, double threshold) {
  for (int k = 1; k <= steps; ++k)
    if (corr[k] < threshold) {
      double const a = corr[k - 1], b = corr[k];
      double const f = a > b ? (a - threshold) / (a - b) : 1.0;
      return (k - 1 + std::clamp(f, 0.0, 1.0)) * dt;
    }
  return steps * dt;
}

std::string csv_number(double v) {
  std::ostringstream s;
  s << std::setprecision(8) << v;
  return s.str();
}
}  // namespace

int rollout_main(std::vector<std::string> const& args) {
  register_builtin_models();
  Options opt("rollout", "kono rollout --model=M.h5|classical@N --data.file=F.h5 --steps=S [--compare=...] [--out=DIR]",
              rollout_option_specs());
  opt.parse(args);
  MPI_Comm const comm = Runtime::current().comm();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (opt.help_requested()) {
    if (rank == 0) std::cout << opt.help();
    return 0;
  }
  KONO_USER_REQUIRE(opt.positional().empty(), invalid_argument,
                    "kono rollout: unexpected argument \"" << opt.positional()[0] << "\" (options are --key=value)");
  std::string const file = opt.text("data.file");
  KONO_USER_REQUIRE(!opt.text("model").empty(), invalid_argument, "kono rollout: --model is required (a model file or classical@N)");
  KONO_USER_REQUIRE(!file.empty(), invalid_argument, "kono rollout: --data.file is required");
  KONO_USER_REQUIRE(!opt.text("steps").empty(), invalid_argument, "kono rollout: --steps is required");
  long long const steps_ll = opt.integer("steps");
  KONO_USER_REQUIRE(steps_ll >= 1, invalid_argument, "--steps must be >= 1, got " << steps_ll);
  int const steps = int(steps_ll);
  double const threshold = opt.real("threshold"), cfl = opt.real("cfl"), cfl_limit = opt.real("cfl_limit");
  KONO_USER_REQUIRE(cfl > 0 && cfl_limit >= 0, invalid_argument, "--cfl must be > 0 and --cfl_limit >= 0");
  std::string const out = opt.text("out");
  create_output_directory(out, "out", "kono rollout", comm);

  // Methods: --model first, then --compare.
  std::vector<Method> methods;
  std::vector<std::string> specs{opt.text("model")};
  for (std::stringstream ss(opt.text("compare")); ss.good();) {
    std::string s;
    std::getline(ss, s, ',');
    if (!s.empty()) specs.push_back(s);
  }
  Hdf5SampleStore store(file, comm);
  std::string const group = opt.text("data.group");
  long long const max_samples = opt.integer("samples");
  for (std::size_t m = 0; m < specs.size(); ++m) {
    Method me;
    me.spec = specs[m];
    std::string const where = m == 0 ? "--model" : "--compare";
    if (me.spec.rfind("classical@", 0) == 0) {
      me.n = grid_of(me.spec, where);
      me.label = "classical " + std::to_string(me.n) + "x" + std::to_string(me.n);
    } else {
      auto loaded = load_model<Space, Real>(me.spec, comm);
      KONO_USER_REQUIRE(loaded.model.root().type_name() == "stencil_rollout", invalid_argument,
                        me.spec << " (" << where << ") is a " << loaded.model.model_type()
                                << " model; kono rollout runs learned_stencil and tsm models (or classical@N)");
      auto const res = model_resolution(loaded.model.architecture(), loaded.meta.provenance);
      KONO_USER_REQUIRE(!res.train.empty(), invalid_argument, me.spec << " does not record its training grid (train_resolution)");
      me.n = res.train[0];
      me.label = loaded.model.model_type() + " " + std::to_string(me.n) + "x" + std::to_string(me.n) + " (" +
                 std::filesystem::path(me.spec).filename().string() + ")";
      // The rollout's blow-up check (--cfl_limit) replaces the one the model was trained with.
      LayerConfig arch = loaded.model.architecture();
      arch["cfl_limit"] = cfl_limit;
      me.model.emplace(RealModel::from_architecture(loaded.model.model_type(), arch, 0));
      Kokkos::deep_copy(me.model->parameters(), loaded.model.parameters());
    }
    methods.push_back(std::move(me));
  }
  index_t const n_eval = opt.integer("data.coarse") > 0 ? index_t(opt.integer("data.coarse")) : methods[0].n;
  Trajectories const ref = read_trajectories(store, group, n_eval, max_samples, "--data.group/--data.coarse");
  long long start_ll = opt.integer("start");
  index_t const start = start_ll >= 0 ? index_t(start_ll) : history_start(ref, opt.real("history"));
  KONO_USER_REQUIRE(start + steps < ref.times, invalid_argument,
                    "--start=" << start << " plus --steps=" << steps << " passes the " << ref.times << " snapshots of "
                               << ref.source << "; at most " << ref.times - 1 - start << " steps from there");
  SampleShard const shard = shard_samples(ref.samples, comm);
  index_t const local = shard.count;

  // Every method from its own grid's reference state, measured on n_eval.
  std::vector<float> primary;  // eval-grid velocity of the first method [local, steps + 1, 2, n, n]
  index_t const cell = n_eval * n_eval;
  for (std::size_t m = 0; m < methods.size(); ++m) {
    Method& me = methods[m];
    KONO_USER_REQUIRE(me.n % n_eval == 0, invalid_argument,
                      me.label << " runs on " << me.n << "x" << me.n << ", which does not nest over the measurement grid "
                               << n_eval << "x" << n_eval << " (--data.coarse)");
    index_t const r = me.n / n_eval;
    Trajectories const own = me.n == n_eval ? ref : read_trajectories(store, group, me.n, max_samples, me.spec);
    if (!me.model) me.model.emplace(classical_model(me.n, ref.dt, 1.2 * max_speed(own, start), cfl, cfl_limit, me.substeps));
    auto const& root = static_cast<Rollout const&>(me.model->root());
    KONO_USER_REQUIRE(std::abs(root.model_dt() - ref.dt) <= 1e-6 * ref.dt, invalid_argument,
                      me.label << " steps " << root.model_dt() << " time units per model step, but the snapshots of "
                               << ref.source << " are " << ref.dt << " apart");
    me.substeps = root.options().substeps;
    RealTensor const x_all = initial_inputs(own, start, root.options().hippo_order, root.options().hippo_theta);
    RealTensor const x = x_all.slice_batch(shard.first, local);
    me.corr.assign(std::size_t(local * (steps + 1)), 0.0);
    if (m == 0) primary.assign(std::size_t(local * (steps + 1) * 2 * cell), 0.f);
    double metric_seconds = 0;
    auto const t0 = Clock::now();
    index_t const batch = opt.integer("batch") > 0 ? std::min<index_t>(local, opt.integer("batch")) : local;
    for (index_t b0 = 0; b0 < local; b0 += batch) {
      index_t const nb = std::min(batch, local - b0);
      auto record = [&](int k, RealTensor const& u) {
        auto const tm = Clock::now();
        auto h = u.to_host();
        std::vector<float> fine(h.data().data(), h.data().data() + h.size());
        std::vector<float> const coarse = r == 1 ? fine : restrict_velocity(fine, nb, me.n, r);
        for (index_t b = 0; b < nb; ++b) {
          index_t const i = b0 + b, gi = shard.first + i;
          auto const w = corner_vorticity(coarse.data() + b * 2 * cell, n_eval, 2 * M_PI);
          auto const wr = corner_vorticity(ref.state(gi, start + k), n_eval, 2 * M_PI);
          me.corr[std::size_t(i * (steps + 1) + k)] = correlation(w, wr);
          if (m == 0)
            std::copy_n(coarse.data() + b * 2 * cell, 2 * cell, primary.data() + (i * (steps + 1) + k) * 2 * cell);
        }
        metric_seconds += std::chrono::duration<double>(Clock::now() - tm).count();
      };
      RealTensor const xb = x.slice_batch(b0, nb);
      auto const h0 = xb.to_host();
      {  // step 0: the reference state itself on the method's grid
        RealTensor u0(Kokkos::WithoutInitializing, "kono::rollout::u0", Shape({nb, 2, me.n, me.n}));
        Tensor<Kokkos::HostSpace, Real> hu("kono::rollout::u0", Shape({nb, 2, me.n, me.n}));
        for (index_t b = 0; b < nb; ++b)
          std::copy_n(h0.data().data() + b * x.extent(1) * me.n * me.n, 2 * me.n * me.n, hu.data().data() + b * 2 * me.n * me.n);
        u0.copy_from(hu);
        record(0, u0);
      }
      root.rollout(Space::execution_space{}, xb, steps, record);
    }
    Kokkos::fence();
    me.seconds = std::chrono::duration<double>(Clock::now() - t0).count() - metric_seconds;
    if (rank == 0)
      std::cout << "kono rollout: " << me.label << ": " << steps << " steps of " << ref.dt << " (" << me.substeps
                << " solver step(s) each) in " << std::setprecision(4) << me.seconds << " s on rank 0\n";
  }

  // Every rank gathers all correlations, so the report (and the file attribute) agree everywhere.
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  int const mine = int(local * (steps + 1));
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  for (int p = 1; p < size; ++p) displs[std::size_t(p)] = displs[std::size_t(p - 1)] + counts[std::size_t(p - 1)];
  LayerConfig report = {{"data", ref.source},
                        {"start_snapshot", start},
                        {"start_time", ref.t[std::size_t(start)]},
                        {"snapshot_interval", ref.dt},
                        {"steps", steps},
                        {"samples", ref.samples},
                        {"measurement_grid", n_eval},
                        {"threshold", threshold},
                        {"ranks", size},
                        {"methods", LayerConfig::array()}};
  std::vector<std::vector<double>> all_corr;
  for (auto& me : methods) {
    std::vector<double> all(std::size_t(ref.samples * (steps + 1)));
    MPI_Allgatherv(me.corr.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, comm);
    double slowest = me.seconds;
    MPI_Allreduce(&me.seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
    std::vector<double> durations;
    double mean = 0;
    for (index_t i = 0; i < ref.samples; ++i) {
      durations.push_back(correlated_duration(all.data() + i * (steps + 1), steps, ref.dt, threshold));
      mean += durations.back() / double(ref.samples);
    }
    double const sim_time = steps * ref.dt;
    // Wall time per simulated time unit and trajectory, on this run's ranks.
    double const per_unit = slowest * size / (sim_time * double(ref.samples));
    report["methods"].push_back({{"label", me.label},
                                 {"spec", me.spec},
                                 {"grid", me.n},
                                 {"substeps", me.substeps},
                                 {"parameters", me.model ? me.model->num_parameters() : 0},
                                 {"highly_correlated_duration", mean},
                                 {"durations", durations},
                                 {"horizon", sim_time},
                                 {"seconds", slowest},
                                 {"seconds_per_time_unit", per_unit}});
    all_corr.push_back(std::move(all));
    if (rank == 0)
      std::cout << "kono rollout: " << me.label << ": highly-correlated duration " << std::setprecision(4) << mean
                << (mean >= sim_time ? " (never dropped below " + csv_number(threshold) + ")" : "") << ", " << per_unit
                << " s per time unit and trajectory\n";
  }

  // Outputs, only now that every rollout succeeded.
  std::string const stem = out + "/rollout";
  {
    Hdf5Writer w(stem + ".h5", comm);
    RealTensor v(Kokkos::WithoutInitializing, "kono::rollout::velocity", Shape({local, steps + 1, 2, n_eval, n_eval}));
    Tensor<Kokkos::HostSpace, Real> hv("kono::rollout::velocity", v.shape());
    std::copy(primary.begin(), primary.end(), hv.data().data());
    v.copy_from(hv);
    w.write_samples("/velocity", Shape({ref.samples, steps + 1, 2, n_eval, n_eval}), v, shard.first);
    std::vector<double> t;
    for (int k = 0; k <= steps; ++k) t.push_back(ref.t[std::size_t(start + k)]);
    w.write_array("/t", Shape({index_t(steps + 1)}), t);
    for (std::size_t m = 0; m < methods.size(); ++m) {
      std::vector<double> const& c = all_corr[m];
      w.write_array("/correlation/" + std::to_string(m), Shape({ref.samples, index_t(steps + 1)}), c);
      w.write_attribute("/correlation/" + std::to_string(m), "label", methods[m].label);
    }
    w.write_attribute("/", "report", report.dump());
    w.commit();
  }
  write_text_on_root(stem + ".json", report.dump(2) + "\n", comm);
  std::string csv = "t";
  for (auto const& me : methods) csv += "," + me.label;
  csv += "\n";
  if (rank == 0)
    for (int k = 0; k <= steps; ++k) {
      csv += csv_number(k * ref.dt);
      for (auto const& c : all_corr) {
        double mean = 0;
        for (index_t i = 0; i < ref.samples; ++i) mean += c[std::size_t(i * (steps + 1) + k)] / double(ref.samples);
        csv += "," + csv_number(mean);
      }
      csv += "\n";
    }
  write_text_on_root(out + "/correlation.csv", csv, comm);

  // ParaView: one .vti per exported step of the first method (vorticity, velocity at the cell centres, error).
  long long const ex = opt.integer("export_sample");
  int const every = std::max(1, int(opt.integer("export_every")));
  if (ex >= 0) {
    KONO_USER_REQUIRE(ex < ref.samples, invalid_argument, "--export_sample=" << ex << " but there are " << ref.samples << " trajectories");
    if (ex >= shard.first && ex < shard.first + local) {
      double const h = 2 * M_PI / double(n_eval);
      StructuredGrid grid({n_eval, n_eval}, {h, h}, {0.0, 0.0}, {true, true});
      std::vector<VtkCollectionEntry> entries;
      index_t const i = ex - shard.first;
      for (int k = 0; k <= steps; k += every) {
        float const* u = primary.data() + (i * (steps + 1) + k) * 2 * cell;
        auto const w = corner_vorticity(u, n_eval, 2 * M_PI);
        auto const wr = corner_vorticity(ref.state(ex, start + k), n_eval, 2 * M_PI);
        std::vector<double> err(w.size()), vel(std::size_t(3 * cell));
        for (std::size_t p = 0; p < w.size(); ++p) err[p] = w[p] - wr[p];
        for (index_t j = 0; j < n_eval; ++j)
          for (index_t q = 0; q < n_eval; ++q) {  // face values averaged to the corner (j, q): (u, v, 0)
            index_t const jm = (j + n_eval - 1) % n_eval, qm = (q + n_eval - 1) % n_eval;
            vel[std::size_t(3 * (j * n_eval + q))] = 0.5 * (u[j * n_eval + q] + u[jm * n_eval + q]);
            vel[std::size_t(3 * (j * n_eval + q) + 1)] = 0.5 * (u[cell + j * n_eval + q] + u[cell + j * n_eval + qm]);
          }
        std::string const name = "rollout_" + std::to_string(k) + ".vti";
        write_vti(out + "/" + name, grid,
                  {{"vorticity", w, 1}, {"reference_vorticity", wr, 1}, {"error", err, 1}, {"velocity", vel, 3}});
        entries.push_back({ref.t[std::size_t(start + k)], name, 0});
      }
      write_pvd(stem + ".pvd", entries);
    }
    MPI_Barrier(comm);
  }

  if (rank == 0) {
    std::string png;
    if (opt.flag("plots")) {
      std::string const scripts = scripts_dir(), python = opt.text("python");
      std::string const target = out + "/correlation.png";
      if (!scripts.empty() &&
          run_program({python, scripts + "/plot_correlation.py", out + "/correlation.csv", target, "--threshold",
                       csv_number(threshold)}) == 0)
        png = target;
      else
        std::cerr << "kono rollout: warning: no correlation.png (needs " << python
                  << " with matplotlib and scripts/plot_correlation.py)\n";
    }
    std::cout << "kono rollout: wrote " << stem << ".h5, " << stem << ".json, " << out << "/correlation.csv"
              << (ex >= 0 ? ", " + stem + ".pvd" : "") << (png.empty() ? "" : ", " + png) << "\n";
  }
  return 0;
}

}  // namespace kono::app
