#pragma once
/// Deterministic parameter initialisation: each value is a hash of (seed, index), so the same
/// model appears on every rank and for any rank count, on host or device, with no RNG state.
#include <cmath>
#include <cstdint>

#include <kono/core/kokkos_compat.hpp>

namespace kono {

/// SplitMix64 finaliser: a well-mixed 64-bit hash.
KOKKOS_INLINE_FUNCTION std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Seed of child `index` of a composite seeded with `seed`.
inline std::uint64_t child_seed(std::uint64_t seed, std::uint64_t index) { return splitmix64(seed ^ splitmix64(index + 1)); }

/// Uniform number in [0, 1) from (seed, i), 53 random bits.
KOKKOS_INLINE_FUNCTION double hashed_uniform(std::uint64_t seed, std::uint64_t i) {
  return static_cast<double>(splitmix64(seed ^ splitmix64(i)) >> 11) * (1.0 / 9007199254740992.0);
}

/// v[i] = low + (high - low) * hashed_uniform(seed, i).
template <class ViewType>
void fill_uniform(ViewType const& v, double low, double high, std::uint64_t seed) {
  using value_type = typename ViewType::non_const_value_type;
  using exec = typename ViewType::execution_space;
  Kokkos::parallel_for(
      "kono::fill_uniform", Kokkos::RangePolicy<exec>(0, v.extent(0)),
      KOKKOS_LAMBDA(std::size_t i) { v(i) = static_cast<value_type>(low + (high - low) * hashed_uniform(seed, i)); });
}

/// PyTorch's default for linear and conv weights (kaiming_uniform with a = sqrt(5)):
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the same bound for biases.
template <class ViewType>
void fill_fan_in_uniform(ViewType const& v, double fan_in, std::uint64_t seed) {
  double const bound = fan_in > 0 ? 1.0 / std::sqrt(fan_in) : 0.0;
  fill_uniform(v, -bound, bound, seed);
}

}  // namespace kono
