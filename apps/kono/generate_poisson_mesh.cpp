// kono generate poisson-mesh: P1 Poisson/diffusion on triangle meshes (box with random circular
// holes, or --mesh.file), random coefficient and source, one HDF5 file with ragged meshes.
//
//   mpiexec -n 2 kono generate poisson-mesh --samples=100 --resolution=33 --mesh.holes=3 --out=m.h5
#include "generate_poisson_mesh.hpp"

#include <iostream>
#include <sstream>

#include <kono/core/closest_match.hpp>
#include <kono/core/error.hpp>

namespace kono::app {

std::vector<OptionSpec> poisson_mesh_option_specs() {
  return {
      {"mesh.holes", "3", "poisson-mesh: most circular holes per sample (count uniform in [mesh.min_holes, mesh.holes])"},
      {"mesh.min_holes", "0", "poisson-mesh: fewest holes per sample"},
      {"mesh.radius", "0.08,0.2", "poisson-mesh: hole radius range MIN,MAX (MIN >= 1/(resolution-1))"},
      {"mesh.margin", "0.05", "poisson-mesh: least distance hole-box edge and hole-hole (at least 2h and 3h)"},
      {"mesh.file", "", "poisson-mesh: mesh file (Gmsh .msh, ...) used for every sample instead of the box"},
      {"mesh.coefficient", "lognormal", "poisson-mesh: lognormal (a = exp(scale g)) or threshold (two-phase)"},
      {"mesh.length_scale", "0.15", "poisson-mesh: correlation length of the random functions"},
      {"mesh.lognormal_scale", "1", "poisson-mesh: lognormal: a = exp(scale * g)"},
      {"mesh.high", "12", "poisson-mesh: threshold: a where g > 0"},
      {"mesh.low", "3", "poisson-mesh: threshold: a elsewhere"},
      {"mesh.forcing", "1", "poisson-mesh: f = forcing + forcing_scale * g_f"},
      {"mesh.forcing_scale", "0", "poisson-mesh: amplitude of the random part of f (0: constant f)"},
      {"mesh.boundary_value", "0", "poisson-mesh: Dirichlet value u on the whole boundary"},
      {"mesh.rtol", "1e-10", "poisson-mesh: KSP relative tolerance (-ksp_rtol overrides)"},
      {"mesh.assembly", "petscfe", "poisson-mesh: petscfe (DMPlex + PetscFE P1) or direct (element matrices by hand)"},
  };
}

namespace {
double parse_real(std::string const& text, std::string const& option) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (std::exception const&) {
    used = 0;
  }
  KONO_USER_REQUIRE(used == text.size() && !text.empty(), invalid_argument,
                    "--" << option << ": \"" << text << "\" is not a number");
  return v;
}
}  // namespace

