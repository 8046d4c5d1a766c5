/**
 * `ope(db, options)` on stores built to a design: every number is recomputed here from the list of rounds the test
 * wrote, with the estimators' formulas spelled out (Open Bandit Pipeline's definitions), not with the library's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ope, parseTargetCsv, type OpeOptions, type TargetSpec } from '../../../src/analyses/ope/index.js';
import type { Result } from '../../../src/analyses/result.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';
import { UserError } from '../../../src/errors.js';

const T0 = Date.UTC(2026, 0, 1) * 1000; // microseconds
let seq = 0;

interface Shown {
  item: string;
  position: number;
  p: number;
  click: number;
}
interface Round {
  shown: Shown[];
  attrs: Record<string, number | string>;
  version?: string;
  day?: number;
}

function events(rounds: Round[]): ValidEvent[] {
  const out: ValidEvent[] = [];
  rounds.forEach((r, k) => {
    const ts = T0 + (r.day ?? 0) * 86_400_000_000 + k * 1000;
    const id = `d${++seq}`;
    out.push({
      type: 'decision',
      tsMicros: ts,
      event: {
        type: 'decision', event_id: id, ts: new Date(ts / 1000).toISOString(), request_id: `r-${id}`, user_id: 'u', surface: 's', policy: 'p',
        policy_version: r.version ?? 'v1', strategy: 'personalized', attributes: r.attrs,
        shown: r.shown.map((s) => ({ item_id: s.item, position: s.position, propensity: s.p, explored: false })),
      },
    });
    for (const s of r.shown)
      if (s.click)
        out.push({
          type: 'outcome', tsMicros: ts + 1,
          event: { type: 'outcome', event_id: `o${++seq}`, ts: new Date(ts / 1000).toISOString(), request_id: `r-${id}`, item_id: s.item, kind: 'click', value: s.click },
        });
  });
  return out;
}

const get = (r: Result, name: string, group: Record<string, string> = {}) =>
  r.metrics.find((m) => m.name === name && Object.entries(group).every(([k, v]) => m.group?.[k] === v));
const value = (r: Result, name: string, group: Record<string, string> = {}) => get(r, name, group)?.value;
const verdict = (r: Result, check: string, target?: string) =>
  r.verdicts.find((v) => v.check === check && (target === undefined || v.group?.target === target));

// World "bandit": 60 decisions, one item each at position 1; logging pi_b = (a .5, b .3, c .2); a context x in {0,1,2};
// reward predictions q_<item> as attributes.
const ITEMS = ['a', 'b', 'c'];
const PB: Record<string, number> = { a: 0.5, b: 0.3, c: 0.2 };
const Q: Record<string, number> = { a: 0.3, b: 0.45, c: 0.2 };
const bandit: Round[] = Array.from({ length: 60 }, (_, k) => {
  const item = ['a', 'a', 'b', 'c', 'a', 'b', 'a', 'c', 'b', 'a'][k % 10]!;
  const x = k % 3;
  const click = (k * 7 + x) % 5 < (item === 'b' ? 3 : 1) ? 1 : 0;
  return { shown: [{ item, position: 1, p: PB[item]!, click }], attrs: { x, q_a: Q.a! + 0.1 * x, q_b: Q.b!, q_c: Q.c! - 0.05 * x } };
});

// Targets: uniform; favor-a (wide table, same for every round); by-x (a function of the context).
const favorA = parseTargetCsv('favor-a.csv', 'round,a,b,c\n' + bandit.map((_, k) => `${k},0.8,0.1,0.1`).join('\n'));
const byX = (x: number): Record<string, number> => (x === 0 ? { a: 1 } : x === 1 ? { b: 1 } : { a: 0.5, c: 0.5 });
const targets: TargetSpec[] = [
  { kind: 'uniform' },
  { kind: 'table', name: 'favor-a', table: favorA },
  { kind: 'function', name: 'by-x', fn: (round) => byX(round.context.x!) },
];
const piOf: Record<string, (k: number) => Record<string, number>> = {
  uniform: () => ({ a: 1 / 3, b: 1 / 3, c: 1 / 3 }),
  'favor-a': () => ({ a: 0.8, b: 0.1, c: 0.1 }),
  'by-x': (k) => byX(k % 3),
};

/** The estimators spelled out over the designed rounds. */
function expected(name: string) {
  let swr = 0, sw = 0, sww = 0, dmSum = 0, drSum = 0, maxW = 0;
  bandit.forEach((r, k) => {
    const s = r.shown[0]!;
    const pi = piOf[name]!(k);
    const w = (pi[s.item] ?? 0) / s.p;
    const q = (a: string) => r.attrs[`q_${a}`] as number;
    const dmk = ITEMS.reduce((acc, a) => acc + (pi[a] ?? 0) * q(a), 0);
    swr += w * s.click;
    sw += w;
    sww += w * w;
    maxW = Math.max(maxW, w);
    dmSum += dmk;
    drSum += dmk + w * (s.click - q(s.item));
  });
  const n = bandit.length;
  return { ipw: swr / n, snipw: swr / sw, dm: dmSum / n, dr: drSum / n, ess: (sw * sw) / sww, meanW: sw / n, maxShare: maxW / sw };
}

