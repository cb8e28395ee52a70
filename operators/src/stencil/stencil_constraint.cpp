#include <cmath>

#include <kono/operators/stencil/stencil_constraint.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct StencilConstraintContext : Layer<MemorySpace, Scalar>::Context {
  Shape in;
};

// Kernels live in free functions: nvcc rejects extended lambdas in protected members.
// One thread per output value; R is small (T - 1 <= 29 for S <= 6), so the loop is short.
template <class Exec, class B, class L, class V>
void constraint_forward(Exec const& space, B const& basis, L const& lin, index_t n, int taps, int free, index_t p,
                        V const& xv, V const& yv) {
  using S = typename V::non_const_value_type;
  index_t const cout = index_t(stencil::num_targets) * taps;
  Kokkos::parallel_for(
      "kono::StencilConstraint::forward", Kokkos::RangePolicy<Exec>(space, 0, n * cout * p),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, ch = (idx / p) % cout, s = idx / (p * cout);
        int const target = int(ch / taps), t = int(ch % taps);
        double acc = lin(target, t);
        index_t const x0 = (s * stencil::num_targets + target) * free;
        for (int r = 0; r < free; ++r) acc += basis(target, t, r) * double(xv((x0 + r) * p + q));
        yv(idx) = S(acc);
      });
}

template <class Exec, class B, class V>
void constraint_backward(Exec const& space, B const& basis, index_t n, int taps, int free, index_t p, V const& dyv,
                         V const& dxv) {
  using S = typename V::non_const_value_type;
  index_t const cin = index_t(stencil::num_targets) * free;
  Kokkos::parallel_for(
      "kono::StencilConstraint::backward", Kokkos::RangePolicy<Exec>(space, 0, n * cin * p),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, ch = (idx / p) % cin, s = idx / (p * cin);
        int const target = int(ch / free), r = int(ch % free);
        index_t const y0 = (s * stencil::num_targets + target) * taps;
        double acc = 0;
        for (int t = 0; t < taps; ++t) acc += basis(target, t, r) * double(dyv((y0 + t) * p + q));
        dxv(idx) = S(acc);
      });
}

index_t points_per_sample(Shape const& s) { return s.rank() <= 2 ? 1 : s.tail(2).size(); }

// Orthonormal basis of the null space of the k x T constraint rows: orthonormalise the rows,
// then sweep the unit vectors e_0, e_1, ... and keep what is left after projecting out
// everything accepted so far (twice: classical Gram-Schmidt loses orthogonality once). The
// sweep order makes the basis deterministic, and unit vectors avoid any random start.
std::vector<std::vector<double>> null_space(std::vector<std::vector<double>> rows, int taps) {
  std::vector<std::vector<double>> q;  // orthonormal rows, then the null-space vectors
  auto project_out = [&](std::vector<double>& v) {
    for (int pass = 0; pass < 2; ++pass)
      for (auto const& u : q) {
        double d = 0;
        for (int t = 0; t < taps; ++t) d += u[t] * v[t];
        for (int t = 0; t < taps; ++t) v[t] -= d * u[t];
      }
  };
  auto norm = [&](std::vector<double> const& v) {
    double s = 0;
    for (double e : v) s += e * e;
    return std::sqrt(s);
  };
  for (auto& r : rows) {
    double const scale = norm(r);
    project_out(r);
    double const nr = norm(r);
    KONO_REQUIRE(nr > 1e-10 * scale, "kono::StencilConstraint: dependent constraint rows");
    for (double& e : r) e /= nr;
    q.push_back(r);
  }
  std::size_t const k = q.size();
  for (int j = 0; j < taps && int(q.size()) < taps; ++j) {
    std::vector<double> v(std::size_t(taps), 0.0);
    v[std::size_t(j)] = 1.0;
    project_out(v);
    double const nv = norm(v);
    if (nv < 1e-8) continue;  // e_j lies (numerically) in the span so far
    for (double& e : v) e /= nv;
    q.push_back(v);
  }
  return {q.begin() + std::ptrdiff_t(k), q.end()};
}
}  // namespace

