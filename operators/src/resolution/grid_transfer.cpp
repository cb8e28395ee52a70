#include <kono/operators/resolution/grid_transfer.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <kono/core/error.hpp>
#include <kono/operators/impl/conv_kernels.hpp>

namespace kono {

char const* to_string(GridPoints points) noexcept {
  switch (points) {
    case GridPoints::nodes: return "nodes";
    case GridPoints::half_open: return "half_open";
    case GridPoints::periodic: return "periodic";
  }
  return "?";
}

GridPoints grid_points_from_string(std::string const& name, std::string const& where) {
  for (GridPoints g : {GridPoints::nodes, GridPoints::half_open, GridPoints::periodic})
    if (name == to_string(g)) return g;
  KONO_USER_REQUIRE(false, invalid_argument,
                    where << ": unknown grid \"" << name << "\" (known: nodes (x_i = i/(n-1)), half_open (x_i = i/n), "
                                                      "periodic)");
  return GridPoints::nodes;
}

double spacing_ratio(index_t n, index_t reference, GridPoints points) {
  if (points != GridPoints::nodes) return double(reference) / double(n);
  return double(reference - 1) / double(n - 1);
}

namespace {
char const* const where = "kono::resampling_matrix";

// Piecewise-linear interpolation from `from` points to `to` points (any ratio).
TransferMatrix1D interpolation(index_t from, index_t to, GridPoints points) {
  TransferMatrix1D m;
  m.rows = to;
  m.cols = from;
  m.taps = 2;
  m.index.assign(std::size_t(to * 2), 0);
  m.weight.assign(std::size_t(to * 2), 0.0);
  for (index_t i = 0; i < to; ++i) {
    double const s = points != GridPoints::nodes ? double(i) * double(from) / double(to)
                                                 : (to == 1 ? 0.0 : double(i) * double(from - 1) / double(to - 1));
    index_t j0 = index_t(std::floor(s + 1e-12));
    double t = s - double(j0);
    if (t < 1e-12) t = 0;
    index_t j1 = j0 + 1;
    if (points == GridPoints::periodic) {
      j0 %= from;
      j1 %= from;
    } else if (j1 > from - 1) {
      j1 = j0;
      t = 0;
    }
    m.index[std::size_t(2 * i)] = j0;
    m.weight[std::size_t(2 * i)] = 1 - t;
    m.index[std::size_t(2 * i + 1)] = j1;
    m.weight[std::size_t(2 * i + 1)] = t;
  }
  return m;
}
TransferMatrix1D knot_interpolation(index_t from, index_t to, GridPoints points);
}  // namespace

TransferMatrix1D transpose(TransferMatrix1D const& m) {
  std::vector<std::vector<std::pair<index_t, double>>> rows(std::size_t(m.cols));
  for (index_t i = 0; i < m.rows; ++i)
    for (int k = 0; k < m.taps; ++k) {
      double const w = m.weight[std::size_t(i * m.taps + k)];
      if (w == 0) continue;
      auto& r = rows[std::size_t(m.index[std::size_t(i * m.taps + k)])];
      auto it = std::find_if(r.begin(), r.end(), [&](auto const& e) { return e.first == i; });
      if (it == r.end())
        r.emplace_back(i, w);
      else
        it->second += w;
    }
  TransferMatrix1D t;
  t.rows = m.cols;
  t.cols = m.rows;
  t.taps = 1;
  for (auto const& r : rows) t.taps = std::max<int>(t.taps, int(r.size()));
  t.index.assign(std::size_t(t.rows * t.taps), 0);
  t.weight.assign(std::size_t(t.rows * t.taps), 0.0);
  for (index_t j = 0; j < t.rows; ++j)
    for (std::size_t k = 0; k < rows[std::size_t(j)].size(); ++k) {
      t.index[std::size_t(j * t.taps) + k] = rows[std::size_t(j)][k].first;
      t.weight[std::size_t(j * t.taps) + k] = rows[std::size_t(j)][k].second;
    }
  return t;
}

char const* to_string(Coarsening c) noexcept {
  switch (c) {
    case Coarsening::average: return "average";
    case Coarsening::sample: return "sample";
    case Coarsening::nearest: return "nearest";
  }
  return "?";
}

Coarsening coarsening_from_string(std::string const& name, std::string const& where) {
  for (Coarsening c : {Coarsening::average, Coarsening::sample, Coarsening::nearest})
    if (name == to_string(c)) return c;
  KONO_USER_REQUIRE(false, invalid_argument,
                    where << ": unknown coarsening \"" << name << "\" (known: average, sample, nearest)");
  return Coarsening::average;
}

TransferMatrix1D resampling_matrix(index_t from, index_t to, GridPoints points, Coarsening coarsening) {
  index_t const min_extent = points == GridPoints::nodes ? 2 : 1;
  KONO_USER_REQUIRE(from >= min_extent && to >= min_extent, invalid_argument,
                    where << ": extents " << from << " -> " << to << " on a "
                          << to_string(points) << " grid, expected at least "
                          << min_extent << " points");
  if (to > from && coarsening == Coarsening::nearest) return knot_interpolation(from, to, points);
  if (to >= from || coarsening == Coarsening::sample) return interpolation(from, to, points);
  if (coarsening == Coarsening::nearest) {
    TransferMatrix1D m = interpolation(from, to, points);
    for (index_t i = 0; i < m.rows; ++i) {  // all weight on the nearer of the two points
      std::size_t const a = std::size_t(2 * i), b = a + 1;
      if (m.weight[b] > 0.5) m.index[a] = m.index[b];
      m.weight[a] = 1;
      m.weight[b] = 0;
    }
    return m;
  }
  TransferMatrix1D r = transpose(interpolation(to, from, points));
  for (index_t i = 0; i < r.rows; ++i) {
    double sum = 0;
    for (int k = 0; k < r.taps; ++k) sum += r.weight[std::size_t(i * r.taps + k)];
    for (int k = 0; k < r.taps; ++k) r.weight[std::size_t(i * r.taps + k)] /= sum;
  }
  return r;
}

namespace {
// Refinement matching nearest coarsening: coarse point i keeps its value at the fine point the
// nearest coarsening reads it from (its knot), and fine points between knots interpolate
// linearly in index. Nearest coarsening of the result gives the coarse values back exactly
// (R P = I), also on grids that are not nested; on nested grids it is linear interpolation.
TransferMatrix1D knot_interpolation(index_t from, index_t to, GridPoints points) {
  TransferMatrix1D const r = resampling_matrix(to, from, points, Coarsening::nearest);
  std::vector<index_t> knot(static_cast<std::size_t>(from));
  for (index_t i = 0; i < from; ++i) knot[std::size_t(i)] = r.index[std::size_t(i * r.taps)];
  TransferMatrix1D m;
  m.rows = to;
  m.cols = from;
  m.taps = 2;
  m.index.assign(std::size_t(to * 2), 0);
  m.weight.assign(std::size_t(to * 2), 0.0);
  std::size_t i = 0;
  for (index_t j = 0; j < to; ++j) {
    while (i + 1 < knot.size() && knot[i + 1] <= j) ++i;
    index_t const k0 = knot[i];
    index_t next = 0, k1 = 0;
    if (i + 1 < knot.size()) {
      next = index_t(i + 1);
      k1 = knot[i + 1];
    } else if (points == GridPoints::periodic) {  // wrap to the first knot, one period on
      next = 0;
      k1 = knot[0] + to;
    } else {  // beyond the last knot (half_open): constant
      next = index_t(i);
      k1 = k0;
    }
    double const t = k1 > k0 ? double(j - k0) / double(k1 - k0) : 0.0;
    m.index[std::size_t(2 * j)] = index_t(i);
    m.weight[std::size_t(2 * j)] = 1 - t;
    m.index[std::size_t(2 * j + 1)] = next;
    m.weight[std::size_t(2 * j + 1)] = t;
  }
  return m;
}

template <class MemorySpace, class Scalar>
typename GridTransfer<MemorySpace, Scalar>::Axis upload(TransferMatrix1D const& m) {
  typename GridTransfer<MemorySpace, Scalar>::Axis a;
  a.taps = m.taps;
  a.index = Kokkos::View<index_t**, Kokkos::LayoutRight, MemorySpace>("kono::GridTransfer::index", std::size_t(m.rows),
                                                                      std::size_t(m.taps));
  a.weight = Kokkos::View<Scalar**, Kokkos::LayoutRight, MemorySpace>("kono::GridTransfer::weight", std::size_t(m.rows),
                                                                      std::size_t(m.taps));
  auto hi = Kokkos::create_mirror_view(a.index);
  auto hw = Kokkos::create_mirror_view(a.weight);
  for (index_t i = 0; i < m.rows; ++i)
    for (int k = 0; k < m.taps; ++k) {
      hi(std::size_t(i), std::size_t(k)) = m.index[std::size_t(i * m.taps + k)];
      hw(std::size_t(i), std::size_t(k)) = Scalar(m.weight[std::size_t(i * m.taps + k)]);
    }
  Kokkos::deep_copy(a.index, hi);
  Kokkos::deep_copy(a.weight, hw);
  return a;
}

// out(n, c, p...) = sum over the taps of each axis of w0 w1 w2 in(n, c, idx...): a gather per output
// point (no atomics). A free function: nvcc rejects extended lambdas in private members.
template <class Exec, class Scalar, class MemorySpace>
void resample_kernel(Exec const& space, typename GridTransfer<MemorySpace, Scalar>::Axis const* axes,
                     Impl::ConvTensor5<Scalar const, MemorySpace> const& x,
                     Impl::ConvTensor5<Scalar, MemorySpace> const& y) {
  auto const i0 = axes[0].index, i1 = axes[1].index, i2 = axes[2].index;
  auto const w0 = axes[0].weight, w1 = axes[1].weight, w2 = axes[2].weight;
  int const t0 = axes[0].taps, t1 = axes[1].taps, t2 = axes[2].taps;
  std::int64_t const e0 = std::int64_t(y.extent(2)), e1 = std::int64_t(y.extent(3)), e2 = std::int64_t(y.extent(4));
  std::int64_t const C = std::int64_t(y.extent(1));
  std::int64_t const total = std::int64_t(y.extent(0)) * C * e0 * e1 * e2;
  Kokkos::parallel_for(
      "kono::GridTransfer", Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>(space, 0, total),
      KOKKOS_LAMBDA(std::int64_t idx) {
        std::int64_t const p2 = idx % e2;
        idx /= e2;
        std::int64_t const p1 = idx % e1;
        idx /= e1;
        std::int64_t const p0 = idx % e0;
        idx /= e0;
        std::int64_t const c = idx % C, n = idx / C;
        Scalar acc = 0;
        for (int a = 0; a < t0; ++a) {
          Scalar const wa = w0(p0, a);
          if (wa == Scalar(0)) continue;
          for (int b = 0; b < t1; ++b) {
            Scalar const wb = wa * w1(p1, b);
            if (wb == Scalar(0)) continue;
            for (int d = 0; d < t2; ++d)
              acc += wb * w2(p2, d) * x(n, c, i0(p0, a), i1(p1, b), i2(p2, d));
          }
        }
        y(n, c, p0, p1, p2) = acc;
      });
}

TransferMatrix1D identity1() {
  TransferMatrix1D m;
  m.rows = m.cols = 1;
  m.taps = 1;
  m.index = {0};
  m.weight = {1.0};
  return m;
}
}  // namespace

template <class MemorySpace, class Scalar>
GridTransfer<MemorySpace, Scalar>::GridTransfer(std::vector<index_t> const& from, std::vector<index_t> const& to,
                                                std::vector<GridPoints> const& points, Coarsening coarsening)
    : m_from(from), m_to(to) {
  int const dim = int(from.size());
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3 && to.size() == from.size() && points.size() == from.size(),
                    invalid_argument,
                    "kono::GridTransfer: " << from.size() << " source axes, " << to.size() << " target axes and "
                                           << points.size() << " grid kinds; expected 1-3 of each");
  for (int a = 0; a < 3; ++a) {
    TransferMatrix1D m = identity1();
    int const s = a - (3 - dim);
    if (s >= 0) m = resampling_matrix(from[std::size_t(s)], to[std::size_t(s)], points[std::size_t(s)], coarsening);
    m_forward[a] = upload<MemorySpace, Scalar>(m);
    m_adjoint[a] = upload<MemorySpace, Scalar>(transpose(m));
  }
}

