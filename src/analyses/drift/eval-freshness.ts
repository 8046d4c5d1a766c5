/**
 * Eval-set freshness: does an offline eval set still look like the traffic the model serves?
 *
 * 1. Per-column drift between the eval set (reference) and the project's recent decisions (current), as `drift`.
 * 2. Coverage: the share of recent traffic in regions the eval set covers poorly or not at all. Regions are the values
 *    of each categorical column, decile bins of recent traffic for each numeric column, and the cells of the segment
 *    columns crossed. A region is uncovered when the eval set has no row in it, under-covered when its eval share is
 *    below coverage_ratio (0.25) times its traffic share.
 * 3. Staleness over time: per day (or week) of the project's history, the mean over columns of the Jensen-Shannon
 *    distance (base 2, in [0, 1]) between the eval set and that window's traffic (numeric columns over the eval set's
 *    decile bins), with its least-squares trend.
 * 4. Optionally a stratified sample of recent traffic (proportional allocation over the segment cells, largest
 *    remainders, at least one row per cell while rows last) written to a file, to refresh the eval set.
 * Reference: Cochran (1977), "Sampling Techniques", 3rd ed., ch. 5 (stratified sampling, proportional allocation);
 * Lin (1991) for the Jensen-Shannon divergence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { sameFile } from '../../paths.js';
import { checkThresholds } from '../options.js';
import { jensenShannonDistance } from '../../stats/jensen-shannon.js';
import { olsSlope } from '../../stats/ols.js';
import { binCounts, quantileBinEdges } from '../../stats/psi.js';
import { lit, type Queryable } from '../sql.js';
import type { Result } from '../result.js';
import { commonColumns, drift, reconcileKinds, type DriftSource } from './analyze.js';
import { fmt } from './compare.js';
import { asCategorical, fetchGroupedProfiles, fetchProfile, qi, type ColumnInfo, type Profile } from './profile.js';
import { parseDuration } from './profile-decay.js';
import { loadRows } from './request.js';
import { attributeColumns, countRows, loadFile, parseTime, windowRelation } from './sources.js';

export interface EvalFreshnessOptions {
  project: string;
  eval: { file?: string; rows?: Array<Record<string, unknown>> };
  /** Recent traffic: a duration before `until` (default 7d). */
  window?: string;
  /** End of the recent window (exclusive); default just after the project's latest decision. */
  until?: string;
  columns?: string[];
  /** Columns whose value combinations are coverage cells (default: up to two categorical columns). */
  segments?: string[];
  stalenessWindow?: 'day' | 'week';
  thresholds?: Record<string, number>;
  suggest?: { n: number; file: string; seed?: number };
}

const DEFAULTS = { uncovered_share: 0.05, coverage_ratio: 0.25, staleness: 0.1 };

interface Cell {
  key: string;
  traffic: number;
  eval: number;
}

/** Coverage of one region family: cells with their traffic and eval counts. */
function coverage(cells: Cell[], ratio: number) {
  const T = cells.reduce((s, c) => s + c.traffic, 0), E = cells.reduce((s, c) => s + c.eval, 0);
  let uncovered = 0, under = 0;
  const worst: Array<Cell & { share: number }> = [];
  for (const c of cells) {
    if (!c.traffic) continue;
    const share = c.traffic / T;
    if (c.eval === 0) (uncovered += share), worst.push({ ...c, share });
    else if (E > 0 && c.eval / E < ratio * share) (under += share), worst.push({ ...c, share });
  }
  worst.sort((a, b) => b.share - a.share);
  return { uncovered, under, worst: worst.slice(0, 5), total: T };
}

function numericCells(traffic: Profile, ev: Profile): Cell[] {
  if (traffic.kind !== 'numeric' || ev.kind !== 'numeric' || traffic.n === 0) return [];
  const edges = quantileBinEdges(traffic.sample, 10);
  const t = binCounts(traffic.sample, edges);
  const e = ev.n ? binCounts(ev.sample, edges) : new Float64Array(edges.length + 1);
  return Array.from(t, (x, i) => ({
    key: `${i === 0 ? '(-inf' : `(${fmt(edges[i - 1]!)}`}, ${i === edges.length ? 'inf)' : `${fmt(edges[i]!)}]`}`,
    traffic: x,
    eval: e[i]!,
  }));
}

