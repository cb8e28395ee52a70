#pragma once
// Backend-neutral batched full-grid real FFT for the portable SpectralConv path: FFTW on host
// execution spaces, cuFFT on Kokkos::Cuda, hipFFT on Kokkos' HIP space (the GPU libraries only
// when Kokkos has that backend, see operators/CMakeLists.txt).
#include <memory>
#include <type_traits>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/types.hpp>

#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
#include "cufft_real_fft.hpp"
#endif

namespace kono {
namespace Impl {

/// FFTW planner effort for every kono plan: FFTW_MEASURE, or KONO_FFTW_PLANNER=estimate|measure|patient.
unsigned fftw_planner_flag();

/// Unnormalised batched d-dimensional (d = 1..3) real FFTs with FFTW on host memory:
/// real [howmany, n...] <-> complex [howmany, n_0.., n_{d-1}/2+1] (re, im). Plans are made once,
/// on zeroed scratch (FFTW_MEASURE writes to its arrays), and applied to the caller's arrays
/// through the new-array interface; arrays without SIMD alignment get FFTW_UNALIGNED plans,
/// made on first need.
template <class Scalar>
class FftwRealFft {
 public:
  FftwRealFft(std::vector<index_t> const& extents, index_t howmany);
  ~FftwRealFft();
  FftwRealFft(FftwRealFft const&) = delete;
  FftwRealFft& operator=(FftwRealFft const&) = delete;
  /// real_in is preserved.
  void forward(Scalar const* real_in, Scalar* complex_out);
  /// complex_in is overwritten (FFTW's multi-dimensional c2r cannot preserve its input).
  void inverse(Scalar* complex_in, Scalar* real_out);

 private:
  struct Plans;
  std::unique_ptr<Plans> m_plans;
};

/// The FFT the portable path calls, on the execution space it runs kernels on. Plans for one
/// spatial shape and `howmany` fields; transforms are ordered with the kernels on `space`.
template <class ExecSpace, class Scalar>
class BatchedRealFft {
  static constexpr bool on_host = Kokkos::SpaceAccessibility<ExecSpace, Kokkos::HostSpace>::accessible;
#if defined(KOKKOS_ENABLE_CUDA)
  static constexpr bool on_cuda = std::is_same<ExecSpace, Kokkos::Cuda>::value;
#else
  static constexpr bool on_cuda = false;
#endif
#if defined(KOKKOS_ENABLE_HIP)
  // The HIP space is Kokkos::Experimental::HIP before Kokkos 4 and Kokkos::HIP since; a Kokkos
  // build has one device backend, so "not a host space" names it without a version test.
  static constexpr bool on_hip = !on_host;
#else
  static constexpr bool on_hip = false;
#endif

 public:
  /// Throws Error{unsupported} for an execution space without an FFT backend (SYCL, OpenMPTarget).
  BatchedRealFft(std::vector<index_t> const& extents, index_t howmany) {
    if constexpr (on_host) {
      m_host = std::make_unique<FftwRealFft<Scalar>>(extents, howmany);
    } else if constexpr (on_cuda || on_hip) {
#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
      m_device = std::make_unique<CufftRealFft>(std::vector<long long>(extents.begin(), extents.end()),
                                                static_cast<long long>(howmany), std::is_same<Scalar, double>::value);
#endif
    } else {
      KONO_THROW(unsupported, "kono::SpectralConv: no FFT backend for Kokkos execution space "
                                  << ExecSpace::name()
                                  << " (kono uses FFTW on host spaces, cuFFT on Cuda and hipFFT on HIP)");
    }
  }

  /// complex_out = rfftn(real_in) per field; real_in is preserved.
  void forward(ExecSpace const& space, Scalar const* real_in, Scalar* complex_out) const {
    if constexpr (on_host) {
      space.fence();  // FFTW runs outside Kokkos: earlier kernels must be done
      m_host->forward(real_in, complex_out);
    } else {
      m_device->forward(stream_of(space), real_in, complex_out);
    }
  }
  /// real_out = irfftn(complex_in) per field, unnormalised; complex_in is overwritten.
  void inverse(ExecSpace const& space, Scalar* complex_in, Scalar* real_out) const {
    if constexpr (on_host) {
      space.fence();
      m_host->inverse(complex_in, real_out);
    } else {
      m_device->inverse(stream_of(space), complex_in, real_out);
    }
  }

 private:
  static void* stream_of(ExecSpace const& space) {
    (void)space;
#if defined(KOKKOS_ENABLE_CUDA)
    if constexpr (on_cuda) return static_cast<void*>(space.cuda_stream());
#endif
#if defined(KOKKOS_ENABLE_HIP)
    if constexpr (on_hip) return static_cast<void*>(space.hip_stream());
#endif
    return nullptr;
  }

  std::unique_ptr<FftwRealFft<Scalar>> m_host;
#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
  std::unique_ptr<CufftRealFft> m_device;
#else
  struct NoDevice {
    void forward(void*, Scalar const*, Scalar*) const {}
    void inverse(void*, Scalar*, Scalar*) const {}
  };
  std::unique_ptr<NoDevice> m_device;  // never made: spaces without a backend throw on construction
#endif
};

}  // namespace Impl
}  // namespace kono
