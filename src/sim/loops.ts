/**
 * The recommendation loops of the simulator, run on the same world. Each loop chooses slates through the real SDK
 * policies (so propensities are the SDK's exact ones) and, where it learns, retrains at the end of every simulated day on
 * the logs it produced.
 *
 * - naive: logistic MF (model.ts), greedy top-k, retrained daily on its own clicks with every exposure weighted 1.
 * - guarded: the same model with Loopguard's safeguards: users are split by `createAssigner` (src/sdk/assign.ts) into a
 *   holdout (a non-personalized popularity ranking the model never touches, logged as 'holdout'), an exploration group
 *   (uniformly random slates, `epsilonGreedy` with epsilon 1, logged as 'exploration') and treatment (`swapTail`: the
 *   greedy slate, one slot of whose lower half goes, with probability swapEpsilon, to an item born in the last
 *   freshDays days); training weights every exposure by its clipped inverse logged propensity min(1/p, ipsClip) and
 *   leaves the holdout out.
 * - random: a uniformly random slate (`epsilonGreedy`, epsilon 1).
 * - popularity: the items with most clicks in the training window, the same for everyone (`greedySlate`, 'fallback').
 * - oracle: the top-k by true relevance (known only in simulation), the best any loop can do.
 */
import { createAssigner, type Assignment } from '../sdk/assign.js';
import { epsilonGreedy } from '../sdk/policies/epsilon-greedy.js';
import { greedySlate, topK, type Candidate, type Slate } from '../sdk/policies/common.js';
import { swapTail } from '../sdk/policies/swap-tail.js';
import { createRng, type Rng } from '../stats/rng.js';
import { LogisticMF, Rows, type ModelParams } from './model.js';
import { mix, type World } from './world.js';

export const LOOP_NAMES = ['naive', 'guarded', 'random', 'popularity', 'oracle'] as const;
export type LoopName = (typeof LOOP_NAMES)[number];

export { DEFAULT_GUARD, type GuardParams } from './guard.js';
import type { GuardParams } from './guard.js';

/** One logged exposure as the loop remembers it for training. */
interface Logged {
  user: number;
  item: number;
  clicked: boolean;
  propensity: number;
  heldOut: boolean;
  holdout: boolean;
}

export interface Choice {
  slate: Slate;
  /** Item indices in slot order. */
  items: number[];
}

const itemIndex = (id: string) => Number(id.slice(1));

export class Loop {
  /** Engagement e_u of each user under this loop. */
  engagement = new Float64Array(0);
  /** Habit vector of each user under this loop (row-major users x D), built by what the loop showed. */
  habit = new Float64Array(0);
  /** Cumulative set of items each user clicked (for homogenization). */
  consumed: Array<Set<number>> = [];
  model: LogisticMF | null = null;
  /** Clicks per item in the training window (popularity). */
  private popularity = new Float64Array(0);
  private days: Logged[][] = [];
  private today: Logged[] = [];
  private readonly rng: Rng;
  private readonly assigner: ((userId: string) => Assignment) | null;
  private candidates: Candidate[] = [];
  private scores = new Float64Array(0);
  /** Slots the guarded loop's treatment may swap: the lower half of the slate, where exploration costs least. */
  private readonly swapPositions: number[];

  constructor(
    readonly name: LoopName,
    private readonly world: World,
    seed: number,
    private readonly modelParams: ModelParams,
    private readonly guard: GuardParams,
    initial: LogisticMF | null,
    initialPopularity: Float64Array,
  ) {
    this.rng = createRng(mix(seed, LOOP_NAMES.indexOf(name) + 101));
    this.model = name === 'naive' || name === 'guarded' ? initial!.clone(createRng(mix(seed, LOOP_NAMES.indexOf(name) + 201))) : null;
    this.popularity = initialPopularity.slice();
    this.assigner = name === 'guarded' ? createAssigner({ salt: `sim-${seed}`, holdout: guard.holdoutShare, exploration: guard.explorationShare }) : null;
    const k = world.p.slateSize;
    this.swapPositions = Array.from({ length: k - Math.floor(k / 2) }, (_, j) => Math.floor(k / 2) + j + 1);
    this.sync();
  }

