// P1 Poisson on triangle meshes: box meshes with holes (sanity: areas, edges, topology, boundary
// on the circles), manufactured solutions (observed L2 order 2 without and with a hole, for the
// PetscFE and the direct assembly), both assemblies agreeing, Gmsh files through DMPlex, PETSc
// option overrides, bad input.
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/poisson_mesh.hpp>
#include <kono/solvers/poisson_mesh_dataset.hpp>
#include <kono/solvers/triangle_mesh.hpp>

#include "support/kono_test.hpp"

namespace {

double const pi = 3.14159265358979323846;
using Fn = std::function<double(double, double)>;

void init_petsc() { kono::ensure_petsc_initialized(kono::Runtime::current()); }

std::vector<double> at_nodes(kono::TriangleMesh const& m, Fn const& fn) {
  std::vector<double> v(std::size_t(m.node_count()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = fn(m.nodes[2 * i], m.nodes[2 * i + 1]);
  return v;
}

// ||u_h - u||_L2 with the 7-point degree-5 rule on every triangle.
double l2_error(kono::TriangleMesh const& m, std::vector<double> const& uh, Fn const& exact) {
  double const s15 = std::sqrt(15.0);
  double const a1 = (9 - 2 * s15) / 21, b1 = (6 + s15) / 21, a2 = (9 + 2 * s15) / 21, b2 = (6 - s15) / 21;
  double const w1 = (155 + s15) / 1200, w2 = (155 - s15) / 1200;
  std::vector<std::array<double, 4>> q{{1. / 3, 1. / 3, 1. / 3, 0.225}, {a1, b1, b1, w1}, {b1, a1, b1, w1},
                                        {b1, b1, a1, w1},                 {a2, b2, b2, w2}, {b2, a2, b2, w2},
                                        {b2, b2, a2, w2}};
  double sum = 0;
  for (kono::index_t c = 0; c < m.cell_count(); ++c) {
    auto const* v = &m.cells[std::size_t(3 * c)];
    double const area = m.cell_area(c);
    for (auto const& p : q) {
      double x = 0, y = 0, u = 0;
      for (int k = 0; k < 3; ++k) {
        x += p[std::size_t(k)] * m.nodes[std::size_t(2 * v[k])];
        y += p[std::size_t(k)] * m.nodes[std::size_t(2 * v[k] + 1)];
        u += p[std::size_t(k)] * uh[std::size_t(v[k])];
      }
      double const e = u - exact(x, y);
      sum += p[3] * area * e * e;
    }
  }
  return std::sqrt(sum);
}

// u = sin(pi x) sin(pi y) + x y, a = 1 + x^2 y, f = -div(a grad u): u = g on all boundaries.
double mms_l2(kono::index_t n, std::vector<kono::CircularHole> const& holes, std::string const& assembly) {
  auto const mesh = kono::box_mesh_with_holes(n, holes);
  Fn const u = [](double x, double y) { return std::sin(pi * x) * std::sin(pi * y) + x * y; };
  Fn const a = [](double x, double y) { return 1 + x * x * y; };
  Fn const f = [](double x, double y) {
    double const ux = pi * std::cos(pi * x) * std::sin(pi * y) + y, uy = pi * std::sin(pi * x) * std::cos(pi * y) + x;
    double const lap = -2 * pi * pi * std::sin(pi * x) * std::sin(pi * y);
    return -((1 + x * x * y) * lap + 2 * x * y * ux + x * x * uy);
  };
  kono::PoissonMeshSolverOptions o;
  o.rtol = 1e-12;
  o.assembly = assembly;
  kono::PoissonMeshSolver solver(o);
  std::vector<double> uh;
  auto const info = solver.solve(mesh, at_nodes(mesh, a), at_nodes(mesh, f), uh, 0, at_nodes(mesh, u));
  EXPECT_TRUE(info.converged()) << info.reason_name;
  return l2_error(mesh, uh, u);
}

// Independent checks of a mesh: positive areas, each edge in <= 2 triangles, edges and boundary
// flags as recomputed here, Euler characteristic 1 - holes.
void expect_sane(kono::TriangleMesh const& m, int holes) {
  for (kono::index_t c = 0; c < m.cell_count(); ++c) ASSERT_GT(m.cell_area(c), 0.0) << "cell " << c;
  std::map<std::pair<std::int64_t, std::int64_t>, int> uses;
  for (kono::index_t c = 0; c < m.cell_count(); ++c)
    for (int k = 0; k < 3; ++k) {
      auto a = m.cells[std::size_t(3 * c + k)], b = m.cells[std::size_t(3 * c + (k + 1) % 3)];
      ++uses[{std::min(a, b), std::max(a, b)}];
    }
  ASSERT_EQ(kono::index_t(uses.size()), m.edge_count());
  std::vector<std::uint8_t> boundary(std::size_t(m.node_count()), 0);
  std::size_t e = 0;
  for (auto const& [edge, count] : uses) {
    ASSERT_LE(count, 2);
    EXPECT_EQ(m.edges[2 * e], edge.first);
    EXPECT_EQ(m.edges[2 * e + 1], edge.second);
    ++e;
    if (count == 1) boundary[std::size_t(edge.first)] = boundary[std::size_t(edge.second)] = 1;
  }
  EXPECT_EQ(boundary, m.boundary);
  EXPECT_EQ(m.node_count() - m.edge_count() + m.cell_count(), 1 - holes);
}

TEST(TriangleMesh, BoxWithoutHolesIsTheStructuredTriangulation) {
  auto const m = kono::box_mesh_with_holes(9);
  EXPECT_EQ(m.node_count(), 81);
  EXPECT_EQ(m.cell_count(), 128);
  EXPECT_EQ(m.edge_count(), 208);
  EXPECT_EQ(std::count(m.boundary.begin(), m.boundary.end(), 1), 32);
  EXPECT_NEAR(m.area(), 1.0, 1e-14);
  expect_sane(m, 0);
}

TEST(TriangleMesh, HolesAreCutWithNodesOnTheCircles) {
  std::vector<kono::CircularHole> const holes{{0.3, 0.3, 0.12}, {0.7, 0.35, 0.1}, {0.5, 0.72, 0.15}};
  double exact = 1;
  for (auto const& h : holes) exact -= pi * h.r * h.r;
  double previous = 1;
  for (kono::index_t n : {33, 65, 129}) {
    auto const m = kono::box_mesh_with_holes(n, holes);
    expect_sane(m, 3);
    double const h = 1.0 / double(n - 1);
    // Inscribed polygons: the area misses O(h^2) per hole.
    double const err = std::abs(m.area() - exact);
    EXPECT_LT(err, 3 * 2 * pi * 0.15 * h * h) << "n = " << n;
    EXPECT_LT(err, previous) << "n = " << n;
    previous = err;
    // Every boundary node is on the box edge or on a circle (a few may be held back by the
    // squash guard, within h of their circle).
    int on_circle = 0, held = 0;
    for (kono::index_t i = 0; i < m.node_count(); ++i) {
      if (!m.boundary[std::size_t(i)]) continue;
      double const x = m.nodes[std::size_t(2 * i)], y = m.nodes[std::size_t(2 * i + 1)];
      if (x == 0 || y == 0 || x == 1 || y == 1) continue;
      double best = 1;
      for (auto const& c : holes) best = std::min(best, std::abs(std::hypot(x - c.cx, y - c.cy) - c.r));
      ASSERT_LT(best, 1.5 * h) << "node " << i << " at " << x << ", " << y;
      (best < 1e-12 ? on_circle : held) += 1;
    }
    EXPECT_GT(on_circle, 0);
    EXPECT_LE(held, on_circle / 10) << "n = " << n;
    // No node lies inside a hole.
    for (kono::index_t i = 0; i < m.node_count(); ++i)
      for (auto const& c : holes)
        ASSERT_GE(std::hypot(m.nodes[std::size_t(2 * i)] - c.cx, m.nodes[std::size_t(2 * i + 1)] - c.cy), c.r - 1e-12);
  }
}

TEST(TriangleMesh, RandomHolesDependOnSeedAndSampleOnly) {
  kono::HoleSamplingOptions o;
  o.min_holes = 1;
  o.max_holes = 4;
  auto const a = kono::random_holes(o, 33, 5, 3);
  auto const b = kono::random_holes(o, 33, 5, 3);
  auto const c = kono::random_holes(o, 33, 5, 4);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].cx, b[j].cx);
  EXPECT_TRUE(a.size() != c.size() || a[0].cx != c[0].cx);
  int counts[5] = {0, 0, 0, 0, 0};
  for (kono::index_t k = 0; k < 40; ++k) {
    auto const holes = kono::random_holes(o, 33, 1, k);
    ASSERT_GE(holes.size(), 1u);
    ASSERT_LE(holes.size(), 4u);
    ++counts[holes.size()];
    for (auto const& h : holes) {
      EXPECT_GE(h.r, o.min_radius);
      EXPECT_LE(h.r, o.max_radius);
      EXPECT_GE(std::min({h.cx, h.cy, 1 - h.cx, 1 - h.cy}) - h.r, o.margin - 1e-15);
    }
    expect_sane(kono::box_mesh_with_holes(33, holes), int(holes.size()));  // the meshes build
  }
  for (int k = 1; k <= 4; ++k) EXPECT_GT(counts[k], 0) << k << " holes never drawn";
}

TEST(PoissonMesh, ManufacturedSolutionConvergesAtSecondOrderOnTheBox) {
  init_petsc();
  for (std::string const assembly : {"petscfe", "direct"}) {
    double const e17 = mms_l2(17, {}, assembly), e33 = mms_l2(33, {}, assembly), e65 = mms_l2(65, {}, assembly);
    double const p1 = std::log2(e17 / e33), p2 = std::log2(e33 / e65);
    std::printf("box, %s: L2 errors %.3e %.3e %.3e, orders %.3f %.3f\n", assembly.c_str(), e17, e33, e65, p1, p2);
    EXPECT_NEAR(p1, 2.0, 0.15) << assembly << ": " << e17 << " " << e33;
    EXPECT_NEAR(p2, 2.0, 0.1) << assembly << ": " << e33 << " " << e65;
    EXPECT_LT(e65, 1e-3) << assembly;
  }
}

TEST(PoissonMesh, ManufacturedSolutionConvergesAtSecondOrderAroundAHole) {
  init_petsc();
  std::vector<kono::CircularHole> const hole{{0.45, 0.55, 0.2}};
  for (std::string const assembly : {"petscfe", "direct"}) {
    double const e17 = mms_l2(17, hole, assembly), e33 = mms_l2(33, hole, assembly), e65 = mms_l2(65, hole, assembly);
    double const p1 = std::log2(e17 / e33), p2 = std::log2(e33 / e65);
    std::printf("hole, %s: L2 errors %.3e %.3e %.3e, orders %.3f %.3f\n", assembly.c_str(), e17, e33, e65, p1, p2);
    EXPECT_NEAR(p1, 2.0, 0.3) << assembly << ": " << e17 << " " << e33;
    EXPECT_NEAR(p2, 2.0, 0.3) << assembly << ": " << e33 << " " << e65;
  }
}

TEST(PoissonMesh, PetscFEAndDirectAssemblyAgree) {
  init_petsc();
  // Three holes, a rough lognormal coefficient, a varying source and boundary value. Both paths
  // integrate the P1 forms of the interpolated a and f exactly, so they differ by the solver
  // tolerance only, far below the discretisation error (MMS L2 error ~1e-3 at this resolution).
  auto const mesh = kono::box_mesh_with_holes(33, {{0.3, 0.3, 0.12}, {0.7, 0.35, 0.1}, {0.5, 0.72, 0.15}});
  std::vector<double> a = kono::random_fourier_field(mesh.nodes, 11, 0, 2, 0.15);
  for (double& v : a) v = std::exp(v);
  auto const f = at_nodes(mesh, [](double x, double y) { return 1 + std::sin(3 * x) * y; });
  auto const g = at_nodes(mesh, [](double x, double y) { return x - 0.5 * y; });
  std::vector<double> u_fe, u_direct;
  kono::PoissonMeshSolverOptions o;
  o.rtol = 1e-12;
  kono::PoissonMeshSolver fe(o);
  EXPECT_EQ(fe.options().assembly, "petscfe");  // the default
  EXPECT_TRUE(fe.solve(mesh, a, f, u_fe, 0, g).converged());
  o.assembly = "direct";
  kono::PoissonMeshSolver direct(o);
  EXPECT_TRUE(direct.solve(mesh, a, f, u_direct, 0, g).converged());
  ASSERT_EQ(u_fe.size(), u_direct.size());
  Fn const zero = [](double, double) { return 0.0; };
  std::vector<double> diff(u_fe.size());
  for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = u_fe[i] - u_direct[i];
  double const rel = l2_error(mesh, diff, zero) / l2_error(mesh, u_direct, zero);
  std::printf("petscfe vs direct: relative L2 difference %.3e\n", rel);
  EXPECT_LT(rel, 1e-9);
  for (std::size_t i = 0; i < diff.size(); ++i) {
    if (mesh.boundary[i]) {
      ASSERT_EQ(u_fe[i], g[i]) << "node " << i;
    }
  }
}

void write_text(std::string const& path, std::string const& text) {
  std::ofstream out(path);
  out << text;
}

TEST(PoissonMesh, GmshFileIsReadThroughDMPlex) {
  init_petsc();
  kono::test::TempDir dir("poisson_mesh_gmsh");
  // Four triangles around the centre: with a = f = 1, P1 gives u(centre) = (1/3) / 4.
  write_text(dir.file("square.msh"),
             "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n5\n1 0 0 0\n2 1 0 0\n3 1 1 0\n4 0 1 0\n5 0.5 0.5 0\n"
             "$EndNodes\n$Elements\n4\n1 2 2 1 1 1 2 5\n2 2 2 1 1 2 3 5\n3 2 2 1 1 3 4 5\n4 2 2 1 1 4 1 5\n"
             "$EndElements\n");
  auto const m = kono::read_triangle_mesh(dir.file("square.msh"));
  EXPECT_EQ(m.node_count(), 5);
  EXPECT_EQ(m.cell_count(), 4);
  EXPECT_EQ(m.edge_count(), 8);
  EXPECT_NEAR(m.area(), 1.0, 1e-15);
  expect_sane(m, 0);
  kono::index_t centre = -1;
  for (kono::index_t i = 0; i < 5; ++i)
    if (m.nodes[std::size_t(2 * i)] == 0.5) centre = i;
  ASSERT_GE(centre, 0);
  EXPECT_EQ(m.boundary[std::size_t(centre)], 0);
  EXPECT_EQ(std::count(m.boundary.begin(), m.boundary.end(), 1), 4);
  kono::PoissonMeshSolver solver;
  std::vector<double> u;
  solver.solve(m, std::vector<double>(5, 1.0), std::vector<double>(5, 1.0), u);
  EXPECT_NEAR(u[std::size_t(centre)], 1.0 / 12.0, 1e-12);

  // A box mesh with a hole written as Gmsh 2.2 and read back: same mesh, same solution.
  auto const box = kono::box_mesh_with_holes(17, {{0.5, 0.5, 0.2}});
  kono::write_gmsh22(box, dir.file("box.msh"));
  auto const back = kono::read_triangle_mesh(dir.file("box.msh"));
  ASSERT_EQ(back.node_count(), box.node_count());
  ASSERT_EQ(back.cell_count(), box.cell_count());
  EXPECT_EQ(back.edge_count(), box.edge_count());
  EXPECT_NEAR(back.area(), box.area(), 1e-13);
  Fn const one = [](double x, double y) { return 1 + x * y; };
  std::vector<double> u1, u2;
  solver.solve(box, at_nodes(box, one), at_nodes(box, one), u1);
  solver.solve(back, at_nodes(back, one), at_nodes(back, one), u2);
  // Match nodes by coordinates (DMPlex may renumber).
  std::map<std::pair<double, double>, double> by_xy;
  for (kono::index_t i = 0; i < box.node_count(); ++i)
    by_xy[{box.nodes[std::size_t(2 * i)], box.nodes[std::size_t(2 * i + 1)]}] = u1[std::size_t(i)];
  for (kono::index_t i = 0; i < back.node_count(); ++i) {
    auto const it = by_xy.find({back.nodes[std::size_t(2 * i)], back.nodes[std::size_t(2 * i + 1)]});
    ASSERT_NE(it, by_xy.end()) << "node " << i;
    EXPECT_NEAR(u2[std::size_t(i)], it->second, 1e-9);
  }
}

TEST(PoissonMesh, PetscOptionsOverrideTheDefaults) {
  init_petsc();
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-meshtest_ksp_type", "gmres"));
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-meshtest_pc_type", "jacobi"));
  KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, "-meshtest_ksp_rtol", "1e-6"));
  kono::PoissonMeshSolverOptions o;
  o.options_prefix = "meshtest_";
  kono::PoissonMeshSolver solver(o);
  auto const m = kono::box_mesh_with_holes(9);
  std::vector<double> u;
  auto const info = solver.solve(m, std::vector<double>(81, 1.0), std::vector<double>(81, 1.0), u);
  EXPECT_TRUE(info.converged());
  EXPECT_EQ(solver.ksp_type(), "gmres");
  EXPECT_EQ(solver.pc_type(), "jacobi");
  EXPECT_DOUBLE_EQ(solver.rtol(), 1e-6);
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-meshtest_ksp_type"));
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-meshtest_pc_type"));
  KONO_PETSC_CHECK(PetscOptionsClearValue(nullptr, "-meshtest_ksp_rtol"));
  // The defaults: CG + GAMG; the maximum of u for f = 1 on the unit square is about 0.0737.
  kono::PoissonMeshSolver plain;
  auto const m33 = kono::box_mesh_with_holes(33);
  auto const i2 = plain.solve(m33, std::vector<double>(33 * 33, 1.0), std::vector<double>(33 * 33, 1.0), u);
  EXPECT_EQ(plain.ksp_type(), "cg");
  EXPECT_EQ(plain.pc_type(), "gamg");
  EXPECT_EQ(i2.reason_name, "CONVERGED_RTOL");
  EXPECT_NEAR(*std::max_element(u.begin(), u.end()), 0.07367, 5e-4);
}

