#pragma once
// Coarser copies of gridded samples for multi-resolution training (kono train
// --data.resolutions, --data.grid). Two node conventions per axis of n nodes on [0, 1]:
// - vertex (kono's Darcy data): x_i = i / (n - 1), the first and last nodes on the boundary at
//   every resolution; coarse node j of m sits at fine position j (n - 1) / (m - 1);
// - periodic: x_i = i / n (periodic data such as Burgers or Navier-Stokes on a torus, or any grid
//   sampled as i / n); coarse node j of m sits at fine position j n / m.
// When that position is a whole number for every j ((n - 1) / (m - 1), resp. n / m, an integer)
// the coarse nodes are fine nodes and the copy is an exact subsampling (vertex 33 -> 17 -> 9,
// periodic 64 -> 32); otherwise each coarse value is the multilinear (bilinear in 2D)
// interpolation of the 2^d fine nodes around it (vertex 32 -> 16), which smooths sharp features
// such as a thresholded coefficient's jumps. The positions never pass the last fine node, so no
// wrap-around is needed in either convention.
#include <vector>

#include "workflow.hpp"

namespace kono::app {

/// Where the nodes of a grid axis sit (see above).
enum class GridNodes { vertex, periodic };

/// True when every spatial axis of `spatial` ([n_1, ..., n_d]) goes to `extents` by exact
/// subsampling ((n - 1) / (m - 1), resp. n / m, an integer).
bool exact_subsampling(Shape const& spatial, std::vector<index_t> const& extents, GridNodes nodes = GridNodes::vertex);

/// x [N, C, n_1, ..., n_d] (d = 1..3) on the coarser grid [N, C, m_1, ..., m_d], as above.
/// Requires 2 <= m_a <= n_a (throws Error{invalid_argument} otherwise). Not collective.
RealTensor downsample_grid(RealTensor const& x, std::vector<index_t> const& extents, GridNodes nodes = GridNodes::vertex);

}  // namespace kono::app
