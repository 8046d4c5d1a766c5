/**
 * Profile decay: has what each user engages with moved away from their long-term profile?
 *
 * Per user and item, the store sums exponentially decayed weights of the user's events (positive outcomes joined to
 * the exposures they answer, or exposures) over a short and a long half-life, as of time T:
 *
 *     w_h(e) = 2^(-(T - t_e) / h),   s_ui = sum_e w_short(e),   l_ui = sum_e w_long(e)
 *
 * (one GROUP BY user, item). Here: the distance between the short profile s_u / sum s_u and the long profile
 * l_u / sum l_u is their Jensen-Shannon distance (base 2, in [0, 1]); the change is significant when Pearson's statistic
 * of the short profile against the long one, with the short weights' Kish effective size n_eff = (sum s)^2 / sum s^2,
 *
 *     X^2 = n_eff sum_i (s_i / S - l_i / L)^2 / (l_i / L),   df = #items - 1,
 *
 * has p < alpha and the distance is at least min_distance. (The long profile contains the recent events too, which
 * makes the test conservative.) Then the outcome rate of recommendations in the recent window, per exposure, is
 * compared between changed and stable users (Wilson intervals, Newcombe difference).
 * Reference: Koren (2009), "Collaborative filtering with temporal dynamics", KDD (time-decayed user profiles); Ding &
 * Li (2005), "Time weight collaborative filtering", CIKM (exponential decay by half-life); Kish (1965) for n_eff.
 */
import { UserError } from '../../errors.js';
import { checkThresholds } from '../options.js';

/** Defaults of the profile-decay checks (each a share or probability in [0, 1]). */
const PROFILE_DECAY_THRESHOLDS = { alpha: 0.05, min_distance: 0.1, changed_share: 0.2 };

/** log2 of the least short-profile weight at T a user needs (2^-52: one event at T would outweigh it beyond double precision). */
const MIN_LOG2_WEIGHT = -52;
import { parseTimestampMicros } from '../../events/timestamp.js';
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { chiSquareSf } from '../../stats/chi-square.js';
import { jensenShannonDistance } from '../../stats/jensen-shannon.js';
import { newcombeDifferenceInterval } from '../../stats/proportion-diff.js';
import { wilsonInterval } from '../../stats/wilson.js';
import { lit, type Queryable } from '../sql.js';
import type { Result } from '../result.js';
import { fmt } from './compare.js';


export interface ProfileDecayOptions {
  project: string;
  /** Which events make a profile: positive outcomes (default) or exposures. */
  events?: 'outcomes' | 'exposures';
  /** Half-lives as durations: 3d, 12h, 2w. Defaults 3d and 60d. */
  shortHalfLife?: string;
  longHalfLife?: string;
  /** Window before T for the outcome rates. Default 7d. */
  recent?: string;
  /** T: default the project's latest exposure. */
  asOf?: string;
  /** Users with fewer events are left out. Default 5. */
  minEvents?: number;
  /** Item id -> category: profiles over categories instead of items (items not listed count as '(other)'). */
  categories?: Record<string, string>;
  thresholds?: { alpha?: number; min_distance?: number; changed_share?: number };
}

const MAX_DURATION_S = 100 * 365.25 * 86400;

/** Seconds of a duration such as 90s, 30m, 12h, 7d or 2w, at most 100 years. */
export function parseDuration(name: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$/.exec(text);
  if (!m) throw new UserError(`${name} must be a duration such as 12h, 7d or 2w (got '${text}')`);
  const v = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's']!;
  if (!(v > 0)) throw new UserError(`${name} must be longer than zero (got '${text}')`);
  // beyond what a time range in the store can hold (DuckDB's intervals overflowed: an unexpected error)
  if (v > MAX_DURATION_S) throw new UserError(`${name} must be at most 100 years (got '${text}')`);
  return v;
}

