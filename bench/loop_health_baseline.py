#!/usr/bin/env python3
"""
The pandas/numpy side of the loop-health benchmark (bench/loop-health.js): the per-version metrics of
`loopguard loop-health --by policy_version` computed from the same exposure rows, printed as JSON on stdout.

    /usr/bin/python3 bench/loop_health_baseline.py --csv exposures.csv [--parquet exposures.parquet]

Reads the Parquet file when pandas has a Parquet engine (pyarrow or fastparquet), else the CSV copy that the Node
script writes (Debian's python3-pandas ships neither engine). The CSV carries ts as epoch microseconds, converted to
datetime64 on read, which is what a Parquet read would give; only the columns the metrics need are parsed.

Metrics per version (versions ordered by their first exposure; catalog = every item ever exposed, K items):
  exposures, items_exposed, coverage = items_exposed / K,
  gini (sorted form over counts padded with zeros to K: sum (2i - K - 1) x_(i) / (K sum x)),
  entropy_norm = H / ln K (natural log), top1/5/10_share, tail_share (head = most exposed items of the earliest
  version covering 80% of its exposures, ties by catalog order), outcome_rate (exposures with a click),
  exploration_share (explored or strategy exploration/holdout), explore_rate, exploit_rate;
per consecutive pair: delta_gini, delta_entropy_norm, delta_coverage, js_divergence (base 2) and the amplification
slope (OLS of share under v+1 on share under v over items exposed in either).
Timings: read_s (file -> DataFrame), compute_s (DataFrame -> metrics), import_s; maxrss_bytes from getrusage.
"""
import time

T0 = time.perf_counter()
import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

T_IMPORTED = time.perf_counter()

COLUMNS = ["ts", "policy_version", "strategy", "item_id", "explored", "click"]


def parquet_engine():
    for name in ("pyarrow", "fastparquet"):
        try:
            __import__(name)
            return name
        except ImportError:
            pass
    return None


def read(args):
    engine = parquet_engine()
    if args.parquet and engine:
        df = pd.read_parquet(args.parquet, columns=COLUMNS, engine=engine)
        for c in ("policy_version", "strategy", "item_id"):
            df[c] = df[c].astype("category")
        return df, {"format": "parquet", "path": args.parquet, "engine": engine}
    if not args.csv:
        sys.exit("no Parquet engine (pyarrow/fastparquet) for pandas and no --csv given")
    df = pd.read_csv(
        args.csv,
        usecols=["ts_us", "policy_version", "strategy", "item_id", "explored", "click"],
        dtype={"ts_us": "int64", "policy_version": "category", "strategy": "category", "item_id": "category",
               "explored": "int8", "click": "int8"},
        engine="c",
    )
    df["ts"] = pd.to_datetime(df.pop("ts_us"), unit="us")
    df["explored"] = df["explored"].astype(bool)
    return df, {"format": "csv", "path": args.csv, "engine": "pandas c parser",
                "why": "no Parquet engine (pyarrow/fastparquet) importable" if args.parquet else "no --parquet given"}


