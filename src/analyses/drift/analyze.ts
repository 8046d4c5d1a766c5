/**
 * Drift between a reference and a current data set (two files, two store windows, or a file against a window), and
 * windowed monitoring of a project's decision attributes.
 *
 * The engine returns one aggregate per column and side (distinct values with counts, or counts per category); the
 * statistics are computed here over those (see compare.ts and rule.ts). Data-set drift is the share of drifted columns
 * and, as a multivariate signal, a domain classifier's AUC against a permutation baseline (domain-classifier.ts).
 */
import { UserError } from '../../errors.js';
import type { Metric, Result, Verdict } from '../result.js';
import type { Queryable } from '../sql.js';
import { compareColumn, fmt, type ColumnComparison } from './compare.js';
import { domainClassifier, type DomainClassifierOptions } from './domain-classifier.js';
import { fetchGroupedProfiles, fetchProfile, qi, type ColumnInfo, type Profile, type Relation } from './profile.js';
import { DEFAULT_DRIFT_THRESHOLDS, minPermutations, resolveThresholds, type DriftThresholds } from './rule.js';
import { countRows } from './sources.js';

/** A data set to compare: its relation and columns (from loadFile, or attributeColumns + windowRelation). */
export interface DriftSource {
  relation: Relation;
  columns: ColumnInfo[];
  skipped?: Record<string, string>;
  /** Rows of the relation, when known (counted otherwise). */
  rows?: number;
}

/** The columns of a side for a message: compared ones, then those left out with the reason. */
function describeColumns(src: DriftSource): string {
  const names = src.columns.map((c) => c.name);
  const left = Object.entries(src.skipped ?? {}).map(([k, v]) => `${k} (${v})`);
  return [...names, ...left].join(', ') || 'no columns';
}

/** Refuses a comparison with nothing to compare (a usage error, not an 'all ok'). */
export function requireColumns(ref: DriftSource, cur: DriftSource, columns: readonly ColumnInfo[]): void {
  if (!columns.length)
    throw new UserError(
      `no column shared by the reference and the current data: the reference ${ref.relation.label} has ${describeColumns(ref)}; the current ${cur.relation.label} has ${describeColumns(cur)}`,
    );
}

/** Refuses a comparison whose every shared column was left out as an identifier. */
function requireCompared(columns: readonly ColumnInfo[], compared: number): void {
  if (compared === 0 && columns.length)
    throw new UserError(`no column left to compare: ${columns.map((c) => c.name).join(', ')} ${columns.length > 1 ? 'look' : 'looks'} like identifiers (nearly every value distinct); name ${columns.length > 1 ? 'them' : 'it'} in --columns to compare ${columns.length > 1 ? 'them' : 'it'}`);
}

export interface DriftOptions {
  reference: DriftSource;
  current: DriftSource;
  /** Compare only these columns (each must exist on both sides). Default: every column both sides have. */
  columns?: string[];
  /** Test per column name, or '*' for every column (see rule.ts). */
  tests?: Record<string, string>;
  thresholds?: Partial<Record<string, number>>;
  /** Threshold per column, for whichever test it uses. */
  columnThresholds?: Record<string, number>;
  /** false to skip the domain classifier. */
  domainClassifier?: false | DomainClassifierOptions;
  /** Extra inputs to report (e.g. the project and windows). */
  inputs?: Record<string, unknown>;
}

/** The columns both sides share (numeric only when numeric on both), in the reference's order. */
export function commonColumns(ref: DriftSource, cur: DriftSource, requested?: string[]): { columns: ColumnInfo[]; skipped: Record<string, string> } {
  const curMap = new Map(cur.columns.map((c) => [c.name, c]));
  const refMap = new Map(ref.columns.map((c) => [c.name, c]));
  const skipped: Record<string, string> = {};
  const merge = (r: ColumnInfo, c: ColumnInfo): ColumnInfo => ({ name: r.name, kind: r.kind === 'numeric' && c.kind === 'numeric' ? 'numeric' : 'categorical' });
  if (requested?.length) {
    return {
      columns: requested.map((name) => {
        const r = refMap.get(name), c = curMap.get(name);
        const why = (src: DriftSource) => src.skipped?.[name] ?? `there is no such column; columns are ${src.columns.map((x) => x.name).join(', ') || '(none)'}`;
        if (!r) throw new UserError(`column ${name} cannot be compared in the reference ${ref.relation.label}: ${why(ref)}`);
        if (!c) throw new UserError(`column ${name} cannot be compared in the current ${cur.relation.label}: ${why(cur)}`);
        return merge(r, c);
      }),
      skipped,
    };
  }
  const columns: ColumnInfo[] = [];
  for (const r of ref.columns) {
    const c = curMap.get(r.name);
    if (c) columns.push(merge(r, c));
    else skipped[r.name] = `only in the reference`;
  }
  for (const c of cur.columns) if (!refMap.has(c.name)) skipped[c.name] = `only in the current data`;
  for (const [k, v] of Object.entries({ ...(ref.skipped ?? {}), ...(cur.skipped ?? {}) })) skipped[k] ??= v;
  return { columns, skipped };
}

