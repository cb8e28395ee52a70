// Pressure projection on the periodic MAC grid: divergence, exact FFT Poisson solve of the
// 5-point Laplacian, gradient subtraction. Kernels are free functions (nvcc rejects extended
// lambdas in private members).
#include <kono/core/error.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/operators/layer.hpp>
#include <kono/operators/stencil/pressure_projection.hpp>

#include "cell_loop.hpp"

#include <cmath>
#include <vector>

#include "../layers/spectral_fft.hpp"

namespace kono {
namespace stencil {
namespace {

template <class Exec, class VU, class VD>
void divergence_kernel(Exec const& space, VU const& u, VD const& div, double inv_h_d) {
  using S = typename VD::non_const_value_type;
  int const B = static_cast<int>(u.extent(0)), n = static_cast<int>(u.extent(2));
  S const inv_h = static_cast<S>(inv_h_d);
  Impl::for_each_cell(
      "kono::stencil::PressureProjection::divergence", space, B, n, n, KOKKOS_LAMBDA(int b, int j, int i) {
        int const ip = i + 1 == n ? 0 : i + 1, jp = j + 1 == n ? 0 : j + 1;
        div(b, j, i) = ((u(b, 0, j, ip) - u(b, 0, j, i)) + (u(b, 1, jp, i) - u(b, 1, j, i))) * inv_h;
      });
}

// spec[b, ky, kx] *= factor[ky, kx] = 1 / (lambda(kx, ky) n^2) (0 for the zero mode); the n^2
// undoes FFTW's unnormalised round trip.
template <class Exec, class VS, class VF>
void poisson_solve_kernel(Exec const& space, VS const& spec, VF const& factor, int batch, int n) {
  int const half = n / 2 + 1;
  Impl::for_each_cell(
      "kono::stencil::PressureProjection::poisson_solve", space, batch, n, half, KOKKOS_LAMBDA(int b, int ky, int kx) {
        std::size_t const at = 2 * ((std::size_t(b) * n + ky) * half + kx);
        auto const f = factor(ky * half + kx);
        spec(at) *= f;
        spec(at + 1) *= f;
      });
}

template <class Exec, class VU, class VP, class VO>
void subtract_gradient_kernel(Exec const& space, VU const& u, VP const& p, VO const& out, double inv_h_d) {
  using S = typename VO::non_const_value_type;
  int const B = static_cast<int>(u.extent(0)), n = static_cast<int>(u.extent(2));
  S const inv_h = static_cast<S>(inv_h_d);
  Impl::for_each_cell(
      "kono::stencil::PressureProjection::subtract_gradient", space, B, n, n, KOKKOS_LAMBDA(int b, int j, int i) {
        int const im = i == 0 ? n - 1 : i - 1, jm = j == 0 ? n - 1 : j - 1;
        S const pc = p(b, j, i);
        // Each point reads only its own input value, so out may alias u.
        out(b, 0, j, i) = u(b, 0, j, i) - (pc - p(b, j, im)) * inv_h;
        out(b, 1, j, i) = u(b, 1, j, i) - (pc - p(b, jm, i)) * inv_h;
      });
}

}  // namespace

template <class MemorySpace, class Scalar>
struct PressureProjection<MemorySpace, Scalar>::Workspace {
  using Fft = ::kono::Impl::BatchedRealFft<execution_space, Scalar>;
  index_t batch = -1;
  std::unique_ptr<Fft> fft;
  Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> real;    // divergence, then pressure
  Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> spec;    // [B, n, n/2+1] (re, im)
  Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> factor;  // [n, n/2+1] inverse eigenvalues
};

template <class MemorySpace, class Scalar>
PressureProjection<MemorySpace, Scalar>::PressureProjection(int n, double domain_length) : m_n(n) {
  KONO_USER_REQUIRE(n >= 2, invalid_argument, "kono::stencil::PressureProjection: n must be >= 2, got " << n);
  KONO_USER_REQUIRE(std::isfinite(domain_length) && domain_length > 0, invalid_argument,
                    "kono::stencil::PressureProjection: domain_length must be positive, got " << domain_length);
  m_h = domain_length / n;
}

template <class MemorySpace, class Scalar>
PressureProjection<MemorySpace, Scalar>::~PressureProjection() = default;
template <class MemorySpace, class Scalar>
PressureProjection<MemorySpace, Scalar>::PressureProjection(PressureProjection&&) noexcept = default;
template <class MemorySpace, class Scalar>
PressureProjection<MemorySpace, Scalar>& PressureProjection<MemorySpace, Scalar>::operator=(
    PressureProjection&&) noexcept = default;

template <class MemorySpace, class Scalar>
typename PressureProjection<MemorySpace, Scalar>::Workspace& PressureProjection<MemorySpace, Scalar>::workspace(
    index_t batch) const {
  if (!m_work) {
    m_work = std::make_unique<Workspace>();
    // The inverse eigenvalues, once: sin() per mode and call cost more than the FFTs on the host.
    index_t const n = m_n, half = n / 2 + 1;
    Kokkos::View<Scalar*, Kokkos::LayoutRight, Kokkos::HostSpace> f("kono::stencil::PressureProjection::factor",
                                                                    n * half);
    double const pi_over_n = 3.14159265358979323846 / double(n), scale = 4.0 / (m_h * m_h);
    for (index_t ky = 0; ky < n; ++ky)
      for (index_t kx = 0; kx < half; ++kx) {
        double const sx = std::sin(pi_over_n * double(kx)), sy = std::sin(pi_over_n * double(ky));
        // Pressure is defined up to a constant: the zero mode picks mean zero.
        f(ky * half + kx) = (kx == 0 && ky == 0)
                                ? Scalar(0)
                                : static_cast<Scalar>(-1.0 / (scale * (sx * sx + sy * sy) * double(n * n)));
      }
    m_work->factor = Kokkos::create_mirror_view_and_copy(MemorySpace{}, f);
  }
  Workspace& w = *m_work;
  if (w.batch != batch) {
    index_t const n = m_n, half = n / 2 + 1;
    w.real = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>("kono::stencil::PressureProjection::real",
                                                                     batch * n * n);
    w.spec = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>("kono::stencil::PressureProjection::spec",
                                                                     2 * batch * n * half);
    w.fft = std::make_unique<typename Workspace::Fft>(std::vector<index_t>{n, n}, batch);
    w.batch = batch;
  }
  return w;
}

namespace {
template <class Tensor>
void require_velocity(Tensor const& u, int n, char const* what) {
  KONO_USER_REQUIRE(u.rank() == 4 && u.extent(1) == 2 && u.extent(2) == n && u.extent(3) == n, size_mismatch,
                    "kono::stencil::PressureProjection: " << what << " \"" << u.label() << "\" has shape "
                                                          << u.shape().to_string() << ", expected [B, 2, " << n << ", "
                                                          << n << "]");
}
}  // namespace

template <class MemorySpace, class Scalar>
void PressureProjection<MemorySpace, Scalar>::divergence(execution_space const& space, tensor_type const& u,
                                                         tensor_type const& div) const {
  require_velocity(u, m_n, "velocity");
  KONO_USER_REQUIRE(div.shape() == u.shape().with_extent(1, 1), size_mismatch,
                    "kono::stencil::PressureProjection::divergence: output \""
                        << div.label() << "\" has shape " << div.shape().to_string() << ", expected [B, 1, n, n]");
  index_t const B = u.extent(0);
  UnmanagedView<Scalar, 3, MemorySpace> d(div.data().data(), B, m_n, m_n);
  divergence_kernel(space, u.template view<4>(), d, 1.0 / m_h);
}

template <class MemorySpace, class Scalar>
void PressureProjection<MemorySpace, Scalar>::apply(execution_space const& space, tensor_type const& u,
                                                    tensor_type const& out) const {
  ProfilingRegion region("kono::stencil::PressureProjection::apply");
  require_velocity(u, m_n, "input");
  KONO_USER_REQUIRE(out.shape() == u.shape(), size_mismatch,
                    "kono::stencil::PressureProjection::apply: output \"" << out.label() << "\" has shape "
                                                                          << out.shape().to_string() << ", input "
                                                                          << u.shape().to_string());
  index_t const B = u.extent(0);
  if (B == 0) return;
  Workspace& w = workspace(B);
  UnmanagedView<Scalar, 3, MemorySpace> r(w.real.data(), B, m_n, m_n);
  divergence_kernel(space, u.template view<4>(), r, 1.0 / m_h);
  w.fft->forward(space, w.real.data(), w.spec.data());
  poisson_solve_kernel(space, w.spec, w.factor, static_cast<int>(B), m_n);
  w.fft->inverse(space, w.spec.data(), w.real.data());
  subtract_gradient_kernel(space, u.template view<4>(), r, out.template view<4>(), 1.0 / m_h);
}

template <class MemorySpace, class Scalar>
void PressureProjection<MemorySpace, Scalar>::pressure(execution_space const& space, tensor_type const& div,
                                                       tensor_type const& p) const {
  KONO_USER_REQUIRE(div.rank() == 4 && div.extent(1) == 1 && div.extent(2) == m_n && div.extent(3) == m_n,
                    size_mismatch,
                    "kono::stencil::PressureProjection::pressure: divergence \""
                        << div.label() << "\" has shape " << div.shape().to_string() << ", expected [B, 1, " << m_n
                        << ", " << m_n << "]");
  KONO_USER_REQUIRE(p.shape() == div.shape(), size_mismatch,
                    "kono::stencil::PressureProjection::pressure: output \"" << p.label() << "\" has shape "
                                                                             << p.shape().to_string() << ", expected "
                                                                             << div.shape().to_string());
  index_t const B = div.extent(0);
  if (B == 0) return;
  Workspace& w = workspace(B);
  w.fft->forward(space, div.data().data(), w.spec.data());
  poisson_solve_kernel(space, w.spec, w.factor, static_cast<int>(B), m_n);
  w.fft->inverse(space, w.spec.data(), p.data().data());
}

KONO_INSTANTIATE_FOR_SCALARS(PressureProjection)

}  // namespace stencil
}  // namespace kono
