// kono info FILE: describe a dataset or model file.
//
// Sample runs:
//   kono info ../shared/data/darcy_16.h5
//   kono info ../shared/data/burgers_16.h5 --attributes
//   mpiexec -n 2 kono info ../shared/data/darcy_16.h5
//
// Description:
//   Opens an HDF5 file collectively and prints, on rank 0, every dataset with its shape and
//   element type and the attributes of the root and of each group (shortened unless
//   --attributes). Works on any HDF5 file, kono's or another tool's. For a kono model file it
//   first prints the model type, parameter count, training resolution and whether the model is
//   resolution-consistent (and why not).
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <kono/core.hpp>
#include <kono/datasets.hpp>

#include "subcommands.hpp"
#include "workflow.hpp"

namespace kono::app {
namespace {
std::string shorten(std::string s, bool full) {
  if (!full && s.size() > 90) s = s.substr(0, 87) + "...";
  return s;
}

void print_attributes(Hdf5File const& file, std::string const& object, std::string const& indent, bool full) {
  for (auto const& name : file.list_attributes(object))
    std::cout << indent << "@" << name << " = " << shorten(file.attribute_as_text(object, name), full) << "\n";
}
// Training grid(s) and whether the architecture transfers to other grids (kono eval and kono
// validate warn when a model that does not is used off its training grid).
void print_resolution(Hdf5File const& file) {
  LayerConfig const arch = LayerConfig::parse(file.read_attribute<std::string>("/model", "architecture"), nullptr, false);
  std::vector<std::pair<std::string, std::string>> provenance;
  if (file.has_group("/provenance"))
    for (char const* key : {"train_resolution", "train_resolutions"})
      if (file.has_attribute("/provenance", key))
        provenance.emplace_back(key, file.read_attribute<std::string>("/provenance", key));
  ModelResolution const res = model_resolution(arch, provenance);
  std::cout << "  training resolution: ";
  if (res.train.empty()) {
    std::cout << "not recorded";
  } else {
    std::cout << extents_text(res.train);
    if (res.trained.size() > 1) {
      std::cout << " (reference of multi-resolution training on";
      for (std::size_t i = 0; i < res.trained.size(); ++i) std::cout << (i ? ", " : " ") << extents_text(res.trained[i]);
      std::cout << ")";
    }
  }
  std::cout << "\n  resolution-consistent: ";
  if (res.consistency.consistent)
    std::cout << "yes (every layer is defined independently of the grid; may be evaluated zero-shot at other resolutions)\n";
  else
    std::cout << "no: " << res.consistency.reason << "\n";
}
}  // namespace

int info_main(std::vector<std::string> const& args) {
  // 1. Parse options.
  std::string path;
  bool full = false;
  for (auto const& a : args) {
    if (a == "--help" || a == "-h") {
      if (Runtime::current().rank() == 0)
        std::cout << "usage: kono info FILE [--attributes]\n\n"
                  << "Describes an HDF5 dataset or model file: datasets (shape, type) and attributes; for a\n"
                  << "kono model file also its training resolution and whether it is resolution-consistent\n"
                  << "(may be evaluated at other resolutions), and why not.\n"
                  << "  --attributes   print attribute values in full (default: shortened to 90 chars)\n";
      return 0;
    }
    if (a == "--attributes") {
      full = true;
    } else if (a.rfind("--", 0) == 0) {
      KONO_THROW(invalid_argument, "kono info: unknown option \"" << a << "\"; known: --attributes, --help");
    } else {
      KONO_USER_REQUIRE(path.empty(), invalid_argument, "kono info: one FILE expected, got \"" << path << "\" and \"" << a << "\"");
      path = a;
    }
  }
  KONO_USER_REQUIRE(!path.empty(), invalid_argument, "kono info: missing FILE (usage: kono info FILE)");

  // 2. Open collectively, print on rank 0.
  Hdf5File const file(path, Runtime::current().comm());
  if (Runtime::current().rank() != 0) return 0;
  std::cout << path << "\n";
  if (file.has_group("/model") && file.has_attribute("/model", "num_parameters") &&
      file.has_attribute("/model", "model_type")) {  // a kono model file or checkpoint: the summary first
    std::cout << "  model " << file.read_attribute<std::string>("/model", "model_type") << ": "
              << file.read_attribute<std::int64_t>("/model", "num_parameters") << " parameters\n";
    if (file.has_attribute("/model", "architecture")) print_resolution(file);
  }
  print_attributes(file, "/", "  ", full);
  std::set<std::string> groups_done{"/"};
  for (auto const& ds : file.list_datasets()) {
    std::string const group = ds.substr(0, ds.find_last_of('/'));
    if (!group.empty() && groups_done.insert(group).second) {
      std::cout << "  " << group << "/\n";
      print_attributes(file, group, "    ", full);
    }
    auto const info = file.dataset_info(ds);
    std::cout << "  " << ds << "  " << to_string(info.element_type) << " " << info.shape.to_string() << "\n";
    print_attributes(file, ds, "      ", full);
  }
  return 0;
}
}  // namespace kono::app
