#include <cmath>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/conv_common.hpp>
#include <kono/operators/stencil/coarse_navier_stokes.hpp>
#include <kono/operators/stencil/hippo.hpp>
#include <kono/operators/stencil/stencil_geometry.hpp>
#include <kono/operators/stencil/stencil_network.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>

namespace kono {
namespace {
using L = StencilInputLayout;

template <class MemorySpace, class Scalar>
struct RolloutContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> states;  // [(steps * substeps + 1) * B, 2, n, n]
  Tensor<MemorySpace, Scalar> hippo;   // [steps * B, 2M, n, n] (features entering each model step)
  Tensor<MemorySpace, Scalar> params;  // [B, 2]
  Shape in;
};

template <class Exec>
using Range4 = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<4>>;

template <class Exec, class V>
Range4<Exec> range4(Exec const& space, V const& v) {
  return Range4<Exec>(space, {0, 0, 0, 0}, {v.extent(0), v.extent(1), v.extent(2), v.extent(3)});
}

// dst[b, c] = src[b, first + c] for every channel c of dst.
template <class Exec, class V>
void copy_channels(Exec const& space, V const& src, int first, V const& dst) {
  Kokkos::parallel_for(
      "kono::StencilRollout::copy_channels", range4(space, dst),
      KOKKOS_LAMBDA(int b, int c, int j, int i) { dst(b, c, j, i) = src(b, first + c, j, i); });
}

// dst[b, first + c] = src[b, c] (accumulate: +=) for every channel c of src.
template <class Exec, class V>
void put_channels(Exec const& space, V const& src, V const& dst, int first, bool accumulate) {
  Kokkos::parallel_for(
      "kono::StencilRollout::put_channels", range4(space, src), KOKKOS_LAMBDA(int b, int c, int j, int i) {
        if (accumulate)
          dst(b, first + c, j, i) += src(b, c, j, i);
        else
          dst(b, first + c, j, i) = src(b, c, j, i);
      });
}

// params[b] = (nu, amplitude) read at cell (0, 0) of the constant parameter channels.
template <class Exec, class V, class P>
void read_parameters(Exec const& space, V const& x, P const& params) {
  Kokkos::parallel_for(
      "kono::StencilRollout::read_parameters", Kokkos::RangePolicy<Exec>(space, 0, params.extent(0)),
      KOKKOS_LAMBDA(int b) {
        params(b, 0) = x(b, L::nu, 0, 0);
        params(b, 1) = x(b, L::amplitude, 0, 0);
      });
}

// Network input [u, v, c (2M), log10(nu) + 3, amplitude]: the parameters scaled to O(1) at Re 1000.
template <class Exec, class V, class P>
void network_input(Exec const& space, V const& u, V const& c, P const& params, V const& in) {
  int const m2 = c.data() ? int(c.extent(1)) : 0;
  Kokkos::parallel_for(
      "kono::StencilRollout::network_input", range4(space, in), KOKKOS_LAMBDA(int b, int ch, int j, int i) {
        if (ch < 2)
          in(b, ch, j, i) = u(b, ch, j, i);
        else if (ch < 2 + m2)
          in(b, ch, j, i) = c(b, ch - 2, j, i);
        else if (ch == 2 + m2)
          in(b, ch, j, i) = math::log(params(b, 0)) * 0.43429448190325182765 + 3;  // log10(nu) + 3
        else
          in(b, ch, j, i) = params(b, 1);
      });
}

template <class Exec, class V>
void zero(Exec const& space, V const& v) {
  Kokkos::parallel_for(
      "kono::StencilRollout::zero", range4(space, v), KOKKOS_LAMBDA(int b, int c, int j, int i) { v(b, c, j, i) = 0; });
}

stencil::CoarseSolverOptions solver_options_from(LayerConfig const& cfg, std::string const& where) {
  stencil::CoarseSolverOptions o;
  Impl::check_config_keys(cfg, "", {"domain_length", "dt", "drag", "forcing_wavenumber", "time_stepper", "stencil_size"},
                          where);
  o.domain_length = config_get<double>(cfg, "domain_length", where, o.domain_length);
  o.dt = config_get<double>(cfg, "dt", where);
  o.drag = config_get<double>(cfg, "drag", where, o.drag);
  o.forcing_wavenumber = config_get<int>(cfg, "forcing_wavenumber", where, o.forcing_wavenumber);
  o.time_stepper = stencil::time_stepper_from_string(
      config_get<std::string>(cfg, "time_stepper", where, stencil::to_string(o.time_stepper)), where + ".time_stepper");
  o.stencil_size = config_get<int>(cfg, "stencil_size", where, o.stencil_size);
  return o;
}

LayerConfig solver_config(stencil::CoarseSolverOptions const& o) {
  return {{"domain_length", o.domain_length},           {"dt", o.dt},
          {"drag", o.drag},                             {"forcing_wavenumber", o.forcing_wavenumber},
          {"time_stepper", stencil::to_string(o.time_stepper)}, {"stencil_size", o.stencil_size}};
}

int constraints(int order) { return order == 1 ? 1 : 3; }
}  // namespace

