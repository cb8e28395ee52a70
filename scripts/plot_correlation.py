#!/usr/bin/env python3
"""Vorticity correlation vs time of every method in a kono rollout correlation.csv.

    plot_correlation.py correlation.csv correlation.png [--threshold 0.95] [--title TEXT]

Needs matplotlib (Debian: python3-matplotlib). Written by `kono rollout`.
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csv")
    p.add_argument("png")
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--title", default="vorticity correlation with the reference")
    a = p.parse_args()
    with open(a.csv, newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], [[float(v) for v in r] for r in rows[1:] if r]
    t = [r[0] for r in data]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    for c, name in enumerate(header[1:], start=1):
        ax.plot(t, [r[c] for r in data], label=name)
    ax.axhline(a.threshold, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("time")
    ax.set_ylabel("vorticity correlation")
    ax.set_ylim(min(0.0, min(min(r[1:]) for r in data)), 1.02)
    ax.set_title(a.title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.png)


if __name__ == "__main__":
    main()
