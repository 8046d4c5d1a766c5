/**
 * Drift from the store on a designed project: 14 days of decisions whose attributes shift on day 8 (age +8 years, a
 * new country 'us' on 30% of traffic), users who switch item families on day 11. Every number checked has a known
 * cause in the design.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrift } from '../../../src/analyses/drift/index.js';
import { evalFreshness } from '../../../src/analyses/drift/eval-freshness.js';
import { profileDecay } from '../../../src/analyses/drift/profile-decay.js';
import type { Result } from '../../../src/analyses/result.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { createRng } from '../../../src/stats/rng.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';
import { oneItemDecision, tmpDir } from '../../helpers.js';

const DAY = 86_400_000_000;
const T0 = Date.UTC(2026, 0, 1) * 1000;
const PER_DAY = 200;
let store: DuckDbStore;
const metric = (r: Result, name: string, group: Record<string, string> = {}) =>
  r.metrics.find((m) => m.name === name && Object.entries(group).every(([k, v]) => m.group?.[k] === v))?.value;
const verdict = (r: Result, check: string, group: Record<string, string> = {}) =>
  r.verdicts.find((v) => v.check === check && Object.entries(group).every(([k, v2]) => v.group?.[k] === v2));

/** Attributes of a decision on day d (0-based): the shift starts on day 7 (2026-01-08). */
function attributes(rng: ReturnType<typeof createRng>, d: number) {
  const late = d >= 7;
  const u = rng.next();
  return {
    age: Math.round(30 + (late ? 8 : 0) + 5 * rng.normal()),
    country: late && u < 0.3 ? 'us' : u < (late ? 0.65 : 0.5) ? 'de' : 'fr',
    device: rng.next() < 0.5 ? 'mobile' : 'desktop',
  };
}

beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
  const rng = createRng(11);
  const events: ValidEvent[] = [];
  let n = 0;
  for (let d = 0; d < 14; d++)
    for (let k = 0; k < PER_DAY; k++) {
      n++;
      const ts = T0 + d * DAY + k * 400_000_000;
      const user = `u${k % 40}`;
      // Users u0..u19 switch from items a* to b* on day 10; the others keep a*.
      const family = k % 40 < 20 && d >= 10 ? 'b' : 'a';
      const item = `${family}${rng.int(3)}`;
      events.push(oneItemDecision(n, ts, user, attributes(rng, d), item));
      // Clicks: stable users click 30% of the time, switched users 10%.
      if (rng.next() < (family === 'b' ? 0.1 : 0.3))
        events.push({ type: 'outcome', tsMicros: ts + 1, event: { type: 'outcome', event_id: `o${n}`, ts: new Date(ts / 1000).toISOString(), request_id: `r${n}`, item_id: item, kind: 'click', value: 1 } } as ValidEvent);
    }
  await store.writeEvents([{ project: 'shop', events }]);
});
afterAll(async () => store?.close());

