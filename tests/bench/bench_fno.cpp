// kono side of the FNO benchmark against neuraloperator (bench/fno/run.sh, issue 5 "Performance").
// Times neuraloperator's Darcy tutorial FNO (modes 8x8, hidden 24, 4 layers, lifting/projection
// ratio 2; 191,881 parameters) exactly as bench/fno/neuralop_fno.py does:
//   training: kono::Trainer, batch 64 (global, sharded over MPI ranks), neuralop's AdamW
//             (lr 1e-2, weight decay 1e-4), cosine T_max 30, relative H1 loss; seconds per epoch,
//             one warm-up epoch excluded;
//   inference: Model::predict in batches of 64, seconds per sample (samples sharded over ranks);
//   spectral: SpectralConv(24 -> 24, modes 8x8) forward and backward on [B, 24, n, n], next to
//             FFTW's r2c + c2r of the same fields (the transforms the layer calls, same planner
//             flags), timed in the same process.
// Inputs: --data darcy_16.h5 (/train/x, /train/y) at --res 16, seeded random fields otherwise.
// Output: one JSON object per line on rank 0 (bench/fno/make_table.py reads them).
//   bench_fno --res 64 --samples 256 [--epochs 3] [--micro-batch N] [--data f.h5] [--no-train] [--no-spectral]
#include <dlfcn.h>
#include <fftw3.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <kono/kono.hpp>
#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/operators/layers/spectral_conv.hpp>
#include <kono/operators/losses/relative_h1.hpp>
#include <kono/operators/model_registry.hpp>
#include <kono/operators/optimizers/adam.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <kono/operators/training/trainer.hpp>

