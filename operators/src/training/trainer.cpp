#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <kono/core/mpi_check.hpp>
#include <kono/datasets/sample_shard.hpp>
#include <kono/datasets/text_file.hpp>
#include <kono/operators/initialization.hpp>
#include <kono/operators/optimizers/gradient_clipping.hpp>
#include <kono/operators/training/trainer.hpp>

namespace kono {
namespace {
template <class Scalar>
MPI_Datatype mpi_type() {
  return std::is_same<Scalar, float>::value ? MPI_FLOAT : MPI_DOUBLE;
}

// dst[k] = src[indices[k]] for whole samples.
template <class Exec, class Tensor, class IndexView>
void gather_samples(Exec const& space, Tensor const& src, IndexView const& indices, index_t count, Tensor const& dst) {
  index_t const stride = src.extent(0) == 0 ? 0 : src.size() / src.extent(0);
  auto s = src.data();
  auto d = dst.data();
  Kokkos::parallel_for(
      "kono::Trainer::gather", Kokkos::RangePolicy<Exec>(space, 0, count * stride), KOKKOS_LAMBDA(index_t k) {
        d(k) = s(indices(k / stride) * stride + k % stride);
      });
}

std::string format_seconds(double s) {
  char buf[32];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}
}  // namespace

void TrainerOptions::validate() const {
  KONO_USER_REQUIRE(epochs >= 1, invalid_argument, "--train.epochs=" << epochs << " must be >= 1");
  KONO_USER_REQUIRE(batch_size >= 1, invalid_argument, "--train.batch_size=" << batch_size << " must be >= 1");
  KONO_USER_REQUIRE(micro_batch_size >= 0, invalid_argument,
                    "--train.micro_batch_size=" << micro_batch_size << " must be >= 0 (0: automatic)");
  KONO_USER_REQUIRE(eval_batch_size >= 1, invalid_argument, "--train.eval_batch_size=" << eval_batch_size << " must be >= 1");
  KONO_USER_REQUIRE(eval_every >= 1, invalid_argument, "--train.eval_every=" << eval_every << " must be >= 1");
  KONO_USER_REQUIRE(clip_grad_norm >= 0, invalid_argument, "--train.clip_grad_norm=" << clip_grad_norm << " must be >= 0");
  KONO_USER_REQUIRE(checkpoint_every >= 0, invalid_argument,
                    "--train.checkpoint_every=" << checkpoint_every << " must be >= 0");
  KONO_USER_REQUIRE(progress_total_epochs >= 0, invalid_argument,
                    "kono::TrainerOptions::progress_total_epochs=" << progress_total_epochs << " must be >= 0");
}

template <class MemorySpace, class Scalar>
Trainer<MemorySpace, Scalar>::Trainer(Model<MemorySpace, Scalar>& model, loss_type const& train_loss,
                                      Optimizer<MemorySpace, Scalar>& optimizer, LrSchedule const& schedule,
                                      MPI_Comm comm, TrainerOptions options)
    : m_model(model), m_loss(train_loss), m_optimizer(optimizer), m_schedule(schedule), m_comm(comm),
      m_options(std::move(options)) {
  m_options.validate();
  KONO_USER_REQUIRE(optimizer.num_parameters() == model.num_parameters(), size_mismatch,
                    "kono::Trainer: optimizer holds state for " << optimizer.num_parameters() << " parameters, model \""
                                                                << model.model_type() << "\" has "
                                                                << model.num_parameters());
}

template <class MemorySpace, class Scalar>
void Trainer<MemorySpace, Scalar>::add_eval_loss(std::string const& name, std::unique_ptr<loss_type> loss) {
  KONO_USER_REQUIRE(loss != nullptr, invalid_argument, "kono::Trainer::add_eval_loss: loss \"" << name << "\" is null");
  m_eval_losses.emplace_back(name, std::move(loss));
}

template <class MemorySpace, class Scalar>
void Trainer<MemorySpace, Scalar>::set_start(int epochs_done, std::vector<EpochRecord> curve) {
  KONO_USER_REQUIRE(epochs_done >= 0, invalid_argument, "kono::Trainer::set_start: epochs_done=" << epochs_done);
  m_start_epoch = epochs_done;
  m_curve = std::move(curve);
}

template <class MemorySpace, class Scalar>
std::vector<index_t> Trainer<MemorySpace, Scalar>::shuffled(index_t n, std::uint64_t seed) const {
  std::vector<index_t> p(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) p[std::size_t(i)] = i;
  if (!m_options.shuffle) return p;
  // Counter-based Fisher-Yates: the permutation depends only on the seed, so every rank
  // computes the same one and a resumed run reproduces it without saved RNG state.
  for (index_t i = n - 1; i > 0; --i) {
    index_t const j = index_t(splitmix64(seed ^ splitmix64(std::uint64_t(i))) % std::uint64_t(i + 1));
    std::swap(p[std::size_t(i)], p[std::size_t(j)]);
  }
  return p;
}

template <class MemorySpace, class Scalar>
std::vector<index_t> Trainer<MemorySpace, Scalar>::permutation(index_t n, int epoch) const {
  return shuffled(n, child_seed(m_options.shuffle_seed, std::uint64_t(epoch)));
}

namespace {
// Streams of the multi-resolution schedule, apart from the epoch permutations' child seeds.
constexpr std::uint64_t set_stream = 0x5e7'0000'0000ull, step_stream = 0x57e9'0000'0000ull;
}  // namespace

template <class MemorySpace, class Scalar>
std::vector<index_t> Trainer<MemorySpace, Scalar>::set_permutation(int set, index_t n, int epoch) const {
  if (set == 0) return permutation(n, epoch);
  std::uint64_t const epoch_seed = child_seed(m_options.shuffle_seed, std::uint64_t(epoch));
  return shuffled(n, child_seed(epoch_seed, set_stream + std::uint64_t(set)));
}

template <class MemorySpace, class Scalar>
std::vector<typename Trainer<MemorySpace, Scalar>::Step> Trainer<MemorySpace, Scalar>::step_schedule(
    std::vector<index_t> const& sizes, int epoch) const {
  std::vector<Step> steps;
  for (std::size_t k = 0; k < sizes.size(); ++k)
    for (index_t b = 0; b < sizes[k]; b += m_options.batch_size)
      steps.push_back({int(k), b, std::min(m_options.batch_size, sizes[k] - b)});
  if (sizes.size() < 2) return steps;  // one set: today's order, batch after batch
  std::uint64_t const epoch_seed = child_seed(m_options.shuffle_seed, std::uint64_t(epoch));
  std::vector<index_t> const order = shuffled(index_t(steps.size()), child_seed(epoch_seed, step_stream));
  std::vector<Step> out(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) out[i] = steps[std::size_t(order[i])];
  return out;
}

template <class MemorySpace, class Scalar>
void Trainer<MemorySpace, Scalar>::allreduce_gradients() {
  int size = 1;
  MPI_Comm_size(m_comm, &size);
  if (size == 1) return;
  auto const& g = m_model.gradients();
  execution_space{}.fence();
  if constexpr (host_accessible<MemorySpace>) {
    KONO_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, g.data(), int(g.extent(0)), mpi_type<Scalar>(), MPI_SUM, m_comm));
  } else {
    // MPI is not assumed to be GPU-aware: stage through the host.
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g);
    KONO_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, h.data(), int(h.extent(0)), mpi_type<Scalar>(), MPI_SUM, m_comm));
    Kokkos::deep_copy(g, h);
  }
}

