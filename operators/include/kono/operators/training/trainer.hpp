#pragma once
/// kono::Trainer: epochs of shuffled mini-batches, data-parallel over MPI (each global batch is
/// sharded over ranks; one allreduce of the flat gradient buffer per step), evaluation every k
/// epochs, progress on rank 0, learning curve as CSV and JSON, checkpoints and exact resume.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <kono/datasets/normalizer.hpp>
#include <kono/operators/losses/loss.hpp>
#include <kono/operators/model.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <kono/operators/optimizers/optimizer.hpp>

namespace kono {

/// Options of Trainer::fit; defaults follow neuraloperator's Darcy tutorial where it has one.
struct TrainerOptions {
  int epochs = 15;
  index_t batch_size = 64;        ///< global batch, sharded over ranks
  index_t eval_batch_size = 64;   ///< per rank
  /// Samples per forward/backward pass within a rank's shard; the passes accumulate gradients
  /// into one optimiser step, so the result is the same step (up to rounding). Small passes keep
  /// the activations in cache. 0: automatic (samples_per_pass in model.hpp).
  index_t micro_batch_size = 0;
  int eval_every = 5;             ///< evaluate after epochs 0, k, 2k, ... (0-based) and after the last one
  bool shuffle = true;            ///< reshuffle each epoch (permutation from shuffle_seed and epoch)
  std::uint64_t shuffle_seed = 0;
  double clip_grad_norm = 0.0;    ///< 0: off
  std::string curve_csv;          ///< learning curve files (rank 0 writes, atomically); empty: none
  std::string curve_json;
  std::string checkpoint_path;    ///< empty: no checkpoints
  int checkpoint_every = 0;       ///< epochs between checkpoints (0: only at the end if a path is set)
  bool progress = true;           ///< one line per epoch on rank 0
  /// Epochs of the whole run the progress line counts to when fit() covers only part of it (a
  /// curriculum phase); 0: epochs.
  int progress_total_epochs = 0;
  void validate() const;          ///< throws Error{invalid_argument} naming the option
};

/// One row of the learning curve.
struct EpochRecord {
  int epoch = 0;                       ///< 0-based
  double lr = 0;
  double train_loss = 0;               ///< mean per-sample training loss over the epoch
  std::map<std::string, double> test;  ///< mean per-sample evaluation losses (empty if not evaluated)
  double seconds = 0;
  double samples_per_second = 0;
};

/// Runs training for a Model. Collective on `comm` for fit() and evaluate(); every rank holds
/// the whole data set (replicated) and works on its shard of each global batch.
template <class MemorySpace, class Scalar>
class Trainer {
 public:
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using loss_type = Loss<MemorySpace, Scalar>;
  using execution_space = typename MemorySpace::execution_space;

  /// The trainer keeps references: model, loss, optimizer and schedule must outlive it.
  Trainer(Model<MemorySpace, Scalar>& model, loss_type const& train_loss, Optimizer<MemorySpace, Scalar>& optimizer,
          LrSchedule const& schedule, MPI_Comm comm, TrainerOptions options);

  /// Adds an evaluation loss reported as `name` (e.g. "l2", "h1").
  void add_eval_loss(std::string const& name, std::unique_ptr<loss_type> loss);
  /// Normaliser of the targets: training sees encoded targets, evaluation decodes predictions
  /// and compares them with raw targets (neuraloperator's convention). Optional.
  void set_target_normalizer(Normalizer const* normalizer) { m_target_normalizer = normalizer; }
  /// Starts from epoch `epochs_done` of a checkpoint with its learning curve (used by resume).
  void set_start(int epochs_done, std::vector<EpochRecord> curve);

