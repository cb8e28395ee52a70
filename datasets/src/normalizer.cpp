#include <kono/datasets/normalizer.hpp>

#include <array>
#include <cmath>
#include <type_traits>

#include <kono/core/profiling_region.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_writer.hpp>

namespace kono {

namespace Impl {
// Kernels live in named namespace-scope functions: CUDA's extended lambdas may not sit in
// private member functions.

// Statistic k of a tensor whose samples hold P values is fed by the blocks of B consecutive
// values at n*P + k*B (B = P: scalar, B = spatial size: per channel, B = 1: pointwise).
// out(k) = sum over those values of (x - center(k)) (pass 1, center 0) or its square (pass 2).
template <class ExecutionSpace, class MemorySpace, class Scalar>
void normalizer_reduce(ExecutionSpace const& space, Kokkos::View<Scalar const*, Kokkos::LayoutRight, MemorySpace> x,
                       index_t n_samples, index_t P, index_t B, Kokkos::View<double const*, MemorySpace> center,
                       Kokkos::View<double*, MemorySpace> out, bool squared) {
  using policy_type = Kokkos::TeamPolicy<ExecutionSpace>;
  using member_type = typename policy_type::member_type;
  index_t const K = static_cast<index_t>(out.extent(0));
  index_t const m = n_samples * B;
  Kokkos::parallel_for(
      "kono::Normalizer::fit", policy_type(space, static_cast<int>(K), Kokkos::AUTO),
      KOKKOS_LAMBDA(member_type const& team) {
        index_t const k = team.league_rank();
        double const c = center(k);
        double acc = 0.0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, m),
            [&](index_t j, double& a) {
              double const v = static_cast<double>(x((j / B) * P + k * B + j % B)) - c;
              a += squared ? v * v : v;
            },
            acc);
        Kokkos::single(Kokkos::PerTeam(team), [&]() { out(k) = acc; });
      });
}

template <class ExecutionSpace, class MemorySpace, class Scalar>
void normalizer_apply(ExecutionSpace const& space, Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> x,
                      index_t P, index_t B, Kokkos::View<double const*, MemorySpace> mean,
                      Kokkos::View<double const*, MemorySpace> stddev, double eps, bool forward) {
  index_t const n = static_cast<index_t>(x.extent(0));
  Kokkos::parallel_for(
      forward ? "kono::Normalizer::encode" : "kono::Normalizer::decode",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<index_t>>(space, 0, n), KOKKOS_LAMBDA(index_t i) {
        index_t const k = (i % P) / B;
        double const scale = stddev(k) + eps;
        double const v = static_cast<double>(x(i));
        x(i) = static_cast<Scalar>(forward ? (v - mean(k)) / scale : v * scale + mean(k));
      });
}
}  // namespace Impl

namespace {

// Values per sample P and block length B (see Impl::normalizer_reduce) for a sample shape.
struct Blocks {
  index_t P = 1;
  index_t B = 1;
};

Blocks blocks_for(NormalizerKind kind, Shape const& sample) {
  index_t const P = sample.size();
  switch (kind) {
    case NormalizerKind::scalar: return {P, P};
    case NormalizerKind::per_channel: return {P, sample[0] == 0 ? 0 : P / sample[0]};
    case NormalizerKind::pointwise: return {P, 1};
  }
  return {P, P};
}

Shape stats_shape_for(NormalizerKind kind, Shape const& sample) {
  switch (kind) {
    case NormalizerKind::scalar: return Shape{1};
    case NormalizerKind::per_channel: return Shape{sample[0]};
    case NormalizerKind::pointwise: return sample;
  }
  return Shape{1};
}

std::string join(std::string const& group, char const* name) {
  std::string g = group;
  while (!g.empty() && g.back() == '/') g.pop_back();
  return g + "/" + name;
}

template <class MemorySpace>
Kokkos::View<double*, MemorySpace> to_space(std::vector<double> const& v, char const* label) {
  Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(const_cast<double*>(v.data()),
                                                                                      v.size());
  Kokkos::View<double*, MemorySpace> d(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), v.size());
  Kokkos::deep_copy(d, h);
  return d;
}

template <class MemorySpace>
std::vector<double> to_vector(Kokkos::View<double*, MemorySpace> const& d) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, d);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

}  // namespace

char const* to_string(NormalizerKind kind) noexcept {
  switch (kind) {
    case NormalizerKind::scalar: return "scalar";
    case NormalizerKind::per_channel: return "per_channel";
    case NormalizerKind::pointwise: return "pointwise";
  }
  return "scalar";
}

