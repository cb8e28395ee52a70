// Reads what `kono export` wrote with VTK's own XML readers and compares it with its source.
// Grids: the four point arrays (input, prediction, reference, abs_error) of a .vti/.pvti against
// <stem>_fields.h5 at every node, abs_error == |prediction - reference|, origin 0 and spacing
// 1/(n-1) (the node grid of kono generate darcy). Meshes: a .vtu's points, triangles, input and
// reference against sample K of the ragged mesh file. Exit 0 when everything matches, 1 otherwise.
//
//   check_vtk_export DIR/sample_0.vti|DIR/sample_0.pvti DIR/sample_0_fields.h5
//   check_vtk_export DIR/sample_3.vtu MESHES.h5 3
#include <vtkDataArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkSmartPointer.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLPImageDataReader.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLUnstructuredGridReader.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>

namespace {
template <class Reader>
vtkSmartPointer<vtkImageData> read(std::string const& path) {
  vtkNew<Reader> reader;
  reader->SetFileName(path.c_str());
  reader->Update();
  return vtkSmartPointer<vtkImageData>(reader->GetOutput());
}

int fail(std::string const& message) {
  std::cerr << "check_vtk_export: " << message << "\n";
  return 1;
}
}  // namespace

// A .vtu of kono export against sample k of a mesh file (root layout /nodes, /cells, /x, /y).
int check_mesh(std::string const& vtu, std::string const& data, long k) {
  vtkNew<vtkXMLUnstructuredGridReader> reader;
  reader->SetFileName(vtu.c_str());
  reader->Update();
  vtkUnstructuredGrid* g = reader->GetOutput();
  kono::Hdf5File file(data, MPI_COMM_SELF);
  auto const noff = file.read_array<std::int64_t>("/node_offsets"), coff = file.read_array<std::int64_t>("/cell_offsets");
  if (k < 0 || k + 1 >= long(noff.size())) return fail(data + " has no mesh sample " + std::to_string(k));
  auto const nodes = file.read_array<double>("/nodes"), x = file.read_array<double>("/x"), y = file.read_array<double>("/y");
  std::int64_t const n0 = noff[std::size_t(k)], nn = noff[std::size_t(k) + 1] - n0;
  std::int64_t const nc = coff[std::size_t(k) + 1] - coff[std::size_t(k)];
  if (g->GetNumberOfPoints() != nn || g->GetNumberOfCells() != nc)
    return fail(vtu + ": " + std::to_string(g->GetNumberOfPoints()) + " points and " +
                std::to_string(g->GetNumberOfCells()) + " cells, expected " + std::to_string(nn) + " and " +
                std::to_string(nc));
  vtkDataArray *in = g->GetPointData()->GetArray("input"), *ref = g->GetPointData()->GetArray("reference");
  if (!in || !ref) return fail(vtu + ": no input/reference point arrays");
  int const cin = in->GetNumberOfComponents();
  long bad = 0;
  for (std::int64_t i = 0; i < nn; ++i) {
    double p[3];
    g->GetPoint(i, p);
    if (p[0] != nodes[std::size_t(2 * (n0 + i))] || p[1] != nodes[std::size_t(2 * (n0 + i) + 1)]) ++bad;
    if (ref->GetComponent(i, 0) != y[std::size_t(n0 + i)]) ++bad;
    for (int c = 0; c < cin; ++c)
      if (in->GetComponent(i, c) != x[std::size_t((n0 + i) * cin + c)]) ++bad;
  }
  if (bad) return fail(std::to_string(bad) + " values of " + vtu + " differ from " + data);
  std::cout << "check_vtk_export: " << vtu << " matches sample " << k << " of " << data << " (" << nn << " points, "
            << nc << " triangles)\n";
  return 0;
}

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  if (argc == 4) return check_mesh(argv[1], argv[2], std::atol(argv[3]));
  if (argc != 3) return fail("usage: check_vtk_export FILE.vti|FILE.pvti FIELDS.h5 | FILE.vtu MESHES.h5 K");
  std::string const vtk = argv[1], fields = argv[2];
  bool const parallel = vtk.size() > 5 && vtk.substr(vtk.size() - 5) == ".pvti";
  auto image = parallel ? read<vtkXMLPImageDataReader>(vtk) : read<vtkXMLImageDataReader>(vtk);
  if (!image || image->GetNumberOfPoints() == 0) return fail(vtk + ": VTK read no points");

  kono::Hdf5File file(fields, MPI_COMM_SELF);
  auto const shape = file.dataset_info("/reference").shape;  // [C, n0, n1]
  if (shape.rank() != 3 || shape[0] != 1) return fail(fields + ": /reference is not [1, n0, n1]");
  kono::index_t const n0 = shape[1], n1 = shape[2];
  int ext[6];
  image->GetExtent(ext);
  if (ext[1] - ext[0] + 1 != n0 || ext[3] - ext[2] + 1 != n1)
    return fail(vtk + ": extent does not match " + fields + "'s " + std::to_string(n0) + "x" + std::to_string(n1));
  double origin[3], spacing[3];
  image->GetOrigin(origin);
  image->GetSpacing(spacing);
  double const h0 = 1.0 / double(n0 - 1), h1 = 1.0 / double(n1 - 1);
  if (origin[0] != 0 || origin[1] != 0 || std::abs(spacing[0] - h0) > 1e-14 || std::abs(spacing[1] - h1) > 1e-14)
    return fail(vtk + ": origin/spacing are not 0 and 1/(n-1)");

  long mismatches = 0, compared = 0;
  vtkPointData* pd = image->GetPointData();
  for (char const* name : {"input", "prediction", "reference", "abs_error"}) {
    vtkDataArray* a = pd->GetArray(name);
    if (!a) return fail(vtk + ": no point array \"" + name + "\"");
    auto const values = file.read_array<double>(std::string("/") + name);
    for (kono::index_t i = 0; i < n0; ++i)
      for (kono::index_t j = 0; j < n1; ++j) {
        double p[3] = {double(i) * h0, double(j) * h1, 0.0};
        vtkIdType const id = image->FindPoint(p);
        double const want = values[std::size_t(i * n1 + j)];
        ++compared;
        if (id < 0 || std::abs(a->GetTuple1(id) - want) > 1e-6 * (1 + std::abs(want))) ++mismatches;
      }
  }
  vtkDataArray *pred = pd->GetArray("prediction"), *ref = pd->GetArray("reference"), *err = pd->GetArray("abs_error");
  for (vtkIdType id = 0; id < image->GetNumberOfPoints(); ++id)
    if (std::abs(err->GetTuple1(id) - std::abs(pred->GetTuple1(id) - ref->GetTuple1(id))) > 1e-6) ++mismatches;
  if (mismatches) return fail(std::to_string(mismatches) + " values of " + vtk + " differ from " + fields);
  std::cout << "check_vtk_export: " << vtk << " matches " << fields << " (" << compared << " values, " << n0 << "x"
            << n1 << ")\n";
  return 0;
}