namespace {
using Space = kono::DefaultMemorySpace;
using Exec = Space::execution_space;
using T = kono::Tensor<Space, float>;

struct Args {
  int res = 16;
  kono::index_t samples = 1000;
  kono::index_t batch = 64;
  kono::index_t micro_batch = 0;  // 0: the trainer's automatic choice
  int epochs = 3;
  int infer_repeats = 3;
  kono::index_t spectral_batch = 0;  // 0: batch
  int spectral_repeats = 10;
  std::string data;
  std::uint64_t seed = 0;
  bool train = true, spectral = true, infer = true;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string json_list(std::vector<double> const& v) {
  std::ostringstream os;
  os.precision(6);
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

T random_tensor(kono::Shape const& s, std::uint64_t seed) {
  T t(kono::WithoutInitializing_t{}, "bench_fno::random", s);
  std::mt19937_64 g(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  auto h = t.data();
  for (std::size_t i = 0; i < h.extent(0); ++i) h(i) = d(g);
  return t;
}

// Max over ranks of a local duration (ranks start together after a barrier).
double max_over_ranks(double t, MPI_Comm comm) {
  double m = t;
  MPI_Allreduce(&t, &m, 1, MPI_DOUBLE, MPI_MAX, comm);
  return m;
}

void spectral_bench(Args const& a, int rank) {
  if (rank != 0) return;  // single-process micro benchmark
  kono::index_t const b = a.spectral_batch ? a.spectral_batch : a.batch;
  int const c = 24, n = a.res;
  kono::SpectralConv<Space, float> layer(c, c, {8, 8});
  Kokkos::View<float*, Space> params("params", layer.num_parameters()), grads("grads", layer.num_parameters());
  using pv = kono::Layer<Space, float>::param_view;
  layer.bind_parameters(pv(params.data(), params.extent(0)), pv(grads.data(), grads.extent(0)));
  layer.initialize_parameters(1);
  kono::Shape const shape{b, c, n, n};
  T x = random_tensor(shape, 3), y("y", shape), dy = random_tensor(shape, 4), dx("dx", shape);
  Exec space;
  std::vector<double> fwd, bwd, fft;
  for (int r = 0; r <= a.spectral_repeats; ++r) {  // r = 0: warm-up (plans)
    double const t0 = now();
    auto ctx = layer.forward(space, x, y);
    space.fence();
    double const t1 = now();
    layer.backward(space, *ctx, dy, &dx, kono::GradientMode::overwrite);
    space.fence();
    double const t2 = now();
    if (r > 0) {
      fwd.push_back(t1 - t0);
      bwd.push_back(t2 - t1);
    }
  }
  // FFTW alone: r2c of the B*C input fields and c2r of B*C output fields, batched as the layer
  // does (plan_many, contiguous fields), FFTW_MEASURE plans made on scratch before timing.
  int const dims[2] = {n, n};
  int const half = n / 2 + 1, howmany = int(b * c);
  std::size_t const real_size = std::size_t(b) * c * n * n, cplx_size = std::size_t(b) * c * n * half;
  float* xr = fftwf_alloc_real(real_size);
  fftwf_complex* xc = fftwf_alloc_complex(cplx_size);
  fftwf_plan pf = fftwf_plan_many_dft_r2c(2, dims, howmany, xr, nullptr, 1, n * n, xc, nullptr, 1, n * half,
                                          FFTW_MEASURE);
  fftwf_plan pb = fftwf_plan_many_dft_c2r(2, dims, howmany, xc, nullptr, 1, n * half, xr, nullptr, 1, n * n,
                                          FFTW_MEASURE);
  auto xh = x.data();
  for (int r = 0; r <= a.spectral_repeats; ++r) {
    std::copy(xh.data(), xh.data() + real_size, xr);
    double const t0 = now();
    fftwf_execute(pf);
    fftwf_execute(pb);
    if (r > 0) fft.push_back(now() - t0);
  }
  fftwf_destroy_plan(pf);
  fftwf_destroy_plan(pb);
  fftwf_free(xr);
  fftwf_free(xc);
  std::cout << R"({"impl": "kono", "kind": "spectral", "res": )" << n << R"(, "batch": )" << b
            << R"(, "forward_s": )" << json_list(fwd) << R"(, "backward_s": )" << json_list(bwd)
            << R"(, "fftw_r2c_c2r_s": )" << json_list(fft) << "}" << std::endl;
}

int run(Args const& a, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  auto model = kono::create_model<Space, float>("fno",
                                                {{"modes", {8, 8}},
                                                 {"hidden_channels", 24},
                                                 {"layers", 4},
                                                 {"lifting_ratio", 2},
                                                 {"projection_ratio", 2}},
                                                a.seed);
  if (rank == 0) {
    // The count in effect (kono::Runtime picks one per rank unless OPENBLAS_NUM_THREADS is set).
    auto const get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    std::cout << R"({"impl": "kono", "kind": "info", "ranks": )" << size << R"(, "params": )"
              << model.num_parameters() << R"(, "openblas_threads": ")" << (get ? std::to_string(get()) : "?")
              << R"(", "fftw": ")" << fftwf_version << R"("})" << std::endl;
  }
  if (a.train || a.infer) {
    T x, y;
    if (a.res == 16 && !a.data.empty()) {
      kono::Hdf5SampleStore store(a.data, comm);
      x = store.read<Space, float>("/train/x", 0, a.samples);
      y = store.read<Space, float>("/train/y", 0, a.samples);
    } else {
      x = random_tensor(kono::Shape{a.samples, 1, a.res, a.res}, 2 * a.seed + 1);
      y = random_tensor(kono::Shape{a.samples, 1, a.res, a.res}, 2 * a.seed + 2);
    }
    if (a.train) {
      kono::RelativeH1Loss<Space, float> loss;
      kono::AdamOptions ao = kono::AdamOptions::neuralop_adamw();
      ao.weight_decay = 1e-4;
      kono::Adam<Space, float> opt(model.num_parameters(), ao);
      kono::CosineAnnealingLr schedule(1e-2, 30);
      kono::TrainerOptions to;
      to.epochs = 1 + a.epochs;  // epoch 0: warm-up (plans, workspaces), not reported
      to.batch_size = a.batch;
      to.micro_batch_size = a.micro_batch;
      to.progress = false;
      to.shuffle_seed = a.seed;
      kono::Trainer<Space, float> trainer(model, loss, opt, schedule, comm, to);
      MPI_Barrier(comm);
      auto const& curve = trainer.fit(x, y, T(), T());
      std::vector<double> ep;
      for (std::size_t e = 1; e < curve.size(); ++e) ep.push_back(max_over_ranks(curve[e].seconds, comm));
      if (rank == 0)
        std::cout << R"({"impl": "kono", "kind": "train", "ranks": )" << size << R"(, "res": )" << a.res
                  << R"(, "samples": )" << a.samples << R"(, "batch": )" << a.batch << R"(, "epoch_s": )"
                  << json_list(ep) << R"(, "final_loss": )" << curve.back().train_loss << "}" << std::endl;
    }
    if (a.infer) {
      kono::SampleShard const shard = kono::shard_samples(a.samples, rank, size);
      Exec space;
      std::vector<double> per;
      for (int r = 0; r <= a.infer_repeats; ++r) {
        MPI_Barrier(comm);
        double const t0 = now();
        for (kono::index_t b = 0; b < shard.count; b += a.batch) {
          kono::index_t const cnt = std::min(a.batch, shard.count - b);
          model.predict(space, x.slice_batch(shard.first + b, cnt));
        }
        space.fence();
        double const dt = max_over_ranks(now() - t0, comm);
        if (r > 0) per.push_back(dt / double(a.samples));
      }
      if (rank == 0)
        std::cout << R"({"impl": "kono", "kind": "infer", "ranks": )" << size << R"(, "res": )" << a.res
                  << R"(, "samples": )" << a.samples << R"(, "batch": )" << a.batch << R"(, "per_sample_s": )"
                  << json_list(per) << "}" << std::endl;
    }
  }
  if (a.spectral) spectral_bench(a, rank);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string const k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench_fno: " << k << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--res") a.res = std::stoi(next());
    else if (k == "--samples") a.samples = std::stoll(next());
    else if (k == "--batch") a.batch = std::stoll(next());
    else if (k == "--micro-batch") a.micro_batch = std::stoll(next());
    else if (k == "--epochs") a.epochs = std::stoi(next());
    else if (k == "--infer-repeats") a.infer_repeats = std::stoi(next());
    else if (k == "--spectral-batch") a.spectral_batch = std::stoll(next());
    else if (k == "--spectral-repeats") a.spectral_repeats = std::stoi(next());
    else if (k == "--data") a.data = next();
    else if (k == "--seed") a.seed = std::stoull(next());
    else if (k == "--no-train") a.train = false;
    else if (k == "--no-infer") a.infer = false;
    else if (k == "--no-spectral") a.spectral = false;
    else {
      std::cerr << "bench_fno: unknown argument " << k
                << " (--res --samples --batch --micro-batch --epochs --infer-repeats --spectral-batch --spectral-repeats --data "
                   "--seed --no-train --no-infer --no-spectral)\n";
      return 2;
    }
  }
  try {
    return run(a, runtime.comm());
  } catch (std::exception const& e) {
    std::cerr << "bench_fno: " << e.what() << "\n";
    MPI_Abort(runtime.comm(), 1);
  }
  return 1;
}
