#include <kono/meshes/grid_decomposition.hpp>

#include <algorithm>
#include <numeric>
#include <optional>
#include <sstream>

namespace kono {

namespace {

// Balanced contiguous split of n nodes over p ranks: the first n % p ranks get one extra node.
index_t balanced_begin(index_t n, int p, int c) {
  index_t const q = n / p, r = n % p;
  return c * q + std::min<index_t>(c, r);
}
index_t balanced_extent(index_t n, int p, int c) { return n / p + (c < n % p ? 1 : 0); }

template <class T, std::size_t N>
std::string join(std::array<T, N> const& values, int count) {
  std::ostringstream os;
  os << "[";
  for (int i = 0; i < count; ++i) os << (i ? ", " : "") << values[static_cast<std::size_t>(i)];
  os << "]";
  return os.str();
}

std::string join(std::vector<int> const& values) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  os << "]";
  return os.str();
}

// Frees the Cartesian communicator with the last copy, unless MPI is already gone (a static
// decomposition outliving MPI_Finalize must not crash the exit path).
struct CommDeleter {
  void operator()(MPI_Comm* comm) const noexcept {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && *comm != MPI_COMM_NULL) MPI_Comm_free(comm);
    delete comm;
  }
};

// Purely local validation; returns the rank count of every axis (1 beyond the grid's dim).
std::array<int, 3> validated_dims(StructuredGrid const& grid, int comm_size, int halo_width,
                                  std::vector<int> const& ranks_per_axis) {
  int const d = grid.dim();
  KONO_USER_REQUIRE(d >= 1, invalid_argument, "kono::GridDecomposition: the grid is empty (default-constructed)");
  std::array<index_t, 3> extents{1, 1, 1};
  for (int a = 0; a < d; ++a) extents[static_cast<std::size_t>(a)] = grid.extent(a);
  std::string const extents_text = join(extents, d);

  std::array<int, 3> dims{1, 1, 1};
  if (ranks_per_axis.empty()) {
    dims[0] = comm_size;
  } else {
    KONO_USER_REQUIRE(static_cast<int>(ranks_per_axis.size()) == d, invalid_argument,
                      "kono::GridDecomposition: ranks per axis " << join(ranks_per_axis) << " has "
                                                                 << ranks_per_axis.size() << " entries, the grid "
                                                                 << extents_text << " has " << d << " axes");
    long long product = 1;
    for (int a = 0; a < d; ++a) {
      int const p = ranks_per_axis[static_cast<std::size_t>(a)];
      KONO_USER_REQUIRE(p >= 1, invalid_argument,
                        "kono::GridDecomposition: ranks per axis " << join(ranks_per_axis) << ": axis " << a << " has "
                                                                   << p << " ranks, need at least 1");
      dims[static_cast<std::size_t>(a)] = p;
      product *= p;
    }
    KONO_USER_REQUIRE(product == comm_size, invalid_argument,
                      "kono::GridDecomposition: ranks per axis " << join(ranks_per_axis) << " multiply to " << product
                                                                 << ", the communicator has " << comm_size << " ranks");
  }
  for (int a = 0; a < d; ++a) {
    std::size_t const s = static_cast<std::size_t>(a);
    KONO_USER_REQUIRE(dims[s] <= extents[s], invalid_argument,
                      "kono::GridDecomposition: axis " << a << " has " << extents[s] << " nodes but " << dims[s]
                                                       << " ranks along it (grid extents " << extents_text
                                                       << ", ranks per axis " << join(dims, d) << ")");
  }
  KONO_USER_REQUIRE(halo_width >= 0, invalid_argument,
                    "kono::GridDecomposition: halo width " << halo_width << " is negative");
  for (int a = 0; a < d; ++a) {
    std::size_t const s = static_cast<std::size_t>(a);
    // The smallest block is floor(n/p); a wider halo would need nodes from beyond the neighbour.
    index_t const smallest = extents[s] / dims[s];
    KONO_USER_REQUIRE(halo_width <= smallest, invalid_argument,
                      "kono::GridDecomposition: halo width "
                          << halo_width << " exceeds the smallest local extent " << smallest << " along axis " << a
                          << " (grid extents " << extents_text << ", ranks per axis " << join(dims, d) << ")");
  }
  return dims;
}

}  // namespace

