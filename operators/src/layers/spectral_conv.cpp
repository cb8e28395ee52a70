#include <cblas.h>
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/spectral_conv.hpp>

#include "spectral_conv_portable.hpp"
#include "spectral_fft.hpp"

namespace kono {
namespace Impl {
namespace {

// FFTW's double and single precision interfaces behind one name.
template <class S>
struct Fftw;
template <>
struct Fftw<double> {
  using plan = fftw_plan;
  static plan r2c(int n, int howmany, double* in, double* out, unsigned flags) {
    return fftw_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, n, reinterpret_cast<fftw_complex*>(out), nullptr, 1,
                                  n / 2 + 1, flags);
  }
  static plan c2r(int n, int howmany, double* in, double* out, unsigned flags) {
    return fftw_plan_many_dft_c2r(1, &n, howmany, reinterpret_cast<fftw_complex*>(in), nullptr, 1, n / 2 + 1, out,
                                  nullptr, 1, n, flags);
  }
  // One strided 1-D complex transform (dim = {n, is, os}) over hdims (each {n, is, os}).
  static plan c2c(int const* dim, int hrank, int const (*hdims)[3], double* in, double* out, int sign, unsigned flags) {
    fftw_iodim d{dim[0], dim[1], dim[2]}, h[2];
    for (int k = 0; k < hrank; ++k) h[k] = fftw_iodim{hdims[k][0], hdims[k][1], hdims[k][2]};
    return fftw_plan_guru_dft(1, &d, hrank, h, reinterpret_cast<fftw_complex*>(in),
                              reinterpret_cast<fftw_complex*>(out), sign, flags);
  }
  static void exec_r2c(plan p, double* in, double* out) {
    fftw_execute_dft_r2c(p, in, reinterpret_cast<fftw_complex*>(out));
  }
  static void exec_c2r(plan p, double* in, double* out) {
    fftw_execute_dft_c2r(p, reinterpret_cast<fftw_complex*>(in), out);
  }
  static void exec(plan p) { fftw_execute(p); }
  static int alignment_of(double* p) { return fftw_alignment_of(p); }
  static double* alloc(std::size_t n) { return static_cast<double*>(fftw_malloc(sizeof(double) * std::max<std::size_t>(n, 1))); }
  static void free(double* p) { fftw_free(p); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
};
template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  static plan r2c(int n, int howmany, float* in, float* out, unsigned flags) {
    return fftwf_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, n, reinterpret_cast<fftwf_complex*>(out), nullptr,
                                   1, n / 2 + 1, flags);
  }
  static plan c2r(int n, int howmany, float* in, float* out, unsigned flags) {
    return fftwf_plan_many_dft_c2r(1, &n, howmany, reinterpret_cast<fftwf_complex*>(in), nullptr, 1, n / 2 + 1, out,
                                   nullptr, 1, n, flags);
  }
  static plan c2c(int const* dim, int hrank, int const (*hdims)[3], float* in, float* out, int sign, unsigned flags) {
    fftwf_iodim d{dim[0], dim[1], dim[2]}, h[2];
    for (int k = 0; k < hrank; ++k) h[k] = fftwf_iodim{hdims[k][0], hdims[k][1], hdims[k][2]};
    return fftwf_plan_guru_dft(1, &d, hrank, h, reinterpret_cast<fftwf_complex*>(in),
                               reinterpret_cast<fftwf_complex*>(out), sign, flags);
  }
  static void exec_r2c(plan p, float* in, float* out) {
    fftwf_execute_dft_r2c(p, in, reinterpret_cast<fftwf_complex*>(out));
  }
  static void exec_c2r(plan p, float* in, float* out) {
    fftwf_execute_dft_c2r(p, reinterpret_cast<fftwf_complex*>(in), out);
  }
  static void exec(plan p) { fftwf_execute(p); }
  static int alignment_of(float* p) { return fftwf_alignment_of(p); }
  static float* alloc(std::size_t n) { return static_cast<float*>(fftwf_malloc(sizeof(float) * std::max<std::size_t>(n, 1))); }
  static void free(float* p) { fftwf_free(p); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
};

// Planner effort: FFTW_MEASURE by default (plans are made once per shape, on scratch arrays);
// KONO_FFTW_PLANNER=estimate|measure|patient overrides it (shared with the portable path).
unsigned planner_flag() { return fftw_planner_flag(); }

// Aligned FFTW buffer of Scalars.
template <class S>
struct FftwBuffer {
  S* p = nullptr;
  std::size_t n = 0;
  FftwBuffer() = default;
  explicit FftwBuffer(std::size_t count) : p(Fftw<S>::alloc(count)), n(count) {
    KONO_REQUIRE(p != nullptr, "kono::SpectralConv: out of memory for FFT buffers");
    std::fill(p, p + n, S(0));
  }
  FftwBuffer(FftwBuffer const&) = delete;
  FftwBuffer& operator=(FftwBuffer const&) = delete;
  FftwBuffer(FftwBuffer&& o) noexcept : p(o.p), n(o.n) { o.p = nullptr, o.n = 0; }
  FftwBuffer& operator=(FftwBuffer&& o) noexcept {
    std::swap(p, o.p);
    std::swap(n, o.n);
    return *this;
  }
  ~FftwBuffer() {
    if (p) Fftw<S>::free(p);
  }
  void zero() { std::fill(p, p + n, S(0)); }
};
}  // namespace

// Geometry of one spatial shape: extents, kept and extended mode sets per axis.
//   compact spectrum ("kept"):    [m_0, .., m_{d-2}, kd], kd = m_{d-1}/2 + 1: the weight layout;
//   extended spectrum ("ext"):    [e_0, .., e_{d-2}, kd]: kept rows plus the rows whose negated
//   frequency is kept (frequency +m/2 for even m < n), which the Hermitian symmetrisation of the
//   zero/Nyquist planes of the last axis writes to.
struct SpectralGeometry {
  int d = 0;
  std::vector<index_t> n;                 // spatial extents
  std::vector<index_t> m;                 // kept rows per leading axis (m_a), kd last
  std::vector<std::vector<index_t>> rows; // per leading axis: full index of kept row j (weight order)
  std::vector<std::vector<index_t>> ext;  // per leading axis: full index of extended row j (kept first)
  index_t points = 1, lead = 1, half = 0, kd = 0, nw = 1, ne = 1, elead = 1;
  bool nyquist = false;
  std::vector<index_t> wpos;              // compact mode -> extended index
  std::vector<index_t> eneg;              // extended leading flat index -> index of its negation
};

// FFTs of chunks of G fields (G divides the channel count) for one spatial shape:
//   analysis:  x [G, n...] --r2c last axis--> rows_a [G, lead, half]
//              --c2c axes d-2..0 on kept columns/rows only, gathering kept rows--> [G, nw]
//   synthesis: [G, ne] --scatter + c2c axes 0..d-2--> rows_s [G, lead, half] (columns >= kd
//              stay zero) --c2r last axis--> y [G, n...]
// The pruned transforms skip the columns/rows no weight touches.
template <class S>
struct SpectralTransforms {
  using F = Fftw<S>;
  using plan = typename F::plan;
  int G = 1;
  plan r2c = nullptr, r2c_u = nullptr, c2r = nullptr, c2r_u = nullptr;
  std::vector<plan> fwd, bwd;  // per leading axis a
  FftwBuffer<S> real_scratch, rows_a, rows_s;
  std::vector<FftwBuffer<S>> t_a, g_a;  // analysis: c2c output and gathered input of axis a
  std::vector<FftwBuffer<S>> z_s, u_s;  // synthesis: scattered input (fixed zero rows) and c2c output
  bool c2r_preserves = true;

