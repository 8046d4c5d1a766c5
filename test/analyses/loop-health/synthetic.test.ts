/**
 * Loop health on stores built to a design, so every number has a closed form: uniform exposure (Gini 0, entropy 1),
 * all traffic on one item (Gini (K-1)/K), a rich-get-richer sequence of versions, designed outcome rates, and an
 * offline metric that rises while the online rate falls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopHealth } from '../../../src/analyses/loop-health/index.js';
import type { Result } from '../../../src/analyses/result.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';

let n = 0;
const DAY = 86_400_000_000; // microseconds
const T0 = Date.UTC(2026, 0, 1) * 1000;

interface Shown {
  item: string;
  position?: number;
  explored?: boolean;
  propensity?: number;
}

function decision(project: string, version: string, shown: Shown[], opts: { day?: number; strategy?: string; candidates?: string[] } = {}): ValidEvent {
  n++;
  const ts = T0 + (opts.day ?? 0) * DAY + n;
  return {
    type: 'decision',
    tsMicros: ts,
    event: {
      type: 'decision', event_id: `d${n}`, ts: new Date(ts / 1000).toISOString(), request_id: `r${n}`, user_id: `u${n % 17}`, surface: 's', policy: 'p',
      policy_version: version, strategy: (opts.strategy ?? 'personalized') as 'personalized',
      ...(opts.candidates ? { candidates: opts.candidates } : {}),
      shown: shown.map((s, i) => ({ item_id: s.item, position: s.position ?? i + 1, propensity: s.propensity ?? 0.5, explored: s.explored ?? false })),
    },
  };
}

function click(d: ValidEvent, item: string): ValidEvent {
  n++;
  const e = d.event as { request_id: string };
  return { type: 'outcome', tsMicros: d.tsMicros + 1, event: { type: 'outcome', event_id: `o${n}`, ts: '2026-01-01T00:00:00Z', request_id: e.request_id, item_id: item, kind: 'click', value: 1 } };
}

const metric = (r: Result, name: string, group: Record<string, string> = {}) =>
  r.metrics.find((m) => m.name === name && Object.entries(group).every(([k, v]) => m.group?.[k] === v))?.value;
const verdict = (r: Result, check: string) => r.verdicts.filter((v) => v.check === check);

let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
});
afterAll(async () => store.close());

describe('concentration closed forms', () => {
  it('uniform exposure over K items: gini 0, entropy_norm 1, coverage 1, top-k share k/K', async () => {
    const K = 8;
    const events = Array.from({ length: 40 * K }, (_, i) => decision('uni', 'v1', [{ item: `i${i % K}` }]));
    await store.writeEvents([{ project: 'uni', events }]);
    const r = await loopHealth(store, { project: 'uni' });
    expect(metric(r, 'gini')).toBeCloseTo(0, 12);
    expect(metric(r, 'entropy_norm')).toBeCloseTo(1, 12);
    expect(metric(r, 'coverage')).toBe(1);
    expect(metric(r, 'top5_share')).toBeCloseTo(5 / K, 12);
    expect(metric(r, 'js_divergence')).toBeUndefined();
  });

  it('all exposure on one of K candidate items: gini (K-1)/K, entropy 0, coverage 1/K, catalog from candidates', async () => {
    const K = 10;
    const catalog = Array.from({ length: K }, (_, i) => `c${i}`);
    const events = Array.from({ length: 50 }, () => decision('one', 'v1', [{ item: 'c3' }], { candidates: catalog }));
    await store.writeEvents([{ project: 'one', events }]);
    const r = await loopHealth(store, { project: 'one' });
    expect(r.inputs.catalog_source).toBe('candidates');
    expect(r.inputs.catalog_size).toBe(K);
    expect(metric(r, 'gini')).toBeCloseTo((K - 1) / K, 12);
    expect(metric(r, 'entropy_norm')).toBeCloseTo(0, 12);
    expect(metric(r, 'coverage')).toBeCloseTo(1 / K, 12);
    expect(metric(r, 'never_exposed_share')).toBeCloseTo((K - 1) / K, 12);
    expect(metric(r, 'first_exposure_delay_hours')).toBe(0);
    expect(verdict(r, 'coverage')[0]).toMatchObject({ status: 'warn', value: 0.1, threshold: 0.2 });
  });

  it('a catalog given by the user counts unseen items as zeros', async () => {
    const r = await loopHealth(store, { project: 'uni', catalog: Array.from({ length: 16 }, (_, i) => `i${i}`) });
    expect(r.inputs.catalog_source).toBe('file');
    expect(metric(r, 'coverage')).toBe(0.5);
    // Half the items hold all exposure, uniformly: Gini = 1/2.
    expect(metric(r, 'gini')).toBeCloseTo(0.5, 12);
    expect(metric(r, 'entropy_norm')).toBeCloseTo(Math.log(8) / Math.log(16), 12);
  });
});

describe('cold start', () => {
  it('measures the delay from first candidacy to first exposure, and the candidates never shown', async () => {
    // c0 is shown at once, c1 two days after it first became a candidate, c2 never.
    const catalog = ['c0', 'c1', 'c2'];
    const events = [decision('cold', 'v1', [{ item: 'c0' }], { candidates: catalog }), decision('cold', 'v1', [{ item: 'c1' }], { day: 2, candidates: catalog })];
    await store.writeEvents([{ project: 'cold', events }]);
    const r = await loopHealth(store, { project: 'cold' });
    // Delays 0 h and 48 h (plus a microsecond of spacing between the two test events): median 24 h.
    expect(metric(r, 'first_exposure_delay_hours')).toBeCloseTo(24, 6);
    expect(metric(r, 'never_exposed_share')).toBeCloseTo(1 / 3, 15);
  });
});

describe('long tail', () => {
  it('APLT averages the tail share per decision, whatever the slate length', async () => {
    // 8 decisions show [h]; 2 show [h, t1, t2]. Exposures: h 10, t1 2, t2 2 (14). The head must cover 80%: h alone is
    // 71%, h and t1 86% (t1 before t2 on the tie, in catalog order). Tail = {t2}.
    const events: ValidEvent[] = [];
    for (let i = 0; i < 8; i++) events.push(decision('tail', 'v1', [{ item: 'h' }]));
    for (let i = 0; i < 2; i++) events.push(decision('tail', 'v1', [{ item: 'h' }, { item: 't1' }, { item: 't2' }]));
    await store.writeEvents([{ project: 'tail', events }]);
    const r = await loopHealth(store, { project: 'tail' });
    expect(r.inputs.head_items).toBe(2);
    expect(metric(r, 'tail_share')).toBeCloseTo(2 / 14, 15);
    expect(metric(r, 'aplt')).toBeCloseTo((2 * (1 / 3)) / 10, 15);
    // ARP: mean over exposures of the item's share of reference exposures.
    expect(metric(r, 'arp')).toBeCloseTo((10 * (10 / 14) + 2 * (2 / 14) + 2 * (2 / 14)) / 14, 15);
  });
});

describe('dynamics across policy versions', () => {
  // Item i gets weight (i+1) under v1 and (i+1)^2 under v2: exposure shares are amplified, slope > 1.
  const K = 12;
  beforeAll(async () => {
    const events: ValidEvent[] = [];
    for (const [v, day, power] of [['v1', 0, 1], ['v2', 1, 2], ['v3', 2, 3]] as const)
      for (let i = 0; i < K; i++) for (let j = 0; j < Math.round((i + 1) ** power * (power === 1 ? 12 : power === 2 ? 1 : 1 / 12)) ; j++) events.push(decision('rich', v, [{ item: `i${i}` }], { day }));
    await store.writeEvents([{ project: 'rich', events }]);
  });

  it('reports JS divergence, delta gini and an amplification slope above 1 with its interval, and fails the check', async () => {
    const r = await loopHealth(store, { project: 'rich' });
    const counts = (p: number, scale: number) => Array.from({ length: K }, (_, i) => Math.round((i + 1) ** p * scale));
    const share = (c: number[]) => c.map((x) => x / c.reduce((s, y) => s + y, 0));
    const a = share(counts(1, 12)), b = share(counts(2, 1));
    // Independent JS divergence (bits) and OLS slope by their definitions.
    const m = a.map((x, i) => (x + b[i]!) / 2);
    const kl = (p: number[], q: number[]) => p.reduce((s, x, i) => (x ? s + x * Math.log2(x / q[i]!) : s), 0);
    expect(metric(r, 'js_divergence', { policy_version: 'v2', previous: 'v1' })).toBeCloseTo((kl(a, m) + kl(b, m)) / 2, 12);
    const mx = a.reduce((s, x) => s + x, 0) / K, my = b.reduce((s, x) => s + x, 0) / K;
    const slope = a.reduce((s, x, i) => s + (x - mx) * (b[i]! - my), 0) / a.reduce((s, x) => s + (x - mx) ** 2, 0);
    const amp = r.metrics.find((x) => x.name === 'amplification_slope' && x.group?.policy_version === 'v2')!;
    expect(amp.value).toBeCloseTo(slope, 10);
    expect(amp.value!).toBeGreaterThan(1.5);
    expect(amp.ci![0]).toBeGreaterThan(1);
    expect(metric(r, 'delta_gini', { policy_version: 'v2' })!).toBeGreaterThan(0);
    expect(verdict(r, 'amplification').map((x) => [x.status, x.group?.policy_version])).toEqual([['fail', 'v2'], ['fail', 'v3']]);
    const rising = verdict(r, 'gini_rising');
    expect(rising).toHaveLength(1);
    expect(rising[0]).toMatchObject({ status: 'warn', group: { policy_version: 'v3' } });
  });

  it('splits by day within each version when a window is asked for', async () => {
    const r = await loopHealth(store, { project: 'rich', window: 'day', by: [] });
    expect(r.metrics.filter((m) => m.name === 'gini').map((m) => m.group)).toEqual([{ day: '2026-01-01' }, { day: '2026-01-02' }, { day: '2026-01-03' }]);
    expect(metric(r, 'js_divergence', { day: '2026-01-02', previous: '2026-01-01' })).toBeGreaterThan(0);
  });
});

describe('outcomes: exploration anchor, starvation, top slot', () => {
  beforeAll(async () => {
    const events: ValidEvent[] = [];
    // 1,000 exploited decisions (2 slots) with 30 clicks on slot 1; 200 explored decisions with 20 clicks on slot 2.
    for (let i = 0; i < 1000; i++) {
      const d = decision('anchor', 'v1', [{ item: `a${i % 5}` }, { item: `b${i % 7}` }]);
      events.push(d);
      if (i < 30) events.push(click(d, `a${i % 5}`));
    }
    for (let i = 0; i < 200; i++) {
      const d = decision('anchor', 'v1', [{ item: `a${i % 5}` }, { item: `x${i % 20}`, explored: true }], { strategy: 'exploration' });
      events.push(d);
      if (i < 20) events.push(click(d, `x${i % 20}`));
    }
    await store.writeEvents([{ project: 'anchor', events }]);
  });

  it('computes the designed rates and shares exactly', async () => {
    const r = await loopHealth(store, { project: 'anchor' });
    // Exploration rows: the whole exploration decision (strategy) counts, 400 exposures, 20 hits.
    expect(metric(r, 'exploration_share')).toBeCloseTo(400 / 2400, 15);
    expect(metric(r, 'explore_rate')).toBeCloseTo(20 / 400, 15);
    expect(metric(r, 'exploit_rate')).toBeCloseTo(30 / 2000, 15);
    expect(metric(r, 'explore_exploit_gap')).toBeCloseTo(30 / 2000 - 20 / 400, 15);
    expect(metric(r, 'top_slot_outcome_share')).toBeCloseTo(30 / 50, 15);
    expect(metric(r, 'explore_outcome_share')).toBeCloseTo(20 / 50, 15);
    expect(metric(r, 'outcome_rate')).toBeCloseTo(50 / 2400, 15);
    // 32 items shown (a0-a4, b0-b6, x0-x19); a0..a4 got 6 clicks each, x0..x19 one each: all starved at 10.
    expect(metric(r, 'items_exposed')).toBe(32);
    expect(metric(r, 'starved_item_share')).toBe(1);
    expect(verdict(r, 'starvation')[0]!.status).toBe('warn');
    expect(verdict(r, 'explore_exploit')[0]).toMatchObject({ status: 'warn', group: { policy_version: 'v1' } });
    const gap = r.metrics.find((m) => m.name === 'explore_exploit_gap')!;
    expect(gap.ci![1]).toBeLessThan(0);
  });

  it('--min-outcomes moves the starvation line', async () => {
    const r = await loopHealth(store, { project: 'anchor', minOutcomes: 1 });
    // With a line of 1, the b items (never clicked) are the only starved ones: 7 of 32.
    expect(metric(r, 'starved_item_share')).toBeCloseTo(7 / 32, 15);
  });

  it('negative outcomes and zero values are no success unless asked for', async () => {
    const events: ValidEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const d = decision('neg', 'v1', [{ item: 'a' }]);
      events.push(d, { ...click(d, 'a'), event: { ...(click(d, 'a').event as object), kind: i < 5 ? 'thumbs_down' : 'rating', value: i < 5 ? 1 : i - 5 } } as ValidEvent);
    }
    await store.writeEvents([{ project: 'neg', events }]);
    // Ratings 0..4 on five decisions: four have a positive value; thumbs_down never counts by default.
    expect(metric(await loopHealth(store, { project: 'neg' }), 'outcome_rate')).toBeCloseTo(4 / 10, 15);
    expect(metric(await loopHealth(store, { project: 'neg', outcomeKinds: ['thumbs_down'] }), 'outcome_rate')).toBeCloseTo(5 / 10, 15);
  });

  it('outcome kinds that do not count leave every rate at zero', async () => {
    const r = await loopHealth(store, { project: 'anchor', outcomeKinds: ['conversion'] });
    expect(metric(r, 'outcome_rate')).toBe(0);
  });
});

describe('reality anchor estimated with OPE', () => {
  it('values the exploited item mix on exploration traffic by IPW and SNIPW (marginal replay)', async () => {
    // Exploited: p 300 times, q 100 times (mix 3/4, 1/4). Exploration: p, q, r, s uniformly (propensity 1/4), 100 each,
    // with 30, 10, 50 and 0 clicks. The mix's true rate there: 3/4 * 0.3 + 1/4 * 0.1 = 0.25.
    const events: ValidEvent[] = [];
    for (let i = 0; i < 400; i++) events.push(decision('replay', 'v1', [{ item: i < 300 ? 'p' : 'q', propensity: 0.9 }]));
    const clicks: Record<string, number> = { p: 30, q: 10, r: 50, s: 0 };
    for (const item of ['p', 'q', 'r', 's'])
      for (let i = 0; i < 100; i++) {
        const d = decision('replay', 'v1', [{ item, explored: true, propensity: 0.25 }], { strategy: 'exploration' });
        events.push(d);
        if (i < clicks[item]!) events.push(click(d, item));
      }
    await store.writeEvents([{ project: 'replay', events }]);
    const r = await loopHealth(store, { project: 'replay' });
    // IPW: weights 3 (p) and 1 (q): (3*30 + 1*10) / 400; SNIPW divides by the weight sum 3*100 + 1*100 = 400.
    expect(metric(r, 'exploit_value_ipw')).toBeCloseTo(0.25, 12);
    expect(metric(r, 'exploit_value_snipw')).toBeCloseTo(0.25, 12);
    expect(metric(r, 'exploit_mix_unexplored_share')).toBe(0);
    const ipw = r.metrics.find((m) => m.name === 'exploit_value_ipw')!;
    expect(ipw.ci![0]).toBeLessThan(0.25);
    expect(ipw.ci![1]).toBeGreaterThan(0.25);
    // IPW's normal interval: terms 3 r on the 100 p rows and 1 r on the q rows, 0 elsewhere; sum of squares 9*30 + 10.
    const se = Math.sqrt((9 * 30 + 10 - 400 * 0.25 ** 2) / 399 / 400);
    expect(ipw.ci![0]).toBeCloseTo(0.25 - 1.959963984540054 * se, 12);
    // One group of all traffic (--by none): the same rows, so the same numbers.
    const pooled = await loopHealth(store, { project: 'replay', by: [] });
    for (const name of ['exploit_value_ipw', 'exploit_value_snipw', 'exploit_mix_unexplored_share'])
      expect(pooled.metrics.find((m) => m.name === name)).toEqual({ ...r.metrics.find((m) => m.name === name)!, group: {} });
  });

  it('reports the share of the exploited mix that exploration never showed', async () => {
    // In 'anchor', the exploited b items never appear in exploration: half the exploited exposures.
    const r = await loopHealth(store, { project: 'anchor' });
    expect(metric(r, 'exploit_mix_unexplored_share')).toBeCloseTo(0.5, 12);
  });
});

describe('offline against online', () => {
  it('fails when the offline metric rises while the online outcome rate falls', async () => {
    const events: ValidEvent[] = [];
    for (const [v, day, clicks] of [['v1', 0, 120], ['v2', 1, 40]] as const)
      for (let i = 0; i < 1000; i++) {
        const d = decision('gap', v, [{ item: `i${i % 9}` }, { item: `z${i % 4}`, explored: i % 10 === 0 }], { day });
        events.push(d);
        if (i < clicks) events.push(click(d, `i${i % 9}`));
      }
    await store.writeEvents([{ project: 'gap', events }]);
    await store.addOfflineMetric('gap', { policy_version: 'v1', metric: 'ndcg@10', value: 0.31, higher_is_better: true });
    await store.addOfflineMetric('gap', { policy_version: 'v2', metric: 'ndcg@10', value: 0.36, higher_is_better: true });
    const r = await loopHealth(store, { project: 'gap' });
    expect(metric(r, 'online_outcome_rate', { policy_version: 'v1' })).toBeCloseTo(120 / 2000, 15);
    expect(metric(r, 'online_outcome_rate', { policy_version: 'v2' })).toBeCloseTo(40 / 2000, 15);
    expect(metric(r, 'offline_metric', { policy_version: 'v2', metric: 'ndcg@10' })).toBe(0.36);
    expect(verdict(r, 'offline_online')).toEqual([
      expect.objectContaining({ status: 'fail', group: { policy_version: 'v2', previous: 'v1', metric: 'ndcg@10' } }),
    ]);
    // A lower-is-better metric that got worse is no contradiction.
    const r2 = await loopHealth(store, { project: 'gap', offline: [{ policy_version: 'v1', metric: 'logloss', value: 0.4, higher_is_better: false }, { policy_version: 'v2', metric: 'logloss', value: 0.5, higher_is_better: false }] });
    expect(verdict(r2, 'offline_online').filter((v) => v.group?.metric === 'logloss')).toEqual([]);
  });
});

describe('empty scope', () => {
  it('fails, so that a misspelt project cannot pass a CI gate', async () => {
    const r = await loopHealth(store, { project: 'nobody' });
    expect(r.metrics).toEqual([]);
    expect(r.verdicts).toEqual([expect.objectContaining({ check: 'data', status: 'fail' })]);
  });
});

describe('options', () => {
  it('honours a time zone offset in since/until and accepts plain dates', async () => {
    // 'rich' has one version per UTC day from 2026-01-01.
    const a = await loopHealth(store, { project: 'rich', since: '2026-01-02T02:00:00+02:00', until: '2026-01-03' });
    expect(a.metrics.filter((m) => m.name === 'exposures').map((m) => m.group?.policy_version)).toEqual(['v2']);
    await expect(loopHealth(store, { project: 'rich', since: 'Jan 2 2026' })).rejects.toThrow(
      "since must be a date or RFC 3339 time such as 2026-01-02 or 2026-01-02T03:04:05Z (got 'Jan 2 2026')",
    );
  });

  it('refuses unknown thresholds, outcome kinds and an impossible confidence', async () => {
    await expect(loopHealth(store, { project: 'rich', thresholds: { coverage: 0.3 } as never })).rejects.toThrow(/^unknown threshold 'coverage'/);
    await expect(loopHealth(store, { project: 'rich', thresholds: { confidence: 1.5 } })).rejects.toThrow('confidence must lie between 0 and 1 (got 1.5)');
    await expect(loopHealth(store, { project: 'rich', outcomeKinds: ['clicks'] })).rejects.toThrow(/^unknown outcome kind 'clicks'/);
  });

  it('splits that are not a sequence in time (surface, strategy) get no dynamics', async () => {
    const r = await loopHealth(store, { project: 'rich', by: ['surface'] });
    expect(r.metrics.filter((m) => m.name === 'amplification_slope' || m.name === 'js_divergence')).toEqual([]);
  });
});