template <class MemorySpace, class Scalar>
StencilRollout<MemorySpace, Scalar>::StencilRollout(Options const& o, LayerConfig const& network) : m_options(o) {
  char const* where = "stencil_rollout";
  o.solver.validate();
  KONO_USER_REQUIRE(o.steps >= 1 && o.substeps >= 1, invalid_argument,
                    where << ": steps and substeps must be >= 1, got " << o.steps << " and " << o.substeps);
  KONO_USER_REQUIRE(o.accuracy_order == 1 || o.accuracy_order == 2, invalid_argument,
                    where << ": accuracy_order must be 1 (constants exact) or 2 (linear functions exact), got "
                          << o.accuracy_order);
  KONO_USER_REQUIRE(o.hippo_order >= 0 && (o.hippo_order == 0 || o.learned), invalid_argument,
                    where << ": hippo_order must be >= 0, and needs learned stencils");
  KONO_USER_REQUIRE(std::isfinite(o.hippo_theta) && o.hippo_theta > 0, invalid_argument,
                    where << ": hippo_theta must be > 0, got " << o.hippo_theta);
  KONO_USER_REQUIRE(std::isfinite(o.cfl_limit) && o.cfl_limit >= 0, invalid_argument,
                    where << ": cfl_limit must be >= 0 (0: no check), got " << o.cfl_limit);
  if (o.learned) {
    KONO_USER_REQUIRE(network.is_object() && network.value("type", "") == "stencil_network", invalid_argument,
                      where << ": learned stencils need a \"network\" configuration of type stencil_network");
    m_network = create_layer<MemorySpace, Scalar>(network, std::string(where) + ".network");
    auto const [in, out] = network_channels();
    KONO_USER_REQUIRE(m_network->output_shape(Shape({1, in, 8, 8})) == Shape({1, out, 8, 8}), invalid_argument,
                      where << ": the network must map " << in << " channels to " << out);
    m_constraint = create_layer<MemorySpace, Scalar>(
        {{"type", "stencil_constraint"}, {"stencil_size", o.solver.stencil_size}, {"accuracy_order", o.accuracy_order}},
        where);
  }
  if (o.hippo_order > 0)
    m_hippo = std::make_unique<HippoLegT<MemorySpace, Scalar>>(o.hippo_order, o.hippo_theta, model_dt());
}

template <class MemorySpace, class Scalar>
StencilRollout<MemorySpace, Scalar>::~StencilRollout() = default;

template <class MemorySpace, class Scalar>
std::pair<int, int> StencilRollout<MemorySpace, Scalar>::network_channels() const {
  int const S = m_options.solver.stencil_size;
  int const raw = stencil::num_targets * (stencil::taps_per_target(S) - constraints(m_options.accuracy_order));
  return {2 + 2 * m_options.hippo_order + L::parameters, raw};
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> StencilRollout<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  std::string const where = "stencil_rollout";
  Impl::check_config_keys(cfg, "stencil_rollout",
                          {"solver", "steps", "substeps", "learned", "accuracy_order", "hippo_order", "hippo_theta",
                           "cfl_limit", "network"},
                          where);
  Options o;
  o.solver = solver_options_from(config_get<LayerConfig>(cfg, "solver", where), where + ".solver");
  o.steps = config_get<int>(cfg, "steps", where, o.steps);
  o.substeps = config_get<int>(cfg, "substeps", where, o.substeps);
  o.learned = config_get<bool>(cfg, "learned", where, o.learned);
  o.accuracy_order = config_get<int>(cfg, "accuracy_order", where, o.accuracy_order);
  o.hippo_order = config_get<int>(cfg, "hippo_order", where, o.hippo_order);
  o.hippo_theta = config_get<double>(cfg, "hippo_theta", where, o.hippo_theta);
  o.cfl_limit = config_get<double>(cfg, "cfl_limit", where, o.cfl_limit);
  LayerConfig const network = cfg.contains("network") ? cfg.at("network") : LayerConfig();
  return std::make_unique<StencilRollout>(o, network);
}

