#pragma once
/// Discrete pressure projection on kono's periodic MAC grid (stencil_geometry.hpp): the
/// orthogonal projection of face velocities onto the discretely divergence-free fields.
#include <memory>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>

namespace kono {
namespace stencil {

/// P u = u - G L^+ D u with D the cell-centre divergence, G = -D^T the face gradient and
/// L = D G the 5-point Laplacian, solved exactly by FFT with the periodic eigenvalues
/// -(4/h^2)(sin^2(pi kx/n) + sin^2(pi ky/n)) (zero mode: 0). P is symmetric and idempotent,
/// so it is its own adjoint; reverse mode applies it unchanged.
/// Not thread-safe: scratch and FFT plans are made on the first call for a batch size and reused.
template <class MemorySpace, class Scalar>
class PressureProjection {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::stencil::PressureProjection: MemorySpace must be a Kokkos memory space");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using tensor_type = Tensor<MemorySpace, Scalar>;

  /// n x n cells on [0, domain_length)^2; throws Error{invalid_argument} for n < 2 or L <= 0.
  PressureProjection(int n, double domain_length);
  ~PressureProjection();
  PressureProjection(PressureProjection&&) noexcept;
  PressureProjection& operator=(PressureProjection&&) noexcept;

  /// out = P u for u, out [B, 2, n, n]; out may be u. Throws Error{size_mismatch}.
  void apply(execution_space const& space, tensor_type const& u, tensor_type const& out) const;
  /// div [B, 1, n, n] = D u at the cell centres (u [B, 2, n, n]); throws Error{size_mismatch}.
  void divergence(execution_space const& space, tensor_type const& u, tensor_type const& div) const;

  /// p [B, 1, n, n] with L p = div (mean-zero p; div's mean is ignored) for div [B, 1, n, n];
  /// p may be div. The block-decomposed solver calls it on the gathered divergence.
  void pressure(execution_space const& space, tensor_type const& div, tensor_type const& p) const;

  int n() const noexcept { return m_n; }
  double h() const noexcept { return m_h; }

 private:
  struct Workspace;  // FFT plan and scratch for one batch size (pimpl: the FFT header is internal)
  Workspace& workspace(index_t batch) const;

  int m_n = 0;
  double m_h = 0;
  mutable std::unique_ptr<Workspace> m_work;
};

}  // namespace stencil
}  // namespace kono
