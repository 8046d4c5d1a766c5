/**
 * User profiles that forget: per user, a weight per feature (an item category, a topic, an item) that decays
 * exponentially with a half-life, kept on two horizons at once, a short one (recent behaviour, default 1 day) and a
 * long one (the user's lasting taste, default 30 days).
 *
 *     v_h(now) = sum over events e of w_e 2^{-(now - t_e) / H_h}           (h = short, long)
 *
 * Stored as (value, time of last update) per feature and horizon and decayed lazily: an event of weight w at time t
 * turns (v, t0) into (v 2^{-(t - t0)/H} + w, t) when t >= t0, and adds w 2^{-(t0 - t)/H} to v when it arrives late.
 * Features whose long-horizon weight decays below `forgetBelow` are dropped, and a user keeps at most `maxFeatures`
 * (the weakest long-horizon ones go first), so memory stays bounded and old interests disappear rather than
 * accumulate.
 *
 * Change score: how far the user's recent behaviour is from their long-term profile, the Jensen-Shannon distance
 * sqrt(JSD) (base 2, in [0, 1]; Lin 1991, IEEE Trans. Inf. Theory 37(1); a metric: Endres & Schindelin 2003, IEEE
 * Trans. Inf. Theory 49(7)) between the short and long profiles normalized to distributions, the same distance the
 * store-side profile-decay analysis (src/analyses/drift/profile-decay.ts) reports. 0 = recent behaviour looks like
 * the long-term profile; near 1 = the user is doing something new (a signal to trust the long-term profile less, or
 * to explore more for this user). Null without any weight.
 *
 * Two stores share this interface and these semantics: {@link MemoryProfileStore} here, and DuckDbProfileStore in
 * src/store/duckdb/profiles.ts (persistent; not imported by the SDK, so serving processes need no DuckDB).
 */
import { jensenShannonDistance } from '../stats/jensen-shannon.js';

export interface ProfileOptions {
  /** Half-life of the short horizon, ms. Default 1 day. */
  shortHalfLifeMs?: number;
  /** Half-life of the long horizon, ms. Default 30 days. */
  longHalfLifeMs?: number;
  /** Long-horizon weight below which a feature is forgotten. Default 1e-3. */
  forgetBelow?: number;
  /** Most features kept per user. Default 500. */
  maxFeatures?: number;
}

export interface ResolvedProfileOptions {
  shortHalfLifeMs: number;
  longHalfLifeMs: number;
  forgetBelow: number;
  maxFeatures: number;
}

export const DAY_MS = 86_400_000;

export function resolveProfileOptions(o: ProfileOptions = {}): ResolvedProfileOptions {
  const r = {
    shortHalfLifeMs: o.shortHalfLifeMs ?? DAY_MS,
    longHalfLifeMs: o.longHalfLifeMs ?? 30 * DAY_MS,
    forgetBelow: o.forgetBelow ?? 1e-3,
    maxFeatures: o.maxFeatures ?? 500,
  };
  if (!(r.shortHalfLifeMs > 0) || !(r.longHalfLifeMs > 0) || !Number.isFinite(r.shortHalfLifeMs) || !Number.isFinite(r.longHalfLifeMs))
    throw new RangeError('profiles: half-lives must be finite and > 0');
  if (!(r.shortHalfLifeMs <= r.longHalfLifeMs)) throw new RangeError('profiles: the short half-life must not exceed the long one');
  if (!(r.forgetBelow >= 0)) throw new RangeError('profiles: forgetBelow must be >= 0');
  if (!Number.isInteger(r.maxFeatures) || r.maxFeatures < 1) throw new RangeError('profiles: maxFeatures must be an integer >= 1');
  return r;
}

/** One feature's state: values on both horizons as of time t (ms since the epoch). */
export interface FeatureState {
  short: number;
  long: number;
  t: number;
}

/** Value decayed from t0 to t with half-life H (t may be before t0: then it grows back, used for late events). */
export function decay(value: number, t0: number, t: number, halfLifeMs: number): number {
  return value * Math.pow(2, -(t - t0) / halfLifeMs);
}

/** Adds an event of weight w at time t to a feature state (new or existing). */
export function addEvent(state: FeatureState | undefined, w: number, t: number, o: ResolvedProfileOptions): FeatureState {
  if (!state) return { short: w, long: w, t };
  if (t >= state.t)
    return { short: decay(state.short, state.t, t, o.shortHalfLifeMs) + w, long: decay(state.long, state.t, t, o.longHalfLifeMs) + w, t };
  return { short: state.short + decay(w, t, state.t, o.shortHalfLifeMs), long: state.long + decay(w, t, state.t, o.longHalfLifeMs), t: state.t };
}

export type FeatureWeights = Record<string, number> | Iterable<readonly [string, number]>;

export function entriesOf(features: FeatureWeights): Array<[string, number]> {
  const list: Array<[string, number]> = Symbol.iterator in Object(features)
    ? [...(features as Iterable<readonly [string, number]>)].map(([k, v]) => [k, v])
    : Object.entries(features as Record<string, number>);
  for (const [k, v] of list) {
    if (typeof k !== 'string' || k.length === 0) throw new RangeError('profiles: feature names must be non-empty strings');
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`profiles: weight of ${JSON.stringify(k)} must be finite and >= 0 (got ${v})`);
  }
  return list;
}

export function timeOf(at: number | Date | undefined): number {
  const t = at === undefined ? Date.now() : at instanceof Date ? at.getTime() : at;
  if (!Number.isFinite(t)) throw new RangeError(`profiles: invalid time ${String(at)}`);
  return t;
}