template <class MemorySpace, class Scalar>
index_t Trainer<MemorySpace, Scalar>::micro_batch_size(Shape const& x) const {
  return m_options.micro_batch_size > 0 ? m_options.micro_batch_size : samples_per_pass(x);
}

template <class MemorySpace, class Scalar>
double Trainer<MemorySpace, Scalar>::train_step(tensor_type const& x, tensor_type const& y,
                                                std::vector<index_t> const& indices, double lr) {
  execution_space const space{};
  int rank = 0, size = 1;
  MPI_Comm_rank(m_comm, &rank);
  MPI_Comm_size(m_comm, &size);
  index_t const global = index_t(indices.size());
  SampleShard const shard = shard_samples(global, rank, size);
  index_t const count = shard.count;
  // (Re)allocate the batch buffers only when a new sample shape comes or the capacity grows;
  // one set per sample shape, so alternating grids (multi-resolution training) reuse them.
  Shape const xs = x.shape(), ys = y.shape();
  index_t const capacity = std::max<index_t>(count, (m_options.batch_size + size - 1) / size);
  auto buffers = std::find_if(m_buffers.begin(), m_buffers.end(), [&](BatchBuffers const& b) {
    return b.x.shape().tail(1) == xs.tail(1) && b.y.shape().tail(1) == ys.tail(1);
  });
  if (buffers == m_buffers.end() || buffers->x.extent(0) < count) {
    BatchBuffers b;
    b.x = tensor_type(WithoutInitializing_t{}, "kono::Trainer::x_batch", xs.with_extent(0, capacity));
    b.y = tensor_type(WithoutInitializing_t{}, "kono::Trainer::y_batch", ys.with_extent(0, capacity));
    b.pred = tensor_type(WithoutInitializing_t{}, "kono::Trainer::prediction",
                         m_model.output_shape(xs.with_extent(0, capacity)));
    b.dpred = tensor_type(WithoutInitializing_t{}, "kono::Trainer::prediction_gradient", b.pred.shape());
    if (buffers == m_buffers.end()) buffers = m_buffers.insert(m_buffers.end(), std::move(b));
    else *buffers = std::move(b);
  }
  if (m_indices.extent(0) < std::size_t(capacity)) {
    m_indices = Kokkos::View<index_t*, MemorySpace>("kono::Trainer::indices", std::size_t(capacity));
    m_indices_host = Kokkos::create_mirror_view(m_indices);
  }
  double local_loss = 0;
  if (count > 0) {
    for (index_t k = 0; k < count; ++k) m_indices_host(std::size_t(k)) = indices[std::size_t(shard.first + k)];
    Kokkos::deep_copy(m_indices, m_indices_host);
    tensor_type const xb = buffers->x.slice_batch(0, count), yb = buffers->y.slice_batch(0, count);
    tensor_type const pred = buffers->pred.slice_batch(0, count), dpred = buffers->dpred.slice_batch(0, count);
    gather_samples(space, x, m_indices, count, xb);
    gather_samples(space, y, m_indices, count, yb);
    index_t const micro = micro_batch_size(xs);
    for (index_t b = 0; b < count; b += micro) {
      index_t const n = std::min(micro, count - b);
      tensor_type const xm = xb.slice_batch(b, n), ym = yb.slice_batch(b, n);
      tensor_type const pm = pred.slice_batch(b, n), dm = dpred.slice_batch(b, n);
      auto ctx = m_model.root().forward(space, xm, pm);
      local_loss += m_loss.sum(space, pm, ym);
      // The mean over the GLOBAL batch: each rank scales by 1/global, the allreduce sums.
      m_loss.backward(space, pm, ym, 1.0 / double(global), dm);
      m_model.root().backward(space, *ctx, dm, nullptr, b == 0 ? GradientMode::overwrite : GradientMode::accumulate);
    }
  } else {
    Kokkos::deep_copy(m_model.gradients(), Scalar(0));
  }
  allreduce_gradients();
  double global_loss = local_loss;
  KONO_MPI_CHECK(MPI_Allreduce(&local_loss, &global_loss, 1, MPI_DOUBLE, MPI_SUM, m_comm));
  if (m_options.clip_grad_norm > 0) clip_grad_norm(space, m_model.gradients(), m_options.clip_grad_norm);
  m_optimizer.step(space, m_model.parameters(), m_model.gradients(), lr);
  return global_loss / double(global);
}

