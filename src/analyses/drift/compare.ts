/**
 * One column, reference against current: every statistic that applies to its type, then the verdict of the test the
 * rule (or the user) picked.
 *
 * Numeric: ks, ks_pvalue (exact for small samples, asymptotic for large, as scipy's ks_2samp), wasserstein,
 * wasserstein_norm (divided by the reference's population sd), psi and js over quantile bins of the reference.
 * Categorical: chi2, chi2_pvalue (Pearson homogeneity over the union of categories), psi and js over the categories,
 * unseen_categories / unseen_share (current values never seen in the reference). Binary adds z, z_pvalue.
 */
import { chiSquareHomogeneity } from '../../stats/chi-square.js';
import { jensenShannonDistance } from '../../stats/jensen-shannon.js';
import { ksExactSfTies, ksTwoSample } from '../../stats/ks-two-sample.js';
import { twoProportionZTest } from '../../stats/proportion-diff.js';
import { binCounts, psi, quantileBinEdges } from '../../stats/psi.js';
import { wasserstein1 } from '../../stats/wasserstein.js';
import { weightedMeanSd } from '../../stats/weighted-sample.js';
import { trimFraction, type Group, type Metric, type Status, type Verdict } from '../result.js';
import { asCategorical, distinctCount, type CategoricalProfile, type NumericProfile, type Profile } from './profile.js';
import { chooseTest, P_VALUE_TESTS, TEST_LABEL, TEST_METRIC, type ColumnType, type DriftThresholds, type TestChoice } from './rule.js';

export interface CompareOptions {
  thresholds: DriftThresholds;
  tests?: Readonly<Record<string, string>>;
  columnThresholds?: Readonly<Record<string, number>>;
  /** Extra keys of every metric's and verdict's group (e.g. the day). */
  group?: Group;
  /** Check name of the verdict; default column_drift. */
  check?: string;
  /** Words for the two sides in messages; default reference / current. */
  sides?: [string, string];
}

export interface ColumnComparison {
  column: string;
  type: ColumnType | null;
  choice: TestChoice | null;
  /** The value the test compared (p-value or distance), null when it could not be computed. */
  value: number | null;
  drifted: boolean | null;
  metrics: Metric[];
  verdict: Verdict;
}

export const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(2);
  // toPrecision(3) writes 1,000 and above as 1.00e+3; whole units read better there.
  return a >= 1000 ? String(Math.round(x)) : trimFraction(x.toPrecision(3));
};

/** Distinct values of two sorted numeric samples together, counting no further than `limit` + 1. */
function unionDistinct(a: Float64Array, b: Float64Array, limit: number): number {
  let i = 0, j = 0, n = 0;
  while ((i < a.length || j < b.length) && n <= limit) {
    const v = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    if (i < a.length && a[i] === v) i++;
    if (j < b.length && b[j] === v) j++;
    n++;
  }
  return n;
}

/** The column's type from both sides' profiles (the rule's first question). */
export function columnType(ref: Profile, cur: Profile, maxCategories: number): ColumnType {
  if (ref.kind === 'numeric' && cur.kind === 'numeric') {
    const n = unionDistinct(ref.sample.values, cur.sample.values, Math.max(2, maxCategories));
    return n <= 2 ? 'binary' : n <= maxCategories ? 'categorical' : 'numeric';
  }
  const union = new Set<string>();
  for (const p of [ref, cur]) {
    for (const k of asCategorical(p).counts.keys()) union.add(k);
    if (union.size > 2) break;
  }
  return union.size <= 2 ? 'binary' : 'categorical';
}

function numericMetrics(ref: NumericProfile, cur: NumericProfile, bins: number, withTies: boolean): Record<string, number | null> {
  const ks = ksTwoSample(ref.sample, cur.sample);
  const w = wasserstein1(ref.sample, cur.sample);
  const sd = weightedMeanSd(ref.sample).sd;
  const edges = quantileBinEdges(ref.sample, bins);
  const e = binCounts(ref.sample, edges), a = binCounts(cur.sample, edges);
  // With ties (counts, scores with few levels) the continuous-data p-value is conservative; the exact permutation
  // p-value given the ties is reported beside it when KS decides the column or the lattice is small (n1 n2 <= 10^6).
  const tied = (withTies || ref.n * cur.n <= 1e6) && (ref.sample.values.length < ref.n || cur.sample.values.length < cur.n || unionDistinct(ref.sample.values, cur.sample.values, Infinity) < ref.sample.values.length + cur.sample.values.length);
  const ties = tied ? ksExactSfTies(ref.sample, cur.sample) : null;
  return {
    ks: ks.statistic,
    ks_pvalue: ks.pValue,
    ...(ties !== null ? { ks_pvalue_ties: ties } : {}),
    wasserstein: w,
    wasserstein_norm: sd > 0 ? w / sd : w === 0 ? 0 : null,
    psi: psi(e, a),
    js: jensenShannonDistance(e, a),
  };
}

