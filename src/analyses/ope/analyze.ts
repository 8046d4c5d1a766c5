/**
 * `ope`: off-policy evaluation of one or more target policies on the logged rounds of a project.
 *
 * The store returns one row per shown item (query.ts); rounds.ts numbers them; each target becomes its n x K action
 * distribution (targets.ts); the estimator layer (estimators/, terms.ts, bootstrap.ts) does the rest. A round is one
 * item at one position, with the item as the action and pi_e read at the logged position (Open Bandit Pipeline's
 * convention for the Open Bandit Dataset, Saito et al. 2021); the reward model sees the position as one-hot features.
 *
 * Output (all names stable):
 * - `on_policy_value`: the logging policy's own value, the mean reward of the rows (Wilson interval for 0/1 rewards,
 *   normal otherwise).
 * - per target (group.target) and estimator: a metric named after the estimator (`ipw`, `snipw`, `dm`, `dr`, `sndr`,
 *   `switch-dr`, `dr-os`) twice: group.interval = 'bootstrap' (percentile interval of the seeded bootstrap, the reward
 *   model held fixed) and 'normal' (value -/+ z se from the influence terms). Without bootstrap only the latter.
 * - per target: `lift_vs_logging` (estimate by the ranking estimator minus on_policy_value, its interval from the
 *   same resamples, i.e. paired), `rank` (1 = highest estimate by the ranking estimator), and the weight diagnostics
 *   `ess`, `ess_ratio`, `max_weight`, `max_weight_share`, `min_propensity`, `mean_weight`, `support_deficiency`.
 * - verdicts: the diagnostics of each target (verdicts.ts) and `beats_logging` for the best-ranked target.
 *
 * Slate mode (`slate`): a round is a decision with all its shown items, its reward the sum of theirs, and the
 * estimators are `iips` and `pbm` (estimators/iips.ts, estimators/pbm.ts; Li et al. 2018), fed the target's marginal
 * probability of each shown item at every position; the bootstrap resamples decisions. `on_policy_value` and
 * `lift_vs_logging` are then per slate; the weight diagnostics stay per shown item (they are IIPS's weights).
 */
import { UserError } from '../../errors.js';
import { effectiveSampleSize } from '../../stats/ess.js';
import { normalQuantile } from '../../stats/normal.js';
import { percentileInterval } from '../../stats/bootstrap.js';
import { wilsonInterval } from '../../stats/wilson.js';
import type { Group, Metric, Result } from '../result.js';
import { sqlTime, type Queryable } from '../sql.js';
import { checkOutcomeKinds, checkThresholds } from '../options.js';
import { bootstrapRoundTerms, DEFAULT_RESAMPLES } from './bootstrap.js';
import { roundTermsShared } from './estimators/define.js';
import { DEFAULT_SHRINKAGE_LAMBDA, DEFAULT_SWITCH_TAU, dm, dr, drOs, iips, ipw, pbm, sndr, snipw, switchDr } from './estimators/index.js';
import { loggedRounds, type RewardMode, type RoundColumns, type RoundScope } from './query.js';
import { assignFolds, contextClasses, fitRewardModelTerms, MAX_MODEL_EVALUATIONS, RewardModelTooLarge, type RewardModelKind } from './reward-model.js';
import { attributeNumber, buildRounds, type LoggedRounds } from './rounds.js';
import {
  checkDenseSize,
  DENSE_TARGET_ADVICE,
  isDenseTarget,
  perRoundVectors,
  slateMarginals,
  targetActions,
  targetName,
  targetPolicy,
  type TargetFunction,
  type TargetSpec,
} from './targets.js';
import { SharedTerms, summarizeTerms } from './terms.js';
import type { Estimator, LoggedBandit, LoggedSlates, RewardModel, RoundTerms, SlateEstimator, TargetPolicy } from './types.js';
import { validateLoggedBandit, validateLoggedSlates } from './validate.js';
import { comparisonVerdict, DEFAULT_OPE_THRESHOLDS, diagnosticVerdicts, type OpeThresholds, type Ranked, type TargetDiagnostics } from './verdicts.js';

/** The seven bandit estimators, in output order; these are the metric names. */
export const OPE_ESTIMATORS = ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os'] as const;
/** The slate estimators (slate mode). */
export const SLATE_ESTIMATORS = ['iips', 'pbm'] as const;
export type OpeEstimatorName = (typeof OPE_ESTIMATORS)[number];
const MODEL_FREE = new Set<string>(['ipw', 'snipw']);

export type RewardModelChoice = RewardModelKind | 'auto' | 'none';

