// FFTW backend of BatchedRealFft (host execution spaces) and the planner-effort setting shared
// with the pruned host path of SpectralConv.
#include "spectral_fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace kono {
namespace Impl {

unsigned fftw_planner_flag() {
  static unsigned const flag = [] {
    char const* e = std::getenv("KONO_FFTW_PLANNER");
    std::string const s = e ? e : "";
    if (s == "estimate") return unsigned(FFTW_ESTIMATE);
    if (s == "patient") return unsigned(FFTW_PATIENT);
    return unsigned(FFTW_MEASURE);
  }();
  return flag;
}

namespace {
// FFTW's double and single precision rank-d batched real transforms behind one name.
template <class S>
struct FftwMany;
template <>
struct FftwMany<double> {
  using plan = fftw_plan;
  static plan r2c(int rank, int const* n, int howmany, double* in, int idist, double* out, int odist, unsigned f) {
    return fftw_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, idist, reinterpret_cast<fftw_complex*>(out),
                                  nullptr, 1, odist, f);
  }
  static plan c2r(int rank, int const* n, int howmany, double* in, int idist, double* out, int odist, unsigned f) {
    return fftw_plan_many_dft_c2r(rank, n, howmany, reinterpret_cast<fftw_complex*>(in), nullptr, 1, idist, out,
                                  nullptr, 1, odist, f);
  }
  static void exec_r2c(plan p, double* in, double* out) {
    fftw_execute_dft_r2c(p, in, reinterpret_cast<fftw_complex*>(out));
  }
  static void exec_c2r(plan p, double* in, double* out) {
    fftw_execute_dft_c2r(p, reinterpret_cast<fftw_complex*>(in), out);
  }
  static int alignment_of(double* p) { return fftw_alignment_of(p); }
  static double* alloc(std::size_t n) { return fftw_alloc_real(std::max<std::size_t>(n, 1)); }
  static void free(double* p) { fftw_free(p); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
};
template <>
struct FftwMany<float> {
  using plan = fftwf_plan;
  static plan r2c(int rank, int const* n, int howmany, float* in, int idist, float* out, int odist, unsigned f) {
    return fftwf_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, idist, reinterpret_cast<fftwf_complex*>(out),
                                   nullptr, 1, odist, f);
  }
  static plan c2r(int rank, int const* n, int howmany, float* in, int idist, float* out, int odist, unsigned f) {
    return fftwf_plan_many_dft_c2r(rank, n, howmany, reinterpret_cast<fftwf_complex*>(in), nullptr, 1, idist, out,
                                   nullptr, 1, odist, f);
  }
  static void exec_r2c(plan p, float* in, float* out) {
    fftwf_execute_dft_r2c(p, in, reinterpret_cast<fftwf_complex*>(out));
  }
  static void exec_c2r(plan p, float* in, float* out) {
    fftwf_execute_dft_c2r(p, reinterpret_cast<fftwf_complex*>(in), out);
  }
  static int alignment_of(float* p) { return fftwf_alignment_of(p); }
  static float* alloc(std::size_t n) { return fftwf_alloc_real(std::max<std::size_t>(n, 1)); }
  static void free(float* p) { fftwf_free(p); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
};

// Zeroed FFTW allocation that lives while plans are made.
template <class S>
struct Scratch {
  S* p;
  explicit Scratch(std::size_t n) : p(FftwMany<S>::alloc(n)) {
    KONO_REQUIRE(p != nullptr, "kono::FftwRealFft: out of memory for planning buffers");
    std::fill(p, p + std::max<std::size_t>(n, 1), S(0));  // no NaN from uninitialised memory
  }
  Scratch(Scratch const&) = delete;
  Scratch& operator=(Scratch const&) = delete;
  ~Scratch() { FftwMany<S>::free(p); }
};
}  // namespace

template <class Scalar>
struct FftwRealFft<Scalar>::Plans {
  using F = FftwMany<Scalar>;
  typename F::plan r2c = nullptr, c2r = nullptr, r2c_u = nullptr, c2r_u = nullptr;
  int rank = 0, n[3] = {1, 1, 1}, howmany = 0, real_dist = 0, complex_dist = 0;  // dist: Scalars / 2 (complex)
  ~Plans() {
    for (auto p : {r2c, c2r, r2c_u, c2r_u})
      if (p) F::destroy(p);
  }
  std::size_t real_size() const { return std::size_t(howmany) * std::size_t(real_dist); }
  std::size_t complex_size() const { return 2 * std::size_t(howmany) * std::size_t(complex_dist); }
  // Both plans of one kind (those not made yet) on fresh scratch, aligned or, for the
  // FFTW_UNALIGNED kind, deliberately offset by one Scalar.
  void make(bool unaligned) {
    unsigned const flag = fftw_planner_flag() | (unaligned ? unsigned(FFTW_UNALIGNED) : 0u);
    std::size_t const off = unaligned ? 1 : 0;
    Scratch<Scalar> real(real_size() + off), cplx(complex_size() + off);
    auto& f = unaligned ? r2c_u : r2c;
    auto& b = unaligned ? c2r_u : c2r;
    if (!f) f = F::r2c(rank, n, howmany, real.p + off, real_dist, cplx.p + off, complex_dist, flag);
    if (!b) b = F::c2r(rank, n, howmany, cplx.p + off, complex_dist, real.p + off, real_dist, flag);
    KONO_REQUIRE(f && b, "kono::FftwRealFft: FFTW planning failed");
  }
  bool aligned(Scalar const* a, Scalar const* b) const {
    return F::alignment_of(const_cast<Scalar*>(a)) == 0 && F::alignment_of(const_cast<Scalar*>(b)) == 0;
  }
};

template <class Scalar>
FftwRealFft<Scalar>::FftwRealFft(std::vector<index_t> const& extents, index_t howmany)
    : m_plans(std::make_unique<Plans>()) {
  KONO_REQUIRE(!extents.empty() && extents.size() <= 3 && howmany >= 1, "rank " << extents.size() << ", howmany "
                                                                                << howmany);
  Plans& p = *m_plans;
  p.rank = int(extents.size());
  index_t points = 1;
  for (int a = 0; a < p.rank; ++a) points *= (p.n[a] = int(extents[std::size_t(a)]));
  p.howmany = int(howmany);
  p.real_dist = int(points);
  p.complex_dist = int(points / extents.back() * (extents.back() / 2 + 1));
  p.make(false);
}

template <class Scalar>
FftwRealFft<Scalar>::~FftwRealFft() = default;

template <class Scalar>
void FftwRealFft<Scalar>::forward(Scalar const* real_in, Scalar* complex_out) {
  Plans& p = *m_plans;
  bool const ok = p.aligned(real_in, complex_out);
  if (!ok && !p.r2c_u) p.make(true);
  // Out-of-place r2c preserves its input (FFTW's default), so the cast is safe.
  Plans::F::exec_r2c(ok ? p.r2c : p.r2c_u, const_cast<Scalar*>(real_in), complex_out);
}

template <class Scalar>
void FftwRealFft<Scalar>::inverse(Scalar* complex_in, Scalar* real_out) {
  Plans& p = *m_plans;
  bool const ok = p.aligned(complex_in, real_out);
  if (!ok && !p.c2r_u) p.make(true);
  Plans::F::exec_c2r(ok ? p.c2r : p.c2r_u, complex_in, real_out);
}

template class FftwRealFft<float>;
template class FftwRealFft<double>;

}  // namespace Impl
}  // namespace kono