template <class MemorySpace, class Scalar>
LayerConfig StencilRollout<MemorySpace, Scalar>::config() const {
  Options const& o = m_options;
  LayerConfig c = {{"type", "stencil_rollout"},   {"solver", solver_config(o.solver)},
                   {"steps", o.steps},             {"substeps", o.substeps},
                   {"learned", o.learned},         {"accuracy_order", o.accuracy_order},
                   {"hippo_order", o.hippo_order}, {"hippo_theta", o.hippo_theta},
                   {"cfl_limit", o.cfl_limit}};
  if (m_network) c["network"] = m_network->config();
  return c;
}

template <class MemorySpace, class Scalar>
Shape StencilRollout<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() == 4 && in[1] == input_channels() && in[2] == in[3], size_mismatch,
                    "kono::stencil_rollout: input " << in.to_string() << " is not [B, " << input_channels()
                                                    << " (u, v, nu, amplitude, " << 2 * m_options.hippo_order
                                                    << " HiPPO coefficients), n, n]");
  return in.with_extent(1, 2 * m_options.steps);
}

template <class MemorySpace, class Scalar>
std::size_t StencilRollout<MemorySpace, Scalar>::num_parameters() const {
  return m_network ? m_network->num_parameters() : 0;
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> StencilRollout<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<ParameterSlice> out;
  if (!m_network) return out;
  for (auto s : m_network->parameter_slices()) {
    s.name = "network." + s.name;
    out.push_back(std::move(s));
  }
  return out;
}

template <class MemorySpace, class Scalar>
void StencilRollout<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  if (!m_network) return;
  m_network->initialize_parameters(child_seed(seed, 0));
  // The last convolution starts at zero, so an untrained model is the classical solver exactly
  // (the constraint maps zero to the linear stencil) and training starts from a stable scheme.
  auto const& net = static_cast<StencilNetwork<MemorySpace, Scalar> const&>(*m_network);
  std::string const last = "conv" + std::to_string(net.options().layers) + ".";
  auto const p = m_network->parameters();
  for (auto const& s : m_network->parameter_slices())
    if (s.name.compare(0, last.size(), last) == 0)
      Kokkos::deep_copy(Kokkos::subview(p, std::make_pair(s.offset, s.offset + std::size_t(s.shape.size()))), Scalar(0));
}

template <class MemorySpace, class Scalar>
void StencilRollout<MemorySpace, Scalar>::on_bind() {
  if (m_network) m_network->bind_parameters(this->m_params, this->m_grads);
}

template <class MemorySpace, class Scalar>
auto StencilRollout<MemorySpace, Scalar>::solver(index_t n) const -> solver_type const& {
  auto it = m_solvers.find(n);
  if (it == m_solvers.end()) it = m_solvers.emplace(n, std::make_unique<solver_type>(m_options.solver, int(n))).first;
  return *it->second;
}

template <class MemorySpace, class Scalar>
auto StencilRollout<MemorySpace, Scalar>::coefficients(execution_space const& space, tensor_type const& u,
                                                       tensor_type const& c, tensor_type const& params,
                                                       std::unique_ptr<Context>& net_ctx,
                                                       std::unique_ptr<Context>& con_ctx) const -> tensor_type {
  if (!m_network) return tensor_type();
  auto const [in, raw] = network_channels();
  Shape const field = u.shape();
  std::string const key = "coefficients " + field.to_string();
  tensor_type net_in = m_workspace.get(key, 0, field.with_extent(1, in), "kono::StencilRollout::network_input");
  network_input(space, u.template view<4>(), c.size() > 0 ? c.template view<4>() : UnmanagedView<Scalar, 4, MemorySpace>(),
                params.template view<2>(), net_in.template view<4>());
  tensor_type r = m_workspace.get(key, 1, field.with_extent(1, raw), "kono::StencilRollout::raw_stencils");
  net_ctx = m_network->forward(space, net_in, r);
  tensor_type coeffs = m_workspace.get(key, 2, m_constraint->output_shape(r.shape()), "kono::StencilRollout::stencils");
  con_ctx = m_constraint->forward(space, r, coeffs);
  return coeffs;
}