export interface OpeOptions {
  project: string;
  since?: string;
  until?: string;
  /** Only exposures of this policy version. */
  policyVersion?: string;
  /** Only exploration or holdout exposures: evaluate on the traffic the model did not choose. */
  explorationOnly?: boolean;
  /** Outcome kinds that make the reward (default: every kind but the negative ones). */
  outcomeKinds?: string[];
  /** 'binary' (default): 1 when the shown item got a counted outcome; 'value': the sum of their values. */
  reward?: RewardMode;
  /** Target policies (default: uniform). Names must be distinct. */
  targets?: TargetSpec[];
  /** Estimators to run (default: all seven, or ipw and snipw without a reward model). */
  estimators?: string[];
  /** Bootstrap resamples (default 1000; 0 = normal intervals only). */
  bootstrap?: number;
  /** Seed of the bootstrap and of the reward model's folds (default 0). */
  seed?: number;
  /** Weight clipping of ipw and dr (default none). */
  clip?: number;
  /** Switch-DR threshold (default 10). */
  tau?: number;
  /** DR-OS shrinkage (default 100). */
  lambda?: number;
  /** Reward model for dm and the doubly robust estimators (default 'auto': logistic for 0/1 rewards, else ridge). */
  rewardModel?: RewardModelChoice;
  /** Reward predictions from the decisions' attributes instead of a fitted model: see `predictionColumnValues`. */
  predictionsColumn?: string;
  /** Reward predictions q_hat(round, action) from a function (library API), instead of a fitted model. */
  rewardPredictions?: TargetFunction;
  /** Numeric decision attributes used as context by the reward model (and shown to target functions). */
  context?: string[];
  /** The estimator that ranks targets and gives `lift_vs_logging` (default snipw when run, else the first). */
  rankBy?: string;
  thresholds?: Partial<OpeThresholds>;
  /** Where the logs came from, for the report. */
  source?: string;
  /** Threads of the bootstrap (default: automatic); results do not depend on it. */
  threads?: number;
  /**
   * Slate mode: a round is a decision (the whole ranking) and its reward the sum of its items' rewards; the estimators
   * are iips and pbm (default both; pbm needs `logging`). `true` = defaults.
   */
  slate?: boolean | SlateOptions;
}

export interface SlateOptions {
  /** PBM examination probabilities of the logged positions in ascending order (default: estimateExamination). */
  examination?: number[];
  /** The logging policy's probabilities of every item at every position (a table or function, like a target); pbm needs them. */
  logging?: TargetSpec;
}


function nonNegative(name: string, v: number | undefined): void {
  if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw new UserError(`${name} must be a number >= 0 (got ${v})`);
}

/** Checks the options a user can get wrong; throws UserError naming the option. */
export function checkOpeOptions(o: OpeOptions): void {
  const slate = o.slate !== undefined && o.slate !== false;
  const known: readonly string[] = slate ? SLATE_ESTIMATORS : OPE_ESTIMATORS;
  for (const e of o.estimators ?? [])
    if (!known.includes(e)) {
      const other = slate ? (OPE_ESTIMATORS as readonly string[]).includes(e) : (SLATE_ESTIMATORS as readonly string[]).includes(e);
      throw new UserError(`${other ? `estimator '${e}' is for ${slate ? 'single rounds, not slates' : 'slates (slate mode)'}` : `unknown estimator '${e}'`}; choose from ${known.join(', ')}`);
    }
  if (o.estimators !== undefined && o.estimators.length === 0) throw new UserError(`no estimators given; choose from ${known.join(', ')}`);
  if (slate && (o.rewardModel !== undefined || o.predictionsColumn !== undefined || o.rewardPredictions !== undefined))
    throw new UserError('the slate estimators (iips, pbm) use no reward model; drop the reward model options');
  if (slate && o.clip !== undefined) throw new UserError('clip applies to ipw and dr, not to the slate estimators');
  const ex = typeof o.slate === 'object' ? o.slate.examination : undefined;
  if (ex !== undefined && (!ex.every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x)) || !ex.some((x) => x > 0)))
    throw new UserError(`examination must be numbers >= 0, not all 0 (got ${ex.join(', ')})`);
  if (o.estimators && new Set(o.estimators).size !== o.estimators.length) throw new UserError('an estimator is named twice');
  if (o.bootstrap !== undefined && !(Number.isInteger(o.bootstrap) && o.bootstrap >= 0 && o.bootstrap <= 100_000))
    throw new UserError(`bootstrap must be a whole number of resamples from 0 to 100000 (got ${o.bootstrap})`);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new UserError(`seed must be a whole number (got ${o.seed})`);
  nonNegative('clip', o.clip);
  nonNegative('tau', o.tau);
  nonNegative('lambda', o.lambda);
  if (o.rewardModel !== undefined && !['auto', 'logistic', 'ridge', 'none'].includes(o.rewardModel))
    throw new UserError(`reward model must be auto, logistic, ridge or none (got '${String(o.rewardModel)}')`);
  if (o.reward !== undefined && o.reward !== 'binary' && o.reward !== 'value') throw new UserError(`reward must be binary or value (got '${String(o.reward)}')`);
  const given = [o.predictionsColumn !== undefined, o.rewardPredictions !== undefined, o.rewardModel !== undefined && o.rewardModel !== 'auto'].filter(Boolean).length;
  if (given > 1) throw new UserError('give one source of reward predictions: a reward model, a predictions column or a predictions function');
  checkOutcomeKinds(o.outcomeKinds);
  checkThresholds(o.thresholds as Record<string, unknown> | undefined, DEFAULT_OPE_THRESHOLDS as unknown as Record<string, number>);
  const names = [...(o.targets ?? []).map(targetName), ...(typeof o.slate === 'object' && o.slate.logging ? [targetName(o.slate.logging)] : [])];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UserError(`two targets are named '${dup}'; give each a distinct name`);
  if (o.targets !== undefined && o.targets.length === 0) throw new UserError('no target policies given');
  for (const c of o.context ?? []) if (c.trim() === '') throw new UserError('context names an empty attribute');
}

