#pragma once
/// Unit-Gaussian normalisation of [N, C, spatial...] tensors with statistics fitted over samples
/// sharded across MPI ranks (neuraloperator's UnitGaussianNormalizer).
#include <mpi.h>

#include <string>
#include <vector>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/shape.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>

namespace kono {

class Hdf5File;
class Hdf5Writer;

/// Over which axes one mean/std pair is taken.
enum class NormalizerKind {
  scalar,       ///< one pair over samples, channels and space; statistics shape [1]
  per_channel,  ///< one pair per channel over samples and space; shape [C]
  pointwise     ///< one pair per channel and grid point over samples; shape [C, spatial...]
};
/// "scalar", "per_channel", "pointwise".
char const* to_string(NormalizerKind kind) noexcept;

/// encode: x <- (x - mean) / (std + eps); decode is its inverse. std is the unbiased (n - 1)
/// standard deviation, statistics are accumulated in double whatever the tensor's Scalar.
class Normalizer {
 public:
  static constexpr double default_eps = 1e-7;

  Normalizer() = default;  ///< unfitted; encode/decode throw Error{wrong_state}
  /// Unfitted normalizer of `kind`; throws Error{invalid_argument} unless eps >= 0.
  explicit Normalizer(NormalizerKind kind, double eps = default_eps);
  /// Fitted normalizer from known statistics (values in C order over `stats_shape`, see
  /// NormalizerKind). Throws Error{size_mismatch} or Error{invalid_argument} (negative/non-finite std).
  Normalizer(NormalizerKind kind, Shape const& stats_shape, std::vector<double> const& mean,
             std::vector<double> const& stddev, index_t count, double eps = default_eps);

  /// Fits the statistics to all samples of a tensor [n_r, C, spatial...] sharded over `comm`
  /// (n_r may be 0 on some ranks). Two passes (sums, then squared deviations), each one
  /// MPI_Allreduce, so the result does not depend on the number of ranks. Collective; throws
  /// Error{size_mismatch} (ranks disagree on [C, spatial...]) or Error{invalid_argument} (fewer
  /// than 2 values per statistic).
  template <class MemorySpace, class Scalar>
  void fit(Tensor<MemorySpace, Scalar> const& shard, MPI_Comm comm);

  /// In-place x <- (x - mean) / (std + eps) on `space`; x is [n, C, spatial...]. Not collective.
  /// Throws Error{wrong_state} (unfitted) or Error{size_mismatch}.
  template <class MemorySpace, class Scalar>
  void encode(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& x) const;
  /// In-place x <- x * (std + eps) + mean; inverse of encode. Not collective; throws as encode.
  template <class MemorySpace, class Scalar>
  void decode(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& x) const;
  template <class MemorySpace, class Scalar>
  void encode(Tensor<MemorySpace, Scalar> const& x) const {
    encode(typename MemorySpace::execution_space{}, x);
  }
  template <class MemorySpace, class Scalar>
  void decode(Tensor<MemorySpace, Scalar> const& x) const {
    decode(typename MemorySpace::execution_space{}, x);
  }

  bool is_fitted() const noexcept { return m_fitted; }
  NormalizerKind kind() const noexcept { return m_kind; }
  double eps() const noexcept { return m_eps; }
  index_t count() const noexcept { return m_count; }             ///< samples the statistics were fitted on
  Shape const& stats_shape() const noexcept { return m_stats_shape; }  ///< [1], [C] or [C, spatial...]
  std::vector<double> mean() const;                              ///< host copy, C order over stats_shape()
  std::vector<double> stddev() const;                            ///< host copy, C order over stats_shape()

  /// Writes datasets <group>/mean and <group>/std (float64, stats_shape) and attributes kind, eps,
  /// count on <group>. Collective on the writer's communicator; throws Error{wrong_state} if unfitted.
  void save(Hdf5Writer& writer, std::string const& group) const;
  /// Reads what save() wrote. Not collective. Throws Error{invalid_argument} (missing group,
  /// dataset or attribute, unknown kind) or Error{size_mismatch} (mean/std shapes vs kind).
  static Normalizer load(Hdf5File const& file, std::string const& group);

 private:
  void set_statistics(std::vector<double> const& mean, std::vector<double> const& stddev);
  template <class MemorySpace, class Scalar>
  void apply(char const* caller, typename MemorySpace::execution_space const& space,
             Tensor<MemorySpace, Scalar> const& x, bool forward) const;

  NormalizerKind m_kind = NormalizerKind::scalar;
  double m_eps = default_eps;
  index_t m_count = 0;
  bool m_fitted = false;
  Shape m_stats_shape;
  Kokkos::View<double*, Kokkos::HostSpace> m_mean_host;
  Kokkos::View<double*, Kokkos::HostSpace> m_std_host;
  // Device copies, so encode() in a training loop does not copy the statistics each call.
  Kokkos::View<double*, DefaultMemorySpace> m_mean_device;
  Kokkos::View<double*, DefaultMemorySpace> m_std_device;
};

}  // namespace kono