  ~SpectralTransforms() {
    for (plan p : {r2c, r2c_u, c2r, c2r_u})
      if (p) F::destroy(p);
    for (auto const* v : {&fwd, &bwd})
      for (plan p : *v)
        if (p) F::destroy(p);
  }

  SpectralTransforms(SpectralGeometry const& g, int fields) : G(fields) {
    int const d = g.d;
    unsigned const flag = planner_flag();
    std::size_t const rows_size = std::size_t(2 * G * g.lead * g.half);
    real_scratch = FftwBuffer<S>(std::size_t(G * g.points));
    rows_a = FftwBuffer<S>(rows_size);
    rows_s = FftwBuffer<S>(rows_size);
    int const nl = int(g.n[d - 1]);
    r2c = F::r2c(nl, int(G * g.lead), real_scratch.p, rows_a.p, flag);
    c2r = F::c2r(nl, int(G * g.lead), rows_s.p, real_scratch.p, flag | FFTW_PRESERVE_INPUT);
    if (!c2r) {
      c2r_preserves = false;
      c2r = F::c2r(nl, int(G * g.lead), rows_s.p, real_scratch.p, flag);
    }
    KONO_REQUIRE(r2c && c2r, "kono::SpectralConv: FFTW planning failed");
    // Leading axes. Analysis of axis a: input [outer, n_a, inner_in] (inner_in = half for the
    // first step, from rows_a), output [outer, n_a, inner] with inner = prod(m_{a+1..d-2}) kd.
    t_a.resize(std::size_t(std::max(d - 1, 0)));
    g_a.resize(t_a.size());
    z_s.resize(t_a.size());
    u_s.resize(t_a.size());
    fwd.assign(t_a.size(), nullptr);
    bwd.assign(t_a.size(), nullptr);
    for (int a = d - 2; a >= 0; --a) {
      index_t outer = G, inner = g.kd, einner = g.kd;
      for (int b = 0; b < a; ++b) outer *= g.n[b];
      for (int b = a + 1; b < d - 1; ++b) inner *= g.m[b], einner *= index_t(g.ext[b].size());
      index_t const na = g.n[a];
      bool const first = a == d - 2;
      index_t const inner_in = first ? g.half : inner;
      t_a[a] = FftwBuffer<S>(std::size_t(2 * outer * na * inner));
      if (!first) g_a[a] = FftwBuffer<S>(std::size_t(2 * outer * na * inner));
      S* in = first ? rows_a.p : g_a[a].p;
      int const dim[3] = {int(na), int(inner_in), int(inner)};
      int const h[2][3] = {{int(outer), int(na * inner_in), int(na * inner)}, {int(inner), 1, 1}};
      fwd[a] = F::c2c(dim, 2, h, in, t_a[a].p, FFTW_FORWARD, flag | FFTW_PRESERVE_INPUT);
      // Synthesis of axis a: [outer, n_a, einner] (scattered) -> [outer, n_a, einner], or into
      // rows_s [outer, n_a, half] for the last step (einner = kd there).
      index_t const eout = first ? g.half : einner;
      z_s[a] = FftwBuffer<S>(std::size_t(2 * outer * na * einner));
      if (!first) u_s[a] = FftwBuffer<S>(std::size_t(2 * outer * na * einner));
      S* out = first ? rows_s.p : u_s[a].p;
      int const bdim[3] = {int(na), int(einner), int(eout)};
      int const bh[2][3] = {{int(outer), int(na * einner), int(na * eout)}, {int(einner), 1, 1}};
      bwd[a] = F::c2c(bdim, 2, bh, z_s[a].p, out, FFTW_BACKWARD, flag | FFTW_PRESERVE_INPUT);
      KONO_REQUIRE(fwd[a] && bwd[a], "kono::SpectralConv: FFTW planning failed");
    }
    // Planning (MEASURE) scribbles on the arrays: restore the zeros synthesis relies on.
    rows_s.zero();
    for (auto& z : z_s)
      if (z.p) z.zero();
  }

