// VTK XML export: every file is read back with VTK's own XML readers and compared with what was
// written (values at the right coordinates, origin, spacing, extents, array names); bad input
// gives a clear kono::Error and leaves no file behind.
#include <kono/datasets/vtk_export.hpp>

#include <vtkCellArray.h>
#include <vtkCellType.h>
#include <vtkDataArray.h>
#include <vtkIdList.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkSmartPointer.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLDataElement.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLPImageDataReader.h>
#include <vtkXMLUnstructuredGridReader.h>
#include <vtkXMLUtilities.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/kono_test.hpp"

namespace {

using kono::index_t;
using kono::StructuredGrid;
using kono::VtkPointArray;

std::vector<char> file_bytes(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> entries_in(std::string const& dir) {
  std::vector<std::string> names;
  for (auto const& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

template <class Reader>
auto read_xml(std::string const& path) {
  vtkNew<Reader> reader;
  EXPECT_TRUE(reader->CanReadFile(path.c_str())) << path;
  reader->SetFileName(path.c_str());
  reader->Update();
  return vtkSmartPointer<std::remove_pointer_t<decltype(reader->GetOutput())>>(reader->GetOutput());
}

std::vector<std::string> array_names(vtkPointData* pd) {
  std::vector<std::string> names;
  for (int k = 0; k < pd->GetNumberOfArrays(); ++k) names.push_back(pd->GetArrayName(k));
  return names;
}

// Non-symmetric fields of the physical coordinates: a transposed or mirrored file cannot match.
double input_at(double x, double y, double z) { return 1.0 + 3.0 * x - 2.0 * y * y + 0.25 * z; }
double prediction_at(double x, double y, double z) { return std::sin(x) + 5.0 * y + x * y - z; }
double reference_at(double x, double y, double z) { return std::sin(x) + 5.0 * y + 0.5 * x * y - z; }

/// The four arrays the CLI writes, sampled at the nodes of `grid` in kono C order.
std::vector<VtkPointArray> cli_arrays(StructuredGrid const& grid) {
  std::vector<VtkPointArray> arrays{{"input", {}, 1}, {"prediction", {}, 1}, {"reference", {}, 1}, {"abs_error", {}, 1}};
  index_t n[3] = {1, 1, 1};
  for (int a = 0; a < grid.dim(); ++a) n[a] = grid.extent(a);
  for (index_t i0 = 0; i0 < n[0]; ++i0)
    for (index_t i1 = 0; i1 < n[1]; ++i1)
      for (index_t i2 = 0; i2 < n[2]; ++i2) {
        double const x = grid.coordinate(0, i0);
        double const y = grid.dim() > 1 ? grid.coordinate(1, i1) : 0.0;
        double const z = grid.dim() > 2 ? grid.coordinate(2, i2) : 0.0;
        arrays[0].values.push_back(input_at(x, y, z));
        arrays[1].values.push_back(prediction_at(x, y, z));
        arrays[2].values.push_back(reference_at(x, y, z));
        arrays[3].values.push_back(std::abs(prediction_at(x, y, z) - reference_at(x, y, z)));
      }
  return arrays;
}

/// Every node of `grid`, looked up by its coordinates in `image`, carries the CLI arrays' values.
void expect_cli_values(StructuredGrid const& grid, vtkImageData* image) {
  index_t n[3] = {1, 1, 1};
  for (int a = 0; a < grid.dim(); ++a) n[a] = grid.extent(a);
  vtkPointData* pd = image->GetPointData();
  vtkDataArray* in = pd->GetArray("input");
  vtkDataArray* pred = pd->GetArray("prediction");
  vtkDataArray* ref = pd->GetArray("reference");
  vtkDataArray* err = pd->GetArray("abs_error");
  ASSERT_TRUE(in && pred && ref && err);
  int mismatches = 0;
  for (index_t i0 = 0; i0 < n[0]; ++i0)
    for (index_t i1 = 0; i1 < n[1]; ++i1)
      for (index_t i2 = 0; i2 < n[2]; ++i2) {
        double p[3] = {grid.coordinate(0, i0), grid.dim() > 1 ? grid.coordinate(1, i1) : 0.0,
                       grid.dim() > 2 ? grid.coordinate(2, i2) : 0.0};
        vtkIdType const id = image->FindPoint(p);
        if (id < 0) {
          ++mismatches;
          continue;
        }
        double q[3];
        image->GetPoint(id, q);
        for (int a = 0; a < 3; ++a) EXPECT_NEAR(q[a], p[a], 1e-12);
        if (in->GetTuple1(id) != input_at(p[0], p[1], p[2])) ++mismatches;
        if (pred->GetTuple1(id) != prediction_at(p[0], p[1], p[2])) ++mismatches;
        if (ref->GetTuple1(id) != reference_at(p[0], p[1], p[2])) ++mismatches;
        if (err->GetTuple1(id) != std::abs(prediction_at(p[0], p[1], p[2]) - reference_at(p[0], p[1], p[2])))
          ++mismatches;
      }
  EXPECT_EQ(mismatches, 0);
}

TEST(VtkExport, VtiNonSquare2DKeepsAxis0AsX) {
  kono::test::TempDir dir("vtk_vti2d");
  StructuredGrid const grid({5, 3}, {0.25, 0.5}, {-1.0, 2.0}, {false, false});
  std::string const path = dir.file("sample.vti");
  kono::write_vti(path, grid, cli_arrays(grid));
  EXPECT_EQ(entries_in(dir.path()), std::vector<std::string>{"sample.vti"});  // no temporary left

  auto image = read_xml<vtkXMLImageDataReader>(path);
  int ext[6];
  image->GetExtent(ext);
  EXPECT_EQ(std::vector<int>(ext, ext + 6), (std::vector<int>{0, 4, 0, 2, 0, 0}));
  double origin[3], spacing[3];
  image->GetOrigin(origin);
  image->GetSpacing(spacing);
  EXPECT_DOUBLE_EQ(origin[0], -1.0);
  EXPECT_DOUBLE_EQ(origin[1], 2.0);
  EXPECT_DOUBLE_EQ(origin[2], 0.0);
  EXPECT_DOUBLE_EQ(spacing[0], 0.25);
  EXPECT_DOUBLE_EQ(spacing[1], 0.5);
  EXPECT_EQ(array_names(image->GetPointData()),
            (std::vector<std::string>{"input", "prediction", "reference", "abs_error"}));
  ASSERT_NE(image->GetPointData()->GetScalars(), nullptr);
  EXPECT_STREQ(image->GetPointData()->GetScalars()->GetName(), "input");
  expect_cli_values(grid, image);

  // The storage order itself: VTK point i0 + 5*i1 is kono node (i0, i1), which is C-order index 3*i0 + i1.
  auto const arrays = cli_arrays(grid);
  vtkDataArray* in = image->GetPointData()->GetArray("input");
  for (index_t i0 = 0; i0 < 5; ++i0)
    for (index_t i1 = 0; i1 < 3; ++i1)
      EXPECT_EQ(in->GetTuple1(i0 + 5 * i1), arrays[0].values[static_cast<std::size_t>(3 * i0 + i1)]);
}

TEST(VtkExport, Vti3DMultiComponentAnd1D) {
  kono::test::TempDir dir("vtk_vti3d");
  // 3D, anisotropic, a 3-component array whose components differ.
  StructuredGrid const grid({4, 3, 2}, {0.5, 0.25, 2.0}, {1.0, -0.5, 0.125}, {true, false, false});
  VtkPointArray velocity{"velocity", {}, 3};
  for (index_t i0 = 0; i0 < 4; ++i0)
    for (index_t i1 = 0; i1 < 3; ++i1)
      for (index_t i2 = 0; i2 < 2; ++i2)
        for (int c = 0; c < 3; ++c) velocity.values.push_back(100.0 * c + 10.0 * i0 + 3.0 * i1 + i2);
  std::string const path = dir.file("v.vti");
  kono::write_vti(path, grid, {velocity});
  auto image = read_xml<vtkXMLImageDataReader>(path);
  int dims[3];
  image->GetDimensions(dims);
  EXPECT_EQ(std::vector<int>(dims, dims + 3), (std::vector<int>{4, 3, 2}));
  double origin[3], spacing[3];
  image->GetOrigin(origin);
  image->GetSpacing(spacing);
  EXPECT_EQ(std::vector<double>(origin, origin + 3), (std::vector<double>{1.0, -0.5, 0.125}));
  EXPECT_EQ(std::vector<double>(spacing, spacing + 3), (std::vector<double>{0.5, 0.25, 2.0}));
  vtkDataArray* v = image->GetPointData()->GetArray("velocity");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->GetNumberOfComponents(), 3);
  EXPECT_EQ(image->GetPointData()->GetScalars(), nullptr);  // no one-component array to colour by
  for (int i0 = 0; i0 < 4; ++i0)
    for (int i1 = 0; i1 < 3; ++i1)
      for (int i2 = 0; i2 < 2; ++i2) {
        int ijk[3] = {i0, i1, i2};
        vtkIdType const id = image->ComputePointId(ijk);
        for (int c = 0; c < 3; ++c) EXPECT_EQ(v->GetComponent(id, c), 100.0 * c + 10.0 * i0 + 3.0 * i1 + i2);
      }

  // 1D: a line of nodes along x.
  StructuredGrid const line({6}, {0.2}, {0.5}, {false});
  std::string const line_path = dir.file("line.vti");
  kono::write_vti(line_path, line, cli_arrays(line));
  auto li = read_xml<vtkXMLImageDataReader>(line_path);
  li->GetDimensions(dims);
  EXPECT_EQ(std::vector<int>(dims, dims + 3), (std::vector<int>{6, 1, 1}));
  expect_cli_values(line, li);
}

TEST(VtkExport, VtiOnUnitBoxMatchesCoordinates) {
  kono::test::TempDir dir("vtk_unit");
  auto const grid = StructuredGrid::unit_box({9, 4}, {false, false});
  std::string const path = dir.file("u.vti");
  kono::write_vti(path, grid, cli_arrays(grid));
  auto image = read_xml<vtkXMLImageDataReader>(path);
  double bounds[6];
  image->GetBounds(bounds);
  EXPECT_DOUBLE_EQ(bounds[0], 0.0);
  EXPECT_DOUBLE_EQ(bounds[1], 1.0);
  EXPECT_DOUBLE_EQ(bounds[2], 0.0);
  EXPECT_DOUBLE_EQ(bounds[3], 1.0);
  expect_cli_values(grid, image);
}

TEST(VtkExport, PvtiOnOneRankReadsBackLikeVti) {
  kono::test::TempDir dir("vtk_pvti1");
  StructuredGrid const grid({5, 3}, {0.25, 0.5}, {-1.0, 2.0}, {false, false});
  kono::VtkBlock block;
  block.extent = {5, 3, 1};
  std::string const path = dir.file("s.pvti");
  kono::write_pvti(path, grid, block, cli_arrays(grid), MPI_COMM_SELF);
  EXPECT_EQ(entries_in(dir.path()), (std::vector<std::string>{"s.pvti", "s_0.vti"}));
  auto image = read_xml<vtkXMLPImageDataReader>(path);
  int ext[6];
  image->GetExtent(ext);
  EXPECT_EQ(std::vector<int>(ext, ext + 6), (std::vector<int>{0, 4, 0, 2, 0, 0}));
  EXPECT_EQ(array_names(image->GetPointData()),
            (std::vector<std::string>{"input", "prediction", "reference", "abs_error"}));
  expect_cli_values(grid, image);
}

TEST(VtkExport, VtuTrianglesRoundTrip) {
  kono::test::TempDir dir("vtk_vtu");
  // Unit square split into two triangles, plus a fifth point in the middle of the top edge.
  kono::VtkTriangleMesh mesh;
  mesh.point_dim = 2;
  mesh.points = {0, 0, 1, 0, 0, 1, 1, 1, 0.5, 1};
  mesh.triangles = {0, 1, 4, 0, 4, 2, 1, 3, 4};
  VtkPointArray u{"prediction", {}, 1}, grad{"gradient", {}, 2};
  for (std::size_t p = 0; p < 5; ++p) {
    double const x = mesh.points[2 * p], y = mesh.points[2 * p + 1];
    u.values.push_back(2.0 * x - 7.0 * y + 0.5);
    grad.values.push_back(x);
    grad.values.push_back(-y - 1.0);
  }
  std::string const path = dir.file("m.vtu");
  kono::write_vtu(path, mesh, {grad, u});
  EXPECT_EQ(entries_in(dir.path()), std::vector<std::string>{"m.vtu"});

  auto ug = read_xml<vtkXMLUnstructuredGridReader>(path);
  ASSERT_EQ(ug->GetNumberOfPoints(), 5);
  ASSERT_EQ(ug->GetNumberOfCells(), 3);
  for (vtkIdType p = 0; p < 5; ++p) {
    double q[3];
    ug->GetPoint(p, q);
    EXPECT_EQ(q[0], mesh.points[static_cast<std::size_t>(2 * p)]);
    EXPECT_EQ(q[1], mesh.points[static_cast<std::size_t>(2 * p + 1)]);
    EXPECT_EQ(q[2], 0.0);
  }
  for (vtkIdType c = 0; c < 3; ++c) {
    EXPECT_EQ(ug->GetCellType(c), VTK_TRIANGLE);
    vtkNew<vtkIdList> ids;
    ug->GetCellPoints(c, ids);
    ASSERT_EQ(ids->GetNumberOfIds(), 3);
    for (vtkIdType m = 0; m < 3; ++m) EXPECT_EQ(ids->GetId(m), mesh.triangles[static_cast<std::size_t>(3 * c + m)]);
  }
  EXPECT_EQ(array_names(ug->GetPointData()), (std::vector<std::string>{"gradient", "prediction"}));
  EXPECT_STREQ(ug->GetPointData()->GetScalars()->GetName(), "prediction");
  vtkDataArray* gu = ug->GetPointData()->GetArray("prediction");
  vtkDataArray* gg = ug->GetPointData()->GetArray("gradient");
  EXPECT_EQ(gg->GetNumberOfComponents(), 2);
  for (vtkIdType p = 0; p < 5; ++p) {
    EXPECT_EQ(gu->GetTuple1(p), u.values[static_cast<std::size_t>(p)]);
    EXPECT_EQ(gg->GetComponent(p, 0), grad.values[static_cast<std::size_t>(2 * p)]);
    EXPECT_EQ(gg->GetComponent(p, 1), grad.values[static_cast<std::size_t>(2 * p + 1)]);
  }

  // 3D points keep their z.
  mesh.point_dim = 3;
  mesh.points = {0, 0, 1, 1, 0, 2, 0, 1, 3};
  mesh.triangles = {2, 1, 0};
  std::string const path3 = dir.file("m3.vtu");
  kono::write_vtu(path3, mesh, {});
  auto ug3 = read_xml<vtkXMLUnstructuredGridReader>(path3);
  ASSERT_EQ(ug3->GetNumberOfPoints(), 3);
  double q[3];
  ug3->GetPoint(2, q);
  EXPECT_EQ(std::vector<double>(q, q + 3), (std::vector<double>{0, 1, 3}));
  EXPECT_EQ(ug3->GetPointData()->GetNumberOfArrays(), 0);
}

TEST(VtkExport, PvdListsEntriesThatOpen) {
  kono::test::TempDir dir("vtk_pvd");
  StructuredGrid const grid({4, 3}, {1.0, 1.0}, {0.0, 0.0}, {false, false});
  std::vector<kono::VtkCollectionEntry> entries;
  for (int s = 0; s < 3; ++s) {
    std::string const name = "sample_" + std::to_string(s) + (s == 2 ? "&co.vti" : ".vti");
    auto arrays = cli_arrays(grid);
    for (double& v : arrays[0].values) v += s;
    kono::write_vti(dir.file(name), grid, arrays);
    entries.push_back({0.5 * s, name, 0});
  }
  std::string const path = dir.file("samples.pvd");
  kono::write_pvd(path, entries);

  vtkSmartPointer<vtkXMLDataElement> root;
  root.TakeReference(vtkXMLUtilities::ReadElementFromFile(path.c_str()));
  ASSERT_NE(root, nullptr);
  EXPECT_STREQ(root->GetName(), "VTKFile");
  EXPECT_STREQ(root->GetAttribute("type"), "Collection");
  vtkXMLDataElement* collection = root->FindNestedElementWithName("Collection");
  ASSERT_NE(collection, nullptr);
  ASSERT_EQ(collection->GetNumberOfNestedElements(), 3);
  for (int s = 0; s < 3; ++s) {
    vtkXMLDataElement* ds = collection->GetNestedElement(s);
    EXPECT_STREQ(ds->GetName(), "DataSet");
    double t = -1;
    ds->GetScalarAttribute("timestep", t);
    EXPECT_DOUBLE_EQ(t, 0.5 * s);
    ASSERT_NE(ds->GetAttribute("file"), nullptr);
    std::string const file = ds->GetAttribute("file");
    EXPECT_EQ(file, entries[static_cast<std::size_t>(s)].file);  // "&" escaped in XML, read back intact
    auto image = read_xml<vtkXMLImageDataReader>(dir.file(file));
    EXPECT_EQ(image->GetPointData()->GetArray("input")->GetTuple1(0), input_at(0, 0, 0) + s);
  }
}

TEST(VtkExport, PiecePaths) {
  EXPECT_EQ(kono::vtk_piece_path("out/sample.pvti", 3), "out/sample_3.vti");
  EXPECT_EQ(kono::vtk_piece_path("m.pvtu", 0), "m_0.vtu");
  EXPECT_KONO_ERROR(kono::vtk_piece_path("out/sample.vti", 0), invalid_argument, "out/sample.vti");
}

// ---------------------------------------------------------------------------------------------
// Bad input: the message names the path or array, nothing is left behind.

TEST(VtkExport, MissingDirectoryIsFileIoNamingThePath) {
  kono::test::TempDir dir("vtk_missing_dir");
  StructuredGrid const grid({5, 3}, {0.25, 0.5}, {0.0, 0.0}, {false, false});
  std::string const path = dir.file("no_such_dir/sample.vti");
  EXPECT_KONO_ERROR(kono::write_vti(path, grid, cli_arrays(grid)), file_io, path);
  EXPECT_KONO_ERROR(kono::write_vtu(dir.file("no_such_dir/m.vtu"), {}, {}), file_io, "no_such_dir/m.vtu");
  EXPECT_KONO_ERROR(kono::write_pvd(dir.file("no_such_dir/c.pvd"), {}), file_io, "no_such_dir/c.pvd");
  kono::VtkBlock block;
  block.extent = {5, 3, 1};
  EXPECT_KONO_ERROR(kono::write_pvti(dir.file("no_such_dir/s.pvti"), grid, block, cli_arrays(grid), MPI_COMM_SELF),
                    file_io, "no_such_dir/s.pvti");
  EXPECT_TRUE(entries_in(dir.path()).empty());

  // A regular file where the directory should be (fails even for root, unlike permissions).
  std::ofstream(dir.file("plain_file")) << "x";
  std::string const under_file = dir.file("plain_file/sample.vti");
  EXPECT_KONO_ERROR(kono::write_vti(under_file, grid, cli_arrays(grid)), file_io, under_file);
  // A directory where the file should be.
  std::filesystem::create_directory(dir.file("is_a_dir.vti"));
  EXPECT_KONO_ERROR(kono::write_vti(dir.file("is_a_dir.vti"), grid, cli_arrays(grid)), file_io, "is_a_dir.vti");
  EXPECT_EQ(entries_in(dir.path()), (std::vector<std::string>{"is_a_dir.vti", "plain_file"}));
}

TEST(VtkExport, WrongArrayLengthNamesTheArrayAndKeepsOldFile) {
  kono::test::TempDir dir("vtk_bad_len");
  StructuredGrid const grid({5, 3}, {0.25, 0.5}, {0.0, 0.0}, {false, false});
  std::string const path = dir.file("sample.vti");
  kono::write_vti(path, grid, cli_arrays(grid));
  auto const before = file_bytes(path);

  auto arrays = cli_arrays(grid);
  arrays[1].values.pop_back();
  EXPECT_KONO_ERROR(kono::write_vti(path, grid, arrays), size_mismatch, "\"prediction\" has 14 values, expected 15");
  arrays = cli_arrays(grid);
  arrays[3].components = 2;
  EXPECT_KONO_ERROR(kono::write_vti(path, grid, arrays), size_mismatch, "\"abs_error\" has 15 values, expected 30");
  arrays = cli_arrays(grid);
  arrays[2].name = "input";
  EXPECT_KONO_ERROR(kono::write_vti(path, grid, arrays), invalid_argument, "two point arrays are named \"input\"");
  arrays[2].name = "";
  EXPECT_KONO_ERROR(kono::write_vti(path, grid, arrays), invalid_argument, "empty name");
  arrays = cli_arrays(grid);
  arrays[0].components = 0;
  EXPECT_KONO_ERROR(kono::write_vti(path, grid, arrays), invalid_argument, "\"input\" has 0 components");
  EXPECT_KONO_ERROR(kono::write_vti(path, StructuredGrid{}, {}), invalid_argument, "empty");

  EXPECT_EQ(file_bytes(path), before);  // the old file is untouched
  EXPECT_EQ(entries_in(dir.path()), std::vector<std::string>{"sample.vti"});
}

TEST(VtkExport, BadMeshesAndBlocksAreRejected) {
  kono::test::TempDir dir("vtk_bad_mesh");
  kono::VtkTriangleMesh mesh;
  mesh.points = {0, 0, 1, 0, 0, 1};
  mesh.triangles = {0, 1, 3};
  EXPECT_KONO_ERROR(kono::write_vtu(dir.file("m.vtu"), mesh, {}), invalid_argument,
                    "triangle 0 refers to point 3, the mesh has 3 points");
  mesh.triangles = {0, 1};
  EXPECT_KONO_ERROR(kono::write_vtu(dir.file("m.vtu"), mesh, {}), size_mismatch, "not a multiple of 3");
  mesh.triangles = {0, 1, 2};
  mesh.point_dim = 4;
  EXPECT_KONO_ERROR(kono::write_vtu(dir.file("m.vtu"), mesh, {}), invalid_argument, "point_dim is 4");
  mesh.point_dim = 2;
  EXPECT_KONO_ERROR(kono::write_vtu(dir.file("m.vtu"), mesh, {{"prediction", {1.0, 2.0}, 1}}), size_mismatch,
                    "\"prediction\" has 2 values, expected 3");

  StructuredGrid const grid({5, 3}, {0.25, 0.5}, {0.0, 0.0}, {false, false});
  kono::VtkBlock block;
  block.extent = {5, 2, 1};  // misses a row of the grid
  auto arrays = cli_arrays(grid);
  EXPECT_KONO_ERROR(kono::write_pvti(dir.file("s.pvti"), grid, block, arrays, MPI_COMM_SELF), invalid_argument,
                    "cover 10 nodes");
  block.extent = {5, 3, 1};
  EXPECT_KONO_ERROR(kono::write_pvti(dir.file("s.vti"), grid, block, arrays, MPI_COMM_SELF), invalid_argument,
                    "does not end in .pvti");
  EXPECT_KONO_ERROR(kono::write_pvtu(dir.file("m.vtu"), mesh, {}, MPI_COMM_SELF), invalid_argument,
                    "does not end in .pvtu");
  EXPECT_TRUE(entries_in(dir.path()).empty());
}

}  // namespace
