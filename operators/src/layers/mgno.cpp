#include <kono/operators/layers/mgno.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

#include <kono/operators/impl/conv_kernels.hpp>
#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/activation.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/conv_transpose.hpp>
#include <kono/operators/layers/discretized_conv.hpp>

namespace kono {

// ---------------------------------------------------------------------------------------------
// MgnoParams

namespace {
char const* const mgno_where = "kono::mgno_layer";

std::vector<int> per_level(std::vector<int> const& v, int levels, int fallback, char const* key) {
  KONO_USER_REQUIRE(v.empty() || v.size() == 1 || v.size() == static_cast<std::size_t>(levels), invalid_argument,
                    mgno_where << ": " << key << " " << Impl::axes_to_string(v) << " has " << v.size()
                               << " entries, expected 1 or levels = " << levels);
  std::vector<int> out(static_cast<std::size_t>(levels), v.empty() ? fallback : v[0]);
  if (v.size() > 1) out = v;
  return out;
}
}  // namespace

void MgnoParams::validate() const {
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, mgno_where << ": dim must be 1, 2 or 3, got " << dim);
  KONO_USER_REQUIRE(in_channels > 0, invalid_argument,
                    mgno_where << ": in_channels must be positive, got " << in_channels);
  KONO_USER_REQUIRE(out_channels > 0, invalid_argument,
                    mgno_where << ": out_channels must be positive, got " << out_channels);
  KONO_USER_REQUIRE(levels >= 1 && levels <= 30, invalid_argument,
                    mgno_where << ": levels must be in [1, 30], got " << levels);
  std::vector<int> const pre = per_level(iterations, levels, 1, "iterations");
  std::vector<int> const post = per_level(post_iterations, levels, 0, "post_iterations");
  for (int l = 0; l < levels; ++l) {
    auto const ul = static_cast<std::size_t>(l);
    KONO_USER_REQUIRE(pre[ul] >= (l == 0 ? 1 : 0), invalid_argument,
                      mgno_where << ": iterations[" << l << "] must be " << (l == 0 ? ">= 1" : ">= 0") << ", got "
                                 << pre[ul]);
    KONO_USER_REQUIRE(post[ul] >= 0, invalid_argument,
                      mgno_where << ": post_iterations[" << l << "] must be >= 0, got " << post[ul]);
  }
  // The coarsest level has no prolongation to smooth after; a single broadcast value skips it.
  KONO_USER_REQUIRE(post_iterations.size() <= 1 || post.back() == 0, invalid_argument,
                    mgno_where << ": post_iterations[" << levels - 1
                               << "] (the coarsest level) must be 0: give its steps as iterations");
  KONO_USER_REQUIRE(
      padding_mode.size() <= 1 || padding_mode.size() == static_cast<std::size_t>(dim), invalid_argument,
      mgno_where << ": padding_mode has " << padding_mode.size() << " entries, expected 1 or dim = " << dim);
  if (activation != "none") (void)activation_from_string(activation);
}

MgnoParams MgnoParams::normalized() const {
  validate();
  MgnoParams p = *this;
  p.iterations = per_level(iterations, levels, 1, "iterations");
  p.post_iterations = per_level(post_iterations, levels, 0, "post_iterations");
  p.post_iterations.back() = 0;
  p.padding_mode.assign(static_cast<std::size_t>(dim), padding_mode.empty() ? PaddingMode::zero : padding_mode[0]);
  if (padding_mode.size() > 1) p.padding_mode = padding_mode;
  if (!reference_extents.empty()) {
    p.reference_extents = Impl::expand_axes(reference_extents, dim, 0, 1, "reference_extents", mgno_where);
  } else {
    KONO_USER_REQUIRE(!fine_smoothing, invalid_argument,
                      mgno_where << ": fine_smoothing needs reference_extents (a resolution-consistent layer)");
  }
  KONO_USER_REQUIRE(!fine_smoothing || pointwise_grid == MgnoPointwiseGrid::input, invalid_argument,
                    mgno_where << ": fine_smoothing smooths on the input's grid, so it needs pointwise_grid = input");
  return p;
}

