#include <ctime>

#include <kono/core/git_revision.hpp>
#include <kono/core/config.hpp>
#include <kono/operators/model_io.hpp>

namespace kono {

Normalizer const* ModelMetadata::normalizer(std::string const& name) const {
  for (auto const& kv : normalizers)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> standard_provenance(std::string const& command_line, MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  char when[32];
  std::time_t const now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::vector<std::pair<std::string, std::string>> p{{"kono_version", KONO_VERSION_STRING},
                                                     {"git_revision", KONO_GIT_REVISION},
                                                     {"created", when},
                                                     {"mpi_ranks", std::to_string(size)},
                                                     {"kokkos_execution_space", default_execution_space_name()}};
  if (!command_line.empty()) p.emplace_back("command_line", command_line);
  return p;
}

template <class MemorySpace, class Scalar>
ModelFileContents model_file_contents(Model<MemorySpace, Scalar> const& model, ModelMetadata const& meta,
                                      std::optional<CheckpointState> checkpoint) {
  ModelFileContents c;
  c.model_type = model.model_type();
  c.architecture_json = model.architecture().dump();
  c.scalar_type = std::is_same<Scalar, float>::value ? "float32" : "float64";
  auto const host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, model.parameters());
  for (auto const& s : model.parameter_slices()) {
    NamedArray a{s.name, s.shape, std::vector<double>(static_cast<std::size_t>(s.shape.size()))};
    for (std::size_t i = 0; i < a.values.size(); ++i) a.values[i] = double(host(s.offset + i));
    c.parameters.push_back(std::move(a));
  }
  c.normalizers = meta.normalizers;
  c.provenance = meta.provenance;
  c.checkpoint = std::move(checkpoint);
  return c;
}

template <class MemorySpace, class Scalar>
void save_model(std::string const& path, Model<MemorySpace, Scalar> const& model, ModelMetadata const& meta,
                MPI_Comm comm, std::optional<CheckpointState> checkpoint) {
  write_model_file(path, model_file_contents(model, meta, std::move(checkpoint)), comm);
}

template <class MemorySpace, class Scalar>
LoadedModel<MemorySpace, Scalar> load_model(std::string const& path, MPI_Comm comm) {
  ModelFileContents c = read_model_file(path, comm);
  LayerConfig arch;
  try {
    arch = LayerConfig::parse(c.architecture_json);
  } catch (nlohmann::json::exception const& e) {
    KONO_THROW(corrupt_file, "kono::load_model: the architecture in \"" << path << "\" is not valid JSON: " << e.what());
  }
  Model<MemorySpace, Scalar> model = [&] {
    try {
      return Model<MemorySpace, Scalar>::from_architecture(c.model_type, arch, 0);
    } catch (Error const& e) {
      KONO_THROW(corrupt_file, "kono::load_model: cannot rebuild the architecture stored in \"" << path << "\": " << e.what());
    }
  }();
  auto const slices = model.parameter_slices();
  KONO_USER_REQUIRE(slices.size() == c.parameters.size(), corrupt_file,
                    "kono::load_model: \"" << path << "\" holds " << c.parameters.size()
                                           << " parameter arrays, its architecture has " << slices.size());
  auto host = Kokkos::create_mirror_view(model.parameters());
  for (std::size_t k = 0; k < slices.size(); ++k) {
    auto const& s = slices[k];
    auto const& a = c.parameters[k];
    KONO_USER_REQUIRE(a.name == s.name && a.shape == s.shape, corrupt_file,
                      "kono::load_model: parameter " << k << " of \"" << path << "\" is \"" << a.name << "\" "
                                                     << a.shape.to_string() << ", the architecture expects \"" << s.name
                                                     << "\" " << s.shape.to_string());
    for (std::size_t i = 0; i < a.values.size(); ++i) host(s.offset + i) = static_cast<Scalar>(a.values[i]);
  }
  Kokkos::deep_copy(model.parameters(), host);
  return LoadedModel<MemorySpace, Scalar>{std::move(model), ModelMetadata{std::move(c.normalizers), std::move(c.provenance)},
                                          std::move(c.checkpoint)};
}

template <class MemorySpace, class Scalar>
CheckpointState make_checkpoint_state(Optimizer<MemorySpace, Scalar> const& optimizer, LrSchedule const& schedule,
                                      std::int64_t epochs_done, std::uint64_t shuffle_seed,
                                      std::string const& learning_curve_json) {
  CheckpointState s;
  s.optimizer_json = optimizer.config().dump();
  s.optimizer_steps = optimizer.steps_taken();
  s.epoch = epochs_done;
  s.schedule_json = schedule.config().dump();
  s.shuffle_seed = shuffle_seed;
  s.learning_curve_json = learning_curve_json;
  for (auto const& kv : optimizer.state()) {
    auto const h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, kv.second);
    NamedArray a{kv.first, Shape{index_t(h.extent(0))}, std::vector<double>(h.extent(0))};
    for (std::size_t i = 0; i < h.extent(0); ++i) a.values[i] = double(h(i));
    s.optimizer_state.push_back(std::move(a));
  }
  return s;
}

