/**
 * `opeBatch` and `loggedRoundsByVersion` (one query for many policy versions) against `ope` and `loggedRounds` run per
 * version, on a store built to a design; the shared-row target form against the n x K matrix; and the designed counts
 * of exploration traffic (explored flag, strategy exploration, strategy holdout) that the explored copy must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRounds,
  loggedRounds,
  loggedRoundsByVersion,
  ope,
  opeBatch,
  targetPolicy,
  targetProbabilities,
  type OpeOptions,
  type RoundScope,
  type TargetSpec,
} from '../../../src/analyses/ope/index.js';
import { validateTarget } from '../../../src/analyses/ope/validate.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';

const T0 = Date.UTC(2026, 0, 1) * 1000;
let seq = 0;
const ITEMS = ['a', 'b', 'c', 'd'];

/**
 * Per version: `explored` decisions with explored items (strategy personalized), `exploration` and `holdout`
 * decisions (strategy, items not flagged), and `exploited` plain ones; two items per decision at positions 1 and 2.
 * Item i of decision k is clicked when (k + i) % 3 === 0. Decisions of different versions interleave in time.
 */
function world(counts: Record<string, { explored: number; exploration: number; holdout: number; exploited: number }>): ValidEvent[] {
  const out: ValidEvent[] = [];
  let k = 0;
  for (const [version, c] of Object.entries(counts)) {
    const kinds = [
      ...Array<string>(c.explored).fill('explored'),
      ...Array<string>(c.exploration).fill('exploration'),
      ...Array<string>(c.holdout).fill('holdout'),
      ...Array<string>(c.exploited).fill('exploited'),
    ];
    kinds.forEach((kind, j) => {
      k++;
      const ts = T0 + j * 1_000_000 + (version.charCodeAt(1) % 7) * 1000; // versions interleave
      const id = `d${++seq}`;
      const shown = [0, 1].map((i) => ({
        item_id: ITEMS[(j + i) % ITEMS.length]!,
        position: i + 1,
        propensity: kind === 'exploited' ? 0.8 : 1 / ITEMS.length,
        explored: kind === 'explored',
      }));
      out.push({
        type: 'decision', tsMicros: ts,
        event: {
          type: 'decision', event_id: id, ts: new Date(ts / 1000).toISOString(), request_id: `r-${id}`, user_id: 'u', surface: 's', policy: 'p',
          policy_version: version, strategy: (kind === 'exploration' || kind === 'holdout' ? kind : 'personalized') as 'personalized', shown,
        },
      });
      shown.forEach((s, i) => {
        if ((k + i) % 3 === 0)
          out.push({ type: 'outcome', tsMicros: ts + 1, event: { type: 'outcome', event_id: `o${++seq}`, ts: new Date(ts / 1000).toISOString(), request_id: `r-${id}`, item_id: s.item_id, kind: 'click', value: 1 } });
      });
    });
  }
  return out;
}

const COUNTS = {
  v1: { explored: 7, exploration: 5, holdout: 3, exploited: 20 },
  v2: { explored: 0, exploration: 4, holdout: 0, exploited: 9 },
  v3: { explored: 0, exploration: 0, holdout: 0, exploited: 6 }, // no exploration at all
  v4: { explored: 11, exploration: 0, holdout: 2, exploited: 1 },
};

let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
  await store.writeEvents([{ project: 'batch', events: world(COUNTS) }]);
});
afterAll(async () => store.close());

const scope = (o: Partial<RoundScope> = {}): RoundScope => ({ project: 'batch', outcomeKinds: [], reward: 'binary', attributes: false, ...o });

