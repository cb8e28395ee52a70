#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <kono/core/config.hpp>
#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/core/tensor.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/sample_shard.hpp>
#include "dataset_common.hpp"
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/poisson_mesh_dataset.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {

namespace {

// Streams of sample_seed(seed, k, stream): 1 is random_holes().
constexpr std::uint64_t coefficient_stream = 2;
constexpr std::uint64_t source_stream = 3;

// Offsets [N+1] from per-sample counts.
std::vector<std::int64_t> offsets_of(std::vector<std::int64_t> const& counts) {
  std::vector<std::int64_t> off(counts.size() + 1, 0);
  for (std::size_t k = 0; k < counts.size(); ++k) off[k + 1] = off[k] + counts[k];
  return off;
}

Tensor<HostSpace, double> rows_tensor(char const* label, std::vector<double> const& v, index_t width) {
  Tensor<HostSpace, double> t(label, Shape{index_t(v.size()) / width, width});
  std::copy(v.begin(), v.end(), t.data().data());
  return t;
}

}  // namespace

std::vector<double> random_fourier_field(std::vector<double> const& xy, std::uint64_t seed, index_t sample,
                                         std::uint64_t stream, double length_scale, int terms) {
  KONO_USER_REQUIRE(std::isfinite(length_scale) && length_scale > 0, invalid_argument,
                    "kono::random_fourier_field: length_scale = " << length_scale << ", expected a value > 0");
  KONO_USER_REQUIRE(terms >= 1, invalid_argument, "kono::random_fourier_field: terms = " << terms << ", expected >= 1");
  std::uint64_t const s = sample_seed(seed, sample, stream);
  std::size_t const nt = static_cast<std::size_t>(terms);
  std::vector<double> wx(nt), wy(nt), b(nt);
  for (int k = 0; k < terms; ++k) {
    wx[std::size_t(k)] = hashed_normal(s, std::uint64_t(2 * k)) / length_scale;
    wy[std::size_t(k)] = hashed_normal(s, std::uint64_t(2 * k + 1)) / length_scale;
    b[std::size_t(k)] = 2.0 * M_PI * double(sample_seed(s, k) >> 11) * 0x1p-53;
  }
  double const amp = std::sqrt(2.0 / double(terms));
  std::vector<double> g(xy.size() / 2, 0.0);
  for (std::size_t i = 0; i < g.size(); ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < wx.size(); ++k) sum += std::cos(wx[k] * xy[2 * i] + wy[k] * xy[2 * i + 1] + b[k]);
    g[i] = amp * sum;
  }
  return g;
}

char const* to_string(MeshCoefficient c) noexcept {
  switch (c) {
    case MeshCoefficient::lognormal: return "lognormal";
    case MeshCoefficient::threshold: return "threshold";
  }
  return "unknown";
}

void PoissonMeshDatasetOptions::validate() const {
  char const* fq = "kono::generate_poisson_mesh_dataset";
  detail::validate_dataset_output(fq, out, samples, dtype, group);
  if (mesh_file.empty()) {
    KONO_USER_REQUIRE(resolution >= box_mesh_min_resolution, invalid_argument,
                      fq << ": resolution = " << resolution << " nodes per side, expected at least "
                         << box_mesh_min_resolution);
    try {
      holes.validate(resolution);
    } catch (Error const& e) {
      KONO_THROW(invalid_argument, fq << ": " << e.what());
    }
  }
  KONO_USER_REQUIRE(std::isfinite(length_scale) && length_scale > 0, invalid_argument,
                    fq << ": length_scale = " << length_scale << ", expected a value > 0");
  if (coefficient == MeshCoefficient::lognormal) {
    KONO_USER_REQUIRE(std::isfinite(lognormal_scale), invalid_argument,
                      fq << ": lognormal_scale = " << lognormal_scale << " is not finite");
  } else {
    KONO_USER_REQUIRE(std::isfinite(high) && high > 0 && std::isfinite(low) && low > 0, invalid_argument,
                      fq << ": phase values high = " << high << ", low = " << low << ", expected finite values > 0");
  }
  KONO_USER_REQUIRE(std::isfinite(forcing) && std::isfinite(forcing_scale) && std::isfinite(boundary_value),
                    invalid_argument,
                    fq << ": forcing = " << forcing << ", forcing_scale = " << forcing_scale << ", boundary_value = "
                       << boundary_value << ": expected finite values");
  try {
    solver.validate();
  } catch (Error const& e) {
    KONO_THROW(invalid_argument, fq << ": " << e.what());
  }
}

