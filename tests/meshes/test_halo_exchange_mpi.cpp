// GridDecomposition, HaloExchange and gather_to_root at 1 and 2 ranks. EXPECT_* (never ASSERT_*)
// before collectives, so a failing rank cannot leave the others waiting.
#include <kono/meshes.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "support/kono_test.hpp"

namespace kono_meshes_test {

using kono::GridDecomposition;
using kono::index_t;
using kono::StructuredGrid;
using Space = kono::DefaultMemorySpace;
using Exec = kono::DefaultExecutionSpace;
template <class Scalar>
using Field = kono::LocalFieldView<Space, Scalar>;
using HostField = Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace>;

constexpr double sentinel = -7.0;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

/// Distinct for every node of the grids below (extents < 16) and exact in float.
KOKKOS_INLINE_FUNCTION double node_value(index_t g0, index_t g1, index_t g2) {
  return 1.0 + static_cast<double>(g0) + 16.0 * static_cast<double>(g1) + 256.0 * static_cast<double>(g2);
}

enum class Layout { slabs, blocks, last_axis };
char const* name(Layout l) { return l == Layout::slabs ? "slabs" : l == Layout::blocks ? "blocks" : "last_axis"; }

struct Case {
  std::vector<index_t> extents;
  std::vector<bool> periodic;
  int halo = 1;
  Layout layout = Layout::slabs;

  StructuredGrid grid() const { return StructuredGrid::unit_box(extents, periodic); }
  GridDecomposition decompose(MPI_Comm comm) const {
    if (layout == Layout::blocks) return GridDecomposition::blocks(grid(), comm, halo);
    if (layout == Layout::slabs) return GridDecomposition(grid(), comm, halo);
    int size = 1;
    MPI_Comm_size(comm, &size);
    std::vector<int> ranks(extents.size(), 1);
    ranks.back() = size;
    return GridDecomposition(grid(), comm, halo, ranks);
  }
  std::string describe() const {
    std::ostringstream os;
    os << grid().to_string() << ", halo " << halo << ", " << name(layout);
    return os.str();
  }
};

/// Every combination of the odd grids 7, 9x5 and 5x4x3 with periodic/non-periodic axes, halo
/// widths 1 and 2 and three layouts, minus those the world size cannot split that finely.
std::vector<Case> all_cases() {
  std::vector<Case> cases;
  std::vector<std::vector<bool>> const p1{{true}, {false}};
  std::vector<std::vector<bool>> const p2{{true, false}, {false, true}, {true, true}, {false, false}};
  std::vector<std::vector<bool>> const p3{
      {true, false, true}, {false, true, false}, {true, true, true}, {false, false, false}};
  for (int halo : {1, 2})
    for (Layout layout : {Layout::slabs, Layout::blocks, Layout::last_axis}) {
      for (auto const& p : p1) cases.push_back({{7}, p, halo, layout});
      for (auto const& p : p2) cases.push_back({{9, 5}, p, halo, layout});
      for (auto const& p : p3) cases.push_back({{5, 4, 3}, p, halo, layout});
    }
  // Decompositions that cannot exist at this world size (halo wider than a block) throw on
  // every rank alike, so trying them is safe and keeps the list valid at any rank count.
  std::vector<Case> valid;
  for (auto const& c : cases) {
    try {
      (void)c.decompose(MPI_COMM_WORLD);
      valid.push_back(c);
    } catch (kono::Error const&) {
    }
  }
  return valid;
}

/// Interior nodes get node_value(global index), halo nodes the sentinel.
template <class Scalar>
void fill_interior(GridDecomposition const& d, Field<Scalar> const& f) {
  index_t const w0 = d.halo_width(0), w1 = d.halo_width(1), w2 = d.halo_width(2);
  index_t const b0 = d.local_begin(0), b1 = d.local_begin(1), b2 = d.local_begin(2);
  index_t const n0 = d.local_extent(0), n1 = d.local_extent(1), n2 = d.local_extent(2);
  Kokkos::parallel_for(
      "kono::test::fill_interior",
      Kokkos::MDRangePolicy<Exec, Kokkos::Rank<3>, Kokkos::IndexType<index_t>>(
          {0, 0, 0},
          {static_cast<index_t>(f.extent(0)), static_cast<index_t>(f.extent(1)), static_cast<index_t>(f.extent(2))}),
      KOKKOS_LAMBDA(index_t i, index_t j, index_t k) {
        bool const inside = i >= w0 && i < w0 + n0 && j >= w1 && j < w1 + n1 && k >= w2 && k < w2 + n2;
        f(i, j, k) = inside ? Scalar(node_value(b0 + i - w0, b1 + j - w1, b2 + k - w2)) : Scalar(sentinel);
      });
}

/// What a local node must hold after the exchange: the function at the (wrapped) global index,
/// or the sentinel beyond a non-periodic boundary.
double expected_value(GridDecomposition const& d, index_t const (&local)[3]) {
  index_t g[3];
  for (int a = 0; a < 3; ++a) {
    g[a] = d.local_begin(a) + local[a] - d.halo_width(a);
    index_t const n = d.global_extent(a);
    if (g[a] < 0 || g[a] >= n) {
      if (a >= d.dim() || !d.grid().periodic(a)) return sentinel;
      g[a] = (g[a] % n + n) % n;
    }
  }
  return node_value(g[0], g[1], g[2]);
}

/// Number of local nodes (halos included) that differ from expected_value; the first in `first`.
template <class Scalar>
int count_wrong_nodes(GridDecomposition const& d, Field<Scalar> const& f, std::string& first) {
  auto const h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, f);
  int wrong = 0;
  for (index_t i = 0; i < static_cast<index_t>(h.extent(0)); ++i)
    for (index_t j = 0; j < static_cast<index_t>(h.extent(1)); ++j)
      for (index_t k = 0; k < static_cast<index_t>(h.extent(2)); ++k) {
        index_t const local[3] = {i, j, k};
        double const want = expected_value(d, local);
        if (static_cast<double>(h(i, j, k)) != want && wrong++ == 0) {
          std::ostringstream os;
          os << "local node (" << i << ", " << j << ", " << k << ") holds " << h(i, j, k) << ", expected " << want;
          first = os.str();
        }
      }
  return wrong;
}

