/**
 * The simulated world: users with latent preferences (some drifting), items with latent attributes and a true quality,
 * new users and items arriving every day (cold start), and a click model with position bias. Everything a loop does
 * not control is decided here from the world's own seed, so every loop sees the same users, items, drift and arrivals.
 *
 * Model (after Chaney, Stewart & Engelhardt 2018, "How algorithmic confounding in recommendation systems increases
 * homogeneity and decreases utility", RecSys, and its T-RECS replication, Lucherini et al. 2021):
 * - Taste clusters c = 0..C-1 with Zipf shares w_c ∝ (c + 1)^-clusterSkew (a majority taste and niche ones). Cluster
 *   centres are random unit vectors in R^D. A user's preference p_u and an item's attributes v_i are its cluster's
 *   centre plus N(0, spread^2 / D) noise per coordinate, rescaled to unit length. Users draw clusters by w; items
 *   uniformly (every taste has its items).
 * - Wants: the probability that a user who looks at an item wants it (and is satisfied by it) is
 *       rel(u, i) = sigmoid(relevanceBias + affinity * p_u . v_i + q_i - ageDecay * age_i),
 *   q_i ~ N(0, qualitySd^2) the true quality, age_i in days (freshness; the day-0 catalog has items of every age up to
 *   INITIAL_AGE_DAYS, so the catalog starts in a steady state).
 * - Position bias (the position-based model, Craswell et al. 2008, WSDM): slot k (1-based) is looked at with
 *   probability exam(k) = 1 / k^positionBias.
 * - Habits: a looked-at item the user does not want is still clicked with probability
 *   habitStrength * max(0, min(1, h_u . v_i)), where the habit vector h_u follows what the loop has been showing the
 *   user: h_u <- (1 - habitRate) h_u + habitRate * (examination-weighted mean of the slate's attribute vectors). A
 *   narrow slate builds a strong habit, a varied one averages out (mere exposure, Zajonc 1968; preference
 *   amplification, Kalimeris et al. 2021, KDD). Habit clicks count in every click metric but satisfy nobody: they are
 *   the preferences a loop manufactures.
 * - True utility of a slate: its expected wanted clicks, sum_k exam(k) rel(u, item_k).
 * - Engagement: a user visits on a day with probability visitRate * e_u. After each visit e_u moves towards the visit's
 *   outcome (1 if the user clicked something wanted, else 0): e_u <- (1 - engagementRate) e_u + engagementRate * wanted,
 *   floored at minEngagement. Users a loop serves badly come back less (the exit dynamics of Hashimoto et al. 2018,
 *   "Fairness without demographics in repeated loss minimization", ICML). Engagement and habits belong to a loop (each loop
 *   has its own copy of them); preferences, drift and arrivals belong to the world.
 * - Drift: a share driftShare of users (chosen at birth) take a random-walk step of size driftStep each day:
 *   p_u <- normalize(p_u + driftStep * z / sqrt(D)), z ~ N(0, I).
 * - Arrivals: every day newUsersPerDay users and newItemsPerDay items are born, drawn as above (cold start).
 */
import { createRng, type Rng } from '../stats/rng.js';

export interface WorldParams {
  /** Users at day 0. */
  users: number;
  /** Items at day 0. */
  items: number;
  /** Latent dimensions D. */
  dims: number;
  /** Taste clusters C. */
  clusters: number;
  /** Zipf exponent of the cluster shares (0 = equal tastes). */
  clusterSkew: number;
  /** Spread of users and items around their cluster centre. */
  spread: number;
  /** Standard deviation of the true item quality q_i. */
  qualitySd: number;
  /** Weight of the preference match p_u . v_i in the relevance logit. */
  affinity: number;
  /** Intercept of the relevance logit. */
  relevanceBias: number;
  /** Exponent eta of the examination probability 1 / k^eta of slot k. */
  positionBias: number;
  /** Slots per slate. */
  slateSize: number;
  /** Probability that a fully engaged user visits on a given day. */
  visitRate: number;
  /** Step of the engagement update towards the visit's outcome. */
  engagementRate: number;
  /** Lowest engagement (a user never leaves for good). */
  minEngagement: number;
  /** Share of users whose preferences drift. */
  driftShare: number;
  /** Size of a drifting user's daily random-walk step. */
  driftStep: number;
  /** New users per day (cold start). */
  newUsersPerDay: number;
  /** New items per day (cold start). */
  newItemsPerDay: number;
  /** Logit lost per day of an item's age (freshness). */
  ageDecay: number;
  /** Largest probability of a habit click (on an item aligned with the user's habit). */
  habitStrength: number;
  /** Step of the habit update towards the mean attributes of the slate shown. */
  habitRate: number;
}

