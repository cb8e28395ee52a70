#pragma once
/// Unstructured 2D triangle meshes: a plain conforming mesh type (nodes, triangles, edges,
/// boundary flags) shared by the PETSc mesh solvers and, later, graph surrogates; the unit box
/// with circular holes (built here: Debian's PETSc has no Triangle/ctetgen for DMPlexGenerate);
/// Gmsh 2.2 output. Reading mesh files needs DMPlex and lives in <kono/solvers/triangle_mesh.hpp>.
#include <cstdint>
#include <string>
#include <vector>

#include <kono/core/types.hpp>

namespace kono {

/// A conforming triangle mesh. Plain value type; arrays are row-major.
struct TriangleMesh {
  std::vector<double> nodes;          ///< [n, 2] node coordinates
  std::vector<std::int64_t> cells;    ///< [m, 3] node indices, counter-clockwise (positive area)
  std::vector<std::int64_t> edges;    ///< [e, 2] unique undirected edges, i < j, sorted
  std::vector<std::uint8_t> boundary; ///< [n] 1 on nodes of an edge with one triangle (Dirichlet), else 0

  index_t node_count() const noexcept { return index_t(nodes.size() / 2); }
  index_t cell_count() const noexcept { return index_t(cells.size() / 3); }
  index_t edge_count() const noexcept { return index_t(edges.size() / 2); }
  double cell_area(index_t c) const;  ///< signed area (> 0 for every cell of a valid mesh)
  double area() const;                ///< sum of the cell areas
};

/// Builds the edges and boundary flags of `cells` over `nodes`, orienting every cell counter-
/// clockwise. Drops nodes no cell uses (renumbering the rest in order). Throws
/// Error{invalid_argument} (`what` names the source) for an index out of range, a degenerate
/// cell (area <= 1e-14 of the bounding box area) or an edge shared by more than two cells.
TriangleMesh make_triangle_mesh(std::vector<double> nodes, std::vector<std::int64_t> cells,
                                std::string const& what = "kono::make_triangle_mesh");

/// A circular hole of the box mesh.
struct CircularHole {
  double cx = 0.5, cy = 0.5, r = 0.1;
};

/// What box_mesh_with_holes() needs of its holes at `resolution` (h = 1/(resolution-1)):
/// radius >= h, distance to the box edge >= 2h, gap between circles >= 3h.
struct BoxHoleLimits {
  double min_radius, edge_gap, hole_gap;
};
BoxHoleLimits box_hole_limits(index_t resolution);

/// Fewest nodes per side of the box mesh.
inline constexpr index_t box_mesh_min_resolution = 3;

/// The unit box with `resolution` nodes per side (h = 1/(resolution-1)), each square split in
/// two triangles along alternating diagonals; triangles with a node deeper than h/4 inside a
/// hole are dropped and the nodes on each hole's edge are moved radially onto its circle (a
/// move is shortened, or skipped, where it would leave an adjacent triangle with less than a
/// tenth of its original area, so no triangle is inverted). Holes must be resolved and apart:
/// r >= h, distance to the box edge >= 2h, gap between circles >= 3h; otherwise
/// Error{invalid_argument} naming the hole. Deterministic.
TriangleMesh box_mesh_with_holes(index_t resolution, std::vector<CircularHole> const& holes = {});

/// Writes `mesh` as Gmsh 2.2 ASCII (nodes and triangles; type 2 elements), e.g. for ParaView
/// or to re-read it. Throws Error{file_io} naming the file.
void write_gmsh22(TriangleMesh const& mesh, std::string const& path);

}  // namespace kono
