/**
 * UCB1 over Beta-Bernoulli arms (Auer, Cesa-Bianchi & Fischer 2002, "Finite-time analysis of the multiarmed bandit
 * problem", Machine Learning 47), with the prior's pseudo-counts counted as trials so that cold-start arms start from
 * their cohort or popularity prior (priors.ts) instead of from nothing:
 *
 *     index_l = alpha_l / (alpha_l + beta_l) + c * sqrt(2 ln T / (alpha_l + beta_l)),   T = sum_l (alpha_l + beta_l)
 *
 * (T may be given). The slate is the k arms with the largest index. UCB is deterministic except for ties, and ties are
 * the rule in cold start (every new item with the same prior and no data has the same index). Ties are broken
 * uniformly at random, which makes the propensities exact and not all 1: a group of g arms with exactly equal index
 * occupies g consecutive ranks in a uniformly random order, so each member is at each of those ranks (that fall in the
 * slate) with probability 1/g; an arm without a tie is at its rank with probability 1.
 *
 * Logged: strategy = 'cold_start' by default; explored = (j != greedy position) with the greedy ranking by posterior
 * mean, so the slots that the optimism bonus (or a tie) moved are marked; score = the index.
 */
import {
  checkDistinctShown,
  checkSlateSize,
  greedyPositions,
  mapToFloat64,
  sampleWithoutReplacement,
  sdkRng,
  topK,
  type Marginals,
  type PolicyStrategy,
  type Rng,
  type Slate,
  type ShownSlot,
  strategyOf,
} from './common.js';
import { checkArms, type BetaArm } from './thompson.js';

export interface UcbOptions {
  slateSize: number;
  /** Exploration constant c >= 0. Default 1. */
  exploration?: number;
  /** T in the bonus. Default: the sum of alpha + beta over the arms. */
  totalTrials?: number;
  /** Strategy logged. Default 'cold_start'. */
  strategy?: PolicyStrategy;
  rng?: Rng;
}

const FN = 'ucb';

export function ucbIndices(arms: readonly BetaArm[], options: Pick<UcbOptions, 'exploration' | 'totalTrials'> = {}): Float64Array {
  const c = options.exploration ?? 1;
  if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`${FN}: exploration must be finite and >= 0 (got ${c})`);
  let T = options.totalTrials ?? 0;
  if (options.totalTrials === undefined) for (const a of arms) T += a.alpha + a.beta;
  if (!(T >= 1)) throw new RangeError(`${FN}: totalTrials must be >= 1 (got ${T})`);
  const lnT = Math.log(T);
  const c2 = 2 * lnT;
  return mapToFloat64(arms, (a) => {
    const n = a.alpha + a.beta;
    return a.alpha / n + c * Math.sqrt(c2 / n);
  });
}

interface Plan {
  top: number[];
  /** For each distinct index value in the top k, in rank order: its first rank (0-based) and all arms holding it. */
  groups: Array<{ start: number; members: number[] }>;
}

function plan(index: Float64Array, k: number): Plan {
  const top = topK(index, k);
  const values: number[] = [];
  for (const i of top) if (values[values.length - 1] !== index[i]) values.push(index[i]!);
  const members = new Map<number, number[]>(values.map((v) => [v, []]));
  const floor = values[values.length - 1]!;
  // Only an index at least the k-th largest can be in a top group: compare before looking up.
  for (let i = 0; i < index.length; i++) if (index[i]! >= floor) members.get(index[i]!)?.push(i);
  let start = 0;
  const groups = values.map((v) => {
    const g = { start, members: members.get(v)! };
    start += g.members.length;
    return g;
  });
  return { top, groups };
}

function resolve(arms: readonly BetaArm[], o: UcbOptions) {
  checkArms(FN, arms);
  checkSlateSize(FN, o.slateSize);
  return { k: Math.min(o.slateSize, arms.length), index: ucbIndices(arms, o) };
}

export function ucb(arms: readonly BetaArm[], options: UcbOptions): Slate {
  const { k, index } = resolve(arms, options);
  const rng = options.rng ?? sdkRng();
  const { groups } = plan(index, k);
  const greedy = greedyPositions(topK(mapToFloat64(arms, (a) => a.alpha / (a.alpha + a.beta)), k));
  const shown: ShownSlot[] = [];
  for (const g of groups) {
    const slots = Math.min(g.members.length, k - g.start);
    const order = g.members.length === 1 ? [0] : sampleWithoutReplacement(g.members.length, slots, rng);
    order.forEach((m, x) => {
      const l = g.members[m]!;
      const position = g.start + x + 1;
      shown.push({
        item_id: arms[l]!.item_id,
        position,
        propensity: 1 / g.members.length,
        explored: greedy.get(l) !== position,
        score: index[l]!,
      });
    });
  }
  checkDistinctShown(FN, shown);
  return { shown, strategy: strategyOf(FN, options.strategy, 'cold_start') };
}

/** The full table P(item at position) of {@link ucb}. */
export function ucbMarginals(arms: readonly BetaArm[], options: Omit<UcbOptions, 'rng'>): Marginals {
  const { k, index } = resolve(arms, options);
  const p = new Float64Array(arms.length * k);
  for (const g of plan(index, k).groups)
    for (const l of g.members) for (let r = g.start; r < Math.min(k, g.start + g.members.length); r++) p[l * k + r] = 1 / g.members.length;
  return { items: arms.map((a) => a.item_id), positions: k, p };
}
