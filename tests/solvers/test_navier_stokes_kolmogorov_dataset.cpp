// Kolmogorov-flow data generation on 1 and 2 ranks: the same bits on the world communicator and
// on one rank, the coarse MAC layout (divergence-free, corner vorticity), per-sample parameters,
// every-k DNS storage, the warm-up, starting from a given initial vorticity, bad options.
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/solvers/mac_coarsening.hpp>
#include <kono/solvers/navier_stokes_dataset.hpp>
#include <kono/solvers/petsc_runtime.hpp>

#include "support/kono_test.hpp"

namespace {

double const pi = 3.14159265358979323846;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

kono::NavierStokesDatasetOptions kolmogorov_options(std::string const& out) {
  kono::NavierStokesDatasetOptions o;
  o.out = out;
  o.group = "train";
  o.samples = 2;
  o.seed = 5;
  o.solver.setup = kono::NavierStokesSetup::kolmogorov;
  o.solver.resolution = 32;
  o.solver.domain_length = 2 * pi;
  o.solver.drag = 0.1;
  o.solver.forcing_wavenumber = 4;
  o.solver.times = {0.0, 0.1, 0.2, 0.3};
  o.warmup = 0.5;
  o.nu_list = {1e-3, 2e-3};
  o.forcing_amplitude_list = {1.0, 0.5, 0.25};
  o.coarse = {8, 16};
  o.store_dns_every = 2;
  o.max_velocity = 7;
  o.peak_wavenumber = 4;
  o.progress_seconds = 0;
  return o;
}

TEST(NavierStokesKolmogorovDataset, SameBitsOnTheWorldCommunicatorAndOnOneRank) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("nskol_repro", MPI_COMM_WORLD);
  auto o = kolmogorov_options(dir.file("world.h5"));
  kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD);
  auto s = kolmogorov_options(dir.file("self_" + std::to_string(world_rank()) + ".h5"));
  kono::generate_navier_stokes_dataset(s, MPI_COMM_SELF);
  kono::Hdf5File world(o.out, MPI_COMM_SELF), self(s.out, MPI_COMM_SELF);
  for (char const* name : {"/train/x", "/train/y", "/train/coarse_8/velocity", "/train/coarse_8/vorticity",
                           "/train/coarse_16/velocity", "/train/coarse_16/vorticity", "/train/params/nu",
                           "/train/params/forcing_amplitude", "/train/solver/steps", "/train/coords/t",
                           "/train/coords/t_dns"}) {
    auto const a = world.read_array<double>(name);
    auto const b = self.read_array<double>(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << name << " differs at " << i;
  }
  // Layout.
  EXPECT_EQ(world.dataset_info("/train/x").shape, (kono::Shape{2, 32, 32}));
  EXPECT_EQ(world.dataset_info("/train/y").shape, (kono::Shape{2, 2, 32, 32}));
  EXPECT_EQ(world.dataset_info("/train/coarse_8/velocity").shape, (kono::Shape{2, 4, 2, 8, 8}));
  EXPECT_EQ(world.dataset_info("/train/coarse_16/vorticity").shape, (kono::Shape{2, 4, 16, 16}));
  EXPECT_EQ(world.read_array<double>("/train/coords/t_dns"), (std::vector<double>{0.0, 0.2}));
  EXPECT_EQ(world.read_array<double>("/train/params/nu"), (std::vector<double>{1e-3, 2e-3}));
  EXPECT_EQ(world.read_array<double>("/train/params/forcing_amplitude"), (std::vector<double>{1.0, 0.5}));
  auto const x0 = world.read_array<double>("/train/coords/x0");
  EXPECT_NEAR(x0[16], pi, 1e-14);
  // x is the state at the end of the warm-up = the first output (t = 0).
  auto const x = world.read_array<double>("/train/x");
  auto const y = world.read_array<double>("/train/y");
  for (std::size_t i = 0; i < 1024; ++i) {
    ASSERT_EQ(x[i], y[i]);
    ASSERT_EQ(x[1024 + i], y[2048 + i]);
  }
  // The coarse state: divergence-free; its corner vorticity as stored; coarse entry t = 0 is the
  // face average of x.
  auto const vel = world.read_array<double>("/train/coarse_8/velocity");
  auto const vort = world.read_array<double>("/train/coarse_8/vorticity");
  double const H = 2 * pi / 8;
  for (std::size_t e = 0; e < 8; ++e) {  // N * T = 8 coarse states
    double const* uv = vel.data() + e * 128;
    std::vector<double> div(64), wc(64);
    kono::mac_divergence(8, 2 * pi, uv, div.data());
    double umax = 0;
    for (int i = 0; i < 128; ++i) umax = std::max(umax, std::abs(uv[i]));
    for (double d : div) EXPECT_LT(std::abs(d) * H, 1e-12 * umax);
    kono::mac_corner_vorticity(8, 2 * pi, uv, wc.data());
    for (int i = 0; i < 64; ++i) EXPECT_NEAR(wc[std::size_t(i)], vort[e * 64 + std::size_t(i)], 1e-12);
  }
  kono::MacCoarsening mac(32, 2 * pi, {8});
  mac.set_vorticity(x.data() + 1024);
  std::vector<double> uv(128);
  mac.velocity(0, uv.data());
  for (int i = 0; i < 128; ++i) EXPECT_NEAR(uv[std::size_t(i)], vel[4 * 128 + std::size_t(i)], 1e-13);
  // Provenance.
  EXPECT_EQ(world.read_attribute<std::string>("/train", "setup"), "kolmogorov");
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "domain_length"), 2 * pi);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "drag"), 0.1);
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train", "warmup"), 0.5);
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "forcing_wavenumber"), 4);
  EXPECT_EQ(world.read_attribute<std::int64_t>("/train", "dns_resolution"), 32);
  EXPECT_EQ(world.read_attribute<std::vector<std::int64_t>>("/train", "coarse"), (std::vector<std::int64_t>{8, 16}));
  EXPECT_EQ(world.read_attribute<std::vector<double>>("/train", "forcing_amplitude"),
            (std::vector<double>{1.0, 0.5, 0.25}));
  EXPECT_DOUBLE_EQ(world.read_attribute<double>("/train/coarse_8", "cell_width"), H);
}

