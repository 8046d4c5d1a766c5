#!/usr/bin/env python3
"""
numpy baseline of the OPE benchmark (bench/ope.js): the same seven estimators (ipw, snipw, dm, dr, sndr, switch-dr,
dr-os; Open Bandit Pipeline's definitions, no clipping, switch-dr tau = 10, dr-os lambda = 100), their
normal-approximation intervals from the per-round influence terms, and a nonparametric bootstrap with percentile
intervals (numpy.percentile, linear = Hyndman-Fan type 7) in which every estimator is recomputed on each resample and
the self-normalised ones (snipw, sndr) are renormalised on it.

Inputs: the files bench/ope.js writes (raw little-endian arrays): action.i32, reward.f64, pscore.f64, probs.f64
(n x K row-major target probabilities) and q.f64 (n x K reward-model predictions, the same as the JS side uses).

Two bootstrap implementations, both timed:
  gather  the idiomatic one: per resample draw n indices (rng.integers) and recompute each estimator from its
          per-round terms at those indices (terms[idx].mean(), num[idx].sum() / den[idx].sum()).
  counts  a tuned one: per resample, counts = bincount(indices) and one matrix-vector product counts @ M over the
          distinct per-round columns M (n x J), the same shared-resample, deduplicated-column design as the JS side.

Usage: python3 bench/ope_baseline.py DATA_DIR [--resamples 1000] [--seed 0] [--modes gather,counts]
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

TAU = 10.0
LAMBDA = 100.0
NAMES = ["ipw", "snipw", "dm", "dr", "sndr", "switch-dr", "dr-os"]


def load(data_dir):
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    n, k = meta["n"], meta["nActions"]
    action = np.fromfile(os.path.join(data_dir, "action.i32"), dtype="<i4")
    reward = np.fromfile(os.path.join(data_dir, "reward.f64"), dtype="<f8")
    pscore = np.fromfile(os.path.join(data_dir, "pscore.f64"), dtype="<f8")
    probs = np.fromfile(os.path.join(data_dir, "probs.f64"), dtype="<f8").reshape(n, k)
    q = np.fromfile(os.path.join(data_dir, "q.f64"), dtype="<f8").reshape(n, k)
    return action, reward, pscore, probs, q


def round_terms(action, reward, pscore, probs, q):
    """Per estimator: (additive terms or None, (numerator, denominator) or None)."""
    n = action.shape[0]
    rows = np.arange(n)
    w = probs[rows, action] / pscore
    dm = np.einsum("ij,ij->i", probs, q)
    resid = reward - q[rows, action]
    wr = w * reward
    we = w * resid
    return {
        "ipw": (wr, None),
        "snipw": (None, (wr, w)),
        "dm": (dm, None),
        "dr": (dm + we, None),
        "sndr": (dm, (we, w)),
        "switch-dr": (dm + np.where(w <= TAU, we, 0.0), None),
        "dr-os": (dm + (LAMBDA * w / (w * w + LAMBDA)) * resid, None),
    }


def point_and_normal(terms, z=1.959963984540054):
    out = {}
    for name, (add, ratio) in terms.items():
        n = (add if add is not None else ratio[0]).shape[0]
        value = 0.0
        psi = np.zeros(n)
        if add is not None:
            a = add.mean()
            value += a
            psi += add - a
        if ratio is not None:
            b, c = ratio
            r = b.sum() / c.sum()
            value += r
            psi += (b - r * c) / c.mean()
        se = psi.std(ddof=1) / np.sqrt(n)
        out[name] = {"value": float(value), "ci": [float(value - z * se), float(value + z * se)]}
    return out


def bootstrap_gather(terms, resamples, seed):
    n = terms["dm"][0].shape[0]
    rng = np.random.default_rng(seed)
    reps = {name: np.empty(resamples) for name in terms}
    for r in range(resamples):
        idx = rng.integers(0, n, n)
        for name, (add, ratio) in terms.items():
            v = 0.0
            if add is not None:
                v += add[idx].mean()
            if ratio is not None:
                v += ratio[0][idx].sum() / ratio[1][idx].sum()
            reps[name][r] = v
    return reps


def bootstrap_counts(terms, resamples, seed):
    # Distinct columns, by identity of the arrays (dm and w are shared by several estimators).
    cols, index = [], {}

    def col(a):
        key = id(a)
        if key not in index:
            index[key] = len(cols)
            cols.append(a)
        return index[key]

    layout = {}
    for name, (add, ratio) in terms.items():
        layout[name] = (col(add) if add is not None else -1, col(ratio[0]) if ratio else -1, col(ratio[1]) if ratio else -1)
    m = np.ascontiguousarray(np.column_stack(cols))
    n = m.shape[0]
    rng = np.random.default_rng(seed)
    sums = np.empty((resamples, m.shape[1]))
    for r in range(resamples):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        sums[r] = counts @ m
    reps = {}
    for name, (a, b, c) in layout.items():
        v = np.zeros(resamples)
        if a >= 0:
            v += sums[:, a] / n
        if b >= 0:
            v += sums[:, b] / sums[:, c]
        reps[name] = v
    return reps, m.shape[1]


def intervals(reps, confidence=0.95):
    lo, hi = 50 * (1 - confidence), 50 * (1 + confidence)
    return {name: [float(x) for x in np.percentile(v[np.isfinite(v)], [lo, hi])] for name, v in reps.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--modes", default="gather,counts")
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = load(args.data_dir)
    t_load = time.perf_counter() - t0

    t0 = time.perf_counter()
    terms = round_terms(*data)
    estimates = point_and_normal(terms)
    t_point = time.perf_counter() - t0

    out = {
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "n": int(data[0].shape[0]),
        "nActions": int(data[3].shape[1]),
        "resamples": args.resamples,
        "load_s": t_load,
        "point_s": t_point,
        "estimates": estimates,
        "bootstrap": {},
    }
    for mode in [m for m in args.modes.split(",") if m]:
        t0 = time.perf_counter()
        if mode == "gather":
            reps = bootstrap_gather(terms, args.resamples, args.seed)
            extra = {}
        elif mode == "counts":
            reps, j = bootstrap_counts(terms, args.resamples, args.seed)
            extra = {"columns": j}
        else:
            raise SystemExit(f"unknown mode {mode}")
        t_boot = time.perf_counter() - t0
        out["bootstrap"][mode] = {"seconds": t_boot, "total_s": t_point + t_boot, "ci": intervals(reps), **extra}
        print(f"[ope_baseline] {mode}: {t_boot:.1f} s", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
