#pragma once
/// kono::Optimizer: updates a model's one flat parameter buffer from its one flat gradient
/// buffer (house style 8). The learning rate is an argument of every step: an LrSchedule supplies it.
#include <cstddef>
#include <cstdint>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/types.hpp>
#include <kono/operators/layer_config.hpp>
#include <string>
#include <utility>
#include <vector>

namespace kono {

/// Optimizer over a flat buffer of num_parameters() values. All state is allocated by the
/// constructor; step() allocates nothing. Host-side virtual dispatch, Kokkos kernels inside.
/// Not collective: call it with gradients that are already reduced over ranks.
template <class MemorySpace, class Scalar>
class Optimizer {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::Optimizer: MemorySpace must be a Kokkos memory space");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using view_type = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>;
  /// Named state buffers, each of num_parameters() values.
  using state_type = std::vector<std::pair<std::string, view_type>>;

  virtual ~Optimizer() = default;
  Optimizer(Optimizer const&) = delete;  // copies would share state buffers
  Optimizer& operator=(Optimizer const&) = delete;

  /// Registry key: "sgd", "adam", "adamw".
  virtual std::string type_name() const = 0;
  /// Hyper-parameters; create_optimizer(config(), n) rebuilds an equal optimizer (checkpoints store it).
  virtual LayerConfig config() const = 0;

  /// One update of `params` from `grads` with learning rate `lr`, enqueued on `space` (no fence).
  /// Throws Error{size_mismatch} unless both hold num_parameters() values, Error{invalid_argument}
  /// for a negative or non-finite lr or when params and grads alias. Not collective.
  void step(execution_space const& space, view_type const& params, view_type const& grads, double lr);
  /// As above, on a default execution-space instance.
  void step(view_type const& params, view_type const& grads, double lr) { step(execution_space{}, params, grads, lr); }

  std::size_t num_parameters() const noexcept { return m_num_parameters; }
  /// Number of completed step() calls (Adam's t; SGD's "first step" test).
  std::int64_t steps_taken() const noexcept { return m_steps; }
  /// Restores the step count from a checkpoint; throws Error{invalid_argument} if negative.
  virtual void set_steps_taken(std::int64_t steps);

  /// The state buffers themselves (not copies), e.g. "exp_avg", "exp_avg_sq", "momentum_buffer";
  /// with steps_taken() they are the whole checkpointable state.
  virtual state_type state() const = 0;
  /// Deep-copies `values` into state buffer `name`; throws Error{invalid_argument} for an unknown
  /// name (with "did you mean") and Error{size_mismatch} for a wrong extent.
  void set_state(std::string const& name, view_type const& values) const;

 protected:
  explicit Optimizer(std::size_t num_parameters) : m_num_parameters(num_parameters) {}
  /// The update; arguments are validated. `step_number` is 1 for the first step (steps_taken() + 1).
  virtual void step_impl(execution_space const& space, view_type const& params, view_type const& grads, double lr,
                         std::int64_t step_number) = 0;
  /// Allocates a zeroed state buffer of num_parameters() values labelled `label`.
  view_type allocate_state(std::string const& label) const { return view_type(label, m_num_parameters); }

 private:
  std::size_t m_num_parameters;
  std::int64_t m_steps = 0;
};

}  // namespace kono
