// Parallel VTK export on 1, 2 (and 4) ranks: the .pvti of a decomposed field, read back on rank 0
// with vtkXMLPImageDataReader, equals the 1-rank .vti of the same field; .pvtu pieces read back
// as the union of the ranks' meshes; errors on one rank reach every rank and leave no file.
// EXPECT_* only before collectives (a rank leaving a test early would leave the others waiting).
#include <kono/datasets/vtk_export.hpp>

#include <vtkDataArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkSmartPointer.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLPImageDataReader.h>
#include <vtkXMLPUnstructuredGridReader.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "support/kono_test.hpp"

namespace {

using kono::GridDecomposition;
using kono::index_t;
using kono::StructuredGrid;
using kono::VtkPointArray;

MPI_Comm const world = MPI_COMM_WORLD;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(world, &r);
  return r;
}
int world_size() {
  int s = 1;
  MPI_Comm_size(world, &s);
  return s;
}

std::vector<std::string> entries_in(std::string const& dir) {
  std::vector<std::string> names;
  for (auto const& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A non-symmetric field of the node indices, two arrays (one with two components).
double field(index_t i0, index_t i1, index_t i2) { return 1000.0 * i0 + 10.0 * i1 * i1 - 3.0 * i2 + 0.5; }

/// The arrays over nodes [b, b + n) in C order.
std::vector<VtkPointArray> block_arrays(std::array<index_t, 3> const& b, std::array<index_t, 3> const& n) {
  std::vector<VtkPointArray> arrays{{"prediction", {}, 1}, {"flux", {}, 2}};
  for (index_t i0 = b[0]; i0 < b[0] + n[0]; ++i0)
    for (index_t i1 = b[1]; i1 < b[1] + n[1]; ++i1)
      for (index_t i2 = b[2]; i2 < b[2] + n[2]; ++i2) {
        arrays[0].values.push_back(field(i0, i1, i2));
        arrays[1].values.push_back(-field(i0, i1, i2));
        arrays[1].values.push_back(std::sqrt(static_cast<double>(i0 + 2 * i1 + 3 * i2)));
      }
  return arrays;
}

std::vector<VtkPointArray> owned_arrays(GridDecomposition const& d) {
  return block_arrays({d.local_begin(0), d.local_begin(1), d.local_begin(2)},
                      {d.local_extent(0), d.local_extent(1), d.local_extent(2)});
}

template <class Reader>
auto read_xml(std::string const& path) {
  vtkNew<Reader> reader;
  EXPECT_TRUE(reader->CanReadFile(path.c_str())) << path;
  reader->SetFileName(path.c_str());
  reader->Update();
  return vtkSmartPointer<std::remove_pointer_t<decltype(reader->GetOutput())>>(reader->GetOutput());
}

/// The .pvti read back equals the serial .vti: extent, origin, spacing, names, every value.
void expect_same_image(vtkImageData* parallel, vtkImageData* serial) {
  int pe[6], se[6];
  parallel->GetExtent(pe);
  serial->GetExtent(se);
  EXPECT_EQ(std::vector<int>(pe, pe + 6), std::vector<int>(se, se + 6));
  double po[3], so[3], ps[3], ss[3];
  parallel->GetOrigin(po);
  serial->GetOrigin(so);
  parallel->GetSpacing(ps);
  serial->GetSpacing(ss);
  EXPECT_EQ(std::vector<double>(po, po + 3), std::vector<double>(so, so + 3));
  EXPECT_EQ(std::vector<double>(ps, ps + 3), std::vector<double>(ss, ss + 3));
  vtkPointData* pp = parallel->GetPointData();
  vtkPointData* sp = serial->GetPointData();
  ASSERT_EQ(pp->GetNumberOfArrays(), sp->GetNumberOfArrays());
  for (int k = 0; k < sp->GetNumberOfArrays(); ++k) {
    EXPECT_STREQ(pp->GetArrayName(k), sp->GetArrayName(k));
    vtkDataArray* a = pp->GetArray(k);
    vtkDataArray* b = sp->GetArray(k);
    ASSERT_EQ(a->GetNumberOfTuples(), b->GetNumberOfTuples());
    ASSERT_EQ(a->GetNumberOfComponents(), b->GetNumberOfComponents());
    int mismatches = 0;
    for (vtkIdType t = 0; t < a->GetNumberOfTuples(); ++t)
      for (int c = 0; c < a->GetNumberOfComponents(); ++c)
        if (a->GetComponent(t, c) != b->GetComponent(t, c)) ++mismatches;
    EXPECT_EQ(mismatches, 0) << "array " << sp->GetArrayName(k);
  }
}

/// Writes `d`'s field as .pvti and, on rank 0, the whole field as .vti; compares them on rank 0.
void check_decomposition(GridDecomposition const& d, std::string const& tag) {
  kono::test::TempDir dir(tag, world);
  std::string const pvti = dir.file("field.pvti");
  kono::write_pvti(pvti, d, owned_arrays(d));
  MPI_Barrier(world);
  if (world_rank() != 0) return;

  std::vector<std::string> expected{"field.pvti"};
  for (int r = 0; r < d.size(); ++r) expected.push_back("field_" + std::to_string(r) + ".vti");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(entries_in(dir.path()), expected);

  kono::write_vti(dir.file("serial.vti"), d.grid(),
                  block_arrays({0, 0, 0}, {d.global_extent(0), d.global_extent(1), d.global_extent(2)}));
  vtkNew<vtkXMLPImageDataReader> reader;
  reader->SetFileName(pvti.c_str());
  reader->Update();
  EXPECT_EQ(reader->GetNumberOfPieces(), d.size());
  auto serial = read_xml<vtkXMLImageDataReader>(dir.file("serial.vti"));
  expect_same_image(reader->GetOutput(), serial);
}

TEST(VtkExportMpi, SlabPvtiEqualsSerialVti) {
  // 7 x 5 nodes, non-square and non-symmetric field; slabs along axis 0 (4 + 3 nodes on 2 ranks).
  StructuredGrid const grid({7, 5}, {0.125, 0.25}, {-0.5, 1.0}, {false, false});
  if (world_size() > 7) GTEST_SKIP() << "more ranks than nodes along axis 0";
  GridDecomposition const d(grid, world, 0);
  check_decomposition(d, "vtk_pvti_slab");
}

TEST(VtkExportMpi, BlockPvtiEqualsSerialVti3D) {
  // Blocks from MPI_Dims_create: at 4 ranks a 2 x 2 split, so pieces also need corner nodes.
  StructuredGrid const grid({6, 5, 3}, {0.5, 0.25, 1.5}, {0.0, -1.0, 2.0}, {false, true, false});
  GridDecomposition const d = GridDecomposition::blocks(grid, world, 0);
  check_decomposition(d, "vtk_pvti_blocks");
  // Split along the last axis only: pieces overlap in z.
  if (world_size() <= 3) check_decomposition(GridDecomposition(grid, world, 1, {1, 1, world_size()}), "vtk_pvti_z");
}

TEST(VtkExportMpi, PvtuPiecesReadBackAsOneMesh) {
  kono::test::TempDir dir("vtk_pvtu", world);
  int const rank = world_rank(), size = world_size();
  // Rank r: a strip of 2 triangles over [r, r+1] x [0, 1]; shared nodes are repeated.
  kono::VtkTriangleMesh mesh;
  mesh.point_dim = 2;
  double const x0 = rank;
  mesh.points = {x0, 0, x0 + 1, 0, x0, 1, x0 + 1, 1};
  mesh.triangles = {0, 1, 2, 1, 3, 2};
  VtkPointArray u{"prediction", {}, 1};
  for (std::size_t p = 0; p < 4; ++p) u.values.push_back(3.0 * mesh.points[2 * p] - mesh.points[2 * p + 1] + 100.0 * rank);
  std::string const path = dir.file("mesh.pvtu");
  kono::write_pvtu(path, mesh, {u}, world);
  MPI_Barrier(world);
  if (rank != 0) return;
  auto ug = read_xml<vtkXMLPUnstructuredGridReader>(path);
  EXPECT_EQ(ug->GetNumberOfPoints(), 4 * size);
  EXPECT_EQ(ug->GetNumberOfCells(), 2 * size);
  vtkDataArray* a = ug->GetPointData()->GetArray("prediction");
  ASSERT_NE(a, nullptr);
  // Pieces are appended in rank order.
  for (vtkIdType p = 0; p < ug->GetNumberOfPoints(); ++p) {
    double q[3];
    ug->GetPoint(p, q);
    int const r = static_cast<int>(p / 4);
    EXPECT_EQ(a->GetTuple1(p), 3.0 * q[0] - q[1] + 100.0 * r) << "point " << p;
    EXPECT_EQ(q[2], 0.0);
  }
}

TEST(VtkExportMpi, OneRanksBadArrayFailsEveryRankAndLeavesNoFile) {
  kono::test::TempDir dir("vtk_mpi_bad", world);
  StructuredGrid const grid({7, 5}, {0.125, 0.25}, {-0.5, 1.0}, {false, false});
  if (world_size() > 7) GTEST_SKIP();
  GridDecomposition const d(grid, world, 0);
  auto arrays = owned_arrays(d);
  bool const last = world_rank() == world_size() - 1;
  if (last) arrays[0].values.pop_back();
  EXPECT_KONO_ERROR(kono::write_pvti(dir.file("f.pvti"), d, arrays), size_mismatch, "\"prediction\" has");

  // Ranks that disagree on the arrays (only possible on 2+ ranks).
  arrays = owned_arrays(d);
  if (last && world_size() > 1) arrays[1].name = "flux2";
  if (world_size() > 1)
    EXPECT_KONO_ERROR(kono::write_pvti(dir.file("f.pvti"), d, arrays), invalid_argument,
                      "ranks disagree on the point arrays");

  // Missing directory: every rank gets file_io naming the path.
  arrays = owned_arrays(d);
  std::string const missing = dir.file("missing/f.pvti");
  EXPECT_KONO_ERROR(kono::write_pvti(missing, d, arrays), file_io, missing);

  // Overlapping blocks: every rank claims the whole grid.
  if (world_size() > 1) {
    kono::VtkBlock all;
    all.extent = {7, 5, 1};
    EXPECT_KONO_ERROR(kono::write_pvti(dir.file("f.pvti"), grid, all, block_arrays({0, 0, 0}, {7, 5, 1}), world),
                      invalid_argument, "overlap");
  }

  // A bad mesh on the last rank fails the .pvtu on every rank.
  kono::VtkTriangleMesh mesh;
  mesh.points = {0, 0, 1, 0, 0, 1};
  mesh.triangles = {0, 1, last ? 5 : 2};
  EXPECT_KONO_ERROR(kono::write_pvtu(dir.file("m.pvtu"), mesh, {}, world), invalid_argument, "refers to point 5");

  MPI_Barrier(world);
  if (world_rank() == 0) {
    EXPECT_TRUE(entries_in(dir.path()).empty());
  }
}

}  // namespace
