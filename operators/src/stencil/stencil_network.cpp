#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/conv_common.hpp>
#include <kono/operators/stencil/stencil_network.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct NetworkContext : Layer<MemorySpace, Scalar>::Context {
  using ctx_ptr = std::unique_ptr<typename Layer<MemorySpace, Scalar>::Context>;
  std::vector<ctx_ptr> convs, activations, attention;
  Shape in;
};

template <class Param>
Param sub_span(Param const& p, std::size_t offset, std::size_t n) {
  return p.data() ? Param(p.data() + offset, n) : Param();
}

// cat = [g, the last P channels of x] along the channel axis.
template <class Exec, class V>
void concat_parameters(Exec const& space, V const& g, V const& x, int P, V const& cat) {
  int const H = int(g.extent(1)), C = int(x.extent(1));
  Kokkos::parallel_for(
      "kono::StencilNetwork::concat", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<4>>(
                                          space, {0, 0, 0, 0},
                                          {cat.extent(0), cat.extent(1), cat.extent(2), cat.extent(3)}),
      KOKKOS_LAMBDA(int b, int c, int j, int i) {
        cat(b, c, j, i) = c < H ? g(b, c, j, i) : x(b, C - P + (c - H), j, i);
      });
}

// dg = dcat[:, :H]; dpar (+)= dcat[:, H:].
template <class Exec, class V>
void split_parameters(Exec const& space, V const& dcat, V const& dg, V const& dpar, bool accumulate) {
  int const H = int(dg.extent(1));
  Kokkos::parallel_for(
      "kono::StencilNetwork::split", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<4>>(
                                         space, {0, 0, 0, 0},
                                         {dcat.extent(0), dcat.extent(1), dcat.extent(2), dcat.extent(3)}),
      KOKKOS_LAMBDA(int b, int c, int j, int i) {
        if (c < H)
          dg(b, c, j, i) = dcat(b, c, j, i);
        else if (accumulate)
          dpar(b, c - H, j, i) += dcat(b, c, j, i);
        else
          dpar(b, c - H, j, i) = dcat(b, c, j, i);
      });
}

// dx[:, C-P:] += dpar.
template <class Exec, class V>
void add_parameter_gradient(Exec const& space, V const& dx, V const& dpar) {
  int const C = int(dx.extent(1)), P = int(dpar.extent(1));
  Kokkos::parallel_for(
      "kono::StencilNetwork::add_dpar", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<4>>(
                                            space, {0, 0, 0, 0},
                                            {dpar.extent(0), dpar.extent(1), dpar.extent(2), dpar.extent(3)}),
      KOKKOS_LAMBDA(int b, int p, int j, int i) { dx(b, C - P + p, j, i) += dpar(b, p, j, i); });
}

LayerConfig conv_config(int in, int out, int kernel, bool valid_rows) {
  LayerConfig c = {{"type", "conv"},   {"dim", 2},          {"in_channels", in},           {"out_channels", out},
                   {"kernel", kernel}, {"padding", "same"}, {"padding_mode", "periodic"}, {"bias", true}};
  if (valid_rows) {
    c["padding"] = {0, kernel / 2};
    c["padding_mode"] = {"zero", "periodic"};
  }
  return c;
}
}  // namespace

