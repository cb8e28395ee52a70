#include <kono/meshes/triangle_mesh.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <utility>

#include <kono/core/error.hpp>

namespace kono {

namespace {
double signed_area(double const* p, double const* q, double const* r) {
  return 0.5 * ((q[0] - p[0]) * (r[1] - p[1]) - (r[0] - p[0]) * (q[1] - p[1]));
}
}  // namespace

BoxHoleLimits box_hole_limits(index_t resolution) {
  double const h = 1.0 / double(resolution - 1);
  return {h, 2 * h, 3 * h};
}

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
    KONO_USER_REQUIRE(edge >= box_hole_limits(n).edge_gap * (1 - slack), invalid_argument,
                      fq << ": hole " << j << " (centre " << o.cx << ", " << o.cy << ", radius " << o.r << ") is "
                         << edge << " from the box edge, expected at least 2h = " << box_hole_limits(n).edge_gap);
    for (std::size_t i = 0; i < j; ++i) {
      double const gap = std::hypot(o.cx - holes[i].cx, o.cy - holes[i].cy) - o.r - holes[i].r;
      KONO_USER_REQUIRE(gap >= box_hole_limits(n).hole_gap * (1 - slack), invalid_argument,
                        fq << ": holes " << i << " and " << j << " are " << gap
                           << " apart, expected at least 3h = " << box_hole_limits(n).hole_gap);
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