Normalizer::Normalizer(NormalizerKind kind, double eps) : m_kind(kind), m_eps(eps) {
  KONO_USER_REQUIRE(std::isfinite(eps) && eps >= 0, invalid_argument,
                    "kono::Normalizer: eps = " << eps << " must be finite and >= 0");
}

Normalizer::Normalizer(NormalizerKind kind, Shape const& stats_shape, std::vector<double> const& mean,
                       std::vector<double> const& stddev, index_t count, double eps)
    : Normalizer(kind, eps) {
  char const* const fq = "kono::Normalizer";
  bool const shape_ok = kind == NormalizerKind::scalar        ? stats_shape == Shape{1}
                        : kind == NormalizerKind::per_channel ? stats_shape.rank() == 1
                                                              : stats_shape.rank() >= 2;
  KONO_USER_REQUIRE(shape_ok, size_mismatch,
                    fq << ": statistics shape " << stats_shape.to_string() << " does not fit kind " << to_string(kind)
                       << " (expected [1], [C] or [C, spatial...] respectively)");
  KONO_USER_REQUIRE(static_cast<index_t>(mean.size()) == stats_shape.size() &&
                        static_cast<index_t>(stddev.size()) == stats_shape.size(),
                    size_mismatch,
                    fq << ": statistics shape " << stats_shape.to_string() << " needs " << stats_shape.size()
                       << " values, got " << mean.size() << " means and " << stddev.size() << " standard deviations");
  for (std::size_t k = 0; k < mean.size(); ++k)
    KONO_USER_REQUIRE(std::isfinite(mean[k]) && std::isfinite(stddev[k]) && stddev[k] >= 0, invalid_argument,
                      fq << ": statistic " << k << " has mean " << mean[k] << " and std " << stddev[k]
                         << "; expected finite values and std >= 0");
  KONO_USER_REQUIRE(count >= 0, invalid_argument, fq << ": count " << count << " is negative");
  m_stats_shape = stats_shape;
  m_count = count;
  set_statistics(mean, stddev);
}

void Normalizer::set_statistics(std::vector<double> const& mean, std::vector<double> const& stddev) {
  m_mean_host = to_space<Kokkos::HostSpace>(mean, "kono::Normalizer::mean");
  m_std_host = to_space<Kokkos::HostSpace>(stddev, "kono::Normalizer::std");
  m_mean_device = to_space<DefaultMemorySpace>(mean, "kono::Normalizer::mean");
  m_std_device = to_space<DefaultMemorySpace>(stddev, "kono::Normalizer::std");
  m_fitted = true;
}

std::vector<double> Normalizer::mean() const { return to_vector(m_mean_host); }
std::vector<double> Normalizer::stddev() const { return to_vector(m_std_host); }

