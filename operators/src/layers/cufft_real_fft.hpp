#pragma once
// Batched real FFTs on a GPU through cuFFT, or through hipFFT when compiled with
// KONO_FFT_USE_HIPFFT (hipFFT mirrors cuFFT name for name, so one source serves both).
// Deliberately free of Kokkos and of CUDA/HIP headers: raw device pointers, streams as void*,
// so the same file builds with the host compiler, nvcc or hipcc, and a test can link it
// against the toolkit without a Kokkos CUDA build.
#include <memory>
#include <vector>

namespace kono {
namespace Impl {

/// Unnormalised d-dimensional (d = 1..3) real FFTs of `howmany` contiguous fields:
/// real [howmany, n_0, .., n_{d-1}] <-> complex [howmany, n_0, .., n_{d-2}, n_{d-1}/2 + 1]
/// (re, im interleaved), single (R2C/C2R) or double (D2Z/Z2D) precision. Both plans are made
/// once in the constructor. Throws kono::Error{unsupported} when no GPU is present and
/// Error{internal} naming the failing cuFFT/hipFFT call and its result code otherwise.
class CufftRealFft {
 public:
  CufftRealFft(std::vector<long long> const& extents, long long howmany, bool double_precision);
  ~CufftRealFft();
  CufftRealFft(CufftRealFft const&) = delete;
  CufftRealFft& operator=(CufftRealFft const&) = delete;

  /// real_in (preserved) -> complex_out, enqueued on `stream` (cudaStream_t / hipStream_t).
  void forward(void* stream, void const* real_in, void* complex_out) const;
  /// complex_in -> real_out on `stream`; complex_in is overwritten (cuFFT's C2R always does).
  void inverse(void* stream, void* complex_in, void* real_out) const;

  /// "cuFFT" or "hipFFT": the library this file was compiled against.
  static char const* library_name() noexcept;

 private:
  struct Plans;
  std::unique_ptr<Plans> m_plans;
  bool m_double;
};

}  // namespace Impl
}  // namespace kono