function categoricalCells(traffic: Profile, ev: Profile): Cell[] {
  const t = asCategorical(traffic), e = asCategorical(ev);
  return [...t.counts.entries()].map(([k, x]) => ({ key: k, traffic: x, eval: e.counts.get(k) ?? 0 }));
}

/** JS distance (base 2) between the eval profile and a window's profile of one column. */
function columnDistance(ev: Profile, win: Profile): number | null {
  if (ev.n === 0 || win.n === 0) return null;
  if (ev.kind === 'numeric' && win.kind === 'numeric') {
    const edges = quantileBinEdges(ev.sample, 10);
    return jensenShannonDistance(binCounts(ev.sample, edges), binCounts(win.sample, edges), { base: 2 });
  }
  const a = asCategorical(ev), b = asCategorical(win);
  const keys = [...new Set([...a.counts.keys(), ...b.counts.keys()])];
  return jensenShannonDistance(keys.map((k) => a.counts.get(k) ?? 0), keys.map((k) => b.counts.get(k) ?? 0), { base: 2 });
}

export async function evalFreshness(db: Queryable, o: EvalFreshnessOptions): Promise<Result> {
  const t = { ...DEFAULTS, ...(o.thresholds ?? {}) };
  for (const [k, v] of Object.entries(o.thresholds ?? {})) {
    checkThresholds({ [k]: v }, DEFAULTS);
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new UserError(`threshold ${k} must be a number from 0 to 1 (got ${JSON.stringify(v)})`);
  }
  const span = parseDuration('window', o.window ?? '7d');
  if (o.suggest) {
    if (o.suggest.seed !== undefined && !Number.isSafeInteger(o.suggest.seed)) throw new UserError(`--seed must be a whole number (got '${o.suggest.seed}')`);
    if (o.eval.file && sameFile(o.eval.file, o.suggest.file))
      throw new UserError(`--suggest ${o.suggest.file} is the eval set itself (--eval ${o.eval.file}); writing the sample there would overwrite it, so choose another file`);
  }
  const table = `lg_eval_${process.pid}_${Date.now().toString(36)}`;
  const files: string[] = [];
  const evalSource: DriftSource = o.eval.file ? await loadFile(db, o.eval.file, table, '--eval') : await loadRows(db, o.eval.rows ?? [], table, 'eval rows', { files });
  try {
    let untilSql: string;
    if (o.until) untilSql = parseTime('until', o.until);
    else {
      const r = await db.query(`SELECT CAST(max(ts) + INTERVAL 1 MICROSECOND AS VARCHAR) AS t FROM decisions WHERE project = ?`, [o.project]);
      if (r[0]?.t === null || r[0]?.t === undefined) throw new UserError(`project ${o.project} has no decisions; eval freshness compares the eval set with logged traffic`);
      untilSql = String(r[0].t);
    }
    const startSql = String((await db.query(`SELECT CAST(CAST(? AS TIMESTAMP) - to_seconds(CAST(? AS BIGINT)) AS VARCHAR) AS t`, [untilSql, Math.round(span)]))[0]!.t);
    const range = { start: startSql, end: untilSql };
    if ((await countRows(db, windowRelation(o.project, range, [], o.project))) === 0) {
      if ((await countRows(db, windowRelation(o.project, null, [], o.project))) === 0)
        throw new UserError(`project ${o.project} has no decisions; check the project name (eval freshness compares the eval set with logged traffic)`);
      throw new UserError(`project ${o.project} has no decisions in the recent window [${range.start.slice(0, 19)}, ${range.end.slice(0, 19)}) (--window ${o.window ?? '7d'} before ${o.until ? `--until ${o.until}` : 'the latest decision'}); choose a later --until or a longer --window`);
    }
    const attrs = await attributeColumns(db, o.project, range);
    const recent: DriftSource = { relation: windowRelation(o.project, range, attrs.columns, `${o.project} last ${o.window ?? '7d'}`), ...attrs };
    const shared = commonColumns(evalSource, recent, o.columns).columns;
    const columns = shared.length ? await reconcileKinds(db, evalSource, recent, shared, ['eval set', 'recent traffic']) : shared;
    if (!columns.length)
      throw new UserError(`the eval set and the decisions' attributes share no column (eval: ${evalSource.columns.map((c) => c.name).join(', ')}; attributes: ${attrs.columns.map((c) => c.name).join(', ') || 'none'})`);
    const colNames = columns.map((c) => c.name);

    // 1. Per-column drift.
    const result = await drift(db, { reference: evalSource, current: recent, columns: colNames, domainClassifier: false });
    result.analysis = 'eval_freshness';
    Object.assign(result.inputs, { project: o.project, eval: o.eval.file ?? 'rows', window: o.window ?? '7d', recent_from: range.start, recent_until: range.end });

    // 2. Coverage per column, then of the segment cells.
    const profiles = new Map<string, [Profile, Profile]>();
    for (const c of columns) profiles.set(c.name, [await fetchProfile(db, evalSource.relation, c), await fetchProfile(db, recent.relation, c)]);
    let worstUncovered = 0;
    const report = (region: string, cells: Cell[]) => {
      const cov = coverage(cells, t.coverage_ratio);
      if (!cov.total) return;
      worstUncovered = Math.max(worstUncovered, cov.uncovered);
      result.metrics.push(
        { name: 'uncovered_traffic_share', value: cov.uncovered, n: cov.total, group: { region } },
        { name: 'undercovered_traffic_share', value: cov.under, n: cov.total, group: { region } },
      );
      for (const w of cov.worst) result.metrics.push({ name: 'region_traffic_share', value: w.share, n: w.traffic, group: { region, value: w.key, eval_rows: String(w.eval) } });
    };
    for (const c of columns) {
      const [ev, tr] = profiles.get(c.name)!;
      report(c.name, c.kind === 'numeric' && tr.kind === 'numeric' && tr.sample.values.length > 10 ? numericCells(tr, ev) : categoricalCells(tr, ev));
    }
    const segments = o.segments ?? columns.filter((c) => c.kind === 'categorical').slice(0, 2).map((c) => c.name);
    for (const s of segments) if (!colNames.includes(s)) throw new UserError(`segment ${s} is not a column of both the eval set and the decisions' attributes`);
    if (segments.length >= 2) {
      const key = segments.map((s) => `coalesce(CAST(${qi(s)} AS VARCHAR), '(missing)')`).join(` || ' | ' || `);
      const count = async (from: string, params: readonly unknown[]) =>
        new Map((await db.query(`SELECT ${key} AS k, count(*) AS n FROM ${from} GROUP BY 1`, params)).map((r) => [String(r.k), Number(r.n)]));
      const [te, tt] = [await count(evalSource.relation.from, evalSource.relation.params), await count(recent.relation.from, recent.relation.params)];
      report(segments.join(' x '), [...tt.entries()].map(([k, x]) => ({ key: k, traffic: x, eval: te.get(k) ?? 0 })));
    }
    result.verdicts.push({
      check: 'eval_coverage',
      status: worstUncovered >= t.uncovered_share ? 'fail' : 'ok',
      value: worstUncovered,
      threshold: t.uncovered_share,
      message:
        worstUncovered >= t.uncovered_share
          ? `${fmt(100 * worstUncovered)}% of recent traffic falls in regions the eval set has no example of: offline scores say nothing about it; add such rows to the eval set (--suggest writes a sample).`
          : `Every region of recent traffic has eval examples (the largest uncovered share is ${fmt(100 * worstUncovered)}%).`,
    });

    // 3. Staleness per day or week over the project's history.
    const sw = o.stalenessWindow ?? 'day';
    // The columns as compared (eval set and recent traffic decide the kind): an older decision whose numeric attribute
    // is not a number counts as missing in its window, instead of failing the cast.
    const history = windowRelation(o.project, null, columns, `${o.project} decisions`);
    const bucket = sw === 'day' ? db.dialect.day('lg_ts') : db.dialect.week('lg_ts');
    const perWindow = new Map<string, number[]>();
    for (const c of columns) {
      const ev = profiles.get(c.name)![0];
      const grouped = await fetchGroupedProfiles(db, history, c, bucket);
      for (const [w, p] of grouped) {
        const d = columnDistance(ev, p);
        if (d !== null) perWindow.set(w, [...(perWindow.get(w) ?? []), d]);
      }
    }
    const windows = [...perWindow.keys()].sort();
    const scores = windows.map((w) => perWindow.get(w)!.reduce((a, b) => a + b, 0) / perWindow.get(w)!.length);
    windows.forEach((w, i) => result.metrics.push({ name: 'staleness', value: scores[i]!, n: perWindow.get(w)!.length, group: { [sw]: w } }));
    if (windows.length >= 3) {
      const fit = olsSlope(windows.map((_, i) => i), scores);
      result.metrics.push({ name: 'staleness_slope', value: fit.slope, ci: fit.ci, n: windows.length, unit: `per ${sw}` });
    }
    if (windows.length) {
      const last = scores[scores.length - 1]!;
      result.verdicts.push({
        check: 'staleness',
        status: last >= t.staleness ? 'fail' : 'ok',
        value: last,
        threshold: t.staleness,
        group: { [sw]: windows[windows.length - 1]! },
        message:
          last >= t.staleness
            ? `The eval set is stale: the latest ${sw}'s traffic is at mean Jensen-Shannon distance ${fmt(last)} >= ${fmt(t.staleness)} from it; refresh it with recent traffic.`
            : `The eval set still resembles the latest ${sw}'s traffic (mean Jensen-Shannon distance ${fmt(last)} < ${fmt(t.staleness)}).`,
      });
    }

    // 4. A stratified sample of recent traffic.
    if (o.suggest) await suggest(db, recent, columns, segments, o.suggest, result);
    return result;
  } finally {
    await db.query(`DROP VIEW IF EXISTS ${qi(table)}`).catch(() => undefined);
    await db.query(`DROP TABLE IF EXISTS ${qi(table)}`).catch(() => undefined);
    for (const f of files) fs.rmSync(f, { force: true });
  }
}

