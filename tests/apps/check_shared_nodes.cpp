// Compares two `kono generate darcy` files of the same seed at different resolutions at the
// nodes they share: with N_c and N_f nodes per axis and (N_f - 1) = r (N_c - 1), coarse node
// (i, j) is fine node (r i, r j). Exit 0 when every sample agrees to the tolerance there and the
// files declare resolution-consistent fields (attribute grf_resolution_consistent = 1), else 1.
//
//   check_shared_nodes COARSE.h5 FINE.h5 [GROUP (default /)] [TOLERANCE (default 0: bitwise)]
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include <kono/core/runtime.hpp>
#include <kono/datasets/hdf5_file.hpp>

namespace {
int fail(std::string const& message) {
  std::cerr << "check_shared_nodes: " << message << "\n";
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  if (argc < 3) return fail("usage: check_shared_nodes COARSE.h5 FINE.h5 [GROUP] [TOLERANCE]");
  std::string const group = argc > 3 ? std::string(argv[3]) : std::string("/");
  double const tol = argc > 4 ? std::atof(argv[4]) : 0.0;
  std::string const prefix = group == "/" ? std::string() : group;
  try {
    kono::Hdf5File coarse(argv[1], MPI_COMM_SELF), fine(argv[2], MPI_COMM_SELF);
    for (auto const* f : {&coarse, &fine})
      if (f->read_attribute<std::int64_t>(group, "grf_resolution_consistent") != 1)
        return fail(std::string("a file does not declare grf_resolution_consistent = 1 on ") + group);
    auto const ic = coarse.dataset_info(prefix + "/x"), jf = fine.dataset_info(prefix + "/x");
    if (ic.shape.rank() != 3 || jf.shape.rank() != 3 || ic.shape[0] != jf.shape[0])
      return fail("expected two [N, n, n] datasets with the same N");
    long long const n = ic.shape[0], nc = ic.shape[1], nf = jf.shape[1];
    if ((nf - 1) % (nc - 1) != 0) return fail("the node grids share no interior nodes");
    long long const r = (nf - 1) / (nc - 1);
    auto const a = coarse.read_array<double>(prefix + "/x"), b = fine.read_array<double>(prefix + "/x");
    double worst = 0;
    long long distinct_values = 0;
    for (long long k = 0; k < n; ++k)
      for (long long i = 0; i < nc; ++i)
        for (long long j = 0; j < nc; ++j) {
          double const u = a[std::size_t((k * nc + i) * nc + j)];
          double const v = b[std::size_t((k * nf + r * i) * nf + r * j)];
          worst = std::max(worst, std::abs(u - v));
          if (u != a[0]) ++distinct_values;
        }
    std::cout << "check_shared_nodes: " << n << " samples, " << nc << " vs " << nf
              << " nodes per axis, max |difference| at shared nodes " << worst << "\n";
    if (distinct_values == 0) return fail("the coefficient is constant: nothing was compared");
    if (!(worst <= tol)) return fail("the fields differ at shared nodes by " + std::to_string(worst));
  } catch (std::exception const& e) {
    return fail(e.what());
  }
  return 0;
}
