#pragma once
// Portable path of SpectralConv: Kokkos kernels over Views in the layer's memory space around a
// batched full-grid real FFT (BatchedRealFft: FFTW, cuFFT or hipFFT). It is what runs in device
// memory spaces, and on the host when KONO_SPECTRAL_PATH=portable. It computes what the pruned
// host path in spectral_conv.cpp computes (same mode convention, Hermitian treatment of the
// zero/Nyquist planes of the last axis, gradients), with the full rfftn/irfftn in place of the
// pruned transforms, so the two agree to rounding.
//
//   forward:  x --rfftn--> spec [N Cin, lead, half] --gather kept--> x_hat [N, Cin, nw]
//             --W, 1/P--> work [N, Cout, nw] --scatter + symmetrise--> spec --irfftn--> y (+ b)
//   backward: dy --rfftn, gather--> g_hat; dW = c_m/P sum_s conj(x_hat) g_hat; db = sum dy;
//             g_hat --W^H, 1/P--> work --scatter + symmetrise--> spec --irfftn--> dx
// lead = n_0 .. n_{d-2}, half = n_{d-1}/2 + 1, nw = kept modes (the weight's mode extents).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>
#include <kono/operators/layer.hpp>

#include "spectral_fft.hpp"

namespace kono {
namespace Impl {

/// Which implementation SpectralConv uses in host-accessible memory spaces.
enum class SpectralPath { host, portable };

/// Value of KONO_SPECTRAL_PATH: null, "" or "host" -> host, "portable" -> portable; anything
/// else throws Error{invalid_argument} naming the variable and the allowed values.
SpectralPath parse_spectral_path(char const* value);
/// The path for host memory spaces: a ScopedSpectralPath if one is alive, else KONO_SPECTRAL_PATH
/// (read once; a bad value throws on every call).
SpectralPath selected_spectral_path();

/// Forces the path for host memory spaces while alive, so tests can run both paths in one
/// process. Nests; not thread-safe (tests only).
class ScopedSpectralPath {
 public:
  explicit ScopedSpectralPath(SpectralPath path);
  ~ScopedSpectralPath();
  ScopedSpectralPath(ScopedSpectralPath const&) = delete;
  ScopedSpectralPath& operator=(ScopedSpectralPath const&) = delete;

