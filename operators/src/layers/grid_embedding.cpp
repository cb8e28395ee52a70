#include <kono/operators/layers/grid_embedding.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct GridEmbeddingContext : Layer<MemorySpace, Scalar>::Context {
  Shape in;
};
// Kernels live in free functions: nvcc rejects extended lambdas in protected members.
template <class Exec, class V>
void embed_forward(Exec const& space, index_t n, index_t c, int dim, index_t e0, index_t e1, index_t e2, double lo,
                   double width, bool include_end, V const& xv, V const& yv) {
  using S = typename V::non_const_value_type;
  index_t const p = e0 * e1 * e2;
  index_t const cout = c + dim;
  Kokkos::parallel_for(
      "kono::GridEmbedding::forward", Kokkos::RangePolicy<Exec>(space, 0, n * cout * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, ch = (idx / p) % cout, s = idx / (p * cout);
        if (ch < c) {
          yv(idx) = xv((s * c + ch) * p + q);
        } else {
          int const axis = int(ch - c);
          index_t const i0 = q / (e1 * e2), i1 = (q / e2) % e1, i2 = q % e2;
          index_t const i = axis == 0 ? i0 : (axis == 1 ? i1 : i2);
          index_t const ne = axis == 0 ? e0 : (axis == 1 ? e1 : e2);
          index_t const intervals = include_end ? (ne > 1 ? ne - 1 : 1) : ne;
          yv(idx) = S(lo + width * double(i) / double(intervals));
        }
      });
}

template <class Exec, class V>
void embed_backward(Exec const& space, index_t c, index_t cout, index_t p, V const& dyv, V const& dxv) {
  Kokkos::parallel_for(
      "kono::GridEmbedding::backward", Kokkos::RangePolicy<Exec>(space, 0, dxv.extent(0)), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, ch = (idx / p) % c, s = idx / (p * c);
        dxv(idx) = dyv((s * cout + ch) * p + q);
      });
}
}  // namespace

template <class MemorySpace, class Scalar>
GridEmbedding<MemorySpace, Scalar>::GridEmbedding(int in_channels, int dim, double lo, double hi, bool include_end)
    : m_in(in_channels), m_dim(dim), m_lo(lo), m_hi(hi), m_include_end(include_end) {
  KONO_USER_REQUIRE(in_channels > 0 && dim >= 1 && dim <= 3 && hi > lo, invalid_argument,
                    "kono::GridEmbedding: need in_channels > 0, 1 <= dim <= 3 and hi > lo; got in_channels="
                        << in_channels << " dim=" << dim << " lo=" << lo << " hi=" << hi);
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> GridEmbedding<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<GridEmbedding>(config_get<int>(cfg, "in_channels", "grid_embedding"),
                                         config_get<int>(cfg, "dim", "grid_embedding"),
                                         config_get<double>(cfg, "lo", "grid_embedding", 0.0),
                                         config_get<double>(cfg, "hi", "grid_embedding", 1.0),
                                         config_get<bool>(cfg, "include_end", "grid_embedding", false));
}

template <class MemorySpace, class Scalar>
LayerConfig GridEmbedding<MemorySpace, Scalar>::config() const {
  LayerConfig cfg = {{"type", "grid_embedding"}, {"in_channels", m_in}, {"dim", m_dim}, {"lo", m_lo}, {"hi", m_hi}};
  if (m_include_end) cfg["include_end"] = true;  // absent: files from before the key read the same
  return cfg;
}

template <class MemorySpace, class Scalar>
Shape GridEmbedding<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() == 2 + m_dim && in[1] == m_in, size_mismatch,
                    "kono::grid_embedding: input shape " << in.to_string() << " does not match [N, " << m_in << ", "
                                                         << m_dim << " spatial axes]");
  return in.with_extent(1, m_in + m_dim);
}

template <class MemorySpace, class Scalar>
auto GridEmbedding<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                      tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<GridEmbeddingContext<MemorySpace, Scalar>>();
  ctx->in = x.shape();
  index_t const n = x.extent(0), c = m_in;
  int const dim = m_dim;
  index_t e[3] = {1, 1, 1};
  for (int a = 0; a < dim; ++a) e[a] = x.extent(2 + a);
  embed_forward(space, n, c, dim, e[0], e[1], e[2], m_lo, m_hi - m_lo, m_include_end, x.data(), y.data());
  return ctx;
}

template <class MemorySpace, class Scalar>
void GridEmbedding<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                       tensor_type const& dy, tensor_type const* dx,
                                                       GradientMode) const {
  auto const& ctx = static_cast<GridEmbeddingContext<MemorySpace, Scalar> const&>(base_ctx);
  this->check_output(ctx.in, dy, "gradient dy");
  if (!dx) return;
  KONO_USER_REQUIRE(dx->shape() == ctx.in, size_mismatch,
                    "kono::grid_embedding: dx has shape " << dx->shape().to_string() << ", expected " << ctx.in.to_string());
  embed_backward(space, index_t(m_in), index_t(m_in + m_dim), ctx.in.tail(2).size(), dy.data(), dx->data());
}

KONO_INSTANTIATE_FOR_SCALARS(GridEmbedding)
}  // namespace kono