template <class MemorySpace, class Scalar>
auto StencilRollout<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                       tensor_type const& y) const -> std::unique_ptr<Context> {
  Options const& o = m_options;
  index_t const B = x.extent(0), n = x.extent(2);
  int const M = o.hippo_order;
  auto ctx = std::make_unique<RolloutContext<MemorySpace, Scalar>>();
  ctx->in = x.shape();
  std::string const key = "forward " + x.shape().to_string();
  index_t const nstates = index_t(o.steps) * o.substeps + 1;
  ctx->states = m_workspace.get(key, 0, Shape({nstates * B, 2, n, n}), "kono::StencilRollout::states");
  ctx->params = m_workspace.get(key, 1, Shape({B, 2}), "kono::StencilRollout::parameters");
  if (M > 0) ctx->hippo = m_workspace.get(key, 2, Shape({o.steps * B, 2 * M, n, n}), "kono::StencilRollout::hippo");
  auto state = [&](index_t s) { return ctx->states.slice_batch(s * B, B); };
  auto hippo = [&](index_t k) { return M > 0 ? ctx->hippo.slice_batch(k * B, B) : tensor_type(); };
  copy_channels(space, x.template view<4>(), L::velocity, state(0).template view<4>());
  read_parameters(space, x.template view<4>(), ctx->params.template view<2>());
  if (M > 0) copy_channels(space, x.template view<4>(), L::hippo, hippo(0).template view<4>());
  solver_type const& sol = solver(n);
  for (int k = 0; k < o.steps; ++k) {
    std::unique_ptr<Context> net_ctx, con_ctx;
    index_t const s0 = index_t(k) * o.substeps;
    tensor_type const coeffs = coefficients(space, state(s0), hippo(k), ctx->params, net_ctx, con_ctx);
    for (int s = 0; s < o.substeps; ++s) sol.step(space, state(s0 + s), coeffs, ctx->params, state(s0 + s + 1));
    tensor_type const u = state(s0 + o.substeps);
    if (o.cfl_limit > 0) sol.check_state(space, u, long(k) + 1, o.cfl_limit);
    put_channels(space, u.template view<4>(), y.template view<4>(), 2 * k, false);
    if (M > 0 && k + 1 < o.steps) m_hippo->update(space, hippo(k), u, hippo(k + 1));
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void StencilRollout<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                        tensor_type const& dy, tensor_type const* dx,
                                                        GradientMode mode) const {
  auto const& ctx = static_cast<RolloutContext<MemorySpace, Scalar> const&>(base_ctx);
  Options const& o = m_options;
  index_t const B = ctx.in[0], n = ctx.in[2];
  int const M = o.hippo_order;
  std::string const key = "backward " + ctx.in.to_string();
  Shape const vel({B, 2, n, n});
  tensor_type du = m_workspace.get(key, 0, vel, "kono::StencilRollout::du");
  tensor_type du_next = m_workspace.get(key, 1, vel, "kono::StencilRollout::du_next");
  tensor_type dc, dc_prev, df;
  if (M > 0) {
    dc = m_workspace.get(key, 2, Shape({B, 2 * M, n, n}), "kono::StencilRollout::dc");
    dc_prev = m_workspace.get(key, 3, Shape({B, 2 * M, n, n}), "kono::StencilRollout::dc_prev");
    df = m_workspace.get(key, 4, vel, "kono::StencilRollout::df");
    zero(space, dc.template view<4>());
  }
  tensor_type dcoeffs, draw, dnet_in;
  if (m_network) {
    auto const [in, raw] = network_channels();
    Shape const field({B, 1, n, n});
    dcoeffs = m_workspace.get(key, 5, m_constraint->output_shape(field.with_extent(1, raw)), "kono::StencilRollout::dstencils");
    draw = m_workspace.get(key, 6, field.with_extent(1, raw), "kono::StencilRollout::draw");
    dnet_in = m_workspace.get(key, 7, field.with_extent(1, in), "kono::StencilRollout::dnetwork_input");
  }
  zero(space, du.template view<4>());
  auto state = [&](index_t s) { return ctx.states.slice_batch(s * B, B); };
  auto hippo = [&](index_t k) { return M > 0 ? ctx.hippo.slice_batch(k * B, B) : tensor_type(); };
  solver_type const& sol = solver(n);
  bool first_network_backward = true;
  for (int k = o.steps - 1; k >= 0; --k) {
    // du: dL/du after model step k, from the later steps; add this step's output and the HiPPO path.
    {
      auto dyv = dy.template view<4>();
      auto duv = du.template view<4>();
      int const first = 2 * k;
      Kokkos::parallel_for(
          "kono::StencilRollout::add_output_gradient", range4(space, duv),
          KOKKOS_LAMBDA(int b, int c, int j, int i) { duv(b, c, j, i) += dyv(b, first + c, j, i); });
    }
    if (M > 0 && k + 1 < o.steps) {
      m_hippo->update_backward(space, dc, dc_prev, df);
      put_channels(space, df.template view<4>(), du.template view<4>(), 0, true);
      std::swap(dc, dc_prev);
    }
    index_t const s0 = index_t(k) * o.substeps;
    std::unique_ptr<Context> net_ctx, con_ctx;
    tensor_type const coeffs = coefficients(space, state(s0), hippo(k), ctx.params, net_ctx, con_ctx);
    for (int s = o.substeps - 1; s >= 0; --s) {
      sol.step_backward(space, state(s0 + s), coeffs, ctx.params, du, du_next, dcoeffs, s < o.substeps - 1);
      std::swap(du, du_next);
    }
    if (m_network) {
      m_constraint->backward(space, *con_ctx, dcoeffs, &draw, GradientMode::ignore);
      GradientMode const m = mode == GradientMode::ignore ? mode
                             : first_network_backward   ? mode
                                                        : GradientMode::accumulate;
      m_network->backward(space, *net_ctx, draw, &dnet_in, m);
      first_network_backward = false;
      auto dn = dnet_in.template view<4>();
      auto duv = du.template view<4>();
      Kokkos::parallel_for(
          "kono::StencilRollout::add_network_gradient", range4(space, duv),
          KOKKOS_LAMBDA(int b, int c, int j, int i) { duv(b, c, j, i) += dn(b, c, j, i); });
      if (M > 0) {
        auto dcv = dc.template view<4>();
        Kokkos::parallel_for(
            "kono::StencilRollout::add_network_hippo_gradient", range4(space, dcv),
            KOKKOS_LAMBDA(int b, int c, int j, int i) { dcv(b, c, j, i) += dn(b, 2 + c, j, i); });
      }
    }
  }
  if (dx) {
    zero(space, dx->template view<4>());
    put_channels(space, du.template view<4>(), dx->template view<4>(), L::velocity, false);
    if (M > 0) put_channels(space, dc.template view<4>(), dx->template view<4>(), L::hippo, false);
  }
}

template <class MemorySpace, class Scalar>
void StencilRollout<MemorySpace, Scalar>::rollout(execution_space const& space, tensor_type const& x, int steps,
                                                  std::function<void(int, tensor_type const&)> const& on_step) const {
  output_shape(x.shape());
  KONO_USER_REQUIRE(steps >= 0, invalid_argument, "kono::StencilRollout::rollout: steps must be >= 0, got " << steps);
  index_t const B = x.extent(0), n = x.extent(2);
  int const M = m_options.hippo_order;
  std::string const key = "rollout " + x.shape().to_string();
  tensor_type u = m_workspace.get(key, 0, Shape({B, 2, n, n}), "kono::StencilRollout::u");
  tensor_type v = m_workspace.get(key, 1, Shape({B, 2, n, n}), "kono::StencilRollout::v");
  tensor_type params = m_workspace.get(key, 2, Shape({B, 2}), "kono::StencilRollout::parameters");
  tensor_type c, c_next;
  if (M > 0) {
    c = m_workspace.get(key, 3, Shape({B, 2 * M, n, n}), "kono::StencilRollout::c");
    c_next = m_workspace.get(key, 4, Shape({B, 2 * M, n, n}), "kono::StencilRollout::c_next");
    copy_channels(space, x.template view<4>(), L::hippo, c.template view<4>());
  }
  copy_channels(space, x.template view<4>(), L::velocity, u.template view<4>());
  read_parameters(space, x.template view<4>(), params.template view<2>());
  solver_type const& sol = solver(n);
  for (int k = 1; k <= steps; ++k) {
    std::unique_ptr<Context> net_ctx, con_ctx;
    tensor_type const coeffs = coefficients(space, u, c, params, net_ctx, con_ctx);
    for (int s = 0; s < m_options.substeps; ++s) {
      sol.step(space, u, coeffs, params, v);
      std::swap(u, v);
    }
    if (m_options.cfl_limit > 0) sol.check_state(space, u, k, m_options.cfl_limit);
    on_step(k, u);
    if (M > 0) {
      m_hippo->update(space, c, u, c_next);
      std::swap(c, c_next);
    }
  }
}

template <class MemorySpace, class Scalar>
void StencilRollout<MemorySpace, Scalar>::vorticity(execution_space const& space, tensor_type const& u,
                                                    tensor_type const& w) const {
  solver(u.extent(2)).vorticity(space, u, w);
}

KONO_INSTANTIATE_FOR_SCALARS(StencilRollout)

}  // namespace kono
