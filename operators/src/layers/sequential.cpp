#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/activation.hpp>
#include <kono/operators/layers/linear.hpp>
#include <kono/operators/layers/sequential.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct SequentialContext : Layer<MemorySpace, Scalar>::Context {
  std::vector<std::unique_ptr<typename Layer<MemorySpace, Scalar>::Context>> children;
  std::vector<Shape> inputs;  // input shape of each child
};

template <class MemorySpace, class Scalar>
struct ResidualContext : Layer<MemorySpace, Scalar>::Context {
  std::unique_ptr<typename Layer<MemorySpace, Scalar>::Context> body, skip;
  Shape in;
};

template <class Param>
Param sub_span(Param const& p, std::size_t offset, std::size_t n) {
  return p.data() ? Param(p.data() + offset, n) : Param();
}

template <class Layer>
std::vector<ParameterSlice> prefixed(Layer const& child, std::string const& prefix, std::size_t offset) {
  std::vector<ParameterSlice> out;
  for (auto s : child.parameter_slices()) {
    s.name = prefix + "." + s.name;
    s.offset += offset;
    out.push_back(std::move(s));
  }
  return out;
}

// y += x elementwise.
template <class Exec, class View>
void add_into(Exec const& space, View const& y, View const& x) {
  Kokkos::parallel_for(
      "kono::add_into", Kokkos::RangePolicy<Exec>(space, 0, y.extent(0)), KOKKOS_LAMBDA(std::size_t i) { y(i) += x(i); });
}
}  // namespace

// ---------------------------------------------------------------------------------------------
template <class MemorySpace, class Scalar>
Sequential<MemorySpace, Scalar>::Sequential(std::vector<std::unique_ptr<base>> layers) : m_layers(std::move(layers)) {
  KONO_USER_REQUIRE(!m_layers.empty(), invalid_argument, "kono::Sequential: needs at least one layer");
  for (std::size_t i = 0; i < m_layers.size(); ++i)
    KONO_USER_REQUIRE(m_layers[i] != nullptr, invalid_argument, "kono::Sequential: layer " << i << " is null");
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> Sequential<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  auto const list = config_get<LayerConfig>(cfg, "layers", "sequential");
  KONO_USER_REQUIRE(list.is_array(), invalid_argument, "sequential: \"layers\" must be a list, got " << list.dump());
  std::vector<std::unique_ptr<base>> layers;
  for (std::size_t i = 0; i < list.size(); ++i)
    layers.push_back(create_layer<MemorySpace, Scalar>(list[i], "sequential.layers[" + std::to_string(i) + "]"));
  return std::make_unique<Sequential>(std::move(layers));
}

template <class MemorySpace, class Scalar>
LayerConfig Sequential<MemorySpace, Scalar>::config() const {
  LayerConfig list = LayerConfig::array();
  for (auto const& l : m_layers) list.push_back(l->config());
  return {{"type", "sequential"}, {"layers", list}};
}

template <class MemorySpace, class Scalar>
Shape Sequential<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  Shape s = in;
  for (auto const& l : m_layers) s = l->output_shape(s);
  return s;
}

template <class MemorySpace, class Scalar>
std::size_t Sequential<MemorySpace, Scalar>::num_parameters() const {
  std::size_t n = 0;
  for (auto const& l : m_layers) n += l->num_parameters();
  return n;
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> Sequential<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<ParameterSlice> out;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < m_layers.size(); ++i) {
    for (auto& s : prefixed(*m_layers[i], std::to_string(i), offset)) out.push_back(std::move(s));
    offset += m_layers[i]->num_parameters();
  }
  return out;
}

template <class MemorySpace, class Scalar>
void Sequential<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  for (std::size_t i = 0; i < m_layers.size(); ++i) m_layers[i]->initialize_parameters(child_seed(seed, i));
}

template <class MemorySpace, class Scalar>
void Sequential<MemorySpace, Scalar>::on_bind() {
  std::size_t offset = 0;
  for (auto& l : m_layers) {
    std::size_t const n = l->num_parameters();
    l->bind_parameters(sub_span(this->m_params, offset, n), sub_span(this->m_grads, offset, n));
    offset += n;
  }
}

template <class MemorySpace, class Scalar>
auto Sequential<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                   tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<SequentialContext<MemorySpace, Scalar>>();
  tensor_type current = x;
  for (std::size_t i = 0; i < m_layers.size(); ++i) {
    ctx->inputs.push_back(current.shape());
    bool const last = i + 1 == m_layers.size();
    // Intermediate outputs stay alive through the children's contexts until backward.
    tensor_type out = last ? y
                           : m_workspace.get("forward " + x.shape().to_string(), i,
                                             m_layers[i]->output_shape(current.shape()), "kono::Sequential::activation");
    ctx->children.push_back(m_layers[i]->forward(space, current, out));
    current = out;
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void Sequential<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                    tensor_type const& dy, tensor_type const* dx,
                                                    GradientMode mode) const {
  auto const& ctx = static_cast<SequentialContext<MemorySpace, Scalar> const&>(base_ctx);
  tensor_type grad = dy;
  for (std::size_t k = m_layers.size(); k-- > 0;) {
    if (k == 0) {
      m_layers[0]->backward(space, *ctx.children[0], grad, dx, mode);
    } else {
      tensor_type g = m_workspace.get("backward " + ctx.inputs[0].to_string(), k, ctx.inputs[k],
                                      "kono::Sequential::gradient");
      m_layers[k]->backward(space, *ctx.children[k], grad, &g, mode);
      grad = g;
    }
  }
}