/** The first value of a text column that does not read as a number, with the row that holds it. */
async function firstNonNumber(db: Queryable, rel: Relation, column: string): Promise<{ row: string; value: string } | null> {
  if (!rel.row) {
    // a relation that names no rows: the value alone
    const r = await db.query(`SELECT v FROM (SELECT CAST(${qi(column)} AS VARCHAR) AS v FROM ${rel.from}) AS lg_text WHERE v IS NOT NULL AND TRY_CAST(v AS DOUBLE) IS NULL LIMIT 1`, rel.params);
    return r.length ? { row: 'a row', value: String(r[0]!.v) } : null;
  }
  const row = rel.row;
  const r = await db.query(
    `SELECT CAST(lg_k AS VARCHAR) AS k, v FROM (SELECT ${row.id} AS lg_k, ${row.order === 'lg_k' ? '' : `${row.order.split(',').map((x, i) => `${x} AS lg_o${i}`).join(', ')}, `}CAST(${qi(column)} AS VARCHAR) AS v FROM ${rel.from}) AS lg_text
      WHERE v IS NOT NULL AND TRY_CAST(v AS DOUBLE) IS NULL ORDER BY ${row.order === 'lg_k' ? 'lg_k' : row.order.split(',').map((_, i) => `lg_o${i}`).join(', ')} LIMIT 1`,
    rel.params,
  );
  return r.length ? { row: `${row.noun} ${String(r[0]!.k)}`, value: String(r[0]!.v) } : null;
}

/**
 * Columns numeric on one side and text on the other (one stray value turns a CSV column into text): when every text
 * value reads as a number (quoted numbers in JSON, say) the column is compared as numbers; otherwise the first value
 * that does not is bad input, named with its side, row and column. The type is never switched to categorical silently.
 */
export async function reconcileKinds(db: Queryable, ref: DriftSource, cur: DriftSource, columns: readonly ColumnInfo[], words: [string, string] = ['reference', 'current']): Promise<ColumnInfo[]> {
  const refKind = new Map(ref.columns.map((c) => [c.name, c.kind])), curKind = new Map(cur.columns.map((c) => [c.name, c.kind]));
  const out: ColumnInfo[] = [];
  for (const col of columns) {
    const rk = refKind.get(col.name), ck = curKind.get(col.name);
    if (!rk || !ck || rk === ck) {
      out.push(col);
      continue;
    }
    const [text, word, other] = rk === 'categorical' ? [ref, words[0], words[1]] : [cur, words[1], words[0]];
    const bad = await firstNonNumber(db, text.relation, col.name);
    if (bad) {
      const v = bad.value.length > 40 ? `${bad.value.slice(0, 40)}...` : bad.value;
      throw new UserError(`${word} ${text.relation.label}, ${bad.row}, column ${col.name}: '${v}' is not a number, but ${col.name} is numeric in the ${other} data; correct the value or leave it empty (empty values count as missing)`);
    }
    out.push({ name: col.name, kind: 'numeric' });
  }
  return out;
}

/**
 * Refuses per-column settings that name no compared column (they would be ignored silently): a test (other than
 * '*', every column) or a threshold whose name is neither a known threshold nor a column.
 */
export function checkColumnSettings(columns: readonly ColumnInfo[], tests: Readonly<Record<string, string>> | undefined, columnThresholds: Readonly<Record<string, number>> | undefined): void {
  const names = new Set(columns.map((c) => c.name));
  const list = columns.map((c) => c.name).join(', ') || '(none)';
  for (const c of Object.keys(tests ?? {}))
    if (c !== '*' && !names.has(c)) throw new UserError(`test for '${c}': no such column is compared; columns: ${list}`);
  for (const c of Object.keys(columnThresholds ?? {}))
    if (!names.has(c))
      throw new UserError(`unknown threshold '${c}': neither a threshold (${Object.keys(DEFAULT_DRIFT_THRESHOLDS).join(', ')}) nor a compared column (${list})`);
}