  // Unaligned user arrays need plans made with FFTW_UNALIGNED (made on first need).
  plan r2c_for(SpectralGeometry const& g, S* x) {
    if (F::alignment_of(x) == F::alignment_of(real_scratch.p)) return r2c;
    if (!r2c_u) {
      FftwBuffer<S> tmp(real_scratch.n + 1);
      r2c_u = F::r2c(int(g.n[g.d - 1]), int(G * g.lead), tmp.p + 1, rows_a.p, planner_flag() | FFTW_UNALIGNED);
      KONO_REQUIRE(r2c_u, "kono::SpectralConv: FFTW planning failed");
    }
    return r2c_u;
  }
  plan c2r_for(SpectralGeometry const& g, S* y) {
    if (F::alignment_of(y) == F::alignment_of(real_scratch.p)) return c2r;
    if (!c2r_u) {
      FftwBuffer<S> tmp(real_scratch.n + 1);
      unsigned const f = planner_flag() | FFTW_UNALIGNED | (c2r_preserves ? FFTW_PRESERVE_INPUT : 0u);
      c2r_u = F::c2r(int(g.n[g.d - 1]), int(G * g.lead), rows_s.p, tmp.p + 1, f);
      KONO_REQUIRE(c2r_u, "kono::SpectralConv: FFTW planning failed");
      rows_s.zero();
    }
    return c2r_u;
  }

  // x: `chunks` chunks of G fields [G, n...] -> out: [chunks * G, nw] (re, im).
  void analysis(SpectralGeometry const& g, S* x, index_t chunks, S* out) {
    int const d = g.d;
    for (index_t c = 0; c < chunks; ++c) {
      S* xc = x + c * G * g.points;
      F::exec_r2c(r2c_for(g, xc), xc, rows_a.p);
      S* dst = out + 2 * c * G * g.nw;
      if (d == 1) {
        for (index_t f = 0; f < G; ++f)
          std::copy(rows_a.p + 2 * f * g.half, rows_a.p + 2 * (f * g.half + g.kd), dst + 2 * f * g.kd);
        continue;
      }
      for (int a = d - 2; a >= 0; --a) {
        F::exec(fwd[a]);
        // gather the kept rows of axis a: [outer, n_a, inner] -> [outer, m_a, inner]
        index_t outer = G, inner = g.kd;
        for (int b = 0; b < a; ++b) outer *= g.n[b];
        for (int b = a + 1; b < d - 1; ++b) inner *= g.m[b];
        index_t const na = g.n[a], ma = g.m[a];
        S* target = a == 0 ? dst : g_a[a - 1].p;
        S const* src = t_a[a].p;
        for (index_t o = 0; o < outer; ++o)
          for (index_t j = 0; j < ma; ++j)
            std::copy(src + 2 * (o * na + g.rows[a][j]) * inner, src + 2 * ((o * na + g.rows[a][j]) + 1) * inner,
                      target + 2 * (o * ma + j) * inner);
      }
    }
  }