 private:
  int m_previous;
};

/// Scratch Views, index tables and FFT plans the portable path has allocated in this process:
/// tests check that a repeated shape and batch size allocates nothing.
std::uint64_t portable_spectral_allocations() noexcept;
void count_portable_spectral_allocation() noexcept;

// ---- kernels (free functions: nvcc rejects extended lambdas in private members) ------------
// Complex arrays are Scalar Views with (re, im) interleaved.

// hat[f, m] = spec[f, mode_full[m]] for `fields` spectra of lh complex entries.
template <class Exec, class VSpec, class VIdx, class VHat>
void spectral_gather(Exec const& space, VSpec const& spec, VIdx const& mode_full, VHat const& hat, index_t fields,
                     index_t lh, index_t nw) {
  Kokkos::parallel_for(
      "kono::SpectralConv::gather_modes", Kokkos::RangePolicy<Exec>(space, 0, fields * nw), KOKKOS_LAMBDA(index_t i) {
        index_t const f = i / nw, m = i - f * nw;
        index_t const src = 2 * (f * lh + mode_full(m));
        hat(2 * i) = spec(src);
        hat(2 * i + 1) = spec(src + 1);
      });
}

// out[s, o, m] = scale sum_i x[s, i, m] w[i, o, m]   (w: [Cin, Cout, nw] complex).
template <class Exec, class VIn, class VW, class VOut, class S>
void spectral_product(Exec const& space, VIn const& x, VW const& w, VOut const& out, index_t batch, index_t cin,
                      index_t cout, index_t nw, S scale) {
  Kokkos::parallel_for(
      "kono::SpectralConv::mode_product", Kokkos::RangePolicy<Exec>(space, 0, batch * cout * nw),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const m = idx % nw, o = (idx / nw) % cout, s = idx / (nw * cout);
        S re = 0, im = 0;
        for (index_t i = 0; i < cin; ++i) {
          index_t const a = 2 * ((s * cin + i) * nw + m), b = 2 * ((i * cout + o) * nw + m);
          S const ar = x(a), ai = x(a + 1), br = w(b), bi = w(b + 1);
          re += ar * br - ai * bi;
          im += ar * bi + ai * br;
        }
        out(2 * idx) = scale * re;
        out(2 * idx + 1) = scale * im;
      });
}

// out[s, i, m] = scale sum_o g[s, o, m] conj(w[i, o, m]): the adjoint product (input gradient).
template <class Exec, class VIn, class VW, class VOut, class S>
void spectral_adjoint_product(Exec const& space, VIn const& g, VW const& w, VOut const& out, index_t batch,
                              index_t cin, index_t cout, index_t nw, S scale) {
  Kokkos::parallel_for(
      "kono::SpectralConv::adjoint_mode_product", Kokkos::RangePolicy<Exec>(space, 0, batch * cin * nw),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const m = idx % nw, i = (idx / nw) % cin, s = idx / (nw * cin);
        S re = 0, im = 0;
        for (index_t o = 0; o < cout; ++o) {
          index_t const a = 2 * ((s * cout + o) * nw + m), b = 2 * ((i * cout + o) * nw + m);
          S const gr = g(a), gi = g(a + 1), wr = w(b), wi = w(b + 1);
          re += gr * wr + gi * wi;
          im += gi * wr - gr * wi;
        }
        out(2 * idx) = scale * re;
        out(2 * idx + 1) = scale * im;
      });
}

// Writes every entry of spec [fields, lead, half] from the kept modes hat [fields, nw]: zero
// outside the kept set, and on the zero plane (and the Nyquist plane `nyq` when kept) of the
// last axis Z[l] = (Z[l] + conj Z[-l]) / 2 over the leading axes, as the host path's
// symmetrize_edges (which also fills rows whose negation is kept). Writing every entry also
// restores what the previous irfftn overwrote.
template <class Exec, class VHat, class VIdx, class VSpec>
void spectral_scatter(Exec const& space, VHat const& hat, VIdx const& lead_kept, VIdx const& lead_neg,
                      VSpec const& spec, index_t fields, index_t lead, index_t half, index_t kd, index_t nw,
                      index_t nyq) {
  using S = typename VSpec::non_const_value_type;
  // (field, leading index, last-axis index) without integer divisions: this kernel writes
  // the whole spectrum, so its index arithmetic is what it costs.
  Kokkos::parallel_for(
      "kono::SpectralConv::scatter_modes",
      Kokkos::MDRangePolicy<Exec, Kokkos::Rank<3>>(space, {0, 0, 0}, {fields, lead, half}),
      KOKKOS_LAMBDA(index_t f, index_t l, index_t h) {
        S re = 0, im = 0;
        if (h < kd) {
          index_t const k = lead_kept(l);
          if (k >= 0) {
            re = hat(2 * (f * nw + k * kd + h));
            im = hat(2 * (f * nw + k * kd + h) + 1);
          }
          if (h == 0 || h == nyq) {
            index_t const kn = lead_kept(lead_neg(l));
            S br = 0, bi = 0;
            if (kn >= 0) {
              br = hat(2 * (f * nw + kn * kd + h));
              bi = hat(2 * (f * nw + kn * kd + h) + 1);
            }
            re = S(0.5) * (re + br);
            im = S(0.5) * (im - bi);
          }
        }
        index_t const i = (f * lead + l) * half + h;
        spec(2 * i) = re;
        spec(2 * i + 1) = im;
      });
}