/// out = weighted sum over the (2w+1)^d box around each owned node: reads every halo node,
/// corners included, with weights that tell the offsets apart.
template <class Scalar>
void box_stencil(GridDecomposition const& d, Field<Scalar> const& f, Field<Scalar> const& out) {
  index_t const w0 = d.halo_width(0), w1 = d.halo_width(1), w2 = d.halo_width(2);
  Kokkos::parallel_for(
      "kono::test::box_stencil",
      Kokkos::MDRangePolicy<Exec, Kokkos::Rank<3>, Kokkos::IndexType<index_t>>(
          {0, 0, 0}, {d.local_extent(0), d.local_extent(1), d.local_extent(2)}),
      KOKKOS_LAMBDA(index_t i, index_t j, index_t k) {
        double s = 0;
        for (index_t o0 = -w0; o0 <= w0; ++o0)
          for (index_t o1 = -w1; o1 <= w1; ++o1)
            for (index_t o2 = -w2; o2 <= w2; ++o2)
              s += static_cast<double>(1 + (o0 + w0) + 5 * (o1 + w1) + 25 * (o2 + w2)) *
                   static_cast<double>(f(i + w0 + o0, j + w1 + o1, k + w2 + o2));
        out(i + w0, j + w1, k + w2) = Scalar(s);
      });
}

/// Outermost layers of a 2D field along `axis`: 1000 + (index along the other axis) below,
/// 2000 + (that index) above, so a value copied from any other position would differ.
void set_boundary_layers(Field<double> const& f, int axis) {
  index_t const n = static_cast<index_t>(f.extent(axis)), m = static_cast<index_t>(f.extent(1 - axis));
  Kokkos::parallel_for(
      "kono::test::boundary", Kokkos::RangePolicy<Exec, Kokkos::IndexType<index_t>>(0, m), KOKKOS_LAMBDA(index_t t) {
        double const v = static_cast<double>(t);
        if (axis == 0) {
          f(0, t, 0) = 1000.0 + v;
          f(n - 1, t, 0) = 2000.0 + v;
        } else {
          f(t, 0, 0) = 1000.0 + v;
          f(t, n - 1, 0) = 2000.0 + v;
        }
      });
}

