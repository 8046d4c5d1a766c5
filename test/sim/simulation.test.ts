/**
 * The closed-loop simulator end to end: a small simulation through the real SDK client, a real ingest server on
 * loopback and a DuckDB file, then the directional findings with margins (never exact numbers), what the store holds
 * against what the simulator sent, and same seed => same numbers.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { dayLabel, meanJaccard, runSimulation, type SimulationOutput } from '../../src/sim/run.js';
import type { Metric } from '../../src/analyses/result.js';
import { tmpDir } from '../helpers.js';

const DAYS = 14;
let out: SimulationOutput;
let dbPath: string;

const series = (loop: string, name: string) =>
  out.result.metrics.filter((m: Metric) => m.name === name && m.group?.loop === loop).sort((a, b) => a.group!.day!.localeCompare(b.group!.day!));
const mean = (xs: Array<number | null>) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.reduce((a, b) => a + b, 0) / v.length;
};
/** Mean over days 1-3 (after the first retrain) and over the last three days. */
const early = (loop: string, name: string) => mean(series(loop, name).slice(1, 4).map((m) => m.value));
const late = (loop: string, name: string) => mean(series(loop, name).slice(-3).map((m) => m.value));

beforeAll(async () => {
  dbPath = path.join(tmpDir('lg-sim-'), 'sim.duckdb');
  out = await runSimulation({ days: DAYS, seed: 1, world: { users: 500, items: 200 }, dbPath });
}, 120_000);

describe('simulation: the naive loop poisons its own data', () => {
  it('reports every metric for every loop and day', () => {
    for (const loop of ['naive', 'guarded', 'random', 'popularity', 'oracle'])
      for (const name of ['true_utility', 'ctr', 'offline_metric', 'gini', 'coverage', 'homogenization']) {
        const s = series(loop, name);
        expect(s.map((m) => m.group!.day)).toEqual(Array.from({ length: DAYS }, (_, d) => dayLabel(d)));
        if (!(loop === 'random' && name === 'offline_metric')) expect(s.every((m) => m.value !== null && Number.isFinite(m.value))).toBe(true);
      }
  });

  it('naive: observed CTR and the offline metric rise while true utility and coverage fall and Gini rises', () => {
    expect(late('naive', 'ctr')).toBeGreaterThan(early('naive', 'ctr') + 0.005);
    expect(late('naive', 'offline_metric')).toBeGreaterThan(early('naive', 'offline_metric') + 0.02);
    expect(late('naive', 'true_utility')).toBeLessThan(0.92 * early('naive', 'true_utility'));
    // Not the world getting worse: the oracle's utility holds while the naive loop's share of it falls.
    expect(late('oracle', 'true_utility')).toBeGreaterThan(early('oracle', 'true_utility') - 0.05);
    expect(late('naive', 'true_utility') / late('oracle', 'true_utility')).toBeLessThan(early('naive', 'true_utility') / early('oracle', 'true_utility') - 0.05);
    expect(late('naive', 'coverage')).toBeLessThan(early('naive', 'coverage') - 0.1);
    expect(late('naive', 'gini')).toBeGreaterThan(early('naive', 'gini') + 0.015);
  });

  it('exploration slows the degeneration: the guarded loop keeps coverage up and concentration down', () => {
    expect(late('guarded', 'coverage')).toBeGreaterThan(late('naive', 'coverage') + 0.15);
    expect(late('guarded', 'gini')).toBeLessThan(late('naive', 'gini') - 0.03);
    const rise = (loop: string) => late(loop, 'gini') - early(loop, 'gini');
    expect(rise('guarded')).toBeLessThan(rise('naive') - 0.015);
    const drop = (loop: string) => early(loop, 'true_utility') - late(loop, 'true_utility');
    expect(drop('guarded')).toBeLessThan(drop('naive') - 0.02);
    // It starts lower (the holdout and the exploration group cost utility from day 0) and ends higher.
    expect(early('guarded', 'true_utility')).toBeLessThan(early('naive', 'true_utility'));
    expect(late('guarded', 'true_utility')).toBeGreaterThan(late('naive', 'true_utility') + 0.01);
    // Homogenization: the naive loop's users consume ever more alike; the guarded loop's less so.
    expect(late('naive', 'homogenization')).toBeGreaterThan(early('naive', 'homogenization'));
    expect(late('guarded', 'homogenization')).toBeLessThan(late('naive', 'homogenization') - 0.01);
  });

  it('the reference loops bracket the learning ones', () => {
    for (const loop of ['naive', 'guarded', 'popularity']) {
      expect(late('oracle', 'true_utility')).toBeGreaterThan(late(loop, 'true_utility') + 0.2);
      expect(late(loop, 'true_utility')).toBeGreaterThan(late('random', 'true_utility') + 0.1);
    }
    // Random shows nearly everything, popularity nearly nothing.
    expect(late('random', 'coverage')).toBeGreaterThan(0.95);
    expect(late('popularity', 'coverage')).toBeLessThan(0.1);
    // Popularity homogenizes users' consumption far beyond the oracle's; random spreads it.
    expect(late('popularity', 'homogenization')).toBeGreaterThan(0.05);
    expect(late('random', 'homogenization')).toBeLessThan(0);
    // Homogenization grows with repeated training of the popularity ranking on its own clicks.
    expect(late('popularity', 'homogenization')).toBeGreaterThan(early('popularity', 'homogenization') + 0.02);
  });

  it('loop-health fails the naive store and passes the guarded one on exploration', () => {
    const naive = out.loopHealth.naive!.verdicts, guarded = out.loopHealth.guarded!.verdicts;
    expect(naive.find((v) => v.check === 'exploration_present')!.status).toBe('fail');
    expect(guarded.find((v) => v.check === 'exploration_present')!.status).toBe('ok');
    expect(guarded.filter((v) => v.check === 'exploration_share').every((v) => v.status === 'ok')).toBe(true);
    expect(guarded.filter((v) => v.status === 'fail')).toEqual([]);
    // Coverage: the naive loop's late versions show under 20% of the catalog; every guarded version shows more.
    expect(naive.some((v) => v.check === 'coverage' && v.status === 'warn')).toBe(true);
    expect(guarded.filter((v) => v.check === 'coverage').map((v) => v.status)).toEqual(['ok']);
    // The simulation's verdicts carry the loop in their group.
    expect(out.result.verdicts.some((v) => v.group?.loop === 'naive' && v.check === 'exploration_present' && v.status === 'fail')).toBe(true);
  });

  it('OPE runs on the guarded exploration traffic, and the uniform policy it values is what the random loop earned', () => {
    const snipw = out.ope!.metrics.find((m) => m.name === 'snipw' && m.group?.target === 'uniform');
    expect(snipw).toBeDefined();
    // Per shown slot, uniform random slates earn the random loop's CTR; the estimate's interval must be near it.
    const randomCtr = mean(series('random', 'ctr').map((m) => m.value));
    expect(Math.abs(snipw!.value! - randomCtr)).toBeLessThan(0.05);
  });
});