let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
  await store.writeEvents([{ project: 'bandit', events: events(bandit) }]);
});
afterAll(async () => store?.close());

// 60 rounds are fewer than the default ess_min of 100: lower it, so the comparison verdict is decided by the lift.
const base: OpeOptions = { project: 'bandit', estimators: ['ipw', 'snipw', 'dm', 'dr'], predictionsColumn: 'q_', context: ['x'], bootstrap: 200, seed: 7, thresholds: { ess_min: 10 } };

describe('estimates and comparison on a designed bandit log', () => {
  let r: Result;
  beforeAll(async () => {
    r = await ope(store, { ...base, targets });
  });

  it.each(['uniform', 'favor-a', 'by-x'])('%s: ipw, snipw, dm, dr equal the spelled-out formulas', (name) => {
    const e = expected(name);
    for (const interval of ['bootstrap', 'normal']) {
      expect(value(r, 'ipw', { target: name, interval })).toBeCloseTo(e.ipw, 12);
      expect(value(r, 'snipw', { target: name, interval })).toBeCloseTo(e.snipw, 12);
      expect(value(r, 'dm', { target: name, interval })).toBeCloseTo(e.dm, 12);
      expect(value(r, 'dr', { target: name, interval })).toBeCloseTo(e.dr, 12);
    }
    expect(value(r, 'ess', { target: name })).toBeCloseTo(e.ess, 10);
    expect(value(r, 'mean_weight', { target: name })).toBeCloseTo(e.meanW, 12);
    expect(value(r, 'max_weight_share', { target: name })).toBeCloseTo(e.maxShare, 12);
    expect(value(r, 'support_deficiency', { target: name })).toBe(0);
  });

  it('ranks the targets by snipw and reports each lift against the on-policy value', () => {
    const onPolicy = bandit.reduce((s, x) => s + x.shown[0]!.click, 0) / bandit.length;
    expect(value(r, 'on_policy_value')).toBeCloseTo(onPolicy, 15);
    const order = ['uniform', 'favor-a', 'by-x'].sort((a, b) => expected(b).snipw - expected(a).snipw);
    order.forEach((name, k) => expect(value(r, 'rank', { target: name })).toBe(k + 1));
    for (const name of order) expect(value(r, 'lift_vs_logging', { target: name })).toBeCloseTo(expected(name).snipw - onPolicy, 12);
    const beats = verdict(r, 'beats_logging')!;
    expect(beats.group).toEqual({ target: order[0] });
    const lift = get(r, 'lift_vs_logging', { target: order[0]! })!;
    expect(beats.status).toBe(lift.ci![0] > 0 ? 'ok' : 'warn');
  });

  it('a metric per estimator, target and interval; bootstrap intervals bracket the value', () => {
    for (const name of ['uniform', 'favor-a', 'by-x'])
      for (const est of ['ipw', 'snipw', 'dm', 'dr']) {
        const b = get(r, est, { target: name, interval: 'bootstrap' })!;
        expect(b.n).toBe(60);
        expect(b.ci![0]).toBeLessThanOrEqual(b.value!);
        expect(b.ci![1]).toBeGreaterThanOrEqual(b.value!);
      }
  });

  it('the bootstrap is seeded: the same seed gives the same intervals, another seed others', async () => {
    const again = await ope(store, { ...base, targets });
    const other = await ope(store, { ...base, targets, seed: 8 });
    const ci = (x: Result) => get(x, 'ipw', { target: 'by-x', interval: 'bootstrap' })!.ci;
    expect(ci(again)).toEqual(ci(r));
    expect(ci(other)).not.toEqual(ci(r));
  });

  it('normal intervals are value -/+ 1.96 se of the per-round terms', () => {
    const e = expected('favor-a');
    const terms = bandit.map((x) => { const s = x.shown[0]!; return ((s.item === 'a' ? 0.8 : 0.1) / s.p) * s.click; });
    const m = terms.reduce((s, t) => s + t, 0) / terms.length;
    const se = Math.sqrt(terms.reduce((s, t) => s + (t - m) ** 2, 0) / (terms.length - 1) / terms.length);
    const ci = get(r, 'ipw', { target: 'favor-a', interval: 'normal' })!.ci!;
    expect(m).toBeCloseTo(e.ipw, 14);
    expect(ci[0]).toBeCloseTo(m - 1.959963984540054 * se, 12);
    expect(ci[1]).toBeCloseTo(m + 1.959963984540054 * se, 12);
  });

  it('without bootstrap, only normal intervals', async () => {
    const n0 = await ope(store, { ...base, bootstrap: 0 });
    expect(n0.metrics.filter((m) => m.group?.interval === 'bootstrap')).toEqual([]);
    expect(value(n0, 'ipw', { interval: 'normal' })).toBeCloseTo(expected('uniform').ipw, 12);
  });

  it('the same predictions from a function equal the column', async () => {
    const f = await ope(store, {
      ...base, predictionsColumn: undefined, bootstrap: 0,
      rewardPredictions: (round) => ({ a: Q.a! + 0.1 * Number(round.attributes.x), b: Q.b!, c: Q.c! - 0.05 * Number(round.attributes.x) }),
    } as OpeOptions);
    expect(value(f, 'dr', { interval: 'normal' })).toBeCloseTo(expected('uniform').dr, 12);
  });

  it('all seven estimators with the built-in reward model, by default', async () => {
    const all = await ope(store, { project: 'bandit', bootstrap: 50 });
    expect(all.inputs.reward_model).toMatch(/^logistic, 5-fold/);
    for (const est of ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os']) expect(Number.isFinite(value(all, est, { interval: 'normal' }))).toBe(true);
    expect(value(all, 'ipw', { interval: 'normal' })).toBeCloseTo(expected('uniform').ipw, 12);
  });
});

describe('support, positions and scope', () => {
  // Two items per decision: positions 1 and 2; item c is never shown at position 2.
  const slate: Round[] = Array.from({ length: 40 }, (_, k) => {
    const first = ITEMS[k % 3]!;
    const second = first === 'a' ? 'b' : 'a';
    return {
      shown: [
        { item: first, position: 1, p: [0.4, 0.35, 0.25][k % 3]!, click: k % 4 === 0 ? 1 : 0 },
        { item: second, position: 2, p: 0.5, click: k % 5 === 0 ? 1 : 0 },
      ],
      attrs: { x: k },
      version: k < 30 ? 'v1' : 'v2',
      day: k < 10 ? 0 : 1,
    };
  });
  const pos1: Record<string, number> = { a: 0.6, b: 0.3, c: 0.1 };
  const pos2: Record<string, number> = { a: 0.2, b: 0.3, c: 0.5 };
  const csv = 'round,action,position,probability\n' + slate.flatMap((_, k) => ITEMS.flatMap((a) => [`${k},${a},1,${pos1[a]}`, `${k},${a},2,${pos2[a]}`])).join('\n');

  beforeAll(async () => {
    await store.writeEvents([{ project: 'slate', events: events(slate) }]);
  });

  it('reads pi_e at each row\'s position (OBP action_dist[n, item, position]) and measures support per (item, position)', async () => {
    const r = await ope(store, { project: 'slate', estimators: ['ipw', 'snipw'], bootstrap: 0, targets: [{ kind: 'table', name: 'pos', table: parseTargetCsv('pos.csv', csv) }] });
    let swr = 0, sw = 0, n = 0;
    for (const d of slate)
      for (const s of d.shown) {
        const w = (s.position === 1 ? pos1 : pos2)[s.item]! / s.p;
        swr += w * s.click;
        sw += w;
        n++;
      }
    expect(r.inputs.rounds).toBe(80);
    expect(r.inputs.decisions).toBe(40);
    expect(value(r, 'ipw', { target: 'pos' })).toBeCloseTo(swr / n, 12);
    expect(value(r, 'snipw', { target: 'pos' })).toBeCloseTo(swr / sw, 12);
    // c never logged at position 2: half the rows put 0.5 there.
    expect(value(r, 'support_deficiency', { target: 'pos' })).toBeCloseTo(0.25, 15);
    const v = verdict(r, 'support_deficiency', 'pos')!;
    expect(v.status).toBe('fail');
    expect(v.message).toMatch(/^25% of the probability of 'pos' falls on \(action, position\) pairs the logs never show/);
  });

  it('an action only the target names counts as unsupported, and uniform covers the logged actions only', async () => {
    const z = parseTargetCsv('z.csv', 'round,a,b,c,z\n' + slate.map((_, k) => `${k},0.3,0.3,0.3,0.1`).join('\n'));
    const r = await ope(store, { project: 'slate', estimators: ['ipw'], bootstrap: 0, targets: [{ kind: 'uniform' }, { kind: 'table', name: 'z', table: z }] });
    expect(r.inputs.actions).toBe(4);
    expect(r.inputs.logged_actions).toBe(3);
    expect(value(r, 'support_deficiency', { target: 'uniform' })).toBeCloseTo(0.5 * (1 / 3), 12); // c at position 2
    expect(value(r, 'support_deficiency', { target: 'z' })).toBeCloseTo(0.1 + 0.5 * 0.3, 12);
  });

  it('filters by policy version and time', async () => {
    const v2 = await ope(store, { project: 'slate', estimators: ['ipw'], bootstrap: 0, policyVersion: 'v2' });
    expect(v2.inputs.decisions).toBe(10);
    const day1 = await ope(store, { project: 'slate', estimators: ['ipw'], bootstrap: 0, since: '2026-01-02' });
    expect(day1.inputs.decisions).toBe(30);
    const none = await ope(store, { project: 'slate', until: '2025-01-01' });
    expect(none.verdicts).toEqual([{ check: 'data', status: 'unknown', message: expect.stringMatching(/^There are no logged exposures in this scope/) }]);
  });

  it('reward value: the sum of outcome values; kinds filter what counts', async () => {
    const ev = events([
      { shown: [{ item: 'a', position: 1, p: 0.5, click: 4 }], attrs: {} },
      { shown: [{ item: 'b', position: 1, p: 0.5, click: 2 }], attrs: {} },
    ]);
    await store.writeEvents([{ project: 'ratings', events: ev }]);
    const r = await ope(store, { project: 'ratings', reward: 'value', estimators: ['ipw'], bootstrap: 0 });
    expect(value(r, 'on_policy_value')).toBe(3);
    expect(value(r, 'ipw', { interval: 'normal' })).toBe((0.5 / 0.5) * 3); // uniform over {a, b}: w = 1
    const binary = await ope(store, { project: 'ratings', estimators: ['ipw'], bootstrap: 0 });
    expect(value(binary, 'on_policy_value')).toBe(1);
    const none = await ope(store, { project: 'ratings', estimators: ['ipw'], bootstrap: 0, outcomeKinds: ['conversion'] });
    expect(value(none, 'on_policy_value')).toBe(0);
  });
});

describe('slate mode: iips and pbm over whole decisions', () => {
  // Reuses project 'slate' (written above): 40 decisions of two items. Logging marginals: position 1 a .4, b .35,
  // c .25 (as logged); position 2 a .5, b .5 (as logged), c 0.
  const lg1: Record<string, number> = { a: 0.4, b: 0.35, c: 0.25 };
  const lg2: Record<string, number> = { a: 0.5, b: 0.5, c: 0 };
  const tg1: Record<string, number> = { a: 0.6, b: 0.3, c: 0.1 };
  const tg2: Record<string, number> = { a: 0.3, b: 0.6, c: 0.1 };
  const long = (p1: Record<string, number>, p2: Record<string, number>) =>
    'round,action,position,probability\n' + Array.from({ length: 40 }, (_, k) => ITEMS.flatMap((a) => [`${k},${a},1,${p1[a]}`, `${k},${a},2,${p2[a]}`])).flat().join('\n');
  const rounds = Array.from({ length: 40 }, (_, k) => {
    const first = ITEMS[k % 3]!;
    return [
      { item: first, pos: 1, p: [0.4, 0.35, 0.25][k % 3]!, click: k % 4 === 0 ? 1 : 0 },
      { item: first === 'a' ? 'b' : 'a', pos: 2, p: 0.5, click: k % 5 === 0 ? 1 : 0 },
    ];
  });
  const theta = [1, 0.5];
  const mu = (p1: Record<string, number>, p2: Record<string, number>, a: string) => theta[0]! * p1[a]! + theta[1]! * p2[a]!;
  const iipsExpected = rounds.reduce((s, d) => s + d.reduce((t, x) => t + ((x.pos === 1 ? tg1 : tg2)[x.item]! / x.p) * x.click, 0), 0) / 40;
  const pbmExpected = rounds.reduce((s, d) => s + d.reduce((t, x) => t + (mu(tg1, tg2, x.item) / mu(lg1, lg2, x.item)) * x.click, 0), 0) / 40;
  const onPolicy = rounds.reduce((s, d) => s + d[0]!.click + d[1]!.click, 0) / 40;
  const slateOpts = (o: Partial<OpeOptions> = {}): OpeOptions => ({
    project: 'slate', bootstrap: 200, thresholds: { ess_min: 10 },
    targets: [{ kind: 'table', name: 'tg', table: parseTargetCsv('tg.csv', long(tg1, tg2)) }],
    slate: { examination: theta, logging: { kind: 'table', name: 'logging', table: parseTargetCsv('lg.csv', long(lg1, lg2)) } },
    ...o,
  });

  it('iips and pbm equal the spelled-out formulas; the on-policy value is clicks per slate', async () => {
    const r = await ope(store, slateOpts());
    expect(r.inputs).toMatchObject({ unit: 'slate', estimators: ['iips', 'pbm'], examination: [1, 0.5], decisions: 40, rounds: 80 });
    expect(value(r, 'on_policy_value')).toBeCloseTo(onPolicy, 14);
    for (const interval of ['bootstrap', 'normal']) {
      expect(value(r, 'iips', { target: 'tg', interval })).toBeCloseTo(iipsExpected, 12);
      expect(value(r, 'pbm', { target: 'tg', interval })).toBeCloseTo(pbmExpected, 12);
      expect(get(r, 'iips', { target: 'tg', interval })!.n).toBe(40);
    }
    expect(value(r, 'lift_vs_logging', { target: 'tg' })).toBeCloseTo(iipsExpected - onPolicy, 12);
  });

  it('estimates the examination probabilities from the log when none are given', async () => {
    const r = await ope(store, slateOpts({ slate: { logging: { kind: 'table', name: 'logging', table: parseTargetCsv('lg.csv', long(lg1, lg2)) } } }));
    const s = [1, 2].map((pos) => {
      const rows = rounds.flat().filter((x) => x.pos === pos);
      return rows.reduce((acc, x) => acc + x.click / (3 * x.p), 0) / rows.length;
    });
    const est = s.map((x) => x / Math.max(...s));
    const got = (r.inputs.examination as { estimated: number[] }).estimated;
    got.forEach((x, k) => expect(x).toBeCloseTo(est[k]!, 14));
  });

  it('without logging probabilities runs iips alone and says why pbm is left out', async () => {
    const r = await ope(store, slateOpts({ slate: true }));
    expect(r.inputs.estimators).toEqual(['iips']);
    expect(r.inputs.skipped).toEqual({ pbm: "pbm needs the logging policy's probability of each item at every position (--logging-probs)" });
    expect(value(r, 'iips', { target: 'tg', interval: 'normal' })).toBeCloseTo(iipsExpected, 12);
  });

  it('refuses bandit estimators, a missing or inconsistent logging table and reward-model options', async () => {
    const refuse = (o: Partial<OpeOptions>, m: string) => expect(ope(store, slateOpts(o))).rejects.toThrow(m);
    await refuse({ estimators: ['ipw'] }, "estimator 'ipw' is for single rounds, not slates; choose from iips, pbm");
    await refuse({ estimators: ['pbm'], slate: true }, "pbm needs the logging policy's probability of each item at every position (--logging-probs)");
    await refuse({ rewardModel: 'ridge' }, 'the slate estimators (iips, pbm) use no reward model; drop the reward model options');
    const wrong = { kind: 'table' as const, name: 'lg', table: parseTargetCsv('lg.csv', long({ a: 0.3, b: 0.45, c: 0.25 }, lg2)) };
    await refuse({ slate: { logging: wrong } }, "logging probabilities 'lg': item 'a' in round 0 (request r-d");
    const right = { kind: 'table' as const, name: 'lg', table: parseTargetCsv('lg.csv', long(lg1, lg2)) };
    await refuse({ slate: { examination: [1], logging: right } }, 'examination has 1 values, expected one per logged position (1, 2)');
    await expect(ope(store, { project: 'bandit', estimators: ['iips'] })).rejects.toThrow("estimator 'iips' is for slates (slate mode); choose from ipw, snipw, dm, dr, sndr, switch-dr, dr-os");
  });
});

describe('bad input is refused with a message that names it', () => {
  const refuse = async (o: Partial<OpeOptions>, message: string | RegExp) => {
    const p = ope(store, { project: 'bandit', bootstrap: 0, ...o } as OpeOptions);
    await expect(p).rejects.toBeInstanceOf(UserError);
    await expect(p).rejects.toThrow(message);
  };

  it.each([
    [{ estimators: ['ipw', 'magic'] }, "unknown estimator 'magic'; choose from ipw, snipw, dm, dr, sndr, switch-dr, dr-os"],
    [{ bootstrap: -1 }, 'bootstrap must be a whole number of resamples from 0 to 100000 (got -1)'],
    [{ clip: -2 }, 'clip must be a number >= 0 (got -2)'],
    [{ estimators: ['dm'], rewardModel: 'none' }, 'dm needs a reward model; drop --reward-model none, give a predictions column, or run only ipw, snipw'],
    [{ since: 'yesterday' }, "since must be a date or RFC 3339 time such as 2026-01-02 or 2026-01-02T03:04:05Z (got 'yesterday')"],
    [{ thresholds: { ess_minimum: 3 } as never }, "unknown threshold 'ess_minimum'; known: ess_min, ess_ratio_min, max_weight_share_max, min_propensity, mean_weight_tolerance, support_deficiency_max, confidence"],
    [{ targets: [{ kind: 'uniform' }, { kind: 'uniform' }] }, "two targets are named 'uniform'; give each a distinct name"],
    [{ rankBy: 'dr', estimators: ['ipw'] }, "rank-by estimator 'dr' is not among those run (ipw)"],
    [{ context: ['nope'], estimators: ['ipw'] }, "context attribute 'nope' is missing in round 0 (request r-d1); attributes there: x, q_a, q_b, q_c"],
    [{ estimators: ['dm'], predictionsColumn: 'p_' }, "predictions column 'p_': no number for action 'a' in round 0 (request r-d1); give an attribute 'p_<action>' per action or an attribute 'p_' holding {action: prediction} as JSON text"],
  ] as Array<[Partial<OpeOptions>, string]>)('%j', async (o, message) => refuse(o, message));

  it('a table for other logs: a round beyond the log, or a missing round', async () => {
    const far = parseTargetCsv('far.csv', 'round,a,b,c\n0,1,0,0\n75,1,0,0');
    await refuse({ targets: [{ kind: 'table', name: 'far', table: far }] }, 'far.csv: round 75 (line 3) is beyond the 60 logged rounds (0..59); was the table made for other logs or another time range?');
    const few = parseTargetCsv('few.csv', 'round,a,b,c\n0,1,0,0\n1,1,0,0');
    await refuse({ targets: [{ kind: 'table', name: 'few', table: few }] }, 'few.csv: no probabilities for round 2 at position 1; every logged round needs its target distribution');
  });

  it('a target function that returns no distribution', async () => {
    await refuse({ targets: [{ kind: 'function', name: 'bad', fn: () => [0.5, 0.5] }] }, "target 'bad': the function returned 2 probabilities for round 0, expected 3 (one per action)");
    await refuse({ targets: [{ kind: 'function', name: 'half', fn: () => ({ a: 0.5 }) }] }, "target 'half': the probabilities of round 0 (request r-d1) at position 1 sum to 0.5, not 1 (tolerance 0.000001)");
    await refuse({ targets: [{ kind: 'function', name: 'odd', fn: () => ({ zz: 1 }) }] }, "target 'odd': the function named action 'zz' in round 0, which is not among the 3 actions");
  });
});