template <class MemorySpace, class Scalar>
void Normalizer::fit(Tensor<MemorySpace, Scalar> const& shard, MPI_Comm comm) {
  ProfilingRegion region("kono::Normalizer::fit");
  using execution_space = typename MemorySpace::execution_space;
  char const* const fq = "kono::Normalizer::fit";
  Impl::collective_check(comm, [&] {
    KONO_USER_REQUIRE(shard.rank() >= 2, size_mismatch,
                      fq << ": tensor \"" << shard.label() << "\" has shape " << shard.shape().to_string()
                         << "; expected [n, C, spatial...]");
  });
  // Every rank must hold the same [C, spatial...]; compare min and max of the padded extents.
  Shape const sample = shard.shape().tail(1);
  std::array<long long, Shape::max_rank + 1> lo{}, hi{}, mine{};
  mine.fill(-1);
  mine[0] = sample.rank();
  for (int a = 0; a < sample.rank(); ++a) mine[static_cast<std::size_t>(a + 1)] = sample[a];
  MPI_Allreduce(mine.data(), lo.data(), static_cast<int>(mine.size()), MPI_LONG_LONG, MPI_MIN, comm);
  MPI_Allreduce(mine.data(), hi.data(), static_cast<int>(mine.size()), MPI_LONG_LONG, MPI_MAX, comm);
  long long local_n = shard.extent(0), n = 0;
  MPI_Allreduce(&local_n, &n, 1, MPI_LONG_LONG, MPI_SUM, comm);
  Blocks const blocks = blocks_for(m_kind, sample);
  Impl::collective_check(comm, [&] {
    KONO_USER_REQUIRE(lo == hi, size_mismatch,
                      fq << ": ranks hold samples of different shapes (this rank: \"" << shard.label() << "\" "
                         << shard.shape().to_string() << "); all shards must share [C, spatial...]");
    KONO_USER_REQUIRE(sample.size() > 0, invalid_argument,
                      fq << ": samples of \"" << shard.label() << "\" are empty (" << shard.shape().to_string() << ")");
    KONO_USER_REQUIRE(n * blocks.B >= 2, invalid_argument,
                      fq << ": " << to_string(m_kind) << " statistics over " << n << " sample(s) of shape "
                         << sample.to_string() << " have " << n * blocks.B
                         << " value(s) each; the unbiased std needs at least 2");
  });

  Shape const stats_shape = stats_shape_for(m_kind, sample);
  auto const K = static_cast<std::size_t>(stats_shape.size());
  execution_space const space{};
  Kokkos::View<double*, MemorySpace> center("kono::Normalizer::center", K);
  Kokkos::View<double*, MemorySpace> partial("kono::Normalizer::partial", K);
  Kokkos::View<Scalar const*, Kokkos::LayoutRight, MemorySpace> const x = shard.data();

  // Pass 1: mean. A one-pass sum of squares would lose digits to cancellation when |mean| >> std.
  Impl::normalizer_reduce<execution_space, MemorySpace, Scalar>(space, x, shard.extent(0), blocks.P, blocks.B, center,
                                                                partial, false);
  std::vector<double> local = to_vector(partial);
  std::vector<double> mean(K), m2(K), stddev(K);
  MPI_Allreduce(local.data(), mean.data(), static_cast<int>(K), MPI_DOUBLE, MPI_SUM, comm);
  double const values = static_cast<double>(n * blocks.B);
  for (auto& v : mean) v /= values;

  // Pass 2: squared deviations from the global mean.
  Kokkos::deep_copy(center, to_space<Kokkos::HostSpace>(mean, "kono::Normalizer::mean"));
  Impl::normalizer_reduce<execution_space, MemorySpace, Scalar>(space, x, shard.extent(0), blocks.P, blocks.B, center,
                                                                partial, true);
  local = to_vector(partial);
  MPI_Allreduce(local.data(), m2.data(), static_cast<int>(K), MPI_DOUBLE, MPI_SUM, comm);
  for (std::size_t k = 0; k < K; ++k) stddev[k] = std::sqrt(m2[k] / (values - 1.0));

  m_stats_shape = stats_shape;
  m_count = n;
  set_statistics(mean, stddev);
}

template <class MemorySpace, class Scalar>
void Normalizer::apply(char const* caller, typename MemorySpace::execution_space const& space,
                       Tensor<MemorySpace, Scalar> const& x, bool forward) const {
  KONO_USER_REQUIRE(m_fitted, wrong_state,
                    "kono::Normalizer::" << caller << ": the normalizer has no statistics; call fit() or load() first");
  KONO_USER_REQUIRE(x.rank() >= 2, size_mismatch,
                    "kono::Normalizer::" << caller << ": tensor \"" << x.label() << "\" has shape "
                                         << x.shape().to_string() << "; expected [n, C, spatial...]");
  Shape const sample = x.shape().tail(1);
  bool const ok = m_kind == NormalizerKind::scalar        ? true
                  : m_kind == NormalizerKind::per_channel ? sample[0] == m_stats_shape[0]
                                                          : sample == m_stats_shape;
  KONO_USER_REQUIRE(ok, size_mismatch,
                    "kono::Normalizer::" << caller << ": tensor \"" << x.label() << "\" has shape "
                                         << x.shape().to_string() << ", the " << to_string(m_kind)
                                         << " statistics have shape " << m_stats_shape.to_string());
  if (x.size() == 0) return;
  Blocks const blocks = blocks_for(m_kind, sample);
  using execution_space = typename MemorySpace::execution_space;
  Kokkos::View<double const*, MemorySpace> mean, stddev;
  if constexpr (std::is_same<MemorySpace, DefaultMemorySpace>::value) {
    mean = m_mean_device;
    stddev = m_std_device;
  } else {
    mean = Kokkos::create_mirror_view_and_copy(MemorySpace{}, m_mean_host);
    stddev = Kokkos::create_mirror_view_and_copy(MemorySpace{}, m_std_host);
  }
  Impl::normalizer_apply<execution_space, MemorySpace, Scalar>(space, x.data(), blocks.P, blocks.B, mean, stddev,
                                                               m_eps, forward);
}

template <class MemorySpace, class Scalar>
void Normalizer::encode(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& x) const {
  ProfilingRegion region("kono::Normalizer::encode");
  apply("encode", space, x, true);
}

template <class MemorySpace, class Scalar>
void Normalizer::decode(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& x) const {
  ProfilingRegion region("kono::Normalizer::decode");
  apply("decode", space, x, false);
}

