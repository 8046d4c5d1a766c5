/**
 * The request context the simulator logs as decision attributes (src/sim/context.ts): its distributions against their
 * closed forms, the attributes in the store recomputed independently from the logged decisions, drift on a small
 * simulated store finding the drifting attributes (with the direction of each shift) and leaving the stable ones alone,
 * and the context changing no other number of the simulation.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { runSimulation, type SimulationOutput } from '../../src/sim/run.js';
import {
  DEVICE_MIX_AFTER, DEVICE_MIX_BEFORE, DEVICES, HOURLY_TRAFFIC, INITIAL_TENURE_DAYS, NEW_USER_DAYS, UserContext, VisitHistory, hourlyShares, secondOfDay,
} from '../../src/sim/context.js';
import { DEFAULT_WORLD, World } from '../../src/sim/world.js';
import { attributeColumns } from '../../src/analyses/drift/sources.js';
import { runDrift } from '../../src/analyses/drift/index.js';
import { runDashboardAnalysis } from '../../src/analyses/overview/analyses.js';
import type { Result } from '../../src/analyses/result.js';
import { tmpDir } from '../helpers.js';

describe('context: distributions', () => {
  it('secondOfDay inverts the hourly traffic curve and keeps outcomes inside the day', () => {
    const N = 100_000;
    const perHour = new Float64Array(24);
    let prev = -1;
    for (let j = 0; j < N; j++) {
      const s = secondOfDay((j + 0.5) / N);
      expect(s).toBeGreaterThanOrEqual(prev); // monotone in the coin
      prev = s;
      perHour[Math.floor(s / 3600)]!++;
    }
    // A grid of N coins puts HOURLY_TRAFFIC[h] / sum of the coins in hour h, to within one coin.
    const sum = HOURLY_TRAFFIC.reduce((a, b) => a + b, 0);
    for (let h = 0; h < 24; h++) expect(Math.abs(perHour[h]! / N - HOURLY_TRAFFIC[h]! / sum)).toBeLessThanOrEqual(1 / N + 1e-12);
    expect(hourlyShares().reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The last decision of the day leaves room for clicks on a 100-slot slate (5 s + 1 s per slot).
    expect(secondOfDay(1 - 2 ** -32) + 5 + 100).toBeLessThan(86_400);
    expect(secondOfDay(0)).toBe(0);
  });

  it('users of day 0: tenure uniform over the year before launch, the pre-launch device mix and visit history; arrivals: the campaign mix, tenure from their day', () => {
    const n = 20_000;
    const world = new World({ ...DEFAULT_WORLD, users: n, items: 20, newUsersPerDay: 2_000 }, 11);
    const ctx = new UserContext(world, 11);
    const visits = new VisitHistory(ctx);
    let tenure = 0, seen = 0;
    const dev = [0, 0, 0];
    for (let u = 0; u < n; u++) {
      const a = ctx.attributes(u, 0, visits);
      tenure += a.tenure_days;
      seen += a.visits_7d;
      dev[DEVICES.indexOf(a.device)]!++;
      expect(a.new_user).toBe(a.tenure_days < NEW_USER_DAYS);
    }
    // Uniform on 0..364: mean 182, sd sqrt((365^2 - 1) / 12); within 4 standard errors.
    const sd = Math.sqrt((INITIAL_TENURE_DAYS ** 2 - 1) / 12);
    expect(Math.abs(tenure / n - (INITIAL_TENURE_DAYS - 1) / 2)).toBeLessThan((4 * sd) / Math.sqrt(n));
    // Pre-launch visits: Binomial(7, visitRate) per user.
    const p = DEFAULT_WORLD.visitRate;
    expect(Math.abs(seen / n - 7 * p)).toBeLessThan(4 * Math.sqrt((7 * p * (1 - p)) / n));
    DEVICE_MIX_BEFORE.forEach((q, k) => expect(Math.abs(dev[k]! / n - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / n)));

    for (let d = 0; d < 5; d++) world.advanceDay();
    ctx.sync();
    const arrivals = world.nUsers - n;
    expect(arrivals).toBe(10_000);
    const devAfter = [0, 0, 0];
    for (let u = n; u < world.nUsers; u++) {
      const a = ctx.attributes(u, 7_200, visits);
      expect(a.tenure_days).toBe(world.day - world.users[u]!.born);
      expect(a.new_user).toBe(true);
      expect(a.visits_7d).toBe(0);
      expect(a.hour).toBe(2);
      devAfter[DEVICES.indexOf(a.device)]!++;
    }
    DEVICE_MIX_AFTER.forEach((q, k) => expect(Math.abs(devAfter[k]! / arrivals - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / arrivals)));
  });

  it('a visit history counts the visits of the 7 days before today', () => {
    const world = new World({ ...DEFAULT_WORLD, users: 2, items: 20, newUsersPerDay: 1 }, 3);
    const ctx = new UserContext(world, 3);
    const h = new VisitHistory(ctx);
    const start = ctx.prelaunch[0]!;
    let pre = 0;
    for (let x = start; x; x >>= 1) pre += x & 1;
    expect(h.last7(0)).toBe(pre);
    // User 0 visits on days 0, 1 and 3; then stays away. Its pre-launch days leave the window one by one.
    const pattern = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0];
    for (let d = 0; d < pattern.length; d++) {
      // Expected: logged visits of days d-7..d-1, plus the pre-launch days still inside the window.
      let want = 0;
      for (let back = 1; back <= 7; back++) {
        const day = d - back;
        want += day >= 0 ? pattern[day]! : (start >> (-day - 1)) & 1;
      }
      expect(h.last7(0)).toBe(want);
      if (pattern[d]) h.visit(0);
      h.endDay();
      world.advanceDay();
      ctx.sync();
    }
    // An arrival starts with no history.
    expect(h.last7(world.nUsers - 1)).toBe(0);
  });

  it('segment: the nearest taste cluster; it moves only for users whose preferences drift', () => {
    const exact = new World({ ...DEFAULT_WORLD, users: 300, items: 20, spread: 0, driftShare: 0 }, 5);
    for (let d = 0; d < 10; d++) exact.advanceDay();
    expect(exact.users.every((u) => exact.nearestCluster(u.index) === u.cluster)).toBe(true);
    const drifting = new World({ ...DEFAULT_WORLD, users: 300, items: 20, spread: 0, driftShare: 1, driftStep: 1, newUsersPerDay: 0 }, 5);
    for (let d = 0; d < 30; d++) drifting.advanceDay();
    const moved = drifting.users.filter((u) => drifting.nearestCluster(u.index) !== u.cluster).length;
    expect(moved / 300).toBeGreaterThan(0.5);
  });
});

describe('context: a small simulated store (500 users, 40 arrivals a day, 14 days)', () => {
  const ARRIVALS = 40, USERS = 500;
  let out: SimulationOutput;
  let store: DuckDbStore;
  const drifts: Record<string, Result> = {};

  beforeAll(async () => {
    const dbPath = path.join(tmpDir('lg-ctx-'), 'sim.duckdb');
    out = await runSimulation({ days: 14, seed: 1, world: { users: USERS, items: 200, newUsersPerDay: ARRIVALS }, dbPath, analyses: false });
    store = await DuckDbStore.open(dbPath);
    for (const loop of ['naive', 'random', 'oracle'])
      drifts[loop] = await runDrift(store, { project: `sim-${loop}`, reference: { window: '2025-01-01/2025-01-08' }, current: { window: '2025-01-08/2025-01-15' } });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  const verdict = (loop: string, column: string) => drifts[loop]!.verdicts.find((v) => v.check === 'column_drift' && v.group?.column === column)!;
  const metric = (loop: string, column: string, name: string) => drifts[loop]!.metrics.find((m) => m.name === name && m.group?.column === column)!.value!;
  /** Mean of a SQL expression over the decisions of a project before and from day 7. */
  const halves = async (project: string, expr: string) => {
    const rows = await store.query(`SELECT ts >= TIMESTAMP '2025-01-08' AS late, avg(${expr}) AS m FROM decisions WHERE project = $1 GROUP BY 1 ORDER BY 1`, [project]);
    return rows.map((r) => Number(r.m)) as [number, number];
  };

  it('every decision carries the six attributes, found by drift with their kinds', async () => {
    const { columns } = await attributeColumns(store, 'sim-naive');
    expect(Object.fromEntries(columns.map((c) => [c.name, c.kind]))).toEqual({
      device: 'categorical', hour: 'numeric', new_user: 'categorical', segment: 'categorical', tenure_days: 'numeric', visits_7d: 'numeric',
    });
    for (const p of out.projects) {
      const [r] = await store.query('SELECT count(*) AS n, count(*) FILTER (WHERE len(json_keys(attributes)) = 6) AS full FROM decisions WHERE project = $1', [p.project]);
      expect(Number(r!.n)).toBe(out.sent[p.loop].decisions);
      expect(Number(r!.full)).toBe(out.sent[p.loop].decisions);
    }
  });

  it('the attributes agree with the logged decisions themselves', async () => {
    const rows = await store.query(
      `SELECT count(*) AS n,
              count(*) FILTER (WHERE CAST(json_extract_string(attributes, '$.hour') AS INTEGER) <> hour(ts)) AS bad_hour,
              count(*) FILTER (WHERE json_extract_string(attributes, '$.new_user') <> CAST(CAST(json_extract_string(attributes, '$.tenure_days') AS INTEGER) < ${NEW_USER_DAYS} AS VARCHAR)) AS bad_new,
              count(*) FILTER (WHERE json_extract_string(attributes, '$.segment') NOT IN ('c0', 'c1', 'c2', 'c3', 'c4', 'c5')) AS bad_segment,
              count(*) FILTER (WHERE CAST(substr(user_id, 2) AS INTEGER) >= ${USERS}
                AND CAST(json_extract_string(attributes, '$.tenure_days') AS INTEGER)
                    <> date_diff('day', DATE '2025-01-01', CAST(ts AS DATE)) - (1 + (CAST(substr(user_id, 2) AS INTEGER) - ${USERS}) // ${ARRIVALS})) AS bad_arrival_tenure
         FROM decisions`,
    );
    expect(Number(rows[0]!.n)).toBeGreaterThan(20_000);
    const bad = Object.fromEntries(['bad_hour', 'bad_new', 'bad_segment', 'bad_arrival_tenure'].map((k) => [k, Number(rows[0]![k])]));
    expect(bad).toEqual({ bad_hour: 0, bad_new: 0, bad_segment: 0, bad_arrival_tenure: 0 });
    // A day-0 user's sign-up day is fixed: tenure minus the day is one number per user, within the year before launch.
    const [t] = await store.query(
      `SELECT count(*) AS users, count(*) FILTER (WHERE lo <> hi OR lo < 0 OR lo >= ${INITIAL_TENURE_DAYS}) AS bad FROM (
         SELECT user_id, min(k) AS lo, max(k) AS hi FROM (
           SELECT user_id, CAST(json_extract_string(attributes, '$.tenure_days') AS INTEGER) - date_diff('day', DATE '2025-01-01', CAST(ts AS DATE)) AS k
             FROM decisions WHERE CAST(substr(user_id, 2) AS INTEGER) < ${USERS}) s GROUP BY user_id) u`,
    );
    expect(Number(t!.users)).toBeGreaterThan(0.9 * USERS);
    expect(Number(t!.bad)).toBe(0);
    // visits_7d recounted from the log: the days among the 7 before with a decision of the same user in the same project
    // (for arrivals from their first day; for day-0 users once their pre-launch days left the window).
    const [v] = await store.query(
      `WITH d AS (SELECT project, user_id, event_id, CAST(json_extract_string(attributes, '$.visits_7d') AS INTEGER) AS v,
                         date_diff('day', DATE '2025-01-01', CAST(ts AS DATE)) AS day, CAST(substr(user_id, 2) AS INTEGER) >= ${USERS} AS arrival FROM decisions)
       SELECT count(*) AS n, count(*) FILTER (WHERE c <> v) AS bad FROM (
         SELECT a.event_id, a.v, count(b.day) AS c FROM d a LEFT JOIN d b
             ON b.project = a.project AND b.user_id = a.user_id AND b.day >= a.day - 7 AND b.day < a.day
          WHERE a.arrival OR a.day >= 7 GROUP BY a.event_id, a.v) s`,
    );
    expect(Number(v!.n)).toBeGreaterThan(10_000);
    expect(Number(v!.bad)).toBe(0);
    // Hours of all decisions follow the traffic curve (about 25,000 draws: a share's standard error is below 0.002).
    const hours = await store.query('SELECT hour(ts) AS h, count(*) AS n FROM decisions GROUP BY 1');
    const total = hours.reduce((s, r) => s + Number(r.n), 0);
    const shares = hourlyShares();
    for (const r of hours) expect(Math.abs(Number(r.n) / total - shares[Number(r.h)]!)).toBeLessThan(0.012);
    // On day 0 every user is fully engaged, so visitors bring Binomial(7, visit-rate) pre-launch visits.
    const [d0] = await store.query("SELECT avg(CAST(json_extract_string(attributes, '$.visits_7d') AS DOUBLE)) AS m, count(*) AS n FROM decisions WHERE project = 'sim-random' AND ts < TIMESTAMP '2025-01-02'");
    const p = DEFAULT_WORLD.visitRate;
    expect(Math.abs(Number(d0!.m) - 7 * p)).toBeLessThan(4 * Math.sqrt((7 * p * (1 - p)) / Number(d0!.n)));
  });

  it('drift, first week against the second: tenure_days and visits_7d drift, in the expected directions; hour and segment do not', async () => {
    for (const loop of ['naive', 'random', 'oracle']) {
      // Tenure: the base ages a day a day and arrivals fill the low end.
      expect(verdict(loop, 'tenure_days').status).toBe('fail');
      expect(metric(loop, 'tenure_days', 'wasserstein_norm')).toBeGreaterThan(0.2);
      // The controls: the hour curve is the same every day; drifting users walk off in no common direction.
      expect(verdict(loop, 'hour').status).toBe('ok');
      expect(metric(loop, 'hour', 'wasserstein_norm')).toBeLessThan(0.06);
      expect(verdict(loop, 'segment').status).toBe('ok');
      expect(metric(loop, 'segment', 'js')).toBeLessThan(0.06);
      // More new users, more of them on mobile (the arrivals' campaign mix): directions with margins, and for new_user
      // far more than chance.
      const [nu0, nu1] = await halves(`sim-${loop}`, "CASE WHEN json_extract_string(attributes, '$.new_user') = 'true' THEN 1 ELSE 0 END");
      expect(nu1).toBeGreaterThan(nu0 + 0.08);
      expect(metric(loop, 'new_user', 'z_pvalue')).toBeLessThan(1e-6);
      const [m0, m1] = await halves(`sim-${loop}`, "CASE WHEN json_extract_string(attributes, '$.device') = 'mobile' THEN 1 ELSE 0 END");
      expect(m1).toBeGreaterThan(m0 + 0.04);
    }
    // visits_7d: users come back less under every loop (each starts from full engagement); the loop that serves them
    // worst moves its own input most.
    for (const loop of ['naive', 'random']) {
      expect(verdict(loop, 'visits_7d').status).toBe('fail');
      const [v0, v1] = await halves(`sim-${loop}`, "CAST(json_extract_string(attributes, '$.visits_7d') AS DOUBLE)");
      expect(v1).toBeLessThan(v0 - 0.3);
    }
    expect(metric('random', 'visits_7d', 'wasserstein_norm')).toBeGreaterThan(metric('naive', 'visits_7d', 'wasserstein_norm') + 0.15);
    expect(metric('naive', 'visits_7d', 'wasserstein_norm')).toBeGreaterThan(metric('oracle', 'visits_7d', 'wasserstein_norm') + 0.1);
  });

  it('the dashboard\'s drift per day finds the same columns and flags tenure_days and visits_7d on the latest day', async () => {
    const r = await runDashboardAnalysis(store, 'sim-naive', 'drift', { versions: [] });
    expect(r.inputs.columns).toBe(6);
    const latest = r.verdicts.filter((v) => v.group?.baseline === 'reference');
    expect(latest.map((v) => v.group!.column).sort()).toEqual(['device', 'hour', 'new_user', 'segment', 'tenure_days', 'visits_7d']);
    expect(latest.find((v) => v.group!.column === 'tenure_days')!.status).toBe('fail');
    expect(latest.find((v) => v.group!.column === 'visits_7d')!.status).toBe('fail');
    // One drift share per day after the reference window (the first 4 of 14 days).
    expect(r.metrics.filter((m) => m.name === 'drift_share').map((m) => m.group!.day)).toHaveLength(10);
  });
});

