#pragma once
/// The one place for Kokkos 3.4 vs 4.x differences; no other kono file tests KOKKOS_VERSION.
#include <Kokkos_Core.hpp>

#include <type_traits>

/// True when the Kokkos in use is at least a.b.c (deal.II's DEAL_II_KOKKOS_VERSION_GTE).
#define KONO_KOKKOS_VERSION_GTE(a, b, c) (KOKKOS_VERSION >= ((a)*10000 + (b)*100 + (c)))

namespace kono {
/// Math functions callable in kernels: Kokkos::Experimental:: in 3.x, Kokkos:: from 3.7 on.
namespace math {
#if KONO_KOKKOS_VERSION_GTE(3, 7, 0)
using Kokkos::abs;
using Kokkos::cos;
using Kokkos::erf;
using Kokkos::exp;
using Kokkos::log;
using Kokkos::pow;
using Kokkos::sin;
using Kokkos::sqrt;
using Kokkos::tanh;
#else
using Kokkos::Experimental::cos;
using Kokkos::Experimental::erf;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::fabs;
using Kokkos::Experimental::log;
using Kokkos::Experimental::pow;
using Kokkos::Experimental::sin;
using Kokkos::Experimental::sqrt;
using Kokkos::Experimental::tanh;
template <class T>
KOKKOS_INLINE_FUNCTION T abs(T x) { return x < T(0) ? -x : x; }
#endif
}  // namespace math

using DefaultExecutionSpace = Kokkos::DefaultExecutionSpace;
using DefaultMemorySpace = Kokkos::DefaultExecutionSpace::memory_space;  ///< where models run
using HostSpace = Kokkos::HostSpace;                                      ///< where I/O happens
/// Tag type of Kokkos::WithoutInitializing (its spelling moved between Kokkos versions).
using WithoutInitializing_t = std::decay_t<decltype(Kokkos::WithoutInitializing)>;

/// Whether host code may dereference pointers of MemorySpace (true for Serial/OpenMP).
template <class MemorySpace>
inline constexpr bool host_accessible = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible;

/// Name of the enabled default execution space, for logs and provenance.
inline char const* default_execution_space_name() { return Kokkos::DefaultExecutionSpace::name(); }
}  // namespace kono