  /** Grows per-user and per-item state to the world's current size (new users are fully engaged). */
  sync(): void {
    const nU = this.world.nUsers, nI = this.world.nItems;
    if (this.engagement.length < nU) {
      const e = new Float64Array(nU).fill(1);
      e.set(this.engagement);
      this.engagement = e;
    }
    while (this.consumed.length < nU) this.consumed.push(new Set());
    if (this.habit.length < nU * this.world.D) {
      const h = new Float64Array(nU * this.world.D);
      h.set(this.habit);
      this.habit = h;
    }
    if (this.popularity.length < nI) {
      const p = new Float64Array(nI);
      p.set(this.popularity);
      this.popularity = p;
    }
    this.model?.ensure(nU, nI);
    while (this.candidates.length < nI) this.candidates.push({ item_id: this.world.items[this.candidates.length]!.id, score: 0 });
    if (this.scores.length < nI) this.scores = new Float64Array(nI);
  }

  groupOf(user: number): Assignment['group'] {
    return this.assigner ? this.assigner(this.world.users[user]!.id).group : 'treatment';
  }

  /** The slate for a visit of `user`. */
  choose(user: number): Choice {
    const k = this.world.p.slateSize;
    const cands = this.candidates;
    const setScores = (src: Float64Array) => {
      for (let i = 0; i < cands.length; i++) cands[i]!.score = src[i]!;
    };
    let slate: Slate;
    switch (this.name) {
      case 'random':
        setScores(this.scores.fill(0));
        slate = epsilonGreedy(cands, { epsilon: 1, slateSize: k, rng: this.rng });
        break;
      case 'popularity':
        setScores(this.popularity);
        slate = greedySlate(cands, { slateSize: k, strategy: 'fallback' });
        break;
      case 'oracle':
        this.world.relevanceAll(user, this.scores);
        setScores(this.scores);
        slate = greedySlate(cands, { slateSize: k, strategy: 'personalized' });
        break;
      case 'naive':
        this.model!.scoreAll(user, cands.length, this.scores);
        setScores(this.scores);
        slate = greedySlate(cands, { slateSize: k, strategy: 'personalized' });
        break;
      case 'guarded': {
        const group = this.groupOf(user);
        if (group === 'holdout') {
          setScores(this.popularity);
          slate = greedySlate(cands, { slateSize: k, strategy: 'holdout' });
        } else {
          this.model!.scoreAll(user, cands.length, this.scores);
          setScores(this.scores);
          slate =
            group === 'exploration'
              ? epsilonGreedy(cands, { epsilon: 1, slateSize: k, rng: this.rng })
              : this.explore(cands, k);
        }
        break;
      }
    }
    // Scores are logged rounded, which keeps the event small without changing anything downstream.
    for (const s of slate.shown) if (s.score !== undefined) s.score = Math.round(s.score * 1e4) / 1e4;
    return { slate, items: slate.shown.map((s) => itemIndex(s.item_id)) };
  }

  /**
   * The guarded treatment slate: swapTail over the greedy top k followed by the tail it may swap in: the items born in
   * the last freshDays days (or every other item when freshDays is 0). The candidate list is fixed before the draw, so
   * swapTail's propensities are exact for this policy.
   */
  private explore(cands: Candidate[], k: number): Slate {
    const options = { slateSize: k, epsilon: this.guard.swapEpsilon, positions: this.swapPositions, rng: this.rng };
    const fd = this.guard.freshDays;
    if (fd <= 0) return swapTail(cands, options);
    const top = topK(this.scores.subarray(0, cands.length), k);
    const inTop = new Set(top);
    const list: Candidate[] = top.map((i) => cands[i]!);
    const born = this.world.day - fd;
    for (let i = cands.length - 1; i >= 0 && this.world.items[i]!.born > born; i--) if (!inTop.has(i)) list.push(cands[i]!);
    return swapTail(list, options);
  }