template <class MemorySpace, class Scalar>
StencilNetwork<MemorySpace, Scalar>::StencilNetwork(Options const& o) : m_options(o) {
  char const* where = "stencil_network";
  KONO_USER_REQUIRE(o.parameters >= 0 && o.in_channels > o.parameters, invalid_argument,
                    where << ": in_channels (" << o.in_channels << ") must exceed parameters (" << o.parameters << ")");
  KONO_USER_REQUIRE(o.hidden >= 1 && o.layers >= 1 && o.out_channels >= 1, invalid_argument,
                    where << ": hidden, layers and out_channels must be >= 1, got " << o.hidden << ", " << o.layers
                          << ", " << o.out_channels);
  KONO_USER_REQUIRE(o.kernel >= 1 && o.kernel % 2 == 1, invalid_argument,
                    where << ": kernel must be odd and >= 1, got " << o.kernel);
  KONO_USER_REQUIRE(!o.attention || (o.parameters >= 1 && o.attention_hidden >= 1), invalid_argument,
                    where << ": attention needs parameters >= 1 and attention_hidden >= 1");
  for (int l = 0; l <= o.layers; ++l) {
    int const in = l == 0 ? o.in_channels : o.hidden;
    int const out = l == o.layers ? o.out_channels : o.hidden;
    m_convs.push_back(create_layer<MemorySpace, Scalar>(conv_config(in, out, o.kernel, o.valid_rows), where));
    if (l == o.layers) break;
    m_activations.push_back(create_layer<MemorySpace, Scalar>({{"type", o.activation}}, where));
    if (o.attention)
      m_attention.push_back(create_layer<MemorySpace, Scalar>(
          {{"type", "channel_attention"}, {"channels", o.hidden}, {"parameters", o.parameters}, {"hidden", o.attention_hidden}},
          where));
  }
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> StencilNetwork<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  char const* where = "stencil_network";
  Impl::check_config_keys(cfg, "stencil_network",
                          {"in_channels", "parameters", "hidden", "layers", "kernel", "out_channels", "activation",
                           "attention", "attention_hidden", "valid_rows"},
                          where);
  Options o;
  o.in_channels = config_get<int>(cfg, "in_channels", where);
  o.parameters = config_get<int>(cfg, "parameters", where, o.parameters);
  o.hidden = config_get<int>(cfg, "hidden", where, o.hidden);
  o.layers = config_get<int>(cfg, "layers", where, o.layers);
  o.kernel = config_get<int>(cfg, "kernel", where, o.kernel);
  o.out_channels = config_get<int>(cfg, "out_channels", where);
  o.activation = config_get<std::string>(cfg, "activation", where, o.activation);
  o.attention = config_get<bool>(cfg, "attention", where, o.attention);
  o.attention_hidden = config_get<int>(cfg, "attention_hidden", where, o.attention_hidden);
  o.valid_rows = config_get<bool>(cfg, "valid_rows", where, o.valid_rows);
  return std::make_unique<StencilNetwork>(o);
}

template <class MemorySpace, class Scalar>
LayerConfig StencilNetwork<MemorySpace, Scalar>::config() const {
  Options const& o = m_options;
  LayerConfig c = {{"type", "stencil_network"}, {"in_channels", o.in_channels}, {"parameters", o.parameters},
          {"hidden", o.hidden},         {"layers", o.layers},           {"kernel", o.kernel},
          {"out_channels", o.out_channels}, {"activation", o.activation}, {"attention", o.attention},
          {"attention_hidden", o.attention_hidden}};
  if (o.valid_rows) c["valid_rows"] = true;
  return c;
}

template <class MemorySpace, class Scalar>
Shape StencilNetwork<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() == 4 && in[1] == m_options.in_channels, size_mismatch,
                    "kono::stencil_network: input " << in.to_string() << " is not [B, " << m_options.in_channels
                                                    << ", ny, nx]");
  if (!m_options.valid_rows) return in.with_extent(1, m_options.out_channels);
  KONO_USER_REQUIRE(in[2] > 2 * reach(), size_mismatch,
                    "kono::stencil_network: input " << in.to_string() << " has no rows left after " << 2 * reach()
                                                    << " halo rows (valid_rows)");
  return Shape({in[0], m_options.out_channels, in[2] - 2 * reach(), in[3]});
}

template <class MemorySpace, class Scalar>
std::vector<Layer<MemorySpace, Scalar>*> StencilNetwork<MemorySpace, Scalar>::children() const {
  std::vector<base*> out;
  for (std::size_t l = 0; l < m_convs.size(); ++l) {
    out.push_back(m_convs[l].get());
    if (l < m_attention.size()) out.push_back(m_attention[l].get());
  }
  return out;
}

template <class MemorySpace, class Scalar>
std::size_t StencilNetwork<MemorySpace, Scalar>::num_parameters() const {
  std::size_t n = 0;
  for (auto* c : children()) n += c->num_parameters();
  return n;
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> StencilNetwork<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<ParameterSlice> out;
  std::size_t offset = 0;
  for (std::size_t l = 0; l < m_convs.size(); ++l) {
    for (int which = 0; which < 2; ++which) {
      base const* c = which == 0 ? m_convs[l].get() : (l < m_attention.size() ? m_attention[l].get() : nullptr);
      if (!c) continue;
      std::string const prefix = (which == 0 ? "conv" : "attention") + std::to_string(l);
      for (auto s : c->parameter_slices()) {
        s.name = prefix + "." + s.name;
        s.offset += offset;
        out.push_back(std::move(s));
      }
      offset += c->num_parameters();
    }
  }
  return out;
}