describe('context: determinism', () => {
  it('same seed, same attributes; the attributes change no other number; another seed, other attributes', async () => {
    const dir = tmpDir('lg-ctx-det-');
    const run = (name: string, seed: number, attributes = true) =>
      runSimulation({ days: 3, seed, world: { users: 60, items: 40 }, analyses: false, attributes, dbPath: path.join(dir, `${name}.duckdb`) });
    const a = await run('a', 5), b = await run('b', 5), c = await run('c', 6), plain = await run('plain', 5, false);
    expect(plain.result.metrics).toEqual(a.result.metrics);
    const attrs = async (name: string) => {
      const s = await DuckDbStore.open(path.join(dir, `${name}.duckdb`));
      try {
        return (await s.query('SELECT project, request_id, CAST(ts AS VARCHAR) AS ts, attributes FROM decisions ORDER BY project, request_id')).map((r) => ({ ...r }));
      } finally {
        await s.close();
      }
    };
    const [ra, rb, rc, rp] = [await attrs('a'), await attrs('b'), await attrs('c'), await attrs('plain')];
    expect(ra.length).toBeGreaterThan(100);
    expect(rb).toEqual(ra);
    expect(rc).not.toEqual(ra);
    // Without attributes the same decisions at the same times, and no attributes.
    expect(rp.map((r) => [r.request_id, r.ts])).toEqual(ra.map((r) => [r.request_id, r.ts]));
    expect(rp.every((r) => r.attributes === null)).toBe(true);
  }, 90_000);
});
