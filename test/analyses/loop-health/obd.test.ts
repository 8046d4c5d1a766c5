/**
 * Acceptance: loop health over the Open Bandit Dataset sample. Thompson-sampling logs (bts) come out far more
 * concentrated than uniform-random ones, and every concentration number equals one computed here from the raw CSV
 * with other formulas (Gini by mean absolute difference, entropy by its definition).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS, cli } from '../../helpers.js';

function itemCounts(file: string): number[] {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const col = lines[0]!.split(',').indexOf('item_id');
  const counts = new Map<string, number>();
  for (const l of lines.slice(1)) {
    const item = l.split(',')[col]!;
    counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return [...counts.values()];
}

/** Gini as the mean absolute difference over twice the mean (Gini 1912): sum_i sum_j |x_i - x_j| / (2 n^2 mean). */
function giniMad(x: number[]): number {
  const n = x.length, mean = x.reduce((s, v) => s + v, 0) / n;
  let sum = 0;
  for (const a of x) for (const b of x) sum += Math.abs(a - b);
  return sum / (2 * n * n * mean);
}

function entropyNorm(x: number[]): number {
  const total = x.reduce((s, v) => s + v, 0);
  return -x.reduce((s, v) => (v ? s + (v / total) * Math.log(v / total) : s), 0) / Math.log(x.length);
}

function topShare(x: number[], k: number): number {
  const sorted = [...x].sort((a, b) => b - a);
  return sorted.slice(0, k).reduce((s, v) => s + v, 0) / x.reduce((s, v) => s + v, 0);
}

function run(file: string, extra: string[] = []): { code: number | null; metrics: Map<string, number>; result: any } {
  const r = cli(['loop-health', '--logs', file, '--format', 'json', ...extra]);
  expect(r.stderr).toBe('');
  const result = JSON.parse(r.stdout);
  return { code: r.code, result, metrics: new Map(result.metrics.filter((m: any) => !m.group?.previous).map((m: any) => [m.name, m.value])) };
}

describe('loop-health on the Open Bandit Dataset sample', () => {
  const bts = path.join(DATASETS, 'obd', 'bts', 'men.csv');
  const random = path.join(DATASETS, 'obd', 'random', 'men.csv');
  const b = run(bts), r = run(random);

  it.each([
    ['bts', bts, b],
    ['random', random, r],
  ] as const)('%s: gini, entropy_norm, top-k shares and coverage equal the raw CSV computation', (_n, file, out) => {
    const counts = itemCounts(file);
    expect(out.result.inputs.catalog_size).toBe(counts.length); // all 34 items are shown in these samples
    expect(out.metrics.get('gini')).toBeCloseTo(giniMad(counts), 12);
    expect(out.metrics.get('entropy_norm')).toBeCloseTo(entropyNorm(counts), 12);
    expect(out.metrics.get('top1_share')).toBeCloseTo(topShare(counts, 1), 12);
    expect(out.metrics.get('top5_share')).toBeCloseTo(topShare(counts, 5), 12);
    expect(out.metrics.get('top10_share')).toBeCloseTo(topShare(counts, 10), 12);
    expect(out.metrics.get('coverage')).toBe(1);
    expect(out.metrics.get('exposures')).toBe(10000);
  });

  it('Thompson sampling is far more concentrated than uniform random', () => {
    expect(b.metrics.get('gini')! - r.metrics.get('gini')!).toBeGreaterThan(0.4);
    expect(r.metrics.get('entropy_norm')! - b.metrics.get('entropy_norm')!).toBeGreaterThan(0.15);
    expect(b.metrics.get('top5_share')!).toBeGreaterThan(2 * r.metrics.get('top5_share')!);
  });

  it('fails the exploration check (exit 1) when no traffic is marked as exploration', () => {
    expect(b.code).toBe(1);
    expect(b.result.verdicts.find((v: any) => v.check === 'exploration_present').status).toBe('fail');
  });

  it('counts the random logs as exploration when told so, and then passes that check', () => {
    const x = run(random, ['--set', 'strategy=exploration,explored=true']);
    expect(x.result.verdicts.find((v: any) => v.check === 'exploration_present').status).toBe('ok');
    expect(x.metrics.get('exploration_share')).toBe(1);
    expect(x.metrics.get('explore_rate')).toBeCloseTo(x.metrics.get('outcome_rate')!, 15);
  });
});