/** Share of a text column's values that must read as numbers for numberLikeText to warn. */
const NUMBER_LIKE_SHARE = 0.9;

/**
 * A column text on both sides whose values nearly all read as numbers (at least NUMBER_LIKE_SHARE of them, with more
 * distinct numbers than max_categories): a few stray values ('N/A', '-') made a numeric column text, and it is compared
 * as categories, where a shift of its values is only a change of labels. A warning naming the share and a stray value.
 */
function numberLikeText(column: string, ref: Profile, cur: Profile, maxCategories: number): Verdict | null {
  if (ref.kind !== 'categorical' || cur.kind !== 'categorical') return null;
  let numbers = 0, total = 0, stray: string | null = null;
  const distinct = new Set<number>();
  for (const p of [ref, cur])
    for (const [value, count] of p.counts) {
      total += count;
      const x = value.trim() === '' ? NaN : Number(value);
      if (Number.isFinite(x)) (numbers += count), distinct.add(x);
      else stray ??= value;
    }
  if (stray === null || total === 0 || numbers < NUMBER_LIKE_SHARE * total || distinct.size <= maxCategories) return null;
  const share = numbers / total;
  const shown = stray.length > 40 ? `${stray.slice(0, 40)}...` : stray;
  return {
    check: 'column_type', status: 'warn', value: share, threshold: NUMBER_LIKE_SHARE, group: { column },
    message: `Column ${column} is text on both sides, but ${fmt(100 * share)}% of its values read as numbers (others, such as '${shown}', made it text), so it was compared as categories, where a shift of its values is only a change of labels; correct those values or leave them empty (empty counts as missing) to compare it as numbers.`,
  };
}

/** An identifier-like text column: nearly every value distinct. Left out unless asked for by name. */
function looksLikeId(p: Profile): boolean {
  return p.kind === 'categorical' && p.counts.size > 100 && p.counts.size > 0.5 * p.n;
}

function testsInput(comparisons: ColumnComparison[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of comparisons)
    if (c.choice) out[c.column] = { type: c.type, test: c.choice.test, threshold: c.choice.threshold, why: c.choice.reason };
  return out;
}

function datasetVerdict(drifted: number, judged: number, t: DriftThresholds, group?: Record<string, string>): Verdict {
  const share = judged ? drifted / judged : 0;
  const fail = judged > 0 && share >= t.drift_share;
  return {
    check: 'dataset_drift',
    status: judged === 0 ? 'unknown' : fail ? 'fail' : 'ok',
    value: judged ? share : null,
    threshold: t.drift_share,
    ...(group ? { group } : {}),
    message:
      judged === 0
        ? 'No column could be compared, so data-set drift is unknown; check that both sides share columns with values.'
        : fail
          ? `${drifted} of ${judged} columns drifted (${fmt(100 * share)}% >= ${fmt(100 * t.drift_share)}%): the data set as a whole moved; retrain or re-validate the model on current data.`
          : `${drifted} of ${judged} columns drifted (${fmt(100 * share)}% < ${fmt(100 * t.drift_share)}%): no data-set drift.`,
  };
}