template <class MemorySpace, class Scalar>
std::map<std::string, double> Trainer<MemorySpace, Scalar>::evaluate(tensor_type const& x, tensor_type const& y_raw) const {
  execution_space const space{};
  int rank = 0, size = 1;
  MPI_Comm_rank(m_comm, &rank);
  MPI_Comm_size(m_comm, &size);
  KONO_USER_REQUIRE(x.extent(0) == y_raw.extent(0), size_mismatch,
                    "kono::Trainer::evaluate: " << x.extent(0) << " inputs but " << y_raw.extent(0) << " targets");
  SampleShard const shard = shard_samples(x.extent(0), rank, size);
  std::vector<double> sums(m_eval_losses.size(), 0.0);
  for (index_t b = 0; b < shard.count; b += m_options.eval_batch_size) {
    index_t const n = std::min(m_options.eval_batch_size, shard.count - b);
    tensor_type const pred = m_model.predict(space, x.slice_batch(shard.first + b, n));
    if (m_target_normalizer) m_target_normalizer->decode(space, pred);
    tensor_type const yb = y_raw.slice_batch(shard.first + b, n);
    for (std::size_t k = 0; k < m_eval_losses.size(); ++k) sums[k] += m_eval_losses[k].second->sum(space, pred, yb);
  }
  std::vector<double> global(sums.size(), 0.0);
  if (!sums.empty())
    KONO_MPI_CHECK(MPI_Allreduce(sums.data(), global.data(), int(sums.size()), MPI_DOUBLE, MPI_SUM, m_comm));
  std::map<std::string, double> out;
  double const n = double(std::max<index_t>(1, x.extent(0)));
  for (std::size_t k = 0; k < m_eval_losses.size(); ++k) out[m_eval_losses[k].first] = global[k] / n;
  return out;
}