describe('drift between store windows', () => {
  it('finds the shifted attributes and reports the unseen country', async () => {
    const r = await runDrift(store, { project: 'shop', reference: { window: '2026-01-01/2026-01-08' }, current: { window: '2026-01-08/2026-01-15' }, domainClassifier: { permutations: 9 } });
    expect(r.inputs.reference_rows).toBe(7 * PER_DAY);
    expect(r.inputs.current_rows).toBe(7 * PER_DAY);
    expect(verdict(r, 'column_drift', { column: 'age' })!.status).toBe('fail');
    expect(verdict(r, 'column_drift', { column: 'country' })!.status).toBe('fail');
    expect(verdict(r, 'column_drift', { column: 'device' })!.status).toBe('ok');
    expect(metric(r, 'unseen_categories', { column: 'country' })).toBe(1);
    expect(metric(r, 'unseen_share', { column: 'country' })).toBeGreaterThan(0.25);
    expect(metric(r, 'unseen_share', { column: 'country' })).toBeLessThan(0.35);
    expect(verdict(r, 'column_drift', { column: 'country' })!.message).toMatch(/never seen in the reference/);
    expect(metric(r, 'drift_share')).toBeCloseTo(2 / 3, 12);
    expect(verdict(r, 'dataset_drift')!.status).toBe('fail');
    expect(metric(r, 'domain_auc')).toBeGreaterThan(0.7);
  });

  it('refuses an unknown project, an empty window and sides that share no column instead of reporting all ok', async () => {
    await expect(runDrift(store, { project: 'nope', reference: { window: '2026-01-01/2026-01-08' }, current: { window: '2026-01-08/2026-01-15' } })).rejects.toThrow(
      /^project nope has no decisions; check the project name/,
    );
    await expect(runDrift(store, { project: 'shop', reference: { window: '2030-01-01/2030-02-01' }, current: { window: '2026-01-08/2026-01-15' } })).rejects.toThrow(
      /^project shop has no decisions in the reference window 2030-01-01\/2030-02-01/,
    );
    await expect(runDrift(store, { project: 'shop', reference: { window: '2026-01-01/2026-01-08' }, current: { window: '2030-01-01/2030-02-01' } })).rejects.toThrow(
      /^project shop has no decisions in the current window 2030-01-01\/2030-02-01/,
    );
    await expect(runDrift(store, { project: 'shop', reference: { window: '2030-01-01/2030-02-01' }, window: 'day' })).rejects.toThrow(/no decisions in the reference window/);
    await expect(runDrift(store, { project: 'shop', reference: { window: '2026-01-01/2026-01-08' }, window: 'day', since: '2026-01-10', until: '2026-01-09' })).rejects.toThrow(/^since 2026-01-10 is after until 2026-01-09/);
    await expect(runDrift(store, { project: 'shop', reference: { window: '2026-01-01/2026-01-08' }, current: { window: '2026-01-08/2026-01-15' }, columnThresholds: { agee: 0.2 } })).rejects.toThrow(
      /^unknown threshold 'agee': neither a threshold .* nor a compared column \(age, country, device\)$/,
    );
    await expect(runDrift(store, { project: 'shop', reference: { window: '2026-01-01/2026-01-08' }, window: 'day', tests: { agee: 'ks' } })).rejects.toThrow(/^test for 'agee': no such column is compared/);
    // A file side against a window with no column in common: both sides' columns are named; the row counts are the
    // relations' own (no profile is needed to count them).
    await expect(
      runDrift(store, { project: 'shop', reference: { rows: [{ foo: 1 }, { foo: 2 }] }, current: { window: '2026-01-08/2026-01-15' } }),
    ).rejects.toThrow(/^no column shared by the reference and the current data: the reference reference rows has foo; the current shop 2026-01-08\.\.2026-01-15 has age, country, device$/);
    const r = await runDrift(store, { project: 'shop', reference: { rows: Array.from({ length: 30 }, (_, i) => ({ age: 30 + (i % 7), x: i })) }, current: { window: '2026-01-08/2026-01-10' }, domainClassifier: false });
    expect(r.inputs.reference_rows).toBe(30);
    expect(r.inputs.current_rows).toBe(2 * PER_DAY);
  });

  it('a column numeric on one side and text on the other: read as numbers when every value is one, else refused with its row', async () => {
    // JSON rows with quoted numbers: compared as numbers (and equal to the same rows with numbers).
    const quoted = Array.from({ length: 40 }, (_, i) => ({ age: String(30 + (i % 9)), device: i % 2 ? 'mobile' : 'desktop' }));
    const plain = quoted.map((r) => ({ ...r, age: Number(r.age) }));
    const a = await runDrift(store, { project: 'shop', reference: { rows: quoted }, current: { window: '2026-01-08/2026-01-10' }, domainClassifier: false });
    const b = await runDrift(store, { project: 'shop', reference: { rows: plain }, current: { window: '2026-01-08/2026-01-10' }, domainClassifier: false });
    expect((a.inputs.tests as any).age.type).toBe('numeric');
    expect(metric(a, 'ks', { column: 'age' })).toBe(metric(b, 'ks', { column: 'age' }));
    const bad = quoted.map((r, i) => (i === 6 ? { ...r, age: 'n/a' } : r));
    await expect(runDrift(store, { project: 'shop', reference: { rows: bad }, current: { window: '2026-01-08/2026-01-10' } })).rejects.toThrow(
      /^reference reference rows, row 7, column age: 'n\/a' is not a number, but age is numeric in the current data/,
    );
    // In the store: one decision whose attribute is a string names the decision.
    const s2 = await DuckDbStore.open(':memory:');
    try {
      const ev = (n: number, day: number, age: unknown) => {
        const ts = T0 + day * DAY + n * 1_000_000;
        return { type: 'decision', tsMicros: ts, event: { type: 'decision', event_id: `e${day}-${n}`, ts: new Date(ts / 1000).toISOString(), request_id: `q${day}-${n}`, user_id: 'u', surface: 's', policy: 'p', policy_version: 'v1', strategy: 'personalized', attributes: { age }, shown: [{ item_id: 'i', position: 1, propensity: 1, explored: false }] } } as ValidEvent;
      };
      const events = [...Array.from({ length: 30 }, (_, n) => ev(n, 0, 20 + n)), ...Array.from({ length: 30 }, (_, n) => ev(n, 1, n === 17 ? 'abc' : 20 + n))];
      await s2.writeEvents([{ project: 'p2', events }]);
      await expect(runDrift(s2, { project: 'p2', reference: { window: '2026-01-01/2026-01-02' }, current: { window: '2026-01-02/2026-01-03' } })).rejects.toThrow(
        /^current p2 2026-01-02\.\.2026-01-03, decision e1-17, column age: 'abc' is not a number, but age is numeric in the reference data/,
      );
    } finally {
      await s2.close();
    }
  });

  it('monitors per day against the reference window and the previous day', async () => {
    const r = await runDrift(store, { project: 'shop', reference: { window: '2026-01-01/2026-01-08' }, window: 'day' });
    expect(r.analysis).toBe('drift_monitor');
    expect(r.inputs.windows).toBe(14);
    // Before the shift: no day drifts as a whole; after it, every day does.
    for (let d = 1; d <= 14; d++) {
      const day = `2026-01-${String(d).padStart(2, '0')}`;
      const share = metric(r, 'drift_share', { day })!;
      if (d <= 7) expect(share).toBeLessThan(0.5);
      else expect(share).toBeGreaterThanOrEqual(0.5);
    }
    // Against the previous day the shift shows once, on 2026-01-08, for age.
    const jump = r.metrics.find((m) => m.name === 'wasserstein_norm' && m.group?.column === 'age' && m.group?.day === '2026-01-08' && m.group?.baseline === 'previous')!.value!;
    const after = r.metrics.find((m) => m.name === 'wasserstein_norm' && m.group?.column === 'age' && m.group?.day === '2026-01-12' && m.group?.baseline === 'previous')!.value!;
    expect(jump).toBeGreaterThan(1);
    expect(after).toBeLessThan(0.5);
    expect(verdict(r, 'dataset_drift', { day: '2026-01-14' })!.status).toBe('fail');
  });
});

