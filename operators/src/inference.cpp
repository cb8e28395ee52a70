#include <algorithm>
#include <type_traits>

#include <kono/core/error.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/operators/inference.hpp>
#include <kono/operators/model_io.hpp>

namespace kono {

namespace {
using Space = DefaultMemorySpace;

// Depth-first search of the architecture JSON for the first value of `key`.
LayerConfig const* find_key(LayerConfig const& cfg, std::string const& key) {
  if (cfg.is_object()) {
    auto const it = cfg.find(key);
    if (it != cfg.end()) return &*it;
  }
  if (cfg.is_object() || cfg.is_array())
    for (auto const& child : cfg) {
      if (auto const* hit = find_key(child, key)) return hit;
    }
  return nullptr;
}

// Largest value of every "modes" array, per axis: an FNO needs n_i >= modes_i.
void collect_modes(LayerConfig const& cfg, std::vector<index_t>& min_ext) {
  if (cfg.is_object()) {
    auto const it = cfg.find("modes");
    if (it != cfg.end() && it->is_array())
      for (std::size_t a = 0; a < it->size() && a < min_ext.size(); ++a)
        if ((*it)[a].is_number_integer()) min_ext[a] = std::max(min_ext[a], (*it)[a].get<index_t>());
  }
  if (cfg.is_object() || cfg.is_array())
    for (auto const& child : cfg) collect_modes(child, min_ext);
}

int provenance_int(ModelMetadata const& meta, char const* key) {
  for (auto const& kv : meta.provenance)
    if (kv.first == key) {
      try {
        return std::stoi(kv.second);
      } catch (std::exception const&) {
        return -1;
      }
    }
  return -1;
}
}  // namespace

// The model lives in the precision of the file: float32 files (the CLI's default) run in float.
struct Surrogate::Impl {
  std::string path;
  std::string model_type;
  int dim = -1, in_channels = -1, out_channels = -1;
  bool any_resolution = false;
  std::vector<index_t> min_extents;
  std::unique_ptr<LoadedModel<Space, float>> f;
  std::unique_ptr<LoadedModel<Space, double>> d;

  ModelMetadata const& meta() const { return f ? f->meta : d->meta; }
  Shape output_shape(Shape const& in) const { return f ? f->model.output_shape(in) : d->model.output_shape(in); }

  // Tensor in the model's precision -> prediction in that precision.
  template <class S>
  Tensor<Space, S> run(Tensor<Space, S> x) const {
    auto const& lm = get<S>();
    if (auto const* in = lm.meta.normalizer("input")) in->encode(x);
    Tensor<Space, S> y = lm.model.predict(x);
    if (auto const* out = lm.meta.normalizer("target")) out->decode(y);
    return y;
  }
  template <class S>
  LoadedModel<Space, S> const& get() const {
    if constexpr (std::is_same<S, float>::value)
      return *f;
    else
      return *d;
  }
};

Surrogate::Surrogate() = default;
Surrogate::~Surrogate() = default;
Surrogate::Surrogate(Surrogate&&) noexcept = default;
Surrogate& Surrogate::operator=(Surrogate&&) noexcept = default;

Surrogate Surrogate::load(std::string const& path, MPI_Comm comm) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  // load_model gives the precise errors (missing file, newer format_version, corrupt content);
  // only then is the stored precision known, and a float64 file is read again as double.
  auto lf = std::make_unique<LoadedModel<Space, float>>(load_model<Space, float>(path, comm));
  std::string scalar_type = "float32";
  {
    Hdf5File file(path, comm);
    if (file.has_attribute("/model", "scalar_type")) scalar_type = file.attribute_as_text("/model", "scalar_type");
  }
  if (scalar_type == "float64") {
    impl->d = std::make_unique<LoadedModel<Space, double>>(load_model<Space, double>(path, comm));
  } else {
    impl->f = std::move(lf);
  }
  auto const& meta = impl->meta();
  LayerConfig const arch = impl->f ? impl->f->model.architecture() : impl->d->model.architecture();
  impl->model_type = impl->f ? impl->f->model.model_type() : impl->d->model.model_type();