function buildEstimator(name: string, o: OpeOptions): Estimator {
  const clip = o.clip ?? Number.POSITIVE_INFINITY;
  switch (name) {
    case 'ipw': return ipw({ clip });
    case 'snipw': return snipw();
    case 'dm': return dm();
    case 'dr': return dr({ clip });
    case 'sndr': return sndr();
    case 'switch-dr': return switchDr({ tau: o.tau ?? DEFAULT_SWITCH_TAU });
    case 'dr-os': return drOs({ lambda: o.lambda ?? DEFAULT_SHRINKAGE_LAMBDA });
    default: throw new UserError(`unknown estimator '${name}'`);
  }
}

/**
 * Reward predictions from decision attributes: one attribute per action named `<column><actionId>` (like the Open
 * Bandit Dataset's user-item_affinity_<item> columns), or one attribute `<column>` holding a JSON object
 * {actionId: q} (or an array in action order) as text.
 */
export function predictionColumnValues(r: LoggedRounds, column: string): Float64Array {
  const K = r.actions.length;
  checkDenseSize(`predictions column '${column}'`, r.n, K, 'let ope fit its reward model (drop the predictions column), which needs no such matrix');
  const out = new Float64Array(r.n * K);
  for (let i = 0; i < r.n; i++) {
    const d = r.decision[i]!;
    const attrs = r.attributes?.[d] ?? {};
    let whole = attrs[column];
    if (typeof whole === 'string' && /^\s*[[{]/.test(whole)) {
      try {
        whole = JSON.parse(whole) as unknown;
      } catch {
        throw new UserError(`predictions column '${column}': round ${d} (request ${r.requestIds[d]}) holds text that is not valid JSON`);
      }
    }
    for (let a = 0; a < K; a++) {
      const id = r.actions[a]!;
      let raw: unknown;
      if (Array.isArray(whole)) raw = whole[a];
      else if (whole !== null && typeof whole === 'object') raw = (whole as Record<string, unknown>)[id];
      else raw = attrs[`${column}${id}`];
      const x = attributeNumber(raw);
      if (x === null) {
        throw new UserError(
          `predictions column '${column}': no number for action '${id}' in round ${d} (request ${r.requestIds[d]}); give an attribute '${column}<action>' per action or an attribute '${column}' holding {action: prediction} as JSON text`,
        );
      }
      out[i * K + a] = x;
    }
  }
  return out;
}

/** Context of the reward model: the --context features plus one-hot positions (all but the first). */
function modelContext(r: LoggedRounds): { context?: Float64Array; dim: number } {
  const d0 = r.contextNames.length;
  const L = r.positions.length;
  const dim = d0 + (L > 1 ? L - 1 : 0);
  if (dim === 0) return { dim: 0 };
  const ctx = new Float64Array(r.n * dim);
  for (let i = 0; i < r.n; i++) {
    for (let k = 0; k < d0; k++) ctx[i * dim + k] = r.context![i * d0 + k]!;
    const p = r.position[i]!;
    if (p > 0) ctx[i * dim + d0 + p - 1] = 1;
  }
  return { context: ctx, dim };
}

const finiteCi = (ci: [number, number]): [number, number] | undefined => (Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? ci : undefined);
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

function metric(name: string, value: number, group: Group | undefined, ci?: [number, number], n?: number): Metric {
  const m: Metric = { name, value: num(value) };
  const c = ci === undefined ? undefined : finiteCi(ci);
  if (c) m.ci = c;
  if (n !== undefined) m.n = n;
  if (group) m.group = group;
  return m;
}

/**
 * Examination probabilities of the positions under the position-based model, estimated from the log: for each
 * position k, S_k = mean over the rows at k of r_j / (K pi_b(a_j at k | x)), the inverse-propensity estimate of the
 * reward at k if items were placed there uniformly at random, which is theta_k times the same item-average
 * attractiveness for every k; divided by the largest S_k. Needs every item possible at every position under the
 * logging policy; all ones when there are no rewards at all.
 */
export function estimateExamination(r: LoggedRounds): number[] {
  const L = r.positions.length;
  const sum = new Float64Array(L);
  const count = new Float64Array(L);
  for (let j = 0; j < r.n; j++) {
    const k = r.position[j]!;
    sum[k] = sum[k]! + r.reward[j]! / (r.nLogged * r.pscore[j]!);
    count[k] = count[k]! + 1;
  }
  const s = Array.from(sum, (x, k) => (count[k]! > 0 ? x / count[k]! : 0));
  const max = Math.max(...s);
  return max > 0 ? s.map((x) => Math.max(0, x) / max) : s.map(() => 1);
}

interface Named {
  name: string;
  terms: RoundTerms;
}

export async function ope(db: Queryable, o: OpeOptions): Promise<Result> {
  return opeOnRounds(o, (scope) => loggedRounds(db, scope));
}

/**
 * The store scope `ope` reads for these options (checked first): project, time range, policy version, exploration
 * only, outcome kinds, reward and whether the decisions' attributes are needed.
 */
export function opeRoundScope(o: OpeOptions): RoundScope {
  checkOpeOptions(o);
  const since = sqlTime('since', o.since);
  const until = sqlTime('until', o.until);
  const targets = o.targets ?? [{ kind: 'uniform' }];
  const logging = typeof o.slate === 'object' ? o.slate.logging : undefined;
  const specs = [...targets, ...(logging ? [logging] : [])];
  const attributes =
    (o.context?.length ?? 0) > 0 || o.predictionsColumn !== undefined || specs.some((s) => s.kind === 'function' && s.attributes !== false) || o.rewardPredictions !== undefined;
  return {
    project: o.project,
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(o.policyVersion !== undefined ? { policyVersion: o.policyVersion } : {}),
    ...(o.explorationOnly ? { explorationOnly: true } : {}),
    outcomeKinds: o.outcomeKinds ?? [],
    reward: o.reward ?? 'binary',
    attributes,
  };
}

/**
 * `ope` on rounds the caller fetches: `rounds` receives `opeRoundScope(o)` and must return exactly what
 * `loggedRounds(db, scope)` would (the same rows in the same order). `opeBatch` uses it to read the rounds of many
 * policy versions in one query.
 */
export async function opeOnRounds(o: OpeOptions, rounds: (scope: RoundScope) => Promise<RoundColumns>): Promise<Result> {
  checkOpeOptions(o);
  // Checked here, before the other options, as ever; opeRoundScope converts them for the query.
  sqlTime('since', o.since);
  sqlTime('until', o.until);
  const t: OpeThresholds = { ...DEFAULT_OPE_THRESHOLDS, ...(o.thresholds ?? {}) };
  const confidence = t.confidence;
  const targets = o.targets ?? [{ kind: 'uniform' }];
  const nBoot = o.bootstrap ?? DEFAULT_RESAMPLES;
  const seed = o.seed ?? 0;
  const rewardMode = o.reward ?? 'binary';
  const slate = o.slate === undefined || o.slate === false ? undefined : o.slate === true ? {} : o.slate;
  const choice: RewardModelChoice = o.rewardModel ?? 'auto';
  const hasPredictions = o.predictionsColumn !== undefined || o.rewardPredictions !== undefined;
  const skipped: Record<string, string> = {};
  let names: string[] = o.estimators ?? (slate ? [...SLATE_ESTIMATORS] : [...OPE_ESTIMATORS]);
  if (slate) {
    if (names.includes('pbm') && slate.logging === undefined) {
      const why = "pbm needs the logging policy's probability of each item at every position (--logging-probs)";
      if (o.estimators !== undefined) throw new UserError(why);
      names = names.filter((e) => e !== 'pbm');
      skipped.pbm = why;
    }
  } else if (choice === 'none' && !hasPredictions) {
    const needing = names.filter((e) => !MODEL_FREE.has(e));
    if (o.estimators !== undefined && needing.length)
      throw new UserError(`${needing.join(', ')} need${needing.length === 1 ? 's' : ''} a reward model; drop --reward-model none, give a predictions column, or run only ipw, snipw`);
    names = names.filter((e) => MODEL_FREE.has(e));
  }
  const rankBy = o.rankBy ?? (names.includes('snipw') ? 'snipw' : names[0]!);
  if (!names.includes(rankBy)) throw new UserError(`rank-by estimator '${rankBy}' is not among those run (${names.join(', ')})`);

  const inputs: Record<string, unknown> = {
    source: o.source ?? 'store',
    project: o.project,
    since: o.since,
    until: o.until,
    policy_version: o.policyVersion,
    exploration_only: o.explorationOnly || undefined,
    unit: slate ? 'slate' : 'round',
    reward: rewardMode,
    outcome_kinds: o.outcomeKinds?.length ? o.outcomeKinds : 'all but negative',
    targets: targets.map(targetName),
    estimators: names,
    skipped: Object.keys(skipped).length ? skipped : undefined,
    rank_by: rankBy,
    bootstrap: nBoot,
    seed,
    confidence,
    clip: slate ? undefined : (o.clip ?? null),
    tau: names.includes('switch-dr') ? (o.tau ?? DEFAULT_SWITCH_TAU) : undefined,
    lambda: names.includes('dr-os') ? (o.lambda ?? DEFAULT_SHRINKAGE_LAMBDA) : undefined,
    context: o.context?.length ? o.context : undefined,
  };
  const result: Result = { analysis: 'ope', inputs, metrics: [], verdicts: [] };

  const specs = [...targets, ...(slate?.logging ? [slate.logging] : [])];
  const cols = await rounds(opeRoundScope(o));
  if (cols.n === 0) {
    result.verdicts.push({ check: 'data', status: 'unknown', message: 'There are no logged exposures in this scope, so no policy can be evaluated; check the project, the time range and the policy version.' });
    return result;
  }
  const r = buildRounds(cols, { ...(o.context?.length ? { context: o.context } : {}), extraActions: specs.flatMap(targetActions) });
  const K = r.actions.length;
  const n = r.n;
  Object.assign(inputs, { rounds: n, decisions: r.nDecisions, actions: K, logged_actions: r.nLogged, positions: r.positions });
  const bandit: LoggedBandit = { n, nActions: K, action: r.action, reward: r.reward, pscore: r.pscore };
  try {
    validateLoggedBandit('ope', bandit);
  } catch (err) {
    throw new UserError(String((err as Error).message).replace(/^ope: /, 'logged rounds: '));
  }

  // Sizes first: a request too large to hold fails now, with its sizes, not minutes later (checkDenseSize).
  for (const spec of targets) if (isDenseTarget(spec)) checkDenseSize(`target '${targetName(spec)}'`, n, K, DENSE_TARGET_ADVICE);

  // Bandit mode: the reward model q_hat(x_i, a) at the logged position, when an estimator needs it: the n x K
  // predictions of a column or function, or the fitted model's per-round terms (no n x K matrix).
  let q: RewardModel | undefined;
  if (!slate && names.some((e) => !MODEL_FREE.has(e))) q = rewardPredictions(r, o, choice, seed, inputs);
  else if (!slate) inputs.reward_model = 'none';

  // Slate mode: the logged slates (one per decision) and the estimators.
  let slates: LoggedSlates | undefined;
  let slateEstimators: SlateEstimator[] = [];
  if (slate) {
    const offsets = new Int32Array(r.nDecisions + 1);
    for (let j = 0; j < n; j++) offsets[r.decision[j]! + 1] = j + 1;
    slates = { nSlates: r.nDecisions, nActions: K, nPositions: r.positions.length, offsets, action: r.action, position: r.position, reward: r.reward, pscore: r.pscore };
    if (slate.logging) slates.loggingMarginals = loggingMarginals(slate.logging, r);
    try {
      validateLoggedSlates('ope', slates);
    } catch (err) {
      throw new UserError(String((err as Error).message).replace(/^ope: slate (\d+)/, (_m, d: string) => `logged slates: round ${d} (request ${r.requestIds[Number(d)]})`).replace(/^ope: /, 'logged slates: '));
    }
    if (names.includes('pbm')) {
      let theta = slate.examination;
      if (theta === undefined) {
        theta = estimateExamination(r);
        inputs.examination = { estimated: theta };
      } else {
        if (theta.length !== r.positions.length)
          throw new UserError(`examination has ${theta.length} values, expected one per logged position (${r.positions.join(', ')})`);
        inputs.examination = theta;
      }
      slateEstimators = names.map((e) => (e === 'iips' ? iips() : pbm({ examination: theta! })));
    } else slateEstimators = names.map(() => iips());
  }

  // The logging policy's own value: the mean reward per row (per slate in slate mode).
  const unitReward = slate ? slateSums(r) : r.reward;
  const on = onPolicyValue(unitReward, confidence);
  result.metrics.push(metric('on_policy_value', on.value, { interval: on.interval }, on.ci, unitReward.length));
  const onTerms: RoundTerms = { n: unitReward.length, additive: unitReward };
  const onSummary = summarizeTerms(onTerms);

  const estimators = slate ? [] : names.map((e) => buildEstimator(e, o));
  const L = r.positions.length;
  const seen = new Uint8Array(K * L);
  for (let i = 0; i < n; i++) seen[r.action[i]! * L + r.position[i]!] = 1;
  const z = normalQuantile(0.5 + confidence / 2);

  const ranked: Ranked[] = [];
  for (const spec of targets) {
    const name = targetName(spec);
    const target = targetPolicy(spec, r);
    let named: Named[];
    if (slate) {
      const target = { marginals: slateMarginals(spec, r) };
      named = slateEstimators.map((e) => ({ name: e.name, terms: e.roundTerms(slates!, target) }));
    } else {
      const shared = new SharedTerms(bandit, target, q);
      try {
        named = estimators.map((e) => ({ name: e.name, terms: roundTermsShared(e, shared) }));
      } catch (err) {
        if (err instanceof RewardModelTooLarge) throw tooManyEvaluations(err, `target '${name}'`);
        throw err;
      }
    }
    const summaries = named.map(({ terms }) => summarizeTerms(terms));
    let boot: ReturnType<typeof bootstrapRoundTerms> | undefined;
    if (nBoot > 0) {
      boot = bootstrapRoundTerms([...named, { name: '\u0000on_policy', terms: onTerms }], {
        n: nBoot,
        seed,
        confidence,
        keepReplicates: true,
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
      });
    }
    const units = onTerms.n;
    named.forEach(({ name: est }, j) => {
      const sj = summaries[j]!;
      if (boot) result.metrics.push(metric(est, sj.value, { target: name, interval: 'bootstrap' }, boot.estimates[j]!.ci, units));
      result.metrics.push(metric(est, sj.value, { target: name, interval: 'normal' }, [sj.value - z * sj.se, sj.value + z * sj.se], units));
    });

    // The ranking estimator against the logging policy, paired (same rounds, same resamples).
    const j = names.indexOf(rankBy);
    const sr = summaries[j]!;
    const lift = sr.value - on.value;
    let liftCi: [number, number];
    if (boot) {
      liftCi = pairedPercentile(boot.estimates[j]!.replicates!, boot.estimates[boot.estimates.length - 1]!.replicates!, confidence);
    } else {
      let ss = 0;
      for (let i = 0; i < units; i++) ss += (sr.influence[i]! - onSummary.influence[i]!) ** 2;
      const se = units > 1 ? Math.sqrt(ss / (units - 1) / units) : Number.NaN;
      liftCi = [lift - z * se, lift + z * se];
    }
    result.metrics.push(metric('lift_vs_logging', lift, { target: name, estimator: rankBy, interval: boot ? 'bootstrap' : 'normal' }, liftCi, units));

    // Weight diagnostics, over the rows (each shown item at its logged position).
    const diag = diagnose(r, target, seen, name, z);
    diag.weighted = names.filter((e) => e === 'snipw' || e === 'sndr' || e === 'iips' || e === 'pbm' || ((e === 'ipw' || e === 'dr') && o.clip === undefined));
    diag.bounded = names.filter((e) => e === 'switch-dr' || e === 'dr-os' || ((e === 'ipw' || e === 'dr') && o.clip !== undefined));
    const g = { target: name };
    result.metrics.push(
      metric('ess', diag.ess, g, undefined, n),
      metric('ess_ratio', diag.essRatio, g),
      metric('max_weight', diag.maxWeight, g),
      metric('max_weight_share', diag.maxWeightShare, g),
      metric('min_propensity', diag.minPropensity, g),
      metric('mean_weight', diag.meanWeight, g, diag.meanWeightCi, n),
      metric('support_deficiency', diag.supportDeficiency, g),
    );
    // dm alone uses no weights: only the support check applies to it.
    const usesWeights = diag.weighted.length + diag.bounded.length > 0;
    const verdicts = usesWeights ? diagnosticVerdicts(diag, t) : diagnosticVerdicts(diag, t).filter((v) => v.check === 'support_deficiency');
    result.verdicts.push(...verdicts);
    ranked.push({ target: name, value: sr.value, lift, liftCi, trusted: !verdicts.some((v) => v.status === 'fail') });
  }

  // Ranking by the ranking estimator (NaN last); ties keep the given order.
  const order = ranked
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (Number.isFinite(b.x.value) ? b.x.value : -Infinity) - (Number.isFinite(a.x.value) ? a.x.value : -Infinity) || a.i - b.i);
  order.forEach(({ x }, k) => result.metrics.push(metric('rank', k + 1, { target: x.target, estimator: rankBy })));
  result.verdicts.push(comparisonVerdict(order[0]!.x, rankBy, on.value, confidence, targets.length));
  return result;
}

const count = (x: number): string => x.toLocaleString('en-US');

/** The UserError of a reward model too costly to evaluate, with its sizes and what to do. */
function tooManyEvaluations(e: { groups: number; nActions: number; limit: number; n: number }, what: string): UserError {
  return new UserError(
    `reward model: the value of ${what} needs q_hat at ${count(e.groups)} distinct (fold, context) groups of the ${count(e.n)} rounds x ${count(e.nActions)} actions = ${count(e.groups * e.nActions)} predictions, more than the limit of ${count(e.limit)} (about a minute of work); narrow the rounds with --since/--until or --policy-version, evaluate on a sample of the logs, use fewer or coarser --context features (the model is evaluated once per distinct context), or run only ipw, snipw (--reward-model none)`,
  );
}

/**
 * The reward model from the options' source: the n x K predictions of a predictions column or a function, or the
 * cross-fitted model's per-round terms (reward-model.ts crossFittedTerms), which never hold n x K numbers.
 */
function rewardPredictions(r: LoggedRounds, o: OpeOptions, choice: RewardModelChoice, seed: number, inputs: Record<string, unknown>): RewardModel {
  if (o.predictionsColumn !== undefined) {
    inputs.reward_model = `column ${o.predictionsColumn}`;
    return predictionColumnValues(r, o.predictionsColumn);
  }
  if (o.rewardPredictions !== undefined) {
    inputs.reward_model = 'function';
    return perRoundVectors(r, o.rewardPredictions, 'reward predictions', false);
  }
  if (r.n < 2) throw new UserError('a reward model needs at least 2 logged rounds; run ipw and snipw only (--reward-model none)');
  const { context, dim } = modelContext(r);
  const data: LoggedBandit = { n: r.n, nActions: r.actions.length, action: r.action, reward: r.reward, pscore: r.pscore, ...(context ? { context, dim } : {}) };
  const folds = Math.min(5, r.n);
  // Before fitting: a target the same on every round needs q_hat once per distinct (fold, context); too many fail now.
  const classes = contextClasses(data, assignFolds(r.n, folds, seed)).count;
  if (classes * data.nActions > MAX_MODEL_EVALUATIONS) {
    throw tooManyEvaluations({ groups: classes, nActions: data.nActions, limit: MAX_MODEL_EVALUATIONS, n: r.n }, 'each target');
  }
  try {
    const fit = fitRewardModelTerms(data, { kind: choice === 'auto' || choice === 'none' ? 'auto' : choice, folds, seed });
    inputs.reward_model = `${fit.kind}, ${fit.nFolds}-fold cross-fitted, features: ${[...r.contextNames, ...(r.positions.length > 1 ? ['position'] : [])].join(', ') || 'action only'}`;
    return fit.terms;
  } catch (err) {
    if (err instanceof RangeError) throw new UserError(`reward model: ${err.message.replace(/^fitRewardModelTerms: /, '')}; choose --reward-model ridge for rewards outside [0, 1]`);
    throw err;
  }
}

/** The logging policy's marginals at every position from a table or function, checked against the logged propensities. */
function loggingMarginals(spec: TargetSpec, r: LoggedRounds): Float64Array {
  const m = slateMarginals(spec, r);
  const L = r.positions.length;
  for (let j = 0; j < r.n; j++) {
    const k = r.position[j]!;
    const given = m[j * L + k]!;
    const logged = r.pscore[j]!;
    if (Math.abs(given - logged) > 1e-6) {
      const d = r.decision[j]!;
      throw new UserError(
        `logging probabilities '${targetName(spec)}': item '${r.actions[r.action[j]!]}' in round ${d} (request ${r.requestIds[d]}) at position ${r.positions[k]} has probability ${given}, but its logged propensity is ${logged}; they must describe the policy that made the log`,
      );
    }
    m[j * L + k] = logged;
  }
  return m;
}

/** Per decision, the sum of its rows' rewards. */
function slateSums(r: LoggedRounds): Float64Array {
  const out = new Float64Array(r.nDecisions);
  for (let j = 0; j < r.n; j++) out[r.decision[j]!] = out[r.decision[j]!]! + r.reward[j]!;
  return out;
}

/** Mean reward with a Wilson interval for 0/1 rewards, a normal one otherwise. */
function onPolicyValue(y: Float64Array, confidence: number): { value: number; ci: [number, number]; interval: string } {
  const n = y.length;
  let sum = 0;
  let binary = true;
  for (let i = 0; i < n; i++) {
    sum += y[i]!;
    if (y[i] !== 0 && y[i] !== 1) binary = false;
  }
  const value = sum / n;
  if (binary) {
    const w = wilsonInterval(sum, n, confidence);
    return { value, ci: [w.lower, w.upper], interval: 'wilson' };
  }
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i]! - value) ** 2;
  const se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN;
  const z = normalQuantile(0.5 + confidence / 2);
  return { value, ci: [value - z * se, value + z * se], interval: 'normal' };
}