  // in: [chunks * G, ne] (re, im) -> y: `chunks` chunks of G fields.
  void synthesis(SpectralGeometry const& g, S const* in, index_t chunks, S* y) {
    int const d = g.d;
    for (index_t c = 0; c < chunks; ++c) {
      S* yc = y + c * G * g.points;
      plan const pc2r = c2r_for(g, yc);  // before filling rows_s: planning may scribble on it
      S const* src = in + 2 * c * G * g.ne;
      if (d == 1) {
        for (index_t f = 0; f < G; ++f)
          std::copy(src + 2 * f * g.kd, src + 2 * (f + 1) * g.kd, rows_s.p + 2 * f * g.half);
      } else {
        for (int a = 0; a <= d - 2; ++a) {
          // scatter the extended rows of axis a into their full positions: [outer, e_a, inner] ->
          // [outer, n_a, inner] (rows outside ext stay zero)
          index_t outer = G, inner = g.kd;
          for (int b = 0; b < a; ++b) outer *= g.n[b];
          for (int b = a + 1; b < d - 1; ++b) inner *= index_t(g.ext[b].size());
          index_t const na = g.n[a], ea = index_t(g.ext[a].size());
          S const* from = a == 0 ? src : u_s[a - 1].p;
          S* to = z_s[a].p;
          for (index_t o = 0; o < outer; ++o)
            for (index_t j = 0; j < ea; ++j)
              std::copy(from + 2 * (o * ea + j) * inner, from + 2 * (o * ea + j + 1) * inner,
                        to + 2 * (o * na + g.ext[a][j]) * inner);
          F::exec(bwd[a]);
        }
      }
      if (!c2r_preserves) {  // the c2r destroyed the zero columns: restore them
        for (index_t r = 0; r < G * g.lead; ++r) std::fill(rows_s.p + 2 * (r * g.half + g.kd), rows_s.p + 2 * (r + 1) * g.half, S(0));
      }
      F::exec_c2r(pc2r, rows_s.p, yc);
    }
  }
};

// Complex [rows, cols] -> [cols, rows] in tiles of 8 rows, so each destination row gets whole
// cache lines (the element-wise loop was 18 % of a 16^2 spectral forward + backward).
template <class S>
void transpose_complex(S const* in, S* out, index_t rows, index_t cols) {
  constexpr index_t tile = 8;
  for (index_t r0 = 0; r0 < rows; r0 += tile) {
    index_t const r1 = std::min(rows, r0 + tile);
    for (index_t c = 0; c < cols; ++c) {
      S* o = out + 2 * (c * rows + r0);
      S const* i = in + 2 * (r0 * cols + c);
      for (index_t r = 0; r < r1 - r0; ++r) {
        o[2 * r] = i[2 * r * cols];
        o[2 * r + 1] = i[2 * r * cols + 1];
      }
    }
  }
}

// Per spatial shape: geometry, transforms per chunk size, and the batch's compact spectra.
template <class Scalar>
struct SpectralPlans {
  SpectralGeometry g;
  std::map<int, std::unique_ptr<SpectralTransforms<Scalar>>> transforms;  // by fields per chunk
  // Kept modes mode-major, so the mode product is one small complex GEMM per mode:
  // x_hat [nw, N, Cin], g_hat [nw, N, Cout], w_m [nw, Cin, Cout], prod [nw, N, max(Cin, Cout)];
  // fields [N * C, nw] is the layout the transforms produce; y_ext [N, max(Cin, Cout), ne].
  std::vector<Scalar> fields, x_hat, g_hat, w_m, prod, y_ext;
  std::uint64_t generation = 0;             // forward calls on this shape
  std::uint64_t x_hat_generation = ~std::uint64_t(0);  // forward call x_hat belongs to

  // Fields per chunk for `channels` channels: the largest divisor of `channels` whose rows
  // buffer [G, lead, half] (complex) stays within ~512 KiB, so a chunk's FFTs stay in L2.
  SpectralTransforms<Scalar>& for_channels(index_t channels) {
    std::size_t const field_bytes = std::size_t(2 * g.lead * g.half) * sizeof(Scalar);
    int G = 1;
    for (index_t c = channels; c >= 1; --c)
      if (channels % c == 0 && std::size_t(c) * field_bytes <= (std::size_t(512) << 10)) {
        G = int(c);
        break;
      }
    auto& t = transforms[G];
    if (!t) t = std::make_unique<SpectralTransforms<Scalar>>(g, G);
    return *t;
  }
  // Kept modes of x [batch, channels, n...] into out [nw, batch * channels] (mode-major).
  void analysis(Scalar* x, index_t batch, index_t channels, std::vector<Scalar>& out) {
    index_t const nf = batch * channels;
    fields.resize(std::size_t(2 * nf * g.nw));
    out.resize(fields.size());
    auto& t = for_channels(channels);
    t.analysis(g, x, nf / t.G, fields.data());
    transpose_complex(fields.data(), out.data(), nf, g.nw);
  }
  void synthesis(Scalar const* in, index_t batch, index_t channels, Scalar* y) {
    auto& t = for_channels(channels);
    t.synthesis(g, in, batch * channels / t.G, y);
  }
};

namespace {
// Row-major complex GEMM C = alpha op(A) op(B) (beta = 0), float or double.
inline void cgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, index_t m, index_t n, index_t k, double alpha, float const* a,
                  index_t lda, float const* b, index_t ldb, float* c, index_t ldc) {
  float const al[2] = {float(alpha), 0.f}, be[2] = {0.f, 0.f};
  cblas_cgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), al, a, blasint(lda), b, blasint(ldb), be, c,
              blasint(ldc));
}
inline void cgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, index_t m, index_t n, index_t k, double alpha, double const* a,
                  index_t lda, double const* b, index_t ldb, double* c, index_t ldc) {
  double const al[2] = {alpha, 0.0}, be[2] = {0.0, 0.0};
  cblas_zgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), al, a, blasint(lda), b, blasint(ldb), be, c,
              blasint(ldc));
}

