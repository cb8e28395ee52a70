#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <regex>

#include <kono/datasets/text_file.hpp>
#include <kono/operators/losses/relative_h1.hpp>
#include <kono/operators/losses/relative_lp.hpp>
#include <kono/operators/metrics/pdebench_metrics.hpp>
#include <kono/operators/model_registry.hpp>

#include "workflow.hpp"

extern char** environ;

// The kono executable's build defines where its scripts are; other targets compiling this file
// (unit tests) do not run scripts.
#ifndef KONO_SOURCE_SCRIPTS_DIR
#define KONO_SOURCE_SCRIPTS_DIR ""
#endif
#ifndef KONO_INSTALLED_SCRIPTS_DIR
#define KONO_INSTALLED_SCRIPTS_DIR ""
#endif

namespace kono::app {

RealTensor read_samples(Hdf5SampleStore const& store, std::string const& dataset, index_t first, index_t count,
                        bool channel_axis, std::string const& option) {
  KONO_USER_REQUIRE(store.file().has_dataset(dataset), invalid_argument,
                    store.path() << " has no dataset \"" << dataset << "\" (--" << option << "); it has: "
                                 << [&] {
                                      std::string s;
                                      for (auto const& d : store.file().list_datasets()) s += (s.empty() ? "" : ", ") + d;
                                      return s;
                                    }());
  index_t const n = store.num_samples(dataset);
  if (count < 0) count = n - first;
  KONO_USER_REQUIRE(first >= 0 && count >= 1 && first + count <= n, invalid_argument,
                    store.path() << ":" << dataset << " has " << n << " samples; asked for samples [" << first << ", "
                                 << first + count << ") (--" << option << ")");
  return store.read<Space, Real>(dataset, first, count, SampleLayout{channel_axis});
}

bool channel_axis_of(Options const& options, std::string const& which) {
  std::string const key = "data." + which + "_channel_axis";
  return options.text(key).empty() ? options.flag("data.channel_axis") : options.flag(key);
}

bool normalizer_kind(std::string const& text, std::string const& option, NormalizerKind& kind) {
  if (text == "none" || text.empty()) return false;
  for (NormalizerKind k : {NormalizerKind::scalar, NormalizerKind::per_channel, NormalizerKind::pointwise})
    if (text == to_string(k)) {
      kind = k;
      return true;
    }
  KONO_THROW(invalid_argument, "--" << option << "=" << text << ": choose none, scalar, per_channel or pointwise");
}

RealTensor predict(RealModel const& model, RealTensor const& x, index_t batch, Normalizer const* input,
                   Normalizer const* target) {
  index_t const n = x.extent(0);
  RealTensor out("kono::predictions", model.output_shape(x.shape()));
  for (index_t first = 0; first < n; first += batch) {
    index_t const count = std::min(batch, n - first);
    RealTensor xb = x.slice_batch(first, count).clone_to<Space>("kono::batch");
    if (input) input->encode(xb);
    RealTensor yb = model.predict(xb);
    if (target) target->decode(yb);
    out.slice_batch(first, count).copy_from(yb);
  }
  return out;
}

void SampleMetrics::append(SampleMetrics const& o) {
  auto cat = [](std::vector<double>& a, std::vector<double> const& b) { a.insert(a.end(), b.begin(), b.end()); };
  cat(rel_l2, o.rel_l2);
  cat(rel_h1, o.rel_h1);
  cat(rmse, o.rmse);
  cat(nrmse, o.nrmse);
  cat(max_abs_err, o.max_abs_err);
}

double SampleMetrics::mean(std::vector<double> const& v) const {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / double(v.size());
}

SampleMetrics compute_metrics(RealTensor const& pred, RealTensor const& y) {
  SampleMetrics m;
  index_t const n = y.extent(0);
  if (n == 0) return m;
  Space::execution_space space;
  Kokkos::View<double*, Space> values("kono::metrics", std::size_t(n));
  auto host = [&] {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, values);
    return std::vector<double>(h.data(), h.data() + n);
  };
  RelativeLpLoss<Space, Real>(2.0).per_sample(space, pred, y, values);
  m.rel_l2 = host();
  RelativeH1Loss<Space, Real>().per_sample(space, pred, y, values);
  m.rel_h1 = host();
  auto const pb = pdebench_metrics(space, pred, y);
  m.rmse = pb.rmse;
  m.nrmse = pb.nrmse;
  m.max_abs_err = pb.max_err;
  return m;
}

