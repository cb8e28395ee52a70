#!/usr/bin/env python3
"""Markdown tables from bench/fno/run.sh results (JSON lines): medians over all timed epochs /
passes of all repeats, with the minimum in brackets, and ratios neuralop time / kono time
(> 1: kono faster). Usage: make_table.py results.jsonl"""
import json
import statistics
import sys


def fmt(t):
    if t is None:
        return "n/a"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} us"


def stat(values):
    return (statistics.median(values), min(values)) if values else (None, None)


def cell(values):
    med, lo = stat(values)
    return "n/a" if med is None else f"{fmt(med)} [{fmt(lo)}]"


def ratio(a, b):
    ma, mb = stat(a)[0], stat(b)[0]
    return "n/a" if ma is None or mb is None else f"**{ma / mb:.2f}**"


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    info = {}
    times = {}  # (kind, res, who) -> list

    def add(kind, res, who, vals):
        times.setdefault((kind, res, who), []).extend(vals)

    meta = {}
    for r in rows:
        k = r.get("kind")
        if k == "machine":
            meta = r
        elif k == "info":
            key = r["impl"] + ("" if r["impl"] == "kono" else ":" + r.get("threads_mode", "default"))
            info.setdefault(key, r)
        elif k == "params":
            info.setdefault("params:" + r.get("model", "2d"), r["count"])
        elif r.get("impl") == "neuralop":
            who = "nl_" + r.get("threads_mode", "default")
            if k == "train":
                add("train", r["res"], who, r["epoch_s"])
                meta.setdefault("sizes", {})[r["res"]] = (r["samples"], r["batch"])
            elif k == "infer":
                add("infer", r["res"], who, r["per_sample_s"])
            elif k == "spectral":
                add("spec_fwd", r["res"], who, r["forward_s"])
                meta.setdefault("spec_batch", {})[r["res"]] = r["batch"]
        elif r.get("impl") == "kono":
            who = f"kono_{r.get('ranks', 1)}"
            if k == "train":
                add("train", r["res"], who, r["epoch_s"])
            elif k == "infer":
                add("infer", r["res"], who, r["per_sample_s"])
            elif k == "spectral":
                add("spec_fwd", r["res"], "kono", r["forward_s"])
                add("spec_bwd", r["res"], "kono", r["backward_s"])
                add("spec_fft", r["res"], "kono", r["fftw_r2c_c2r_s"])
    ress = sorted({k[1] for k in times})
    nl = info.get("neuralop:default", {})
    nl1 = info.get("neuralop:1", {})
    g = lambda kind, res, who: times.get((kind, res, who), [])  # noqa: E731
    out = []
    out.append(f"Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores; run {meta.get('date', '?')}, "
               f"load average at start {meta.get('load', '?')}; kono {meta.get('git', '?')}.")
    out.append(f"neuralop {nl.get('neuralop', '?')}, torch {nl.get('torch', '?')} "
               f"(CPU capability {nl.get('cpu_capability', '?')}, MKL {nl.get('mkl', '?')}), "
               f"torch.get_num_threads() = {nl.get('threads', '?')} (default) and {nl1.get('threads', '?')}; "
               f"neuralop parameter count {info.get('params:2d', '?')}.")
    out.append("Times: median [min] over all timed epochs/passes of all repeats. Ratios: neuralop median / "
               "kono median (> 1: kono faster).")
    out.append("")
    out.append("Training, seconds per epoch (batch as listed; AdamW + relative H1):")
    out.append("")
    out.append("| grid | samples (batch) | neuralop, torch default threads | neuralop, 1 thread | kono, 1 rank | "
               "kono, 2 ranks | ratio default / kono 1 rank | ratio 1 thread / kono 1 rank | "
               "ratio default / kono 2 ranks |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for res in ress:
        s, b = meta.get("sizes", {}).get(res, ("?", "?"))
        out.append(f"| {res}^2 | {s} ({b}) | {cell(g('train', res, 'nl_default'))} | {cell(g('train', res, 'nl_1'))} | "
                   f"{cell(g('train', res, 'kono_1'))} | {cell(g('train', res, 'kono_2'))} | "
                   f"{ratio(g('train', res, 'nl_default'), g('train', res, 'kono_1'))} | "
                   f"{ratio(g('train', res, 'nl_1'), g('train', res, 'kono_1'))} | "
                   f"{ratio(g('train', res, 'nl_default'), g('train', res, 'kono_2'))} |")
    out.append("")
    out.append("Inference, time per sample (batches as in training):")
    out.append("")
    out.append("| grid | neuralop, default threads | neuralop, 1 thread | kono, 1 rank | kono, 2 ranks | "
               "ratio default / kono 1 rank | ratio 1 thread / kono 1 rank | ratio default / kono 2 ranks |")
    out.append("|---|---|---|---|---|---|---|---|")
    for res in ress:
        out.append(f"| {res}^2 | {cell(g('infer', res, 'nl_default'))} | {cell(g('infer', res, 'nl_1'))} | "
                   f"{cell(g('infer', res, 'kono_1'))} | {cell(g('infer', res, 'kono_2'))} | "
                   f"{ratio(g('infer', res, 'nl_default'), g('infer', res, 'kono_1'))} | "
                   f"{ratio(g('infer', res, 'nl_1'), g('infer', res, 'kono_1'))} | "
                   f"{ratio(g('infer', res, 'nl_default'), g('infer', res, 'kono_2'))} |")
    out.append("")
    out.append("Spectral convolution 24 -> 24, modes 8x8, on [B, 24, n, n] (kono: 1 process; FFTW r2c + c2r of "
               "the same B*24 fields, FFTW_MEASURE, timed in the same process):")
    out.append("")
    out.append("| grid | B | kono forward | kono backward | FFTW r2c+c2r alone | kono forward / FFTs | "
               "neuralop SpectralConv forward (default threads) | neuralop forward (1 thread) | "
               "ratio neuralop default / kono forward |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for res in ress:
        fwd, fft = g("spec_fwd", res, "kono"), g("spec_fft", res, "kono")
        r = "n/a" if not fwd or not fft else f"**{stat(fwd)[0] / stat(fft)[0]:.2f}**"
        out.append(f"| {res}^2 | {meta.get('spec_batch', {}).get(res, '?')} | {cell(fwd)} | "
                   f"{cell(g('spec_bwd', res, 'kono'))} | {cell(fft)} | {r} | "
                   f"{cell(g('spec_fwd', res, 'nl_default'))} | {cell(g('spec_fwd', res, 'nl_1'))} | "
                   f"{ratio(g('spec_fwd', res, 'nl_default'), fwd)} |")
    p1, p3 = info.get("params:1d"), info.get("params:3d")
    if p1 or p3:
        out.append("")
        out.append(f"neuralop parameter counts (complex weights as 2 reals): 2D tutorial {info.get('params:2d')}, "
                   f"1D n_modes=(16,) hidden 24: {p1}, 3D n_modes=(4,4,4) hidden 8: {p3}.")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results.jsonl")