// Weights [Cin, Cout, nw] -> mode-major [nw, Cin, Cout].
template <class S>
void weights_mode_major(S const* w, S* wm, index_t cio, index_t nw) {
  for (index_t k = 0; k < cio; ++k)
    for (index_t m = 0; m < nw; ++m) {
      wm[2 * (m * cio + k)] = w[2 * (k * nw + m)];
      wm[2 * (m * cio + k) + 1] = w[2 * (k * nw + m) + 1];
    }
}

// Per kept mode m: prod_m [N, Cout] = scale * X_m [N, Cin] W_m [Cin, Cout] (forward), or
// prod_m [N, Cin] = scale * G_m [N, Cout] W_m^H (adjoint, for the input gradient); then
// scattered to out [N, C_out_of_product, ne] at the extended positions (extra rows zero).
template <class S>
void mode_product(S const* in, S const* wm, S* prod, S* out, index_t batch, index_t cin, index_t cout,
                  SpectralGeometry const& g, bool adjoint, double scale) {
  index_t const nw = g.nw, ne = g.ne;
  index_t const cfrom = adjoint ? cout : cin, cto = adjoint ? cin : cout;
  for (index_t m = 0; m < nw; ++m) {
    S const* a = in + 2 * m * batch * cfrom;
    S const* w = wm + 2 * m * cin * cout;
    S* c = prod + 2 * m * batch * cto;
    if (adjoint)
      cgemm(CblasNoTrans, CblasConjTrans, batch, cin, cout, scale, a, cout, w, cout, c, cin);
    else
      cgemm(CblasNoTrans, CblasNoTrans, batch, cout, cin, scale, a, cin, w, cout, c, cout);
  }
  index_t const nf = batch * cto;
  std::fill(out, out + 2 * nf * ne, S(0));
  // [nw, nf] -> [nf, ne] at the extended positions, 8 fields at a time (see transpose_complex)
  constexpr index_t tile = 8;
  for (index_t f0 = 0; f0 < nf; f0 += tile) {
    index_t const count = std::min(nf - f0, tile);
    for (index_t m = 0; m < nw; ++m) {
      S const* p = prod + 2 * (m * nf + f0);
      S* o = out + 2 * (f0 * ne + g.wpos[std::size_t(m)]);
      for (index_t r = 0; r < count; ++r) {
        o[2 * r * ne] = p[2 * r];
        o[2 * r * ne + 1] = p[2 * r + 1];
      }
    }
  }
}

// Makes the zero (and Nyquist) planes of the last axis Hermitian over the leading axes,
// Z[k] <- (Z[k] + conj Z[-k]) / 2: what neuralop's enforce_hermitian_symmetry does, and what
// makes FFTW's c2r well defined. z: [count, elead, kd] extended spectra.
template <class S>
void symmetrize_edges(S* z, index_t count, SpectralGeometry const& g) {
  int const planes = (g.nyquist && g.half > 1 && g.half - 1 < g.kd) ? 2 : 1;
  for (index_t c = 0; c < count; ++c)
    for (int plane = 0; plane < planes; ++plane) {
      index_t const kl = plane == 0 ? 0 : g.half - 1;
      for (index_t k = 0; k < g.elead; ++k) {
        index_t const kn = g.eneg[k];
        if (kn < k) continue;
        S* p = z + 2 * ((c * g.elead + k) * g.kd + kl);
        if (kn == k) {
          p[1] = 0;
        } else {
          S* pn = z + 2 * ((c * g.elead + kn) * g.kd + kl);
          S const ar = p[0], ai = p[1], br = pn[0], bi = pn[1];
          p[0] = S(0.5) * (ar + br);
          p[1] = S(0.5) * (ai - bi);
          pn[0] = p[0];
          pn[1] = -p[1];
        }
      }
    }
}

template <class S>
void add_bias(S* y, S const* b, index_t batch, index_t cout, index_t points) {
  for (index_t s = 0; s < batch; ++s)
    for (index_t o = 0; o < cout; ++o) {
      S* yp = y + (s * cout + o) * points;
      S const bo = b[o];
      for (index_t p = 0; p < points; ++p) yp[p] += bo;
    }
}

// dW[i, o, m] = sum_s c_m G[s, o, m] conj(X[s, i, m]) / P with G = rfft(dy), X = rfft(x) on the
// kept modes (c_m = 1 on the zero/Nyquist planes of the last axis, 2 elsewhere): per mode
// c_m/P X_m^H G_m. db = sum dy. x_hat, g_hat mode-major; prod: [nw, Cin, Cout] scratch.
template <class S>
void weight_gradient(S* gw, S* gb, bool has_bias, bool acc_mode, S const* x_hat, S const* g_hat, S* prod, S const* dy,
                     index_t batch, index_t cin, index_t cout, SpectralGeometry const& g) {
  index_t const nw = g.nw, cio = cin * cout;
  double const inv_points = 1.0 / double(g.points);
  for (index_t m = 0; m < nw; ++m) {
    index_t const kl = m % g.kd;
    double const c = (kl == 0 || (g.nyquist && kl == g.half - 1)) ? 1.0 : 2.0;
    cgemm(CblasConjTrans, CblasNoTrans, cin, cout, batch, c * inv_points, x_hat + 2 * m * batch * cin, cin,
          g_hat + 2 * m * batch * cout, cout, prod + 2 * m * cio, cout);
  }
  for (index_t k = 0; k < cio; ++k)
    for (index_t m = 0; m < nw; ++m) {
      S* gp = gw + 2 * (k * nw + m);
      S const* pp = prod + 2 * (m * cio + k);
      gp[0] = pp[0] + (acc_mode ? gp[0] : S(0));
      gp[1] = pp[1] + (acc_mode ? gp[1] : S(0));
    }
  if (!has_bias) return;
  for (index_t o = 0; o < cout; ++o) {
    double acc = 0;
    for (index_t s = 0; s < batch; ++s) {
      S const* p = dy + (s * cout + o) * g.points;
      for (index_t q = 0; q < g.points; ++q) acc += p[q];
    }
    gb[o] = S(acc) + (acc_mode ? gb[o] : S(0));
  }
}