export const DEFAULT_WORLD: WorldParams = {
  users: 1000,
  items: 400,
  dims: 8,
  clusters: 6,
  clusterSkew: 1,
  spread: 0.6,
  qualitySd: 0.5,
  affinity: 3,
  relevanceBias: -2.2,
  positionBias: 1,
  slateSize: 10,
  visitRate: 0.6,
  engagementRate: 0.3,
  minEngagement: 0.1,
  driftShare: 0.3,
  driftStep: 0.15,
  newUsersPerDay: 10,
  newItemsPerDay: 16,
  ageDecay: 0.03,
  habitStrength: 0.3,
  habitRate: 0.2,
};

/** Help text for each parameter (flags and docs). */
export const WORLD_HELP: Record<keyof WorldParams, string> = {
  users: 'users at day 0',
  items: 'items at day 0',
  dims: 'latent dimensions',
  clusters: 'taste clusters',
  clusterSkew: 'Zipf exponent of the cluster shares (0 = equal)',
  spread: 'spread of users and items around their cluster centre',
  qualitySd: 'standard deviation of the true item quality',
  affinity: 'weight of the preference match in the relevance logit',
  relevanceBias: 'intercept of the relevance logit',
  positionBias: 'exponent of the examination probability 1/k^eta of slot k',
  slateSize: 'slots per slate',
  visitRate: 'daily visit probability of a fully engaged user',
  engagementRate: 'step of the engagement update after a visit',
  minEngagement: 'lowest engagement',
  driftShare: 'share of users whose preferences drift',
  driftStep: 'daily random-walk step of a drifting user',
  newUsersPerDay: 'new users per day',
  newItemsPerDay: 'new items per day',
  ageDecay: 'logit of relevance lost per day of an item\'s age',
  habitStrength: 'largest probability of a habit click',
  habitRate: 'step of the habit update towards the slate shown',
};

export const INTEGER_PARAMS: ReadonlySet<keyof WorldParams> = new Set(['users', 'items', 'dims', 'clusters', 'slateSize', 'newUsersPerDay', 'newItemsPerDay']);

export function checkWorldParams(p: WorldParams): void {
  const bad = (k: string, why: string) => {
    throw new RangeError(`${k} ${why} (got ${(p as unknown as Record<string, number>)[k]})`);
  };
  for (const k of Object.keys(DEFAULT_WORLD) as Array<keyof WorldParams>) {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(k, 'must be a finite number');
    if (INTEGER_PARAMS.has(k) && !Number.isInteger(v)) bad(k, 'must be a whole number');
  }
  if (p.users < 2 || p.users > 1_000_000) bad('users', 'must be from 2 to 1000000');
  if (p.items < p.slateSize + 1 || p.items > 100_000) bad('items', `must be from slateSize + 1 (${p.slateSize + 1}) to 100000`);
  if (p.dims < 1 || p.dims > 256) bad('dims', 'must be from 1 to 256');
  if (p.clusters < 1 || p.clusters > 1000) bad('clusters', 'must be from 1 to 1000');
  if (p.slateSize < 1 || p.slateSize > 100) bad('slateSize', 'must be from 1 to 100');
  for (const k of ['clusterSkew', 'spread', 'qualitySd', 'affinity', 'positionBias', 'driftStep', 'newUsersPerDay', 'newItemsPerDay', 'ageDecay'] as const)
    if (p[k] < 0) bad(k, 'must be >= 0');
  for (const k of ['visitRate', 'engagementRate', 'minEngagement', 'driftShare', 'habitStrength', 'habitRate'] as const) if (p[k] < 0 || p[k] > 1) bad(k, 'must be in [0, 1]');
}