describe('eval freshness', () => {
  it('flags an eval set from the first week: drift, uncovered country, rising staleness, and writes a refresh sample', async () => {
    const rng = createRng(5);
    const rows = Array.from({ length: 300 }, () => attributes(rng, 0));
    const file = path.join(tmpDir(), 'refresh.csv');
    const r = await evalFreshness(store, { project: 'shop', eval: { rows }, window: '7d', suggest: { n: 50, file } });
    expect(r.analysis).toBe('eval_freshness');
    expect(verdict(r, 'column_drift', { column: 'age' })!.status).toBe('fail');
    const uncovered = metric(r, 'uncovered_traffic_share', { region: 'country' })!;
    expect(uncovered).toBeGreaterThan(0.25);
    expect(uncovered).toBeLessThan(0.35);
    expect(r.metrics.find((m) => m.name === 'region_traffic_share' && m.group?.value === 'us')).toBeDefined();
    expect(verdict(r, 'eval_coverage')!.status).toBe('fail');
    expect(metric(r, 'staleness', { day: '2026-01-14' })!).toBeGreaterThan(metric(r, 'staleness', { day: '2026-01-03' })!);
    expect(metric(r, 'staleness_slope')!).toBeGreaterThan(0);
    expect(verdict(r, 'staleness')!.status).toBe('fail');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/event_id/);
    expect(lines.length).toBe(51);
    // Proportional allocation over country x device cells: about 30% 'us' rows.
    const us = lines.slice(1).filter((l) => l.includes(',us,')).length;
    expect(us).toBeGreaterThanOrEqual(10);
    expect(us).toBeLessThanOrEqual(20);
  });
});

describe('eval freshness with a stray text value', () => {
  it('in an old decision: counted missing in its day (no failed cast); in the recent window: refused with the decision named', async () => {
    const s2 = await DuckDbStore.open(':memory:');
    try {
      const ev = (n: number, day: number, age: unknown) => {
        const ts = T0 + day * DAY + n * 1_000_000;
        return { type: 'decision', tsMicros: ts, event: { type: 'decision', event_id: `e${day}-${n}`, ts: new Date(ts / 1000).toISOString(), request_id: `q${day}-${n}`, user_id: 'u', surface: 's', policy: 'p', policy_version: 'v1', strategy: 'personalized', attributes: { age, plan: n % 2 ? 'a' : 'b' }, shown: [{ item_id: 'i', position: 1, propensity: 1, explored: false }] } } as ValidEvent;
      };
      const events: ValidEvent[] = [];
      for (let d = 0; d < 10; d++) for (let n = 0; n < 30; n++) events.push(ev(n, d, d === 0 && n === 3 ? 'abc' : 20 + n));
      await s2.writeEvents([{ project: 'p', events }]);
      const rows = Array.from({ length: 30 }, (_, i) => ({ age: 20 + i, plan: i % 2 ? 'a' : 'b' }));
      const r = await evalFreshness(s2, { project: 'p', eval: { rows }, window: '3d' });
      expect((r.inputs.tests as any).age.type).toBe('numeric');
      // Days 2..10 hold exactly the eval set's rows: distance 0; day 1 lacks one age (29 of 30 rows), so it is not 0.
      expect(metric(r, 'staleness', { day: '2026-01-05' })).toBe(0);
      expect(metric(r, 'staleness', { day: '2026-01-01' })).toBeGreaterThan(0);
      await expect(evalFreshness(s2, { project: 'p', eval: { rows }, window: '10d' })).rejects.toThrow(
        /^recent traffic p last 10d, decision e0-3, column age: 'abc' is not a number, but age is numeric in the eval set data/,
      );
    } finally {
      await s2.close();
    }
  });
});