export async function drift(db: Queryable, o: DriftOptions): Promise<Result> {
  const thresholds = resolveThresholds(o.thresholds);
  const shared = commonColumns(o.reference, o.current, o.columns);
  requireColumns(o.reference, o.current, shared.columns);
  const columns = await reconcileKinds(db, o.reference, o.current, shared.columns);
  checkColumnSettings(columns, o.tests, o.columnThresholds);
  const skipped = shared.skipped;
  const explicit = !!o.columns?.length;
  const result: Result = {
    analysis: 'drift',
    inputs: { reference: o.reference.relation.label, current: o.current.relation.label, ...(o.inputs ?? {}) },
    metrics: [],
    verdicts: [],
  };
  const profiles = await Promise.all(
    columns.map(async (c) => [await fetchProfile(db, o.reference.relation, c), await fetchProfile(db, o.current.relation, c)] as const),
  );
  const refRows = o.reference.rows ?? (await countRows(db, o.reference.relation));
  const curRows = o.current.rows ?? (await countRows(db, o.current.relation));
  Object.assign(result.inputs, { reference_rows: refRows, current_rows: curRows });
  const comparisons: ColumnComparison[] = [];
  const compared: ColumnInfo[] = [];
  const typed: Verdict[] = [];
  columns.forEach((col, i) => {
    const [ref, cur] = profiles[i]!;
    if (!explicit && looksLikeId(ref)) {
      skipped[col.name] = 'looks like an identifier (nearly every value distinct); name it in --columns to compare it';
      return;
    }
    comparisons.push(compareColumn(col.name, ref, cur, { thresholds, tests: o.tests, columnThresholds: o.columnThresholds }));
    compared.push(col);
    const v = numberLikeText(col.name, ref, cur, thresholds.max_categories);
    if (v) typed.push(v);
  });
  requireCompared(columns, compared.length);
  for (const c of comparisons) result.metrics.push(...c.metrics);
  result.verdicts.push(...comparisons.map((c) => c.verdict), ...typed);
  const judged = comparisons.filter((c) => c.drifted !== null);
  const drifted = judged.filter((c) => c.drifted).length;
  result.metrics.push({ name: 'drifted_columns', value: drifted, n: judged.length }, { name: 'drift_share', value: judged.length ? drifted / judged.length : null, n: judged.length });
  result.verdicts.push(datasetVerdict(drifted, judged.length, thresholds));
  Object.assign(result.inputs, { columns: compared.length, tests: testsInput(comparisons), ...(Object.keys(skipped).length ? { skipped } : {}) });

  if (o.domainClassifier !== false && compared.length) {
    const dc = await domainClassifier(db, o.reference.relation, o.current.relation, compared, o.domainClassifier ?? {});
    if (dc) {
      const sorted = [...dc.nullAucs].sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;
      const nRows = dc.referenceRows + dc.currentRows;
      result.metrics.push(
        { name: 'domain_auc', value: dc.auc, n: nRows },
        { name: 'domain_auc_null', value: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length), ...(sorted.length ? { ci: [q(0.025), q(0.975)] as [number, number] } : {}), n: sorted.length },
        { name: 'domain_auc_pvalue', value: dc.pValue, n: sorted.length },
      );
      // With B permutations p is at least 1/(B + 1): too few of them can never show significance.
      const B = dc.nullAucs.length;
      const tooFew = dc.auc >= thresholds.domain_auc && 1 / (B + 1) > thresholds.domain_pvalue;
      const fail = dc.auc >= thresholds.domain_auc && dc.pValue <= thresholds.domain_pvalue;
      result.verdicts.push({
        check: 'domain_classifier',
        status: tooFew ? 'unknown' : fail ? 'fail' : 'ok',
        value: dc.auc,
        threshold: thresholds.domain_auc,
        message: tooFew
          ? `A classifier tells current from reference rows with AUC ${fmt(dc.auc)}, but ${B} label permutations cannot give a p-value below 1/${B + 1} = ${fmt(1 / (B + 1))} > ${fmt(thresholds.domain_pvalue)}, so multivariate drift is not judged; run at least ${minPermutations(thresholds.domain_pvalue)} permutations.`
          : fail
          ? `A classifier tells current from reference rows with AUC ${fmt(dc.auc)} (labels shuffled: ${fmt(q(0.5))}, p = ${fmt(dc.pValue)}): the joint distribution moved, even where single columns may look stable; investigate before reusing the model.`
          : `A classifier tells current from reference rows no better than chance allows (AUC ${fmt(dc.auc)}, shuffled labels ${fmt(q(0.5))}, p = ${fmt(dc.pValue)}): no multivariate drift.`,
      });
      Object.assign(result.inputs, { domain_classifier: { sample_per_side: o.domainClassifier ? (o.domainClassifier.samplePerSide ?? 500) : 500, features: dc.features, permutations: dc.nullAucs.length } });
    }
  }
  return result;
}

export interface MonitorOptions {
  /** The baseline: a store window or a file. */
  reference: DriftSource;
  /** The monitored decisions (a window relation with an lg_ts column) and their columns. */
  current: DriftSource;
  window: 'day' | 'week';
  columns?: string[];
  tests?: Record<string, string>;
  thresholds?: Partial<Record<string, number>>;
  columnThresholds?: Record<string, number>;
  inputs?: Record<string, unknown>;
}

