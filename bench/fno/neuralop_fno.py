#!/usr/bin/env python3
"""neuraloperator side of the FNO benchmark (bench/fno/run.sh): times the tutorial FNO.

Same model, data, batch, optimizer and loss as kono's bench_fno:
  FNO(n_modes=(8, 8), hidden_channels=24, n_layers=4, lifting/projection ratio 2, in/out 1)
  neuralop.training.AdamW(lr 1e-2, weight_decay 1e-4), H1Loss(d=2), batch 64.
Inputs: darcy_16.h5 /train (first --samples samples) at 16^2, seeded random fields otherwise.

Prints one JSON object per line (consumed by make_table.py):
  {"impl": "neuralop", "kind": "train", "res": .., "samples": .., "epoch_s": [...]}  (warm-up excluded)
  {"impl": "neuralop", "kind": "infer", "res": .., "samples": .., "per_sample_s": [...]}
  {"impl": "neuralop", "kind": "spectral", "res": .., "batch": .., "forward_s": [...]}
Runs outside the repository, from a private venv; nothing in kono's build or CI imports it.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch


def info():
    import neuralop
    return {
        "impl": "neuralop", "kind": "info", "torch": torch.__version__, "neuralop": neuralop.__version__,
        "threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkl": torch.backends.mkl.is_available(), "mkldnn": torch.backends.mkldnn.is_available(),
    }


def build_model(seed):
    from neuralop.models import FNO
    torch.manual_seed(seed)
    return FNO(n_modes=(8, 8), in_channels=1, out_channels=1, hidden_channels=24, n_layers=4,
               lifting_channel_ratio=2, projection_channel_ratio=2)


def param_count(model):
    # complex weights count as 2 reals (what kono counts and neuralop's tutorial prints)
    return sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())


def load_data(res, samples, data, seed):
    if res == 16 and data:
        import h5py
        with h5py.File(data, "r") as f:
            x = np.asarray(f["/train/x"][:samples], dtype=np.float32)
            y = np.asarray(f["/train/y"][:samples], dtype=np.float32)
        assert x.shape == (samples, 16, 16), x.shape
    else:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((samples, res, res), dtype=np.float32)
        y = rng.standard_normal((samples, res, res), dtype=np.float32)
    return torch.from_numpy(x[:, None]).contiguous(), torch.from_numpy(y[:, None]).contiguous()


def time_training(model, x, y, batch, epochs):
    from neuralop.losses import H1Loss
    from neuralop.training import AdamW
    loss_fn = H1Loss(d=2)
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
    n = x.shape[0]
    g = torch.Generator().manual_seed(0)
    times = []
    model.train()
    for epoch in range(epochs + 1):  # epoch 0: warm-up, not reported
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        for b in range(0, n, batch):
            idx = perm[b:b + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        sched.step()
        dt = time.perf_counter() - t0
        if epoch > 0:
            times.append(dt)
    return times


def time_inference(model, x, batch, repeats):
    model.eval()
    n = x.shape[0]
    out = []
    with torch.inference_mode():
        for r in range(repeats + 1):  # r = 0: warm-up
            t0 = time.perf_counter()
            for b in range(0, n, batch):
                model(x[b:b + batch])
            dt = (time.perf_counter() - t0) / n
            if r > 0:
                out.append(dt)
    return out


def time_spectral(res, batch, repeats):
    from neuralop.layers.spectral_convolution import SpectralConv
    torch.manual_seed(0)
    conv = SpectralConv(24, 24, n_modes=(8, 8))
    x = torch.randn(batch, 24, res, res)
    out = []
    with torch.inference_mode():
        for r in range(repeats + 1):
            t0 = time.perf_counter()
            conv(x)
            if r > 0:
                out.append(time.perf_counter() - t0)
    return out


def emit(d):
    print(json.dumps(d), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=int, default=16)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    ap.add_argument("--infer-repeats", type=int, default=3)
    ap.add_argument("--spectral-batch", type=int, default=0, help="0: --batch")
    ap.add_argument("--spectral-repeats", type=int, default=10)
    ap.add_argument("--data", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    ap.add_argument("--check", action="store_true", help="print the structure checks and exit")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)

    emit(info())
    model = build_model(a.seed)
    emit({"impl": "neuralop", "kind": "params", "count": param_count(model)})
    if a.check:
        from neuralop.models import FNO
        for name, modes, width in (("1d", (16,), 24), ("3d", (4, 4, 4), 8)):
            m = FNO(n_modes=modes, in_channels=1, out_channels=1, hidden_channels=width, n_layers=4,
                    lifting_channel_ratio=2, projection_channel_ratio=2)
            emit({"impl": "neuralop", "kind": "params", "model": name, "count": param_count(m)})
        return 0
    x, y = load_data(a.res, a.samples, a.data, a.seed)
    emit({"impl": "neuralop", "kind": "train", "res": a.res, "samples": a.samples, "batch": a.batch,
          "epoch_s": time_training(model, x, y, a.batch, a.epochs)})
    emit({"impl": "neuralop", "kind": "infer", "res": a.res, "samples": a.samples, "batch": a.batch,
          "per_sample_s": time_inference(model, x, a.batch, a.infer_repeats)})
    sb = a.spectral_batch or a.batch
    emit({"impl": "neuralop", "kind": "spectral", "res": a.res, "batch": sb,
          "forward_s": time_spectral(a.res, sb, a.spectral_repeats)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