template <class Exec, class VY, class VB>
void spectral_add_bias(Exec const& space, VY const& y, VB const& b, index_t batch, index_t cout, index_t points) {
  Kokkos::parallel_for(
      "kono::SpectralConv::add_bias",
      Kokkos::MDRangePolicy<Exec, Kokkos::Rank<3>>(space, {0, 0, 0}, {batch, cout, points}),
      KOKKOS_LAMBDA(index_t s, index_t o, index_t q) { y((s * cout + o) * points + q) += b(o); });
}

// gw[i, o, m] (+)= c_m / P sum_s conj(x[s, i, m]) g[s, o, m]; c_m = 1 on the zero and Nyquist
// planes of the last axis, 2 elsewhere (the other half of the spectrum).
template <class Exec, class VX, class VG, class VW>
void spectral_weight_gradient(Exec const& space, VX const& x, VG const& g, VW const& gw, index_t batch, index_t cin,
                              index_t cout, index_t nw, index_t kd, index_t half, bool nyquist, index_t points,
                              bool acc_mode) {
  using S = typename VW::non_const_value_type;
  double const inv_points = 1.0 / double(points);
  Kokkos::parallel_for(
      "kono::SpectralConv::weight_gradient", Kokkos::RangePolicy<Exec>(space, 0, cin * cout * nw),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const m = idx % nw, o = (idx / nw) % cout, i = idx / (nw * cout);
        S re = 0, im = 0;
        for (index_t s = 0; s < batch; ++s) {
          index_t const a = 2 * ((s * cin + i) * nw + m), b = 2 * ((s * cout + o) * nw + m);
          S const xr = x(a), xi = x(a + 1), gr = g(b), gi = g(b + 1);
          re += xr * gr + xi * gi;
          im += xr * gi - xi * gr;
        }
        index_t const kl = m % kd;
        S const c = S(((kl == 0 || (nyquist && kl == half - 1)) ? 1.0 : 2.0) * inv_points);
        gw(2 * idx) = c * re + (acc_mode ? gw(2 * idx) : S(0));
        gw(2 * idx + 1) = c * im + (acc_mode ? gw(2 * idx + 1) : S(0));
      });
}

// gb[o] (+)= sum over samples and points of dy[s, o, :], one team per channel, in double
// (threads over samples, vector lanes over points).
template <class Exec, class VDy, class VB>
void spectral_bias_gradient(Exec const& space, VDy const& dy, VB const& gb, index_t batch, index_t cout,
                            index_t points, bool acc_mode) {
  using S = typename VB::non_const_value_type;
  using policy = Kokkos::TeamPolicy<Exec>;
  Kokkos::parallel_for(
      "kono::SpectralConv::bias_gradient", policy(space, cout, Kokkos::AUTO),
      KOKKOS_LAMBDA(typename policy::member_type const& team) {
        index_t const o = team.league_rank();
        double acc = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, batch),
            [&](index_t s, double& part) {
              double row = 0;
              Kokkos::parallel_reduce(
                  Kokkos::ThreadVectorRange(team, points),
                  [&](index_t q, double& v) { v += double(dy((s * cout + o) * points + q)); }, row);
              part += row;
            },
            acc);
        Kokkos::single(Kokkos::PerTeam(team), [&]() { gb(o) = S(acc) + (acc_mode ? gb(o) : S(0)); });
      });
}

// ---- per-layer state ------------------------------------------------------------------------

/// Extents and index tables of one spatial shape; the tables live in MemorySpace.
template <class MemorySpace>
struct PortableSpectralGeometry {
  using index_view = Kokkos::View<index_t*, Kokkos::LayoutRight, MemorySpace>;
  std::vector<index_t> n;  // spatial extents
  index_t points = 1, lead = 1, half = 0, kd = 0, nw = 1;
  bool nyquist = false;  // last extent even
  index_t nyq = -1;      // last-axis index of the Nyquist plane when it is kept, else -1
  index_view mode_full;  // [nw]: flat [lead, half] position of kept mode m
  index_view lead_kept;  // [lead]: compact leading index of a full leading index, -1 if not kept
  index_view lead_neg;   // [lead]: full leading index of the negated frequency
};