template <class MemorySpace, class Scalar>
void GridTransfer<MemorySpace, Scalar>::run(typename MemorySpace::execution_space const& space, Axis const* axes,
                                            std::vector<index_t> const& in_e, std::vector<index_t> const& out_e,
                                            Tensor<MemorySpace, Scalar> const& in,
                                            Tensor<MemorySpace, Scalar> const& out, char const* what) const {
  int const dim = int(m_from.size());
  auto expect = [&](Shape const& s, std::vector<index_t> const& e, Shape const& other) {
    bool ok = s.rank() == dim + 2 && s[0] == other[0] && s[1] == other[1];
    for (int a = 0; ok && a < dim; ++a) ok = s[2 + a] == e[std::size_t(a)];
    return ok;
  };
  KONO_USER_REQUIRE(expect(in.shape(), in_e, out.shape()) && expect(out.shape(), out_e, in.shape()), size_mismatch,
                    "kono::GridTransfer::" << what << ": input " << in.shape().to_string() << " and output "
                                           << out.shape().to_string() << " do not match the transfer's grids");
  resample_kernel<typename MemorySpace::execution_space, Scalar, MemorySpace>(
      space, axes, Impl::conv_view5<Scalar const, MemorySpace>(in.data().data(), in.shape(), dim),
      Impl::conv_view5<Scalar, MemorySpace>(out.data().data(), out.shape(), dim));
}

template <class MemorySpace, class Scalar>
void GridTransfer<MemorySpace, Scalar>::apply(typename MemorySpace::execution_space const& space,
                                              Tensor<MemorySpace, Scalar> const& in,
                                              Tensor<MemorySpace, Scalar> const& out) const {
  run(space, m_forward, m_from, m_to, in, out, "apply");
}

template <class MemorySpace, class Scalar>
void GridTransfer<MemorySpace, Scalar>::apply_adjoint(typename MemorySpace::execution_space const& space,
                                                      Tensor<MemorySpace, Scalar> const& in,
                                                      Tensor<MemorySpace, Scalar> const& out) const {
  run(space, m_adjoint, m_to, m_from, in, out, "apply_adjoint");
}

template class GridTransfer<DefaultMemorySpace, float>;
template class GridTransfer<DefaultMemorySpace, double>;

}  // namespace kono
