/**
 * The request context the simulated serving system logs with every decision, as decision `attributes`: what a
 * production recommender knows about a request before it ranks (the features drift monitoring watches).
 *
 * - segment: the taste segment of the user now, `c0`..`c<C-1>`, the cluster whose centre is nearest to the user's
 *   current preference (world.ts, nearestCluster); what a segmentation job over recent behaviour assigns. Drifting
 *   users' preferences random-walk away from their birth cluster, so the segment mix moves day by day.
 * - device: `mobile`, `desktop` or `tablet`, fixed per user. Users who signed up before launch use them in the
 *   shares DEVICE_MIX_BEFORE; users who arrive after launch (new-users-per-day) come from an app-install campaign and
 *   use them in the shares DEVICE_MIX_AFTER, so the mobile share grows with every arrival.
 * - tenure_days: whole days since the user signed up. Users present at day 0 signed up uniformly over the
 *   INITIAL_TENURE_DAYS days before launch (about users / 365 sign-ups a day), arrivals on the day they arrive
 *   (new-users-per-day a day, several times more): a growth phase, so tenure's lower tail fills up while the base
 *   ages by a day each day.
 * - new_user: tenure_days < NEW_USER_DAYS (a boolean); its share rises with the arrivals.
 * - hour: the UTC hour of the request, 0-23, drawn from HOURLY_TRAFFIC (a consumer app's day: a night trough, an
 *   evening peak), the same curve every day and for everyone: the attribute that does not drift (a control).
 * - visits_7d: on how many of the 7 days before this one the user visited under this loop (0-7), the activity feature
 *   rankers use. Users present at day 0 bring a pre-launch history (each of the 7 days before launch visited with
 *   probability visit-rate, the rate of a fully engaged user); arrivals start at 0. Visits follow each loop's
 *   engagement, so this is the one attribute a loop moves itself: it falls where a loop serves users badly.
 *
 * What moves against the first week: tenure_days always (the base ages a day a day, arrivals fill the low end);
 * new_user over the first week, then it levels off (a constant arrival rate keeps the share of users under a week old
 * constant); device slowly towards mobile; visits_7d down under loops that lose their users' engagement; segment
 * little (each drifting user walks off on their own, in no common direction, so the segment mix barely changes while
 * individual profiles do: what profile-decay, not population drift, sees); hour not at all. Visits depend on each
 * loop's engagement (arrivals start fully engaged), so each loop's project sees its own mix of the same users.
 *
 * The context draws its numbers from a stream of its own (mix(seed, 0xc0de)), and the hour reuses the visit-time coin
 * the driver already drew, so adding the attributes changed no other number of the simulation.
 */
import { createRng, type Rng } from '../stats/rng.js';
import { mix, type World } from './world.js';

export const DEVICES = ['mobile', 'desktop', 'tablet'] as const;
/** Device shares of the users who signed up before launch. */
export const DEVICE_MIX_BEFORE = [0.55, 0.35, 0.1] as const;
/** Device shares of the users who arrive after launch (an app-install campaign). */
export const DEVICE_MIX_AFTER = [0.8, 0.15, 0.05] as const;
/** Users present at day 0 signed up uniformly over this many days before launch. */
export const INITIAL_TENURE_DAYS = 365;
/** A user is new for this many days after signing up. */
export const NEW_USER_DAYS = 7;
/** Relative traffic per UTC hour 0-23 (made up, shaped like a consumer app's day), the same every day. */
export const HOURLY_TRAFFIC = [2, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 2.5, 3.5, 4, 4.2, 4.5, 5, 4.8, 4.5, 4.5, 4.8, 5.5, 6.5, 7.5, 8, 7.5, 5.5, 3.5] as const;
/**
 * A request falls in the first HOUR_SPAN seconds of its hour, which leaves the outcomes (logged up to 5 + slateSize
 * seconds after the decision, at most 105 s) inside the decision's day.
 */
const HOUR_SPAN = 3400;

export const CONTEXT_ATTRIBUTES = ['segment', 'device', 'tenure_days', 'new_user', 'hour', 'visits_7d'] as const;
export type ContextAttributes = { segment: string; device: (typeof DEVICES)[number]; tenure_days: number; new_user: boolean; hour: number; visits_7d: number };

const HOURLY_CDF: Float64Array = (() => {
  const c = new Float64Array(24);
  let s = 0;
  for (let h = 0; h < 24; h++) c[h] = s += HOURLY_TRAFFIC[h]!;
  for (let h = 0; h < 24; h++) c[h]! /= s;
  return c;
})();