// Complex normal entries with total variance std^2 (each part std / sqrt(2)), as torch's
// normal_ on complex tensors; Box-Muller on hashed uniforms.
template <class View>
void fill_normal(View const& v, double stddev, std::uint64_t seed) {
  using value_type = typename View::non_const_value_type;
  using exec = typename View::execution_space;
  Kokkos::parallel_for(
      "kono::SpectralConv::fill_normal", Kokkos::RangePolicy<exec>(0, v.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
        double const u1 = 1.0 - hashed_uniform(seed, 2 * i);  // (0, 1]
        double const u2 = hashed_uniform(seed, 2 * i + 1);
        v(i) = static_cast<value_type>(stddev * math::sqrt(-2.0 * math::log(u1)) *
                                       math::cos(6.283185307179586 * u2));
      });
}

template <class MemorySpace, class Scalar>
struct SpectralContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
  std::uint64_t generation = 0;  // forward call on this shape (x's spectrum is cached for it)
  bool portable = false;         // which path made it (backward follows the forward's path)
};

// Host memory spaces take the pruned FFTW path unless KONO_SPECTRAL_PATH=portable; device
// spaces always take the portable one. The variable is validated everywhere, so a typo
// surfaces on any build.
template <class MemorySpace>
bool use_portable_path() {
  bool const portable = selected_spectral_path() == SpectralPath::portable;
  if constexpr (host_accessible<MemorySpace>) return portable;
  return true;
}

std::string modes_string(std::vector<int> const& m) {
  std::ostringstream os;
  os << "[";
  for (std::size_t a = 0; a < m.size(); ++a) os << (a ? ", " : "") << m[a];
  os << "]";
  return os.str();
}
}  // namespace
}  // namespace Impl

template <class MemorySpace, class Scalar>
SpectralConv<MemorySpace, Scalar>::SpectralConv(int in_channels, int out_channels, std::vector<int> modes, bool bias)
    : m_in(in_channels), m_out(out_channels), m_modes(std::move(modes)), m_bias(bias) {
  KONO_USER_REQUIRE(in_channels > 0 && out_channels > 0, invalid_argument,
                    "kono::SpectralConv: channels must be positive, got in_channels="
                        << in_channels << " out_channels=" << out_channels);
  KONO_USER_REQUIRE(!m_modes.empty() && m_modes.size() <= 3, invalid_argument,
                    "kono::SpectralConv: modes must list 1 to 3 spatial axes, got " << Impl::modes_string(m_modes));
  for (int m : m_modes)
    KONO_USER_REQUIRE(m > 0, invalid_argument,
                      "kono::SpectralConv: modes must be positive, got " << Impl::modes_string(m_modes));
}

template <class MemorySpace, class Scalar>
SpectralConv<MemorySpace, Scalar>::~SpectralConv() = default;

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> SpectralConv<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<SpectralConv>(config_get<int>(cfg, "in_channels", "spectral_conv"),
                                        config_get<int>(cfg, "out_channels", "spectral_conv"),
                                        config_get<std::vector<int>>(cfg, "modes", "spectral_conv"),
                                        config_get<bool>(cfg, "bias", "spectral_conv", true));
}

template <class MemorySpace, class Scalar>
LayerConfig SpectralConv<MemorySpace, Scalar>::config() const {
  return {{"type", "spectral_conv"}, {"in_channels", m_in}, {"out_channels", m_out}, {"modes", m_modes},
          {"bias", m_bias}};
}

template <class MemorySpace, class Scalar>
std::vector<int> SpectralConv<MemorySpace, Scalar>::weight_modes() const {
  std::vector<int> w = m_modes;
  w.back() = w.back() / 2 + 1;
  return w;
}

template <class MemorySpace, class Scalar>
Shape SpectralConv<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  int const d = int(m_modes.size());
  KONO_USER_REQUIRE(in.rank() == d + 2 && in[1] == m_in, size_mismatch,
                    "kono::spectral_conv: input shape " << in.to_string() << " does not match [N, " << m_in << ", "
                                                        << d << " spatial axes] (in_channels=" << m_in
                                                        << ", modes=" << Impl::modes_string(m_modes) << ")");
  for (int a = 0; a < d; ++a)
    KONO_USER_REQUIRE(in[a + 2] >= m_modes[a], size_mismatch,
                      "kono::spectral_conv: spatial axis " << a << " of input " << in.to_string() << " has "
                                                           << in[a + 2] << " points, fewer than its " << m_modes[a]
                                                           << " modes (modes=" << Impl::modes_string(m_modes) << ")");
  return in.with_extent(1, m_out);
}