/**
 * Drift of each attribute per day or week, against the reference and against the previous window. Metrics cover every
 * window (group {column, day|week, baseline}); verdicts judge the latest window: each column against the reference and
 * the previous window, data-set drift against the reference, and (column_type) a column that stray values made text
 * in the reference and the latest window.
 */
export async function driftMonitor(db: Queryable, o: MonitorOptions): Promise<Result> {
  const thresholds = resolveThresholds(o.thresholds);
  const shared = commonColumns(o.reference, o.current, o.columns);
  requireColumns(o.reference, o.current, shared.columns);
  const columns = await reconcileKinds(db, o.reference, o.current, shared.columns);
  checkColumnSettings(columns, o.tests, o.columnThresholds);
  const skipped = shared.skipped;
  const w = o.window;
  const bucket = w === 'day' ? db.dialect.day('lg_ts') : db.dialect.week('lg_ts');
  const result: Result = {
    analysis: 'drift_monitor',
    inputs: { reference: o.reference.relation.label, current: o.current.relation.label, window: w, ...(o.inputs ?? {}) },
    metrics: [],
    verdicts: [],
  };
  const perColumn: Array<{ col: ColumnInfo; ref: Profile; windows: Map<string, Profile> }> = [];
  for (const col of columns) {
    const [ref, windows] = await Promise.all([fetchProfile(db, o.reference.relation, col), fetchGroupedProfiles(db, o.current.relation, col, bucket)]);
    if (!o.columns?.length && looksLikeId(ref)) {
      skipped[col.name] = 'looks like an identifier (nearly every value distinct); name it in --columns to compare it';
      continue;
    }
    perColumn.push({ col, ref, windows });
  }
  requireCompared(columns, perColumn.length);
  const windows = [...new Set(perColumn.flatMap((p) => [...p.windows.keys()]))].sort();
  Object.assign(result.inputs, { windows: windows.length, columns: perColumn.length, ...(Object.keys(skipped).length ? { skipped } : {}) });
  if (!windows.length) {
    result.verdicts.push({ check: 'data', status: 'unknown', message: 'There are no decisions with attributes in the monitored range, so drift cannot be measured; check the project name and the time range.' });
    return result;
  }
  const latest = windows[windows.length - 1]!;
  const tests: Record<string, unknown> = {};
  for (let wi = 0; wi < windows.length; wi++) {
    const day = windows[wi]!;
    let drifted = 0, judged = 0;
    for (const { col, ref, windows: byWindow } of perColumn) {
      const cur = byWindow.get(day);
      if (!cur) continue;
      const vsRef = compareColumn(col.name, ref, cur, { thresholds, tests: o.tests, columnThresholds: o.columnThresholds, group: { [w]: day, baseline: 'reference' } });
      result.metrics.push(...vsRef.metrics);
      if (vsRef.drifted !== null) (judged++, (drifted += vsRef.drifted ? 1 : 0));
      if (vsRef.choice && !tests[col.name]) tests[col.name] = { type: vsRef.type, test: vsRef.choice.test, threshold: vsRef.choice.threshold, why: vsRef.choice.reason };
      const prev = wi > 0 ? byWindow.get(windows[wi - 1]!) : undefined;
      const vsPrev = prev
        ? compareColumn(col.name, prev, cur, { thresholds, tests: o.tests, columnThresholds: o.columnThresholds, group: { [w]: day, baseline: 'previous' }, check: 'column_drift_previous', sides: ['previous window', 'this window'] })
        : null;
      if (vsPrev) result.metrics.push(...vsPrev.metrics.filter((m) => !m.name.startsWith('missing_share_reference')));
      if (day === latest) {
        result.verdicts.push(vsRef.verdict);
        if (vsPrev) result.verdicts.push(vsPrev.verdict);
        const typed = numberLikeText(col.name, ref, cur, thresholds.max_categories);
        if (typed) result.verdicts.push({ ...typed, group: { ...typed.group, [w]: day } });
      }
    }
    const m: Metric = { name: 'drift_share', value: judged ? drifted / judged : null, n: judged, group: { [w]: day } };
    result.metrics.push(m);
    if (day === latest) result.verdicts.push(datasetVerdict(drifted, judged, thresholds, { [w]: day }));
  }
  result.inputs.tests = tests;
  return result;
}
