/**
 * Which test decides whether a column drifted, and at what threshold.
 *
 * The default rule follows Evidently's (and the reasoning behind it): with a small reference set a p-value answers "is
 * this more than sampling noise?"; with a large one every p-value fires on differences too small to matter, so a
 * distance with a practical threshold decides instead.
 *
 *     column type                     reference n <= small_sample        reference n > small_sample
 *     numeric (> 5 distinct values)   ks: KS p-value < 0.05              wasserstein_norm: W1 / sd(reference) >= 0.1
 *     categorical (3+ categories)     chi2: chi-square p-value < 0.05    js: Jensen-Shannon distance >= 0.1
 *     binary (2 categories)           z: two-proportion z p-value < 0.05 js >= 0.1
 *
 * A numeric column with at most `max_categories` (5) distinct values is compared as categories. Every threshold and the
 * test of any column can be overridden.
 */
import { UserError } from '../../errors.js';
import { checkThresholds } from '../options.js';

export const DRIFT_TESTS = ['ks', 'wasserstein_norm', 'psi', 'js', 'chi2', 'z'] as const;
export type DriftTest = (typeof DRIFT_TESTS)[number];

export type ColumnType = 'numeric' | 'categorical' | 'binary';

/** p-value tests: drift when p < threshold. The others are distances: drift when value >= threshold. */
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set(['ks', 'chi2', 'z']);

/** The metric whose value the test compares with its threshold. */
export const TEST_METRIC: Record<DriftTest, string> = {
  ks: 'ks_pvalue',
  wasserstein_norm: 'wasserstein_norm',
  psi: 'psi',
  js: 'js',
  chi2: 'chi2_pvalue',
  z: 'z_pvalue',
};

export const TEST_LABEL: Record<DriftTest, string> = {
  ks: 'Kolmogorov-Smirnov p-value',
  wasserstein_norm: 'Wasserstein distance / reference sd',
  psi: 'PSI',
  js: 'Jensen-Shannon distance',
  chi2: 'chi-square p-value',
  z: 'two-proportion z-test p-value',
};

const APPLIES: Record<DriftTest, readonly ColumnType[]> = {
  ks: ['numeric'],
  wasserstein_norm: ['numeric'],
  psi: ['numeric', 'categorical', 'binary'],
  js: ['numeric', 'categorical', 'binary'],
  chi2: ['categorical', 'binary'],
  z: ['binary'],
};