TEST(NavierStokesKolmogorovDataset, StartsFromAGivenInitialVorticityAndCanSkipTheDns) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  kono::test::TempDir dir("nskol_init", MPI_COMM_WORLD);
  auto o = kolmogorov_options(dir.file("a.h5"));
  o.warmup = 0;
  o.coarse = {16};
  kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD);
  // Feed a's initial fields back in: the same trajectories, with no /y.
  auto b = o;
  b.out = dir.file("b.h5");
  b.initial_file = o.out;
  b.initial_dataset = "/train/x";
  b.store_dns_every = 0;
  kono::generate_navier_stokes_dataset(b, MPI_COMM_WORLD);
  kono::Hdf5File fa(o.out, MPI_COMM_SELF), fb(b.out, MPI_COMM_SELF);
  EXPECT_FALSE(fb.has_dataset("/train/y"));
  EXPECT_EQ(fa.read_array<double>("/train/coarse_16/velocity"), fb.read_array<double>("/train/coarse_16/velocity"));
  EXPECT_EQ(fa.read_array<double>("/train/x"), fb.read_array<double>("/train/x"));
  b.initial_dataset = "/nope";
  b.out = dir.file("c.h5");
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(b, MPI_COMM_WORLD), invalid_argument, "/nope");
}

TEST(NavierStokesKolmogorovDataset, BadOptionsAreRefused) {
  kono::test::TempDir dir("nskol_bad", MPI_COMM_WORLD);
  auto o = kolmogorov_options(dir.file("bad.h5"));
  o.coarse = {12};
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument,
                    "coarse resolution 12 does not divide");
  o = kolmogorov_options(dir.file("bad.h5"));
  o.solver.drag = -1;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "drag = -1");
  o = kolmogorov_options(dir.file("bad.h5"));
  o.warmup = -1;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "warmup = -1");
  o = kolmogorov_options(dir.file("bad.h5"));
  o.nu_list = {1e-3, -1};
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument, "nu_list[1] = -1");
  o = kolmogorov_options(dir.file("bad.h5"));
  o.solver.setup = kono::NavierStokesSetup::fno;
  EXPECT_KONO_ERROR(kono::generate_navier_stokes_dataset(o, MPI_COMM_WORLD), invalid_argument,
                    "coarse MAC states need the Kolmogorov set-up");
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.h5")));
}

}  // namespace
