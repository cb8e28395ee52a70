// Per-call overhead of the C API (issue 8, "Performance"): KonoModelApplyFloat on host arrays
// against calling the C++ model directly (Model::predict + target decode on a Tensor already in
// the model's memory space), at n x n (default 64^2), batch 1, float, the CLI's Darcy FNO
// configuration (modes 4, hidden 8, 4 layers) and neuralop's tutorial one (modes 8, hidden 24).
// The two are interleaved call by call, so machine load hits both alike; medians are reported.
//   bench_capi [--n 64] [--repeats 200] [--out DIR]
// Output: one JSON object per configuration on stdout.
#include <kono.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/operators/inference.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/model_registry.hpp>

namespace {
using Space = kono::DefaultMemorySpace;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

void run(char const* name, kono::LayerConfig const& options, int n, int repeats, std::string const& dir) {
  std::string const path = dir + "/bench_capi_" + name + ".h5";
  auto model = kono::create_model<Space, float>("fno", options, 3);
  kono::ModelMetadata meta;
  meta.normalizers.emplace_back("target", kono::Normalizer(kono::NormalizerKind::scalar, kono::Shape{1}, {0.4}, {0.3}, 10));
  kono::save_model(path, model, meta, MPI_COMM_SELF);
  kono::Normalizer const& target = meta.normalizers[0].second;

  std::vector<float> xh(std::size_t(n) * std::size_t(n)), yh(xh.size());
  for (std::size_t i = 0; i < xh.size(); ++i) xh[i] = (i * 37 + 11) % 17 > 8 ? 1.0f : 0.0f;
  kono::Tensor<Space, float> x("x", kono::Shape{1, 1, n, n});
  {
    auto h = Kokkos::create_mirror_view(x.data());
    for (std::size_t i = 0; i < xh.size(); ++i) h(i) = xh[i];
    Kokkos::deep_copy(x.data(), h);
  }
  KonoModel m = nullptr;
  if (KonoModelLoad(MPI_COMM_SELF, path.c_str(), &m) != KONO_SUCCESS) {
    std::fprintf(stderr, "bench_capi: %s\n", KonoGetLastErrorMessage());
    std::exit(1);
  }
  int64_t const ext[2] = {n, n};
  auto cxx = [&] {
    auto y = model.predict(x);
    target.decode(y);
    Kokkos::fence();
  };
  auto capi = [&] {
    if (KonoModelApplyFloat(m, 1, 1, ext, xh.data(), yh.data()) != KONO_SUCCESS) std::abort();
  };
  auto time = [](auto&& f) {
    auto const t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (int w = 0; w < 5; ++w) cxx(), capi();  // FFTW plans, first-touch allocations
  std::vector<double> tc, ta;
  for (int r = 0; r < repeats; ++r) {
    tc.push_back(time(cxx));
    ta.push_back(time(capi));
  }
  double const mc = median(tc), ma = median(ta);
  std::printf("{\"config\": \"%s\", \"n\": %d, \"parameters\": %zu, \"repeats\": %d, \"cxx_median_us\": %.1f, "
              "\"capi_median_us\": %.1f, \"overhead_percent\": %.2f}\n",
              name, n, model.num_parameters(), repeats, 1e6 * mc, 1e6 * ma, 100.0 * (ma / mc - 1.0));
  KonoModelDestroy(&m);
  std::remove(path.c_str());
}
}  // namespace

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  int n = 64, repeats = 200;
  std::string dir = ".";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string const a = argv[i];
    if (a == "--n") n = std::atoi(argv[i + 1]);
    if (a == "--repeats") repeats = std::atoi(argv[i + 1]);
    if (a == "--out") dir = argv[i + 1];
  }
  if (KonoInitialize(&argc, &argv) != KONO_SUCCESS) return 1;  // reuses the Runtime above
  run("cli_darcy", {{"in_channels", 1}, {"out_channels", 1}, {"dim", 2}, {"modes", 4}, {"hidden_channels", 8}}, n,
      repeats, dir);
  run("neuralop_tutorial", {{"in_channels", 1}, {"out_channels", 1}, {"dim", 2}, {"modes", 8}, {"hidden_channels", 24}},
      n, repeats, dir);
  KonoFinalize();
  return 0;
}