GridDecomposition::GridDecomposition(StructuredGrid const& grid, MPI_Comm comm, int halo_width,
                                     std::vector<int> ranks_per_axis)
    : m_grid(grid), m_halo(halo_width) {
  KONO_USER_REQUIRE(comm != MPI_COMM_NULL, invalid_argument, "kono::GridDecomposition: communicator is MPI_COMM_NULL");
  int comm_rank = 0, comm_size = 1;
  KONO_MPI_CHECK(MPI_Comm_rank(comm, &comm_rank));
  KONO_MPI_CHECK(MPI_Comm_size(comm, &comm_size));

  std::optional<Error> local_error;
  try {
    m_dims = validated_dims(grid, comm_size, halo_width, ranks_per_axis);
  } catch (Error const& e) {
    local_error = e;
  }
  // One reduction both spreads a local failure and catches ranks that were given different
  // arguments, which would otherwise deadlock or silently corrupt later exchanges: each
  // argument enters as +x and -x, so the MIN yields both its minimum and its maximum.
  constexpr std::size_t num_args = 12;  // dim, halo, extents[3], periodic[3], dims[3], comm size
  std::array<long long, num_args> args{grid.dim(), halo_width};
  for (int a = 0; a < grid.dim(); ++a) {
    std::size_t const s = static_cast<std::size_t>(a);
    args[2 + s] = grid.extent(a);
    args[5 + s] = grid.periodic(a) ? 1 : 0;
    args[8 + s] = m_dims[s];
  }
  args[11] = comm_size;
  std::array<long long, 2 * num_args + 1> mins{};
  for (std::size_t i = 0; i < num_args; ++i) {
    mins[2 * i] = args[i];
    mins[2 * i + 1] = -args[i];
  }
  mins[2 * num_args] = local_error ? comm_rank : comm_size;
  KONO_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mins.data(), static_cast<int>(mins.size()), MPI_LONG_LONG, MPI_MIN, comm));
  if (local_error) throw *local_error;
  long long const first_bad = mins[2 * num_args];
  KONO_USER_REQUIRE(first_bad == comm_size, invalid_argument,
                    "kono::GridDecomposition: rank " << first_bad << " rejected its arguments (this rank's: grid "
                                                     << grid.to_string() << ", halo width " << halo_width
                                                     << "); every rank must pass the same ones");
  bool same = true;
  for (std::size_t i = 0; i < num_args; ++i) same = same && mins[2 * i] == -mins[2 * i + 1];
  KONO_USER_REQUIRE(same, invalid_argument,
                    "kono::GridDecomposition: the ranks of the communicator passed different grids, halo widths or "
                    "ranks per axis (this rank: grid "
                        << grid.to_string() << ", halo width " << halo_width << ", ranks per axis "
                        << join(m_dims, grid.dim()) << ")");

  int const d = grid.dim();
  std::array<int, 3> periods{};
  for (int a = 0; a < d; ++a) periods[static_cast<std::size_t>(a)] = grid.periodic(a) ? 1 : 0;
  MPI_Comm cart = MPI_COMM_NULL;
  // reorder = 0 keeps the input rank order, so rank 0 stays the root callers expect.
  KONO_MPI_CHECK(MPI_Cart_create(comm, d, m_dims.data(), periods.data(), 0, &cart));
  m_comm = std::shared_ptr<MPI_Comm>(new MPI_Comm(cart), CommDeleter{});
  KONO_MPI_CHECK(MPI_Comm_set_errhandler(cart, MPI_ERRORS_RETURN));
  KONO_MPI_CHECK(MPI_Comm_rank(cart, &m_rank));
  KONO_MPI_CHECK(MPI_Comm_size(cart, &m_size));
  KONO_MPI_CHECK(MPI_Cart_coords(cart, m_rank, d, m_coords.data()));
  for (int a = 0; a < d; ++a) {
    std::size_t const s = static_cast<std::size_t>(a);
    KONO_MPI_CHECK(MPI_Cart_shift(cart, a, 1, &m_lower[s], &m_upper[s]));
    m_begin[s] = balanced_begin(grid.extent(a), m_dims[s], m_coords[s]);
    m_extent[s] = balanced_extent(grid.extent(a), m_dims[s], m_coords[s]);
  }
}

GridDecomposition GridDecomposition::blocks(StructuredGrid const& grid, MPI_Comm comm, int halo_width) {
  KONO_USER_REQUIRE(comm != MPI_COMM_NULL, invalid_argument,
                    "kono::GridDecomposition::blocks: communicator is MPI_COMM_NULL");
  int const d = grid.dim();
  if (d < 1) return GridDecomposition(grid, comm, halo_width);  // the constructor reports it collectively
  int size = 1;
  KONO_MPI_CHECK(MPI_Comm_size(comm, &size));
  std::vector<int> counts(static_cast<std::size_t>(d), 0);
  KONO_MPI_CHECK(MPI_Dims_create(size, d, counts.data()));  // non-increasing
  // Splitting the longest axes most keeps blocks compact and avoids cutting a thin axis into
  // more pieces than it has nodes.
  std::vector<int> order(static_cast<std::size_t>(d));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&grid](int a, int b) { return grid.extent(a) > grid.extent(b); });
  std::vector<int> ranks(static_cast<std::size_t>(d));
  for (std::size_t i = 0; i < order.size(); ++i) ranks[static_cast<std::size_t>(order[i])] = counts[i];
  return GridDecomposition(grid, comm, halo_width, ranks);
}