  // Signature: the trainer's provenance first; the architecture for files written by other code.
  impl->dim = provenance_int(meta, "dim");
  impl->in_channels = provenance_int(meta, "in_channels");
  if (impl->dim < 1) {
    if (auto const* v = find_key(arch, "dim"); v && v->is_number_integer()) impl->dim = v->get<int>();
    else if (auto const* m = find_key(arch, "modes"); m && m->is_array()) impl->dim = int(m->size());
  }
  if (impl->in_channels < 1)
    if (auto const* v = find_key(arch, "in_channels"); v && v->is_number_integer()) impl->in_channels = v->get<int>();
  KONO_USER_REQUIRE(impl->dim >= 1 && impl->dim <= 3 && impl->in_channels >= 1, corrupt_file,
                    "kono::Surrogate::load: cannot tell the spatial dimension and input channels of \""
                        << path << "\" (no provenance dim/in_channels and none in the architecture)");
  impl->min_extents.assign(std::size_t(impl->dim), 1);
  collect_modes(arch, impl->min_extents);

  // Probe the layers at two grids: a resolution-invariant model maps any grid to itself.
  auto probe = [&](index_t extra) {
    std::vector<index_t> ext{1, impl->in_channels};
    for (index_t m : impl->min_extents) ext.push_back(std::max<index_t>(m, 8) + extra);
    Shape const in(ext);
    Shape const out = impl->output_shape(in);
    return std::make_pair(in, out);
  };
  auto const [in0, out0] = probe(0);
  impl->out_channels = int(out0[1]);
  int const prov_out = provenance_int(meta, "out_channels");
  KONO_USER_REQUIRE(prov_out < 0 || prov_out == impl->out_channels, corrupt_file,
                    "kono::Surrogate::load: \"" << path << "\" declares out_channels=" << prov_out
                                                << " but its architecture produces " << impl->out_channels);
  bool any = out0.tail(2) == in0.tail(2);
  try {
    auto const [in1, out1] = probe(7);
    any = any && out1.tail(2) == in1.tail(2);
  } catch (Error const&) {
    any = false;
  }
  for (auto const& kv : meta.normalizers)
    if (kv.second.kind() == NormalizerKind::pointwise) any = false;  // statistics tied to one grid
  impl->any_resolution = any;

  Surrogate s;
  s.m_impl = std::move(impl);
  return s;
}

namespace {
void require_loaded(void const* impl, char const* caller) {
  KONO_USER_REQUIRE(impl != nullptr, wrong_state, caller << ": the surrogate holds no model (default-constructed or moved from)");
}
}  // namespace

std::string const& Surrogate::path() const {
  require_loaded(m_impl.get(), "kono::Surrogate::path");
  return m_impl->path;
}
std::string const& Surrogate::model_type() const {
  require_loaded(m_impl.get(), "kono::Surrogate::model_type");
  return m_impl->model_type;
}
int Surrogate::dimension() const {
  require_loaded(m_impl.get(), "kono::Surrogate::dimension");
  return m_impl->dim;
}
int Surrogate::in_channels() const {
  require_loaded(m_impl.get(), "kono::Surrogate::in_channels");
  return m_impl->in_channels;
}
int Surrogate::out_channels() const {
  require_loaded(m_impl.get(), "kono::Surrogate::out_channels");
  return m_impl->out_channels;
}
bool Surrogate::stores_float() const {
  require_loaded(m_impl.get(), "kono::Surrogate::stores_float");
  return m_impl->f != nullptr;
}
bool Surrogate::accepts_any_resolution() const {
  require_loaded(m_impl.get(), "kono::Surrogate::accepts_any_resolution");
  return m_impl->any_resolution;
}
std::vector<index_t> Surrogate::min_extents() const {
  require_loaded(m_impl.get(), "kono::Surrogate::min_extents");
  return m_impl->min_extents;
}
std::string Surrogate::provenance(std::string const& key) const {
  require_loaded(m_impl.get(), "kono::Surrogate::provenance");
  for (auto const& kv : m_impl->meta().provenance)
    if (kv.first == key) return kv.second;
  return {};
}

Shape Surrogate::output_shape(Shape const& in) const {
  require_loaded(m_impl.get(), "kono::Surrogate::output_shape");
  int const d = m_impl->dim;
  KONO_USER_REQUIRE(in.rank() == d + 2, size_mismatch,
                    "kono::Surrogate: input shape " << in.to_string() << " has rank " << in.rank() << "; \""
                                                    << m_impl->path << "\" expects [batch, " << m_impl->in_channels
                                                    << ", " << d << " spatial extents]");
  KONO_USER_REQUIRE(in[1] == m_impl->in_channels, size_mismatch,
                    "kono::Surrogate: input has " << in[1] << " channels; \"" << m_impl->path << "\" expects "
                                                  << m_impl->in_channels);
  for (int a = 0; a < d; ++a)
    KONO_USER_REQUIRE(in[a + 2] >= m_impl->min_extents[std::size_t(a)], size_mismatch,
                      "kono::Surrogate: spatial extent " << a << " of input " << in.to_string() << " is " << in[a + 2]
                                                         << "; \"" << m_impl->path << "\" needs at least "
                                                         << m_impl->min_extents[std::size_t(a)]
                                                         << " points per axis (its Fourier modes)");
  return m_impl->output_shape(in);
}