def num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def compute(df):
    explore = df["explored"].to_numpy(bool) | df["strategy"].isin(["exploration", "holdout"]).to_numpy(bool)
    hit = df["click"].to_numpy() > 0

    # Versions in order of their first exposure; the catalog is every item ever exposed.
    first = df.groupby("policy_version", observed=True)["ts"].min().sort_values(kind="stable")
    versions = [str(v) for v in first.index]
    catalog = sorted(str(x) for x in df["item_id"].unique())
    K = len(catalog)

    counts = (
        df.groupby(["policy_version", "item_id"], observed=True).size()
        .unstack(fill_value=0)
        .reindex(index=first.index, columns=catalog, fill_value=0)
    )
    C = counts.to_numpy(dtype=np.float64)  # V x K
    total = C.sum(axis=1)
    exposed = (C > 0).sum(axis=1)

    traffic = (
        pd.DataFrame({"policy_version": df["policy_version"], "explore": explore, "hit": hit})
        .groupby(["policy_version", "explore"], observed=True)["hit"].agg(["size", "sum"])
    )

    xs = np.sort(C, axis=1)
    w = 2.0 * np.arange(1, K + 1) - K - 1
    gini = np.maximum(0.0, (xs * w).sum(axis=1) / (K * total))
    p = C / total[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    H = np.maximum(0.0, -plogp.sum(axis=1))
    entropy_norm = np.minimum(1.0, H / math.log(K)) if K > 1 else np.ones(len(versions))
    desc = xs[:, ::-1]
    top = {k: np.minimum(1.0, desc[:, : min(k, K)].sum(axis=1) / total) for k in (1, 5, 10)}

    # Head: the shortest prefix of the reference (earliest) version's items, most exposed first, covering 80%.
    ref = C[0]
    order = np.lexsort((np.arange(K), -ref))
    target = 0.8 * ref.sum() * (1 - 1e-12)
    is_head = np.zeros(K, dtype=bool)
    cum = 0.0
    for i in order:
        if cum >= target:
            break
        cum += ref[i]
        is_head[i] = True
    tail_share = C[:, ~is_head].sum(axis=1) / total
    # Loopguard breaks ties by its catalog order (the order DISTINCT returns), which this script cannot know: when the
    # last head item ties with the first tail item, tail shares may legitimately differ.
    h = int(is_head.sum())
    boundary_tie = bool(0 < h < K and ref[order[h - 1]] == ref[order[h]])

    out_versions = []
    for j, v in enumerate(versions):
        t = traffic.loc[first.index[j]]
        n_all, h_all = float(t["size"].sum()), float(t["sum"].sum())
        n_exp = float(t.loc[True, "size"]) if True in t.index else 0.0
        h_exp = float(t.loc[True, "sum"]) if True in t.index else 0.0
        n_xpl, h_xpl = n_all - n_exp, h_all - h_exp
        out_versions.append({
            "version": v,
            "exposures": num(total[j]),
            "items_exposed": int(exposed[j]),
            "coverage": num(exposed[j] / K),
            "gini": num(gini[j]),
            "entropy_norm": num(entropy_norm[j]),
            "top1_share": num(top[1][j]),
            "top5_share": num(top[5][j]),
            "top10_share": num(top[10][j]),
            "tail_share": num(tail_share[j]),
            "outcome_rate": num(h_all / n_all) if n_all else None,
            "exploration_share": num(n_exp / n_all),
            "explore_rate": num(h_exp / n_exp) if n_exp else None,
            "exploit_rate": num(h_xpl / n_xpl) if n_xpl else None,
        })

    pairs = []
    for j in range(1, len(versions)):
        a, b = C[j - 1], C[j]
        pa, pb = a / a.sum(), b / b.sum()
        m = 0.5 * (pa + pb)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 0.5 * np.where(pa > 0, pa * np.log(pa / m), 0.0).sum() + 0.5 * np.where(pb > 0, pb * np.log(pb / m), 0.0).sum()
        js = min(math.log(2), max(0.0, d)) / math.log(2)
        mask = (a > 0) | (b > 0)
        x, y = pa[mask], pb[mask]
        slope = None
        if len(x) >= 3 and len(np.unique(x)) > 1:
            dx = x - x.mean()
            slope = num((dx * (y - y.mean())).sum() / (dx * dx).sum())
        pairs.append({
            "previous": versions[j - 1],
            "version": versions[j],
            "delta_gini": num(gini[j] - gini[j - 1]),
            "delta_entropy_norm": num(entropy_norm[j] - entropy_norm[j - 1]),
            "delta_coverage": num((exposed[j] - exposed[j - 1]) / K),
            "js_divergence": num(js),
            "amplification_slope": slope,
        })
    return {"catalog_size": K, "head_items": h, "head_boundary_tie": boundary_tie, "versions_of": "first exposure",
            "versions": out_versions, "pairs": pairs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--csv")
    ap.add_argument("--parquet")
    args = ap.parse_args()
    t = time.perf_counter()
    df, source = read(args)
    t_read = time.perf_counter()
    result = compute(df)
    t_done = time.perf_counter()
    result.update({
        "input": {**source, "rows": int(len(df))},
        "timings": {"import_s": T_IMPORTED - T0, "read_s": t_read - t, "compute_s": t_done - t_read, "total_s": t_done - t},
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "versions_python": {"python": sys.version.split()[0], "pandas": pd.__version__, "numpy": np.__version__},
    })
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
