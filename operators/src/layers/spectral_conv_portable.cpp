// Path selection (KONO_SPECTRAL_PATH) and the allocation counter of the portable SpectralConv path.
#include "spectral_conv_portable.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace kono {
namespace Impl {
namespace {
std::atomic<int> g_forced_path{-1};  // a ScopedSpectralPath's path, or -1
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

SpectralPath parse_spectral_path(char const* value) {
  if (value == nullptr || *value == '\0' || std::strcmp(value, "host") == 0) return SpectralPath::host;
  if (std::strcmp(value, "portable") == 0) return SpectralPath::portable;
  KONO_THROW(invalid_argument, "environment variable KONO_SPECTRAL_PATH=\""
                                   << value
                                   << "\" is not allowed: use \"host\" (the default: pruned FFTW + BLAS in host "
                                      "memory) or \"portable\" (Kokkos kernels + full-grid FFT, as on GPUs)");
}

SpectralPath selected_spectral_path() {
  int const forced = g_forced_path.load();
  if (forced >= 0) return static_cast<SpectralPath>(forced);
  // A throwing initialiser leaves the static uninitialised, so a bad value throws every time.
  static SpectralPath const from_environment = parse_spectral_path(std::getenv("KONO_SPECTRAL_PATH"));
  return from_environment;
}

ScopedSpectralPath::ScopedSpectralPath(SpectralPath path) : m_previous(g_forced_path.exchange(int(path))) {}
ScopedSpectralPath::~ScopedSpectralPath() { g_forced_path.store(m_previous); }

std::uint64_t portable_spectral_allocations() noexcept { return g_allocations.load(); }
void count_portable_spectral_allocation() noexcept { ++g_allocations; }

}  // namespace Impl
}  // namespace kono
