#pragma once
// Coarser copies of gridded samples for multi-resolution training (kono train
// --data.resolutions). Grids are vertex-centred, as kono's Darcy data: node i of an axis with n
// nodes sits at x_i = i / (n - 1), so the first and last nodes are the domain's boundary at
// every resolution. Coarse node j of m sits at fine position j (n - 1) / (m - 1):
// - when (n - 1) / (m - 1) is an integer the coarse nodes are fine nodes and the copy is an
//   exact subsampling (e.g. 33 -> 17 -> 9);
// - otherwise each coarse value is the multilinear (bilinear in 2D) interpolation of the two
//   (2^d) fine nodes around it (e.g. 32 -> 16). This smooths sharp features such as a
//   thresholded coefficient's jumps.
#include <vector>

#include "workflow.hpp"

namespace kono::app {

/// True when every spatial axis of `spatial` ([n_1, ..., n_d]) goes to `extents` by exact
/// subsampling ((n - 1) / (m - 1) an integer).
bool exact_subsampling(Shape const& spatial, std::vector<index_t> const& extents);

/// x [N, C, n_1, ..., n_d] (d = 1..3) on the coarser grid [N, C, m_1, ..., m_d], as above.
/// Requires 2 <= m_a <= n_a (throws Error{invalid_argument} otherwise). Not collective.
RealTensor downsample_vertex_centred(RealTensor const& x, std::vector<index_t> const& extents);

}  // namespace kono::app