MgnoParams MgnoParams::from_config(LayerConfig const& cfg) {
  std::string const where = mgno_where;
  Impl::check_config_keys(cfg, "mgno_layer",
                          {"dim", "in_channels", "out_channels", "levels", "iterations", "post_iterations",
                           "padding_mode", "activation", "restrict_residual", "equalized_lr", "reference_extents",
                           "fine_smoothing", "grid", "restriction",
                           "pointwise_grid", "refinement"},
                          where);
  MgnoParams p;
  p.dim = config_get<int>(cfg, "dim", where, 2);
  p.in_channels = config_get<int>(cfg, "in_channels", where);
  p.out_channels = config_get<int>(cfg, "out_channels", where);
  p.levels = config_get<int>(cfg, "levels", where, 4);
  p.iterations = Impl::config_axes(cfg, "iterations", p.dim, where, {});
  p.post_iterations = Impl::config_axes(cfg, "post_iterations", p.dim, where, {});
  p.padding_mode = Impl::config_padding_modes(cfg, where);
  p.activation = config_get<std::string>(cfg, "activation", where, "gelu");
  p.restrict_residual = config_get<bool>(cfg, "restrict_residual", where, true);
  p.equalized_lr = config_get<bool>(cfg, "equalized_lr", where, false);
  p.reference_extents = Impl::config_axes(cfg, "reference_extents", p.dim, where, {});
  p.fine_smoothing = config_get<bool>(cfg, "fine_smoothing", where, false);
  p.grid = grid_points_from_string(config_get<std::string>(cfg, "grid", where, "nodes"), where);
  p.restriction = coarsening_from_string(config_get<std::string>(cfg, "restriction", where, "average"), where);
  std::string const refine = config_get<std::string>(cfg, "refinement", where, "knots");
  KONO_USER_REQUIRE(refine == "knots" || refine == "linear", invalid_argument,
                    where << ": refinement must be knots or linear, got \"" << refine << "\"");
  p.linear_refinement = refine == "linear";
  std::string const pg = config_get<std::string>(cfg, "pointwise_grid", where, "input");
  KONO_USER_REQUIRE(pg == "input" || pg == "training", invalid_argument,
                    where << ": pointwise_grid must be input or training, got \"" << pg << "\"");
  p.pointwise_grid = pg == "input" ? MgnoPointwiseGrid::input : MgnoPointwiseGrid::training;
  KONO_USER_REQUIRE(p.grid != GridPoints::periodic, invalid_argument,
                    where << ": grid is nodes or half_open (periodic axes come from padding_mode \"periodic\")");
  return p.normalized();
}