std::size_t GridDecomposition::checked_axis(int axis, char const* function) const {
  KONO_USER_REQUIRE(axis >= 0 && axis < 3, invalid_argument,
                    "kono::GridDecomposition::" << function << ": axis " << axis << " out of range [0, 3)");
  return static_cast<std::size_t>(axis);
}

int GridDecomposition::checked_rank(int rank, char const* function) const {
  KONO_USER_REQUIRE(
      rank >= 0 && rank < m_size, invalid_argument,
      "kono::GridDecomposition::" << function << ": rank " << rank << " out of range [0, " << m_size << ")");
  return rank;
}

int GridDecomposition::halo_width(int axis) const {
  return checked_axis(axis, "halo_width") < static_cast<std::size_t>(dim()) ? m_halo : 0;
}
int GridDecomposition::ranks_per_axis(int axis) const { return m_dims[checked_axis(axis, "ranks_per_axis")]; }
int GridDecomposition::coords(int axis) const { return m_coords[checked_axis(axis, "coords")]; }
index_t GridDecomposition::global_extent(int axis) const {
  return checked_axis(axis, "global_extent") < static_cast<std::size_t>(dim()) ? m_grid.extent(axis) : 1;
}
index_t GridDecomposition::local_begin(int axis) const { return m_begin[checked_axis(axis, "local_begin")]; }
index_t GridDecomposition::local_extent(int axis) const { return m_extent[checked_axis(axis, "local_extent")]; }
index_t GridDecomposition::local_extent_with_halo(int axis) const {
  return m_extent[checked_axis(axis, "local_extent_with_halo")] + 2 * halo_width(axis);
}

Shape GridDecomposition::local_shape_with_halo() const {
  return Shape{local_extent_with_halo(0), local_extent_with_halo(1), local_extent_with_halo(2)};
}

int GridDecomposition::neighbor(int axis, int direction) const {
  std::size_t const a = checked_axis(axis, "neighbor");
  KONO_USER_REQUIRE(direction == -1 || direction == 1, invalid_argument,
                    "kono::GridDecomposition::neighbor: direction " << direction << " must be -1 or +1");
  return direction < 0 ? m_lower[a] : m_upper[a];
}

int GridDecomposition::coords_of(int rank, int axis) const {
  std::size_t const a = checked_axis(axis, "coords_of");
  checked_rank(rank, "coords_of");
  if (a >= static_cast<std::size_t>(dim())) return 0;
  std::array<int, 3> c{};
  KONO_MPI_CHECK(MPI_Cart_coords(comm(), rank, dim(), c.data()));
  return c[a];
}

index_t GridDecomposition::begin_of(int rank, int axis) const {
  checked_rank(rank, "begin_of");
  return balanced_begin(global_extent(axis), ranks_per_axis(axis), coords_of(rank, axis));
}

index_t GridDecomposition::extent_of(int rank, int axis) const {
  checked_rank(rank, "extent_of");
  return balanced_extent(global_extent(axis), ranks_per_axis(axis), coords_of(rank, axis));
}

void GridDecomposition::check_local_extents(char const* caller, std::string const& label,
                                            std::array<index_t, 3> const& extents) const {
  std::array<index_t, 3> const expected{local_extent_with_halo(0), local_extent_with_halo(1),
                                        local_extent_with_halo(2)};
  bool const ok = extents == expected;
  int first_bad = ok ? m_size : m_rank;
  KONO_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &first_bad, 1, MPI_INT, MPI_MIN, comm()));
  KONO_USER_REQUIRE(ok, size_mismatch,
                    caller << ": field \"" << label << "\" has extents " << join(extents, 3) << ", rank " << m_rank
                           << " expects local_extent_with_halo " << join(expected, 3) << " (grid " << m_grid.to_string()
                           << ", halo width " << m_halo << ")");
  KONO_USER_REQUIRE(first_bad == m_size, size_mismatch,
                    caller << ": field \"" << label << "\" has the wrong extents on rank " << first_bad
                           << " (this rank's " << join(extents, 3) << " are right)");
}

std::string GridDecomposition::to_string() const {
  std::ostringstream os;
  os << "rank " << m_rank << " of " << m_size << ", coords " << join(m_coords, 3) << " of " << join(m_dims, 3)
     << ", nodes ";
  for (std::size_t a = 0; a < 3; ++a)
    os << (a ? " x " : "") << "[" << m_begin[a] << ", " << m_begin[a] + m_extent[a] << ")";
  os << ", halo " << m_halo;
  return os.str();
}

}  // namespace kono