// ---------------------------------------------------------------------------------------------
template <class MemorySpace, class Scalar>
Residual<MemorySpace, Scalar>::Residual(std::unique_ptr<base> body, std::unique_ptr<base> skip)
    : m_body(std::move(body)), m_skip(std::move(skip)) {
  KONO_USER_REQUIRE(m_body != nullptr, invalid_argument, "kono::Residual: body is null");
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> Residual<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  auto body = create_layer<MemorySpace, Scalar>(config_get<LayerConfig>(cfg, "body", "residual"), "residual.body");
  std::unique_ptr<base> skip;
  if (cfg.contains("skip") && !cfg.at("skip").is_null())
    skip = create_layer<MemorySpace, Scalar>(cfg.at("skip"), "residual.skip");
  return std::make_unique<Residual>(std::move(body), std::move(skip));
}

template <class MemorySpace, class Scalar>
LayerConfig Residual<MemorySpace, Scalar>::config() const {
  LayerConfig c{{"type", "residual"}, {"body", m_body->config()}};
  if (m_skip) c["skip"] = m_skip->config();
  return c;
}

template <class MemorySpace, class Scalar>
Shape Residual<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  Shape const out = m_body->output_shape(in);
  Shape const skip = m_skip ? m_skip->output_shape(in) : in;
  KONO_USER_REQUIRE(out == skip, size_mismatch,
                    "kono::residual: body gives " << out.to_string() << " but the skip path gives " << skip.to_string()
                                                  << " for input " << in.to_string());
  return out;
}

template <class MemorySpace, class Scalar>
std::size_t Residual<MemorySpace, Scalar>::num_parameters() const {
  return m_body->num_parameters() + (m_skip ? m_skip->num_parameters() : 0);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> Residual<MemorySpace, Scalar>::parameter_slices() const {
  auto out = prefixed(*m_body, "body", 0);
  if (m_skip)
    for (auto& s : prefixed(*m_skip, "skip", m_body->num_parameters())) out.push_back(std::move(s));
  return out;
}

template <class MemorySpace, class Scalar>
void Residual<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  m_body->initialize_parameters(child_seed(seed, 0));
  if (m_skip) m_skip->initialize_parameters(child_seed(seed, 1));
}

template <class MemorySpace, class Scalar>
void Residual<MemorySpace, Scalar>::on_bind() {
  std::size_t const nb = m_body->num_parameters();
  m_body->bind_parameters(sub_span(this->m_params, 0, nb), sub_span(this->m_grads, 0, nb));
  if (m_skip) {
    std::size_t const ns = m_skip->num_parameters();
    m_skip->bind_parameters(sub_span(this->m_params, nb, ns), sub_span(this->m_grads, nb, ns));
  }
}

template <class MemorySpace, class Scalar>
auto Residual<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                 tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<ResidualContext<MemorySpace, Scalar>>();
  ctx->in = x.shape();
  ctx->body = m_body->forward(space, x, y);
  if (m_skip) {
    tensor_type s = m_workspace.get("forward " + x.shape().to_string(), 0, y.shape(), "kono::Residual::skip");
    ctx->skip = m_skip->forward(space, x, s);
    add_into(space, y.data(), s.data());
  } else {
    add_into(space, y.data(), x.data());
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void Residual<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                  tensor_type const& dy, tensor_type const* dx,
                                                  GradientMode mode) const {
  auto const& ctx = static_cast<ResidualContext<MemorySpace, Scalar> const&>(base_ctx);
  m_body->backward(space, *ctx.body, dy, dx, mode);
  if (m_skip) {
    if (dx) {
      tensor_type g = m_workspace.get("backward " + ctx.in.to_string(), 0, ctx.in, "kono::Residual::skip_gradient");
      m_skip->backward(space, *ctx.skip, dy, &g, mode);
      add_into(space, dx->data(), g.data());
    } else {
      m_skip->backward(space, *ctx.skip, dy, nullptr, mode);
    }
  } else if (dx) {
    add_into(space, dx->data(), dy.data());
  }
}

// ---------------------------------------------------------------------------------------------
template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> make_channel_mlp(int in_channels, int hidden_channels, int out_channels,
                                                             int layers, std::string const& activation) {
  KONO_USER_REQUIRE(layers >= 1, invalid_argument, "kono::make_channel_mlp: layers=" << layers << " must be >= 1");
  std::vector<std::unique_ptr<Layer<MemorySpace, Scalar>>> list;
  ActivationKind const act = activation_from_string(activation);
  for (int i = 0; i < layers; ++i) {
    int const cin = i == 0 ? in_channels : hidden_channels;
    int const cout = i + 1 == layers ? out_channels : hidden_channels;
    list.push_back(std::make_unique<Linear<MemorySpace, Scalar>>(cin, cout));
    if (i + 1 < layers) list.push_back(std::make_unique<Activation<MemorySpace, Scalar>>(act));
  }
  return std::make_unique<Sequential<MemorySpace, Scalar>>(std::move(list));
}

KONO_INSTANTIATE_FOR_SCALARS(Sequential)
KONO_INSTANTIATE_FOR_SCALARS(Residual)
template std::unique_ptr<Layer<DefaultMemorySpace, float>> make_channel_mlp<DefaultMemorySpace, float>(int, int, int, int,
                                                                                                       std::string const&);
template std::unique_ptr<Layer<DefaultMemorySpace, double>> make_channel_mlp<DefaultMemorySpace, double>(
    int, int, int, int, std::string const&);
}  // namespace kono
