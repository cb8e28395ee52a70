// Forward+backward throughput of the pointwise (1x1) layer, the 3x3 convolution and the 4x4
// stride-2 transposed convolution (host BLAS and portable paths) against the machine's GEMM rate
// measured in the same process (issue: pointwise >= 50% of GEMM), and the time of SpectralConv
// (KONO_SPECTRAL_PATH picks its host or portable path; docs/spectral_conv.md). Rates use the main thread's CPU
// time: with a threaded BLAS compare the wall Time column, or set OPENBLAS_NUM_THREADS=1.
//   bench_layers --benchmark_out=layers.json
// FLOPs counted: forward 2*N*P*Cin*Cout*K, backward twice that (input and weight gradients).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdlib>
#include <string>

#include <kono/kono.hpp>
#include <kono/operators/layers/spectral_conv.hpp>

namespace {
using Space = kono::DefaultMemorySpace;
using Exec = Space::execution_space;
using T = kono::Tensor<Space, float>;

// Same GEMM the pointwise layer issues per sample: [Cout x Cin] x [Cin x P].
void BM_Sgemm(benchmark::State& state) {
  int const c = int(state.range(0)), n = int(state.range(1)), p = n * n, batch = 4;
  std::vector<float> a(std::size_t(c) * c, 0.01f), b(std::size_t(c) * p, 1.0f), out(std::size_t(c) * p);
  for (auto _ : state)
    for (int s = 0; s < batch; ++s)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c, p, c, 1.0f, a.data(), c, b.data(), p, 0.0f, out.data(), p);
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * batch * p * double(c) * c, benchmark::Counter::kIsIterationInvariantRate);
}

template <class Layer>
void run_layer(benchmark::State& state, Layer& layer, kono::Shape const& in, double flops_forward) {
  Kokkos::View<float*, Space> params("params", layer.num_parameters()), grads("grads", layer.num_parameters());
  using pv = kono::Layer<Space, float>::param_view;
  layer.bind_parameters(pv(params.data(), params.extent(0)), pv(grads.data(), grads.extent(0)));
  layer.initialize_parameters(1);
  T x("x", in), y("y", layer.output_shape(in)), dx("dx", in), dy("dy", layer.output_shape(in));
  x.fill(0.5f);
  dy.fill(0.1f);
  Exec space;
  for (auto _ : state) {
    auto ctx = layer.forward(space, x, y);
    layer.backward(space, *ctx, dy, &dx, kono::GradientMode::overwrite);
    space.fence();
  }
  state.counters["FLOP/s"] = benchmark::Counter(3.0 * flops_forward, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_PointwiseBlas(benchmark::State& state) {
  int const c = int(state.range(0)), n = int(state.range(1));
  kono::Linear<Space, float> layer(c, c);
  run_layer(state, layer, kono::Shape{4, c, n, n}, 2.0 * 4 * n * n * double(c) * c);
}

void BM_PointwisePortable(benchmark::State& state) {
  int const c = int(state.range(0)), n = int(state.range(1));
  kono::Linear<Space, float> layer(c, c);
  layer.use_portable_kernels(true);
  run_layer(state, layer, kono::Shape{4, c, n, n}, 2.0 * 4 * n * n * double(c) * c);
}

void conv3x3(benchmark::State& state, bool portable) {
  int const c = int(state.range(0)), n = int(state.range(1));
  kono::ConvParams p;
  p.dim = 2;
  p.in_channels = c;
  p.out_channels = c;
  p.kernel = {3, 3};
  kono::Conv<Space, float> layer(p);
  layer.use_portable_kernels(portable);
  run_layer(state, layer, kono::Shape{4, c, n, n}, 2.0 * 4 * n * n * double(c) * c * 9);
}
// Host BLAS path (im2col + GEMM) and the portable Kokkos kernels.
void BM_Conv3x3(benchmark::State& state) { conv3x3(state, false); }
void BM_Conv3x3Portable(benchmark::State& state) { conv3x3(state, true); }

// MgNO's prolongation: kernel 4, stride 2, padding 1 doubles n; FLOPs counted on the input grid.
void conv_transpose4x4(benchmark::State& state, bool portable) {
  int const c = int(state.range(0)), n = int(state.range(1));
  kono::ConvTransposeParams p;
  p.dim = 2;
  p.in_channels = c;
  p.out_channels = c;
  p.kernel = {4, 4};
  p.stride = {2, 2};
  p.padding = {1, 1};
  kono::ConvTranspose<Space, float> layer(p);
  layer.use_portable_kernels(portable);
  run_layer(state, layer, kono::Shape{4, c, n, n}, 2.0 * 4 * n * n * double(c) * c * 16);
}
void BM_ConvTranspose4x4(benchmark::State& state) { conv_transpose4x4(state, false); }
void BM_ConvTranspose4x4Portable(benchmark::State& state) { conv_transpose4x4(state, true); }

// FNO's Fourier layer, c -> c channels, modes 8 x 8, batch 16, forward + backward (dx and
// parameter gradients). Which implementation runs is the library's choice: the pruned FFTW +
// BLAS host path, or with KONO_SPECTRAL_PATH=portable the portable path (Kokkos kernels around
// a full-grid FFT: the code that runs on GPUs). The label says which.
void BM_SpectralConv(benchmark::State& state) {
  int const c = int(state.range(0)), n = int(state.range(1)), batch = 16;
  kono::SpectralConv<Space, float> layer(c, c, {8, 8});
  Kokkos::View<float*, Space> params("params", layer.num_parameters()), grads("grads", layer.num_parameters());
  using pv = kono::Layer<Space, float>::param_view;
  layer.bind_parameters(pv(params.data(), params.extent(0)), pv(grads.data(), grads.extent(0)));
  layer.initialize_parameters(1);
  kono::Shape const in{batch, c, n, n};
  T x("x", in), y("y", in), dx("dx", in), dy("dy", in);
  kono::fill_uniform(x.data(), -1.0, 1.0, 2);
  kono::fill_uniform(dy.data(), -1.0, 1.0, 3);
  Exec space;
  auto step = [&] {
    auto ctx = layer.forward(space, x, y);
    layer.backward(space, *ctx, dy, &dx, kono::GradientMode::overwrite);
    space.fence();
  };
  step();  // FFT planning and scratch allocation happen here, untimed
  for (auto _ : state) step();
  char const* path = std::getenv("KONO_SPECTRAL_PATH");
  state.SetLabel(std::string("path=") + (path && *path ? path : "host"));
}
}  // namespace

BENCHMARK(BM_Sgemm)->Args({64, 128})->Args({32, 128})->Args({64, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PointwiseBlas)->Args({64, 128})->Args({64, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PointwisePortable)->Args({64, 128})->Args({64, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv3x3)->Args({32, 128})->Args({32, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv3x3Portable)->Args({32, 128})->Args({32, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvTranspose4x4)->Args({32, 64})->Args({32, 8})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvTranspose4x4Portable)->Args({32, 64})->Args({32, 8})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpectralConv)->Args({24, 64})->Args({24, 16})->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("kono_git_revision", KONO_GIT_REVISION_BENCH);
  benchmark::AddCustomContext("kokkos_execution_space", kono::default_execution_space_name());
  benchmark::AddCustomContext("mpi_ranks", std::to_string(runtime.size()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