describe('loggedRoundsByVersion', () => {
  it('returns, per version, exactly the rows and order of loggedRounds for that version', async () => {
    for (const explorationOnly of [false, true]) {
      const byVersion = await loggedRoundsByVersion(store, scope({ explorationOnly }), ['v1', 'v2', 'v3', 'v4', 'nope']);
      for (const v of ['v1', 'v2', 'v3', 'v4', 'nope']) {
        const one = await loggedRounds(store, scope({ explorationOnly, policyVersion: v }));
        const got = byVersion.get(v)!;
        expect({ ...got, position: [...got.position], pscore: [...got.pscore], reward: [...got.reward] }).toEqual({
          ...one, position: [...one.position], pscore: [...one.pscore], reward: [...one.reward],
        });
      }
    }
  });

  it('finds exploration by the explored flag and by strategy exploration or holdout (2 rows per decision)', async () => {
    const byVersion = await loggedRoundsByVersion(store, scope({ explorationOnly: true }), Object.keys(COUNTS));
    for (const [v, c] of Object.entries(COUNTS)) expect(byVersion.get(v)!.n).toBe(2 * (c.explored + c.exploration + c.holdout));
    const all = await loggedRoundsByVersion(store, scope(), Object.keys(COUNTS));
    for (const [v, c] of Object.entries(COUNTS)) expect(all.get(v)!.n).toBe(2 * (c.explored + c.exploration + c.holdout + c.exploited));
  });

  it('drops versions not asked for', async () => {
    const got = await loggedRoundsByVersion(store, scope({ explorationOnly: true }), ['v2']);
    expect([...got.keys()]).toEqual(['v2']);
    expect(got.get('v2')!.n).toBe(8);
  });
});

describe('opeBatch', () => {
  // A fixed mix over the items (renormalized over the round's actions), declared the same for every round or not.
  const mix = (same: boolean): TargetSpec => ({
    kind: 'function', name: 'mix', attributes: false, ...(same ? { sameForEveryRound: true } : {}),
    fn: (r) => {
      const w = r.actions.map((a) => ({ a: 3, b: 1, c: 0, d: 0 })[a as 'a'] ?? 0);
      const s = w.reduce((x, y) => x + y, 0);
      return w.map((x) => (s === 0 ? 1 / w.length : x / s));
    },
  });
  const run = (v: string | undefined, o: Partial<OpeOptions> = {}): OpeOptions => ({
    project: 'batch', explorationOnly: true, estimators: ['ipw', 'snipw'], rewardModel: 'none', bootstrap: 0, targets: [mix(true)],
    ...(v === undefined ? {} : { policyVersion: v }), ...o,
  });

  it('equals ope run version by version, with and without a shared-row target, and for runs without a version', async () => {
    const runs = [run('v1'), run('v2'), run('v3'), run('v4'), run(undefined), run('v1', { targets: [mix(false)] }), run('v4', { explorationOnly: false, targets: [{ kind: 'uniform' }] })];
    const batch = await opeBatch(store, runs);
    for (let j = 0; j < runs.length; j++) expect(batch[j]).toEqual(await ope(store, runs[j]!));
    // The shared row and the per-round answers give the same result.
    expect(batch[5]!.metrics).toEqual(batch[0]!.metrics);
    // No exploration in v3: the data verdict, as ope gives it.
    expect(batch[2]!.verdicts).toEqual([expect.objectContaining({ check: 'data', status: 'unknown' })]);
  });

  it('computes IPW and SNIPW of the mix by their formulas on the version rows', async () => {
    const [r] = await opeBatch(store, [run('v4')]);
    const cols = await loggedRounds(store, scope({ explorationOnly: true, policyVersion: 'v4' }));
    // pi_e(a) = 3/4, pi_e(b) = 1/4 when both a and b are among the logged actions (all four items appear in v4).
    const pe: Record<string, number> = { a: 0.75, b: 0.25, c: 0, d: 0 };
    let swr = 0, sw = 0;
    for (let i = 0; i < cols.n; i++) {
      const w = pe[cols.item[i]!]! / cols.pscore[i]!;
      swr += w * cols.reward[i]!;
      sw += w;
    }
    const value = (name: string) => r!.metrics.find((m) => m.name === name && m.group?.interval === 'normal')!.value!;
    expect(value('ipw')).toBeCloseTo(swr / cols.n, 12);
    expect(value('snipw')).toBeCloseTo(swr / sw, 12);
  });

  it('refuses bad options before any query, as ope does', async () => {
    await expect(opeBatch(store, [run('v1'), run('v2', { bootstrap: -1 })])).rejects.toThrow(/bootstrap must be a whole number/);
  });
});

