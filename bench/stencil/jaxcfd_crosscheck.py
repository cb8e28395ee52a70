#!/usr/bin/env python3
"""Cross-check kono's Kolmogorov-flow DNS against jax-cfd's spectral solver (never in CI).

kono: `kono generate navier-stokes --ns.forcing=kolmogorov` (pseudo-spectral, PETSc TS ARKIMEX 4,
adaptive). jax-cfd: `spectral.equations.ForcedNavierStokes2D(viscosity=1e-3, grid, smooth=True)`
(= NavierStokes2D with kolmogorov_forcing(k=4, scale 1) and drag 0.1, the set-up of Kochkov et
al. 2021) stepped with `spectral.time_stepping.crank_nicolson_rk4` at the fixed step
`stable_time_step(7, 0.5, nu, grid)`, as in jax-cfd's Kolmogorov demo notebooks. jax-cfd 0.2.1 has
no `spectral.forcings.kolmogorov_forcing`; ForcedNavierStokes2D is its packaged form (forcing
sampled at the nodes, offsets (0, 0)).

Two checks:
1. correlation: one jax-cfd trajectory is warmed up from jax-cfd's filtered_velocity_field
   (max velocity 7, peak wave number 4); its vorticity at the end of the warm-up is written to
   HDF5 in kono's layout ([y, x]: jax-cfd arrays are [x, y], so transposed) and kono starts from
   it (--ns.initial=FILE:/w0 --ns.warmup=0). Reports the vorticity correlation of the two
   trajectories over time and the first time it drops below 0.95.
2. statistics: independent trajectories of each code (jax-cfd seeds 0..S-1, kono seeds through
   its own random initial field) are warmed up and sampled; compares the isotropic energy
   spectrum E(k) per shell (k <= 32), the mean energy, enstrophy, vorticity standard deviation
   and histogram, with the sampling error as the spread over trajectories (standard error of the
   mean of the per-trajectory time averages).

Environment (outside the repository; tooling only, never a runtime dependency of kono):

    /usr/bin/python3 -m venv /work/venv-jaxcfd
    /work/venv-jaxcfd/bin/pip install "jax==0.4.30" "jaxlib==0.4.30" jax-cfd==0.2.1 h5py numpy
    # recorded versions: jax 0.4.30, jaxlib 0.4.30, jax-cfd 0.2.1, numpy 2.4.6, h5py 3.16.0
    # (jax-cfd 0.2.1 does not import with jax >= 0.4.31's removed APIs; 0.4.30 works)

Run (from the repository, with a built `kono`):

    /work/venv-jaxcfd/bin/python bench/stencil/jaxcfd_crosscheck.py --kono build/apps/kono/kono \
        --resolution 256 --samples 4 --warmup 20 --stats-time 10 --corr-time 15 --workdir /tmp/kono_xc

Results are printed and written to WORKDIR/summary.json; jax-cfd trajectories are cached in
WORKDIR (delete it to recompute).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import h5py
import numpy as np

TWO_PI = 2 * math.pi


def jax_setup(x64):
    import jax
    jax.config.update("jax_enable_x64", bool(x64))
    import jax.numpy as jnp
    import jax_cfd.base as cfd
    import jax_cfd.spectral as spectral
    return jax, jnp, cfd, spectral


def jax_run(n, seed, warmup, t_total, dt_out, x64, nu=1e-3, w0=None):
    """jax-cfd Kolmogorov trajectory; returns (times, vorticity [T, n, n] in jax's [x, y] layout, seconds).
    Starts from filtered_velocity_field(seed) (or the given vorticity w0 in jax layout); times count
    from the end of the warm-up; snapshot 0 is the state at the end of the warm-up."""
    jax, jnp, cfd, spectral = jax_setup(x64)
    grid = cfd.grids.Grid((n, n), domain=((0, TWO_PI), (0, TWO_PI)))
    max_velocity = 7.0
    dt_stable = cfd.equations.stable_time_step(max_velocity, 0.5, nu, grid)
    inner = max(1, int(math.ceil(dt_out / dt_stable)))
    dt = dt_out / inner
    eqn = spectral.equations.ForcedNavierStokes2D(nu, grid, smooth=True)
    step = spectral.time_stepping.crank_nicolson_rk4(eqn, dt)
    if w0 is None:
        v0 = cfd.initial_conditions.filtered_velocity_field(jax.random.PRNGKey(seed), grid, max_velocity, 4)
        w0 = cfd.finite_differences.curl_2d(v0).data
    w_hat = jnp.fft.rfftn(jnp.asarray(w0))
    t0 = time.time()
    n_warm = int(round(warmup / dt_out))
    if n_warm > 0:
        warm_fn = jax.jit(cfd.funcutils.repeated(step, inner * n_warm))
        w_hat = warm_fn(w_hat)
    outer = int(round(t_total / dt_out))
    traj_fn = jax.jit(cfd.funcutils.trajectory(cfd.funcutils.repeated(step, inner), outer))
    _, traj = traj_fn(w_hat)
    traj = np.concatenate([np.asarray(jnp.fft.irfftn(w_hat, s=(n, n)))[None],
                           np.asarray(jnp.fft.irfftn(traj, s=(n, n), axes=(1, 2)))], axis=0)
    secs = time.time() - t0
    times = dt_out * np.arange(outer + 1)
    return times, traj, secs, dt


def kono_run(kono, out, n, samples, warmup, t_total, dt_out, seed=0, initial=None, extra=()):
    steps = int(round(t_total / dt_out))
    cmd = [kono, "generate", "navier-stokes", "--ns.forcing=kolmogorov", f"--resolution={n}",
           f"--samples={samples}", f"--seed={seed}", f"--ns.warmup={warmup}", f"--ns.dt_out={dt_out}",
           f"--ns.steps_out={steps}", f"--out={out}"] + list(extra)
    if initial:
        cmd.append(f"--ns.initial={initial}")
    print("+", " ".join(cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True)
    secs = time.time() - t0
    with h5py.File(out, "r") as f:
        y = f["/y"][...]
        t = f["/coords/t"][...]
        steps_taken = f["/solver/steps"][...]
    return t, y, secs, steps_taken


def correlation(a, b):
    a = a - a.mean()
    b = b - b.mean()
    return float((a * b).sum() / math.sqrt((a * a).sum() * (b * b).sum()))


def velocity_hat(w):
    """rfft2 of vorticity [.., n, n] -> |u_hat|^2 per mode / n^4 (mean-square normalisation), |k|."""
    n = w.shape[-1]
    wh = np.fft.rfft2(w) / (n * n)
    k0 = np.fft.fftfreq(n, 1.0 / n)
    k1 = np.fft.rfftfreq(n, 1.0 / n)
    kk = np.sqrt(k0[:, None] ** 2 + k1[None, :] ** 2)
    k2 = kk ** 2
    k2[0, 0] = 1.0
    e = np.abs(wh) ** 2 / k2  # |u_hat|^2 = |w_hat|^2 / |k|^2
    e[..., 0, 0] = 0.0
    # rfft halves the spectrum: columns 1..n/2-1 stand for two modes each
    weight = np.full(k1.shape, 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    return e * weight[None, :], kk


def statistics(w, kmax=32, bins=None):
    """Per-snapshot statistics of vorticity snapshots [T, n, n] (domain [0, 2pi)^2)."""
    e, kk = velocity_hat(w)
    shell = np.rint(kk).astype(int)
    spec = np.zeros((w.shape[0], kmax + 1))
    for k in range(1, kmax + 1):
        spec[:, k] = 0.5 * e[:, shell == k].sum(axis=1)
    energy = 0.5 * e.sum(axis=(1, 2))  # mean of |u|^2 / 2
    enstrophy = 0.5 * (w ** 2).mean(axis=(1, 2))
    std = w.std(axis=(1, 2))
    hist = None
    if bins is not None:
        hist = np.stack([np.histogram(s.ravel(), bins=bins, density=True)[0] for s in w])
    return dict(spectrum=spec, energy=energy, enstrophy=enstrophy, std=std, hist=hist)


def mean_and_error(per_traj):
    """Mean over trajectories of their time averages and the standard error of that mean."""
    m = np.asarray(per_traj)
    return m.mean(axis=0), m.std(axis=0, ddof=1) / math.sqrt(m.shape[0])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kono", default="build/apps/kono/kono")
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--warmup", type=float, default=20.0)
    p.add_argument("--stats-time", type=float, default=10.0)
    p.add_argument("--stats-dt", type=float, default=0.5)
    p.add_argument("--corr-time", type=float, default=15.0)
    p.add_argument("--corr-dt", type=float, default=0.07)
    p.add_argument("--corr-warmup", type=float, default=20.0)
    p.add_argument("--float32", action="store_true", help="run jax-cfd in float32 (default float64, as kono)")
    p.add_argument("--workdir", default="/tmp/kono_jaxcfd_xc")
    p.add_argument("--skip", default="", help="comma list of parts to skip: corr, stats")
    p.add_argument("--corr-reference-rtol", type=float, default=0.0,
                   help="> 0: also run kono with -ts_rtol = -ts_atol = this value from the same state and report "
                        "both codes' correlation with that tight reference")
    p.add_argument("--jax-only", action="store_true", help="only compute and cache the jax-cfd trajectories")
    p.add_argument("--kono-args", default="", help="extra kono options, space separated (e.g. '-ts_type rk')")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    n = a.resolution
    x64 = not a.float32
    skip = set(a.skip.split(",")) - {""}
    extra = a.kono_args.split()
    import jax
    import jax_cfd
    summary = dict(resolution=n, jax=jax.__version__, jax_cfd=getattr(jax_cfd, "__version__", "0.2.1"),
                   numpy=np.__version__, jax_x64=x64, samples=a.samples, warmup=a.warmup)

    # 1. Correlation of two trajectories from one initial vorticity.
    if "corr" not in skip:
        cache = os.path.join(a.workdir, f"jax_corr_{n}.npz")
        if os.path.exists(cache):
            z = np.load(cache)
            tj, wj, sj, dtj = z["t"], z["w"], float(z["secs"]), float(z["dt"])
            if tj[-1] < a.corr_time - 1e-9:  # extend the cached trajectory from its last state
                t2, w2, s2, _ = jax_run(n, 0, 0.0, a.corr_time - tj[-1], a.corr_dt, x64, w0=wj[-1])
                tj = np.concatenate([tj, tj[-1] + t2[1:]])
                wj = np.concatenate([wj, w2[1:]])
                sj += s2
                np.savez(cache, t=tj, w=wj, secs=sj, dt=dtj)
                print(f"jax-cfd correlation trajectory extended to t = {tj[-1]:.2f}: {s2:.1f} s", flush=True)
        else:
            tj, wj, sj, dtj = jax_run(n, 0, a.corr_warmup, a.corr_time, a.corr_dt, x64)
            np.savez(cache, t=tj, w=wj, secs=sj, dt=dtj)
            print(f"jax-cfd correlation trajectory: {sj:.1f} s (dt {dtj})", flush=True)
    if "corr" not in skip and not a.jax_only:
        init = os.path.join(a.workdir, f"w0_{n}.h5")
        with h5py.File(init, "w") as f:
            f["/w0"] = wj[0].T[None]  # jax [x, y] -> kono [y, x]
        out = os.path.join(a.workdir, f"kono_corr_{n}.h5")
        tk, yk, sk, steps = kono_run(a.kono, out, n, 1, 0.0, a.corr_time, a.corr_dt, initial=init + ":/w0",
                                     extra=extra)
        wk = yk[0]
        corr = [correlation(wk[i], wj[i].T) for i in range(len(tk))]
        below = [float(tk[i]) for i in range(len(tk)) if corr[i] < 0.95]
        t95 = below[0] if below else None
        print(f"correlation at t = 0: {corr[0]:.12f}; first time below 0.95: {t95}")
        for i in range(0, len(tk), max(1, len(tk) // 15)):
            print(f"  t = {tk[i]:6.2f}  corr = {corr[i]:.6f}")
        ref_info = None
        if a.corr_reference_rtol > 0:
            tol = str(a.corr_reference_rtol)
            out_ref = os.path.join(a.workdir, f"kono_corr_ref_{n}.h5")
            _, yr, sr, steps_r = kono_run(a.kono, out_ref, n, 1, 0.0, a.corr_time, a.corr_dt, initial=init + ":/w0",
                                          extra=extra + ["-ts_rtol", tol, "-ts_atol", tol])
            cj = [correlation(yr[0][i], wj[i].T) for i in range(len(tk))]
            ck = [correlation(yr[0][i], wk[i]) for i in range(len(tk))]
            first = lambda c: next((float(tk[i]) for i in range(len(tk)) if c[i] < 0.95), None)
            print(f"tight kono reference (rtol = atol = {tol}, {int(steps_r[0])} steps, {sr:.0f} s): correlation "
                  f"drops below 0.95 at t = {first(cj)} against jax-cfd, {first(ck)} against kono's default")
            ref_info = dict(rtol=a.corr_reference_rtol, steps=int(steps_r[0]), seconds=sr, corr_jax=cj, corr_kono=ck,
                            t_below_095_jax=first(cj), t_below_095_kono=first(ck))
        summary["correlation"] = dict(times=[float(t) for t in tk], corr=corr, t_below_095=t95,
                                      jax_seconds_warmup_plus_run=sj, jax_dt=dtj,
                                      kono_seconds=sk, kono_steps=[int(s) for s in steps],
                                      time_units=a.corr_time, reference=ref_info)

    # 2. Stationary statistics over independent trajectories.
    if "stats" not in skip:
        bins = np.linspace(-25, 25, 51)
        per = {"jax": [], "kono": []}
        secs = {"jax": 0.0, "kono": 0.0}
        for s in range(a.samples):
            cache = os.path.join(a.workdir, f"jax_stats_{n}_{s}.npz")
            if os.path.exists(cache):
                z = np.load(cache)
                w, sj = z["w"], float(z["secs"])
            else:
                _, w, sj, _ = jax_run(n, 100 + s, a.warmup, a.stats_time, a.stats_dt, x64)
                np.savez(cache, w=w, secs=sj)
            secs["jax"] += sj
            per["jax"].append(statistics(w.transpose(0, 2, 1), bins=bins))
            print(f"jax-cfd stats trajectory {s}: {sj:.1f} s", flush=True)
        if a.jax_only:
            return 0
        out = os.path.join(a.workdir, f"kono_stats_{n}.h5")
        _, yk, sk, steps = kono_run(a.kono, out, n, a.samples, a.warmup, a.stats_time, a.stats_dt, seed=100,
                                    extra=extra)
        secs["kono"] = sk
        for s in range(a.samples):
            per["kono"].append(statistics(yk[s], bins=bins))
        res = {}
        for code in ("jax", "kono"):
            r = {}
            for key in ("energy", "enstrophy", "std"):
                m, e = mean_and_error([p[key].mean() for p in per[code]])
                r[key] = (float(m), float(e))
            m, e = mean_and_error([p["spectrum"].mean(axis=0) for p in per[code]])
            r["spectrum"] = (m, e)
            m, e = mean_and_error([p["hist"].mean(axis=0) for p in per[code]])
            r["hist"] = (m, e)
            res[code] = r
        print(f"stationary statistics, {a.samples} trajectories per code, t in [{a.warmup}, "
              f"{a.warmup + a.stats_time}] every {a.stats_dt}, {n}^2 (mean +- standard error over trajectories)")
        st = {}
        for key in ("energy", "enstrophy", "std"):
            (mj, ej), (mk, ek) = res["jax"][key], res["kono"][key]
            ratio = mk / mj
            rerr = ratio * math.sqrt((ej / mj) ** 2 + (ek / mk) ** 2)
            print(f"  {key:10s} jax-cfd {mj:9.4f} +- {ej:7.4f}   kono {mk:9.4f} +- {ek:7.4f}   "
                  f"ratio {ratio:.3f} +- {rerr:.3f}")
            st[key] = dict(jax=[mj, ej], kono=[mk, ek], ratio=[ratio, rerr])
        sj_, ej_ = res["jax"]["spectrum"]
        sk_, ek_ = res["kono"]["spectrum"]
        rows = []
        print("  k   E_jax(k)     E_kono(k)    ratio +- error")
        for k in range(1, 33):
            ratio = sk_[k] / sj_[k]
            rerr = ratio * math.sqrt((ej_[k] / sj_[k]) ** 2 + (ek_[k] / sk_[k]) ** 2)
            rows.append([k, float(sj_[k]), float(ej_[k]), float(sk_[k]), float(ek_[k]), float(ratio), float(rerr)])
            print(f"  {k:2d}  {sj_[k]:.4e}  {sk_[k]:.4e}  {ratio:.3f} +- {rerr:.3f}")
        hj, hje = res["jax"]["hist"]
        hk, hke = res["kono"]["hist"]
        diff = np.abs(hk - hj)
        err = np.sqrt(hje ** 2 + hke ** 2)
        print(f"  vorticity histogram ({len(bins) - 1} bins on [-25, 25]): max |p_kono - p_jax| = {diff.max():.4f}, "
              f"max combined error {err.max():.4f}, bins beyond 2 sigma: {int((diff > 2 * err).sum())}")
        st["spectrum"] = rows
        st["histogram"] = dict(bins=bins.tolist(), jax=hj.tolist(), jax_err=hje.tolist(), kono=hk.tolist(),
                               kono_err=hke.tolist())
        st["seconds"] = secs
        st["kono_steps"] = [int(s) for s in steps]
        summary["statistics"] = st
    with open(os.path.join(a.workdir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("wrote", os.path.join(a.workdir, "summary.json"))


if __name__ == "__main__":
    sys.exit(main())