  /** Records what a visit showed and what was clicked, for training and popularity. */
  record(user: number, choice: Choice, clicked: readonly boolean[], holdout: boolean): void {
    for (let k = 0; k < choice.items.length; k++) {
      this.today.push({
        user, item: choice.items[k]!, clicked: clicked[k]!, propensity: choice.slate.shown[k]!.propensity,
        heldOut: this.rng.next() < 0.2, holdout,
      });
      if (clicked[k]) this.consumed[user]!.add(choice.items[k]!);
    }
  }

  /**
   * End of day: the day's logs join the training window, the model (naive, guarded) is retrained on it and popularity
   * recounted. Returns the offline metric of the retrained ranking: hit rate at k of the day's held-out logged clicks
   * (the share whose item the new ranking puts in the user's top k), the usual offline evaluation on logged data.
   */
  endOfDay(): number | null {
    this.days.push(this.today);
    this.today = [];
    const W = this.modelParams.windowDays;
    if (this.days.length > W) this.days.shift();
    this.sync();
    this.popularity.fill(0);
    for (const day of this.days) for (const r of day) if (r.clicked) this.popularity[r.item]!++;
    if (this.model) {
      const rows = new Rows(8192);
      const clip = this.guard.ipsClip;
      for (const day of this.days)
        for (const r of day) {
          if (r.heldOut && day === this.days[this.days.length - 1]) continue;
          if (this.name === 'guarded' && r.holdout) continue;
          rows.push(r.user, r.item, r.clicked ? 1 : 0, this.name === 'guarded' ? Math.min(1 / r.propensity, clip) : 1);
        }
      this.model.fit(rows);
    }
    if (this.name === 'random') return null;
    const last = this.days[this.days.length - 1]!;
    let hits = 0, n = 0;
    const k = this.world.p.slateSize;
    const nI = this.world.nItems;
    for (const r of last) {
      if (!r.heldOut || !r.clicked) continue;
      const s = this.scoresFor(r.user);
      const target = s[r.item]!;
      let better = 0;
      for (let i = 0; i < nI && better < k; i++) if (s[i]! > target || (s[i] === target && i < r.item)) better++;
      n++;
      if (better < k) hits++;
    }
    return n ? hits / n : null;
  }

  private scoresFor(user: number): Float64Array {
    if (this.model) this.model.scoreAll(user, this.world.nItems, this.scores);
    else if (this.name === 'oracle') this.world.relevanceAll(user, this.scores);
    else this.scores.set(this.popularity.subarray(0, this.world.nItems));
    return this.scores;
  }
}

/**
 * Pre-launch: PRELAUNCH_SLATES uniformly random slates for every day-0 user, clicks drawn from the world, which trains the
 * model both learning loops start from (and the popularity counts every loop starts from). Not logged: it happened
 * before the loops began.
 */
/** Random slates per day-0 user before launch. */
export const PRELAUNCH_SLATES = 10;
const PRELAUNCH_PASSES = 5;

export function prelaunch(world: World, seed: number, modelParams: ModelParams): { model: LogisticMF; popularity: Float64Array } {
  const rng = createRng(mix(seed, 0xbeef));
  const model = new LogisticMF(modelParams, createRng(mix(seed, 0xcafe)));
  model.ensure(world.nUsers, world.nItems);
  const rows = new Rows(PRELAUNCH_SLATES * world.nUsers * world.p.slateSize);
  const popularity = new Float64Array(world.nItems);
  const k = world.p.slateSize;
  for (let s = 0; s < PRELAUNCH_SLATES; s++)
  for (let u = 0; u < world.nUsers; u++) {
    const seen = new Set<number>();
    for (let slot = 0; slot < k; slot++) {
      let i = rng.int(world.nItems);
      while (seen.has(i)) i = rng.int(world.nItems);
      seen.add(i);
      const click = rng.next() < world.exam[slot]! * world.relevance(u, i);
      rows.push(u, i, click ? 1 : 0, 1);
      if (click) popularity[i]!++;
    }
  }
  // The launch model is fitted to convergence on the pre-launch logs (many passes); daily retrains then warm-start.
  for (let e = 0; e < PRELAUNCH_PASSES; e++) model.fit(rows);
  return { model, popularity };
}