LayerConfig MgnoParams::to_config() const {
  MgnoParams const p = normalized();
  LayerConfig modes = LayerConfig::array();
  for (PaddingMode m : p.padding_mode) modes.push_back(to_string(m));
  LayerConfig cfg;
  cfg["type"] = "mgno_layer";
  cfg["dim"] = p.dim;
  cfg["in_channels"] = p.in_channels;
  cfg["out_channels"] = p.out_channels;
  cfg["levels"] = p.levels;
  cfg["iterations"] = p.iterations;
  cfg["post_iterations"] = p.post_iterations;
  cfg["padding_mode"] = modes;
  cfg["activation"] = p.activation;
  cfg["restrict_residual"] = p.restrict_residual;
  cfg["equalized_lr"] = p.equalized_lr;
  if (!p.reference_extents.empty()) {
    cfg["reference_extents"] = p.reference_extents;
    cfg["fine_smoothing"] = p.fine_smoothing;
    cfg["grid"] = to_string(p.grid);
    cfg["restriction"] = to_string(p.restriction);
    cfg["pointwise_grid"] = p.pointwise_grid == MgnoPointwiseGrid::input ? "input" : "training";
    cfg["refinement"] = p.linear_refinement ? "linear" : "knots";
  }
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// Recorded V-cycle: forward records operations on numbered tensors, backward replays them in
// reverse. Tensor 0 is the layer input; every other tensor comes from the workspace.

namespace {
enum class OpKind { layer, sub, add, add_crop, transfer };

template <class MemorySpace, class Scalar>
struct MgnoOp {
  OpKind kind;
  int child;  ///< child layer index for OpKind::layer
  int a, b;   ///< operand tensors (b unused for layer)
  int out;
  std::unique_ptr<typename Layer<MemorySpace, Scalar>::Context> ctx;
  double factor = 1;                                        ///< extra output factor of a layer op
  GridTransfer<MemorySpace, Scalar> const* grid = nullptr;  ///< OpKind::transfer
};

template <class MemorySpace, class Scalar>
struct MgnoContext final : Layer<MemorySpace, Scalar>::Context {
  std::vector<Tensor<MemorySpace, Scalar>> values;
  std::vector<MgnoOp<MemorySpace, Scalar>> ops;
  std::string key;  ///< workspace key (input shape)
  int out = -1;     ///< tensor number of the layer output y
};

template <class Param>
Param sub_span(Param const& p, std::size_t offset, std::size_t n) {
  return p.data() ? Param(p.data() + offset, n) : Param();
}

// out = alpha*a + beta*b elementwise (b may be empty when beta == 0).
template <class Exec, class View>
void combine(Exec const& space, View const& out, typename View::value_type alpha, View const& a,
             typename View::value_type beta, View const& b) {
  if (beta == 0) {
    Kokkos::parallel_for(
        "kono::MgnoLayer::scale", Kokkos::RangePolicy<Exec>(space, 0, out.extent(0)),
        KOKKOS_LAMBDA(std::size_t i) { out(i) = alpha * a(i); });
  } else {
    Kokkos::parallel_for(
        "kono::MgnoLayer::combine", Kokkos::RangePolicy<Exec>(space, 0, out.extent(0)),
        KOKKOS_LAMBDA(std::size_t i) { out(i) = alpha * a(i) + beta * b(i); });
  }
}

// small(n, c, i) = (accumulate ? small : 0) + large(n, c, i) for i inside small's extents
// (crop), or large(n, c, i) = (accumulate ? large : 0) + (i inside small ? small(n, c, i) : 0)
// (zero-extend), on [N, C, e0, e1, e2] views.
template <class Exec, class Scalar, class MemorySpace>
void crop_add(Exec const& space, Impl::ConvTensor5<Scalar, MemorySpace> const& out,
              Impl::ConvTensor5<Scalar const, MemorySpace> const& a, Impl::ConvTensor5<Scalar const, MemorySpace> const& b,
              bool has_a) {
  // out(n, c, i) = (has_a ? a(n, c, i) : 0) + (i inside b ? b(n, c, i) : 0); out and a same extents.
  int const e0 = static_cast<int>(out.extent(2)), e1 = static_cast<int>(out.extent(3)),
            e2 = static_cast<int>(out.extent(4));
  int const b0 = static_cast<int>(b.extent(2)), b1 = static_cast<int>(b.extent(3)), b2 = static_cast<int>(b.extent(4));
  int const C = static_cast<int>(out.extent(1));
  std::int64_t const total = static_cast<std::int64_t>(out.extent(0)) * C * e0 * e1 * e2;
  Kokkos::parallel_for(
      "kono::MgnoLayer::crop_add", Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>(space, 0, total),
      KOKKOS_LAMBDA(std::int64_t idx) {
        int const i2 = static_cast<int>(idx % e2);
        idx /= e2;
        int const i1 = static_cast<int>(idx % e1);
        idx /= e1;
        int const i0 = static_cast<int>(idx % e0);
        idx /= e0;
        int const c = static_cast<int>(idx % C);
        std::int64_t const n = idx / C;
        Scalar v = has_a ? a(n, c, i0, i1, i2) : Scalar(0);
        if (i0 < b0 && i1 < b1 && i2 < b2) v += b(n, c, i0, i1, i2);
        out(n, c, i0, i1, i2) = v;
      });
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// MgnoLayer

template <class MemorySpace, class Scalar>
int MgnoLayer<MemorySpace, Scalar>::add_child(std::unique_ptr<base> layer, std::string name) {
  // V-cycle convolutions (every child but b and the activation) under equalized_lr: output
  // scale = the PyTorch init bound 1/sqrt(fan), fan = in * k^dim (conv) or out * k^dim (transposed).
  double scale = 1;
  if (m_options.equalized_lr && name != "b" && name != "act") {
    double fan = 1;
    if (auto const* c = dynamic_cast<Conv<MemorySpace, Scalar> const*>(layer.get())) {
      fan = c->params().in_channels;
      for (int k : c->params().kernel) fan *= k;
    } else if (auto const* d = dynamic_cast<DiscretizedConv<MemorySpace, Scalar> const*>(layer.get())) {
      fan = d->params().in_channels;
      for (int k : d->params().kernel) fan *= k;
    } else if (auto const* t = dynamic_cast<ConvTranspose<MemorySpace, Scalar> const*>(layer.get())) {
      fan = t->params().out_channels;
      for (int k : t->params().kernel) fan *= k;
    }
    scale = 1 / std::sqrt(fan);
  }
  m_scale.push_back(scale);
  m_children.push_back(std::move(layer));
  m_names.push_back(std::move(name));
  return static_cast<int>(m_children.size()) - 1;
}

template <class MemorySpace, class Scalar>
MgnoLayer<MemorySpace, Scalar>::~MgnoLayer() = default;

template <class MemorySpace, class Scalar>
MgnoLayer<MemorySpace, Scalar>::MgnoLayer(MgnoParams const& params) : m_options(params.normalized()) {
  MgnoParams const& p = m_options;
  int const cf = p.in_channels, cu = p.out_channels;
  auto conv = [&](int in, int out, int kernel, int stride, bool bias) {
    ConvParams c;
    c.dim = p.dim;
    c.in_channels = in;
    c.out_channels = out;
    c.kernel = {kernel};
    c.stride = {stride};
    c.padding = {kernel / 2};
    c.padding_mode = p.padding_mode;
    c.bias = bias;
    return std::make_unique<Conv<MemorySpace, Scalar>>(c);
  };
  m_roles.b = add_child(conv(cf, cu, 1, 1, true), "b");
  int const L = p.levels;
  std::vector<std::vector<index_t>> ref_levels;
  if (!p.reference_extents.empty())
    ref_levels = level_extents(std::vector<index_t>(p.reference_extents.begin(), p.reference_extents.end()));
  // With a reference grid A_0 approximates a second-order differential operator: on finer grids
  // its zero-sum part is scaled by (h0/h)^2. Coarser levels only ever see their training grid.
  auto operator_a = [&](int l) -> std::unique_ptr<base> {
    if (ref_levels.empty() || l > 0) return conv(cu, cf, 3, 1, false);
    DiscretizedConvParams d;
    d.dim = p.dim;
    d.in_channels = cu;
    d.out_channels = cf;
    d.kernel = {3};
    d.padding_mode = p.padding_mode;
    d.bias = false;
    d.discretization = KernelDiscretization::differential;
    d.order = 2;
    d.grid = p.grid;
    for (index_t e : ref_levels[std::size_t(l)]) d.reference_extents.push_back(int(e));
    return std::make_unique<DiscretizedConv<MemorySpace, Scalar>>(d);
  };
  m_roles.A.assign(std::size_t(L), -1);
  m_roles.S.resize(std::size_t(L));
  m_roles.post_S.resize(std::size_t(L));
  m_roles.Pi.assign(std::size_t(L > 1 ? L - 1 : 0), -1);
  m_roles.R = m_roles.Pi;
  m_roles.RT = m_roles.Pi;
  for (int l = 0; l < L; ++l) {
    auto const ul = std::size_t(l);
    std::string const lv = "level" + std::to_string(l) + ".";
    int const pre = p.iterations[ul], post = p.post_iterations[ul];
    // A_l is created only where some step uses it: the first step on level 0 is u = S f (u = 0).
    bool const uses_a = (l == 0 ? pre - 1 : pre) + post > 0 || (l + 1 < L && p.restrict_residual);
    if (uses_a) m_roles.A[ul] = add_child(operator_a(l), lv + "A");
    for (int i = 0; i < pre; ++i) m_roles.S[ul].push_back(add_child(conv(cf, cu, 3, 1, false), lv + "S" + std::to_string(i)));
    for (int i = 0; i < post; ++i)
      m_roles.post_S[ul].push_back(add_child(conv(cf, cu, 3, 1, false), lv + "post_S" + std::to_string(i)));
    if (l + 1 < L) {
      m_roles.Pi[ul] = add_child(conv(cu, cu, 3, 2, false), lv + "Pi");
      m_roles.R[ul] = add_child(conv(cf, cf, 3, 2, false), lv + "R");
      ConvTransposeParams t;
      t.dim = p.dim;
      t.in_channels = cu;
      t.out_channels = cu;
      t.kernel = {4};
      t.stride = {2};
      t.padding = {1};
      t.bias = false;
      m_roles.RT[ul] = add_child(std::make_unique<ConvTranspose<MemorySpace, Scalar>>(t), lv + "RT");
    }
  }
  if (p.activation != "none")
    m_roles.act = add_child(std::make_unique<Activation<MemorySpace, Scalar>>(activation_from_string(p.activation)),
                            "act");
}

template <class MemorySpace, class Scalar>
std::vector<std::vector<index_t>> MgnoLayer<MemorySpace, Scalar>::level_extents(
    std::vector<index_t> const& extents) const {
  std::vector<std::vector<index_t>> out{extents};
  for (int l = 1; l < m_options.levels; ++l) {
    std::vector<index_t> e = out.back();
    for (auto& n : e) n = (n - 1) / 2 + 1;  // 3x3 stride-2 convolution with padding 1
    out.push_back(e);
  }
  return out;
}

template <class MemorySpace, class Scalar>
Shape MgnoLayer<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  MgnoParams const& p = m_options;
  KONO_USER_REQUIRE(in.rank() == p.dim + 2, size_mismatch,
                    mgno_where << ": input of shape " << in.to_string() << " has rank " << in.rank() << ", expected "
                               << p.dim + 2 << " ([N, C, " << p.dim << " spatial axes])");
  KONO_USER_REQUIRE(in[1] == p.in_channels, size_mismatch,
                    mgno_where << ": input of shape " << in.to_string() << " has " << in[1]
                               << " channels, expected in_channels = " << p.in_channels);
  std::vector<index_t> spatial;
  for (int a = 0; a < p.dim; ++a) {
    KONO_USER_REQUIRE(in[2 + a] >= 1, size_mismatch,
                      mgno_where << ": input of shape " << in.to_string() << " has an empty spatial axis");
    spatial.push_back(in[2 + a]);
  }
  if (!p.reference_extents.empty()) {
    (void)fine_grids(spatial);  // axes refined alike
    for (int a = 0; a < p.dim; ++a)
      KONO_USER_REQUIRE(p.padding_mode[std::size_t(a)] == PaddingMode::periodic || p.grid != GridPoints::nodes ||
                            spatial[std::size_t(a)] >= 2,
                        size_mismatch,
                        mgno_where << ": input of shape " << in.to_string() << " has extent 1 on spatial axis " << a
                                   << " (a resolution-consistent layer needs at least 2 grid points)");
    spatial.assign(p.reference_extents.begin(), p.reference_extents.end());
  }
  auto const levels = level_extents(spatial);
  for (int l = 0; l < p.levels; ++l)
    for (int a = 0; a < p.dim; ++a)
      KONO_USER_REQUIRE(p.padding_mode[std::size_t(a)] != PaddingMode::reflect || levels[std::size_t(l)][std::size_t(a)] >= 2,
                        size_mismatch,
                        mgno_where << ": reflect padding needs extent >= 2 on every level, but level " << l
                                   << " of input " << in.to_string() << " has extent "
                                   << levels[std::size_t(l)][std::size_t(a)] << " on spatial axis " << a
                                   << " (use fewer levels)");
  return in.with_extent(1, p.out_channels);
}

template <class MemorySpace, class Scalar>
std::vector<GridPoints> MgnoLayer<MemorySpace, Scalar>::grid_points() const {
  std::vector<GridPoints> g;
  for (PaddingMode m : m_options.padding_mode)
    g.push_back(m == PaddingMode::periodic ? GridPoints::periodic : m_options.grid);
  return g;
}

template <class MemorySpace, class Scalar>
std::vector<std::vector<index_t>> MgnoLayer<MemorySpace, Scalar>::fine_grids(std::vector<index_t> const& extents) const {
  MgnoParams const& p = m_options;
  KONO_USER_REQUIRE(!p.reference_extents.empty(), wrong_state,
                    mgno_where << ": fine_grids needs reference_extents (a resolution-consistent layer)");
  std::vector<GridPoints> const points = grid_points();
  // Levels above the reference grid per axis: round(log2(n / ref)), at least 1 when n > ref.
  std::vector<int> levels_above;
  bool finer = false, coarser = false;
  for (int a = 0; a < p.dim; ++a) {
    index_t const n = extents[std::size_t(a)], ref = p.reference_extents[std::size_t(a)];
    levels_above.push_back(n > ref ? std::max(1, int(std::lround(std::log2(double(n) / double(ref))))) : 0);
    finer = finer || n > ref;
    coarser = coarser || n < ref;
  }
  std::string const grid = Impl::axes_to_string(std::vector<int>(extents.begin(), extents.end()));
  KONO_USER_REQUIRE(!(finer && coarser), size_mismatch,
                    mgno_where << ": input grid " << grid << " is finer than the training grid "
                               << Impl::axes_to_string(p.reference_extents) << " on some axes and coarser on others");
  int const extra = levels_above[0];
  for (int e : levels_above)
    KONO_USER_REQUIRE(e == extra, size_mismatch,
                      mgno_where << ": input grid " << grid << " refines the training grid "
                                 << Impl::axes_to_string(p.reference_extents)
                                 << " unevenly across axes (a resolution-consistent MgNO needs the same number of "
                                    "extra levels on every axis)");
  std::vector<std::vector<index_t>> out;
  if (extra <= 0) return out;
  out.push_back(extents);
  for (int j = 1; j < extra; ++j) {
    std::vector<index_t> e;
    for (int a = 0; a < p.dim; ++a) {
      index_t const ref = p.reference_extents[std::size_t(a)], f = index_t(1) << (extra - j);
      e.push_back(points[std::size_t(a)] == GridPoints::nodes ? (ref - 1) * f + 1 : ref * f);  // nested grids
    }
    out.push_back(e);
  }
  return out;
}

template <class MemorySpace, class Scalar>
GridTransfer<MemorySpace, Scalar> const& MgnoLayer<MemorySpace, Scalar>::transfer(std::vector<index_t> const& from,
                                                                                 std::vector<index_t> const& to) const {
  auto key = std::make_pair(from, to);
  auto it = m_transfers.find(key);
  if (it == m_transfers.end()) {
    // Refinement through the knots of nearest coarsening (see MgnoParams::linear_refinement).
    bool finer = false;
    for (std::size_t a = 0; a < from.size(); ++a) finer = finer || to[a] > from[a];
    Coarsening const c =
        finer ? (m_options.linear_refinement ? Coarsening::sample : Coarsening::nearest) : m_options.restriction;
    it = m_transfers.emplace(key, std::make_unique<GridTransfer<MemorySpace, Scalar>>(from, to, grid_points(), c)).first;
  }
  return *it->second;
}

template <class MemorySpace, class Scalar>
std::size_t MgnoLayer<MemorySpace, Scalar>::num_parameters() const {
  std::size_t n = 0;
  for (auto const& c : m_children) n += c->num_parameters();
  return n;
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> MgnoLayer<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<ParameterSlice> out;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < m_children.size(); ++i) {
    for (auto s : m_children[i]->parameter_slices()) {
      s.name = m_names[i] + "." + s.name;
      s.offset += offset;
      out.push_back(std::move(s));
    }
    offset += m_children[i]->num_parameters();
  }
  return out;
}

template <class MemorySpace, class Scalar>
void MgnoLayer<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  for (std::size_t i = 0; i < m_children.size(); ++i) {
    m_children[i]->initialize_parameters(child_seed(seed, i));
    if (m_scale[i] != 1) {  // stored weights U(+-1): the effective weights are PyTorch's init
      auto const p = m_children[i]->parameters();
      combine(execution_space{}, p, Scalar(1 / m_scale[i]), p, Scalar(0), p);
    }
  }
}