/// fill -> exchange -> box stencil -> gather on rank 0 of d.comm().
template <class Scalar>
HostField stencil_result(GridDecomposition const& d) {
  kono::HaloExchange<Space, Scalar> const halo(d);
  auto const f = halo.create_field("kono::test::f");
  auto const out = halo.create_field("kono::test::out");
  fill_interior(d, f);
  halo.exchange(f);
  box_stencil(d, f, out);
  auto const g = kono::gather_to_root(d, out);
  HostField result("kono::test::result", g.extent(0), g.extent(1), g.extent(2));
  for (std::size_t i = 0; i < g.extent(0); ++i)
    for (std::size_t j = 0; j < g.extent(1); ++j)
      for (std::size_t k = 0; k < g.extent(2); ++k) result(i, j, k) = static_cast<double>(g(i, j, k));
  return result;
}

// ---------------------------------------------------------------------------------------------

TEST(GridDecomposition, LocalRangesTileEveryAxis) {
  for (Case const& c : all_cases()) {
    GridDecomposition const d = c.decompose(MPI_COMM_WORLD);
    SCOPED_TRACE(c.describe() + "; " + d.to_string());
    EXPECT_EQ(d.size(), world_size());
    EXPECT_EQ(d.rank(), world_rank());
    long long points = d.local_extent(0) * d.local_extent(1) * d.local_extent(2);
    MPI_Allreduce(MPI_IN_PLACE, &points, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    EXPECT_EQ(points, d.grid().num_points());
    for (int a = 0; a < 3; ++a) {
      // Ranks on one line along axis a (all other coordinates 0) cover it exactly once.
      bool on_line = true;
      for (int b = 0; b < 3; ++b) on_line = on_line && (b == a || d.coords(b) == 0);
      long long sums[2] = {on_line ? d.local_extent(a) : 0, on_line ? 1 : 0};
      MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_EQ(sums[0], d.global_extent(a)) << "axis " << a;
      EXPECT_EQ(sums[1], d.ranks_per_axis(a)) << "axis " << a;
      // Balanced and contiguous: the first n % p ranks get one node more.
      index_t const n = d.global_extent(a), p = d.ranks_per_axis(a), q = d.coords(a);
      EXPECT_EQ(d.local_extent(a), n / p + (q < n % p ? 1 : 0)) << "axis " << a;
      index_t begin = 0;
      for (index_t r = 0; r < q; ++r) begin += n / p + (r < n % p ? 1 : 0);
      EXPECT_EQ(d.local_begin(a), begin) << "axis " << a;
      EXPECT_EQ(d.local_extent_with_halo(a), d.local_extent(a) + (a < d.dim() ? 2 * c.halo : 0));
      for (int r = 0; r < d.size(); ++r) {
        long long mine[2] = {r == d.rank() ? d.local_begin(a) : 0, r == d.rank() ? d.local_extent(a) : 0};
        MPI_Allreduce(MPI_IN_PLACE, mine, 2, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        EXPECT_EQ(d.begin_of(r, a), mine[0]) << "rank " << r << " axis " << a;
        EXPECT_EQ(d.extent_of(r, a), mine[1]) << "rank " << r << " axis " << a;
      }
    }
  }
}

TEST(GridDecomposition, NeighborsFollowPeriodicity) {
  int const size = world_size(), rank = world_rank();
  GridDecomposition const periodic(StructuredGrid::unit_box({7}, {true}), MPI_COMM_WORLD, 1);
  EXPECT_EQ(periodic.neighbor(0, -1), (rank + size - 1) % size);
  EXPECT_EQ(periodic.neighbor(0, +1), (rank + 1) % size);
  GridDecomposition const open(StructuredGrid::unit_box({7}, {false}), MPI_COMM_WORLD, 1);
  EXPECT_EQ(open.neighbor(0, -1), rank == 0 ? MPI_PROC_NULL : rank - 1);
  EXPECT_EQ(open.neighbor(0, +1), rank == size - 1 ? MPI_PROC_NULL : rank + 1);
  for (int a = 1; a < 3; ++a) {
    EXPECT_EQ(open.neighbor(a, -1), MPI_PROC_NULL);
    EXPECT_EQ(open.local_extent_with_halo(a), 1);
    EXPECT_EQ(open.halo_width(a), 0);
    EXPECT_EQ(open.ranks_per_axis(a), 1);
  }
  EXPECT_EQ(open.local_shape_with_halo(), (kono::Shape{open.local_extent(0) + 2, 1, 1}));
  EXPECT_KONO_ERROR((void)open.neighbor(0, 2), invalid_argument, "direction 2 must be -1 or +1");
  EXPECT_KONO_ERROR((void)open.local_extent(3), invalid_argument, "local_extent: axis 3 out of range");
  EXPECT_KONO_ERROR((void)open.begin_of(size, 0), invalid_argument, "begin_of: rank " + std::to_string(size));
}

TEST(GridDecomposition, BlocksSplitTheLongestAxis) {
  int const size = world_size();
  auto const d = GridDecomposition::blocks(StructuredGrid::unit_box({5, 9}, {false, false}), MPI_COMM_WORLD, 1);
  EXPECT_EQ(d.ranks_per_axis(0) * d.ranks_per_axis(1), size);
  EXPECT_GE(d.ranks_per_axis(1), d.ranks_per_axis(0));
  if (size == 2) {
    EXPECT_EQ(d.ranks_per_axis(1), 2);
  }
  if (size <= 3) {  // MPI_Dims_create splits 4 ranks 2 x 2, too many for a 1-node axis
    auto const thin = GridDecomposition::blocks(StructuredGrid::unit_box({1, 6}, {true, false}), MPI_COMM_WORLD, 0);
    EXPECT_EQ(thin.ranks_per_axis(0), 1);
  }
}

TEST(GridDecomposition, TooManyRanksAlongAnAxis) {
  int const size = world_size();
  StructuredGrid const thin({1, 6}, {1.0, 1.0}, {0.0, 0.0}, {false, false});
  if (size >= 2) {
    EXPECT_KONO_ERROR(GridDecomposition(thin, MPI_COMM_WORLD, 0), invalid_argument,
                      "axis 0 has 1 nodes but " + std::to_string(size) +
                          " ranks along it (grid extents [1, 6], ranks per axis [" + std::to_string(size) + ", 1])");
  }
  EXPECT_KONO_ERROR(GridDecomposition(thin, MPI_COMM_WORLD, 0, {2 * size, 1}), invalid_argument,
                    "ranks per axis [" + std::to_string(2 * size) + ", 1] multiply to " + std::to_string(2 * size) +
                        ", the communicator has " + std::to_string(size) + " ranks");
  // On one rank, the same request is checked against the grid before the product.
  EXPECT_KONO_ERROR(GridDecomposition(thin, MPI_COMM_SELF, 0, {1, 1, 1}), invalid_argument,
                    "has 3 entries, the grid [1, 6] has 2 axes");
  EXPECT_KONO_ERROR(GridDecomposition(thin, MPI_COMM_WORLD, 0, {0, size}), invalid_argument,
                    "axis 0 has 0 ranks, need at least 1");
  EXPECT_KONO_ERROR(GridDecomposition(thin, MPI_COMM_NULL, 0), invalid_argument, "MPI_COMM_NULL");
  EXPECT_KONO_ERROR(GridDecomposition(StructuredGrid(), MPI_COMM_WORLD, 0), invalid_argument, "the grid is empty");
}

TEST(GridDecomposition, HaloWiderThanALocalExtent) {
  int const size = world_size();
  auto const grid = StructuredGrid::unit_box({7}, {true});
  int const smallest = 7 / size;
  EXPECT_NO_THROW(GridDecomposition(grid, MPI_COMM_WORLD, smallest));
  EXPECT_KONO_ERROR(GridDecomposition(grid, MPI_COMM_WORLD, smallest + 1), invalid_argument,
                    "halo width " + std::to_string(smallest + 1) + " exceeds the smallest local extent " +
                        std::to_string(smallest) + " along axis 0 (grid extents [7], ranks per axis [" +
                        std::to_string(size) + "])");
  EXPECT_KONO_ERROR(GridDecomposition(grid, MPI_COMM_WORLD, -1), invalid_argument, "halo width -1 is negative");
  // 3D, axis 2 has 3 nodes: width 2 only fails once axis 2 is split.
  auto const grid3 = StructuredGrid::unit_box({5, 4, 3}, {false, false, false});
  if (size <= 3) {
    EXPECT_KONO_ERROR(GridDecomposition(grid3, MPI_COMM_WORLD, 4, {1, 1, size}), invalid_argument,
                      "along axis 2 (grid extents [5, 4, 3], ranks per axis [1, 1, " + std::to_string(size) + "])");
  }
}

TEST(GridDecomposition, RankDependentArgumentsFailOnEveryRank) {
  int const rank = world_rank(), last = world_size() - 1;
  auto const grid = StructuredGrid::unit_box({9, 5}, {true, false});
  // Only the last rank is wrong; the others must throw as well instead of waiting in
  // MPI_Cart_create (on one rank this is the plain single-rank error path).
  if (rank == last) {
    EXPECT_KONO_ERROR(GridDecomposition(grid, MPI_COMM_WORLD, -1), invalid_argument, "halo width -1 is negative");
  } else {
    EXPECT_KONO_ERROR(GridDecomposition(grid, MPI_COMM_WORLD, 1), invalid_argument,
                      "rank " + std::to_string(last) + " rejected its arguments");
  }
  if (world_size() >= 2) {  // disagreement needs two ranks
    auto const other = StructuredGrid::unit_box({9, rank == last ? 6 : 5}, {true, false});
    EXPECT_KONO_ERROR(GridDecomposition(other, MPI_COMM_WORLD, 1), invalid_argument,
                      "passed different grids, halo widths or ranks per axis");
  }
}

// ---------------------------------------------------------------------------------------------

template <class Scalar>
class HaloExchangeTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(HaloExchangeTyped, Scalars);

TYPED_TEST(HaloExchangeTyped, HalosHoldTheWrappedNeighbourValues) {
  using Scalar = TypeParam;
  for (Case const& c : all_cases()) {
    GridDecomposition const d = c.decompose(MPI_COMM_WORLD);
    SCOPED_TRACE(c.describe() + "; " + d.to_string());
    kono::HaloExchange<Space, Scalar> const halo(d);
    auto const f = halo.create_field("kono::test::f");
    fill_interior(d, f);
    halo.exchange(Exec{}, f);
    std::string first;
    EXPECT_EQ(count_wrong_nodes(d, f, first), 0) << first;
    // Exchanging again changes nothing: the buffers are reused, the halos already right.
    halo.exchange(f);
    EXPECT_EQ(count_wrong_nodes(d, f, first), 0) << "second exchange: " << first;
    // The owned nodes reach rank 0 unchanged.
    auto const g = kono::gather_to_root(d, f);
    if (d.rank() == 0) {
      int wrong = 0;
      for (index_t i = 0; i < static_cast<index_t>(g.extent(0)); ++i)
        for (index_t j = 0; j < static_cast<index_t>(g.extent(1)); ++j)
          for (index_t k = 0; k < static_cast<index_t>(g.extent(2)); ++k)
            wrong += static_cast<double>(g(i, j, k)) != node_value(i, j, k);
      EXPECT_EQ(wrong, 0);
      EXPECT_EQ(static_cast<index_t>(g.size()), d.grid().num_points());
    } else {
      EXPECT_EQ(g.size(), 0u);
    }
  }
}

TYPED_TEST(HaloExchangeTyped, StencilMatchesTheSingleRankRun) {
  using Scalar = TypeParam;
  for (Case const& c : all_cases()) {
    SCOPED_TRACE(c.describe());
    HostField const distributed = stencil_result<Scalar>(c.decompose(MPI_COMM_WORLD));
    HostField const reference = stencil_result<Scalar>(c.decompose(MPI_COMM_SELF));
    if (world_rank() != 0) continue;
    EXPECT_EQ(distributed.extent(0), reference.extent(0));
    EXPECT_EQ(distributed.extent(1), reference.extent(1));
    EXPECT_EQ(distributed.extent(2), reference.extent(2));
    if (distributed.size() != reference.size()) continue;
    int wrong = 0;
    std::string first;
    for (std::size_t i = 0; i < distributed.extent(0); ++i)
      for (std::size_t j = 0; j < distributed.extent(1); ++j)
        for (std::size_t k = 0; k < distributed.extent(2); ++k)
          if (distributed(i, j, k) != reference(i, j, k) && wrong++ == 0)
            first = "node (" + std::to_string(i) + ", " + std::to_string(j) + ", " + std::to_string(k) +
                    "): " + std::to_string(distributed(i, j, k)) + " vs " + std::to_string(reference(i, j, k));
    EXPECT_EQ(wrong, 0) << first;
  }
}

TEST(HaloExchange, BoundaryValuesSetByTheCallerSurvive) {
  // Dirichlet-style data in the halo beyond a non-periodic boundary must not be overwritten,
  // not even in the corners that the exchange along the other (periodic, split) axis carries.
  int const size = world_size();
  for (int axis : {0, 1}) {
    SCOPED_TRACE("non-periodic axis " + std::to_string(axis));
    std::vector<bool> periodic{true, true};
    periodic[static_cast<std::size_t>(axis)] = false;
    std::vector<int> ranks{1, 1};
    ranks[static_cast<std::size_t>(1 - axis)] = size;
    GridDecomposition const d(StructuredGrid::unit_box({9, 9}, periodic), MPI_COMM_WORLD, 2, ranks);
    kono::HaloExchange<Space, double> const halo(d);
    auto const f = halo.create_field("kono::test::f");
    fill_interior(d, f);
    set_boundary_layers(f, axis);
    halo.exchange(f);
    auto const h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, f);
    std::size_t const n = h.extent(static_cast<unsigned>(axis)), m = h.extent(static_cast<unsigned>(1 - axis));
    int wrong = 0;
    for (std::size_t t = 0; t < m; ++t) {
      double const lo = axis == 0 ? h(0, t, 0) : h(t, 0, 0), hi = axis == 0 ? h(n - 1, t, 0) : h(t, n - 1, 0);
      wrong += (lo != 1000.0 + static_cast<double>(t)) + (hi != 2000.0 + static_cast<double>(t));
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST(HaloExchange, ZeroHaloWidthIsANoOp) {
  GridDecomposition const d(StructuredGrid::unit_box({9, 5}, {true, true}), MPI_COMM_WORLD, 0);
  kono::HaloExchange<Space, double> const halo(d);
  auto const f = halo.create_field("kono::test::f");
  fill_interior(d, f);
  halo.exchange(f);
  std::string first;
  EXPECT_EQ(count_wrong_nodes(d, f, first), 0) << first;
}

TEST(HaloExchange, WrongFieldExtentsFailOnEveryRank) {
  int const rank = world_rank();
  GridDecomposition const d(StructuredGrid::unit_box({9, 5}, {true, false}), MPI_COMM_WORLD, 1);
  kono::HaloExchange<Space, double> const halo(d);
  index_t const e0 = d.local_extent_with_halo(0), e1 = d.local_extent_with_halo(1);
  std::string const expected = "[" + std::to_string(e0) + ", " + std::to_string(e1) + ", 1]";
  Field<double> const too_big("kono::test::too_big", e0 + 1, e1, 1);
  EXPECT_KONO_ERROR(halo.exchange(too_big), size_mismatch,
                    "kono::HaloExchange::exchange: field \"kono::test::too_big\" has extents [" +
                        std::to_string(e0 + 1) + ", " + std::to_string(e1) + ", 1], rank " + std::to_string(rank) +
                        " expects local_extent_with_halo " + expected);
  Field<double> const no_halo("kono::test::no_halo", d.local_extent(0), d.local_extent(1), 1);
  EXPECT_KONO_ERROR(kono::gather_to_root(d, no_halo), size_mismatch,
                    "kono::gather_to_root: field \"kono::test::no_halo\"");
  if (world_size() >= 2) {
    // Wrong on rank 1 only: rank 0 must not wait for messages that never come.
    Field<double> const mixed("kono::test::mixed", rank == 1 ? e0 + 2 : e0, e1, 1);
    EXPECT_KONO_ERROR(halo.exchange(mixed), size_mismatch,
                      rank == 1 ? std::string("rank 1 expects") : std::string("has the wrong extents on rank 1"));
  }
}

}  // namespace kono_meshes_test
