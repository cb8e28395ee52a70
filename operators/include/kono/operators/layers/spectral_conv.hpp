#pragma once
/// Fourier layer of FNO (neuraloperator's dense SpectralConv):
///   y = irfftn( W . rfftn(x) on the kept modes, zero elsewhere ) + b
/// with FFT norm "forward" (the forward transform divided by the number of grid points, the
/// inverse unscaled), as neuralop's default fft_norm="forward".
///
/// Mode convention (neuralop's, after its fftshift): `modes[a]` is the total number of modes on
/// spatial axis a. On every axis but the last, weight index k in [0, m) is frequency
/// k - m/2 (integer division), i.e. frequencies -m/2 .. (m-1)/2: for m = 8 on a 16-point axis
/// the rfft indices 12..15 and 0..3. On the last (real-FFT) axis the first m/2 + 1 frequencies
/// 0..m/2 are kept. The zero and Nyquist planes of the last axis are treated as neuralop does
/// with enforce_hermitian_symmetry (their imaginary parts after the inverse over the other axes
/// are dropped), so the layer is a well-defined real-linear map of x.
///
/// Parameters: "weight" [Cin, Cout, m_1, ..., m_{d-1}, m_d/2 + 1, 2] (complex, re/im interleaved;
/// neuralop's weight tensor [Cin, Cout, ...] as torch.view_as_real), then "bias" [Cout].
/// Initialisation as neuralop's init_std="auto": std = sqrt(2 / (Cin + Cout)) for the complex
/// weight (real and imaginary parts each std / sqrt(2)), bias normal with std.
///
/// Works at any grid with n_a >= modes[a] on every axis (resolution invariance). Two
/// implementations that agree to rounding: in host-accessible memory spaces a pruned FFTW +
/// BLAS path; in device spaces a portable path of Kokkos kernels around a full-grid batched
/// real FFT (cuFFT on CUDA, hipFFT on HIP), which KONO_SPECTRAL_PATH=portable also selects on
/// the host (docs/spectral_conv.md). Other device backends throw Error{unsupported}.
#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include <kono/operators/layer.hpp>

namespace kono {

namespace Impl {
template <class Scalar>
struct SpectralPlans;  // FFTW plans and scratch for one input shape (defined in the .cpp)
template <class MemorySpace, class Scalar>
class PortableSpectralConv;  // the portable path and its per-shape state (src/layers/spectral_conv_portable.hpp)
}  // namespace Impl

template <class MemorySpace, class Scalar>
class SpectralConv final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// `modes`: total modes kept per spatial axis (1 to 3 axes, each >= 1). Throws
  /// Error{invalid_argument} for non-positive channels or modes or a rank outside 1..3.
  SpectralConv(int in_channels, int out_channels, std::vector<int> modes, bool bias = true);
  ~SpectralConv() override;
  SpectralConv(SpectralConv const&) = delete;
  SpectralConv& operator=(SpectralConv const&) = delete;
  /// From {"type": "spectral_conv", "in_channels", "out_channels", "modes": [..], "bias"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "spectral_conv"; }
  LayerConfig config() const override;
  /// [N, Cin, n_1..n_d] -> [N, Cout, n_1..n_d]; needs n_a >= modes[a].
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "weight", "bias"
  void initialize_parameters(std::uint64_t seed) const override;

  int in_channels() const noexcept { return m_in; }
  int out_channels() const noexcept { return m_out; }
  std::vector<int> const& modes() const noexcept { return m_modes; }
  /// Weight extents per spatial axis: modes, with the last replaced by modes/2 + 1.
  std::vector<int> weight_modes() const;

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  Impl::SpectralPlans<Scalar>& plans_for(Shape const& in) const;
  Impl::PortableSpectralConv<MemorySpace, Scalar>& portable_path() const;

  int m_in, m_out;
  std::vector<int> m_modes;
  bool m_bias;
  /// FFTW plans and spectra per input shape, reused across calls (FFTW planning is not
  /// thread-safe: do not run the same layer concurrently on new shapes).
  mutable std::map<std::vector<index_t>, std::unique_ptr<Impl::SpectralPlans<Scalar>>> m_plans;
  /// The portable path's tables, scratch and FFT plans, made on its first use (same caveat).
  mutable std::unique_ptr<Impl::PortableSpectralConv<MemorySpace, Scalar>> m_portable;
};

namespace Impl {
/// Registers "spectral_conv" for float and double in the default memory space.
void register_spectral_layers();
}  // namespace Impl

}  // namespace kono
