#include <algorithm>
#include <cmath>

#include <kono/operators/stencil/hippo.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>
#include <kono/solvers/mac_coarsening.hpp>

#include "stencil_data.hpp"

namespace kono::app {
namespace {
using Host = Kokkos::HostSpace;
using HostTensor = Tensor<Host, Real>;

std::string missing_hint(Hdf5SampleStore const& store) {
  std::string s;
  for (auto const& d : store.file().list_datasets()) s += (s.empty() ? "" : ", ") + d;
  return s;
}

// HiPPO features of every trajectory's history up to each snapshot of `starts` (increasing):
// out[s][i] is [2M, n, n] of sample i. Runs the recurrence on the model's memory space.
std::vector<std::vector<float>> hippo_features(Trajectories const& d, std::vector<index_t> const& starts, int M,
                                               double theta) {
  std::vector<std::vector<float>> out;
  if (M == 0 || starts.empty()) return out;
  index_t const N = d.samples, n = d.n, cell = n * n;
  HippoLegT<Space, Real> hippo(M, theta, d.dt);
  RealTensor c("kono::rollout::hippo", Shape({N, 2 * M, n, n}));
  RealTensor c_next(Kokkos::WithoutInitializing, "kono::rollout::hippo_next", Shape({N, 2 * M, n, n}));
  HostTensor f_host("kono::rollout::history", Shape({N, 2, n, n}));
  RealTensor f(Kokkos::WithoutInitializing, "kono::rollout::history", Shape({N, 2, n, n}));
  std::size_t next = 0;
  for (index_t k = 0; k <= starts.back(); ++k) {
    for (index_t i = 0; i < N; ++i) std::copy_n(d.state(i, k), 2 * cell, f_host.data().data() + i * 2 * cell);
    f.copy_from(f_host);
    hippo.update(Space::execution_space{}, c, f, c_next);
    std::swap(c, c_next);
    if (k == starts[next]) {
      auto h = c.to_host();
      out.emplace_back(h.data().data(), h.data().data() + h.size());
      if (++next == starts.size()) break;
    }
  }
  return out;
}

// x [2 + 2 + 2M, n, n] of sample i at snapshot k (hippo: [2M, n, n] or null) into dst.
void fill_input(Trajectories const& d, index_t i, index_t k, float const* hippo, int M, float* dst) {
  index_t const cell = d.n * d.n;
  std::copy_n(d.state(i, k), 2 * cell, dst);
  std::fill_n(dst + 2 * cell, cell, float(d.nu[i]));
  std::fill_n(dst + 3 * cell, cell, float(d.amplitude[i]));
  if (M > 0) std::copy_n(hippo, 2 * M * cell, dst + 4 * cell);
}
}  // namespace

Trajectories read_trajectories(Hdf5SampleStore const& store, std::string const& group, index_t n, index_t max_samples,
                               std::string const& option) {
  Trajectories d;
  std::string const g = group.empty() || group == "/" ? std::string() : (group.back() == '/' ? group.substr(0, group.size() - 1) : group);
  std::string const vel = g + "/coarse_" + std::to_string(n) + "/velocity";
  d.source = store.path() + ":" + vel;
  for (std::string const& ds : {vel, g + "/params/nu", g + "/params/forcing_amplitude", g + "/coords/t"})
    KONO_USER_REQUIRE(store.file().has_dataset(ds), invalid_argument,
                      store.path() << " has no dataset \"" << ds << "\" (" << option
                                   << "; stencil models and classical@N run on kono generate navier-stokes "
                                      "--ns.forcing=kolmogorov data whose --ns.coarse lists "
                                   << n << "); it has: " << missing_hint(store));
  index_t const total = store.num_samples(vel);
  d.samples = max_samples > 0 ? std::min(max_samples, total) : total;
  auto v = store.read<Host, Real>(vel, 0, d.samples, SampleLayout{true});
  KONO_USER_REQUIRE(v.rank() == 5 && v.extent(2) == 2 && v.extent(3) == n && v.extent(4) == n, size_mismatch,
                    d.source << " has shape " << v.shape().to_string() << ", expected [N, T, 2, " << n << ", " << n << "]");
  d.times = v.extent(1);
  d.n = n;
  d.velocity.assign(v.data().data(), v.data().data() + v.size());
  auto nu = store.file().read_array<double>(g + "/params/nu");
  auto amp = store.file().read_array<double>(g + "/params/forcing_amplitude");
  d.t = store.file().read_array<double>(g + "/coords/t");
  KONO_USER_REQUIRE(index_t(nu.size()) >= d.samples && index_t(amp.size()) >= d.samples && index_t(d.t.size()) == d.times,
                    size_mismatch,
                    store.path() << ": " << g << "/params/nu, forcing_amplitude and coords/t have " << nu.size() << ", "
                                 << amp.size() << " and " << d.t.size() << " entries for " << d.samples
                                 << " samples of " << d.times << " snapshots");
  d.nu.assign(nu.begin(), nu.begin() + d.samples);
  d.amplitude.assign(amp.begin(), amp.begin() + d.samples);
  KONO_USER_REQUIRE(d.times >= 2, invalid_argument, d.source << " has " << d.times << " snapshot(s); a rollout needs 2 or more");
  d.dt = d.t[1] - d.t[0];
  for (index_t k = 1; k < d.times; ++k)
    KONO_USER_REQUIRE(std::abs((d.t[k] - d.t[k - 1]) - d.dt) <= 1e-6 * std::max(1.0, std::abs(d.dt)), invalid_argument,
                      store.path() << ": " << g << "/coords/t is not uniformly spaced (" << d.t[k - 1] << ", " << d.t[k]
                                   << " after a step of " << d.dt << ")");
  for (index_t i = 0; i < d.samples; ++i)
    KONO_USER_REQUIRE(d.nu[i] > 0 && std::isfinite(d.nu[i]) && std::isfinite(d.amplitude[i]), invalid_argument,
                      store.path() << ": sample " << i << " has nu = " << d.nu[i] << ", forcing amplitude "
                                   << d.amplitude[i] << " (nu must be finite and > 0)");
  return d;
}

index_t history_start(Trajectories const& data, double hippo_theta) {
  return std::min<index_t>(data.times - 1, index_t(std::ceil(hippo_theta / data.dt - 1e-9)));
}

RealTensor initial_inputs(Trajectories const& d, index_t start, int M, double theta) {
  KONO_USER_REQUIRE(start >= 0 && start < d.times, invalid_argument,
                    d.source << ": start snapshot " << start << " is outside [0, " << d.times << ")");
  auto const hip = hippo_features(d, {start}, M, theta);
  index_t const cell = d.n * d.n, C = 4 + 2 * M;
  HostTensor x("kono::rollout::x", Shape({d.samples, C, d.n, d.n}));
  for (index_t i = 0; i < d.samples; ++i)
    fill_input(d, i, start, M ? hip[0].data() + i * 2 * M * cell : nullptr, M, x.data().data() + i * C * cell);
  return x.clone_to<Space>("kono::rollout::x");
}

Windows make_windows(Trajectories const& d, int K, index_t first, index_t stride, int M, double theta) {
  KONO_USER_REQUIRE(K >= 1 && stride >= 1 && first >= 0, invalid_argument,
                    "rollout windows need unroll >= 1, stride >= 1 and a start >= 0");
  std::vector<index_t> starts;
  for (index_t s = first; s + K < d.times; s += stride) starts.push_back(s);
  KONO_USER_REQUIRE(!starts.empty(), invalid_argument,
                    d.source << ": " << d.times << " snapshots hold no window of " << K << " steps after snapshot " << first);
  auto const hip = hippo_features(d, starts, M, theta);
  index_t const cell = d.n * d.n, C = 4 + 2 * M, W = index_t(starts.size()) * d.samples;
  HostTensor x("kono::train::windows_x", Shape({W, C, d.n, d.n}));
  HostTensor y("kono::train::windows_y", Shape({W, 2 * K, d.n, d.n}));
  index_t w = 0;
  for (std::size_t si = 0; si < starts.size(); ++si)
    for (index_t i = 0; i < d.samples; ++i, ++w) {
      fill_input(d, i, starts[si], M ? hip[si].data() + i * 2 * M * cell : nullptr, M, x.data().data() + w * C * cell);
      for (int k = 0; k < K; ++k)
        std::copy_n(d.state(i, starts[si] + 1 + k), 2 * cell, y.data().data() + (w * 2 * K + 2 * k) * cell);
    }
  return {x.clone_to<Space>("kono::train::windows_x"), y.clone_to<Space>("kono::train::windows_y")};
}

std::vector<float> restrict_velocity(std::vector<float> const& fine, index_t B, index_t N, index_t r) {
  index_t const n = N / r;
  std::vector<float> out(std::size_t(B * 2 * n * n));
  for (index_t b = 0; b < B; ++b)
    for (index_t j = 0; j < n; ++j)
      for (index_t i = 0; i < n; ++i) {
        double su = 0, sv = 0;
        // u on the coarse x-face (i r, y in [j r, (j+1) r)) is the mean of the r fine x-faces on it.
        for (index_t a = 0; a < r; ++a) {
          su += fine[std::size_t(((b * 2 + 0) * N + j * r + a) * N + i * r)];
          sv += fine[std::size_t(((b * 2 + 1) * N + j * r) * N + i * r + a)];
        }
        out[std::size_t(((b * 2 + 0) * n + j) * n + i)] = float(su / r);
        out[std::size_t(((b * 2 + 1) * n + j) * n + i)] = float(sv / r);
      }
  return out;
}

std::vector<double> corner_vorticity(float const* u, index_t n, double length) {
  std::vector<double> const velocity(u, u + 2 * n * n);
  std::vector<double> w(std::size_t(n * n));
  mac_corner_vorticity(n, length, velocity.data(), w.data());  // the generator's definition, so data and rollouts agree
  return w;
}

double correlation(std::vector<double> const& a, std::vector<double> const& b) {
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= double(a.size());
  mb /= double(b.size());
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace kono::app