describe('profile decay', () => {
  it('finds the users who switched item families and their lower outcome rate', async () => {
    const r = await profileDecay(store, { project: 'shop', events: 'exposures', shortHalfLife: '1d', longHalfLife: '30d', recent: '4d' });
    expect(metric(r, 'users')).toBe(40);
    // 20 of 40 users switched from a* to b* items for the last 4 days; of the 20 stable ones, the 5% test may flag one
    // or two by chance (expected 1).
    expect(metric(r, 'changed_users')).toBeGreaterThanOrEqual(20);
    expect(metric(r, 'changed_users')).toBeLessThanOrEqual(22);
    const changed = metric(r, 'outcome_rate', { users: 'changed' })!, stable = metric(r, 'outcome_rate', { users: 'stable' })!;
    expect(changed).toBeLessThan(0.15);
    expect(stable).toBeGreaterThan(0.25);
    expect(verdict(r, 'changed_users_outcomes')!.status).toBe('warn');
    expect(verdict(r, 'profile_change')!.status).toBe('warn');
  });

  it('as of long after the last event: the same profiles (weights relative to each user), and no crash once they decay to nothing', async () => {
    const at = await profileDecay(store, { project: 'shop', events: 'exposures', shortHalfLife: '1d', longHalfLife: '30d', recent: '4d' });
    // 20 days (20 short half-lives) after the last exposure every weight of a user scales by one factor per half-life:
    // the normalised profiles, n_eff and so every distance and test are unchanged.
    const later = await profileDecay(store, { project: 'shop', events: 'exposures', shortHalfLife: '1d', longHalfLife: '30d', recent: '4d', asOf: '2026-02-03T23:00:00Z' });
    expect(later.inputs.users_skipped_no_recent_weight).toBe(0);
    expect(metric(later, 'users')).toBe(40);
    expect(metric(later, 'changed_users')).toBe(metric(at, 'changed_users'));
    expect(metric(later, 'profile_distance_mean')).toBeCloseTo(metric(at, 'profile_distance_mean')!, 9);
    // 1h half-life, 100 days after the data: 2^-2400 underflows any double; the short profiles have no weight left.
    for (const o of [{ shortHalfLife: '1h', longHalfLife: '2h', asOf: '2026-04-25' }, { asOf: '2030-01-01' }]) {
      const r = await profileDecay(store, { project: 'shop', events: 'exposures', minEvents: 2, ...o });
      expect(r.inputs.users_skipped_no_recent_weight).toBe(40);
      expect(metric(r, 'users')).toBeUndefined();
      expect(r.verdicts).toHaveLength(1);
      expect(r.verdicts[0]).toMatchObject({ check: 'data', status: 'unknown' });
      expect(r.verdicts[0]!.message).toMatch(/^No user has recent activity at .*: the latest qualifying event \(2026-01-14T.*\) is \d+ short half-lives earlier/);
    }
  });

  it('over item categories: exactly the 20 users who switched families change', async () => {
    const categories = Object.fromEntries(['a0', 'a1', 'a2', 'b0', 'b1', 'b2'].map((i) => [i, i[0] === 'a' ? 'family A' : 'family B']));
    const r = await profileDecay(store, { project: 'shop', events: 'exposures', shortHalfLife: '1d', longHalfLife: '30d', recent: '4d', categories });
    expect(r.inputs.profile_over).toBe('categories');
    // A stable user has one category only: nothing can change; every switched user moved to family B.
    expect(metric(r, 'changed_users')).toBe(20);
    expect(metric(r, 'profile_distance_median')).toBeGreaterThanOrEqual(0);
  });
});