template <class MemorySpace, class Scalar>
std::vector<EpochRecord> const& Trainer<MemorySpace, Scalar>::fit(tensor_type const& x, tensor_type const& y_encoded,
                                                                 tensor_type const& x_test,
                                                                 tensor_type const& y_test_raw) {
  return fit(std::vector<std::pair<tensor_type, tensor_type>>{{x, y_encoded}}, x_test, y_test_raw);
}

template <class MemorySpace, class Scalar>
std::vector<EpochRecord> const& Trainer<MemorySpace, Scalar>::fit(
    std::vector<std::pair<tensor_type, tensor_type>> const& sets, tensor_type const& x_test,
    tensor_type const& y_test_raw) {
  KONO_USER_REQUIRE(!sets.empty(), invalid_argument, "kono::Trainer::fit: no training set");
  std::vector<index_t> sizes;
  index_t n = 0;  // samples per epoch, over all sets
  for (auto const& [x, y_encoded] : sets) {
    KONO_USER_REQUIRE(x.rank() >= 2 && x.extent(0) == y_encoded.extent(0) && x.extent(0) > 0, size_mismatch,
                      "kono::Trainer::fit: inputs " << x.shape().to_string() << " and targets "
                                                    << y_encoded.shape().to_string() << " must hold the same number (> 0) of samples");
    Shape const out = m_model.output_shape(x.shape());
    KONO_USER_REQUIRE(out == y_encoded.shape(), size_mismatch,
                      "kono::Trainer::fit: model \"" << m_model.model_type() << "\" maps inputs " << x.shape().to_string()
                                                     << " to " << out.to_string() << ", but the targets are "
                                                     << y_encoded.shape().to_string());
    sizes.push_back(x.extent(0));
    n += x.extent(0);
  }
  int rank = 0;
  MPI_Comm_rank(m_comm, &rank);
  double total_seconds = 0;
  int epochs_timed = 0;
  for (int epoch = m_start_epoch; epoch < m_options.epochs; ++epoch) {
    double const t0 = MPI_Wtime();
    double const lr = m_schedule.lr(epoch);
    std::vector<std::vector<index_t>> perms;
    for (std::size_t k = 0; k < sets.size(); ++k) perms.push_back(set_permutation(int(k), sizes[k], epoch));
    double loss_sum = 0;
    for (Step const& step : step_schedule(sizes, epoch)) {
      auto const& perm = perms[std::size_t(step.set)];
      std::vector<index_t> const batch(perm.begin() + step.first, perm.begin() + step.first + step.count);
      auto const& set = sets[std::size_t(step.set)];
      loss_sum += train_step(set.first, set.second, batch, lr) * double(step.count);
    }
    double const train_seconds = MPI_Wtime() - t0;
    EpochRecord rec;
    rec.epoch = epoch;
    rec.lr = lr;
    rec.train_loss = loss_sum / double(n);
    if (!m_eval_losses.empty() && x_test.is_allocated() && x_test.extent(0) > 0 &&
        (epoch % m_options.eval_every == 0 || epoch + 1 == m_options.epochs))
      rec.test = evaluate(x_test, y_test_raw);
    rec.seconds = MPI_Wtime() - t0;
    rec.samples_per_second = double(n) / std::max(train_seconds, 1e-12);
    m_curve.push_back(rec);
    total_seconds += rec.seconds;
    ++epochs_timed;
    if (rank == 0) {
      if (m_options.progress) {
        char line[256];
        int const total = m_options.progress_total_epochs > 0 ? m_options.progress_total_epochs : m_options.epochs;
        std::snprintf(line, sizeof line, "[kono train] epoch %*d/%d  lr %.3e  train_loss %.4f", int(std::to_string(total).size()),
                      epoch + 1, total, lr, rec.train_loss);
        std::ostringstream os;
        os << line;
        for (auto const& kv : rec.test) {
          std::snprintf(line, sizeof line, "  test_%s %.4f", kv.first.c_str(), kv.second);
          os << line;
        }
        std::snprintf(line, sizeof line, "  %.0f samples/s  ETA %s", rec.samples_per_second,
                      format_seconds(total_seconds / epochs_timed * (m_options.epochs - epoch - 1)).c_str());
        std::cout << os.str() << line << std::endl;
      }
      write_curve();
    }
    if (m_on_epoch) m_on_epoch(epoch + 1, m_curve);
  }
  return m_curve;
}

