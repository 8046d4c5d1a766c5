"""Baseline for bench/drift.js: the same per-column drift statistics with scipy.stats and numpy.

Reads the columns bench/drift.js exported (raw little-endian float64 for numeric columns, int32 category codes for
categorical ones; codes are shared by both sides, so counting codes is counting categories) and computes per column:

  numeric:     ks, ks_pvalue (scipy.stats.ks_2samp, method 'auto'), wasserstein (scipy.stats.wasserstein_distance),
               wasserstein_norm (/ np.std(reference)), psi and js over reference decile bins
               (np.quantile 'linear', repeated edges dropped, np.searchsorted side='left', np.bincount)
  categorical: chi2, chi2_pvalue (scipy.stats.chi2_contingency, correction=False, over categories seen on either side),
               psi and js over the categories

PSI: sum (a - e) ln(a / e) over shares, a zero share replaced by 1e-4. JS: sqrt of the Jensen-Shannon divergence in
nats, written with numpy (equal to scipy.spatial.distance.jensenshannon). Prints one JSON object: timings and values.

usage: python3 bench/drift_baseline.py DATA_DIR
"""
import json
import sys
import time

import numpy as np
from scipy import stats


def psi(e, a, eps=1e-4):
    e = e / e.sum()
    a = a / a.sum()
    e = np.where(e == 0, eps, e)
    a = np.where(a == 0, eps, a)
    return float(np.sum((a - e) * np.log(a / e)))


def js(p, q):
    p = p / p.sum()
    q = q / q.sum()
    m = (p + q) / 2
    with np.errstate(divide='ignore', invalid='ignore'):
        kl_p = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(np.sqrt(max(0.0, (kl_p + kl_q) / 2)))


def main():
    data_dir = sys.argv[1]
    meta = json.load(open(f'{data_dir}/meta.json'))
    t0 = time.perf_counter()
    cols = {}
    for c in meta['numeric']:
        cols[c] = (np.fromfile(f'{data_dir}/ref_{c}.f64', dtype='<f8'), np.fromfile(f'{data_dir}/cur_{c}.f64', dtype='<f8'))
    for c in meta['categorical']:
        cols[c] = (np.fromfile(f'{data_dir}/ref_{c}.i32', dtype='<i4'), np.fromfile(f'{data_dir}/cur_{c}.i32', dtype='<i4'))
    t1 = time.perf_counter()
    out = {}
    bins = meta['bins']
    for c in meta['numeric']:
        x, y = cols[c]
        r = stats.ks_2samp(x, y)
        w = stats.wasserstein_distance(x, y)
        sd = np.std(x)
        edges = np.unique(np.quantile(x, [k / bins for k in range(1, bins)]))
        e = np.bincount(np.searchsorted(edges, x, side='left'), minlength=len(edges) + 1).astype(float)
        a = np.bincount(np.searchsorted(edges, y, side='left'), minlength=len(edges) + 1).astype(float)
        out[c] = dict(ks=float(r.statistic), ks_pvalue=float(r.pvalue), wasserstein=float(w),
                      wasserstein_norm=float(w / sd), psi=psi(e, a), js=js(e, a))
    for c in meta['categorical']:
        x, y = cols[c]
        k = int(max(x.max(), y.max())) + 1
        e = np.bincount(x, minlength=k).astype(float)
        a = np.bincount(y, minlength=k).astype(float)
        keep = (e + a) > 0
        e, a = e[keep], a[keep]
        chi2, p, _, _ = stats.chi2_contingency(np.vstack([e, a]), correction=False)
        out[c] = dict(chi2=float(chi2), chi2_pvalue=float(p), psi=psi(e, a), js=js(e, a))
    t2 = time.perf_counter()
    import scipy
    print(json.dumps(dict(read_s=t1 - t0, compute_s=t2 - t1, total_s=t2 - t0, scipy=scipy.__version__,
                          numpy=np.__version__, values=out)))


if __name__ == '__main__':
    main()