async function suggest(db: Queryable, recent: DriftSource, columns: ColumnInfo[], segments: string[], s: { n: number; file: string; seed?: number }, result: Result): Promise<void> {
  if (!Number.isInteger(s.n) || s.n < 1) throw new UserError(`--suggest needs a whole number of rows of at least 1 (got ${s.n})`);
  const seed = Math.trunc(s.seed ?? 0);
  const key = segments.length ? segments.map((x) => `coalesce(CAST(${qi(x)} AS VARCHAR), '(missing)')`).join(` || ' | ' || `) : `'all'`;
  const strata = (await db.query(`SELECT ${key} AS k, count(*) AS n FROM ${recent.relation.from} GROUP BY 1 ORDER BY 2 DESC, 1`, recent.relation.params)).map((r) => ({ k: String(r.k), n: Number(r.n) }));
  const total = strata.reduce((a, b) => a + b.n, 0);
  const n = Math.min(s.n, total);
  // Proportional allocation by largest remainders, then at least one per stratum while rows last.
  const quota = strata.map((x) => (n * x.n) / total);
  const alloc = quota.map(Math.floor);
  let left = n - alloc.reduce((a, b) => a + b, 0);
  for (const i of quota.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i)) {
    if (left <= 0) break;
    alloc[i]!++;
    left--;
  }
  for (let i = 0; i < strata.length; i++)
    if (alloc[i] === 0) {
      const donor = alloc.indexOf(Math.max(...alloc));
      if (alloc[donor]! > 1) (alloc[donor]!--, (alloc[i] = 1));
    }
  const cols = ['lg_event_id AS event_id', 'lg_ts AS ts', 'lg_user_id AS user_id', ...columns.map((c) => qi(c.name))].join(', ');
  const parts: string[] = [];
  const params: unknown[] = [];
  strata.forEach((x, i) => {
    if (!alloc[i]) return;
    parts.push(`(SELECT ${cols} FROM ${recent.relation.from} WHERE ${key} = ${lit(x.k)} ORDER BY hash(concat(lg_event_id, ':', ${seed})) LIMIT ${alloc[i]})`);
    params.push(...recent.relation.params);
  });
  const file = path.resolve(s.file);
  const lower = file.toLowerCase();
  const format = /\.(parquet|pq)$/.test(lower) ? '(FORMAT parquet)' : /\.(jsonl|ndjson|json)$/.test(lower) ? '(FORMAT json)' : '(FORMAT csv, HEADER true)';
  try {
    await db.query(`COPY (${parts.join(' UNION ALL ')}) TO ${lit(file)} ${format}`, params);
  } catch (err) {
    throw new UserError(`--suggest ${s.file}: could not write the sample: ${(err as Error).message.split('\n')[0]}`);
  }
  result.metrics.push({ name: 'suggested_rows', value: n, n: strata.length });
  result.inputs.suggested_file = file;
}