SampleMetrics gather_metrics(SampleMetrics const& local, MPI_Comm comm) {
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  int const n = int(local.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  int total = 0;
  for (int r = 0; r < size; ++r) displs[std::size_t(r)] = total, total += counts[std::size_t(r)];
  SampleMetrics out;
  auto one = [&](std::vector<double> const& in, std::vector<double>& all) {
    all.resize(rank == 0 ? std::size_t(total) : 0);
    MPI_Gatherv(in.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, comm);
  };
  one(local.rel_l2, out.rel_l2);
  one(local.rel_h1, out.rel_h1);
  one(local.rmse, out.rmse);
  one(local.nrmse, out.nrmse);
  one(local.max_abs_err, out.max_abs_err);
  return out;
}

LayerConfig metrics_json(SampleMetrics const& m, LayerConfig const& extra) {
  LayerConfig j = extra;
  double mx = 0;
  for (double v : m.max_abs_err) mx = std::max(mx, v);
  j["samples"] = m.size();
  j["rel_l2"] = m.mean(m.rel_l2);
  j["rel_h1"] = m.mean(m.rel_h1);
  j["rmse"] = m.mean(m.rmse);
  j["nrmse"] = m.mean(m.nrmse);
  j["max_abs_err"] = mx;  // the largest pointwise error over all samples
  j["per_sample"] = {{"rel_l2", m.rel_l2}, {"rel_h1", m.rel_h1}, {"rmse", m.rmse}, {"nrmse", m.nrmse},
                     {"max_abs_err", m.max_abs_err}};
  return j;
}

ModelSignature model_signature(ModelMetadata const& meta) {
  ModelSignature s;
  for (auto const& kv : meta.provenance) {
    try {
      if (kv.first == "in_channels") s.in_channels = std::stoi(kv.second);
      if (kv.first == "out_channels") s.out_channels = std::stoi(kv.second);
      if (kv.first == "dim") s.dim = std::stoi(kv.second);
    } catch (std::exception const&) {
    }
  }
  return s;
}

void check_model_fits(ModelSignature const& sig, std::string const& model_path, Shape const& sample_shape,
                      std::string const& data_path, std::string const& dataset, bool input) {
  int const channels = int(sample_shape[0]);
  int const dim = sample_shape.rank() - 1;
  int const want = input ? sig.in_channels : sig.out_channels;
  KONO_USER_REQUIRE(sig.dim < 0 || sig.dim == dim, size_mismatch,
                    "model " << model_path << " was trained on " << sig.dim << "D data, but " << data_path << ":" << dataset
                             << " holds " << dim << "D samples " << sample_shape.to_string());
  KONO_USER_REQUIRE(want < 0 || want == channels, size_mismatch,
                    "model " << model_path << " expects " << want << (input ? " input" : " output") << " channel(s), but "
                             << data_path << ":" << dataset << " has " << channels << " (sample shape "
                             << sample_shape.to_string() << "; use --data.channel_axis for [N, C, ...] data)");
}

bool ModelResolution::zero_shot(std::vector<index_t> const& extents) const {
  if (train.empty()) return false;
  return std::find(trained.begin(), trained.end(), extents) == trained.end();
}

ModelResolution model_resolution(LayerConfig const& architecture,
                                 std::vector<std::pair<std::string, std::string>> const& provenance) {
  ModelResolution r;
  r.consistency = resolution_consistency(architecture);
  auto const integers = [](std::string const& text) {
    std::vector<index_t> v;
    std::regex const number("[0-9]+");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
      v.push_back(index_t(std::stoll(it->str())));
    return v;
  };
  for (auto const& kv : provenance)
    if (kv.first == "train_resolution") r.train = integers(kv.second);
  if (!r.train.empty()) r.trained.push_back(r.train);
  for (auto const& kv : provenance)
    if (kv.first == "train_resolutions") {  // [[32, 32], [16, 16]], written by multi-resolution kono train
      LayerConfig const all = LayerConfig::parse(kv.second, nullptr, false);
      if (!all.is_array()) continue;
      for (auto const& e : all)
        if (e.is_array()) {
          std::vector<index_t> ext;
          for (auto const& n : e)
            if (n.is_number_integer()) ext.push_back(n.get<index_t>());
          if (std::find(r.trained.begin(), r.trained.end(), ext) == r.trained.end()) r.trained.push_back(ext);
        }
    }
  return r;
}

void set_reference_resolution(LayerConfig& mopt, std::string const& type, std::vector<index_t> const& reference,
                              std::string const& source) {
  auto const& options = model_options(type);
  if (std::none_of(options.begin(), options.end(), [](ModelOption const& o) { return o.key == "reference_resolution"; }))
    return;
  LayerConfig const want(reference);
  if (mopt.contains("reference_resolution")) {
    LayerConfig given = mopt.at("reference_resolution");
    if (given.is_number_integer()) given = LayerConfig(std::vector<index_t>(reference.size(), given.get<index_t>()));
    KONO_USER_REQUIRE(given == want, size_mismatch,
                      "--model.reference_resolution=" << mopt.at("reference_resolution").dump() << " does not match "
                                                      << source << " " << want.dump()
                                                      << "; leave it out, kono train sets it");
  }
  mopt["reference_resolution"] = want;
}

std::string extents_text(std::vector<index_t> const& extents) {
  std::string s;
  for (index_t e : extents) s += (s.empty() ? "" : "x") + std::to_string(e);
  return s;
}

bool warn_if_not_resolution_consistent(std::string const& command, std::string const& model_path,
                                       ModelResolution const& res, std::string const& data,
                                       std::vector<std::vector<index_t>> const& grids, MPI_Comm comm) {
  std::string off;
  for (auto const& g : grids)
    if (res.zero_shot(g)) off += (off.empty() ? "" : ", ") + extents_text(g);
  if (res.consistency.consistent || off.empty()) return false;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    std::string trained;
    for (auto const& t : res.trained) trained += (trained.empty() ? "" : ", ") + extents_text(t);
    std::cerr << "kono " << command << ": warning: model " << model_path << " was trained at " << trained << " but "
              << data << " is on " << off
              << ", and the model is not resolution-consistent, so its accuracy there is unrelated to its training "
                 "accuracy: "
              << res.consistency.reason << "\n"
              << std::flush;
  }
  return true;
}

