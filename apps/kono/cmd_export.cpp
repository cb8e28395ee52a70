// kono export: fields for ParaView. For each chosen sample, the input, the model's prediction,
// the reference and the absolute error as point data on the sample's grid: a .vti per sample
// (a .pvti with one piece per rank under MPI, slabs along axis 0), a .pvd collection of all
// exported samples, and <stem>_fields.h5 with the same arrays for plotting scripts.
//
//   kono export --model=fno.h5 --data.file=darcy_16.h5 --sample=0,1,2 --out=fields
#include <filesystem>
#include <iostream>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/vtk_export.hpp>
#include <kono/meshes/grid_decomposition.hpp>

#include "subcommands.hpp"
#include "workflow.hpp"

namespace kono::app {

std::vector<OptionSpec> export_option_specs() {
  return {
      {"model", "", "model file written by kono train (required for grid data; mesh files export without one)"},
      {"data.file", "", "HDF5 file with the input/target pairs (required)"},
      {"data.input", "/test/x", "dataset of inputs"},
      {"data.target", "/test/y", "dataset of targets (reference)"},
      {"data.channel_axis", "false", "datasets are [N, C, spatial...]"},
      {"data.input_channel_axis", "", "inputs only (default: data.channel_axis)"},
      {"data.target_channel_axis", "", "targets only (default: data.channel_axis)"},
      {"sample", "0", "sample index, or a comma list (one file each, plus a .pvd collection)"},
      {"out", "export", "output directory (created if missing)"},
  };
}

namespace {
// Values of sample s of t ([n, C, spatial...]) at the nodes of `block` (C order of the block),
// channels interleaved per node as VTK components.
std::vector<double> block_values(Tensor<HostSpace, Real> const& t, index_t s, StructuredGrid const& grid,
                                 VtkBlock const& block) {
  index_t const c = t.extent(1);
  std::array<index_t, 3> n{1, 1, 1};
  for (int a = 0; a < grid.dim(); ++a) n[std::size_t(a)] = grid.extent(a);
  std::vector<double> out;
  out.reserve(std::size_t(block.extent[0] * block.extent[1] * block.extent[2] * c));
  for (index_t i = block.begin[0]; i < block.begin[0] + block.extent[0]; ++i)
    for (index_t j = block.begin[1]; j < block.begin[1] + block.extent[1]; ++j)
      for (index_t k = block.begin[2]; k < block.begin[2] + block.extent[2]; ++k)
        for (index_t ch = 0; ch < c; ++ch)
          out.push_back(double(t.data()(((s * c + ch) * n[0] + i) * n[1] * n[2] + j * n[2] + k)));
  return out;
}
}  // namespace

namespace {
// Rows [off[k], off[k+1]) of a ragged [rows, C] dataset (docs/file_formats.md, mesh files).
std::vector<double> rows_of(Hdf5File const& f, std::string const& ds, std::vector<std::int64_t> const& off, index_t k,
                            index_t& width) {
  auto const info = f.dataset_info(ds);
  width = info.shape.rank() > 1 ? info.shape[1] : 1;
  std::vector<double> const all = f.read_array<double>(ds);
  return std::vector<double>(all.begin() + off[std::size_t(k)] * width, all.begin() + off[std::size_t(k) + 1] * width);
}

// Samples of a mesh file (kono generate poisson-mesh) as .vtu with point arrays "input" (all
// input channels as components) and "reference", plus a .pvd. There is no mesh surrogate yet, so
// no prediction: this shows the training data in ParaView. Rank 0 writes; the others wait.
ExportResult export_mesh_samples(Options const& opt, Hdf5File const& f, std::string const& group, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string const file = opt.text("data.file"), dir = opt.text("out");
  std::string const in_ds = opt.text("data.input"), out_ds = opt.text("data.target");
  for (auto const& ds : {std::pair<std::string, char const*>{in_ds, "data.input"}, {out_ds, "data.target"}})
    KONO_USER_REQUIRE(f.has_dataset(ds.first), invalid_argument,
                      file << " has no dataset \"" << ds.first << "\" (--" << ds.second << ")");
  auto const node_off = f.read_array<std::int64_t>(group + "/node_offsets");
  auto const cell_off = f.read_array<std::int64_t>(group + "/cell_offsets");
  index_t const n = index_t(node_off.size()) - 1;
  std::vector<long long> const samples = opt.integers("sample");
  for (long long s : samples)
    KONO_USER_REQUIRE(s >= 0 && s < n, invalid_argument,
                      "--sample=" << s << " but " << file << ":" << group << "/ has " << n << " mesh samples");
  create_output_directory(dir, "out", "kono export", comm);
  ExportResult result;
  std::vector<VtkCollectionEntry> entries;
  for (long long s : samples) {
    std::string const name = "sample_" + std::to_string(s) + ".vtu";
    if (rank == 0) {
      index_t w = 0;
      VtkTriangleMesh mesh;
      mesh.points = rows_of(f, group + "/nodes", node_off, index_t(s), w);
      mesh.point_dim = int(w);
      for (double c : rows_of(f, group + "/cells", cell_off, index_t(s), w)) mesh.triangles.push_back(index_t(c));
      index_t cin = 0, cout = 0;
      std::vector<double> x = rows_of(f, in_ds, node_off, index_t(s), cin), y = rows_of(f, out_ds, node_off, index_t(s), cout);
      write_vtu(dir + "/" + name, mesh, {{"input", x, int(cin)}, {"reference", y, int(cout)}});
    }
    entries.push_back({double(s), name, 0});
    result.vtk_files.push_back(dir + "/" + name);
  }
  result.collection = dir + "/samples.pvd";
  if (rank == 0) {
    write_pvd(result.collection, entries);
    std::cout << "kono export: " << entries.size() << " mesh sample(s) of " << file << " -> " << result.collection
              << "\n  open in ParaView: paraview " << result.collection << "  (arrays: input, reference)\n";
  }
  MPI_Barrier(comm);
  return result;
}
}  // namespace

ExportResult export_fields(Options const& opt, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::string const model_path = opt.text("model"), file = opt.text("data.file"), dir = opt.text("out");
  KONO_USER_REQUIRE(!file.empty(), invalid_argument, "kono export: --data.file is required");
  KONO_USER_REQUIRE(!dir.empty(), invalid_argument, "kono export: --out is empty: give an output directory");
  {  // a mesh file (ragged rows with node offsets) needs no model
    std::string const target = opt.text("data.target");
    std::string const group = target.substr(0, target.find_last_of('/'));
    Hdf5File const f(file, comm);
    if (f.has_dataset(group + "/node_offsets")) return export_mesh_samples(opt, f, group, comm);
  }
  KONO_USER_REQUIRE(!model_path.empty(), invalid_argument, "kono export: --model is required (a file from kono train)");
  create_output_directory(dir, "out", "kono export", comm);
  bool const in_axis = channel_axis_of(opt, "input"), out_axis = channel_axis_of(opt, "target");
  auto loaded = load_model<Space, Real>(model_path, comm);
  Hdf5SampleStore store(file, comm);
  std::string const in_ds = opt.text("data.input"), out_ds = opt.text("data.target");
  for (auto const& ds : {std::pair<std::string, char const*>{in_ds, "data.input"}, {out_ds, "data.target"}})
    KONO_USER_REQUIRE(store.file().has_dataset(ds.first), invalid_argument,
                      file << " has no dataset \"" << ds.first << "\" (--" << ds.second << ")");
  ModelSignature const sig = model_signature(loaded.meta);
  check_model_fits(sig, model_path, store.sample_shape(in_ds, SampleLayout{in_axis}), file, in_ds, true);
  check_model_fits(sig, model_path, store.sample_shape(out_ds, SampleLayout{out_axis}), file, out_ds, false);
  index_t const n = store.num_samples(in_ds);

  ExportResult result;
  std::vector<VtkCollectionEntry> entries;
  for (long long s : opt.integers("sample")) {
    KONO_USER_REQUIRE(s >= 0 && s < n, invalid_argument,
                      "--sample=" << s << " but " << file << ":" << in_ds << " has " << n << " samples");
    // Every rank predicts the whole sample (cheap) and writes its slab of the grid.
    RealTensor x = read_samples(store, in_ds, index_t(s), 1, in_axis, "data.input");
    RealTensor y = read_samples(store, out_ds, index_t(s), 1, out_axis, "data.target");
    RealTensor p = predict(loaded.model, x, 1, loaded.meta.normalizer("input"), loaded.meta.normalizer("target"));
    auto const xh = x.to_host(), yh = y.to_host(), ph = p.to_host();
    auto eh = ph.clone_to<HostSpace>("kono::abs_error");
    for (index_t i = 0; i < eh.size(); ++i) eh.data()(i) = std::abs(ph.data()(i) - yh.data()(i));
    std::vector<index_t> extents = y.shape().tail(2).to_vector();
    StructuredGrid const grid = StructuredGrid::unit_box(extents, std::vector<bool>(extents.size(), false));
    std::string const stem = "sample_" + std::to_string(s);
    std::string vtk_file;
    auto arrays_for = [&](VtkBlock const& b) {
      return std::vector<VtkPointArray>{{"input", block_values(xh, 0, grid, b), int(xh.extent(1))},
                                        {"prediction", block_values(ph, 0, grid, b), int(ph.extent(1))},
                                        {"reference", block_values(yh, 0, grid, b), int(yh.extent(1))},
                                        {"abs_error", block_values(eh, 0, grid, b), int(eh.extent(1))}};
    };
    if (size == 1) {
      VtkBlock all;
      for (int a = 0; a < grid.dim(); ++a) all.extent[std::size_t(a)] = grid.extent(a);
      vtk_file = stem + ".vti";
      write_vti(dir + "/" + vtk_file, grid, arrays_for(all));
    } else {
      GridDecomposition const dec(grid, comm, 0);
      VtkBlock mine;
      for (int a = 0; a < grid.dim(); ++a) {
        mine.begin[std::size_t(a)] = dec.local_begin(a);
        mine.extent[std::size_t(a)] = dec.local_extent(a);
      }
      vtk_file = stem + ".pvti";
      write_pvti(dir + "/" + vtk_file, grid, mine, arrays_for(mine), comm);
    }
    entries.push_back({double(s), vtk_file, 0});
    result.vtk_files.push_back(dir + "/" + vtk_file);
    // The same fields as plain arrays for plotting (scripts/plot_fields.py).
    std::string const h5 = dir + "/" + stem + "_fields.h5";
    Hdf5Writer w(h5, comm);
    auto put = [&](char const* name, Tensor<HostSpace, Real> const& t) {
      w.write_array(std::string("/") + name, t.shape().tail(1), std::vector<double>(t.data().data(), t.data().data() + t.size()));
    };
    put("input", xh);
    put("prediction", ph);
    put("reference", yh);
    put("abs_error", eh);
    w.write_attribute("/", "model", model_path);
    w.write_attribute("/", "data", file + ":" + in_ds + "," + out_ds);
    w.write_attribute("/", "sample", std::int64_t(s));
    w.commit();
    result.field_files.push_back(h5);
  }
  result.collection = dir + "/samples.pvd";
  if (rank == 0) write_pvd(result.collection, entries);
  MPI_Barrier(comm);
  if (rank == 0) {
    std::cout << "kono export: " << entries.size() << " sample(s) of " << file << " -> " << result.collection;
    for (auto const& f : result.vtk_files) std::cout << ", " << f;
    std::cout << "\n  open in ParaView: paraview " << result.collection << "  (arrays: input, prediction, reference, abs_error)\n";
  }
  return result;
}

int export_main(std::vector<std::string> const& args) {
  Options opt("export", "kono export --model=MODEL.h5 --data.file=FILE.h5 [--sample=0,1 --out=DIR]",
              export_option_specs());
  opt.parse(args);
  if (opt.help_requested()) {
    if (Runtime::current().rank() == 0) std::cout << opt.help();
    return 0;
  }
  KONO_USER_REQUIRE(opt.positional().empty(), invalid_argument,
                    "kono export: unexpected argument \"" << opt.positional()[0] << "\" (options are --key=value)");
  export_fields(opt, Runtime::current().comm());
  return 0;
}

}  // namespace kono::app