function categoricalMetrics(ref: CategoricalProfile, cur: CategoricalProfile, binary: boolean): Record<string, number | null> {
  const cats = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])].sort();
  const e = cats.map((c) => ref.counts.get(c) ?? 0);
  const a = cats.map((c) => cur.counts.get(c) ?? 0);
  const chi = chiSquareHomogeneity([e, a]);
  let unseen = 0, unseenRows = 0;
  cats.forEach((c, i) => {
    if (!ref.counts.has(c)) (unseen++, (unseenRows += a[i]!));
  });
  const out: Record<string, number | null> = {
    chi2: chi.statistic,
    chi2_pvalue: chi.pValue,
    psi: psi(e, a),
    js: jensenShannonDistance(e, a),
    unseen_categories: unseen,
    unseen_share: unseenRows / cur.n,
  };
  if (binary) {
    // The share of the second category (in sort order: 1 of 0/1, true of false).
    const k = cats.length === 2 ? cats[1]! : cats[0]!;
    const z = twoProportionZTest(ref.counts.get(k) ?? 0, ref.n, cur.counts.get(k) ?? 0, cur.n);
    out.z = z.z;
    out.z_pvalue = z.pValue;
  }
  return out;
}

/** Compares one column's two profiles. */
export function compareColumn(column: string, ref: Profile, cur: Profile, o: CompareOptions): ColumnComparison {
  const group: Group = { column, ...(o.group ?? {}) };
  const check = o.check ?? 'column_drift';
  const [refWord, curWord] = o.sides ?? ['reference', 'current'];
  const metrics: Metric[] = [];
  const add = (name: string, value: number | null, n?: number) =>
    metrics.push({ name, value: value !== null && Number.isFinite(value) ? value : null, group, ...(n === undefined ? {} : { n }) });
  add('missing_share_reference', ref.n + ref.missing ? ref.missing / (ref.n + ref.missing) : null);
  add('missing_share_current', cur.n + cur.missing ? cur.missing / (cur.n + cur.missing) : null);
  if (ref.n === 0 || cur.n === 0) {
    const side = ref.n === 0 ? refWord : curWord;
    return {
      column, type: null, choice: null, value: null, drifted: null, metrics,
      verdict: { check, status: 'unknown', group, message: `${column} has no values in the ${side} data, so its drift cannot be measured; check the column mapping.` },
    };
  }
  const type = columnType(ref, cur, o.thresholds.max_categories);
  const choice = chooseTest(column, type, ref.n, o.thresholds, o.tests, o.columnThresholds);
  const values =
    type === 'numeric'
      ? numericMetrics(ref as NumericProfile, cur as NumericProfile, o.thresholds.bins, choice.test === 'ks')
      : categoricalMetrics(asCategorical(ref), asCategorical(cur), type === 'binary');
  const n = ref.n + cur.n;
  for (const [name, v] of Object.entries(values)) add(name, v, name === 'unseen_categories' ? undefined : n);
  const value = values[TEST_METRIC[choice.test]] ?? null;
  const isP = P_VALUE_TESTS.has(choice.test);
  const drifted = value === null ? null : isP ? value < choice.threshold : value >= choice.threshold;
  const label = TEST_LABEL[choice.test];
  let status: Status;
  let message: string;
  if (drifted === null) {
    status = 'unknown';
    message = `${column}: the ${label} could not be computed (the ${refWord} has no spread), so drift is not judged; choose another test for this column.`;
  } else if (drifted) {
    status = 'fail';
    message = isP
      ? `${column} drifted: ${label} ${fmt(value!)} < ${fmt(choice.threshold)} (${ref.n} ${refWord} vs ${cur.n} ${curWord} values), more than chance explains; find what changed upstream before trusting the model on ${curWord} data.`
      : `${column} drifted: ${label} ${fmt(value!)} >= ${fmt(choice.threshold)}, a material shift of its distribution; find what changed upstream before trusting the model on ${curWord} data.`;
  } else {
    status = 'ok';
    message = isP
      ? `${column}: ${label} ${fmt(value!)} >= ${fmt(choice.threshold)}, no drift beyond chance.`
      : `${column}: ${label} ${fmt(value!)} < ${fmt(choice.threshold)}, no material drift.`;
  }
  if (drifted !== null && (values.unseen_share ?? 0) > 0)
    message = message.replace(/\.$/, `; ${fmt(100 * values.unseen_share!)}% of ${curWord} rows have ${values.unseen_categories} value(s) never seen in the ${refWord}.`);
  return {
    column, type, choice, value, drifted, metrics,
    verdict: { check, status, value, threshold: choice.threshold, group, message },
  };
}

export { distinctCount };