/// Tables of one spatial shape, built on the host (the convention of the host path's
/// plans_for: leading axis a keeps frequencies -m_a/2 .. (m_a-1)/2, the last axis 0 .. m/2) and
/// copied to MemorySpace once. Needs extents[a] >= modes[a].
template <class MemorySpace>
PortableSpectralGeometry<MemorySpace> make_spectral_geometry(std::vector<int> const& modes,
                                                             std::vector<index_t> const& extents) {
  using index_view = typename PortableSpectralGeometry<MemorySpace>::index_view;
  PortableSpectralGeometry<MemorySpace> g;
  int const d = int(modes.size());
  KONO_REQUIRE(d >= 1 && int(extents.size()) == d, "modes " << d << ", extents " << extents.size());
  g.n = extents;
  for (int a = 0; a < d; ++a) {
    g.points *= g.n[a];
    if (a < d - 1) g.lead *= g.n[a];
  }
  g.half = g.n[d - 1] / 2 + 1;
  g.nyquist = g.n[d - 1] % 2 == 0;
  g.kd = modes[d - 1] / 2 + 1;
  g.nyq = (g.nyquist && g.half > 1 && g.half - 1 < g.kd) ? g.half - 1 : -1;
  // pos[a][r]: weight row of full index r on leading axis a, or -1.
  std::vector<std::vector<index_t>> pos(std::size_t(std::max(d - 1, 0)));
  for (int a = 0; a < d - 1; ++a) {
    index_t const na = g.n[a], ma = modes[a];
    pos[a].assign(std::size_t(na), -1);
    for (index_t j = 0; j < ma; ++j) pos[a][std::size_t(((j - ma / 2) % na + na) % na)] = j;
    g.nw *= ma;
  }
  g.nw *= g.kd;
  Kokkos::View<index_t*, Kokkos::HostSpace> h_mode_full("kono::SpectralConv::mode_full", std::size_t(g.nw));
  Kokkos::View<index_t*, Kokkos::HostSpace> h_kept("kono::SpectralConv::lead_kept", std::size_t(g.lead));
  Kokkos::View<index_t*, Kokkos::HostSpace> h_neg("kono::SpectralConv::lead_neg", std::size_t(g.lead));
  for (index_t l = 0; l < g.lead; ++l) {
    index_t rest = l, kept = 0, kstride = 1, neg = 0, nstride = 1;
    bool is_kept = true;
    for (int a = d - 2; a >= 0; --a) {
      index_t const na = g.n[a], r = rest % na;
      rest /= na;
      index_t const j = pos[a][std::size_t(r)];
      is_kept = is_kept && j >= 0;
      kept += j * kstride;
      kstride *= modes[a];
      neg += ((na - r) % na) * nstride;
      nstride *= na;
    }
    h_kept(l) = is_kept ? kept : -1;
    h_neg(l) = neg;
    if (is_kept)
      for (index_t kl = 0; kl < g.kd; ++kl) h_mode_full(kept * g.kd + kl) = l * g.half + kl;
  }
  auto to_space = [](Kokkos::View<index_t*, Kokkos::HostSpace> const& h) {
    count_portable_spectral_allocation();
    index_view v(h.label(), h.extent(0));
    Kokkos::deep_copy(v, h);
    return v;
  };
  g.mode_full = to_space(h_mode_full);
  g.lead_kept = to_space(h_kept);
  g.lead_neg = to_space(h_neg);
  return g;
}