/** A user's profile read at a time: both horizons decayed to `at`, and the change score. */
export interface Profile {
  user_id: string;
  at: number;
  short: Record<string, number>;
  long: Record<string, number>;
  /** Jensen-Shannon distance (base 2) between the normalized short and long profiles; null without any weight. */
  change: number | null;
}

/** Reads a set of feature states as a profile at time `at`. */
export function profileAt(userId: string, features: Iterable<readonly [string, FeatureState]>, at: number, o: ResolvedProfileOptions): Profile {
  // Null-prototype maps, so that a feature named __proto__ is a key like any other (on {} its assignment was lost).
  const short: Record<string, number> = Object.create(null), long: Record<string, number> = Object.create(null);
  const s: number[] = [], l: number[] = [];
  for (const [f, st] of features) {
    // Profiles only decay forward: read before a feature's last update (another host's clock, a replay), the feature
    // is seen as of that update. Decaying backward multiplied it by 2^(gap / half-life), to Infinity over years.
    const t = at < st.t ? st.t : at;
    const vs = decay(st.short, st.t, t, o.shortHalfLifeMs), vl = decay(st.long, st.t, t, o.longHalfLifeMs);
    short[f] = vs;
    long[f] = vl;
    s.push(vs);
    l.push(vl);
  }
  return { user_id: userId, at, short, long, change: changeScore(s, l) };
}

/** Jensen-Shannon distance (base 2, in [0, 1]) between the normalized vectors; null when either has no weight. */
export function changeScore(short: ArrayLike<number>, long: ArrayLike<number>): number | null {
  let ss = 0, sl = 0;
  for (let i = 0; i < short.length; i++) {
    ss += short[i]!;
    sl += long[i]!;
  }
  if (!(ss > 0) || !(sl > 0)) return null;
  return jensenShannonDistance(short, long, { base: 2 });
}

/**
 * Applies a batch of events to a user's feature map in place, then forgets what fell below the threshold (as of the
 * batch's time) and trims to maxFeatures. Returns the features removed.
 */
export function applyEvents(
  features: Map<string, FeatureState>,
  events: ReadonlyArray<readonly [string, number]>,
  t: number,
  o: ResolvedProfileOptions,
): string[] {
  for (const [f, w] of events) features.set(f, addEvent(features.get(f), w, t, o));
  const removed: string[] = [];
  const now = Math.max(t, ...[...features.values()].map((s) => s.t));
  for (const [f, st] of features)
    if (decay(st.long, st.t, now, o.longHalfLifeMs) < o.forgetBelow) {
      features.delete(f);
      removed.push(f);
    }
  if (features.size > o.maxFeatures) {
    const byWeight = [...features].map(([f, st]) => [f, decay(st.long, st.t, now, o.longHalfLifeMs)] as const).sort((a, b) => a[1] - b[1]);
    for (const [f] of byWeight.slice(0, features.size - o.maxFeatures)) {
      features.delete(f);
      removed.push(f);
    }
  }
  return removed;
}

export interface ProfileStore {
  /** Adds weight to features of a user at a time (default now). Weights are >= 0 (e.g. 1 per click). */
  update(userId: string, features: FeatureWeights, at?: number | Date): Promise<void>;
  /** The profile at a time (default now), or null for a user without any remembered feature. */
  get(userId: string, at?: number | Date): Promise<Profile | null>;
  /** Forgets a user entirely (e.g. on a deletion request). */
  delete(userId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The in-memory store, for a serving process: O(features touched) per update, O(user's features) per read.
 * `maxUsers` bounds memory by evicting the least recently updated users.
 */
export class MemoryProfileStore implements ProfileStore {
  readonly options: ResolvedProfileOptions;
  private readonly users = new Map<string, Map<string, FeatureState>>();
  private readonly maxUsers: number;

  constructor(options: ProfileOptions & { maxUsers?: number } = {}) {
    this.options = resolveProfileOptions(options);
    this.maxUsers = options.maxUsers ?? Infinity;
  }

  get size(): number {
    return this.users.size;
  }

  updateSync(userId: string, features: FeatureWeights, at?: number | Date): void {
    const t = timeOf(at);
    const events = entriesOf(features);
    let map = this.users.get(userId);
    if (map) this.users.delete(userId); // re-inserted below: Map order = recency of update
    else map = new Map();
    applyEvents(map, events, t, this.options);
    if (map.size === 0) return;
    this.users.set(userId, map);
    if (this.users.size > this.maxUsers) this.users.delete(this.users.keys().next().value!);
  }

  getSync(userId: string, at?: number | Date): Profile | null {
    const map = this.users.get(userId);
    if (!map || map.size === 0) return null;
    return profileAt(userId, map, timeOf(at), this.options);
  }

  async update(userId: string, features: FeatureWeights, at?: number | Date): Promise<void> {
    this.updateSync(userId, features, at);
  }

  async get(userId: string, at?: number | Date): Promise<Profile | null> {
    return this.getSync(userId, at);
  }

  async delete(userId: string): Promise<void> {
    this.users.delete(userId);
  }

  /** Drops every feature (and user) whose long-horizon weight at `at` is below forgetBelow. */
  prune(at?: number | Date): number {
    const t = timeOf(at);
    let removed = 0;
    for (const [u, map] of this.users) {
      for (const [f, st] of map)
        if (decay(st.long, st.t, t, this.options.longHalfLifeMs) < this.options.forgetBelow) {
          map.delete(f);
          removed++;
        }
      if (map.size === 0) this.users.delete(u);
    }
    return removed;
  }

  async close(): Promise<void> {
    this.users.clear();
  }
}
