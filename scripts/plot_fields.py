#!/usr/bin/python3
"""Draw one sample side by side: input | prediction | reference | |prediction - reference|.

Usage:
    plot_fields.py FILE.h5 OUT.png [--title T] [--sample I]
                   [--input NAME] [--prediction NAME] [--reference NAME]

FILE.h5 holds the datasets `input`, `prediction` and `reference` (names can be changed with the
options above; "/group/name" paths work). Each is a 2D field [n0, n1] or a 1D field [n0]; datasets
[N, n0, n1] or [N, 1, n0, n1] are read as N samples, of which --sample picks one (default 0), and
with --sample a 2D dataset is read as [N, n0].

Axes follow kono's VTK export (docs/paraview.md): kono axis 0 is x (horizontal), axis 1 is y
(vertical, increasing upwards), so the PNG looks like the .vti opened in ParaView.

Needs Debian's python3-h5py and python3-matplotlib (run with /usr/bin/python3). Exits with a
message and status 1 when the file or a dataset is missing or the shapes do not match.
"""

import argparse
import os
import sys


def fail(message):
    print("plot_fields.py: error: " + message, file=sys.stderr)
    sys.exit(1)


def load_modules():
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import h5py
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        fail("%s (install python3-h5py and python3-matplotlib, and run with /usr/bin/python3)" % e)
    return h5py, np, plt


def read_field(h5, np, path, name, sample):
    """The 1D or 2D field of dataset `name`; see the module doc for the accepted shapes."""
    if name not in h5 or not hasattr(h5[name], "shape"):
        found = []
        h5.visititems(lambda n, obj: found.append("/" + n) if hasattr(obj, "shape") else None)
        fail('"%s" has no dataset "%s" (found: %s)' % (path, name, ", ".join(found) or "none"))
    data = np.asarray(h5[name][()], dtype=np.float64)
    shape = data.shape
    # [N, n0, n1] and [N, 1, n0, n1] carry a sample axis; [N, n0] only when --sample says so.
    if data.ndim >= 3 or (data.ndim == 2 and sample is not None):
        s = 0 if sample is None else sample
        if not 0 <= s < data.shape[0]:
            fail('--sample %d is out of range for dataset "%s" of shape %s' % (s, name, list(shape)))
        data = data[s]
        if data.ndim == 3 and data.shape[0] == 1:  # a single channel axis
            data = data[0]
    if data.ndim not in (1, 2) or data.size == 0:
        fail('dataset "%s" of shape %s is not a 1D or 2D field (slice 3D or multi-channel data first)'
             % (name, list(shape)))
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="HDF5 file with the input, prediction and reference datasets")
    parser.add_argument("out", help="PNG file to write")
    parser.add_argument("--title", default=None, help="figure title")
    parser.add_argument("--sample", type=int, default=None, help="sample index for datasets with a sample axis")
    parser.add_argument("--input", default="input", help="input dataset (default: input)")
    parser.add_argument("--prediction", default="prediction", help="prediction dataset (default: prediction)")
    parser.add_argument("--reference", default="reference", help="reference dataset (default: reference)")
    args = parser.parse_args(argv)

    h5py, np, plt = load_modules()
    if not os.path.isfile(args.file):
        fail('cannot open "%s": no such file' % args.file)
    try:
        h5 = h5py.File(args.file, "r")
    except OSError as e:
        fail('cannot open "%s" as HDF5: %s' % (args.file, e))
    with h5:
        fields = [read_field(h5, np, args.file, n, args.sample) for n in (args.input, args.prediction, args.reference)]
    inp, pred, ref = fields
    if pred.shape != ref.shape:
        fail('prediction %s and reference %s differ in shape' % (pred.shape, ref.shape))
    err = np.abs(pred - ref)

    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        fail('cannot write "%s": directory "%s" does not exist' % (args.out, out_dir))

    titles = ["input", "prediction", "reference", "|prediction - reference|"]
    panels = [inp, pred, ref, err]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4), constrained_layout=True)
    # prediction and reference share one colour scale, so they can be compared by eye.
    lo = float(min(pred.min(), ref.min()))
    hi = float(max(pred.max(), ref.max()))
    for k, (ax, data, title) in enumerate(zip(axes, panels, titles)):
        if data.ndim == 1:
            ax.plot(np.arange(data.size), data)
            ax.set_xlabel("node (axis 0)")
            ax.ticklabel_format(axis="y", useOffset=False)
            if k in (1, 2):
                ax.set_ylim(lo - 0.05 * (hi - lo + 1e-300), hi + 0.05 * (hi - lo + 1e-300))
            elif k == 3:
                ax.set_ylim(0, 1.1 * float(err.max()) + 1e-300)
        else:
            # kono axis 0 -> x (columns of the image), axis 1 -> y, origin at the bottom left.
            kw = {"vmin": lo, "vmax": hi} if k in (1, 2) else {}
            im = ax.imshow(data.T, origin="lower", cmap="magma" if k == 3 else "viridis", aspect="equal", **kw)
            fig.colorbar(im, ax=ax, shrink=0.8)
            ax.set_xlabel("axis 0 (x)")
            ax.set_ylabel("axis 1 (y)")
        ax.set_title(title)
    rel = float(np.linalg.norm(err) / max(np.linalg.norm(ref), 1e-300))
    fig.suptitle((args.title + "  " if args.title else "") + "(relative L2 error %.3g, max |error| %.3g)" % (rel, err.max()))
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