/// The portable forward and backward of one SpectralConv, with its per-shape state: index
/// tables per spatial shape, scratch Views per (shape, batch size) and FFT plans per (shape,
/// fields). All made on the first call that needs them and reused, so a training step on a
/// known shape and batch size allocates nothing. Not thread-safe (as the host path's plans).
template <class MemorySpace, class Scalar>
class PortableSpectralConv {
 public:
  using execution_space = typename MemorySpace::execution_space;
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using param_view = typename Layer<MemorySpace, Scalar>::param_view;
  using view = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>;
  using index_view = Kokkos::View<index_t*, Kokkos::LayoutRight, MemorySpace>;

  PortableSpectralConv(int in_channels, int out_channels, std::vector<int> modes, bool bias)
      : m_in(in_channels), m_out(out_channels), m_modes(std::move(modes)), m_bias(bias) {}

  /// y = layer(x) with parameters `params` (weights then bias). Returns the generation of this
  /// forward call, which backward() uses to find x's cached spectrum.
  std::uint64_t forward(execution_space const& space, tensor_type const& x, tensor_type const& y,
                        param_view const& params) {
    Shape const in = x.shape();
    ShapeState& st = state_for(in);
    std::uint64_t const generation = ++st.generation;
    index_t const batch = in[0];
    if (batch == 0) return generation;
    Geometry const& g = st.g;
    Scratch& sc = scratch_for(st, batch);
    analysis(space, st, sc, x, m_in, sc.x_hat);
    sc.x_hat_generation = generation;
    index_t const nwt = 2 * index_t(m_in) * m_out * g.nw;
    auto const w = Kokkos::subview(params, std::make_pair(std::size_t(0), std::size_t(nwt)));
    spectral_product(space, sc.x_hat, w, sc.work, batch, m_in, m_out, g.nw, Scalar(1.0 / double(g.points)));
    synthesis(space, st, sc, sc.work, m_out, y);
    if (m_bias) {
      auto const b = Kokkos::subview(params, std::make_pair(std::size_t(nwt), std::size_t(nwt + m_out)));
      spectral_add_bias(space, y.data(), b, batch, m_out, g.points);
    }
    return generation;
  }

  /// Gradients for the forward call `generation` on x: dx (when non-null) and the parameter
  /// gradients `grads` per `mode`, as the host path.
  void backward(execution_space const& space, tensor_type const& x, std::uint64_t generation, tensor_type const& dy,
                tensor_type const* dx, param_view const& params, param_view const& grads, GradientMode mode) {
    Shape const in = x.shape();
    ShapeState& st = state_for(in);
    index_t const batch = in[0];
    if (batch == 0) {
      if (mode == GradientMode::overwrite) Kokkos::deep_copy(space, grads, Scalar(0));
      return;
    }
    Geometry const& g = st.g;
    Scratch& sc = scratch_for(st, batch);
    // x's kept modes are cached by the forward call that made this context, unless another
    // forward on this shape and batch size came in between.
    if (sc.x_hat_generation != generation) {
      analysis(space, st, sc, x, m_in, sc.x_hat);
      sc.x_hat_generation = generation;
    }
    analysis(space, st, sc, dy, m_out, sc.g_hat);
    index_t const nwt = 2 * index_t(m_in) * m_out * g.nw;
    auto const wrange = std::make_pair(std::size_t(0), std::size_t(nwt));
    auto const brange = std::make_pair(std::size_t(nwt), std::size_t(nwt + m_out));
    if (mode != GradientMode::ignore) {
      bool const acc = mode == GradientMode::accumulate;
      spectral_weight_gradient(space, sc.x_hat, sc.g_hat, Kokkos::subview(grads, wrange), batch, m_in, m_out, g.nw,
                               g.kd, g.half, g.nyquist, g.points, acc);
      if (m_bias)
        spectral_bias_gradient(space, dy.data(), Kokkos::subview(grads, brange), batch, m_out, g.points, acc);
    }
    if (dx) {
      spectral_adjoint_product(space, sc.g_hat, Kokkos::subview(params, wrange), sc.work, batch, m_in, m_out, g.nw,
                               Scalar(1.0 / double(g.points)));
      synthesis(space, st, sc, sc.work, m_in, *dx);
    }
  }

