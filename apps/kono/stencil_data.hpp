#pragma once
// Trajectory data of the learned finite-volume solvers (kono generate navier-stokes
// --ns.forcing=kolmogorov): coarse MAC velocities [N, T, 2, n, n] plus per-sample nu and forcing
// amplitude, cut into rollout windows (input state + HiPPO history, K target states).
#include <string>
#include <vector>

#include <kono/datasets/hdf5_sample_store.hpp>

#include "workflow.hpp"

namespace kono::app {

/// One group's coarse trajectories on the host.
struct Trajectories {
  std::string source;               ///< "file:group/coarse_<n>" for messages
  index_t samples = 0, times = 0, n = 0;
  std::vector<float> velocity;      ///< [N, T, 2, n, n]
  std::vector<double> nu, amplitude;  ///< per sample
  std::vector<double> t;            ///< [T]
  double dt = 0;                    ///< snapshot interval (uniform)
  /// Pointer to the state [2, n, n] of sample i at time k.
  float const* state(index_t i, index_t k) const { return velocity.data() + ((i * times + k) * 2) * n * n; }
};

/// Reads <group>/coarse_<n>/velocity, <group>/params/{nu, forcing_amplitude} and <group>/coords/t
/// (first `max_samples` samples, 0: all). Errors name the file, the dataset and `option`.
Trajectories read_trajectories(Hdf5SampleStore const& store, std::string const& group, index_t n, index_t max_samples,
                               std::string const& option);

/// Model inputs (StencilInputLayout) at snapshot `start` of every trajectory: [N, 4 + 2M, n, n], with
/// the HiPPO-LegT features (order M, window theta) of each cell's history [0, start] when M > 0.
RealTensor initial_inputs(Trajectories const& data, index_t start, int hippo_order, double hippo_theta);

/// Rollout windows: for every trajectory and every start s = first, first + stride, ... with
/// s + K < T: x = inputs at s (as initial_inputs), y = the K following states [W, 2K, n, n].
struct Windows {
  RealTensor x, y;
};
Windows make_windows(Trajectories const& data, int unroll, index_t first, index_t stride, int hippo_order,
                     double hippo_theta);

/// First snapshot a rollout may start from so that TSM has a full HiPPO window behind it.
index_t history_start(Trajectories const& data, double hippo_theta);

/// MAC face averaging of velocity [B, 2, N, N] to [B, 2, N/r, N/r] (exact on nested MAC grids).
std::vector<float> restrict_velocity(std::vector<float> const& fine, index_t batch, index_t N, index_t r);
/// Vorticity at the corners of velocity [2, n, n] on the periodic square of side `length`.
std::vector<double> corner_vorticity(float const* u, index_t n, double length);
/// Pearson correlation of two fields (the vorticity correlation of Kochkov et al.).
double correlation(std::vector<double> const& a, std::vector<double> const& b);

}  // namespace kono::app
