/**
 * IPW and SNIPW from sufficient statistics (sums.ts, cellSumsByVersion) against the per-round path (`ope`, which
 * reads every row), on stores built at random: several versions, random propensities, clicks and (for the value
 * reward) ratings, items some positions never show (support deficiency), a target that gives some actions nothing, and
 * a version whose one tiny propensity dominates the weights. Every metric must agree to 1e-12 (relative), every
 * verdict's check and status, and its message but for the round index the sums do not know. Then a closed form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellSumsByVersion, DEFAULT_OPE_THRESHOLDS, estimateFromSums, ope, type OpeOptions, type RoundScope } from '../../../src/analyses/ope/index.js';
import type { Metric, Result } from '../../../src/analyses/result.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';
import { createRng } from '../../../src/stats/rng.js';

const T0 = Date.UTC(2026, 0, 1) * 1000;
let seq = 0;

/**
 * Decisions of 1-3 explored items from a pool of 12, `versions[v]` of them per version; an odd-numbered item third in
 * its decision goes to position 2 (or 4), so odd items are never at position 3. In version `tiny`, decision 8 logs its
 * items at propensity 1e-5.
 */
function world(rngSeed: number, versions: Record<string, number>, rating: boolean, tinyVersion?: string): ValidEvent[] {
  const rng = createRng(rngSeed);
  const out: ValidEvent[] = [];
  const pool = Array.from({ length: 12 }, (_, i) => `item${i}`);
  for (const [version, n] of Object.entries(versions))
    for (let j = 0; j < n; j++) {
      const id = `d${++seq}`, request = `r${seq}`;
      // Some decisions share a timestamp: the round order then falls back on the decision id.
      const ts = T0 + Math.floor(j / 2) * 1_000_000 + (version.charCodeAt(1) % 5);
      const len = 1 + rng.int(3);
      const items = new Set<number>();
      while (items.size < len) items.add(rng.int(pool.length));
      const shown = [...items].map((it, k) => ({
        item_id: pool[it]!,
        position: it % 2 === 1 && k === 2 ? 2 : k + 1,
        propensity: version === tinyVersion && j === 7 ? 1e-5 : 0.02 + 0.3 * rng.next(),
        explored: true,
      }));
      // positions distinct within a decision
      if (shown.length === 3 && shown[2]!.position === 2) shown[2]!.position = 4;
      out.push({
        type: 'decision', tsMicros: ts,
        event: { type: 'decision', event_id: id, ts: new Date(ts / 1000).toISOString(), request_id: request, user_id: `u${j % 9}`, surface: 's', policy: 'p', policy_version: version, strategy: 'exploration', shown },
      });
      for (const s of shown)
        if (rng.next() < 0.3) {
          const value = rating ? 1 + rng.int(5) : 1;
          out.push({ type: 'outcome', tsMicros: ts + 1, event: { type: 'outcome', event_id: `o${++seq}`, ts: new Date(ts / 1000).toISOString(), request_id: request, item_id: s.item_id, kind: rating ? 'rating' : 'click', value } });
        }
    }
  return out;
}

/** A target over the actions: weights from the action's number, some zero. */
const targetOf = (actions: readonly string[]) => {
  const raw = actions.map((a) => (Number(a.replace('item', '')) % 4 === 3 ? 0 : 1 + (Number(a.replace('item', '')) % 5)));
  const total = raw.reduce((x, y) => x + y, 0);
  return Float64Array.from(raw, (x) => x / total);
};

let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
  await store.writeEvents([{ project: 'clicks', events: world(1, { v1: 400, v2: 150, v3: 60, v4: 300 }, false) }]);
  await store.writeEvents([{ project: 'tiny', events: world(2, { v1: 200, v2: 200, v3: 200 }, false, 'v2') }]);
  await store.writeEvents([{ project: 'ratings', events: world(4, { v1: 250, v2: 90 }, true) }]);
});
afterAll(async () => store.close());

async function perRound(project: string, version: string, reward: 'binary' | 'value'): Promise<Result> {
  const o: OpeOptions = {
    project, policyVersion: version, explorationOnly: true, reward,
    targets: [{ kind: 'function', name: 'mix', fn: (round) => targetOf(round.actions), attributes: false, sameForEveryRound: true }],
    estimators: ['ipw', 'snipw'], bootstrap: 0, rewardModel: 'none',
  };
  return ope(store, o);
}

const COMPARED = ['ipw', 'snipw', 'ess', 'ess_ratio', 'max_weight', 'max_weight_share', 'min_propensity', 'mean_weight', 'support_deficiency'];
const close = (a: number | null, b: number | null) => {
  if (a === null || b === null) return expect(a).toBe(b);
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(a)));
};
const find = (ms: Metric[], name: string) => ms.find((m) => m.name === name && (m.group?.interval === undefined || m.group.interval === 'normal'));