std::string path_stem(std::string const& path) {
  std::filesystem::path p(path);
  return (p.parent_path() / p.stem()).string();
}

void require_writable(std::string const& path, std::string const& option) {
  KONO_USER_REQUIRE(!path.empty(), invalid_argument, "--" << option << " is empty: give an output file");
  std::filesystem::path const dir = std::filesystem::path(path).parent_path();
  std::string const d = dir.empty() ? std::string(".") : dir.string();
  KONO_USER_REQUIRE(std::filesystem::is_directory(d), file_io,
                    "cannot write " << path << " (--" << option << "): directory " << d << " does not exist");
  KONO_USER_REQUIRE(::access(d.c_str(), W_OK) == 0, file_io,
                    "cannot write " << path << " (--" << option << "): directory " << d << " is not writable");
}

void write_text_on_root(std::string const& path, std::string const& text, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  char message[512] = {0};
  if (rank == 0) {
    try {
      write_text_file_atomic(path, text);
    } catch (Error const& e) {
      std::snprintf(message, sizeof message, "%s", e.what());
    }
  }
  MPI_Bcast(message, sizeof message, MPI_CHAR, 0, comm);
  KONO_USER_REQUIRE(message[0] == '\0', file_io, message);
}

void create_output_directory(std::string const& dir, std::string const& option, std::string const& command,
                             MPI_Comm comm) {
  int rank = 0, ok = 1;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    ok = std::filesystem::is_directory(dir) ? 1 : 0;
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
  KONO_USER_REQUIRE(ok == 1, file_io, command << ": cannot create the output directory " << dir << " (--" << option << ")");
  require_writable(dir + "/probe", option);
}

std::string scripts_dir() {
  std::vector<std::string> candidates;
  if (char const* env = std::getenv("KONO_SCRIPTS_DIR")) candidates.emplace_back(env);
  candidates.emplace_back(KONO_SOURCE_SCRIPTS_DIR);
  candidates.emplace_back(KONO_INSTALLED_SCRIPTS_DIR);
  for (auto const& c : candidates)
    if (std::filesystem::exists(c + "/plot_fields.py")) return c;
  return "";
}

int run_program(std::vector<std::string> const& argv) {
  std::vector<char*> cargs;
  for (auto const& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, cargs[0], nullptr, nullptr, cargs.data(), environ) != 0) return 127;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace kono::app