template <class MemorySpace, class Scalar>
void StencilNetwork<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  auto const c = children();
  for (std::size_t i = 0; i < c.size(); ++i) c[i]->initialize_parameters(child_seed(seed, i));
}

template <class MemorySpace, class Scalar>
void StencilNetwork<MemorySpace, Scalar>::on_bind() {
  std::size_t offset = 0;
  for (auto* c : children()) {
    std::size_t const n = c->num_parameters();
    c->bind_parameters(sub_span(this->m_params, offset, n), sub_span(this->m_grads, offset, n));
    offset += n;
  }
}

template <class MemorySpace, class Scalar>
auto StencilNetwork<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                       tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<NetworkContext<MemorySpace, Scalar>>();
  ctx->in = x.shape();
  Options const& o = m_options;
  std::string const key = "forward " + x.shape().to_string();
  std::size_t slot = 0;
  tensor_type h = x;
  for (int l = 0; l <= o.layers; ++l) {
    if (l == o.layers) {
      ctx->convs.push_back(m_convs[l]->forward(space, h, y));
      break;
    }
    Shape const hidden = m_convs[l]->output_shape(h.shape());  // fewer rows per layer with valid_rows
    tensor_type a = m_workspace.get(key, slot++, hidden, "kono::StencilNetwork::conv");
    ctx->convs.push_back(m_convs[l]->forward(space, h, a));
    tensor_type g = m_workspace.get(key, slot++, hidden, "kono::StencilNetwork::activation");
    ctx->activations.push_back(m_activations[l]->forward(space, a, g));
    if (o.attention) {
      tensor_type cat = m_workspace.get(key, slot++, hidden.with_extent(1, o.hidden + o.parameters),
                                        "kono::StencilNetwork::concat");
      concat_parameters(space, g.template view<4>(), x.template view<4>(), o.parameters, cat.template view<4>());
      tensor_type att = m_workspace.get(key, slot++, hidden, "kono::StencilNetwork::attention");
      ctx->attention.push_back(m_attention[l]->forward(space, cat, att));
      h = att;
    } else {
      h = g;
    }
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void StencilNetwork<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                        tensor_type const& dy, tensor_type const* dx,
                                                        GradientMode mode) const {
  auto const& ctx = static_cast<NetworkContext<MemorySpace, Scalar> const&>(base_ctx);
  Options const& o = m_options;
  KONO_USER_REQUIRE(!o.valid_rows, unsupported,
                    "kono::stencil_network: a valid_rows network serves decomposed inference; it has no backward");
  std::string const key = "backward " + ctx.in.to_string();
  Shape const hidden = ctx.in.with_extent(1, o.hidden);
  tensor_type dh = m_workspace.get(key, 0, hidden, "kono::StencilNetwork::dh");
  tensor_type da = m_workspace.get(key, 1, hidden, "kono::StencilNetwork::da");
  tensor_type dcat, dpar;
  if (o.attention) {
    dcat = m_workspace.get(key, 2, ctx.in.with_extent(1, o.hidden + o.parameters), "kono::StencilNetwork::dcat");
    dpar = m_workspace.get(key, 3, ctx.in.with_extent(1, o.parameters), "kono::StencilNetwork::dpar");
  }
  bool have_dpar = false;
  m_convs[o.layers]->backward(space, *ctx.convs[o.layers], dy, &dh, mode);
  for (int l = o.layers - 1; l >= 0; --l) {
    if (o.attention) {
      m_attention[l]->backward(space, *ctx.attention[l], dh, &dcat, mode);
      // dh is free again once the attention has consumed it: it receives the hidden part.
      split_parameters(space, dcat.template view<4>(), dh.template view<4>(), dpar.template view<4>(), have_dpar);
      have_dpar = true;
    }
    m_activations[l]->backward(space, *ctx.activations[l], dh, &da, mode);
    bool const first = l == 0;
    if (first) {
      m_convs[0]->backward(space, *ctx.convs[0], da, dx, mode);
    } else {
      m_convs[l]->backward(space, *ctx.convs[l], da, &dh, mode);
    }
  }
  if (dx && have_dpar) add_parameter_gradient(space, dx->template view<4>(), dpar.template view<4>());
}

KONO_INSTANTIATE_FOR_SCALARS(StencilNetwork)

}  // namespace kono
