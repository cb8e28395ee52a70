#pragma once
/// RAII profiling region (Kokkos 3.4 lacks Kokkos::Profiling::ScopedRegion).
#include <string>

#include <kono/core/kokkos_compat.hpp>

namespace kono {
/// Opens a Kokkos Tools region named e.g. "kono::SpectralConv::forward" for its lifetime.
class ProfilingRegion {
 public:
  explicit ProfilingRegion(std::string const& name) { Kokkos::Profiling::pushRegion(name); }
  ~ProfilingRegion() { Kokkos::Profiling::popRegion(); }
  ProfilingRegion(ProfilingRegion const&) = delete;
  ProfilingRegion& operator=(ProfilingRegion const&) = delete;
};
}  // namespace kono
