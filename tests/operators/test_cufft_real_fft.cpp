// CufftRealFft, the Kokkos-free cuFFT wrapper of SpectralConv's device path, compiled with the
// host compiler against the CUDA toolkit. With a GPU: a real round trip against FFTW in both
// precisions. Without one: the clear kono::Error instead of a crash inside cuFFT.
#include <cuda_runtime_api.h>
#include <fftw3.h>

#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "layers/cufft_real_fft.hpp"
#include "support/kono_test.hpp"

namespace {
using kono::Impl::CufftRealFft;

bool gpu_present() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

// FFTW's r2c of `howmany` fields of extents n (the reference).
std::vector<std::complex<double>> fftw_r2c(std::vector<int> const& n, int howmany, std::vector<double> x) {
  int points = 1;
  for (int e : n) points *= e;
  int const half = points / n.back() * (n.back() / 2 + 1);
  std::vector<std::complex<double>> out(std::size_t(howmany) * std::size_t(half));
  fftw_plan p = fftw_plan_many_dft_r2c(int(n.size()), n.data(), howmany, x.data(), nullptr, 1, points,
                                       reinterpret_cast<fftw_complex*>(out.data()), nullptr, 1, half, FFTW_ESTIMATE);
  fftw_execute(p);
  fftw_destroy_plan(p);
  return out;
}

template <class S>
void round_trip(std::vector<int> const& n, int howmany) {
  SCOPED_TRACE(std::to_string(n.size()) + "D, double=" + std::to_string(sizeof(S) == 8));
  int points = 1;
  for (int e : n) points *= e;
  int const half = points / n.back() * (n.back() / 2 + 1);
  std::size_t const nr = std::size_t(howmany) * std::size_t(points), nc = 2 * std::size_t(howmany) * std::size_t(half);
  std::vector<double> x(nr);
  for (std::size_t i = 0; i < nr; ++i) x[i] = std::sin(0.37 * double(i) + 0.1) + 0.25 * std::cos(1.3 * double(i));
  std::vector<S> xs(x.begin(), x.end()), spec(nc), back(nr);
  void *dx = nullptr, *dc = nullptr, *dy = nullptr;
  ASSERT_EQ(cudaMalloc(&dx, nr * sizeof(S)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dc, nc * sizeof(S)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dy, nr * sizeof(S)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, xs.data(), nr * sizeof(S), cudaMemcpyHostToDevice), cudaSuccess);
  CufftRealFft fft(std::vector<long long>(n.begin(), n.end()), howmany, sizeof(S) == 8);
  fft.forward(nullptr, dx, dc);
  ASSERT_EQ(cudaMemcpy(spec.data(), dc, nc * sizeof(S), cudaMemcpyDeviceToHost), cudaSuccess);
  fft.inverse(nullptr, dc, dy);
  ASSERT_EQ(cudaMemcpy(back.data(), dy, nr * sizeof(S), cudaMemcpyDeviceToHost), cudaSuccess);
  cudaFree(dx);
  cudaFree(dc);
  cudaFree(dy);
  auto const ref = fftw_r2c(n, howmany, x);
  double const tol = (sizeof(S) == 8 ? 1e-12 : 1e-4) * double(points);
  for (std::size_t k = 0; k < ref.size(); ++k) {
    ASSERT_NEAR(double(spec[2 * k]), ref[k].real(), tol) << k;
    ASSERT_NEAR(double(spec[2 * k + 1]), ref[k].imag(), tol) << k;
  }
  for (std::size_t i = 0; i < nr; ++i) ASSERT_NEAR(double(back[i]), double(points) * x[i], tol) << i;  // unnormalised
}

TEST(CufftRealFft, RoundTripAgainstFftwOnAGpuOrAClearErrorWithout) {
  EXPECT_STREQ(CufftRealFft::library_name(), "cuFFT");
  if (gpu_present()) {
    for (auto const& n : {std::vector<int>{12}, std::vector<int>{9, 8}, std::vector<int>{5, 4, 6}}) {
      round_trip<float>(n, 3);
      round_trip<double>(n, 3);
    }
  } else {
    EXPECT_KONO_ERROR((CufftRealFft({8, 6}, 3, false)), unsupported, "no CUDA device present");
    EXPECT_KONO_ERROR((CufftRealFft({16}, 2, true)), unsupported, "cuFFT plans need a GPU");
  }
}

TEST(CufftRealFft, BadArgumentsAreRefusedBeforeTouchingTheGpu) {
  EXPECT_KONO_ERROR((CufftRealFft({4, 4, 4, 4}, 1, false)), invalid_argument, "1 to 3 axes, got 4");
  EXPECT_KONO_ERROR((CufftRealFft({}, 1, false)), invalid_argument, "1 to 3 axes, got 0");
  EXPECT_KONO_ERROR((CufftRealFft({8, 0}, 1, false)), invalid_argument, "extent 0 must be in [1,");
  EXPECT_KONO_ERROR((CufftRealFft({1 << 16, 1 << 16}, 2, true)), invalid_argument, "total size");
}
}  // namespace