void Normalizer::save(Hdf5Writer& writer, std::string const& group) const {
  ProfilingRegion region("kono::Normalizer::save");
  Impl::collective_check(writer.comm(), [&] {
    KONO_USER_REQUIRE(m_fitted, wrong_state,
                      "kono::Normalizer::save: nothing to save to \"" << group << "\" of \"" << writer.path()
                                                                      << "\"; call fit() first");
  });
  writer.write_array(join(group, "mean"), m_stats_shape, mean(), Hdf5ElementType::float64);
  writer.write_array(join(group, "std"), m_stats_shape, stddev(), Hdf5ElementType::float64);
  writer.write_attribute(group, "kind", to_string(m_kind));
  writer.write_attribute(group, "eps", m_eps);
  writer.write_attribute(group, "count", static_cast<std::int64_t>(m_count));
  writer.write_attribute(group, "formula", "encode: (x - mean) / (std + eps); std unbiased");
}

Normalizer Normalizer::load(Hdf5File const& file, std::string const& group) {
  ProfilingRegion region("kono::Normalizer::load");
  char const* const fq = "kono::Normalizer::load";
  KONO_USER_REQUIRE(file.has_group(group), invalid_argument,
                    fq << ": group \"" << group << "\" missing in \"" << file.path()
                       << "\" (datasets found: " << Impl::dataset_list(file) << ")");
  for (char const* attr : {"kind", "eps", "count"})
    KONO_USER_REQUIRE(file.has_attribute(group, attr), invalid_argument,
                      fq << ": group \"" << group << "\" in \"" << file.path() << "\" has no attribute \"" << attr
                         << "\"; was it written by kono::Normalizer::save?");
  std::string const mean_name = join(group, "mean");
  std::string const std_name = join(group, "std");
  for (std::string const& ds : {mean_name, std_name})
    KONO_USER_REQUIRE(file.has_dataset(ds), invalid_argument,
                      fq << ": dataset \"" << ds << "\" missing in \"" << file.path()
                         << "\" (found: " << Impl::dataset_list(file) << ")");
  std::string const kind_name = file.read_attribute<std::string>(group, "kind");
  NormalizerKind kind = NormalizerKind::scalar;
  if (kind_name == "scalar")
    kind = NormalizerKind::scalar;
  else if (kind_name == "per_channel")
    kind = NormalizerKind::per_channel;
  else if (kind_name == "pointwise")
    kind = NormalizerKind::pointwise;
  else
    KONO_THROW(invalid_argument, fq << ": group \"" << group << "\" in \"" << file.path() << "\" has kind \""
                                    << kind_name << "\"; known: scalar, per_channel, pointwise");
  Shape const mean_shape = file.dataset_info(mean_name).shape;
  Shape const std_shape = file.dataset_info(std_name).shape;
  KONO_USER_REQUIRE(mean_shape == std_shape, size_mismatch,
                    fq << ": in \"" << file.path() << "\", \"" << mean_name << "\" has shape " << mean_shape.to_string()
                       << " but \"" << std_name << "\" has " << std_shape.to_string());
  try {
    return Normalizer(kind, mean_shape, file.read_array<double>(mean_name), file.read_array<double>(std_name),
                      file.read_attribute<std::int64_t>(group, "count"), file.read_attribute<double>(group, "eps"));
  } catch (Error const& e) {
    // Say which file and group the bad statistics came from.
    throw Error(e.code(), std::string(e.what()) + " (loading group \"" + group + "\" of \"" + file.path() + "\")");
  }
}

#define KONO_INSTANTIATE_NORMALIZER(SPACE, SCALAR)                                                                  \
  template void Normalizer::fit<SPACE, SCALAR>(Tensor<SPACE, SCALAR> const&, MPI_Comm);                             \
  template void Normalizer::encode<SPACE, SCALAR>(SPACE::execution_space const&, Tensor<SPACE, SCALAR> const&) const; \
  template void Normalizer::decode<SPACE, SCALAR>(SPACE::execution_space const&, Tensor<SPACE, SCALAR> const&) const;

KONO_INSTANTIATE_NORMALIZER(DefaultMemorySpace, float)
KONO_INSTANTIATE_NORMALIZER(DefaultMemorySpace, double)
// Host backends make HostSpace the default memory space; instantiating it again would redefine.
#if defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_SERIAL) || defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_OPENMP) || \
    defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_THREADS) || defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_HPX)
static_assert(std::is_same<HostSpace, DefaultMemorySpace>::value, "kono: host backend, HostSpace expected");
#else
KONO_INSTANTIATE_NORMALIZER(HostSpace, float)
KONO_INSTANTIATE_NORMALIZER(HostSpace, double)
#endif

}  // namespace kono