export interface DriftThresholds {
  ks: number;
  wasserstein_norm: number;
  psi: number;
  js: number;
  chi2: number;
  z: number;
  /** Reference rows up to which p-value tests are the default. */
  small_sample: number;
  /** A numeric column with at most this many distinct values is compared as categories. */
  max_categories: number;
  /** Share of drifted columns at which the data set counts as drifted. */
  drift_share: number;
  /** Quantile bins of the reference for PSI and JS on numeric columns. */
  bins: number;
  /** Domain classifier: AUC at or above which (and significant against the permutations) the data set drifted. */
  domain_auc: number;
  /** Domain classifier: permutation p-value below which its AUC is significant. */
  domain_pvalue: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = {
  ks: 0.05,
  wasserstein_norm: 0.1,
  psi: 0.1,
  js: 0.1,
  chi2: 0.05,
  z: 0.05,
  small_sample: 1000,
  max_categories: 5,
  drift_share: 0.5,
  bins: 10,
  domain_auc: 0.55,
  domain_pvalue: 0.05,
};

/** Validates user thresholds (names, ranges) and merges them over the defaults. */
export function resolveThresholds(t: Partial<Record<string, unknown>> = {}): DriftThresholds {
  const out: DriftThresholds = { ...DEFAULT_DRIFT_THRESHOLDS };
  for (const [k, given] of Object.entries(t)) {
    if (given === undefined) continue;
    checkThresholds({ [k]: given }, DEFAULT_DRIFT_THRESHOLDS as unknown as Record<string, number>);
    const v = given as number; // a non-negative finite number, checked above
    if ((P_VALUE_TESTS.has(k as DriftTest) || k === 'domain_pvalue' || k === 'drift_share') && !(v > 0 && v <= 1))
      throw new UserError(`threshold ${k} must lie in (0, 1] (got ${v})`);
    if ((k === 'bins' || k === 'max_categories' || k === 'small_sample') && !Number.isInteger(v))
      throw new UserError(`threshold ${k} must be a whole number (got ${v})`);
    if (k === 'bins' && v < 2) throw new UserError(`threshold bins must be at least 2 (got ${v})`);
    (out as unknown as Record<string, number>)[k] = v;
  }
  return out;
}

/** The domain classifier's label permutations unless told otherwise: enough for a p-value of 0.05. */
export const DEFAULT_PERMUTATIONS = 19;

/** The fewest label permutations B whose p-value, at least 1/(B + 1), can reach `alpha`. */
export function minPermutations(alpha: number): number {
  return Math.max(1, Math.ceil(1 / alpha - 1 - 1e-9));
}

/**
 * Refuses a number of label permutations that can never make the domain classifier significant at `alpha` (the
 * domain_pvalue threshold): with N of them its p-value is at least 1/(N+1). `what` names the option; `given`
 * undefined is the default.
 */
export function checkPermutations(what: string, given: number | undefined, alpha: unknown): void {
  const least = typeof alpha === 'number' && alpha > 0 ? minPermutations(alpha) : 0;
  const n = given ?? DEFAULT_PERMUTATIONS;
  if (n < least)
    throw new UserError(`${what} ${n}${given === undefined ? ' (the default)' : ''} is too few for domain_pvalue ${alpha}: with N permutations the p-value is at least 1/(N+1), so give at least ${least}`);
}

export function checkTestName(where: string, test: string): DriftTest {
  if (!(DRIFT_TESTS as readonly string[]).includes(test)) throw new UserError(`${where}: unknown test '${test}'; known: ${DRIFT_TESTS.join(', ')}`);
  return test as DriftTest;
}

export interface TestChoice {
  test: DriftTest;
  threshold: number;
  /** Why this test: 'default rule (...)' or 'set by the user'. */
  reason: string;
}

/**
 * The test and threshold for one column: the user's choice for the column, else for every column ('*'), else the
 * default rule by type and reference size.
 */
export function chooseTest(
  column: string,
  type: ColumnType,
  referenceN: number,
  thresholds: DriftThresholds,
  tests: Readonly<Record<string, string>> = {},
  columnThresholds: Readonly<Record<string, number>> = {},
): TestChoice {
  const chosen = tests[column] ?? tests['*'];
  let test: DriftTest;
  let reason: string;
  if (chosen !== undefined) {
    test = checkTestName(`test for ${column}`, chosen);
    if (!APPLIES[test].includes(type)) {
      if (tests[column] !== undefined)
        throw new UserError(`column ${column} is ${type}; the test ${test} applies to ${APPLIES[test].join(' or ')} columns only`);
      test = defaultTest(type, referenceN, thresholds);
      reason = `default rule (${chosen} does not apply to a ${type} column)`;
    } else reason = 'chosen by the user';
  } else {
    test = defaultTest(type, referenceN, thresholds);
    reason = `default rule: ${type}, reference n ${referenceN <= thresholds.small_sample ? '<=' : '>'} ${thresholds.small_sample}`;
  }
  const threshold = columnThresholds[column] ?? thresholds[test];
  return { test, threshold, reason };
}

function defaultTest(type: ColumnType, referenceN: number, t: DriftThresholds): DriftTest {
  const small = referenceN <= t.small_sample;
  if (type === 'numeric') return small ? 'ks' : 'wasserstein_norm';
  if (type === 'binary') return small ? 'z' : 'js';
  return small ? 'chi2' : 'js';
}
