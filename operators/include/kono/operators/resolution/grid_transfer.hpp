#pragma once
/// kono::GridTransfer: fixed (not learned) resampling of [N, C, spatial...] fields between two
/// discretisations of the same domain, and its adjoint. Resolution-consistent layers use it to move
/// a field to the grid their learned part was trained on, as multigrid codes move between levels.
#include <string>
#include <vector>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>

namespace kono {

/// Where a grid of n points per axis sits in the unit interval. nodes: x_i = i/(n-1), both ends
/// included (kono's Darcy generator); half_open: x_i = i/n, the end x = 1 not included
/// (neuraloperator's datasets, darcy_16 among them); periodic: x_i = i/n on a circle (the last
/// point wraps to the first).
enum class GridPoints { nodes, half_open, periodic };

/// "nodes", "half_open", "periodic".
char const* to_string(GridPoints points) noexcept;
/// Parses a grid kind; throws Error{invalid_argument} naming `where` and the known names otherwise.
GridPoints grid_points_from_string(std::string const& name, std::string const& where);

/// Grid spacing ratio h(n) / h(reference) of a `points` grid: (ref-1)/(n-1) for nodes, else ref/n.
double spacing_ratio(index_t n, index_t reference, GridPoints points);

/// A 1-D linear map from `cols` points to `rows` points with at most `taps` nonzeros per row
/// (row-major `index`/`weight`, unused taps have weight 0). Host data; GridTransfer uploads it.
struct TransferMatrix1D {
  index_t rows = 0, cols = 0;
  int taps = 0;
  std::vector<index_t> index;
  std::vector<double> weight;
};

/// How a finer field goes to a coarser grid: average (the transpose of interpolation, rows
/// normalised: full weighting [1/4, 1/2, 1/4] on nested node grids) or sample (piecewise-linear
/// interpolation at the coarse points: injection on nested grids, what a generator writing the
/// coarse grid directly would have stored) or nearest (the nearest fine point's value: keeps the
/// values of piecewise-constant data such as two-phase coefficients on grids that are not nested).
enum class Coarsening { average, sample, nearest };
/// "average", "sample", "nearest".
char const* to_string(Coarsening c) noexcept;
/// Parses a coarsening; throws Error{invalid_argument} naming `where` and the known names otherwise.
Coarsening coarsening_from_string(std::string const& name, std::string const& where);

/// Resampling from `from` to `to` points. Refining (to >= from): piecewise-linear interpolation at
/// the target points; with Coarsening::nearest the interpolation instead goes through the fine
/// points nearest coarsening reads (so that coarsening undoes refinement exactly, nested or not).
/// Coarsening: see Coarsening. A constant field stays constant either way.
/// Throws Error{invalid_argument} for an extent below 1 (2 for nodes).
TransferMatrix1D resampling_matrix(index_t from, index_t to, GridPoints points,
                                   Coarsening coarsening = Coarsening::average);
/// The transpose of `m` (for the adjoint).
TransferMatrix1D transpose(TransferMatrix1D const& m);

/// out = (M_0 x M_1 x M_2) in on [N, C, spatial(dim)...] tensors: one resampling matrix per axis.
/// forward and adjoint are Kokkos kernels (a gather each: no atomics). Not collective.
template <class MemorySpace, class Scalar>
class GridTransfer {
 public:
  GridTransfer() = default;
  /// Resampling of every axis from `from` to `to` extents (one GridPoints per axis).
  GridTransfer(std::vector<index_t> const& from, std::vector<index_t> const& to, std::vector<GridPoints> const& points,
               Coarsening coarsening = Coarsening::average);
  std::vector<index_t> const& from() const noexcept { return m_from; }
  std::vector<index_t> const& to() const noexcept { return m_to; }
  /// out [N, C, to...] = M in [N, C, from...]. Throws Error{size_mismatch} naming the shapes.
  void apply(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& in,
             Tensor<MemorySpace, Scalar> const& out) const;
  /// out [N, C, from...] = M^T in [N, C, to...]: the backward of apply().
  void apply_adjoint(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& in,
                     Tensor<MemorySpace, Scalar> const& out) const;

  /// Device copy of a 1-D map (identity 1x1 on absent axes).
  struct Axis {
    Kokkos::View<index_t**, Kokkos::LayoutRight, MemorySpace> index;
    Kokkos::View<Scalar**, Kokkos::LayoutRight, MemorySpace> weight;
    int taps = 1;
  };

 private:
  void run(typename MemorySpace::execution_space const& space, Axis const* axes, std::vector<index_t> const& in_e,
           std::vector<index_t> const& out_e, Tensor<MemorySpace, Scalar> const& in,
           Tensor<MemorySpace, Scalar> const& out, char const* what) const;
  std::vector<index_t> m_from, m_to;
  Axis m_forward[3], m_adjoint[3];  ///< axis 3 - dim + a holds spatial axis a (conv_view5 layout)
};

extern template class GridTransfer<DefaultMemorySpace, float>;
extern template class GridTransfer<DefaultMemorySpace, double>;

}  // namespace kono
