#pragma once
/// VTK XML export for ParaView: structured grids as ImageData (.vti, or .pvti plus one .vti piece
/// per rank), triangle meshes as UnstructuredGrid (.vtu, or .pvtu plus pieces), and .pvd
/// collections of either. Files are made by VTK's own XML writers and written atomically.
///
/// Axes: kono axis a of a StructuredGrid is VTK axis a (axis 0 = x, 1 = y, 2 = z), so node
/// (i0, i1, i2) sits at origin + (i0*h0, i1*h1, i2*h2) in ParaView exactly as in kono. kono
/// arrays are C order (last axis fastest) while VTK stores x fastest: the writers transpose.
/// A 2D field [n0, n1] therefore shows n0 nodes along x (horizontal) and n1 along y.
/// Layout, array names and ParaView recipes: docs/paraview.md.
#include <mpi.h>

#include <array>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/meshes/grid_decomposition.hpp>
#include <kono/meshes/structured_grid.hpp>

namespace kono {

/// One named point-data array: `values` holds num_points * components doubles, the points in C
/// order of the grid (or block) they belong to, the components of a point contiguous. The names
/// kono's CLI writes are `input`, `prediction`, `reference` and `abs_error`.
struct VtkPointArray {
  std::string name;
  std::vector<double> values;
  int components = 1;
};

/// The block of nodes a rank owns: nodes [begin[a], begin[a] + extent[a]) along each kono axis a
/// (axes beyond the grid's dimension are begin 0, extent 1).
struct VtkBlock {
  std::array<index_t, 3> begin{0, 0, 0};
  std::array<index_t, 3> extent{1, 1, 1};
};

/// Triangle mesh for write_vtu: `points` holds num_points() x point_dim coordinates (C order,
/// point_dim 2 or 3; 2D points get z = 0) and `triangles` num_triangles() x 3 zero-based point
/// indices.
struct VtkTriangleMesh {
  int point_dim = 2;
  std::vector<double> points;
  std::vector<index_t> triangles;
  index_t num_points() const noexcept {
    return point_dim > 0 ? static_cast<index_t>(points.size()) / point_dim : 0;
  }
  index_t num_triangles() const noexcept { return static_cast<index_t>(triangles.size()) / 3; }
};

/// One dataset of a .pvd collection: `file` relative to the .pvd's directory (or absolute),
/// shown in ParaView at time `timestep`; `part` distinguishes several files at the same time.
struct VtkCollectionEntry {
  double timestep = 0;
  std::string file;
  int part = 0;
};

// Common to every writer below:
// - `path`'s directory must exist (the writers do not create directories); an existing file is
//   replaced. Each file is written to a hidden temporary file in the same directory, fsynced and
//   renamed, so a failure leaves neither a partial file nor a damaged old one.
// - Arrays are stored as Float64 point data in the given order; the first one-component array is
//   the active scalar (ParaView's default colouring). Names must be non-empty and distinct.
// - Throws Error{file_io} naming the path when it cannot be written, Error{size_mismatch}
//   naming the array whose length does not match the points, Error{invalid_argument} for
//   empty/duplicate names, components < 1 or a malformed mesh/block.

/// Writes `arrays` on `grid` as VTK ImageData (.vti) with the grid's origin and spacing; each
/// array has grid.num_points() * components values in kono C order. A periodic axis is written
/// as its N stored nodes (the end node, equal to node 0, is not repeated). Not collective.
void write_vti(std::string const& path, StructuredGrid const& grid, std::vector<VtkPointArray> const& arrays);

/// Name of rank `rank`'s piece of the parallel file `path`: "<stem>_<rank>.vti" for
/// "<stem>.pvti" and "<stem>_<rank>.vtu" for "<stem>.pvtu". Throws Error{invalid_argument} for
/// any other extension or a negative rank. Not collective.
std::string vtk_piece_path(std::string const& path, int rank);

/// Parallel ImageData: every rank of `comm` writes its piece vtk_piece_path(path, rank) and rank
/// 0 writes the summary `path` (which must end in .pvti) naming the pieces (relative paths, same directory). `owned` is this
/// rank's block of `grid` and every array holds the block's nodes in C order of owned.extent.
/// The blocks must tile the grid without overlap. As VTK expects for point data, each piece
/// also carries the first node layer of its upper neighbours (fetched with MPI), so the pieces
/// join without gaps. All ranks pass the same grid, path and array names/components.
/// Collective on `comm`; on an error every rank throws the same Error, and no new file is left
/// behind (pieces are staged as temporary files and renamed only when every rank succeeded).
void write_pvti(std::string const& path, StructuredGrid const& grid, VtkBlock const& owned,
                std::vector<VtkPointArray> const& arrays, MPI_Comm comm);

/// As above, for the owned nodes (halo excluded, C order of local_extent(0..2)) of `decomposition`.
/// Collective on decomposition.comm().
void write_pvti(std::string const& path, GridDecomposition const& decomposition,
                std::vector<VtkPointArray> const& arrays);

/// Writes `mesh` as VTK UnstructuredGrid of VTK_TRIANGLE cells (.vtu) with `arrays` (each
/// mesh.num_points() * components values). Not collective.
void write_vtu(std::string const& path, VtkTriangleMesh const& mesh, std::vector<VtkPointArray> const& arrays);

/// Parallel UnstructuredGrid: every rank writes its own mesh piece (indices local to the piece;
/// nodes shared with other ranks are simply repeated) as vtk_piece_path(path, rank), and rank 0
/// writes the summary `path` (which must end in .pvtu). A rank may have an empty mesh. Same array names/components on all ranks.
/// Collective on `comm`; errors as for write_pvti.
void write_pvtu(std::string const& path, VtkTriangleMesh const& local_mesh,
                std::vector<VtkPointArray> const& local_arrays, MPI_Comm comm);

/// Writes a ParaView collection (.pvd) listing `entries` in the given order. Does not check that
/// the listed files exist. Not collective (call it on one rank). Throws Error{file_io} or
/// Error{invalid_argument} (an entry without a file name).
void write_pvd(std::string const& path, std::vector<VtkCollectionEntry> const& entries);

}  // namespace kono