describe('simulation: the store holds exactly what the simulator sent', () => {
  it('decisions, exposures and clicks per project, one policy version and one day per simulated day', async () => {
    const store = await DuckDbStore.open(dbPath);
    try {
      for (const p of out.projects) {
        const [d] = await store.query('SELECT count(*) AS n, count(DISTINCT policy_version) AS v, count(DISTINCT strftime(ts, \'%Y-%m-%d\')) AS days FROM decisions WHERE project = $1', [p.project]);
        const [e] = await store.query('SELECT count(*) AS n FROM exposures WHERE project = $1', [p.project]);
        const [c] = await store.query("SELECT count(*) AS n FROM outcomes WHERE project = $1 AND kind = 'click'", [p.project]);
        expect(Number(d!.n)).toBe(out.sent[p.loop].decisions);
        expect(Number(e!.n)).toBe(out.sent[p.loop].exposures);
        expect(Number(c!.n)).toBe(out.sent[p.loop].clicks);
        expect(Number(d!.v)).toBe(DAYS);
        expect(Number(d!.days)).toBe(DAYS);
      }
      // The guarded loop's three groups are all there, with the SDK's strategies.
      const rows = await store.query("SELECT strategy, count(*) AS n FROM decisions WHERE project = 'sim-guarded' GROUP BY strategy ORDER BY strategy", []);
      expect(rows.map((r) => r.strategy)).toEqual(['exploration', 'holdout', 'personalized']);
      // Uniform exploration slates log the exact propensity 1/n of a catalog of n items.
      // (200 items on day 0, 16 more every day: 1/200 on the first day, 1/408 on the last.)
      const [x] = await store.query("SELECT min(propensity) AS lo, max(propensity) AS hi FROM exposures WHERE project = 'sim-guarded' AND strategy = 'exploration'", []);
      expect(Number(x!.hi)).toBeCloseTo(1 / 200, 15);
      expect(Number(x!.lo)).toBeCloseTo(1 / (200 + 16 * (DAYS - 1)), 15);
    } finally {
      await store.close();
    }
  });
});

describe('simulation: determinism and kernels', () => {
  it('same seed, same numbers; another seed, other numbers', async () => {
    const run = (seed: number) => runSimulation({ days: 3, seed, world: { users: 60, items: 40 }, analyses: false });
    const a = await run(5), b = await run(5), c = await run(6);
    expect(b.result.metrics).toEqual(a.result.metrics);
    expect(c.result.metrics).not.toEqual(a.result.metrics);
  }, 60_000);

  it('meanJaccard against hand-computed values', () => {
    const sets = [new Set([1, 2, 3]), new Set([2, 3, 4, 5]), new Set<number>(), new Set<number>()];
    // J(0,1) = |{2,3}| / |{1,2,3,4,5}| = 0.4; J(0,2) = 0 / 3 = 0; the pair (2,3) has an empty union and is skipped.
    expect(meanJaccard(sets, new Int32Array([0, 1, 0, 2, 2, 3]))).toBeCloseTo(0.2, 12);
    expect(meanJaccard(sets, new Int32Array([2, 3]))).toBeNull();
    expect(meanJaccard(sets, new Int32Array([1, 1]))).toBe(1);
  });

  it('bad options are refused with the flag named', async () => {
    await expect(runSimulation({ days: 1, seed: 1 })).rejects.toThrow(/--days/);
    await expect(runSimulation({ days: 3, seed: -1 })).rejects.toThrow(/--seed/);
    await expect(runSimulation({ days: 3, seed: 1, world: { items: 5 } })).rejects.toThrow(/items/);
  });
});
