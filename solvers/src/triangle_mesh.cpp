#include <petscdmplex.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <utility>

#include <kono/core/error.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>
#include <kono/solvers/triangle_mesh.hpp>

namespace kono {

namespace {
// Uniform in [0, 1) from a counter: the top 53 bits of the SplitMix64 hash.
double hashed_uniform(std::uint64_t stream, std::uint64_t i) {
  return double(sample_seed(stream, index_t(i)) >> 11) * 0x1p-53;
}
}  // namespace

void HoleSamplingOptions::validate(index_t resolution) const {
  char const* fq = "kono::HoleSamplingOptions";
  KONO_USER_REQUIRE(min_holes >= 0 && max_holes >= min_holes, invalid_argument,
                    fq << ": hole counts min_holes = " << min_holes << ", max_holes = " << max_holes
                       << ", expected 0 <= min_holes <= max_holes");
  KONO_USER_REQUIRE(max_holes <= 1000, invalid_argument, fq << ": max_holes = " << max_holes << " exceeds 1000");
  KONO_USER_REQUIRE(resolution >= box_mesh_min_resolution, invalid_argument,
                    fq << ": resolution = " << resolution << ", expected at least " << box_mesh_min_resolution);
  if (max_holes == 0) return;
  double const h = 1.0 / double(resolution - 1);
  KONO_USER_REQUIRE(std::isfinite(min_radius) && std::isfinite(max_radius) && min_radius > 0 &&
                        max_radius >= min_radius,
                    invalid_argument,
                    fq << ": radius range [" << min_radius << ", " << max_radius << "], expected 0 < min <= max");
  KONO_USER_REQUIRE(min_radius >= h * (1 - 1e-12), invalid_argument,
                    fq << ": min_radius = " << min_radius << " is below the mesh size h = " << h << " (resolution "
                       << resolution << "); raise the resolution or the radius");
  KONO_USER_REQUIRE(std::isfinite(margin) && margin >= 0, invalid_argument,
                    fq << ": margin = " << margin << ", expected a finite value >= 0");
  double const mb = std::max(margin, box_hole_limits(resolution).edge_gap), mh = std::max(margin, box_hole_limits(resolution).hole_gap);
  KONO_USER_REQUIRE(min_radius + mb < 0.5, invalid_argument,
                    fq << ": holes cannot fit: radius " << min_radius << " plus the distance " << mb
                       << " to the box edge leaves no room in the unit box");
  // Discs of radius r + mh/2 around the centres are disjoint and lie in a square of side 1 - 2 mb + mh.
  double const side = 1 - 2 * mb + mh;
  double const need = max_holes * M_PI * (min_radius + 0.5 * mh) * (min_radius + 0.5 * mh);
  KONO_USER_REQUIRE(need <= side * side, invalid_argument,
                    fq << ": holes cannot fit: " << max_holes << " holes of radius >= " << min_radius
                       << " with gaps " << mh << " need more area (" << need << ") than there is (" << side * side
                       << "); lower max_holes or min_radius");
}

std::vector<CircularHole> random_holes(HoleSamplingOptions const& o, index_t resolution, std::uint64_t seed,
                                       index_t sample) {
  o.validate(resolution);
  std::uint64_t const stream = sample_seed(seed, sample, 1);
  std::uint64_t counter = 0;
  auto uniform = [&] { return hashed_uniform(stream, counter++); };
  int const span = o.max_holes - o.min_holes + 1;
  int const count = o.min_holes + std::min(span - 1, int(uniform() * span));
  double const mb = std::max(o.margin, box_hole_limits(resolution).edge_gap), mh = std::max(o.margin, box_hole_limits(resolution).hole_gap);
  // Sequential placement with redraws; a full restart if one hole finds no place.
  int const restarts = 20, attempts = 500;
  for (int restart = 0; restart < restarts; ++restart) {
    std::vector<CircularHole> holes;
    for (int j = 0; j < count; ++j) {
      bool placed = false;
      for (int a = 0; a < attempts && !placed; ++a) {
        CircularHole c;
        c.r = o.min_radius + (o.max_radius - o.min_radius) * uniform();
        double const lo = c.r + mb, hi = 1 - c.r - mb;
        double const ux = uniform(), uy = uniform();
        if (hi < lo) continue;
        c.cx = lo + (hi - lo) * ux;
        c.cy = lo + (hi - lo) * uy;
        placed = true;
        for (auto const& q : holes)
          if (std::hypot(c.cx - q.cx, c.cy - q.cy) - c.r - q.r < mh) placed = false;
        if (placed) holes.push_back(c);
      }
      if (!placed) break;
    }
    if (int(holes.size()) == count) return holes;
  }
  KONO_THROW(invalid_argument, "kono::random_holes: sample " << sample << ": could not place " << count
                                                             << " holes of radius in [" << o.min_radius << ", "
                                                             << o.max_radius << "] with gap " << mh << " after "
                                                             << restarts << " x " << attempts
                                                             << " attempts; lower max_holes or max_radius");
}

TriangleMesh read_triangle_mesh(std::string const& path) {
  char const* fq = "kono::read_triangle_mesh";
  {
    std::ifstream probe(path);
    KONO_USER_REQUIRE(!path.empty() && probe.good(), file_io,
                      fq << ": cannot open mesh file \"" << path << "\" (missing or unreadable)");
  }
  KONO_USER_REQUIRE(PetscInitializeCalled && !PetscFinalizeCalled, wrong_state,
                    fq << ": PETSc is not initialised; call kono::ensure_petsc_initialized first");
  DM dm = nullptr;
  // PETSc's reader reports a malformed file through its error handler; have it return the code
  // quietly, so the user gets one kono::Error naming the file.
  KONO_PETSC_CHECK(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  PetscErrorCode const rc = DMPlexCreateFromFile(PETSC_COMM_SELF, path.c_str(), "kono_mesh", PETSC_FALSE, &dm);
  KONO_PETSC_CHECK(PetscPopErrorHandler());
  if (rc) {
    if (dm) DMDestroy(&dm);
    char const* text = nullptr;
    PetscErrorMessage(rc, &text, nullptr);
    KONO_THROW(corrupt_file, fq << ": PETSc cannot read the mesh file \"" << path << "\" (DMPlexCreateFromFile: "
                                << (text ? text : "error") << ", code " << rc << ")");
  }
  struct DmGuard {
    DM* dm;
    ~DmGuard() { DMDestroy(dm); }
  } guard{&dm};
  PetscInt dim = 0, cdim = 0;
  KONO_PETSC_CHECK(DMGetDimension(dm, &dim));
  KONO_PETSC_CHECK(DMGetCoordinateDim(dm, &cdim));
  KONO_USER_REQUIRE(dim == 2 && (cdim == 2 || cdim == 3), corrupt_file,
                    fq << ": \"" << path << "\" holds a " << dim << "D mesh with " << cdim
                       << " coordinates per node, expected a 2D triangle mesh");
  PetscInt cs = 0, ce = 0, vs = 0, ve = 0;
  KONO_PETSC_CHECK(DMPlexGetHeightStratum(dm, 0, &cs, &ce));
  KONO_PETSC_CHECK(DMPlexGetDepthStratum(dm, 0, &vs, &ve));
  Vec coords = nullptr;
  DM cdm = nullptr;
  PetscSection csec = nullptr;
  KONO_PETSC_CHECK(DMGetCoordinatesLocal(dm, &coords));
  KONO_PETSC_CHECK(DMGetCoordinateDM(dm, &cdm));
  KONO_PETSC_CHECK(DMGetLocalSection(cdm, &csec));
  std::vector<double> nodes(std::size_t(2 * (ve - vs)));
  PetscScalar const* cv = nullptr;
  KONO_PETSC_CHECK(VecGetArrayRead(coords, &cv));
  for (PetscInt v = vs; v < ve; ++v) {
    PetscInt off = 0;
    KONO_PETSC_CHECK(PetscSectionGetOffset(csec, v, &off));
    nodes[std::size_t(2 * (v - vs))] = PetscRealPart(cv[off]);
    nodes[std::size_t(2 * (v - vs) + 1)] = PetscRealPart(cv[off + 1]);
  }
  KONO_PETSC_CHECK(VecRestoreArrayRead(coords, &cv));
  std::vector<std::int64_t> cells;
  cells.reserve(std::size_t(3 * (ce - cs)));
  for (PetscInt c = cs; c < ce; ++c) {
    DMPolytopeType ct = DM_POLYTOPE_UNKNOWN;
    KONO_PETSC_CHECK(DMPlexGetCellType(dm, c, &ct));
    KONO_USER_REQUIRE(ct == DM_POLYTOPE_TRIANGLE, corrupt_file,
                      fq << ": \"" << path << "\": cell " << (c - cs) << " is a " << DMPolytopeTypes[ct]
                         << ", only triangles are supported");
    PetscInt npts = 0;
    PetscInt* closure = nullptr;
    KONO_PETSC_CHECK(DMPlexGetTransitiveClosure(dm, c, PETSC_TRUE, &npts, &closure));
    for (PetscInt k = 0; k < npts; ++k) {
      PetscInt const p = closure[2 * k];
      if (p >= vs && p < ve) cells.push_back(std::int64_t(p - vs));
    }
    KONO_PETSC_CHECK(DMPlexRestoreTransitiveClosure(dm, c, PETSC_TRUE, &npts, &closure));
  }
  try {
    return make_triangle_mesh(std::move(nodes), std::move(cells), std::string(fq) + ": \"" + path + "\"");
  } catch (Error const& e) {
    KONO_THROW(corrupt_file, e.what());
  }
}

}  // namespace kono