template <class MemorySpace, class Scalar>
StencilConstraint<MemorySpace, Scalar>::StencilConstraint(int stencil_size, int accuracy_order)
    : m_size(stencil_size), m_order(accuracy_order) {
  KONO_USER_REQUIRE(stencil_size >= 2 && stencil_size % 2 == 0, invalid_argument,
                    "kono::stencil_constraint: stencil_size=" << stencil_size << " must be even and >= 2");
  KONO_USER_REQUIRE(accuracy_order == 1 || accuracy_order == 2, invalid_argument,
                    "kono::stencil_constraint: accuracy_order=" << accuracy_order
                                                                << " is not supported (1: constants, 2: linear functions)");
  KONO_USER_REQUIRE(accuracy_order == 1 || stencil_size >= 4, invalid_argument,
                    "kono::stencil_constraint: accuracy_order=2 needs stencil_size >= 4 (with stencil_size=2 the "
                    "linear stencil is the only solution), got stencil_size="
                        << stencil_size);
  m_taps = stencil::taps_per_target(stencil_size);
  m_free = m_taps - num_constraints();
  m_basis = basis_view("kono::StencilConstraint::basis", stencil::num_targets, m_taps, m_free);
  m_linear = linear_view("kono::StencilConstraint::linear", stencil::num_targets, m_taps);
  auto hb = Kokkos::create_mirror_view(m_basis);
  auto hl = Kokkos::create_mirror_view(m_linear);
  for (int target = 0; target < stencil::num_targets; ++target) {
    auto rows = std::vector<std::vector<double>>(std::size_t(num_constraints()), std::vector<double>(std::size_t(m_taps)));
    for (int t = 0; t < m_taps; ++t) {
      double ry = 0, rx = 0;
      stencil::tap_position(target, m_size, t, ry, rx);
      rows[0][std::size_t(t)] = 1.0;
      if (m_order == 2) {
        rows[1][std::size_t(t)] = rx;
        rows[2][std::size_t(t)] = ry;
      }
      hl(target, t) = stencil::linear_coefficient(target, m_size, t);
    }
    auto const basis = null_space(rows, m_taps);
    KONO_REQUIRE(int(basis.size()) == m_free, "kono::StencilConstraint: null space has dimension "
                                                  << basis.size() << ", expected " << m_free);
    for (int r = 0; r < m_free; ++r)
      for (int t = 0; t < m_taps; ++t) hb(target, t, r) = basis[std::size_t(r)][std::size_t(t)];
  }
  Kokkos::deep_copy(m_basis, hb);
  Kokkos::deep_copy(m_linear, hl);
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> StencilConstraint<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<StencilConstraint>(config_get<int>(cfg, "stencil_size", "stencil_constraint", 4),
                                             config_get<int>(cfg, "accuracy_order", "stencil_constraint", 1));
}

template <class MemorySpace, class Scalar>
Shape StencilConstraint<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() >= 2 && in[1] == index_t(stencil::num_targets) * m_free, size_mismatch,
                    "kono::stencil_constraint: input shape "
                        << in.to_string() << " does not match [N, " << stencil::num_targets * m_free
                        << ", spatial...] (4 targets x " << m_free << " free coefficients for stencil_size=" << m_size
                        << ", accuracy_order=" << m_order << ")");
  return in.with_extent(1, index_t(stencil::num_targets) * m_taps);
}

template <class MemorySpace, class Scalar>
auto StencilConstraint<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                          tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<StencilConstraintContext<MemorySpace, Scalar>>();
  ctx->in = x.shape();
  constraint_forward(space, m_basis, m_linear, x.extent(0), m_taps, m_free, points_per_sample(x.shape()), x.data(),
                     y.data());
  return ctx;
}

template <class MemorySpace, class Scalar>
void StencilConstraint<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                           tensor_type const& dy, tensor_type const* dx,
                                                           GradientMode) const {
  auto const& ctx = static_cast<StencilConstraintContext<MemorySpace, Scalar> const&>(base_ctx);
  this->check_output(ctx.in, dy, "gradient dy");
  if (!dx) return;
  KONO_USER_REQUIRE(dx->shape() == ctx.in, size_mismatch,
                    "kono::stencil_constraint: dx has shape " << dx->shape().to_string() << ", expected "
                                                              << ctx.in.to_string());
  constraint_backward(space, m_basis, ctx.in[0], m_taps, m_free, points_per_sample(ctx.in), dy.data(), dx->data());
}

KONO_INSTANTIATE_FOR_SCALARS(StencilConstraint)
}  // namespace kono