template <class MemorySpace, class Scalar>
void Trainer<MemorySpace, Scalar>::write_curve() const {
  if (!m_options.curve_csv.empty()) write_text_file_atomic(m_options.curve_csv, learning_curve_csv(m_curve));
  if (!m_options.curve_json.empty()) write_text_file_atomic(m_options.curve_json, learning_curve_json(m_curve));
}

std::string learning_curve_csv(std::vector<EpochRecord> const& curve) {
  std::vector<std::string> names;
  for (auto const& r : curve)
    for (auto const& kv : r.test)
      if (std::find(names.begin(), names.end(), kv.first) == names.end()) names.push_back(kv.first);
  std::ostringstream os;
  os.precision(10);
  os << "epoch,lr,train_loss";
  for (auto const& nm : names) os << ",test_" << nm;
  os << ",seconds,samples_per_second\n";
  for (auto const& r : curve) {
    os << r.epoch << "," << r.lr << "," << r.train_loss;
    for (auto const& nm : names) {
      auto const it = r.test.find(nm);
      os << ",";
      if (it != r.test.end()) os << it->second;
    }
    os << "," << r.seconds << "," << r.samples_per_second << "\n";
  }
  return os.str();
}

std::string learning_curve_json(std::vector<EpochRecord> const& curve) {
  nlohmann::json j = nlohmann::json::array();
  for (auto const& r : curve)
    j.push_back({{"epoch", r.epoch},
                 {"lr", r.lr},
                 {"train_loss", r.train_loss},
                 {"test", r.test},
                 {"seconds", r.seconds},
                 {"samples_per_second", r.samples_per_second}});
  return j.dump(1);
}

std::vector<EpochRecord> learning_curve_from_json(std::string const& text) {
  std::vector<EpochRecord> curve;
  try {
    auto const j = nlohmann::json::parse(text);
    for (auto const& e : j) {
      EpochRecord r;
      r.epoch = e.at("epoch").get<int>();
      r.lr = e.at("lr").get<double>();
      r.train_loss = e.at("train_loss").get<double>();
      r.test = e.at("test").get<std::map<std::string, double>>();
      r.seconds = e.at("seconds").get<double>();
      r.samples_per_second = e.at("samples_per_second").get<double>();
      curve.push_back(r);
    }
  } catch (nlohmann::json::exception const& e) {
    KONO_THROW(corrupt_file, "learning curve JSON is malformed: " << e.what());
  }
  return curve;
}

template class Trainer<DefaultMemorySpace, float>;
template class Trainer<DefaultMemorySpace, double>;
}  // namespace kono