template <class MemorySpace, class Scalar>
std::size_t SpectralConv<MemorySpace, Scalar>::num_parameters() const {
  std::size_t nw = 1;
  for (int m : weight_modes()) nw *= std::size_t(m);
  return 2 * std::size_t(m_in) * std::size_t(m_out) * nw + (m_bias ? std::size_t(m_out) : 0);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> SpectralConv<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<index_t> ext{m_in, m_out};
  for (int m : weight_modes()) ext.push_back(m);
  ext.push_back(2);
  Shape const ws(ext);
  std::vector<ParameterSlice> s{{"weight", 0, ws}};
  if (m_bias) s.push_back({"bias", std::size_t(ws.size()), Shape{m_out}});
  return s;
}

template <class MemorySpace, class Scalar>
void SpectralConv<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  double const stddev = std::sqrt(2.0 / double(m_in + m_out));
  std::size_t const nw = num_parameters() - (m_bias ? std::size_t(m_out) : 0);
  Impl::fill_normal(Kokkos::subview(this->m_params, std::make_pair(std::size_t(0), nw)), stddev / std::sqrt(2.0),
                    seed);
  if (m_bias)
    Impl::fill_normal(Kokkos::subview(this->m_params, std::make_pair(nw, nw + std::size_t(m_out))), stddev,
                      child_seed(seed, 1));
}

template <class MemorySpace, class Scalar>
Impl::SpectralPlans<Scalar>& SpectralConv<MemorySpace, Scalar>::plans_for(Shape const& in) const {
  // Keyed by the spatial extents: plans and buffers do not depend on the batch size.
  auto const full = in.to_vector();
  std::vector<index_t> key(full.begin() + 2, full.end());
  auto it = m_plans.find(key);
  if (it != m_plans.end()) return *it->second;
  auto p = std::make_unique<Impl::SpectralPlans<Scalar>>();
  Impl::SpectralGeometry& g = p->g;
  int const d = int(m_modes.size());
  g.d = d;
  g.n = key;
  for (int a = 0; a < d; ++a) {
    g.points *= g.n[a];
    if (a < d - 1) g.lead *= g.n[a];
  }
  g.half = g.n[d - 1] / 2 + 1;
  g.nyquist = g.n[d - 1] % 2 == 0;
  g.kd = m_modes[d - 1] / 2 + 1;
  g.m.assign(m_modes.begin(), m_modes.end());
  g.m[d - 1] = g.kd;
  g.rows.resize(std::size_t(d - 1));
  g.ext.resize(std::size_t(d - 1));
  for (int a = 0; a < d - 1; ++a) {
    index_t const na = g.n[a], ma = m_modes[a];
    for (index_t j = 0; j < ma; ++j) g.rows[a].push_back(((j - ma / 2) % na + na) % na);  // frequency j - m/2
    g.ext[a] = g.rows[a];
    for (index_t r : g.rows[a]) {
      index_t const neg = (na - r) % na;
      if (std::find(g.ext[a].begin(), g.ext[a].end(), neg) == g.ext[a].end()) g.ext[a].push_back(neg);
    }
    g.nw *= ma;
    g.elead *= index_t(g.ext[a].size());
  }
  g.nw *= g.kd;
  g.ne = g.elead * g.kd;
  g.wpos.resize(std::size_t(g.nw));
  for (index_t m = 0; m < g.nw; ++m) {
    index_t rest = m / g.kd, e = 0, stride = 1;
    for (int a = d - 2; a >= 0; --a) {
      e += (rest % g.m[a]) * stride;  // kept row j sits at extended position j
      rest /= g.m[a];
      stride *= index_t(g.ext[a].size());
    }
    g.wpos[std::size_t(m)] = e * g.kd + m % g.kd;
  }
  g.eneg.resize(std::size_t(g.elead));
  for (index_t k = 0; k < g.elead; ++k) {
    index_t rest = k, kn = 0, stride = 1;
    for (int a = d - 2; a >= 0; --a) {
      auto const& ext = g.ext[a];
      index_t const ea = index_t(ext.size());
      index_t const full_index = ext[std::size_t(rest % ea)];
      rest /= ea;
      index_t const neg = (g.n[a] - full_index) % g.n[a];
      kn += index_t(std::find(ext.begin(), ext.end(), neg) - ext.begin()) * stride;
      stride *= ea;
    }
    g.eneg[std::size_t(k)] = kn;
  }
  return *m_plans.emplace(std::move(key), std::move(p)).first->second;
}

