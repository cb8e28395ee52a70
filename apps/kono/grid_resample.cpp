#include <Kokkos_Core.hpp>

#include "grid_resample.hpp"

namespace kono::app {
namespace {
// Per axis (up to 3): fine and coarse extents and where its tables start.
struct Axes {
  int d = 0;
  index_t n[3] = {1, 1, 1}, m[3] = {1, 1, 1}, offset[3] = {0, 0, 0};
};
}  // namespace

bool exact_subsampling(Shape const& spatial, std::vector<index_t> const& extents, GridNodes nodes) {
  for (int a = 0; a < spatial.rank(); ++a) {
    index_t const n = spatial[a], m = extents[std::size_t(a)];
    if (m < 2) return false;
    if (nodes == GridNodes::nodes ? (n - 1) % (m - 1) != 0 : n % m != 0) return false;
  }
  return true;
}

RealTensor downsample_grid(RealTensor const& x, std::vector<index_t> const& extents, GridNodes nodes) {
  int const d = x.rank() - 2;
  KONO_USER_REQUIRE(d >= 1 && d <= 3 && int(extents.size()) == d, invalid_argument,
                    "kono::app::downsample_grid: samples " << x.shape().to_string() << " are not [N, C, spatial...] with "
                                                          << extents.size() << " spatial axes (1 to 3)");
  Axes axes;
  axes.d = d;
  index_t total = 0;
  for (int a = 0; a < d; ++a) {
    axes.n[a] = x.extent(2 + a);
    axes.m[a] = extents[std::size_t(a)];
    KONO_USER_REQUIRE(axes.m[a] >= 2 && axes.m[a] <= axes.n[a], invalid_argument,
                      "kono::app::downsample_grid: cannot downsample samples " << x.shape().to_string() << " to " << axes.m[a]
                                                   << " nodes on axis " << a << " (2 to " << axes.n[a] << ")");
    axes.offset[a] = total;
    total += axes.m[a];
  }
  // Per coarse node: the fine node at or left of it and the weight of the one to its right,
  // from integer arithmetic (exact 0 when the coarse node is a fine node).
  Kokkos::View<index_t*, Space> lo("kono::app::downsample_grid::lo", std::size_t(total));
  Kokkos::View<Real*, Space> weight("kono::app::downsample_grid::weight", std::size_t(total));
  auto lo_h = Kokkos::create_mirror_view(lo);
  auto weight_h = Kokkos::create_mirror_view(weight);
  for (int a = 0; a < d; ++a)
    for (index_t j = 0; j < axes.m[a]; ++j) {
      // Fine position j (n - 1) / (m - 1) (nodes) or j n / m (half_open) as pos / den.
      bool const vertex = nodes == GridNodes::nodes;
      index_t const pos = j * (vertex ? axes.n[a] - 1 : axes.n[a]), den = vertex ? axes.m[a] - 1 : axes.m[a];
      lo_h(std::size_t(axes.offset[a] + j)) = pos / den;
      weight_h(std::size_t(axes.offset[a] + j)) = Real(double(pos % den) / double(den));
    }
  Kokkos::deep_copy(lo, lo_h);
  Kokkos::deep_copy(weight, weight_h);

  std::vector<index_t> shape{x.extent(0), x.extent(1)};
  index_t coarse_points = 1, fine_points = 1;
  for (int a = 0; a < d; ++a) {
    shape.push_back(axes.m[a]);
    coarse_points *= axes.m[a];
    fine_points *= axes.n[a];
  }
  RealTensor out(WithoutInitializing_t{}, "kono::app::downsample_grid::out", Shape(shape));
  auto src = x.data();
  auto dst = out.data();
  Kokkos::parallel_for(
      "kono::app::downsample_grid", Kokkos::RangePolicy<Space::execution_space>(0, out.size()),
      KOKKOS_LAMBDA(index_t k) {
        index_t const field = k / coarse_points;  // (sample, channel)
        index_t rest = k % coarse_points;
        index_t base[3] = {0, 0, 0}, next[3] = {0, 0, 0};
        Real w[3] = {0, 0, 0};
        index_t fine_stride = 1;
        for (int a = axes.d - 1; a >= 0; --a) {  // last axis fastest (LayoutRight)
          index_t const j = rest % axes.m[a];
          rest /= axes.m[a];
          index_t const i = lo(std::size_t(axes.offset[a] + j));
          w[a] = weight(std::size_t(axes.offset[a] + j));
          base[a] = i * fine_stride;
          next[a] = (i + 1 < axes.n[a] ? i + 1 : i) * fine_stride;  // weight 0 at the last node
          fine_stride *= axes.n[a];
        }
        Real sum = 0;
        for (int corner = 0; corner < (1 << axes.d); ++corner) {
          Real c = 1;
          index_t at = field * fine_points;
          for (int a = 0; a < axes.d; ++a) {
            bool const right = (corner >> a) & 1;
            c *= right ? w[a] : Real(1) - w[a];
            at += right ? next[a] : base[a];
          }
          if (c != Real(0)) sum += c * src(at);
        }
        dst(k) = sum;
      });
  return out;
}

}  // namespace kono::app
