#include <petscdmplex.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <utility>

#include <kono/core/error.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>
#include <kono/solvers/triangle_mesh.hpp>

namespace kono {

namespace {

double signed_area(double const* p, double const* q, double const* r) {
  return 0.5 * ((q[0] - p[0]) * (r[1] - p[1]) - (r[0] - p[0]) * (q[1] - p[1]));
}

// Uniform in [0, 1) from a counter: the top 53 bits of the SplitMix64 hash.
double hashed_uniform(std::uint64_t stream, std::uint64_t i) {
  return double(sample_seed(stream, index_t(i)) >> 11) * 0x1p-53;
}

double box_gap(index_t resolution) { return 2.0 / double(resolution - 1); }
double hole_gap(index_t resolution) { return 3.0 / double(resolution - 1); }

}  // namespace

double TriangleMesh::cell_area(index_t c) const {
  std::int64_t const* v = &cells[std::size_t(3 * c)];
  return signed_area(&nodes[std::size_t(2 * v[0])], &nodes[std::size_t(2 * v[1])], &nodes[std::size_t(2 * v[2])]);
}

double TriangleMesh::area() const {
  double s = 0;
  for (index_t c = 0; c < cell_count(); ++c) s += cell_area(c);
  return s;
}

TriangleMesh make_triangle_mesh(std::vector<double> nodes, std::vector<std::int64_t> cells, std::string const& what) {
  KONO_USER_REQUIRE(nodes.size() % 2 == 0 && cells.size() % 3 == 0, invalid_argument,
                    what << ": " << nodes.size() << " node coordinates and " << cells.size()
                         << " cell indices are not [n, 2] and [m, 3] arrays");
  KONO_USER_REQUIRE(!cells.empty(), invalid_argument, what << ": the mesh has no triangles");
  std::int64_t const n = std::int64_t(nodes.size() / 2);
  double lo[2] = {std::numeric_limits<double>::max(), std::numeric_limits<double>::max()};
  double hi[2] = {-lo[0], -lo[1]};
  for (std::int64_t i = 0; i < n; ++i)
    for (int a = 0; a < 2; ++a) {
      double const x = nodes[std::size_t(2 * i + a)];
      KONO_USER_REQUIRE(std::isfinite(x), invalid_argument, what << ": node " << i << " has a non-finite coordinate");
      lo[a] = std::min(lo[a], x);
      hi[a] = std::max(hi[a], x);
    }
  double const tiny = 1e-14 * (hi[0] - lo[0]) * (hi[1] - lo[1]);
  std::size_t const m = cells.size() / 3;
  std::vector<std::int64_t> renumber(std::size_t(n), -1);
  for (std::size_t c = 0; c < m; ++c) {
    std::int64_t* v = &cells[3 * c];
    for (int k = 0; k < 3; ++k)
      KONO_USER_REQUIRE(v[k] >= 0 && v[k] < n, invalid_argument,
                        what << ": triangle " << c << " refers to node " << v[k] << " of " << n);
    double const a = signed_area(&nodes[std::size_t(2 * v[0])], &nodes[std::size_t(2 * v[1])], &nodes[std::size_t(2 * v[2])]);
    KONO_USER_REQUIRE(std::abs(a) > tiny, invalid_argument,
                      what << ": triangle " << c << " (nodes " << v[0] << ", " << v[1] << ", " << v[2]
                           << ") is degenerate (area " << a << ")");
    if (a < 0) std::swap(v[1], v[2]);
    for (int k = 0; k < 3; ++k) renumber[std::size_t(v[k])] = 0;
  }
  // Keep the used nodes, in their order.
  std::int64_t used = 0;
  for (auto& r : renumber)
    if (r == 0) r = used++;
  TriangleMesh mesh;
  mesh.nodes.resize(std::size_t(2 * used));
  for (std::int64_t i = 0; i < n; ++i)
    if (renumber[std::size_t(i)] >= 0) {
      mesh.nodes[std::size_t(2 * renumber[std::size_t(i)])] = nodes[std::size_t(2 * i)];
      mesh.nodes[std::size_t(2 * renumber[std::size_t(i)] + 1)] = nodes[std::size_t(2 * i + 1)];
    }
  for (auto& v : cells) v = renumber[std::size_t(v)];
  mesh.cells = std::move(cells);

  // Edges: each triangle's three, sorted; a run of one is a boundary edge, of three or more an error.
  std::vector<std::pair<std::int64_t, std::int64_t>> all;
  all.reserve(3 * m);
  for (std::size_t c = 0; c < m; ++c)
    for (int k = 0; k < 3; ++k) {
      std::int64_t const a = mesh.cells[3 * c + std::size_t(k)], b = mesh.cells[3 * c + std::size_t((k + 1) % 3)];
      all.emplace_back(std::min(a, b), std::max(a, b));
    }
  std::sort(all.begin(), all.end());
  mesh.boundary.assign(std::size_t(used), 0);
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    KONO_USER_REQUIRE(j - i <= 2, invalid_argument,
                      what << ": edge (" << all[i].first << ", " << all[i].second << ") is shared by " << (j - i)
                           << " triangles; the mesh is not a 2D manifold");
    mesh.edges.push_back(all[i].first);
    mesh.edges.push_back(all[i].second);
    if (j - i == 1) mesh.boundary[std::size_t(all[i].first)] = mesh.boundary[std::size_t(all[i].second)] = 1;
    i = j;
  }
  return mesh;
}

