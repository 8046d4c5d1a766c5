/**
 * Multivariate drift: can a classifier tell reference rows from current rows?
 *
 * A seeded sample of each side (rows ordered by a hash of their values and a seed, the first N taken) gets features:
 * numeric columns standardised on the pooled sample (missing values at the mean), categorical columns one-hot over
 * their most frequent values (at most 40 features, taken in column order, to keep the B + 1 cross-fitted fits fast),
 * plus the pairwise products of the first six numeric columns, so that a change of correlation with unchanged margins
 * is visible to the linear model. An L2-penalised logistic regression (the IRLS fit of the OPE reward model, one action)
 * is cross-fitted over K folds, and the out-of-fold scores' AUC (Mann-Whitney) measures separability: 0.5 when the
 * sides are exchangeable, 1 when every row betrays its side. Its null distribution comes from B refits on randomly
 * permuted side labels (seeded); p = (1 + #{null AUC >= AUC}) / (1 + B).
 * Reference: Lipton, Wang & Smola (2018), "Detecting and correcting for label shift with black box predictors"; Rabanser,
 * Günnemann & Lipton (2019), "Failing loudly: an empirical study of methods for detecting dataset shift", NeurIPS
 * (domain classifier); Friedman (2003), "On multivariate goodness-of-fit and two-sample testing", SLAC-PUB-10325
 * (classifier two-sample tests); Phipson & Smyth (2010), "Permutation p-values should never be zero", SAGMB 9(1).
 */
import { aucMannWhitney } from '../../stats/auc.js';
import { createRng } from '../../stats/rng.js';
import { fitRewardModel } from '../ope/reward-model.js';
import type { Queryable } from '../sql.js';
import { qi, valueExpr, type ColumnInfo, type Relation } from './profile.js';
import { DEFAULT_PERMUTATIONS } from './rule.js';

export interface DomainClassifierOptions {
  /** Rows drawn from each side (fewer if a side has fewer). Default 500. */
  samplePerSide?: number;
  /** Label permutations for the null distribution. Default 19 (so p can reach 0.05). */
  permutations?: number;
  /** Cross-fitting folds. Default 3. */
  folds?: number;
  /** Seed of the sample, the folds and the permutations. Default 0. */
  seed?: number;
  /** One-hot levels per categorical column (the most frequent ones). Default 5. */
  maxLevels?: number;
  /** At most this many features (columns in order, each with its levels). Default 40. */
  maxFeatures?: number;
}

export interface DomainClassifierResult {
  auc: number;
  /** AUCs of the permuted-label refits. */
  nullAucs: number[];
  pValue: number;
  referenceRows: number;
  currentRows: number;
  features: number;
}

async function sampleRows(db: Queryable, rel: Relation, columns: readonly ColumnInfo[], n: number, seed: number) {
  const cols = columns.map((c) => `${valueExpr(c)} AS ${qi(c.name)}`).join(', ');
  const key = columns.map((c) => qi(c.name)).join(', ');
  return db.queryColumns(`SELECT ${cols} FROM ${rel.from} ORDER BY hash(${Math.trunc(seed)}, ${key}) LIMIT ${Math.trunc(n)}`, rel.params);
}

