#pragma once
/// Gradient clipping by global norm over a model's one flat gradient buffer (PyTorch's
/// torch.nn.utils.clip_grad_norm_ with norm_type 2).
#include <kono/core/kokkos_compat.hpp>

namespace kono {

/// Euclidean norm of `values`, summed in double. Blocks until done. Not collective (local values only).
/// Instantiated for DefaultExecutionSpace x {float, double}.
template <class ExecutionSpace, class Scalar>
double global_norm(ExecutionSpace const& space,
                   Kokkos::View<Scalar*, Kokkos::LayoutRight, typename ExecutionSpace::memory_space> const& values);

/// Scales `grads` by max_norm / (norm + 1e-6) when that is below 1 (so even norm == max_norm shrinks
/// slightly, as in PyTorch) and returns the pre-clip norm. A non-finite norm leaves grads unchanged
/// (PyTorch would fill them with NaN) so the caller can skip the step. Not collective: call it on
/// gradients already reduced over ranks. Throws Error{invalid_argument} unless max_norm > 0.
template <class ExecutionSpace, class Scalar>
double clip_grad_norm(ExecutionSpace const& space,
                      Kokkos::View<Scalar*, Kokkos::LayoutRight, typename ExecutionSpace::memory_space> const& grads,
                      double max_norm);

}  // namespace kono