TEST(PoissonMesh, BadInputIsNamed) {
  init_petsc();
  kono::test::TempDir dir("poisson_mesh_bad");
  EXPECT_KONO_ERROR(kono::read_triangle_mesh(dir.file("missing.msh")), file_io, "missing.msh");
  write_text(dir.file("corrupt.msh"), "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\nthree\n$EndNodes\n");
  EXPECT_KONO_ERROR(kono::read_triangle_mesh(dir.file("corrupt.msh")), corrupt_file, "corrupt.msh");
  EXPECT_KONO_ERROR(kono::box_mesh_with_holes(2), invalid_argument, "resolution = 2 nodes per side");
  EXPECT_KONO_ERROR(kono::box_mesh_with_holes(17, {{0.5, 0.5, 0.03}}), invalid_argument, "below the mesh size");
  EXPECT_KONO_ERROR(kono::box_mesh_with_holes(17, {{0.1, 0.5, 0.08}}), invalid_argument, "from the box edge");
  EXPECT_KONO_ERROR(kono::box_mesh_with_holes(33, {{0.3, 0.5, 0.15}, {0.65, 0.5, 0.15}}), invalid_argument,
                    "holes 0 and 1 are");
  kono::HoleSamplingOptions h;
  h.max_holes = 30;
  h.min_radius = 0.1;
  h.max_radius = 0.15;
  EXPECT_KONO_ERROR(h.validate(33), invalid_argument, "holes cannot fit: 30 holes");
  h.max_holes = 1;
  h.min_radius = h.max_radius = 0.46;
  EXPECT_KONO_ERROR(h.validate(33), invalid_argument, "holes cannot fit: radius 0.46");
  h.min_radius = 0.01;
  h.max_radius = 0.1;
  EXPECT_KONO_ERROR(h.validate(33), invalid_argument, "min_radius = 0.01 is below the mesh size");
  // Feasible by area, but too crowded for the sampler.
  h.min_holes = h.max_holes = 12;
  h.min_radius = 0.08;
  h.max_radius = 0.12;
  EXPECT_KONO_ERROR(kono::random_holes(h, 33, 0, 7), invalid_argument, "sample 7: could not place 12 holes");

  auto const m = kono::box_mesh_with_holes(9);
  kono::PoissonMeshSolver solver;
  std::vector<double> ones(81, 1.0), u;
  std::vector<double> bad = ones;
  bad[40] = 0;
  EXPECT_KONO_ERROR(solver.solve(m, bad, ones, u, 5), invalid_argument, "sample 5: coefficient a = 0 at node 40");
  EXPECT_KONO_ERROR(solver.solve(m, ones, std::vector<double>(80, 1.0), u, 5), size_mismatch, "81 nodes");
  kono::PoissonMeshSolverOptions o;
  o.max_iterations = 1;
  o.pc_type = "none";
  kono::PoissonMeshSolver capped(o);
  EXPECT_KONO_ERROR(capped.solve(m, ones, ones, u, 3), invalid_argument, "sample 3 did not converge: KSP reason DIVERGED_ITS");
  o.throw_on_divergence = false;
  kono::PoissonMeshSolver recording(o);
  EXPECT_LT(recording.solve(m, ones, ones, u, 3).converged_reason, 0);
  o.rtol = 2;
  EXPECT_KONO_ERROR(kono::PoissonMeshSolver{o}, invalid_argument, "rtol = 2");
  o.rtol = 1e-8;
  o.assembly = "fem";
  EXPECT_KONO_ERROR(kono::PoissonMeshSolver{o}, invalid_argument, "assembly = \"fem\", choose petscfe or direct");
}

TEST(PoissonMesh, RandomFourierFieldIsDeterministicWithUnitVariance) {
  std::vector<double> xy;
  for (int j = 0; j < 50; ++j)
    for (int i = 0; i < 50; ++i) xy.insert(xy.end(), {i / 49.0, j / 49.0});
  auto const g = kono::random_fourier_field(xy, 3, 1, 2, 0.15);
  EXPECT_EQ(g, kono::random_fourier_field(xy, 3, 1, 2, 0.15));
  EXPECT_NE(g, kono::random_fourier_field(xy, 3, 1, 3, 0.15));
  // Variance over many samples at one point: 1 (each term contributes cos^2 of a uniform phase).
  double s2 = 0;
  int const samples = 400;
  for (int k = 0; k < samples; ++k) {
    double const v = kono::random_fourier_field({0.3, 0.6}, 9, k, 2, 0.15)[0];
    s2 += v * v;
  }
  EXPECT_NEAR(s2 / samples, 1.0, 0.2);
  EXPECT_KONO_ERROR(kono::random_fourier_field(xy, 3, 1, 2, 0.0), invalid_argument, "length_scale = 0");
}

}  // namespace