describe('shared-row targets', () => {
  it('hold the same probabilities as the n x K matrix, and are validated row by row', async () => {
    const r = buildRounds(await loggedRounds(store, scope({ policyVersion: 'v1' })));
    const K = r.actions.length;
    const full = targetProbabilities({ kind: 'uniform' }, r);
    const shared = targetPolicy({ kind: 'uniform' }, r);
    expect(shared.probs.length).toBe(K);
    expect(shared.rowOf!.length).toBe(r.n);
    for (let i = 0; i < r.n; i++) for (let a = 0; a < K; a++) expect(shared.probs[shared.rowOf![i]! * K + a]).toBe(full[i * K + a]);
    const data = { n: r.n, nActions: K, action: r.action, reward: r.reward, pscore: r.pscore };
    expect(() => validateTarget('t', data, shared)).not.toThrow();
    const bad = { probs: shared.probs, rowOf: Int32Array.from(shared.rowOf!, (_, i) => (i === 3 ? 1 : 0)) };
    expect(() => validateTarget('t', data, bad)).toThrow('t: target.rowOf[3] = 1 is outside 0..0');
    expect(() => validateTarget('t', data, { probs: new Float64Array(K).fill(0.5), rowOf: shared.rowOf! })).toThrow(/row 0 sums to/);
  });
});

describe('the rounds read items as numbers (an item dictionary) and fall back to their text', () => {
  /** The store, with the dictionary query's answer rewritten by `edit` and every SQL text recorded. */
  const tampered = (edit: (cols: Record<string, any>) => Record<string, any>) => {
    const sqls: string[] = [];
    const db = {
      dialect: store.dialect,
      query: (sql: string, params?: readonly unknown[]) => store.query(sql, params),
      queryColumns: async (sql: string, params?: readonly unknown[]) => {
        sqls.push(sql);
        const cols = await store.queryColumns(sql, params);
        return sql.includes('GROUP BY e.item_id') ? edit(cols) : cols;
      },
    };
    return { db, sqls };
  };
  const plain = (r: Awaited<ReturnType<typeof loggedRounds>>) => ({ ...r, decisionKey: [...r.decisionKey], position: [...r.position], pscore: [...r.pscore], reward: [...r.reward] });

  it('gives the item texts of every row, as the text query does, for one version and for several', async () => {
    const keyed = tampered((c) => c);
    const a = await loggedRounds(keyed.db as never, scope({ policyVersion: 'v1' }));
    expect(keyed.sqls.some((q) => q.includes('AS item_key,'))).toBe(true);
    expect(a.item).toEqual(expect.arrayContaining(ITEMS));
    expect(new Set(a.item)).toEqual(new Set(ITEMS));
    // an item missing from the dictionary (a row written between the two queries): the rounds are read again as text
    const late = tampered((c) => ({ item: c.item.slice(1), item_key: c.item_key.slice(1) }));
    const b = await loggedRounds(late.db as never, scope({ policyVersion: 'v1' }));
    expect(late.sqls.filter((q) => q.includes('e.item_id AS item,') && !q.includes('GROUP BY e.item_id'))).toHaveLength(1);
    expect(plain(b)).toEqual(plain(a));
    // two items with one number: the dictionary is not used at all
    const clash = tampered((c) => ({ item: c.item, item_key: Float64Array.from(c.item_key, () => 7) }));
    const d = await loggedRounds(clash.db as never, scope({ policyVersion: 'v1' }));
    expect(clash.sqls.some((q) => q.includes('AS item_key,'))).toBe(false);
    expect(plain(d)).toEqual(plain(a));
    for (const t of [tampered((c) => c), tampered((c) => ({ item: c.item.slice(1), item_key: c.item_key.slice(1) }))]) {
      const byVersion = await loggedRoundsByVersion(t.db as never, scope(), ['v1', 'v4']);
      expect(plain(byVersion.get('v1')!)).toEqual(plain(a));
    }
  });
});