template <class MemorySpace, class Scalar>
void MgnoLayer<MemorySpace, Scalar>::on_bind() {
  std::size_t offset = 0;
  for (auto& c : m_children) {
    std::size_t const n = c->num_parameters();
    c->bind_parameters(sub_span(this->m_params, offset, n), sub_span(this->m_grads, offset, n));
    offset += n;
  }
}

template <class MemorySpace, class Scalar>
auto MgnoLayer<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                  tensor_type const& y) const -> std::unique_ptr<Context> {
  using ctx_type = MgnoContext<MemorySpace, Scalar>;
  using op_type = MgnoOp<MemorySpace, Scalar>;
  MgnoParams const& p = m_options;
  auto ctx = std::make_unique<ctx_type>();
  ctx->key = "forward " + x.shape().to_string();
  ctx->values.reserve(64);
  ctx->ops.reserve(64);
  ctx->values.push_back(x);
  // Each intermediate gets its own workspace slot (contexts of the children keep reading them).
  auto fresh = [&](Shape const& shape) {
    int const id = static_cast<int>(ctx->values.size());
    ctx->values.push_back(m_workspace.get(ctx->key, std::size_t(id), shape, "kono::MgnoLayer::value"));
    return id;
  };
  auto apply = [&](int child, int in, int out = -1, double factor = 1) {
    auto const& layer = *m_children[std::size_t(child)];
    if (out < 0) out = fresh(layer.output_shape(ctx->values[std::size_t(in)].shape()));
    tensor_type const tin = ctx->values[std::size_t(in)];
    tensor_type const tout = ctx->values[std::size_t(out)];
    auto c = layer.forward(space, tin, tout);
    Scalar const scale = Scalar(m_scale[std::size_t(child)] * factor);
    if (scale != Scalar(1)) combine(space, tout.data(), scale, tout.data(), Scalar(0), tout.data());
    ctx->ops.push_back(op_type{OpKind::layer, child, in, -1, out, std::move(c)});
    ctx->ops.back().factor = factor;
    return out;
  };
  // A fixed grid transfer of tensor `in` to spatial extents `to`.
  auto resample = [&](int in, std::vector<index_t> const& to, int out = -1) {
    Shape const s_in = ctx->values[std::size_t(in)].shape();
    std::vector<index_t> from;
    std::vector<index_t> dims{s_in[0], s_in[1]};
    for (int a = 0; a < p.dim; ++a) from.push_back(s_in[2 + a]);
    for (index_t e : to) dims.push_back(e);
    auto const& g = transfer(from, to);
    if (out < 0) out = fresh(Shape(dims));
    g.apply(space, ctx->values[std::size_t(in)], ctx->values[std::size_t(out)]);
    ctx->ops.push_back(op_type{OpKind::transfer, -1, in, -1, out, nullptr});
    ctx->ops.back().grid = &g;
    return out;
  };
  auto binary = [&](OpKind kind, int a, int b, int out = -1) {
    if (out < 0) out = fresh(ctx->values[std::size_t(a)].shape());
    // Copies (not references): fresh() may grow the vector.
    tensor_type const ta = ctx->values[std::size_t(a)];
    tensor_type const to = ctx->values[std::size_t(out)];
    tensor_type const tb = ctx->values[std::size_t(b)];
    if (kind == OpKind::add_crop) {
      crop_add<execution_space, Scalar, MemorySpace>(
          space, Impl::conv_view5<Scalar, MemorySpace>(to.data().data(), to.shape(), p.dim),
          Impl::conv_view5<Scalar const, MemorySpace>(ta.data().data(), ta.shape(), p.dim),
          Impl::conv_view5<Scalar const, MemorySpace>(tb.data().data(), tb.shape(), p.dim), true);
    } else {
      combine(space, to.data(), Scalar(1), ta.data(), kind == OpKind::sub ? Scalar(-1) : Scalar(1), tb.data());
    }
    ctx->ops.push_back(op_type{kind, -1, a, b, out, nullptr});
    return out;
  };
  // u <- u + factor S(f - A u)
  auto smooth = [&](int level, int s_child, int u, int f, double factor = 1) {
    int const au = apply(m_roles.A[std::size_t(level)], u);
    int const r = binary(OpKind::sub, f, au);
    int const sr = apply(s_child, r, -1, factor);
    return binary(OpKind::add, u, sr);
  };

  // Resolution-consistent layer off its training grid: restrict f down the grids above the
  // reference grid (or interpolate a coarser input up to it) before the V-cycle.
  std::vector<index_t> extents;
  for (int a = 0; a < p.dim; ++a) extents.push_back(x.shape()[2 + a]);
  std::vector<index_t> const ref(p.reference_extents.begin(), p.reference_extents.end());
  bool const off_grid = !ref.empty() && extents != ref;
  std::vector<std::vector<index_t>> fine;
  std::vector<int> fine_f;
  int f0 = 0;
  if (off_grid) {
    fine = fine_grids(extents);
    if (!fine.empty()) {
      fine_f.push_back(0);
      for (std::size_t j = 1; j < fine.size(); ++j) fine_f.push_back(resample(fine_f.back(), fine[j]));
    }
    f0 = resample(fine_f.empty() ? 0 : fine_f.back(), ref);
  }

  int const L = p.levels;
  std::vector<int> f(std::size_t(L), -1), u(std::size_t(L), -1);
  f[0] = f0;
  for (int l = 0; l < L; ++l) {
    auto const ul = std::size_t(l);
    auto const& S = m_roles.S[ul];
    std::size_t first = 0;
    if (l == 0) {
      u[0] = apply(S[0], f[0]);
      first = 1;
    }
    for (std::size_t i = first; i < S.size(); ++i) u[ul] = smooth(l, S[i], u[ul], f[ul]);
    if (l + 1 < L) {
      int const rhs = p.restrict_residual ? binary(OpKind::sub, f[ul], apply(m_roles.A[ul], u[ul])) : f[ul];
      f[ul + 1] = apply(m_roles.R[ul], rhs);
      u[ul + 1] = apply(m_roles.Pi[ul], u[ul]);
    }
  }
  for (int l = L - 2; l >= 0; --l) {
    auto const ul = std::size_t(l);
    int const coarse = apply(m_roles.RT[ul], u[ul + 1]);
    u[ul] = binary(OpKind::add_crop, u[ul], coarse);
    for (int s : m_roles.post_S[ul]) u[ul] = smooth(l, s, u[ul], f[ul]);
  }
  int const out = static_cast<int>(ctx->values.size());
  ctx->values.push_back(y);
  ctx->out = out;
  // y = act(u + b x) from u and the input x on one grid, into tensor `dst` (-1: a fresh one).
  auto finish = [&](int u_final, int x_in, int dst) {
    int const bx = apply(m_roles.b, x_in);
    if (m_roles.act >= 0) return apply(m_roles.act, binary(OpKind::add, u_final, bx), dst);
    return binary(OpKind::add, u_final, bx, dst);
  };
  if (off_grid && p.pointwise_grid == MgnoPointwiseGrid::training) {
    // The whole layer on the training grid; only its output moves to the input's grid.
    int y_ref = finish(u[0], f0, -1);
    if (fine.empty()) {
      resample(y_ref, extents, out);
    } else {
      for (std::size_t j = fine.size(); j-- > 0;) y_ref = resample(y_ref, fine[j], j == 0 ? out : -1);
    }
    return ctx;
  }
  int u_out = u[0];
  if (off_grid && fine.empty()) u_out = resample(u_out, extents);  // coarser input: restrict back
  // Finer input: interpolate u up the grids; with fine_smoothing, post-smooth with level 0's
  // operators mapped to each grid (A a differential kernel, S scaled by (h/h0)^2 as a Jacobi step
  // on h^-2 A would be).
  for (std::size_t j = fine.size(); j-- > 0;) {
    u_out = resample(u_out, fine[j]);
    double factor = 1;
    for (int a = 0; a < p.dim; ++a)
      factor *= spacing_ratio(fine[j][std::size_t(a)], ref[std::size_t(a)], grid_points()[std::size_t(a)]);
    factor = std::pow(factor, 2.0 / p.dim);
    if (p.fine_smoothing)
      for (int s : m_roles.post_S[0]) u_out = smooth(0, s, u_out, fine_f[j], factor);
  }
  finish(u_out, 0, out);
  return ctx;
}