/** Percentile interval of paired differences of replicates (non-finite pairs left out). */
function pairedPercentile(a: Float64Array, b: Float64Array, confidence: number): [number, number] {
  const diffs = new Float64Array(a.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!;
    if (Number.isFinite(d)) diffs[m++] = d;
  }
  return m > 0 ? percentileInterval(diffs.subarray(0, m).sort(), confidence, true) : [Number.NaN, Number.NaN];
}

/** Weight diagnostics of a target on the logged rows (w_i = pi_e(a_i | x_i, position_i) / pscore_i). */
function diagnose(r: LoggedRounds, target: TargetPolicy, seen: Uint8Array, name: string, z: number): TargetDiagnostics {
  const n = r.n;
  const K = r.actions.length;
  const L = r.positions.length;
  const { probs, rowOf } = target;
  const rowAt = (i: number): number => (rowOf === undefined ? i : rowOf[i]!) * K;
  const w = new Float64Array(n);
  let sw = 0;
  let maxW = -1;
  let argMax = 0;
  let minP = Number.POSITIVE_INFINITY;
  let argMin = 0;
  for (let i = 0; i < n; i++) {
    const wi = probs[rowAt(i) + r.action[i]!]! / r.pscore[i]!;
    w[i] = wi;
    sw += wi;
    if (wi > maxW) (maxW = wi), (argMax = i);
    const p = r.pscore[i]!;
    if (p < minP) (minP = p), (argMin = i);
  }
  const meanW = sw / n;
  let ssw = 0;
  for (let i = 0; i < n; i++) ssw += (w[i]! - meanW) ** 2;
  const seW = n > 1 ? Math.sqrt(ssw / (n - 1) / n) : Number.NaN;
  const ess = effectiveSampleSize(w);
  // The actions never logged at each position, ascending: the same terms in the same order as testing every action.
  const unseenAt = Array.from({ length: L }, (_, p) => {
    const list: number[] = [];
    for (let a = 0; a < K; a++) if (seen[a * L + p] === 0) list.push(a);
    return Int32Array.from(list);
  });
  let deficiency = 0;
  if (rowOf === undefined) {
    for (let i = 0; i < n; i++) {
      const o = i * K;
      const unseen = unseenAt[r.position[i]!]!;
      for (let j = 0; j < unseen.length; j++) deficiency += probs[o + unseen[j]!]!;
    }
  } else {
    // Rows that share a target row (a target the same on every round: one row for all) share its unseen mass at each
    // position: computed once per (target row, position).
    const mass = new Float64Array((probs.length / K) * L).fill(Number.NaN);
    for (let i = 0; i < n; i++) {
      const row = rowOf[i]!, p = r.position[i]!, at = row * L + p;
      let v = mass[at]!;
      if (Number.isNaN(v)) {
        v = 0;
        const unseen = unseenAt[p]!;
        for (let j = 0; j < unseen.length; j++) v += probs[row * K + unseen[j]!]!;
        mass[at] = v;
      }
      deficiency += v;
    }
  }
  deficiency /= n;
  return {
    target: name,
    n,
    ess,
    essRatio: ess / n,
    maxWeight: maxW,
    maxWeightShare: sw > 0 ? maxW / sw : Number.NaN,
    maxWeightRound: r.decision[argMax]!,
    maxWeightRequest: r.requestIds[r.decision[argMax]!]!,
    minPropensity: minP,
    minPropensityRound: r.decision[argMin]!,
    minPropensityRequest: r.requestIds[r.decision[argMin]!]!,
    meanWeight: meanW,
    meanWeightCi: [meanW - z * seW, meanW + z * seW],
    supportDeficiency: deficiency,
    weighted: [],
    bounded: [],
  };
}
