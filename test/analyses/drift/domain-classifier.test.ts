/**
 * The domain classifier on designed data: a change of correlation leaves every column's distribution as it was (no
 * column drifts), but the classifier tells the two sides apart; exchangeable sides stay within the permutation baseline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drift, loadFile } from '../../../src/analyses/drift/index.js';
import { createRng } from '../../../src/stats/rng.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';
import { tmpDir } from '../../helpers.js';

let db: DuckDbStore;
let dir: string;

/** n rows of (x, y) standard normal with correlation rho, and a categorical column independent of both. */
function write(file: string, n: number, rho: number, seed: number): void {
  const rng = createRng(seed);
  const lines = ['x,y,group'];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(), b = rng.normal();
    lines.push(`${a},${rho * a + Math.sqrt(1 - rho * rho) * b},${rng.next() < 0.5 ? 'g1' : 'g2'}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

beforeAll(async () => {
  db = await DuckDbStore.open(':memory:');
  dir = tmpDir();
  write(path.join(dir, 'pos.csv'), 600, 0.8, 1);
  write(path.join(dir, 'neg.csv'), 600, -0.8, 2);
  write(path.join(dir, 'pos2.csv'), 600, 0.8, 3);
});
afterAll(async () => db?.close());

const src = async (name: string) => loadFile(db, path.join(dir, name), name.replace('.csv', ''), '--reference');
const verdict = (r: Awaited<ReturnType<typeof drift>>, check: string) => r.verdicts.find((v) => v.check === check)!;

describe('domain classifier', () => {
  it('is the same whatever the scale of a column, up to values near 1e308', async () => {
    // The same rows with x and y times 1e-300, as given, and times 1e307: standardising removes the scale (with values
    // near 1e308 the sums overflowed, the features became NaN and it threw). The sample and its folds follow a hash of
    // the rows' values, so they differ between scales and the AUCs agree to a few thousandths, not exactly.
    const scaled = (from: string, to: string, k: number) => {
      const [head, ...rows] = fs.readFileSync(path.join(dir, from), 'utf8').trim().split('\n');
      fs.writeFileSync(path.join(dir, to), [head, ...rows.map((r) => r.split(',').map((v, i) => (i < 2 ? String(Number(v) * k) : v)).join(','))].join('\n') + '\n');
    };
    const auc = async (k: number) => {
      scaled('pos.csv', `pos-${k}.csv`, k);
      scaled('neg.csv', `neg-${k}.csv`, k);
      const r = await drift(db, { reference: await src(`pos-${k}.csv`), current: await src(`neg-${k}.csv`), domainClassifier: { permutations: 19, seed: 1 } });
      return [r.metrics.find((m) => m.name === 'domain_auc')!.value!, r.metrics.find((m) => m.name === 'domain_auc_pvalue')!.value!];
    };
    const [base, p] = await auc(1);
    expect(base).toBeGreaterThan(0.8);
    for (const k of [1e-300, 1e307]) {
      const [a, q] = await auc(k);
      expect(Math.abs(a! - base!)).toBeLessThan(0.02);
      expect(q).toBe(p);
    }
  });

  it('detects a flipped correlation that no single column shows', async () => {
    const r = await drift(db, { reference: await src('pos.csv'), current: await src('neg.csv'), domainClassifier: { permutations: 19, seed: 1 } });
    for (const c of ['x', 'y', 'group']) expect(r.verdicts.find((v) => v.group?.column === c)!.status).toBe('ok');
    expect(verdict(r, 'dataset_drift').status).toBe('ok');
    expect(verdict(r, 'domain_classifier').status).toBe('fail');
    expect(r.metrics.find((m) => m.name === 'domain_auc')!.value!).toBeGreaterThan(0.8);
    expect(r.metrics.find((m) => m.name === 'domain_auc_pvalue')!.value!).toBe(0.05);
  });

  it('with too few permutations to reach domain_pvalue, a clear separation is unknown, not ok', async () => {
    // 5 permutations: p >= 1/6 whatever the AUC, so p <= 0.05 is out of reach.
    const r = await drift(db, { reference: await src('pos.csv'), current: await src('neg.csv'), domainClassifier: { permutations: 5, seed: 1 } });
    expect(r.metrics.find((m) => m.name === 'domain_auc')!.value!).toBeGreaterThan(0.8);
    expect(r.metrics.find((m) => m.name === 'domain_auc_pvalue')!.value!).toBeCloseTo(1 / 6, 12);
    const v = verdict(r, 'domain_classifier');
    expect(v.status).toBe('unknown');
    expect(v.message).toMatch(/5 label permutations cannot give a p-value below 1\/6 = 0\.167 > 0\.05, so multivariate drift is not judged; run at least 19 permutations\.$/);
    // With domain_pvalue 0.2 the same 5 permutations suffice (1/6 <= 0.2).
    const loose = await drift(db, { reference: await src('pos.csv'), current: await src('neg.csv'), thresholds: { domain_pvalue: 0.2 }, domainClassifier: { permutations: 5, seed: 1 } });
    expect(verdict(loose, 'domain_classifier').status).toBe('fail');
  });

  it('finds nothing between two samples of one distribution', async () => {
    const r = await drift(db, { reference: await src('pos.csv'), current: await src('pos2.csv'), domainClassifier: { permutations: 19, seed: 1 } });
    expect(verdict(r, 'domain_classifier').status).toBe('ok');
    // Cross-validated AUC under exchangeability sits at or a little below 1/2 (held-out folds are anti-correlated
    // with the training label balance), which is why it is judged against the permutation baseline, not against 0.5.
    const auc = r.metrics.find((m) => m.name === 'domain_auc')!.value!;
    expect(auc).toBeLessThan(0.55);
    expect(r.metrics.find((m) => m.name === 'domain_auc_pvalue')!.value!).toBeGreaterThan(0.05);
  });
});
