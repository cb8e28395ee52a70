// Mesh Poisson data generation on 1 and 2 ranks: every dataset of the file is the same bits as a
// MPI_COMM_SELF run, the ragged layout is consistent, a Gmsh mesh file drives all samples,
// provenance, bad input leaves no file.
#include <petscsys.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/poisson_mesh_dataset.hpp>
#include <kono/solvers/triangle_mesh.hpp>

#include "support/kono_test.hpp"

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

kono::PoissonMeshDatasetOptions small_options(std::string const& out) {
  kono::PoissonMeshDatasetOptions o;
  o.out = out;
  o.group = "train";
  o.samples = 5;
  o.resolution = 21;
  o.seed = 11;
  o.holes.min_holes = 1;
  o.holes.max_holes = 3;
  o.forcing_scale = 0.5;
  o.progress_seconds = 0;
  return o;
}

std::vector<std::string> const all_datasets{
    "/train/nodes",        "/train/cells",        "/train/edges",        "/train/x",
    "/train/y",            "/train/holes",        "/train/node_offsets", "/train/cell_offsets",
    "/train/edge_offsets", "/train/hole_offsets", "/train/solver/iterations", "/train/solver/residual_norms",
    "/train/solver/converged_reason"};

TEST(PoissonMeshDataset, SameBitsOnTheWorldCommunicatorAndOnOneRank) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("poisson_mesh_repro", MPI_COMM_WORLD);
  auto const o = small_options(dir.file("world.h5"));
  auto const report = kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD);
  EXPECT_EQ(report.samples, 5);
  EXPECT_EQ(report.ksp_type, "cg");
  EXPECT_EQ(report.pc_type, "gamg");
  auto const s = small_options(dir.file("self_" + std::to_string(world_rank()) + ".h5"));
  kono::generate_poisson_mesh_dataset(s, MPI_COMM_SELF);
  kono::Hdf5File world(o.out, MPI_COMM_SELF), self(s.out, MPI_COMM_SELF);
  EXPECT_EQ(world.list_datasets(), self.list_datasets());
  for (auto const& name : all_datasets) {
    ASSERT_TRUE(world.has_dataset(name)) << name;
    EXPECT_EQ(world.dataset_info(name).shape, self.dataset_info(name).shape) << name;
    auto const a = world.read_array<double>(name);
    auto const b = self.read_array<double>(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << name << " differs at " << i;
  }

  // The ragged layout: offsets, local indices, boundary channel, u = 0 on the boundary.
  auto const no = world.read_array<std::int64_t>("/train/node_offsets");
  auto const co = world.read_array<std::int64_t>("/train/cell_offsets");
  auto const eo = world.read_array<std::int64_t>("/train/edge_offsets");
  auto const ho = world.read_array<std::int64_t>("/train/hole_offsets");
  ASSERT_EQ(no.size(), 6u);
  EXPECT_EQ(report.total_nodes, no.back());
  EXPECT_EQ(world.dataset_info("/train/nodes").shape, (kono::Shape{no.back(), 2}));
  EXPECT_EQ(world.dataset_info("/train/x").shape, (kono::Shape{no.back(), 3}));
  EXPECT_EQ(world.dataset_info("/train/y").shape, (kono::Shape{no.back(), 1}));
  EXPECT_EQ(world.dataset_info("/train/cells").shape, (kono::Shape{co.back(), 3}));
  EXPECT_EQ(world.dataset_info("/train/cells").element_type, kono::Hdf5ElementType::int32);
  EXPECT_EQ(world.dataset_info("/train/edges").shape, (kono::Shape{eo.back(), 2}));
  auto const nodes = world.read_array<double>("/train/nodes");
  auto const cells = world.read_array<std::int64_t>("/train/cells");
  auto const edges = world.read_array<std::int64_t>("/train/edges");
  auto const holes = world.read_array<double>("/train/holes");
  auto const x = world.read_array<double>("/train/x");
  auto const y = world.read_array<double>("/train/y");
  std::vector<kono::index_t> sizes;
  for (std::size_t k = 0; k < 5; ++k) {
    // Rebuild sample k's mesh from its holes: the stored one must be the same.
    std::vector<kono::CircularHole> hk;
    for (auto j = ho[k]; j < ho[k + 1]; ++j)
      hk.push_back({holes[std::size_t(3 * j)], holes[std::size_t(3 * j + 1)], holes[std::size_t(3 * j + 2)]});
    EXPECT_GE(hk.size(), 1u);
    auto const mesh = kono::box_mesh_with_holes(21, hk);
    ASSERT_EQ(mesh.node_count(), no[k + 1] - no[k]) << "sample " << k;
    ASSERT_EQ(mesh.cell_count(), co[k + 1] - co[k]);
    ASSERT_EQ(mesh.edge_count(), eo[k + 1] - eo[k]);
    for (kono::index_t i = 0; i < 2 * mesh.node_count(); ++i)
      ASSERT_EQ(nodes[std::size_t(2 * no[k] + i)], mesh.nodes[std::size_t(i)]);
    for (kono::index_t i = 0; i < 3 * mesh.cell_count(); ++i)
      ASSERT_EQ(cells[std::size_t(3 * co[k] + i)], mesh.cells[std::size_t(i)]);
    for (kono::index_t i = 0; i < 2 * mesh.edge_count(); ++i)
      ASSERT_EQ(edges[std::size_t(2 * eo[k] + i)], mesh.edges[std::size_t(i)]);
    int positive = 0;
    for (kono::index_t i = 0; i < mesh.node_count(); ++i) {
      std::size_t const r = std::size_t(no[k] + i);
      EXPECT_GT(x[3 * r], 0.0);
      EXPECT_EQ(x[3 * r + 2], double(mesh.boundary[std::size_t(i)]));
      if (mesh.boundary[std::size_t(i)]) {
        EXPECT_EQ(y[r], 0.0);
      }
      positive += y[r] > 0 ? 1 : 0;
    }
    EXPECT_GT(positive, mesh.node_count() / 2);
    sizes.push_back(mesh.node_count());
  }
  EXPECT_NE(*std::min_element(sizes.begin(), sizes.end()), *std::max_element(sizes.begin(), sizes.end()))
      << "the geometry should vary over the samples";
  EXPECT_EQ(world.read_attribute<std::string>("/train", "problem"), "poisson_mesh");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "mesh"), "box_with_holes");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "seed"), "11");
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "resolution"), 21);
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "holes_max"), 3);
  EXPECT_EQ(world.read_attribute<std::string>("/train", "pc_type"), "gamg");
  EXPECT_EQ(world.read_attribute<std::string>("/train", "assembly"), "petscfe");  // the default
  EXPECT_NE(world.read_attribute<std::string>("/train", "discretisation").find("PetscFE"), std::string::npos);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "ksp_rtol"), 1e-10);
  EXPECT_EQ(world.read_attribute<std::vector<std::string>>("/train", "x_channels"),
            (std::vector<std::string>{"a", "f", "boundary"}));
  auto const reasons = world.read_array<std::int64_t>("/train/solver/converged_reason");
  for (auto r : reasons) EXPECT_GT(r, 0);
}