template <class MemorySpace, class Scalar>
void restore_optimizer(CheckpointState const& state, Optimizer<MemorySpace, Scalar>& optimizer, std::string const& path) {
  LayerConfig const saved = LayerConfig::parse(state.optimizer_json, nullptr, false);
  KONO_USER_REQUIRE(!saved.is_discarded() && saved.value("type", "") == optimizer.type_name(), corrupt_file,
                    "kono::restore_optimizer: checkpoint \"" << path << "\" holds optimizer " << state.optimizer_json
                                                             << ", this run uses \"" << optimizer.type_name() << "\"");
  for (auto const& a : state.optimizer_state) {
    using view_type = typename Optimizer<MemorySpace, Scalar>::view_type;
    KONO_USER_REQUIRE(a.values.size() == optimizer.num_parameters(), corrupt_file,
                      "kono::restore_optimizer: state \"" << a.name << "\" in \"" << path << "\" has " << a.values.size()
                                                          << " values, the model has " << optimizer.num_parameters());
    view_type v(Kokkos::view_alloc(WithoutInitializing_t{}, "kono::restore_optimizer::state"), a.values.size());
    auto h = Kokkos::create_mirror_view(v);
    for (std::size_t i = 0; i < a.values.size(); ++i) h(i) = static_cast<Scalar>(a.values[i]);
    Kokkos::deep_copy(v, h);
    try {
      optimizer.set_state(a.name, v);
    } catch (Error const& e) {
      KONO_THROW(corrupt_file, "kono::restore_optimizer: checkpoint \"" << path << "\": " << e.what());
    }
  }
  optimizer.set_steps_taken(state.optimizer_steps);
}

#define KONO_INSTANTIATE_MODEL_IO(S)                                                                                  \
  template ModelFileContents model_file_contents(Model<DefaultMemorySpace, S> const&, ModelMetadata const&,           \
                                                 std::optional<CheckpointState>);                                     \
  template void save_model(std::string const&, Model<DefaultMemorySpace, S> const&, ModelMetadata const&, MPI_Comm,   \
                           std::optional<CheckpointState>);                                                           \
  template LoadedModel<DefaultMemorySpace, S> load_model<DefaultMemorySpace, S>(std::string const&, MPI_Comm);        \
  template CheckpointState make_checkpoint_state(Optimizer<DefaultMemorySpace, S> const&, LrSchedule const&,          \
                                                 std::int64_t, std::uint64_t, std::string const&);                    \
  template void restore_optimizer(CheckpointState const&, Optimizer<DefaultMemorySpace, S>&, std::string const&);
KONO_INSTANTIATE_MODEL_IO(float)
KONO_INSTANTIATE_MODEL_IO(double)
}  // namespace kono