/** The day-0 catalog's items are 0..INITIAL_AGE_DAYS days old. */
export const INITIAL_AGE_DAYS = 60;

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** A user or item: a unit vector, its cluster, and the day it was born. */
export interface Entity {
  index: number;
  id: string;
  cluster: number;
  born: number;
}

export class World {
  readonly p: WorldParams;
  readonly D: number;
  /** Examination probability of slots 1..slateSize (index 0 = slot 1). */
  readonly exam: Float64Array;
  readonly users: Array<Entity & { drifts: boolean }> = [];
  readonly items: Entity[] = [];
  /** Row-major preference vectors (users x D) and attribute vectors (items x D), grown as entities arrive. */
  userVec: Float64Array;
  itemVec: Float64Array;
  quality: Float64Array;
  private readonly centres: Float64Array;
  private readonly shares: Float64Array;
  private readonly rng: Rng;
  day = 0;

  constructor(params: WorldParams, readonly seed: number) {
    checkWorldParams(params);
    this.p = params;
    this.D = params.dims;
    this.rng = createRng(mix(seed, 0x5717));
    this.exam = new Float64Array(params.slateSize);
    for (let k = 0; k < params.slateSize; k++) this.exam[k] = 1 / Math.pow(k + 1, params.positionBias);
    this.centres = new Float64Array(params.clusters * this.D);
    for (let c = 0; c < params.clusters; c++) this.unitGaussian(this.centres, c * this.D);
    this.shares = new Float64Array(params.clusters);
    let s = 0;
    for (let c = 0; c < params.clusters; c++) s += (this.shares[c] = Math.pow(c + 1, -params.clusterSkew));
    for (let c = 0; c < params.clusters; c++) this.shares[c]! /= s;
    this.userVec = new Float64Array(0);
    this.itemVec = new Float64Array(0);
    this.quality = new Float64Array(0);
    this.addUsers(params.users);
    this.addItems(params.items);
  }

  get nUsers(): number {
    return this.users.length;
  }
  get nItems(): number {
    return this.items.length;
  }

  /** Share of users in each cluster (the Zipf weights). */
  clusterShares(): Float64Array {
    return this.shares.slice();
  }

  private unitGaussian(out: Float64Array, at: number): void {
    let n = 0;
    for (let d = 0; d < this.D; d++) n += (out[at + d] = this.rng.normal()) ** 2;
    n = Math.sqrt(n) || 1;
    for (let d = 0; d < this.D; d++) out[at + d]! /= n;
  }

  /** Cluster centre plus N(0, spread^2/D) noise, rescaled to unit length. */
  private member(out: Float64Array, at: number, cluster: number): void {
    const sd = this.p.spread / Math.sqrt(this.D);
    let n = 0;
    for (let d = 0; d < this.D; d++) n += (out[at + d] = this.centres[cluster * this.D + d]! + sd * this.rng.normal()) ** 2;
    n = Math.sqrt(n) || 1;
    for (let d = 0; d < this.D; d++) out[at + d]! /= n;
  }

  private drawCluster(): number {
    const u = this.rng.next();
    let acc = 0;
    for (let c = 0; c < this.shares.length; c++) if (u < (acc += this.shares[c]!)) return c;
    return this.shares.length - 1;
  }

  private addUsers(n: number): void {
    const start = this.users.length;
    this.userVec = grow(this.userVec, (start + n) * this.D);
    for (let j = 0; j < n; j++) {
      const index = start + j;
      const cluster = this.drawCluster();
      this.member(this.userVec, index * this.D, cluster);
      this.users.push({ index, id: `u${index}`, cluster, born: this.day, drifts: this.rng.next() < this.p.driftShare });
    }
  }

