// cuFFT (or hipFFT) behind CufftRealFft. Only the host API of the libraries is used, so a plain
// C++ compiler builds this file; nvcc and hipcc do too. Built into kono_operators only when
// Kokkos has the CUDA (or HIP) backend, and into test_cufft_real_fft when a CUDA toolkit exists.
#include "cufft_real_fft.hpp"

#include <climits>
#include <sstream>
#include <string>

#include <kono/core/error.hpp>

// The one name mapping between the two libraries: KONO_FFT(PlanMany) is cufftPlanMany or
// hipfftPlanMany, KONO_FFT_ENUM(R2C) CUFFT_R2C or HIPFFT_R2C, KONO_GPU(Stream_t) cudaStream_t
// or hipStream_t.
#if defined(KONO_FFT_USE_HIPFFT)
#include <hip/hip_runtime_api.h>
#include <hipfft/hipfft.h>
#define KONO_FFT(name) hipfft##name
#define KONO_FFT_ENUM(name) HIPFFT_##name
#define KONO_GPU(name) hip##name
#define KONO_FFT_PREFIX "hipfft"
#define KONO_FFT_LIBRARY "hipFFT"
#define KONO_GPU_RUNTIME "HIP"
#define KONO_GPU_PREFIX "hip"
#else
#include <cuda_runtime_api.h>
#include <cufft.h>
#define KONO_FFT(name) cufft##name
#define KONO_FFT_ENUM(name) CUFFT_##name
#define KONO_GPU(name) cuda##name
#define KONO_FFT_PREFIX "cufft"
#define KONO_FFT_LIBRARY "cuFFT"
#define KONO_GPU_RUNTIME "CUDA"
#define KONO_GPU_PREFIX "cuda"
#endif