  /// Trains on (x, y_encoded) for options.epochs epochs, evaluating on (x_test, y_test_raw).
  /// Shapes [N, C, spatial...]; throws Error{size_mismatch} naming the mismatch. Collective.
  std::vector<EpochRecord> const& fit(tensor_type const& x, tensor_type const& y_encoded, tensor_type const& x_test,
                                      tensor_type const& y_test_raw);
  /// Multi-resolution training: one (x, y_encoded) pair per training set (e.g. the same samples
  /// on several grids). An epoch makes every batch of every set once, in the order
  /// step_schedule() gives; each optimiser step takes its batch from one set (data-parallel as
  /// above). With one set this is exactly fit(x, y_encoded, ...). The train loss and the rate
  /// are over all sets; evaluation is on (x_test, y_test_raw) only. Collective.
  std::vector<EpochRecord> const& fit(std::vector<std::pair<tensor_type, tensor_type>> const& train_sets,
                                      tensor_type const& x_test, tensor_type const& y_test_raw);
  /// Mean per-sample value of every evaluation loss over all samples of (x, y_raw). Collective.
  std::map<std::string, double> evaluate(tensor_type const& x, tensor_type const& y_raw) const;
  /// One optimisation step on the global batch `indices` (same on every rank); returns the
  /// global mean loss of the batch. Collective. Exposed for tests.
  double train_step(tensor_type const& x, tensor_type const& y, std::vector<index_t> const& indices, double lr);

  std::vector<EpochRecord> const& curve() const noexcept { return m_curve; }
  /// The permutation of [0, n) used in `epoch` (deterministic from shuffle_seed and epoch).
  std::vector<index_t> permutation(index_t n, int epoch) const;
  /// One optimiser step of an epoch: its batch is entries [first, first + count) of the
  /// permutation of training set `set`.
  struct Step {
    int set = 0;
    index_t first = 0, count = 0;
  };
  /// The steps of `epoch` for training sets of `sizes` samples: every batch of every set once.
  /// Set 0 is permuted by permutation(n, epoch), set k > 0 by set_permutation(k, n, epoch); with
  /// several sets (and shuffle on) the step order is itself shuffled by a permutation depending
  /// only on (shuffle_seed, epoch), so every rank and a resumed run follow the same schedule.
  std::vector<Step> step_schedule(std::vector<index_t> const& sizes, int epoch) const;
  /// The permutation of training set `set` in `epoch` (set 0: permutation(n, epoch)).
  std::vector<index_t> set_permutation(int set, index_t n, int epoch) const;
  /// Called after each epoch (e.g. to write a checkpoint): (epochs completed, curve).
  void set_epoch_callback(std::function<void(int, std::vector<EpochRecord> const&)> f) { m_on_epoch = std::move(f); }

 private:
  void allreduce_gradients();
  index_t micro_batch_size(Shape const& sample_batch) const;  // samples per forward/backward pass
  void write_curve() const;
  std::vector<index_t> shuffled(index_t n, std::uint64_t seed) const;

  Model<MemorySpace, Scalar>& m_model;
  loss_type const& m_loss;
  Optimizer<MemorySpace, Scalar>& m_optimizer;
  LrSchedule const& m_schedule;
  MPI_Comm m_comm;
  TrainerOptions m_options;
  std::vector<std::pair<std::string, std::unique_ptr<loss_type>>> m_eval_losses;
  Normalizer const* m_target_normalizer = nullptr;
  int m_start_epoch = 0;
  std::vector<EpochRecord> m_curve;
  std::function<void(int, std::vector<EpochRecord> const&)> m_on_epoch;
  // Batch buffers, allocated once for the largest local batch and reused by every step; one set
  // per sample shape (multi-resolution training alternates between grids).
  struct BatchBuffers {
    tensor_type x, y, pred, dpred;
  };
  std::vector<BatchBuffers> m_buffers;
  Kokkos::View<index_t*, MemorySpace> m_indices;
  typename Kokkos::View<index_t*, MemorySpace>::HostMirror m_indices_host;
};

/// Learning curve as CSV text (epoch,lr,train_loss,<test names>...,seconds,samples_per_second).
std::string learning_curve_csv(std::vector<EpochRecord> const& curve);
/// Learning curve as a JSON array string; and back (for checkpoints).
std::string learning_curve_json(std::vector<EpochRecord> const& curve);
std::vector<EpochRecord> learning_curve_from_json(std::string const& json);

}  // namespace kono