TEST(PoissonMeshDataset, MeshFileGivesEverySampleTheSameGeometry) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("poisson_mesh_file", MPI_COMM_WORLD);
  if (world_rank() == 0) kono::write_gmsh22(kono::box_mesh_with_holes(17, {{0.5, 0.5, 0.2}}), dir.file("m.msh"));
  MPI_Barrier(MPI_COMM_WORLD);
  auto o = small_options(dir.file("file.h5"));
  o.group = "";
  o.samples = 3;
  o.mesh_file = dir.file("m.msh");
  o.coefficient = kono::MeshCoefficient::threshold;
  o.boundary_value = 0.25;
  o.solver.assembly = "direct";
  kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD);
  kono::Hdf5File f(o.out, MPI_COMM_SELF);
  auto const no = f.read_array<std::int64_t>("/node_offsets");
  auto const nodes = f.read_array<double>("/nodes");
  auto const x = f.read_array<double>("/x");
  auto const y = f.read_array<double>("/y");
  std::size_t const n = std::size_t(no[1]);
  ASSERT_EQ(no, (std::vector<std::int64_t>{0, std::int64_t(n), std::int64_t(2 * n), std::int64_t(3 * n)}));
  EXPECT_EQ(f.dataset_info("/holes").shape, (kono::Shape{0, 3}));
  bool a_differs = false;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(nodes[2 * (n + i)], nodes[2 * i]);
    a_differs = a_differs || x[3 * (n + i)] != x[3 * i];
    EXPECT_TRUE(x[3 * i] == 12.0 || x[3 * i] == 3.0);
    if (x[3 * i + 2] == 1.0) {
      EXPECT_EQ(y[i], 0.25);
    }
  }
  EXPECT_TRUE(a_differs);
  EXPECT_EQ(f.read_attribute<std::string>("/", "mesh_file"), o.mesh_file);
  EXPECT_EQ(f.read_attribute<std::string>("/", "coefficient"), "threshold");
  EXPECT_EQ(f.read_attribute<std::string>("/", "assembly"), "direct");
}

TEST(PoissonMeshDataset, BadInputLeavesNoFile) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("poisson_mesh_bad", MPI_COMM_WORLD);
  auto o = small_options(dir.file("bad.h5"));
  o.holes.max_holes = 40;
  EXPECT_KONO_ERROR(kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD), invalid_argument, "holes cannot fit");
  o = small_options(dir.file("bad.h5"));
  o.resolution = 2;
  EXPECT_KONO_ERROR(kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD), invalid_argument, "resolution = 2");
  o = small_options(dir.file("bad.h5"));
  o.mesh_file = dir.file("none.msh");
  EXPECT_KONO_ERROR(kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD), file_io, "none.msh");
  o = small_options(dir.file("bad.h5"));
  o.solver.max_iterations = 1;
  EXPECT_KONO_ERROR(kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD), invalid_argument, "did not converge");
  o = small_options(dir.file("bad.h5"));
  o.solver.assembly = "fem";
  EXPECT_KONO_ERROR(kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD), invalid_argument, "assembly = \"fem\"");
  o = small_options("/nonexistent_dir/out.h5");
  EXPECT_KONO_ERROR(kono::generate_poisson_mesh_dataset(o, MPI_COMM_WORLD), file_io, "/nonexistent_dir");
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.h5")));
}

}  // namespace