  private addItems(n: number): void {
    const start = this.items.length;
    this.itemVec = grow(this.itemVec, (start + n) * this.D);
    this.quality = grow(this.quality, start + n);
    for (let j = 0; j < n; j++) {
      const index = start + j;
      const cluster = this.rng.int(this.p.clusters);
      this.member(this.itemVec, index * this.D, cluster);
      this.quality[index] = this.p.qualitySd * this.rng.normal();
      // The day-0 catalog has items of every age up to INITIAL_AGE_DAYS; later items are born on their day.
      const born = this.day === 0 && this.items.length < this.p.items ? -this.rng.int(INITIAL_AGE_DAYS + 1) : this.day;
      this.items.push({ index, id: `i${index}`, cluster, born });
    }
  }

  /** Moves to the next day: drifting users take their step, then the day's new users and items arrive. */
  advanceDay(): void {
    this.day++;
    const step = this.p.driftStep / Math.sqrt(this.D);
    if (step > 0)
      for (const u of this.users) {
        if (!u.drifts) continue;
        const at = u.index * this.D;
        let n = 0;
        for (let d = 0; d < this.D; d++) n += (this.userVec[at + d] = this.userVec[at + d]! + step * this.rng.normal()) ** 2;
        n = Math.sqrt(n) || 1;
        for (let d = 0; d < this.D; d++) this.userVec[at + d]! /= n;
      }
    this.addUsers(this.p.newUsersPerDay);
    this.addItems(this.p.newItemsPerDay);
  }

  /**
   * The taste cluster whose centre is nearest (largest dot product; vectors are unit length) to user u's current
   * preference: the cluster the user was born in until drift carries them elsewhere. Draws no random numbers.
   */
  nearestCluster(user: number): number {
    const D = this.D, a = user * D;
    let best = 0, bestDot = -Infinity;
    for (let c = 0; c < this.p.clusters; c++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += this.userVec[a + d]! * this.centres[c * D + d]!;
      if (dot > bestDot) (bestDot = dot), (best = c);
    }
    return best;
  }

  /** rel(u, i): probability that user u wants item i once looking at it. */
  relevance(user: number, item: number): number {
    const D = this.D, a = user * D, b = item * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += this.userVec[a + d]! * this.itemVec[b + d]!;
    return sigmoid(this.p.relevanceBias + this.p.affinity * dot + this.quality[item]! - this.p.ageDecay * (this.day - this.items[item]!.born));
  }

  /** Probability of a habit click on item i for a habit vector h (at offset at): habitStrength * max(0, h . v_i). */
  habitClick(h: Float64Array, at: number, item: number): number {
    const D = this.D, b = item * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += h[at + d]! * this.itemVec[b + d]!;
    return dot > 0 ? this.p.habitStrength * Math.min(1, dot) : 0;
  }

  /**
   * The habit update after a visit: h <- (1 - habitRate) h + habitRate * (examination-weighted mean of the attribute
   * vectors of the slate shown). A narrow slate (similar items) builds a strong habit; a varied one averages out.
   */
  updateHabit(h: Float64Array, at: number, slate: readonly number[]): void {
    const D = this.D, r = this.p.habitRate;
    let wSum = 0;
    for (let k = 0; k < slate.length; k++) wSum += this.exam[k]!;
    for (let d = 0; d < D; d++) {
      let m = 0;
      for (let k = 0; k < slate.length; k++) m += this.exam[k]! * this.itemVec[slate[k]! * D + d]!;
      h[at + d] = (1 - r) * h[at + d]! + (r * m) / wSum;
    }
  }

  /** rel(u, i) for every item, into out. */
  relevanceAll(user: number, out: Float64Array): void {
    for (let i = 0; i < this.items.length; i++) out[i] = this.relevance(user, i);
  }

  /** True utility of a slate (item indices in slot order): its expected wanted clicks. */
  expectedClicks(user: number, slate: readonly number[]): number {
    let s = 0;
    for (let k = 0; k < slate.length; k++) s += this.exam[k]! * this.relevance(user, slate[k]!);
    return s;
  }
}

function grow<T extends Float64Array>(a: T, size: number): Float64Array {
  if (a.length >= size) return a;
  const b = new Float64Array(Math.max(size, Math.ceil(a.length * 1.5)));
  b.set(a);
  return b;
}

/** A 32-bit mix of a seed and a stream number (so loops, days and users get unrelated generators). */
export function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}
