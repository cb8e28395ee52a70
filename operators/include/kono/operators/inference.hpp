#pragma once
/// kono::Surrogate: a trained model file loaded for inference inside a simulation code. It owns
/// the model and its normalisers and applies them to the caller's host arrays or to Tensors.
/// The C API (kono.h) and the Fortran module are thin layers over this class.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>

namespace kono {

/// A model file ready to apply: raw input -> encode (input normaliser) -> model -> decode
/// (target normaliser) -> raw output, exactly what `kono eval` computes. The model runs in
/// the precision its parameters were stored in (float32 or float64); inputs in the other
/// precision are converted on the way in and out.
///
/// Loading is collective; everything else is not. A const Surrogate may be applied from
/// several threads only if the caller serialises the calls (Kokkos' Serial backend and
/// FFTW's planner are not re-entrant); the C API does that with a mutex.
class Surrogate {
 public:
  Surrogate();
  ~Surrogate();
  Surrogate(Surrogate&&) noexcept;
  Surrogate& operator=(Surrogate&&) noexcept;

  /// Reads `path` on every rank of `comm` and builds the model. Collective on comm. Needs a live
  /// Kokkos (kono::Runtime or the host's). Throws Error{file_io} (missing file),
  /// Error{corrupt_file}, Error{unsupported} (format_version newer than this kono reads),
  /// Error{non_finite}, all naming `path`.
  static Surrogate load(std::string const& path, MPI_Comm comm);

  bool is_loaded() const noexcept { return m_impl != nullptr; }
  std::string const& path() const;       ///< file it was loaded from
  std::string const& model_type() const;  ///< "fno", ...
  int dimension() const;                  ///< spatial dimension d of [N, C, n_1..n_d]
  int in_channels() const;
  int out_channels() const;
  bool stores_float() const;  ///< true: parameters (and the arithmetic) are float32
  /// True when the output grid follows the input grid for any extents the layers allow (for an
  /// FNO: n_i >= modes_i), i.e. no layer or pointwise normaliser fixes the training grid.
  bool accepts_any_resolution() const;
  /// Smallest extent per spatial axis the model accepts (1 unless a layer needs more).
  std::vector<index_t> min_extents() const;
  /// Provenance value for `key` ("train_resolution", "created", ...) or "" when absent.
  std::string provenance(std::string const& key) const;

  /// Output shape for an input shape [N, in_channels, n_1..n_d]; throws Error{size_mismatch}
  /// (wrong rank, channels or extents, with the model's expectation in the message).
  Shape output_shape(Shape const& in) const;

  /// out <- surrogate(in) on host arrays in C order: in is [batch, in_channels, extents...],
  /// out is [batch, out_channels, output extents...] (output_shape()). The arrays may not
  /// overlap. Not collective. Throws Error{size_mismatch} (channels, extents),
  /// Error{invalid_argument} (batch < 0), Error{wrong_state} (not loaded).
  template <class Scalar>
  void apply(index_t batch, int channels, index_t const* extents, Scalar const* in, Scalar* out) const;

  /// Tensor form: returns surrogate(x) for x [N, in_channels, spatial...] in kono's default
  /// memory space. Not collective; throws as apply().
  template <class Scalar>
  Tensor<DefaultMemorySpace, Scalar> apply(Tensor<DefaultMemorySpace, Scalar> const& x) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kono
