#pragma once
// Coarser copies of gridded samples for multi-resolution training (kono train
// --data.resolutions, --data.grid). Two point conventions per axis of n points on [0, 1] (the
// names of GridPoints in operators/resolution/grid_transfer.hpp):
// - nodes (kono generate darcy): x_i = i / (n - 1), the first and last points on the boundary at
//   every resolution; coarse point j of m sits at fine position j (n - 1) / (m - 1);
// - half_open (neuraloperator's datasets such as darcy_16) and periodic (Burgers, Navier-Stokes
//   on a torus): x_i = i / n; coarse point j of m sits at fine position j n / m.
// When that position is a whole number for every j ((n - 1) / (m - 1), resp. n / m, an integer)
// the coarse points are fine points and the copy is an exact subsampling (nodes 33 -> 17 -> 9,
// half_open 64 -> 32); otherwise each coarse value is the multilinear (bilinear in 2D)
// interpolation of the 2^d fine points around it (nodes 32 -> 16), which smooths sharp features
// such as a thresholded coefficient's jumps. The positions never pass the last fine node, so no
// wrap-around is needed in either convention.
#include <vector>

#include "workflow.hpp"

namespace kono::app {

/// Where the points of a grid axis sit (see above; periodic grids are half_open).
enum class GridNodes { nodes, half_open };

/// True when every spatial axis of `spatial` ([n_1, ..., n_d]) goes to `extents` by exact
/// subsampling ((n - 1) / (m - 1), resp. n / m, an integer).
bool exact_subsampling(Shape const& spatial, std::vector<index_t> const& extents, GridNodes nodes = GridNodes::nodes);

/// x [N, C, n_1, ..., n_d] (d = 1..3) on the coarser grid [N, C, m_1, ..., m_d], as above.
/// Requires 2 <= m_a <= n_a (throws Error{invalid_argument} otherwise). Not collective.
RealTensor downsample_grid(RealTensor const& x, std::vector<index_t> const& extents, GridNodes nodes = GridNodes::nodes);

}  // namespace kono::app