PoissonMeshDatasetOptions poisson_mesh_options(Options const& opt) {
  PoissonMeshDatasetOptions d;
  d.out = opt.text("out");
  d.group = opt.text("group");
  d.samples = index_t(opt.integer("samples"));
  // The shared default of --resolution is Darcy's; the mesh generator keeps its own unless given.
  if (opt.given("resolution")) d.resolution = index_t(opt.integer("resolution"));
  d.seed = std::uint64_t(opt.integer("seed"));
  KONO_USER_REQUIRE(!opt.given("dim") || opt.integer("dim") == 2, invalid_argument,
                    "--dim=" << opt.text("dim") << ": poisson-mesh is 2D only");
  KONO_USER_REQUIRE(opt.text("mode") == "samples", invalid_argument,
                    "--mode=" << opt.text("mode") << ": poisson-mesh solves whole samples per rank (mode samples)");
  d.holes.max_holes = int(opt.integer("mesh.holes"));
  d.holes.min_holes = int(opt.integer("mesh.min_holes"));
  std::string const range = opt.text("mesh.radius");
  std::size_t const comma = range.find(',');
  KONO_USER_REQUIRE(comma != std::string::npos, invalid_argument,
                    "--mesh.radius=" << range << ": expected MIN,MAX (e.g. 0.08,0.2)");
  d.holes.min_radius = parse_real(range.substr(0, comma), "mesh.radius");
  d.holes.max_radius = parse_real(range.substr(comma + 1), "mesh.radius");
  d.holes.margin = opt.real("mesh.margin");
  d.mesh_file = opt.text("mesh.file");
  std::string const coef = opt.text("mesh.coefficient");
  KONO_USER_REQUIRE(coef == "lognormal" || coef == "threshold", invalid_argument,
                    "--mesh.coefficient=" << coef << ": choose lognormal or threshold"
                                          << known_names_hint(coef, {"lognormal", "threshold"}));
  d.coefficient = coef == "lognormal" ? MeshCoefficient::lognormal : MeshCoefficient::threshold;
  d.length_scale = opt.real("mesh.length_scale");
  d.lognormal_scale = opt.real("mesh.lognormal_scale");
  d.high = opt.real("mesh.high");
  d.low = opt.real("mesh.low");
  d.forcing = opt.real("mesh.forcing");
  d.forcing_scale = opt.real("mesh.forcing_scale");
  d.boundary_value = opt.real("mesh.boundary_value");
  std::string const dtype = opt.text("dtype");
  KONO_USER_REQUIRE(dtype == "float32" || dtype == "float64", invalid_argument,
                    "--dtype=" << dtype << ": choose float32 or float64");
  d.dtype = dtype == "float32" ? Hdf5ElementType::float32 : Hdf5ElementType::float64;
  std::string const div = opt.text("on_divergence");
  KONO_USER_REQUIRE(div == "stop" || div == "record", invalid_argument,
                    "--on_divergence=" << div << ": choose stop or record");
  d.stop_on_divergence = div == "stop";
  d.solver.rtol = opt.real("mesh.rtol");
  std::string const assembly = opt.text("mesh.assembly");
  KONO_USER_REQUIRE(assembly == "petscfe" || assembly == "direct", invalid_argument,
                    "--mesh.assembly=" << assembly << ": choose petscfe or direct"
                                       << known_names_hint(assembly, {"petscfe", "direct"}));
  d.solver.assembly = assembly;
  d.solver.options_prefix = "";  // as for darcy: plain -ksp_type / -pc_type / -ksp_rtol apply
  d.command_line = "kono generate " + opt.command_line();
  return d;
}

GenerateResult generate_poisson_mesh(Options const& opt, MPI_Comm comm) {
  PoissonMeshDatasetOptions const d = poisson_mesh_options(opt);
  try {
    d.validate();
  } catch (Error const& e) {
    // Name the command-line options behind the library's field names.
    KONO_THROW(invalid_argument, e.what() << " (command line: min_radius, max_radius = --mesh.radius; max_holes = "
                                             "--mesh.holes; min_holes = --mesh.min_holes; margin = --mesh.margin)");
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0) {
    std::cout << "kono generate: poisson-mesh, " << d.samples << " samples, ";
    if (d.mesh_file.empty())
      std::cout << "unit box with " << d.holes.min_holes << ".." << d.holes.max_holes << " holes at " << d.resolution
                << " nodes per side";
    else
      std::cout << "mesh " << d.mesh_file;
    std::cout << ", seed " << d.seed << ", " << size << " rank(s)\n";
  }
  PoissonMeshDatasetReport const r = generate_poisson_mesh_dataset(d, comm);
  GenerateResult g;
  g.path = d.out;
  g.samples = r.samples;
  g.seconds = r.seconds;
  for (int it : r.iterations) g.mean_iterations += double(it) / double(std::max<std::size_t>(1, r.iterations.size()));
  if (rank == 0)
    std::cout << "kono generate: wrote " << d.out << " (" << r.samples << " samples, " << r.total_nodes << " nodes, "
              << r.total_cells << " triangles in " << r.seconds << " s, " << r.ksp_type << "+" << r.pc_type
              << ", rtol " << r.rtol << ", mean " << g.mean_iterations << " iterations per solve)\n";
  return g;
}

}  // namespace kono::app