PoissonMeshDatasetReport generate_poisson_mesh_dataset(PoissonMeshDatasetOptions const& options, MPI_Comm comm) {
  options.validate();
  detail::require_petsc("kono::generate_poisson_mesh_dataset");
  auto const t0 = std::chrono::steady_clock::now();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  index_t const N = options.samples;
  std::string const g = detail::dataset_group_path(options.group);
  SampleShard const shard = shard_samples(N, comm);
  bool const from_file = !options.mesh_file.empty();

  // Per-sample counts and solver results: each rank fills its own entries, then a sum.
  std::vector<std::int64_t> node_counts(std::size_t(N), 0), cell_counts(std::size_t(N), 0),
      edge_counts(std::size_t(N), 0), hole_counts(std::size_t(N), 0), iterations(std::size_t(N), 0),
      reasons(std::size_t(N), 0);
  std::vector<double> residuals(std::size_t(N), 0.0);
  // This rank's rows, concatenated over its samples.
  std::vector<double> nodes, x, y, holes;
  std::vector<std::int64_t> cells, edges;
  char ksp_type[64] = "", pc_type[64] = "";
  double tol[3] = {0, 0, 0};
  double solve_seconds = 0;

  Impl::collective_check(comm, [&] {
    TriangleMesh file_mesh;
    if (from_file) file_mesh = read_triangle_mesh(options.mesh_file);
    if (shard.count == 0) return;
    PoissonMeshSolverOptions so = options.solver;
    so.throw_on_divergence = options.stop_on_divergence;
    PoissonMeshSolver solver(so);
    auto const start = std::chrono::steady_clock::now();
    auto last = start;
    for (index_t s = 0; s < shard.count; ++s) {
      index_t const k = shard.first + s;
      std::size_t const ks = std::size_t(k);
      TriangleMesh generated;
      if (!from_file) {
        std::vector<CircularHole> const hk = random_holes(options.holes, options.resolution, options.seed, k);
        for (auto const& h : hk) holes.insert(holes.end(), {h.cx, h.cy, h.r});
        hole_counts[ks] = std::int64_t(hk.size());
        generated = box_mesh_with_holes(options.resolution, hk);
      }
      TriangleMesh const& mesh = from_file ? file_mesh : generated;
      std::size_t const n = std::size_t(mesh.node_count());
      std::vector<double> a =
          random_fourier_field(mesh.nodes, options.seed, k, coefficient_stream, options.length_scale);
      for (double& v : a)
        v = options.coefficient == MeshCoefficient::lognormal ? std::exp(options.lognormal_scale * v)
                                                              : (v > 0 ? options.high : options.low);
      std::vector<double> f(n, options.forcing);
      if (options.forcing_scale != 0) {
        std::vector<double> const gf =
            random_fourier_field(mesh.nodes, options.seed, k, source_stream, options.length_scale);
        for (std::size_t i = 0; i < n; ++i) f[i] += options.forcing_scale * gf[i];
      }
      std::vector<double> const gb(n, options.boundary_value);
      std::vector<double> u;
      PoissonMeshSolveInfo const info = solver.solve(mesh, a, f, u, k, gb);
      iterations[ks] = info.iterations;
      residuals[ks] = info.residual_norm;
      reasons[ks] = info.converged_reason;
      if (ksp_type[0] == '\0') {
        std::snprintf(ksp_type, sizeof ksp_type, "%s", solver.ksp_type().c_str());
        std::snprintf(pc_type, sizeof pc_type, "%s", solver.pc_type().c_str());
        tol[0] = solver.rtol();
        tol[1] = solver.atol();
        tol[2] = solver.max_iterations();
      }
      node_counts[ks] = std::int64_t(n);
      cell_counts[ks] = mesh.cell_count();
      edge_counts[ks] = mesh.edge_count();
      nodes.insert(nodes.end(), mesh.nodes.begin(), mesh.nodes.end());
      cells.insert(cells.end(), mesh.cells.begin(), mesh.cells.end());
      edges.insert(edges.end(), mesh.edges.begin(), mesh.edges.end());
      for (std::size_t i = 0; i < n; ++i) x.insert(x.end(), {a[i], f[i], double(mesh.boundary[i])});
      y.insert(y.end(), u.begin(), u.end());

      auto const now = std::chrono::steady_clock::now();
      if (rank == 0 && options.progress_seconds > 0 &&
          std::chrono::duration<double>(now - last).count() >= options.progress_seconds) {
        last = now;
        double const elapsed = std::chrono::duration<double>(now - start).count();
        std::printf("kono generate poisson-mesh: %lld/%lld samples on rank 0 (%lld in total), %.3g s per sample\n",
                    static_cast<long long>(s + 1), static_cast<long long>(shard.count), static_cast<long long>(N),
                    elapsed / double(s + 1));
        std::fflush(stdout);
      }
    }
    solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });

  for (auto* v : {&node_counts, &cell_counts, &edge_counts, &hole_counts, &iterations, &reasons})
    MPI_Allreduce(MPI_IN_PLACE, v->data(), int(N), MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, residuals.data(), int(N), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, &solve_seconds, 1, MPI_DOUBLE, MPI_SUM, comm);
  // Rank 0 may own no samples (more ranks than samples); the lowest rank that solved one reports.
  int reporter = ksp_type[0] != '\0' ? rank : size;
  MPI_Allreduce(MPI_IN_PLACE, &reporter, 1, MPI_INT, MPI_MIN, comm);
  MPI_Bcast(ksp_type, sizeof ksp_type, MPI_CHAR, reporter, comm);
  MPI_Bcast(pc_type, sizeof pc_type, MPI_CHAR, reporter, comm);
  MPI_Bcast(tol, 3, MPI_DOUBLE, reporter, comm);
  auto const node_off = offsets_of(node_counts), cell_off = offsets_of(cell_counts),
             edge_off = offsets_of(edge_counts), hole_off = offsets_of(hole_counts);
  index_t const Nn = node_off.back(), Nc = cell_off.back(), Ne = edge_off.back(), Nh = hole_off.back();
  std::size_t const first = std::size_t(shard.first);

  Hdf5Writer w(options.out, comm);
  w.write_samples(g + "/nodes", Shape{Nn, 2}, rows_tensor("kono::poisson_mesh::nodes", nodes, 2), node_off[first],
                  Hdf5ElementType::float64);
  w.write_rows(g + "/cells", Shape{Nc, 3}, cells, cell_off[first], Hdf5ElementType::int32);
  w.write_rows(g + "/edges", Shape{Ne, 2}, edges, edge_off[first], Hdf5ElementType::int32);
  w.write_samples(g + "/x", Shape{Nn, 3}, rows_tensor("kono::poisson_mesh::x", x, 3), node_off[first], options.dtype);
  w.write_samples(g + "/y", Shape{Nn, 1}, rows_tensor("kono::poisson_mesh::y", y, 1), node_off[first], options.dtype);
  w.write_samples(g + "/holes", Shape{Nh, 3}, rows_tensor("kono::poisson_mesh::holes", holes, 3), hole_off[first],
                  Hdf5ElementType::float64);
  w.write_array(g + "/node_offsets", Shape{N + 1}, node_off);
  w.write_array(g + "/cell_offsets", Shape{N + 1}, cell_off);
  w.write_array(g + "/edge_offsets", Shape{N + 1}, edge_off);
  w.write_array(g + "/hole_offsets", Shape{N + 1}, hole_off);
  w.write_array(g + "/solver/iterations", Shape{N}, iterations);
  w.write_array(g + "/solver/residual_norms", Shape{N}, residuals);
  w.write_array(g + "/solver/converged_reason", Shape{N}, reasons);

  std::string const obj = g.empty() ? "/" : g;
  w.write_attribute(obj, "problem", "poisson_mesh");
  w.write_attribute(obj, "equation", "-div(a grad u) = f in the mesh domain, u = boundary_value on its boundary");
  w.write_attribute(obj, "layout",
                    "ragged: sample k owns rows [offsets[k], offsets[k+1]) of nodes/x/y (node_offsets), cells "
                    "(cell_offsets), edges (edge_offsets), holes (hole_offsets); cells and edges hold node indices "
                    "local to the sample");
  w.write_attribute(obj, "x_channels", std::vector<std::string>{"a", "f", "boundary"});
  w.write_attribute(obj, "x_description", "per node: coefficient a, source f, 1 on Dirichlet (boundary) nodes else 0");
  w.write_attribute(obj, "y_description", "per node: solution u (boundary_value on boundary nodes)");
  w.write_attribute(obj, "samples", std::int64_t(N));
  w.write_attribute(obj, "seed", std::to_string(options.seed));
  w.write_attribute(obj, "rng",
                    "sample k: SplitMix64 hash of (seed, k, stream); stream 1 holes, 2 coefficient, 3 source");
  if (from_file) {
    w.write_attribute(obj, "mesh", "file");
    w.write_attribute(obj, "mesh_file", options.mesh_file);
  } else {
    w.write_attribute(obj, "mesh", "box_with_holes");
    w.write_attribute(obj, "mesh_rule",
                      "unit box, resolution nodes per side, squares split along alternating diagonals; triangles "
                      "with a node deeper than h/4 inside a hole dropped; hole-edge nodes moved radially onto the "
                      "circle unless an adjacent triangle would keep < 0.1 of its area");
    w.write_attribute(obj, "resolution", std::int64_t(options.resolution));
    w.write_attribute(obj, "holes_min", std::int64_t(options.holes.min_holes));
    w.write_attribute(obj, "holes_max", std::int64_t(options.holes.max_holes));
    w.write_attribute(obj, "hole_radius_min", options.holes.min_radius);
    w.write_attribute(obj, "hole_radius_max", options.holes.max_radius);
    w.write_attribute(obj, "hole_margin", options.holes.margin);
  }
  w.write_attribute(obj, "assembly", options.solver.assembly);
  w.write_attribute(obj, "discretisation",
                    options.solver.assembly == "petscfe"
                        ? "P1 Lagrange finite elements (DMPlex + PetscFE); a and f P1 auxiliary fields, the weak "
                          "form int a grad u . grad v - f v integrated by PetscFE quadrature (exact for P1 a and f); "
                          "Dirichlet nodes an essential boundary condition (DMAddBoundary), interior block solved"
                        : "P1 Lagrange finite elements (element matrices written out); element coefficient = mean "
                          "of the nodal a (exact for linear a); load = consistent mass matrix times nodal f; "
                          "Dirichlet nodes eliminated symmetrically");
  w.write_attribute(obj, "coefficient", to_string(options.coefficient));
  if (options.coefficient == MeshCoefficient::lognormal) {
    w.write_attribute(obj, "coefficient_rule", "a = exp(lognormal_scale * g)");
    w.write_attribute(obj, "lognormal_scale", options.lognormal_scale);
  } else {
    w.write_attribute(obj, "coefficient_rule", "a = high where g > 0, low elsewhere");
    w.write_attribute(obj, "coefficient_high", options.high);
    w.write_attribute(obj, "coefficient_low", options.low);
  }
  w.write_attribute(obj, "random_function",
                    "g(x) = sqrt(2/64) sum_{k<64} cos(w_k.x + b_k), w_k ~ N(0, I/length_scale^2), b_k ~ U(0, 2pi)");
  w.write_attribute(obj, "length_scale", options.length_scale);
  w.write_attribute(obj, "forcing", options.forcing);
  w.write_attribute(obj, "forcing_scale", options.forcing_scale);
  w.write_attribute(obj, "source_rule", "f = forcing + forcing_scale * g_f (g_f an independent random function)");
  w.write_attribute(obj, "boundary_value", options.boundary_value);
  w.write_attribute(obj, "ksp_type", std::string(ksp_type));
  w.write_attribute(obj, "pc_type", std::string(pc_type));
  w.write_attribute(obj, "ksp_rtol", tol[0]);
  w.write_attribute(obj, "ksp_atol", tol[1]);
  w.write_attribute(obj, "ksp_max_it", std::int64_t(tol[2]));
  w.write_attribute(obj, "ksp_residual", "2-norm of b - A u (unpreconditioned) for CG unless -<prefix>ksp_norm_type");
  w.write_attribute(obj, "petsc_options_prefix", options.solver.options_prefix);
  w.write_attribute(obj, "mpi_ranks", std::int64_t(size));
  w.write_attribute(obj, "divergence_policy", options.stop_on_divergence ? "stop" : "record");
  w.write_attribute(obj, "iterations_max", *std::max_element(iterations.begin(), iterations.end()));
  w.write_attribute(obj, "iterations_min", *std::min_element(iterations.begin(), iterations.end()));
  w.write_attribute(obj, "residual_norm_max", *std::max_element(residuals.begin(), residuals.end()));
  detail::write_run_provenance(w, obj, options.command_line, comm);
  w.commit();

  PoissonMeshDatasetReport r;
  r.samples = N;
  r.total_nodes = Nn;
  r.total_cells = Nc;
  r.total_edges = Ne;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.solve_seconds = solve_seconds;
  r.iterations.assign(iterations.begin(), iterations.end());
  r.residual_norms = residuals;
  r.converged_reasons.assign(reasons.begin(), reasons.end());
  r.ksp_type = ksp_type;
  r.pc_type = pc_type;
  r.rtol = tol[0];
  return r;
}

}  // namespace kono