/**
 * The second of the day of a request from a uniform coin in [0, 1), by inversion of the hourly traffic: the hour is
 * the first h whose cumulative share exceeds the coin, and the coin's position within that hour's share places the
 * request within the hour's first HOUR_SPAN seconds. Monotone in the coin.
 */
export function secondOfDay(coin: number): number {
  let h = 0;
  while (h < 23 && coin >= HOURLY_CDF[h]!) h++;
  const lo = h ? HOURLY_CDF[h - 1]! : 0;
  const within = (coin - lo) / (HOURLY_CDF[h]! - lo);
  return h * 3600 + Math.min(HOUR_SPAN - 1, Math.floor(within * HOUR_SPAN));
}

/** The share of requests in each UTC hour (HOURLY_TRAFFIC normalized). */
export function hourlyShares(): Float64Array {
  const s = HOURLY_TRAFFIC.reduce((a, b) => a + b, 0);
  return Float64Array.from(HOURLY_TRAFFIC, (x) => x / s);
}

function draw(rng: Rng, shares: readonly number[]): number {
  const u = rng.next();
  let acc = 0;
  for (let j = 0; j < shares.length; j++) if (u < (acc += shares[j]!)) return j;
  return shares.length - 1;
}

/** Visits in a 7-day mask (bit j: visited j + 1 days ago). */
const popcount7 = (m: number) => {
  let n = 0;
  for (let x = m; x; x &= x - 1) n++;
  return n;
};

/** The per-user context of the world (sign-up day, device, pre-launch visits), grown as users arrive; same seed, same context. */
export class UserContext {
  private signup = new Int32Array(0);
  private device = new Uint8Array(0);
  /** 7-day visit masks before launch (day-0 users; 0 for arrivals). */
  prelaunch = new Uint8Array(0);
  private readonly rng: Rng;

  constructor(private readonly world: World, seed: number) {
    this.rng = createRng(mix(seed, 0xc0de));
    this.sync();
  }

  /** Draws the context of users who arrived since the last call (in user order, so the stream is deterministic). */
  sync(): void {
    const n = this.world.nUsers, start = this.signup.length;
    if (n <= start) return;
    const s = new Int32Array(n), d = new Uint8Array(n), v = new Uint8Array(n);
    s.set(this.signup);
    d.set(this.device);
    v.set(this.prelaunch);
    const rate = this.world.p.visitRate;
    for (let u = start; u < n; u++) {
      const born = this.world.users[u]!.born;
      // Users of day 0 were there before launch; later users arrive on their day.
      const before = born === 0;
      s[u] = before ? -this.rng.int(INITIAL_TENURE_DAYS) : born;
      d[u] = draw(this.rng, before ? DEVICE_MIX_BEFORE : DEVICE_MIX_AFTER);
      if (before) for (let j = 0; j < 7; j++) if (this.rng.next() < rate) v[u]! |= 1 << j;
    }
    this.signup = s;
    this.device = d;
    this.prelaunch = v;
  }

  /** The attributes of a request of user u on the world's current day at `second` of the day, under a loop's visit history. */
  attributes(u: number, second: number, visits: VisitHistory): ContextAttributes {
    const tenure = this.world.day - this.signup[u]!;
    return {
      segment: `c${this.world.nearestCluster(u)}`,
      device: DEVICES[this.device[u]!]!,
      tenure_days: tenure,
      new_user: tenure < NEW_USER_DAYS,
      hour: Math.floor(second / 3600),
      visits_7d: visits.last7(u),
    };
  }
}

/** One loop's record of which users visited on each of the last 7 days (visits follow that loop's engagement). */
export class VisitHistory {
  private recent = new Uint8Array(0);
  private today = new Uint8Array(0);

  constructor(private readonly context: UserContext) {}

  /** Grows to the users the context knows (day-0 users start from their pre-launch history, arrivals from none). */
  private grow(): void {
    const n = this.context.prelaunch.length;
    if (this.recent.length >= n) return;
    const r = new Uint8Array(n), t = new Uint8Array(n);
    r.set(this.recent);
    t.set(this.today);
    r.set(this.context.prelaunch.subarray(this.recent.length), this.recent.length);
    this.recent = r;
    this.today = t;
  }

  /** Days of the last 7 (before today) on which user u visited. */
  last7(u: number): number {
    this.grow();
    return popcount7(this.recent[u]!);
  }

  visit(u: number): void {
    this.grow();
    this.today[u] = 1;
  }

  /** End of the day: today joins the last 7 days. */
  endDay(): void {
    this.grow();
    for (let u = 0; u < this.recent.length; u++) this.recent[u] = ((this.recent[u]! << 1) | this.today[u]!) & 0x7f;
    this.today.fill(0);
  }
}
