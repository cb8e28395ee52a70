// Writes the small model files the C API tests read (untrained FNOs: the tests check plumbing,
// not accuracy). Usage: make_test_models DIR
//   DIR/fno2d_f32.h5       FNO 2D, 1 -> 1 channel, modes 4, float32, scalar target normaliser
//   DIR/fno2d_f64.h5       the same parameters stored as float64
//   DIR/fno2d_pointwise.h5 with a pointwise (16x16) input normaliser: tied to its grid
//   DIR/fno2d_v2.h5        fno2d_f32.h5 with format_version "2" (a newer kono's file)
//   DIR/not_hdf5.h5        a text file
#include <hdf5.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <kono/core/runtime.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/model_registry.hpp>

namespace {
void set_format_version(std::string const& path, char const* version) {
  hid_t const f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) throw std::runtime_error("cannot open " + path);
  H5Adelete(f, "format_version");
  hid_t const t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  hid_t const s = H5Screate(H5S_SCALAR);
  hid_t const a = H5Acreate2(f, "format_version", t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, &version);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
  H5Fclose(f);
}
}  // namespace

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  if (argc != 2) {
    std::cerr << "usage: make_test_models DIR\n";
    return 2;
  }
  std::string const dir = argv[1];
  try {
    kono::LayerConfig const opt{{"in_channels", 1}, {"out_channels", 1},     {"dim", 2},
                                {"modes", 4},       {"hidden_channels", 8}, {"layers", 2}};
    auto mf = kono::create_model<kono::DefaultMemorySpace, float>("fno", opt, 7);
    auto md = kono::create_model<kono::DefaultMemorySpace, double>("fno", opt, 7);
    kono::ModelMetadata meta;
    meta.normalizers.emplace_back("target", kono::Normalizer(kono::NormalizerKind::scalar, kono::Shape{1},
                                                             {0.4}, {0.3}, 100));
    meta.provenance = {{"in_channels", "1"}, {"out_channels", "1"}, {"dim", "2"}, {"train_resolution", "[16, 16]"}};
    kono::save_model(dir + "/fno2d_f32.h5", mf, meta, runtime.comm());
    kono::save_model(dir + "/fno2d_f64.h5", md, meta, runtime.comm());
    kono::save_model(dir + "/fno2d_v2.h5", mf, meta, runtime.comm());
    kono::ModelMetadata pw = meta;
    pw.normalizers.emplace_back("input", kono::Normalizer(kono::NormalizerKind::pointwise, kono::Shape{1, 16, 16},
                                                          std::vector<double>(256, 0.5), std::vector<double>(256, 0.5), 100));
    kono::save_model(dir + "/fno2d_pointwise.h5", mf, pw, runtime.comm());
    if (runtime.rank() == 0) {
      set_format_version(dir + "/fno2d_v2.h5", "2");
      std::ofstream(dir + "/not_hdf5.h5") << "this is not an HDF5 file\n";
    }
    MPI_Barrier(runtime.comm());
  } catch (std::exception const& e) {
    std::cerr << "make_test_models: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
