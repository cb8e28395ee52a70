#!/usr/bin/python3
"""Plot kono's learning curve CSV as a PNG: losses per epoch on a log scale, learning rate below.

Usage:
    plot_learning_curve.py CURVE.csv OUT.png [--title T]

CURVE.csv is what `kono train` writes: a header
`epoch,lr,train_loss,test_<metric>...,seconds,samples_per_second` and one row per epoch. The upper
panel shows train_loss and every test_<metric> column (log scale), the lower panel the learning
rate (log scale). Needs Debian's python3-matplotlib (run with /usr/bin/python3). Exits with a
message and status 1 when the file is missing, empty, or lacks the epoch/train_loss columns.
"""

import argparse
import csv
import math
import os
import sys


def fail(message):
    print("plot_learning_curve.py: error: " + message, file=sys.stderr)
    sys.exit(1)


def read_curve(path):
    if not os.path.isfile(path):
        fail('cannot open "%s": no such file' % path)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        fail('"%s" is empty (expected a header epoch,lr,train_loss,...)' % path)
    header = [h.strip() for h in rows[0]]
    for required in ("epoch", "train_loss"):
        if required not in header:
            fail('"%s" has no column "%s" (header: %s)' % (path, required, ",".join(header)))
    columns = {h: [] for h in header}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            fail('"%s" line %d has %d fields, the header has %d' % (path, line, len(row), len(header)))
        for h, v in zip(header, row):
            try:
                columns[h].append(float(v))
            except ValueError:
                fail('"%s" line %d: column "%s" is not a number: "%s"' % (path, line, h, v))
    if not columns["epoch"]:
        fail('"%s" has a header but no epochs' % path)
    return header, columns


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", help="learning-curve CSV written by kono train")
    parser.add_argument("out", help="PNG file to write")
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)

    header, columns = read_curve(args.csv)
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError as e:
        fail("%s (install python3-matplotlib and run with /usr/bin/python3)" % e)

    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        fail('cannot write "%s": directory "%s" does not exist' % (args.out, out_dir))

    epochs = columns["epoch"]
    losses = ["train_loss"] + [h for h in header if h.startswith("test_")]
    has_lr = "lr" in columns
    fig, axes = plt.subplots(2 if has_lr else 1, 1, figsize=(7, 6 if has_lr else 4), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1]} if has_lr else None, constrained_layout=True)
    ax = axes[0] if has_lr else axes
    for name in losses:
        # Log scale: non-positive values (a perfect fit, or a missing test value) cannot be drawn.
        pts = [(e, v) for e, v in zip(epochs, columns[name]) if v > 0 and math.isfinite(v)]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o" if len(pts) < 30 else None,
                    markersize=3, label=name)
    ax.set_yscale("log")
    ax.set_ylabel("loss / metric")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    last = {name: columns[name][-1] for name in losses}
    summary = ", ".join("%s %.3g" % (k, v) for k, v in last.items())
    ax.set_title((args.title + "\n" if args.title else "") + "after %d epochs: %s" % (len(epochs), summary),
                 fontsize=9)
    if has_lr:
        lr = [(e, v) for e, v in zip(epochs, columns["lr"]) if v > 0]
        if lr:
            axes[1].plot([p[0] for p in lr], [p[1] for p in lr], color="gray")
            axes[1].set_yscale("log")
        axes[1].set_ylabel("learning rate")
        axes[1].grid(True, which="both", alpha=0.3)
        axes[1].set_xlabel("epoch")
    else:
        ax.set_xlabel("epoch")
    # Write next to the target, then rename: no half-written PNG on failure.
    tmp = os.path.join(out_dir, ".%s.%d.tmp.png" % (os.path.basename(args.out), os.getpid()))
    try:
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, args.out)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        fail('cannot write "%s": %s' % (args.out, e))
    print("wrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
