#pragma once
/// Triangle-mesh inputs of the mesh Poisson solver: random circular holes per sample, and mesh
/// files read through DMPlex (Gmsh .msh and the other formats DMPlexCreateFromFile knows). The
/// mesh type itself is kono::TriangleMesh in <kono/meshes/triangle_mesh.hpp>.
#include <cstdint>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/meshes/triangle_mesh.hpp>

namespace kono {

/// How random holes are drawn. Plain value type.
struct HoleSamplingOptions {
  int min_holes = 0;         ///< the count is uniform in [min_holes, max_holes]
  int max_holes = 3;
  double min_radius = 0.08;  ///< radii uniform in [min_radius, max_radius]
  double max_radius = 0.2;
  double margin = 0.05;      ///< least distance hole-box edge and hole-hole (raised to 2h and 3h)

  /// Throws Error{invalid_argument} naming the field: counts negative or min > max, radii not
  /// 0 < min <= max, min_radius below the mesh size h of `resolution`, margin < 0, or holes that
  /// cannot fit (a hole of min_radius leaves no room for its centre, or max_holes discs of
  /// min_radius + gap/2 have more area than the box they must lie in).
  void validate(index_t resolution) const;
};

/// Holes of sample `sample` of `seed`: rejection sampling driven by counter-based uniforms of
/// sample_seed(seed, sample, 1), so the result depends on (seed, sample) only. Throws
/// Error{invalid_argument} naming the sample when the holes do not fit after many attempts.
std::vector<CircularHole> random_holes(HoleSamplingOptions const& options, index_t resolution, std::uint64_t seed,
                                       index_t sample);

/// Reads a 2D triangle mesh with DMPlexCreateFromFile on PETSC_COMM_SELF (Gmsh .msh (tested: 2.2 ASCII),
/// ExodusII if PETSc has it, ...). Not collective. PETSc must be initialised. Throws
/// Error{file_io} naming the file when it is missing or unreadable, Error{corrupt_file} naming
/// it when PETSc cannot parse it or the mesh is not 2D triangles.
TriangleMesh read_triangle_mesh(std::string const& path);

}  // namespace kono