describe('estimates from sufficient statistics', () => {
  for (const [project, versions, reward] of [
    ['clicks', ['v1', 'v2', 'v3', 'v4'], 'binary'],
    ['tiny', ['v1', 'v2', 'v3'], 'binary'],
    ['ratings', ['v1', 'v2'], 'value'],
  ] as const)
    it(`equal the per-round path: ${project} (${reward} reward)`, async () => {
      const scope: RoundScope = { project, explorationOnly: true, outcomeKinds: [], reward, attributes: false };
      const cells = await cellSumsByVersion(store, scope, [...versions, 'absent']);
      expect(cells.has('absent')).toBe(false);
      for (const v of versions) {
        const rows = await perRound(project, v, reward);
        const sums = estimateFromSums(cells.get(v)!, targetOf, 'mix', DEFAULT_OPE_THRESHOLDS);
        for (const name of COMPARED) {
          const a = find(rows.metrics, name), b = find(sums.metrics, name);
          expect(b, name).toBeDefined();
          close(b!.value, a!.value);
          expect(b!.n).toBe(a!.n);
          expect(b!.ci === undefined).toBe(a!.ci === undefined);
          if (a!.ci) (close(b!.ci![0], a!.ci[0]), close(b!.ci![1], a!.ci[1]));
        }
        // The per-round run adds its comparison with the logging policy; the weight checks are the same.
        const checks = rows.verdicts.filter((x) => x.check !== 'beats_logging');
        expect(sums.verdicts.map((x) => [x.check, x.status])).toEqual(checks.map((x) => [x.check, x.status]));
        sums.verdicts.forEach((x, i) => expect(x.message).toBe(checks[i]!.message.replace(/round \d+, /, '')));
      }
    });

  it('fail the weight checks where one tiny propensity dominates', async () => {
    const scope: RoundScope = { project: 'tiny', explorationOnly: true, outcomeKinds: [], reward: 'binary', attributes: false };
    const cells = (await cellSumsByVersion(store, scope, ['v2'])).get('v2')!;
    const sums = estimateFromSums(cells, targetOf, 'mix', DEFAULT_OPE_THRESHOLDS);
    const share = sums.verdicts.find((x) => x.check === 'max_weight_share')!;
    // decision 8 of v2 (j = 7) logged its items at 1e-5, a weight of about 1e4 times the target probability
    expect(sums.metrics.find((m) => m.name === 'min_propensity')!.value).toBe(1e-5);
    expect(share.status).toBe('fail');
    expect(share.message).toMatch(/One round \(request r\d+\) carries/);
  });

  it('give the closed form of a hand-made table, all rows pooled', async () => {
    // Cells: a at position 1, 2 rows of p = 0.5 with rewards 1, 0; b at position 1, 1 row of p = 0.25, reward 1;
    // b at position 2, one row p = 0.5, reward 0. Target pi = (a 0.5, b 0.5); a never at position 2.
    const cells = [
      { action: 'a', position: 1, n: 2, inv: 4, rInv: 2, inv2: 8, rInv2: 4, r2Inv2: 4, minP: 0.5, minPRequest: 'ra' },
      { action: 'b', position: 1, n: 1, inv: 4, rInv: 4, inv2: 16, rInv2: 16, r2Inv2: 16, minP: 0.25, minPRequest: 'rb' },
      { action: 'b', position: 2, n: 1, inv: 2, rInv: 0, inv2: 4, rInv2: 0, r2Inv2: 0, minP: 0.5, minPRequest: 'rc' },
    ];
    const r = estimateFromSums(cells, () => [0.5, 0.5], 't', DEFAULT_OPE_THRESHOLDS);
    const v = (name: string) => r.metrics.find((m) => m.name === name)!.value!;
    // weights: 1, 1, 2, 1; w r: 1, 0, 2, 0
    expect(v('ipw')).toBeCloseTo(3 / 4, 14);
    expect(v('snipw')).toBeCloseTo(3 / 5, 14);
    expect(v('ess')).toBeCloseTo(25 / 7, 14);
    expect(v('max_weight')).toBe(2);
    expect(v('max_weight_share')).toBeCloseTo(2 / 5, 14);
    expect(v('mean_weight')).toBeCloseTo(5 / 4, 14);
    // the one row at position 2 puts 0.5 on a, never logged there: 0.5 / 4 rows
    expect(v('support_deficiency')).toBeCloseTo(0.125, 14);
    // ipw terms 1, 0, 2, 0: sample variance 11/12, se sqrt(11/12/4)
    const ipw = r.metrics.find((m) => m.name === 'ipw')!;
    const se = Math.sqrt(11 / 12 / 4), z = 1.959963984540054;
    expect(ipw.ci![0]).toBeCloseTo(0.75 - z * se, 12);
    expect(ipw.ci![1]).toBeCloseTo(0.75 + z * se, 12);
  });
});