TriangleMesh box_mesh_with_holes(index_t resolution, std::vector<CircularHole> const& holes) {
  char const* fq = "kono::box_mesh_with_holes";
  KONO_USER_REQUIRE(resolution >= box_mesh_min_resolution, invalid_argument,
                    fq << ": resolution = " << resolution << " nodes per side, expected at least "
                       << box_mesh_min_resolution);
  KONO_USER_REQUIRE(resolution <= 20000, invalid_argument,
                    fq << ": resolution = " << resolution << " nodes per side is more than 20000");
  index_t const n = resolution;
  double const h = 1.0 / double(n - 1);
  double const slack = 1e-12;
  for (std::size_t j = 0; j < holes.size(); ++j) {
    CircularHole const& o = holes[j];
    KONO_USER_REQUIRE(std::isfinite(o.cx) && std::isfinite(o.cy) && std::isfinite(o.r) && o.r >= h * (1 - slack),
                      invalid_argument,
                      fq << ": hole " << j << " (centre " << o.cx << ", " << o.cy << ", radius " << o.r
                         << ") is below the mesh size h = " << h << " at resolution " << n
                         << "; raise the resolution or the radius");
    double const edge = std::min({o.cx, o.cy, 1 - o.cx, 1 - o.cy}) - o.r;
    KONO_USER_REQUIRE(edge >= box_gap(n) * (1 - slack), invalid_argument,
                      fq << ": hole " << j << " (centre " << o.cx << ", " << o.cy << ", radius " << o.r << ") is "
                         << edge << " from the box edge, expected at least 2h = " << box_gap(n));
    for (std::size_t i = 0; i < j; ++i) {
      double const gap = std::hypot(o.cx - holes[i].cx, o.cy - holes[i].cy) - o.r - holes[i].r;
      KONO_USER_REQUIRE(gap >= hole_gap(n) * (1 - slack), invalid_argument,
                        fq << ": holes " << i << " and " << j << " are " << gap
                           << " apart, expected at least 3h = " << hole_gap(n));
    }
  }

  std::vector<double> x(std::size_t(2 * n * n));
  for (index_t jy = 0; jy < n; ++jy)
    for (index_t ix = 0; ix < n; ++ix) {
      x[std::size_t(2 * (jy * n + ix))] = double(ix) * h;
      x[std::size_t(2 * (jy * n + ix) + 1)] = double(jy) * h;
    }
  // -1: outside every hole; j: deeper than h/4 inside hole j (such nodes go with their triangles).
  std::vector<int> inside(std::size_t(n * n), -1);
  for (std::size_t j = 0; j < holes.size(); ++j)
    for (index_t p = 0; p < n * n; ++p)
      if (std::hypot(x[std::size_t(2 * p)] - holes[j].cx, x[std::size_t(2 * p + 1)] - holes[j].cy) <
          holes[j].r - 0.25 * h)
        inside[std::size_t(p)] = int(j);

  std::vector<std::int64_t> cells;
  std::vector<int> hole_of(std::size_t(n * n), -1);  // hole whose edge a kept node lies on
  cells.reserve(std::size_t(6 * (n - 1) * (n - 1)));
  for (index_t jy = 0; jy + 1 < n; ++jy)
    for (index_t ix = 0; ix + 1 < n; ++ix) {
      std::int64_t const p00 = jy * n + ix, p10 = p00 + 1, p01 = p00 + n, p11 = p01 + 1;
      std::array<std::array<std::int64_t, 3>, 2> tri;
      if ((ix + jy) % 2 == 0)
        tri = {{{p00, p10, p11}, {p00, p11, p01}}};
      else
        tri = {{{p00, p10, p01}, {p10, p11, p01}}};
      for (auto const& t : tri) {
        int dropped_by = -1;
        for (auto v : t)
          if (inside[std::size_t(v)] >= 0) dropped_by = inside[std::size_t(v)];
        if (dropped_by < 0) {
          cells.insert(cells.end(), t.begin(), t.end());
          continue;
        }
        for (auto v : t)
          if (inside[std::size_t(v)] < 0) hole_of[std::size_t(v)] = dropped_by;
      }
    }

  // Ears: a kept triangle with all three nodes on a hole's edge and two of its edges on the hole
  // would be flattened onto the circle; drop it (its middle node goes too unless others use it).
  if (!holes.empty()) {
    std::map<std::pair<std::int64_t, std::int64_t>, int> uses;
    auto key = [](std::int64_t a, std::int64_t b) { return std::make_pair(std::min(a, b), std::max(a, b)); };
    for (std::size_t c = 0; c < cells.size() / 3; ++c)
      for (int k = 0; k < 3; ++k) ++uses[key(cells[3 * c + std::size_t(k)], cells[3 * c + std::size_t((k + 1) % 3)])];
    std::vector<std::int64_t> kept;
    kept.reserve(cells.size());
    for (std::size_t c = 0; c < cells.size() / 3; ++c) {
      std::int64_t const* v = &cells[3 * c];
      bool const all_on_edge = hole_of[std::size_t(v[0])] >= 0 && hole_of[std::size_t(v[1])] >= 0 &&
                               hole_of[std::size_t(v[2])] >= 0;
      int open = 0;
      for (int k = 0; k < 3; ++k) open += uses[key(v[k], v[(k + 1) % 3])] == 1 ? 1 : 0;
      if (all_on_edge && open >= 2) continue;
      kept.insert(kept.end(), v, v + 3);
    }
    cells.swap(kept);
  }

  // Move the nodes on each hole's edge radially onto the circle, unless that would squash an
  // adjacent triangle (then a shorter move, or none).
  if (!holes.empty()) {
    std::vector<std::vector<std::int64_t>> incident(std::size_t(n * n));
    for (std::size_t c = 0; c < cells.size() / 3; ++c)
      for (int k = 0; k < 3; ++k) incident[std::size_t(cells[3 * c + std::size_t(k)])].push_back(std::int64_t(c));
    double const min_area = 0.1 * 0.5 * h * h;
    for (index_t p = 0; p < n * n; ++p) {
      int const j = hole_of[std::size_t(p)];
      if (j < 0 || incident[std::size_t(p)].empty()) continue;
      double* xp = &x[std::size_t(2 * p)];
      double const dx = xp[0] - holes[std::size_t(j)].cx, dy = xp[1] - holes[std::size_t(j)].cy;
      double const d = std::hypot(dx, dy);
      double const tx = holes[std::size_t(j)].cx + holes[std::size_t(j)].r * dx / d;
      double const ty = holes[std::size_t(j)].cy + holes[std::size_t(j)].r * dy / d;
      double const ox = xp[0], oy = xp[1];
      for (double t : {1.0, 0.5, 0.25, 0.0}) {
        xp[0] = ox + t * (tx - ox);
        xp[1] = oy + t * (ty - oy);
        bool ok = true;
        for (auto c : incident[std::size_t(p)]) {
          std::int64_t const* v = &cells[std::size_t(3 * c)];
          ok = ok && signed_area(&x[std::size_t(2 * v[0])], &x[std::size_t(2 * v[1])], &x[std::size_t(2 * v[2])]) >=
                         min_area;
        }
        if (ok || t == 0.0) break;
      }
    }
  }
  return make_triangle_mesh(std::move(x), std::move(cells), fq);
}

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
  double const mb = std::max(margin, box_gap(resolution)), mh = std::max(margin, hole_gap(resolution));
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
  double const mb = std::max(o.margin, box_gap(resolution)), mh = std::max(o.margin, hole_gap(resolution));
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

void write_gmsh22(TriangleMesh const& mesh, std::string const& path) {
  std::ofstream out(path);
  KONO_USER_REQUIRE(out.good(), file_io, "kono::write_gmsh22: cannot create \"" << path << "\"");
  out << "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n" << mesh.node_count() << "\n" << std::setprecision(17);
  for (index_t i = 0; i < mesh.node_count(); ++i)
    out << i + 1 << " " << mesh.nodes[std::size_t(2 * i)] << " " << mesh.nodes[std::size_t(2 * i + 1)] << " 0\n";
  out << "$EndNodes\n$Elements\n" << mesh.cell_count() << "\n";
  for (index_t c = 0; c < mesh.cell_count(); ++c)
    out << c + 1 << " 2 2 1 1 " << mesh.cells[std::size_t(3 * c)] + 1 << " " << mesh.cells[std::size_t(3 * c + 1)] + 1
        << " " << mesh.cells[std::size_t(3 * c + 2)] + 1 << "\n";
  out << "$EndElements\n";
  out.close();
  KONO_USER_REQUIRE(!out.fail(), file_io, "kono::write_gmsh22: writing \"" << path << "\" failed");
}

}  // namespace kono
