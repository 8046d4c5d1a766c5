/**
 * Time series and exposure curves for the dashboard, computed from the exposure rollup (./rollup.ts) without another
 * scan of the store. Definitions match loop health (src/analyses/loop-health): Gini and normalized entropy over the
 * catalog (never-exposed items count as zeros), coverage = items exposed / catalog, exploration share = exposures of
 * exploration or holdout traffic / all exposures, outcome rates with Wilson score intervals (Wilson 1927, "Probable
 * inference, the law of succession, and statistical inference", JASA 22(158)).
 */
import { entropyNorm, gini, lorenzCurve, wilsonInterval } from '../../stats/index.js';
import { UserError } from '../../errors.js';
import type { Group, Metric, Result } from '../result.js';
import type { Rollup } from './rollup.js';

export interface SeriesFilter {
  /** First day included, YYYY-MM-DD. */
  since?: string;
  /** First day excluded, YYYY-MM-DD. */
  until?: string;
  /** Policy versions to keep; all when absent or empty. */
  versions?: string[];
  window?: 'day' | 'week';
  confidence?: number;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A day filter: YYYY-MM-DD and a real date (2026-02-30 is not; Date.parse rolls it over to March), else a UserError. */
export function checkDay(name: string, d: string | undefined): void {
  if (d === undefined) return;
  const t = DAY_RE.test(d) ? Date.parse(`${d}T00:00:00Z`) : NaN;
  if (!(Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d))
    throw new UserError(`${name} must be a day such as 2026-01-02 (got '${d.slice(0, 40)}')`);
}

/** The Monday (YYYY-MM-DD) starting the ISO week of a day. */
export function weekOf(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  const dow = (new Date(t).getUTCDay() + 6) % 7;
  return new Date(t - dow * 86400_000).toISOString().slice(0, 10);
}

/** Which rollup rows a filter keeps: a mask over days and over versions. */
function masks(r: Rollup, f: SeriesFilter): { dayOk: Uint8Array; versionOk: Uint8Array } {
  checkDay('since', f.since);
  checkDay('until', f.until);
  const unknown = (f.versions ?? []).filter((v) => !r.versions.includes(v));
  if (unknown.length) throw new UserError(`unknown policy version${unknown.length > 1 ? 's' : ''} ${unknown.map((v) => `'${v}'`).join(', ')}; this project has ${r.versions.join(', ') || 'none'}`);
  const dayOk = new Uint8Array(r.days.length);
  r.days.forEach((d, i) => (dayOk[i] = (f.since === undefined || d >= f.since) && (f.until === undefined || d < f.until) ? 1 : 0));
  const keep = new Set(f.versions?.length ? f.versions : r.versions);
  const versionOk = new Uint8Array(r.versions.length);
  r.versions.forEach((v, i) => (versionOk[i] = keep.has(v) ? 1 : 0));
  return { dayOk, versionOk };
}

interface Acc {
  counts: Map<number, number>;
  exposures: number;
  hits: number;
  exploreN: number;
  exploreHits: number;
}

const newAcc = (): Acc => ({ counts: new Map(), exposures: 0, hits: 0, exploreN: 0, exploreHits: 0 });

function add(acc: Acc, r: Rollup, i: number): void {
  const n = r.exposures[i]!, h = r.hits[i]!;
  acc.counts.set(r.item[i]!, (acc.counts.get(r.item[i]!) ?? 0) + n);
  acc.exposures += n;
  acc.hits += h;
  if (r.explore[i]) (acc.exploreN += n), (acc.exploreHits += h);
}

/**
 * Per window (day or ISO week) and policy version: exposures, items_exposed, coverage, gini, entropy_norm,
 * exploration_share, outcome_rate, explore_rate and exploit_rate (rates with Wilson intervals); and the same per window
 * over every chosen version pooled (group `{day}` or `{week}` alone).
 */
export function loopSeries(r: Rollup, f: SeriesFilter = {}): Result {
  const { dayOk, versionOk } = masks(r, f);
  const window = f.window ?? 'day';
  const confidence = f.confidence ?? 0.95;
  const windowOfDay = r.days.map((d) => (window === 'week' ? weekOf(d) : d));
  const windows = [...new Set(windowOfDay.filter((_, i) => dayOk[i]))];
  const windowIndex = new Map(windows.map((w, i) => [w, i]));
  const V = r.versions.length;
  const accs = new Map<number, Acc>();
  for (let i = 0; i < r.day.length; i++) {
    const d = r.day[i]!, v = r.version[i]!;
    if (!dayOk[d] || !versionOk[v]) continue;
    const w = windowIndex.get(windowOfDay[d]!)!;
    for (const key of [w * (V + 1) + v, w * (V + 1) + V]) {
      let acc = accs.get(key);
      if (!acc) accs.set(key, (acc = newAcc()));
      add(acc, r, i);
    }
  }
  const K = r.catalogSize;
  const metrics: Metric[] = [];
  const ci = (s: number, n: number): Partial<Metric> => {
    if (n === 0) return { n };
    const w = wilsonInterval(s, n, confidence);
    return { ci: [w.lower, w.upper], n };
  };
  for (const key of [...accs.keys()].sort((a, b) => a - b)) {
    const acc = accs.get(key)!;
    // key % (V + 1) === V: every chosen version pooled (group without policy_version).
    const w = windows[Math.floor(key / (V + 1))]!, v = key % (V + 1);
    const group: Group = v === V ? { [window]: w } : { [window]: w, policy_version: r.versions[v]! };
    const counts = Float64Array.from(acc.counts.values());
    const m = (name: string, value: number | null, extra: Partial<Metric> = {}) =>
      metrics.push({ name, value: value !== null && Number.isFinite(value) ? value : null, group, ...extra });
    m('exposures', acc.exposures, { n: acc.exposures });
    m('items_exposed', acc.counts.size);
    m('coverage', acc.counts.size / K, { n: K });
    m('gini', gini(counts, K), { n: acc.exposures });
    m('entropy_norm', entropyNorm(counts, K), { n: acc.exposures });
    m('exploration_share', acc.exploreN / acc.exposures, { n: acc.exposures });
    m('outcome_rate', acc.hits / acc.exposures, ci(acc.hits, acc.exposures));
    if (acc.exploreN > 0) m('explore_rate', acc.exploreHits / acc.exploreN, ci(acc.exploreHits, acc.exploreN));
    const exploitN = acc.exposures - acc.exploreN;
    if (exploitN > 0) m('exploit_rate', (acc.hits - acc.exploreHits) / exploitN, ci(acc.hits - acc.exploreHits, exploitN));
  }
  return {
    analysis: 'loop_series',
    inputs: {
      project: r.project, window, since: f.since, until: f.until, policy_versions: f.versions?.length ? f.versions : 'all',
      catalog_size: K, catalog_source: r.catalogSource, rollup_computed_at: r.computedAt,
    },
    metrics,
    verdicts: [],
  };
}

export interface LorenzSeries {
  policy_version: string;
  exposures: number;
  gini: number;
  /** Cumulative share of items (ascending exposure) and of exposures, at most `points` + 1 points. */
  x: number[];
  y: number[];
}

/**
 * Lorenz curve of item exposure per policy version over the filter's days. Curves over large catalogs are sampled at
 * evenly spaced item ranks; the curve is piecewise linear between ranks, so the sampled points lie on it exactly.
 */
export function exposureLorenz(r: Rollup, f: SeriesFilter = {}, points = 200): { catalog_size: number; curves: LorenzSeries[]; pooled?: LorenzSeries } {
  const { dayOk, versionOk } = masks(r, f);
  const accs = new Map<number, Acc>();
  const all = newAcc();
  for (let i = 0; i < r.day.length; i++) {
    const d = r.day[i]!, v = r.version[i]!;
    if (!dayOk[d] || !versionOk[v]) continue;
    let acc = accs.get(v);
    if (!acc) accs.set(v, (acc = newAcc()));
    add(acc, r, i);
    add(all, r, i);
  }
  const K = r.catalogSize;
  const curveOf = (name: string, acc: Acc): LorenzSeries => {
    const counts = Float64Array.from(acc.counts.values());
    const curve = lorenzCurve(counts, K);
    const n = curve.x.length - 1;
    const step = Math.max(1, Math.ceil(n / points));
    const x: number[] = [], y: number[] = [];
    for (let i = 0; i <= n; i += step) x.push(curve.x[i]!), y.push(curve.y[i]!);
    if (x[x.length - 1] !== curve.x[n]) x.push(curve.x[n]!), y.push(curve.y[n]!);
    return { policy_version: name, exposures: acc.exposures, gini: gini(counts, K), x, y };
  };
  const curves = [...accs.keys()].sort((a, b) => a - b).map((v) => curveOf(r.versions[v]!, accs.get(v)!));
  // Every chosen version pooled: the curve to draw when there are too many versions to tell apart.
  return { catalog_size: K, curves, ...(curves.length > 1 ? { pooled: curveOf('all versions', all) } : {}) };
}
