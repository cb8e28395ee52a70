#pragma once
// Model-file contents for the serial and MPI model-file tests, and exact comparisons of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <kono/core/tensor.hpp>
#include <kono/datasets/model_file.hpp>

namespace kono::test {

/// Values that survive a float32 round trip exactly when `float32` (they are floats already).
inline std::vector<double> model_values(std::size_t n, double offset, bool float32) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    double const x = offset + std::sin(0.7 * static_cast<double>(i) + offset) * 3.0 + 1e-3 * static_cast<double>(i);
    v[i] = float32 ? static_cast<double>(static_cast<float>(x)) : x;
  }
  return v;
}

/// A small model with awkward corners: names out of name order, a rank-0 slice, an empty slice,
/// subnormal and signed-zero values, a 200 kB learning curve.
inline ModelFileContents sample_contents(std::string const& scalar_type, bool with_checkpoint) {
  bool const f32 = scalar_type == "float32";
  ModelFileContents c;
  c.model_type = "fno";
  c.architecture_json = R"({"layers":[{"type":"lift","out":4},{"type":"spectral","modes":[3,3]}]})";
  c.scalar_type = scalar_type;
  c.parameters.push_back({"10.proj.weight", Shape{4, 3}, model_values(12, 0.1, f32)});
  c.parameters.push_back({"2.body.weight", Shape{2, 4, 3, 2}, model_values(48, 1.3, f32)});
  c.parameters.push_back({"2.body.bias", Shape{4}, {0.0, -0.0, f32 ? static_cast<double>(1.0e-40f) : 4.9e-324, -2.5}});
  c.parameters.push_back({"0.scale", Shape{}, {0.75}});
  c.parameters.push_back({"1.unused", Shape{0}, {}});
  c.normalizers.emplace_back("target", Normalizer(NormalizerKind::scalar, Shape{1}, {0.5}, {2.0}, 1000, 1e-6));
  c.normalizers.emplace_back(
      "input", Normalizer(NormalizerKind::per_channel, Shape{2}, {0.1, -0.2}, {1.5, 0.25}, 1000, 1e-7));
  c.provenance = {{"command_line", "kono train --epochs 3 \"data/darcy 16.h5\""},
                  {"created", "2026-07-01T12:00:00Z"},
                  {"git_revision", "abc1234"},
                  {"kono_version", "0.1.0"},
                  {"note", "ünïcødé"}};
  if (with_checkpoint) {
    CheckpointState s;
    s.optimizer_json = R"({"type":"adam","lr":0.001,"betas":[0.9,0.999]})";
    s.optimizer_state.push_back({"exp_avg", Shape{64}, model_values(64, 0.01, false)});
    s.optimizer_state.push_back({"exp_avg_sq", Shape{64}, model_values(64, 5.0, false)});
    s.optimizer_steps = 1234;
    s.epoch = 7;
    s.schedule_json = R"({"type":"step","step_size":100,"gamma":0.5})";
    s.shuffle_seed = 18446744073709551557ULL;  // above 2^63: must not come back negative
    std::string curve = "[";
    for (int e = 0; e < 5000; ++e) curve += (e ? "," : "") + std::string(R"({"epoch":)") + std::to_string(e) + "}";
    s.learning_curve_json = curve + "]";
    c.checkpoint = s;
  }
  return c;
}

/// A normalizer fitted on samples holding a NaN: its statistics are NaN.
inline Normalizer nan_fitted_normalizer() {
  Tensor<HostSpace, double> h("kono::test::nan_samples", Shape{3, 1, 2});
  for (index_t i = 0; i < h.size(); ++i) h.data()(i) = static_cast<double>(i);
  h.data()(4) = std::numeric_limits<double>::quiet_NaN();
  Normalizer n(NormalizerKind::scalar);
  n.fit(h.clone_to<DefaultMemorySpace>("kono::test::nan_samples"), MPI_COMM_SELF);
  return n;
}

/// Bitwise comparison, so -0.0 vs 0.0 and subnormals count.
inline void expect_bitwise(std::vector<double> const& a, std::vector<double> const& b, std::string const& what) {
  EXPECT_EQ(a.size(), b.size()) << what;
  if (a.size() != b.size()) return;
  int shown = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0 && shown++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " != " << b[i];
}

inline void expect_arrays_equal(std::vector<NamedArray> const& a, std::vector<NamedArray> const& b,
                                std::string const& what) {
  EXPECT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << what << " #" << i;
    EXPECT_EQ(a[i].shape, b[i].shape) << what << " " << a[i].name;
    expect_bitwise(a[i].values, b[i].values, what + " " + a[i].name);
  }
}

/// `got` equals `want`, except that provenance comes back sorted by key.
inline void expect_contents_equal(ModelFileContents const& got, ModelFileContents const& want) {
  EXPECT_EQ(got.model_type, want.model_type);
  EXPECT_EQ(got.architecture_json, want.architecture_json);
  EXPECT_EQ(got.scalar_type, want.scalar_type);
  expect_arrays_equal(got.parameters, want.parameters, "parameter");
  EXPECT_EQ(got.normalizers.size(), want.normalizers.size());
  for (std::size_t i = 0; i < got.normalizers.size() && i < want.normalizers.size(); ++i) {
    auto const& [gn, g] = got.normalizers[i];
    auto const& [wn, w] = want.normalizers[i];
    EXPECT_EQ(gn, wn);
    EXPECT_EQ(g.kind(), w.kind()) << gn;
    EXPECT_EQ(g.eps(), w.eps()) << gn;
    EXPECT_EQ(g.count(), w.count()) << gn;
    EXPECT_EQ(g.stats_shape(), w.stats_shape()) << gn;
    expect_bitwise(g.mean(), w.mean(), "normalizer " + gn + " mean");
    expect_bitwise(g.stddev(), w.stddev(), "normalizer " + gn + " std");
  }
  auto sorted = want.provenance;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(got.provenance, sorted);
  EXPECT_EQ(got.checkpoint.has_value(), want.checkpoint.has_value());
  if (got.checkpoint && want.checkpoint) {
    CheckpointState const& g = *got.checkpoint;
    CheckpointState const& w = *want.checkpoint;
    EXPECT_EQ(g.optimizer_json, w.optimizer_json);
    expect_arrays_equal(g.optimizer_state, w.optimizer_state, "optimizer state");
    EXPECT_EQ(g.optimizer_steps, w.optimizer_steps);
    EXPECT_EQ(g.epoch, w.epoch);
    EXPECT_EQ(g.schedule_json, w.schedule_json);
    EXPECT_EQ(g.shuffle_seed, w.shuffle_seed);
    EXPECT_EQ(g.learning_curve_json, w.learning_curve_json);
  }
}

}  // namespace kono::test