template <class MemorySpace, class Scalar>
void MgnoLayer<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                   tensor_type const& dy, tensor_type const* dx,
                                                   GradientMode mode) const {
  auto const* ctx = dynamic_cast<MgnoContext<MemorySpace, Scalar> const*>(&base_ctx);
  KONO_USER_REQUIRE(ctx != nullptr, invalid_argument,
                    "kono::mgno_layer::backward: the context was not returned by an mgno_layer's forward");
  auto const& values = ctx->values;
  int const out_id = ctx->out;
  this->check_output(values[0].shape(), dy, "output gradient");
  KONO_USER_REQUIRE(dx == nullptr || dx->shape() == values[0].shape(), size_mismatch,
                    "kono::mgno_layer: input gradient \"" << dx->label() << "\" has shape " << dx->shape().to_string()
                                                          << ", expected " << values[0].shape().to_string());
  int const dim = m_options.dim;
  std::string const gkey = "backward " + values[0].shape().to_string();
  std::string const skey = "scratch " + values[0].shape().to_string();
  // grads[i]: dL/d values[i]; has[i]: it holds a contribution (else it is garbage).
  std::vector<tensor_type> grads(values.size());
  std::vector<char> has(values.size(), 0), touched(m_children.size(), 0);
  grads[std::size_t(out_id)] = dy;
  has[std::size_t(out_id)] = 1;
  bool const want_dx = dx != nullptr;
  if (want_dx) grads[0] = *dx;
  auto target = [&](int id) -> tensor_type {  // where a contribution to id is written
    auto const uid = std::size_t(id);
    if (!grads[uid].is_allocated())
      grads[uid] = m_workspace.get(gkey, uid, values[uid].shape(), "kono::MgnoLayer::gradient");
    return grads[uid];
  };
  // Adds `scale * g` to the gradient of `id` (first contribution: writes it).
  auto contribute = [&](int id, tensor_type const& g, Scalar scale) {
    if (id == 0 && !want_dx) return;
    auto const uid = std::size_t(id);
    tensor_type const t = target(id);
    if (has[uid])
      combine(space, t.data(), Scalar(1), t.data(), scale, g.data());
    else
      combine(space, t.data(), scale, g.data(), Scalar(0), g.data());
    has[uid] = 1;
  };
  std::size_t scratch_slot = 0, scaled_slot = 0;
  std::string const gskey = "scaled " + values[0].shape().to_string();
  for (std::size_t k = ctx->ops.size(); k-- > 0;) {
    auto const& op = ctx->ops[k];
    auto const uo = std::size_t(op.out);
    if (!has[uo]) {  // an unused intermediate: its gradient is zero
      target(op.out).fill(Scalar(0));
      has[uo] = 1;
    }
    tensor_type const& g = grads[uo];
    switch (op.kind) {
      case OpKind::layer: {
        auto const& layer = *m_children[std::size_t(op.child)];
        Scalar const scale = Scalar(m_scale[std::size_t(op.child)] * op.factor);
        tensor_type const gl = scale == Scalar(1) ? g
                                                  : m_workspace.get(gskey, scaled_slot++, g.shape(),
                                                                    "kono::MgnoLayer::scaled_gradient");
        if (scale != Scalar(1)) combine(space, gl.data(), scale, g.data(), Scalar(0), g.data());
        GradientMode m = mode;
        if (mode != GradientMode::ignore && touched[std::size_t(op.child)]) m = GradientMode::accumulate;
        touched[std::size_t(op.child)] = 1;
        auto const ua = std::size_t(op.a);
        if (op.a == 0 && !want_dx) {
          layer.backward(space, *op.ctx, gl, nullptr, m);
        } else if (!has[ua]) {
          tensor_type const t = target(op.a);
          layer.backward(space, *op.ctx, gl, &t, m);
          has[ua] = 1;
        } else {
          // Scratch slots are per (op position) so a shape change never reallocates in steady state.
          tensor_type const s = m_workspace.get(skey, scratch_slot++, values[ua].shape(), "kono::MgnoLayer::scratch");
          layer.backward(space, *op.ctx, gl, &s, m);
          contribute(op.a, s, Scalar(1));
        }
        break;
      }
      case OpKind::add:
      case OpKind::sub:
        contribute(op.a, g, Scalar(1));
        contribute(op.b, g, op.kind == OpKind::sub ? Scalar(-1) : Scalar(1));
        break;
      case OpKind::transfer: {
        if (op.a == 0 && !want_dx) break;
        auto const ua = std::size_t(op.a);
        if (!has[ua]) {
          op.grid->apply_adjoint(space, g, target(op.a));
          has[ua] = 1;
        } else {
          tensor_type const s = m_workspace.get(skey, scratch_slot++, values[ua].shape(), "kono::MgnoLayer::scratch");
          op.grid->apply_adjoint(space, g, s);
          contribute(op.a, s, Scalar(1));
        }
        break;
      }
      case OpKind::add_crop: {
        contribute(op.a, g, Scalar(1));
        auto const ub = std::size_t(op.b);
        tensor_type const t = target(op.b);
        crop_add<execution_space, Scalar, MemorySpace>(
            space, Impl::conv_view5<Scalar, MemorySpace>(t.data().data(), t.shape(), dim),
            Impl::conv_view5<Scalar const, MemorySpace>(t.data().data(), t.shape(), dim),
            Impl::conv_view5<Scalar const, MemorySpace>(g.data().data(), g.shape(), dim), has[ub] != 0);
        has[ub] = 1;
        break;
      }
    }
  }
  // Children with no recorded use (none today) would keep stale gradients: zero them.
  if (mode == GradientMode::overwrite)
    for (std::size_t i = 0; i < m_children.size(); ++i)
      if (!touched[i] && m_children[i]->num_parameters() > 0) Kokkos::deep_copy(space, m_children[i]->gradients(), Scalar(0));
  if (want_dx && !has[0]) dx->fill(Scalar(0));
}

KONO_INSTANTIATE_FOR_SCALARS(MgnoLayer)

namespace Impl {
void register_mgno_layers() {
  register_layer<DefaultMemorySpace, float>("mgno_layer", &MgnoLayer<DefaultMemorySpace, float>::from_config);
  register_layer<DefaultMemorySpace, double>("mgno_layer", &MgnoLayer<DefaultMemorySpace, double>::from_config);
}
}  // namespace Impl

}  // namespace kono