template <class Scalar>
Tensor<DefaultMemorySpace, Scalar> Surrogate::apply(Tensor<DefaultMemorySpace, Scalar> const& x) const {
  require_loaded(m_impl.get(), "kono::Surrogate::apply");
  (void)output_shape(x.shape());  // validates with the model's own words
  using Other = std::conditional_t<std::is_same<Scalar, float>::value, double, float>;
  bool const native = std::is_same<Scalar, float>::value ? m_impl->f != nullptr : m_impl->d != nullptr;
  if (native) {
    // Encoding is in place, so work on a copy: x is the caller's.
    return m_impl->run<Scalar>(x.template clone_to<Space>("kono::Surrogate::input"));
  }
  // Convert to the model's precision and back.
  Tensor<Space, Other> xo(Kokkos::WithoutInitializing, "kono::Surrogate::input", x.shape());
  auto const src = x.data();
  auto const dst = xo.data();
  Kokkos::parallel_for(
      "kono::Surrogate::convert_in", Kokkos::RangePolicy<typename Space::execution_space>(0, x.size()),
      KOKKOS_LAMBDA(std::size_t i) { dst(i) = static_cast<Other>(src(i)); });
  Tensor<Space, Other> yo = m_impl->run<Other>(xo);
  Tensor<Space, Scalar> y(Kokkos::WithoutInitializing, "kono::Surrogate::output", yo.shape());
  auto const ysrc = yo.data();
  auto const ydst = y.data();
  Kokkos::parallel_for(
      "kono::Surrogate::convert_out", Kokkos::RangePolicy<typename Space::execution_space>(0, y.size()),
      KOKKOS_LAMBDA(std::size_t i) { ydst(i) = static_cast<Scalar>(ysrc(i)); });
  return y;
}

template <class Scalar>
void Surrogate::apply(index_t batch, int channels, index_t const* extents, Scalar const* in, Scalar* out) const {
  require_loaded(m_impl.get(), "kono::Surrogate::apply");
  KONO_USER_REQUIRE(batch >= 0, invalid_argument, "kono::Surrogate::apply: batch is " << batch << ", must be >= 0");
  KONO_USER_REQUIRE(extents != nullptr, invalid_argument, "kono::Surrogate::apply: extents is null");
  std::vector<index_t> ext{batch, index_t(channels)};
  for (int a = 0; a < m_impl->dim; ++a) {
    KONO_USER_REQUIRE(extents[a] >= 1, size_mismatch,
                      "kono::Surrogate::apply: extent " << a << " is " << extents[a] << ", must be >= 1");
    ext.push_back(extents[a]);
  }
  Shape const in_shape(ext);
  Shape const out_shape = output_shape(in_shape);
  if (batch == 0) return;
  KONO_USER_REQUIRE(in != nullptr && out != nullptr, invalid_argument, "kono::Surrogate::apply: null array");
  // The caller's arrays are viewed, not adopted: unmanaged host Views, copied to the model's space.
  using HostView = Kokkos::View<Scalar const*, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using HostOut = Kokkos::View<Scalar*, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  HostView const in_host(in, std::size_t(in_shape.size()));
  Tensor<Space, Scalar> x(Kokkos::WithoutInitializing, "kono::Surrogate::input", in_shape);
  Kokkos::deep_copy(x.data(), in_host);
  Tensor<Space, Scalar> y;
  bool const native = std::is_same<Scalar, float>::value ? m_impl->f != nullptr : m_impl->d != nullptr;
  if (native)
    y = m_impl->run<Scalar>(x);  // x is already our copy
  else
    y = apply(x);
  KONO_REQUIRE(y.shape() == out_shape, "model output " << y.shape().to_string() << " vs " << out_shape.to_string());
  HostOut const out_host(out, std::size_t(out_shape.size()));
  Kokkos::deep_copy(out_host, y.data());
}

template void Surrogate::apply<float>(index_t, int, index_t const*, float const*, float*) const;
template void Surrogate::apply<double>(index_t, int, index_t const*, double const*, double*) const;
template Tensor<DefaultMemorySpace, float> Surrogate::apply<float>(Tensor<DefaultMemorySpace, float> const&) const;
template Tensor<DefaultMemorySpace, double> Surrogate::apply<double>(Tensor<DefaultMemorySpace, double> const&) const;

}  // namespace kono
