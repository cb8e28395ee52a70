// Darcy reference solver benchmark (issue 4): GAMG iteration counts against resolution, and
// throughput in samples/s with the samples spread over the ranks (or each sample decomposed).
//   bench_darcy                                   # 2D, resolutions 64 128 256 512, 4 samples each
//   mpiexec -n 2 bench_darcy --res 64 256 --samples 8
//   mpiexec -n 2 bench_darcy --mode decomposed --res 512 1024 --samples 2
//   bench_darcy --dim 3 --res 16 32 64 -darcy_pc_type hypre   # PETSc options pass through
// Prints one table row per resolution: mean/min/max KSP iterations, mean relative residual,
// seconds per sample (coefficient + assembly + GAMG setup + solve) and samples/s on all ranks.
#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/datasets/sample_shard.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

int main(int argc, char** argv) {
  // 1. Options (everything not recognised here goes to PETSc).
  std::vector<kono::index_t> resolutions;
  int dim = 2;
  kono::index_t samples = 4;
  bool decomposed = false;
  std::uint64_t seed = 1;
  std::vector<char*> petsc_args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    if (a == "--res") {
      while (i + 1 < argc && argv[i + 1][0] != '-') resolutions.push_back(std::atoll(argv[++i]));
    } else if (a == "--dim" && i + 1 < argc) {
      dim = std::atoi(argv[++i]);
    } else if (a == "--samples" && i + 1 < argc) {
      samples = std::atoll(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--mode" && i + 1 < argc) {
      decomposed = std::strcmp(argv[++i], "decomposed") == 0;
    } else {
      petsc_args.push_back(argv[i]);
    }
  }
  if (resolutions.empty()) resolutions = dim == 2 ? std::vector<kono::index_t>{64, 128, 256, 512}
                                                  : std::vector<kono::index_t>{16, 32, 64};
  int pargc = int(petsc_args.size());
  char** pargv = petsc_args.data();
  kono::Runtime runtime(pargc, pargv);
  kono::ensure_petsc_initialized(runtime, &pargc, &pargv);
  MPI_Comm const comm = runtime.comm();
  int const rank = runtime.rank(), size = runtime.size();

  if (rank == 0) {
    std::printf("# bench_darcy: %dD, %lld samples per resolution, %d rank(s), mode %s, threshold GRF 12/3, "
                "alpha 2, tau 3, f = 1\n",
                dim, static_cast<long long>(samples), size, decomposed ? "decomposed" : "samples");
    std::printf("%10s %8s %8s %8s %12s %12s %12s %10s %10s\n", "resolution", "its_mean", "its_min", "its_max",
                "rel_resid", "s/sample", "samples/s", "ksp", "pc");
  }
  for (kono::index_t n : resolutions) {
    // 2. One solver per resolution, reused for every sample.
    kono::DarcySolverOptions o;
    o.dim = dim;
    o.resolution = n;
    kono::GaussianRandomFieldOptions go;
    go.dim = dim;
    go.resolution = n;
    kono::GaussianRandomField grf(go);
    kono::SampleShard const shard = decomposed ? kono::SampleShard{0, samples} : kono::shard_samples(samples, comm);
    std::vector<double> its, rel;
    std::vector<double> field(std::size_t(grf.size())), a(field.size()), u;
    std::string ksp, pc;
    MPI_Barrier(comm);
    auto const t0 = std::chrono::steady_clock::now();
    {
      kono::DarcySolver solver(decomposed ? comm : PETSC_COMM_SELF, o);
      ksp = solver.ksp_type();
      pc = solver.pc_type();
      auto const b = solver.owned_begin(), e = solver.owned_end();
      std::vector<double> a_owned(std::size_t(solver.owned_size())), u_owned(a_owned.size());
      double const bnorm = std::sqrt(std::pow(double(n - 2), dim)) * o.forcing;
      for (kono::index_t s = 0; s < shard.count; ++s) {
        kono::index_t const k = shard.first + s;
        grf.sample_into(seed, k, field.data());
        kono::threshold_coefficient(field, a);
        std::size_t idx = 0;
        for (kono::index_t i0 = b[0]; i0 < e[0]; ++i0)
          for (kono::index_t i1 = b[1]; i1 < e[1]; ++i1)
            for (kono::index_t i2 = b[2]; i2 < e[2]; ++i2)
              a_owned[idx++] = a[std::size_t(dim == 2 ? i0 * n + i1 : (i0 * n + i1) * n + i2)];
        auto const info = solver.solve(a_owned.data(), u_owned.data(), k);
        its.push_back(info.iterations);
        rel.push_back(info.residual_norm / bnorm);
      }
    }
    double const local_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double seconds = 0;
    MPI_Allreduce(&local_seconds, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm);
    // 3. Iteration statistics over all samples (gathered by reduction).
    double stats[4] = {0, 1e300, 0, 0};  // sum, min, max, sum of relative residuals
    for (std::size_t i = 0; i < its.size(); ++i) {
      stats[0] += decomposed && rank != 0 ? 0 : its[i];
      stats[1] = std::min(stats[1], its[i]);
      stats[2] = std::max(stats[2], its[i]);
      stats[3] += decomposed && rank != 0 ? 0 : rel[i];
    }
    double sums[2] = {stats[0], stats[3]}, mn = stats[1], mx = stats[2];
    MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_DOUBLE, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, &mn, 1, MPI_DOUBLE, MPI_MIN, comm);
    MPI_Allreduce(MPI_IN_PLACE, &mx, 1, MPI_DOUBLE, MPI_MAX, comm);
    if (rank == 0)
      std::printf("%10lld %8.1f %8.0f %8.0f %12.2e %12.4f %12.3f %10s %10s\n", static_cast<long long>(n),
                  sums[0] / samples, mn, mx, sums[1] / samples, seconds * (decomposed ? 1 : size) / samples,
                  samples / seconds, ksp.c_str(), pc.c_str());
    std::fflush(stdout);
  }
  return 0;
}