 private:
  using Geometry = PortableSpectralGeometry<MemorySpace>;
  using Fft = BatchedRealFft<execution_space, Scalar>;
  struct Scratch {
    view spec;   // [N max(Cin, Cout), lead, half] complex: full half spectra
    view x_hat;  // [N, Cin, nw] complex: x's kept modes (kept for backward)
    view g_hat;  // [N, Cout, nw] complex: dy's kept modes
    view work;   // [N, max(Cin, Cout), nw] complex: product before the scatter
    std::uint64_t x_hat_generation = ~std::uint64_t(0);
  };
  struct ShapeState {
    Geometry g;
    std::map<index_t, Scratch> by_batch;
    std::map<index_t, std::unique_ptr<Fft>> ffts;  // by number of fields
    std::uint64_t generation = 0;
  };

  // rfftn of t [N, channels, n...] and its kept modes into hat [N, channels, nw].
  void analysis(execution_space const& space, ShapeState& st, Scratch& sc, tensor_type const& t, index_t channels,
                view const& hat) {
    Geometry const& g = st.g;
    index_t const fields = t.extent(0) * channels;
    fft_for(st, fields).forward(space, t.data().data(), sc.spec.data());
    spectral_gather(space, sc.spec, g.mode_full, hat, fields, g.lead * g.half, g.nw);
  }
  // Kept modes hat [N, channels, nw] -> out [N, channels, n...] through the symmetrised
  // scatter and irfftn.
  void synthesis(execution_space const& space, ShapeState& st, Scratch& sc, view const& hat, index_t channels,
                 tensor_type const& out) {
    Geometry const& g = st.g;
    index_t const fields = out.extent(0) * channels;
    spectral_scatter(space, hat, g.lead_kept, g.lead_neg, sc.spec, fields, g.lead, g.half, g.kd, g.nw, g.nyq);
    fft_for(st, fields).inverse(space, sc.spec.data(), out.data().data());
  }

  Fft& fft_for(ShapeState& st, index_t fields) {
    auto& f = st.ffts[fields];
    if (!f) {
      f = std::make_unique<Fft>(st.g.n, fields);
      count_portable_spectral_allocation();
    }
    return *f;
  }

  Scratch& scratch_for(ShapeState& st, index_t batch) {
    auto it = st.by_batch.find(batch);
    if (it != st.by_batch.end()) return it->second;
    Geometry const& g = st.g;
    index_t const cmax = std::max(m_in, m_out);
    auto alloc = [](char const* label, index_t n) {
      count_portable_spectral_allocation();
      return view(std::string(label), std::size_t(n));
    };
    Scratch sc;
    sc.spec = alloc("kono::SpectralConv::portable_spectrum", 2 * batch * cmax * g.lead * g.half);
    sc.x_hat = alloc("kono::SpectralConv::portable_x_hat", 2 * batch * m_in * g.nw);
    sc.g_hat = alloc("kono::SpectralConv::portable_g_hat", 2 * batch * m_out * g.nw);
    sc.work = alloc("kono::SpectralConv::portable_work", 2 * batch * cmax * g.nw);
    return st.by_batch.emplace(batch, std::move(sc)).first->second;
  }

  ShapeState& state_for(Shape const& in) {
    auto const full = in.to_vector();
    std::vector<index_t> key(full.begin() + 2, full.end());
    auto it = m_states.find(key);
    if (it != m_states.end()) return *it->second;
    auto st = std::make_unique<ShapeState>();
    st->g = make_spectral_geometry<MemorySpace>(m_modes, key);
    return *m_states.emplace(std::move(key), std::move(st)).first->second;
  }

  int m_in, m_out;
  std::vector<int> m_modes;
  bool m_bias;
  std::map<std::vector<index_t>, std::unique_ptr<ShapeState>> m_states;
};

}  // namespace Impl
}  // namespace kono