namespace kono {
namespace Impl {
namespace {

// Result codes share their values between cuFFT and hipFFT; names for the messages.
char const* result_name(int r) {
  switch (r) {
    case 0: return "SUCCESS";
    case 1: return "INVALID_PLAN";
    case 2: return "ALLOC_FAILED";
    case 3: return "INVALID_TYPE";
    case 4: return "INVALID_VALUE";
    case 5: return "INTERNAL_ERROR";
    case 6: return "EXEC_FAILED";
    case 7: return "SETUP_FAILED";
    case 8: return "INVALID_SIZE";
    case 9: return "UNALIGNED_DATA";
    case 10: return "INCOMPLETE_PARAMETER_LIST";
    case 11: return "INVALID_DEVICE";
    case 12: return "PARSE_ERROR";
    case 13: return "NO_WORKSPACE";
    case 14: return "NOT_IMPLEMENTED";
    case 16: return "NOT_SUPPORTED";
    default: return "unknown result";
  }
}

// Running out of device memory is the user's problem to solve (smaller batch); any other
// failure means kono called the library wrongly.
void check(KONO_FFT(Result) r, char const* call, std::string const& what) {
  if (r == KONO_FFT_ENUM(SUCCESS)) return;
  int const code = static_cast<int>(r);
  std::ostringstream msg;
  msg << "kono::CufftRealFft: " KONO_FFT_PREFIX << call << " (" << what << ") failed with " KONO_FFT_LIBRARY " result "
      << result_name(code) << " (" << code << ")";
  if (r == KONO_FFT_ENUM(ALLOC_FAILED)) KONO_THROW(unsupported, msg.str() << "; try a smaller batch");
  KONO_THROW(internal, msg.str());
}

// Planning without a GPU would fail deep inside the library (or worse): say so plainly first.
void require_device() {
  int count = 0;
  KONO_GPU(Error_t) const e = KONO_GPU(GetDeviceCount)(&count);
  if (e != KONO_GPU(Success))
    KONO_THROW(unsupported, "kono::CufftRealFft: no " KONO_GPU_RUNTIME " device present (" KONO_GPU_PREFIX
                            "GetDeviceCount returned "
                                << KONO_GPU(GetErrorName)(e) << ": " << KONO_GPU(GetErrorString)(e)
                                << "); " KONO_FFT_LIBRARY " plans need a GPU");
  if (count < 1)
    KONO_THROW(unsupported, "kono::CufftRealFft: no " KONO_GPU_RUNTIME " device present (" KONO_GPU_PREFIX
                            "GetDeviceCount reports 0 devices); " KONO_FFT_LIBRARY " plans need a GPU");
}

int to_int(long long v, char const* what) {
  KONO_USER_REQUIRE(v >= 1 && v <= INT_MAX, invalid_argument,
                    "kono::CufftRealFft: " << what << " " << v << " must be in [1, " << INT_MAX << "] for "
                                           << KONO_FFT_LIBRARY);
  return static_cast<int>(v);
}
}  // namespace

struct CufftRealFft::Plans {
  KONO_FFT(Handle) r2c{};
  KONO_FFT(Handle) c2r{};
  bool have_r2c = false, have_c2r = false;
  std::string what;  // "rank 2, 64 x 64, batch 384, single": for messages
  Plans() = default;
  Plans(Plans const&) = delete;
  Plans& operator=(Plans const&) = delete;
  // Also runs when the constructor throws after the first plan. Must not throw: a failing
  // destroy leaks the plan, nothing more.
  ~Plans() {
    if (have_r2c) (void)KONO_FFT(Destroy)(r2c);
    if (have_c2r) (void)KONO_FFT(Destroy)(c2r);
  }
};

CufftRealFft::CufftRealFft(std::vector<long long> const& extents, long long howmany, bool double_precision)
    : m_plans(std::make_unique<Plans>()), m_double(double_precision) {
  KONO_USER_REQUIRE(!extents.empty() && extents.size() <= 3, invalid_argument,
                    "kono::CufftRealFft: 1 to 3 axes, got " << extents.size());
  int n[3] = {1, 1, 1};
  long long points = 1;
  std::ostringstream what;
  what << "rank " << extents.size() << ", ";
  for (std::size_t a = 0; a < extents.size(); ++a) {
    n[a] = to_int(extents[a], "extent");
    points *= extents[a];
    what << (a ? " x " : "") << extents[a];
  }
  int const batch = to_int(howmany, "batch");
  to_int(points * howmany, "total size");
  what << ", batch " << howmany << ", " << (double_precision ? "double" : "single");
  m_plans->what = what.str();
  require_device();
  int const rank = int(extents.size());
  // Null embeds: the basic contiguous layouts (real [n...], complex [n_0.., n_{d-1}/2+1]).
  check(KONO_FFT(PlanMany)(&m_plans->r2c, rank, n, nullptr, 1, 0, nullptr, 1, 0,
                           double_precision ? KONO_FFT_ENUM(D2Z) : KONO_FFT_ENUM(R2C), batch),
        double_precision ? "PlanMany(D2Z)" : "PlanMany(R2C)", m_plans->what);
  m_plans->have_r2c = true;
  check(KONO_FFT(PlanMany)(&m_plans->c2r, rank, n, nullptr, 1, 0, nullptr, 1, 0,
                           double_precision ? KONO_FFT_ENUM(Z2D) : KONO_FFT_ENUM(C2R), batch),
        double_precision ? "PlanMany(Z2D)" : "PlanMany(C2R)", m_plans->what);
  m_plans->have_c2r = true;
}

CufftRealFft::~CufftRealFft() = default;

void CufftRealFft::forward(void* stream, void const* real_in, void* complex_out) const {
  check(KONO_FFT(SetStream)(m_plans->r2c, static_cast<KONO_GPU(Stream_t)>(stream)), "SetStream", m_plans->what);
  if (m_double)
    check(KONO_FFT(ExecD2Z)(m_plans->r2c, static_cast<KONO_FFT(DoubleReal)*>(const_cast<void*>(real_in)),
                            static_cast<KONO_FFT(DoubleComplex)*>(complex_out)),
          "ExecD2Z", m_plans->what);
  else
    check(KONO_FFT(ExecR2C)(m_plans->r2c, static_cast<KONO_FFT(Real)*>(const_cast<void*>(real_in)),
                            static_cast<KONO_FFT(Complex)*>(complex_out)),
          "ExecR2C", m_plans->what);
}

void CufftRealFft::inverse(void* stream, void* complex_in, void* real_out) const {
  check(KONO_FFT(SetStream)(m_plans->c2r, static_cast<KONO_GPU(Stream_t)>(stream)), "SetStream", m_plans->what);
  if (m_double)
    check(KONO_FFT(ExecZ2D)(m_plans->c2r, static_cast<KONO_FFT(DoubleComplex)*>(complex_in),
                            static_cast<KONO_FFT(DoubleReal)*>(real_out)),
          "ExecZ2D", m_plans->what);
  else
    check(KONO_FFT(ExecC2R)(m_plans->c2r, static_cast<KONO_FFT(Complex)*>(complex_in),
                            static_cast<KONO_FFT(Real)*>(real_out)),
          "ExecC2R", m_plans->what);
}

char const* CufftRealFft::library_name() noexcept { return KONO_FFT_LIBRARY; }

}  // namespace Impl
}  // namespace kono