export async function domainClassifier(
  db: Queryable,
  reference: Relation,
  current: Relation,
  columns: readonly ColumnInfo[],
  o: DomainClassifierOptions = {},
): Promise<DomainClassifierResult | null> {
  const per = o.samplePerSide ?? 500, B = o.permutations ?? DEFAULT_PERMUTATIONS, folds = o.folds ?? 3, seed = o.seed ?? 0, maxLevels = o.maxLevels ?? 5;
  const maxFeatures = o.maxFeatures ?? 40;
  if (!columns.length) return null;
  const [a, b] = await Promise.all([sampleRows(db, reference, columns, per, seed), sampleRows(db, current, columns, per, seed + 1)]);
  const n0 = (a[columns[0]!.name] ?? []).length, n1 = (b[columns[0]!.name] ?? []).length;
  const n = n0 + n1;
  if (n0 < folds || n1 < folds) return null;
  // Feature columns.
  const feats: Float64Array[] = [];
  const numericFeats: Float64Array[] = [];
  for (const c of columns) {
    if (feats.length >= maxFeatures) break;
    const ra = a[c.name]!, rb = b[c.name]!;
    if (c.kind === 'numeric') {
      const x = new Float64Array(n);
      // Scaled by the largest |value| first, so that the sums below cannot overflow (values near 1e308 made them
      // Infinity, the features NaN and the fit throw); standardising removes the scale again.
      let big = 0;
      for (let i = 0; i < n; i++) {
        const v = i < n0 ? (ra as Float64Array)[i]! : (rb as Float64Array)[i - n0]!;
        x[i] = v;
        if (Number.isFinite(v) && Math.abs(v) > big) big = Math.abs(v);
      }
      let s = 0, m = 0;
      for (let i = 0; i < n; i++)
        if (Number.isFinite(x[i]!)) {
          if (big > 0) x[i] = x[i]! / big;
          s += x[i]!;
          m++;
        }
      if (m === 0) continue;
      const mean = s / m;
      let ss = 0;
      for (let i = 0; i < n; i++) if (Number.isFinite(x[i]!)) ss += (x[i]! - mean) ** 2;
      const sd = Math.sqrt(ss / m);
      if (!(sd > 0)) continue;
      for (let i = 0; i < n; i++) x[i] = Number.isFinite(x[i]!) ? (x[i]! - mean) / sd : 0;
      feats.push(x);
      numericFeats.push(x);
    } else {
      const val = (i: number) => (i < n0 ? (ra as Array<string | null>)[i] : (rb as Array<string | null>)[i - n0]) ?? null;
      const freq = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const v = val(i);
        if (v !== null) freq.set(v, (freq.get(v) ?? 0) + 1);
      }
      const levels = [...freq.entries()].sort((p, q) => q[1] - p[1] || (p[0] < q[0] ? -1 : 1)).slice(0, maxLevels);
      for (const [level, count] of levels) {
        if (count === n || feats.length >= maxFeatures) continue;
        const x = new Float64Array(n);
        for (let i = 0; i < n; i++) if (val(i) === level) x[i] = 1;
        feats.push(x);
      }
    }
  }
  // Pairwise products of the first standardised numeric columns: a linear classifier on the columns alone cannot see a
  // change of correlation (each margin unchanged), the products can.
  const numeric = numericFeats.slice(0, 6);
  for (let p = 0; p < numeric.length; p++)
    for (let q = p + 1; q < numeric.length && feats.length < maxFeatures + 15; q++) {
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) x[i] = numeric[p]![i]! * numeric[q]![i]!;
      feats.push(x);
    }
  const dim = feats.length;
  const context = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) context[i * dim + k] = feats[k]![i]!;
  const labels = new Float64Array(n);
  for (let i = n0; i < n; i++) labels[i] = 1;
  const fitAuc = (y: Float64Array, s: number): number => {
    const data = { n, nActions: 1, action: new Int32Array(n), reward: y, pscore: new Float64Array(n).fill(1), context, dim };
    const fit = fitRewardModel(data, { folds, seed: s, kind: 'logistic', l2: 1 });
    return aucMannWhitney(fit.predictions, y).auc;
  };
  const auc = fitAuc(labels, seed);
  const rng = createRng(seed + 7919);
  const perm = labels.slice();
  const nullAucs: number[] = [];
  for (let b2 = 0; b2 < B; b2++) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    nullAucs.push(fitAuc(perm, seed + b2 + 1));
  }
  const pValue = (1 + nullAucs.filter((x) => x >= auc).length) / (1 + B);
  return { auc, nullAucs, pValue, referenceRows: n0, currentRows: n1, features: dim };
}