export async function profileDecay(db: Queryable, o: ProfileDecayOptions): Promise<Result> {
  const events = o.events ?? 'outcomes';
  const hs = parseDuration('short half-life', o.shortHalfLife ?? '3d');
  const hl = parseDuration('long half-life', o.longHalfLife ?? '60d');
  if (!(hl > hs)) throw new UserError('the long half-life must be longer than the short one');
  const recent = parseDuration('recent', o.recent ?? '7d');
  const minEvents = o.minEvents ?? 5;
  for (const [k, v] of Object.entries(o.thresholds ?? {})) {
    checkThresholds({ [k]: v }, PROFILE_DECAY_THRESHOLDS);
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new UserError(`threshold ${k} must be a number from 0 to 1 (got ${JSON.stringify(v)})`);
  }
  const { alpha, min_distance: minDistance, changed_share: changedShare } = { ...PROFILE_DECAY_THRESHOLDS, ...(o.thresholds ?? {}) };
  const ep = db.dialect.epochSeconds;
  let T: number;
  if (o.asOf) {
    const micros = parseTimestampMicros(o.asOf);
    if (micros === null) throw new UserError(`as-of must be a date or RFC 3339 time (got '${o.asOf}')`);
    T = micros / 1e6;
  } else {
    const r = await db.query(`SELECT ${ep('max(ts)')} AS t FROM exposures WHERE project = ?`, [o.project]);
    if (r[0]?.t === null || r[0]?.t === undefined) throw new UserError(`project ${o.project} has no exposures; profile decay needs exposures and outcomes`);
    T = Number(r[0].t);
  }
  const result: Result = {
    analysis: 'profile_decay',
    inputs: { project: o.project, events, profile_over: o.categories ? 'categories' : 'items', short_half_life: o.shortHalfLife ?? '3d', long_half_life: o.longHalfLife ?? '60d', recent: o.recent ?? '7d', as_of: new Date(T * 1000).toISOString(), min_events: minEvents, alpha, min_distance: minDistance },
    metrics: [],
    verdicts: [],
  };
  const positive = `o.value > 0 AND o.kind NOT IN (${NEGATIVE_OUTCOME_KINDS.map(lit).join(', ')})`;
  const base =
    events === 'exposures'
      ? `SELECT user_id AS u, item_id AS item, ${ep('ts')} AS t FROM exposures WHERE project = ? AND user_id IS NOT NULL AND ${ep('ts')} <= ${T}`
      : `SELECT e.user_id AS u, o.item_id AS item, ${ep('o.ts')} AS t FROM outcomes o
           JOIN (SELECT DISTINCT request_id, item_id, user_id FROM exposures WHERE project = ?) e ON o.request_id = e.request_id AND o.item_id = e.item_id
          WHERE o.project = ? AND e.user_id IS NOT NULL AND ${positive} AND ${ep('o.ts')} <= ${T}`;
  const params = events === 'exposures' ? [o.project] : [o.project, o.project];
  // Weights relative to each user's latest event tu: 2^(-(tu - t) / h) = w_h(e) * 2^((T - tu) / h), one factor per user
  // that cancels in the profiles s / S, l / L and in n_eff. The latest event weighs 1, so no sum underflows however
  // far T lies after it; the absolute weight of the short profile is kept as log2 S - (T - tu) / h_short.
  // (tu by a join with the per-user maximum, not a window function: analysis SQL stays what every engine shares)
  const rows = await db.queryColumns(
    `SELECT ev.u AS u, ev.item AS item, sum(pow(0.5, (m.tu - ev.t) / ${hs})) AS ws, sum(pow(0.5, 2 * (m.tu - ev.t) / ${hs})) AS ws2,
            sum(pow(0.5, (m.tu - ev.t) / ${hl})) AS wl, CAST(count(*) AS DOUBLE) AS n, CAST(max(${T} - m.tu) AS DOUBLE) AS lag
       FROM (${base}) AS ev JOIN (SELECT u, max(t) AS tu FROM (${base}) AS ev1 GROUP BY u) AS m ON ev.u = m.u
      GROUP BY ev.u, ev.item ORDER BY ev.u`,
    [...params, ...params],
  );
  const lagOf = rows.lag as Float64Array;
  let u = rows.u as Array<string | null>, ws = rows.ws as Float64Array, ws2 = rows.ws2 as Float64Array, wl = rows.wl as Float64Array, cnt = rows.n as Float64Array;
  if (o.categories) {
    // Sum the per-item weights into per-category weights, user by user (rows come sorted by user).
    const cat = o.categories, items = rows.item as Array<string | null>;
    const key: string[] = [], acc = new Map<string, number>();
    const nu: Array<string | null> = [], a: number[][] = [[], [], [], []];
    for (let i = 0; i < u.length; i++) {
      const k = `${u[i]}\u0000${cat[String(items[i])] ?? '(other)'}`;
      let at = acc.get(k);
      if (at === undefined) {
        acc.set(k, (at = key.length));
        key.push(k);
        nu.push(u[i]!);
        for (const arr of a) arr.push(0);
      }
      a[0]![at]! += ws[i]!;
      a[1]![at]! += ws2[i]!;
      a[2]![at]! += wl[i]!;
      a[3]![at]! += cnt[i]!;
    }
    u = nu;
    [ws, ws2, wl, cnt] = a.map((arr) => Float64Array.from(arr)) as [Float64Array, Float64Array, Float64Array, Float64Array];
  }
  // Lag T - tu of each user (the same on each of the user's rows, before or after the category sums).
  const lagByUser = new Map<string, number>();
  for (let i = 0; i < (rows.u as unknown[]).length; i++) lagByUser.set(String((rows.u as unknown[])[i]), lagOf[i]!);
  const status = new Map<string, boolean>();
  const distances: number[] = [];
  let skipped = 0, noWeight = 0, minLag = Infinity;
  for (let i = 0; i < u.length; ) {
    let j = i;
    while (j < u.length && u[j] === u[i]) j++;
    const user = String(u[i]);
    let n = 0, S = 0, S2 = 0, L = 0;
    for (let k = i; k < j; k++) (n += cnt[k]!), (S += ws[k]!), (S2 += ws2[k]!), (L += wl[k]!);
    const lag = lagByUser.get(user) ?? 0;
    if (n < minEvents || !(S > 0) || !(L > 0) || !(S2 > 0)) {
      skipped++;
      i = j;
      continue;
    }
    minLag = Math.min(minLag, lag);
    // log2 of the short profile's weight as of T: below -52 an event at T would outweigh it beyond double precision,
    // i.e. the user has no recent activity left to profile.
    if (Math.log2(S) - lag / hs < MIN_LOG2_WEIGHT) {
      noWeight++;
      i = j;
      continue;
    }
    const s: number[] = [], l: number[] = [];
    // An item whose long weight underflowed (last seen over ~1,000 long half-lives before the user's latest event) has
    // no short weight either: it is no part of either profile.
    for (let k = i; k < j; k++) if (wl[k]! > 0) (s.push(ws[k]!), l.push(wl[k]!));
    const d = jensenShannonDistance(s, l, { base: 2 });
    const nEff = (S * S) / S2;
    let x2 = 0;
    for (let k = 0; k < s.length; k++) {
      const e = l[k]! / L;
      x2 += (s[k]! / S - e) ** 2 / e;
    }
    x2 *= nEff;
    const p = s.length > 1 ? chiSquareSf(x2, s.length - 1) : 1;
    status.set(user, p < alpha && d >= minDistance);
    distances.push(d);
    i = j;
  }
  const users = status.size;
  Object.assign(result.inputs, { users_skipped_few_events: skipped, users_skipped_no_recent_weight: noWeight });
  if (users === 0 && noWeight > 0) {
    const latest = new Date((T - minLag) * 1000).toISOString();
    result.verdicts.push({
      check: 'data',
      status: 'unknown',
      message: `No user has recent activity at ${result.inputs.as_of}: the latest qualifying event (${latest}) is ${fmt(minLag / hs)} short half-lives earlier, so every short profile has decayed to nothing; use an earlier --as-of or a longer --short-half-life.`,
    });
    return result;
  }
  if (users === 0) {
    result.verdicts.push({ check: 'data', status: 'unknown', message: `No user has ${minEvents} or more ${events === 'exposures' ? 'exposures' : 'positive outcomes'} up to ${result.inputs.as_of}, so no profile can be compared; lower --min-events or check the project.` });
    return result;
  }
  const changed = [...status.values()].filter(Boolean).length;
  distances.sort((a, b) => a - b);
  result.metrics.push(
    { name: 'users', value: users },
    { name: 'changed_users', value: changed, n: users },
    { name: 'changed_share', value: changed / users, ci: ((w) => [w.lower, w.upper] as [number, number])(wilsonInterval(changed, users)), n: users },
    { name: 'profile_distance_mean', value: distances.reduce((a, b) => a + b, 0) / users, n: users },
    { name: 'profile_distance_median', value: distances[Math.floor((users - 1) / 2)]!, n: users },
  );
  const share = changed / users;
  result.verdicts.push({
    check: 'profile_change',
    status: share >= changedShare ? 'warn' : 'ok',
    value: share,
    threshold: changedShare,
    message:
      share >= changedShare
        ? `${fmt(100 * share)}% of ${users} users' recent behaviour departs from their long-term profile: profiles built on long histories are going stale; shorten their half-life or refresh them more often.`
        : `${fmt(100 * share)}% of ${users} users changed their profile significantly, below ${fmt(100 * changedShare)}%: long-term profiles still describe most users.`,
  });

  // Outcome rate per exposure in the recent window, changed vs stable users.
  const from = T - recent;
  const shown = await db.query(
    `SELECT user_id AS u, count(*) AS n FROM exposures WHERE project = ? AND ${ep('ts')} > ${from} AND ${ep('ts')} <= ${T} GROUP BY user_id`,
    [o.project],
  );
  const hits = await db.query(
    `SELECT e.user_id AS u, count(*) AS n FROM outcomes o
       JOIN (SELECT DISTINCT request_id, item_id, user_id FROM exposures WHERE project = ?) e ON o.request_id = e.request_id AND o.item_id = e.item_id
      WHERE o.project = ? AND ${positive} AND ${ep('o.ts')} > ${from} AND ${ep('o.ts')} <= ${T} GROUP BY e.user_id`,
    [o.project, o.project],
  );
  const hitsOf = new Map(hits.map((r) => [String(r.u), Number(r.n)]));
  const acc = { changed: { x: 0, n: 0 }, stable: { x: 0, n: 0 } };
  for (const r of shown) {
    const st = status.get(String(r.u));
    if (st === undefined) continue;
    const a = st ? acc.changed : acc.stable;
    a.n += Number(r.n);
    a.x += Math.min(Number(r.n), hitsOf.get(String(r.u)) ?? 0);
  }
  for (const k of ['changed', 'stable'] as const) {
    const { x, n } = acc[k];
    if (n > 0) {
      const w = wilsonInterval(x, n);
      result.metrics.push({ name: 'outcome_rate', value: x / n, ci: [w.lower, w.upper], n, group: { users: k } });
    }
  }
  if (acc.changed.n > 0 && acc.stable.n > 0) {
    const d = newcombeDifferenceInterval(acc.changed.x, acc.changed.n, acc.stable.x, acc.stable.n);
    result.metrics.push({ name: 'outcome_rate_difference', value: d.difference, ci: [d.lower, d.upper], n: acc.changed.n + acc.stable.n, group: { users: 'changed - stable' } });
    const worse = d.upper < 0;
    result.verdicts.push({
      check: 'changed_users_outcomes',
      status: worse ? 'warn' : 'ok',
      value: d.difference,
      message: worse
        ? `Recommendations to users whose profile changed succeed less often (${fmt(100 * d.difference)} points, interval ${fmt(100 * d.lower)} to ${fmt(100 * d.upper)}): the model serves stale profiles; weight recent behaviour more.`
        : `Users whose profile changed get outcomes at a rate not clearly below stable users (difference ${fmt(100 * d.difference)} points, interval ${fmt(100 * d.lower)} to ${fmt(100 * d.upper)}).`,
    });
  }
  return result;
}