template <class MemorySpace, class Scalar>
auto SpectralConv<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                     tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<Impl::SpectralContext<MemorySpace, Scalar>>();
  ctx->x = x;
  if (Impl::use_portable_path<MemorySpace>()) {
    ctx->portable = true;
    ctx->generation = portable_path().forward(space, x, y, this->m_params);
    return ctx;
  }
  if constexpr (host_accessible<MemorySpace>) {
    space.fence();
    auto& p = plans_for(x.shape());
    ctx->generation = ++p.generation;
    index_t const batch = x.extent(0);
    if (batch == 0) return ctx;
    Impl::SpectralGeometry const& g = p.g;
    Scalar* yp = y.data().data();
    Scalar const* w = this->m_params.data();
    p.analysis(x.data().data(), batch, m_in, p.x_hat);
    p.x_hat_generation = ctx->generation;
    index_t const cmax = std::max(m_in, m_out);
    p.y_ext.resize(std::size_t(2 * batch * cmax * g.ne));
    p.prod.resize(std::size_t(2 * g.nw * std::max(batch * cmax, index_t(m_in) * m_out)));
    p.w_m.resize(std::size_t(2 * g.nw * m_in * m_out));
    Impl::weights_mode_major(w, p.w_m.data(), index_t(m_in) * m_out, g.nw);
    Impl::mode_product(p.x_hat.data(), p.w_m.data(), p.prod.data(), p.y_ext.data(), batch, m_in, m_out, g, false,
                       1.0 / double(g.points));
    Impl::symmetrize_edges(p.y_ext.data(), batch * m_out, g);
    p.synthesis(p.y_ext.data(), batch, m_out, yp);
    if (m_bias) Impl::add_bias(yp, w + 2 * m_in * m_out * g.nw, batch, index_t(m_out), g.points);
  }
  return ctx;
}

template <class MemorySpace, class Scalar>
void SpectralConv<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                      tensor_type const& dy, tensor_type const* dx,
                                                      GradientMode mode) const {
  auto const& ctx = static_cast<Impl::SpectralContext<MemorySpace, Scalar> const&>(base_ctx);
  Shape const in = ctx.x.shape();
  this->check_output(in, dy, "gradient dy");
  if (dx)
    KONO_USER_REQUIRE(dx->shape() == in, size_mismatch,
                      "kono::spectral_conv: dx has shape " << dx->shape().to_string() << ", expected "
                                                           << in.to_string());
  if (ctx.portable) {
    portable_path().backward(space, ctx.x, ctx.generation, dy, dx, this->m_params, this->m_grads, mode);
    return;
  }
  if constexpr (host_accessible<MemorySpace>) {
    space.fence();
    auto& p = plans_for(in);
    Impl::SpectralGeometry const& g = p.g;
    Scalar const* w = this->m_params.data();
    Scalar* gw = this->m_grads.data();
    index_t const batch = in[0];
    if (batch == 0) {
      if (mode == GradientMode::overwrite)
        for (std::size_t i = 0; i < num_parameters(); ++i) gw[i] = 0;
      return;
    }
    Scalar* gp = dy.data().data();
    // x's kept modes: cached by the forward call that made this context, unless another
    // forward on this shape came in between.
    if (p.x_hat_generation != ctx.generation) {
      p.analysis(ctx.x.data().data(), batch, m_in, p.x_hat);
      p.x_hat_generation = ctx.generation;
    }
    p.analysis(gp, batch, m_out, p.g_hat);
    index_t const cmax = std::max(m_in, m_out);
    p.prod.resize(std::size_t(2 * g.nw * std::max(batch * cmax, index_t(m_in) * m_out)));
    if (mode != GradientMode::ignore)
      Impl::weight_gradient(gw, gw + 2 * m_in * m_out * g.nw, m_bias, mode == GradientMode::accumulate,
                            p.x_hat.data(), p.g_hat.data(), p.prod.data(), gp, batch, m_in, m_out, g);
    if (dx) {
      p.y_ext.resize(std::size_t(2 * batch * cmax * g.ne));
      p.w_m.resize(std::size_t(2 * g.nw * m_in * m_out));
      Impl::weights_mode_major(w, p.w_m.data(), index_t(m_in) * m_out, g.nw);
      Impl::mode_product(p.g_hat.data(), p.w_m.data(), p.prod.data(), p.y_ext.data(), batch, m_in, m_out, g, true,
                         1.0 / double(g.points));
      Impl::symmetrize_edges(p.y_ext.data(), batch * m_in, g);
      p.synthesis(p.y_ext.data(), batch, m_in, dx->data().data());
    }
  }
}

template <class MemorySpace, class Scalar>
Impl::PortableSpectralConv<MemorySpace, Scalar>& SpectralConv<MemorySpace, Scalar>::portable_path() const {
  if (!m_portable)
    m_portable = std::make_unique<Impl::PortableSpectralConv<MemorySpace, Scalar>>(m_in, m_out, m_modes, m_bias);
  return *m_portable;
}

KONO_INSTANTIATE_FOR_SCALARS(SpectralConv)

namespace Impl {
namespace {
template <class Scalar>
void register_spectral_layers_for() {
  register_layer<DefaultMemorySpace, Scalar>("spectral_conv", &SpectralConv<DefaultMemorySpace, Scalar>::from_config);
}
}  // namespace

void register_spectral_layers() {
  register_spectral_layers_for<float>();
  register_spectral_layers_for<double>();
}
}  // namespace Impl
}  // namespace kono
