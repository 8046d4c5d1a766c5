/**
 * OPE benchmark (issue "Off-policy evaluation"): the seven estimators (ipw, snipw, dm, dr, sndr, switch-dr, dr-os) with
 * normal intervals and 1,000 bootstrap resamples on 1,000,000 logged rounds and 50 actions, side by side with a numpy
 * implementation of the same estimators and bootstrap (bench/ope_baseline.py), on the same data and the same reward
 * model predictions. Targets: at least 10x faster than numpy in the same run; point estimates equal to 1e-9.
 *
 * node bench/ope.js [--rounds N] [--actions K] [--resamples B] [--runs 3] [--modes gather,counts] [--regen] [--strict]
 *   --rounds     logged rounds (default 1,000,000)
 *   --actions    actions (default 50)
 *   --resamples  bootstrap resamples (default 1000)
 *   --runs       timed runs of the JS side before numpy, and again after it (median of all reported; default 3)
 *   --modes      numpy bootstrap implementations to time: gather (idiomatic) and/or counts (tuned); default both
 *   --regen      regenerate the data even when a matching copy is cached
 *   --strict     exit 1 when the speed target is missed (a disagreement of the estimates always exits 1)
 *
 * Needs `npx tsc -p tsconfig.build.json` first (it uses dist/). Writes bench/out/ope.json and the data (raw
 * little-endian arrays, ~0.9 GB) to bench/out/ope-data/.
 *
 * Data (seeded, src/stats/rng.ts): contexts x in R^5 standard normal; action scores eta(x, a) = b_a + theta_a . x with
 * b_a ~ N(-2, 0.5^2), theta_a ~ N(0, 0.5^2); expected reward sigmoid(eta); logging policy
 * 0.8 softmax(eta) + 0.2 uniform, target softmax(4 eta); the logged action drawn from the logging policy and a
 * Bernoulli reward. The reward model is the library's cross-fitted one (5 folds, logistic, context x), fitted once;
 * its predictions are written to q.f64 and read by both sides, so both evaluate the same numbers.
 *
 * What is timed, on each side, from arrays in memory (loading is reported apart): the per-round terms of the seven
 * estimators, their point values and normal intervals, and the bootstrap. The JS side is what `ope` runs
 * (SharedTerms, roundTermsShared, summarizeTerms, bootstrapRoundTerms, including the input validation), with its
 * default threads (the calling thread plus workers; the machine's cores) and, for reference, one thread.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const NAMES = ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os'];
export const TARGETS = { speedup_vs_numpy: 10, estimate_tolerance: 1e-9 };
const DIM = 5;
const SEED = 20260101;

const log = (...a) => console.error(`[ope ${new Date().toISOString().slice(11, 19)}]`, ...a);
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function lib() {
  const dist = (p) => pathToFileURL(path.join(ROOT, 'dist', p)).href;
  if (!fs.existsSync(path.join(ROOT, 'dist', 'analyses', 'ope', 'index.js'))) throw new Error('dist/ is missing: run npx tsc -p tsconfig.build.json first');
  return { ...(await import(dist('analyses/ope/index.js'))), ...(await import(dist('stats/rng.js'))), ...(await import(dist('analyses/ope/validate.js'))) };
}

function generate(L, n, K) {
  const rng = L.createRng(SEED);
  const b = Float64Array.from({ length: K }, () => -2 + 0.5 * rng.normal());
  const theta = Float64Array.from({ length: K * DIM }, () => 0.5 * rng.normal());
  const context = new Float64Array(n * DIM);
  const action = new Int32Array(n);
  const reward = new Float64Array(n);
  const pscore = new Float64Array(n);
  const probs = new Float64Array(n * K);
  const eta = new Float64Array(K);
  const logging = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < DIM; k++) context[i * DIM + k] = rng.normal();
    let mxb = -Infinity;
    for (let a = 0; a < K; a++) {
      let e = b[a];
      for (let k = 0; k < DIM; k++) e += theta[a * DIM + k] * context[i * DIM + k];
      eta[a] = e;
      if (e > mxb) mxb = e;
    }
    let sb = 0, se = 0;
    for (let a = 0; a < K; a++) {
      logging[a] = Math.exp(eta[a] - mxb);
      sb += logging[a];
      const t = Math.exp(4 * (eta[a] - mxb));
      probs[i * K + a] = t;
      se += t;
    }
    for (let a = 0; a < K; a++) {
      logging[a] = 0.8 * (logging[a] / sb) + 0.2 / K;
      probs[i * K + a] /= se;
    }
    let u = rng.next(), chosen = K - 1;
    for (let a = 0; a < K; a++) {
      u -= logging[a];
      if (u < 0) {
        chosen = a;
        break;
      }
    }
    action[i] = chosen;
    pscore[i] = logging[chosen];
    reward[i] = rng.next() < 1 / (1 + Math.exp(-eta[chosen])) ? 1 : 0;
  }
  return { n, nActions: K, action, reward, pscore, context, dim: DIM, probs };
}

const files = { action: 'action.i32', reward: 'reward.f64', pscore: 'pscore.f64', probs: 'probs.f64', q: 'q.f64' };

function writeArray(dir, name, arr) {
  fs.writeFileSync(path.join(dir, files[name]), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
}

function readArray(dir, name, Type) {
  const buf = fs.readFileSync(path.join(dir, files[name]));
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Type(copy.buffer);
}

async function data(L, dir, n, K, regen) {
  const metaFile = path.join(dir, 'meta.json');
  const want = { n, nActions: K, dim: DIM, seed: SEED, version: 2 };
  if (!regen && fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    if (Object.entries(want).every(([k, v]) => meta[k] === v)) {
      log(`using cached data in ${path.relative(ROOT, dir)}`);
      const t0 = performance.now();
      const d = { n, nActions: K, action: readArray(dir, 'action', Int32Array), reward: readArray(dir, 'reward', Float64Array), pscore: readArray(dir, 'pscore', Float64Array), probs: readArray(dir, 'probs', Float64Array), q: readArray(dir, 'q', Float64Array) };
      return { d, meta, loadMs: performance.now() - t0 };
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  log(`generating ${n.toLocaleString()} rounds x ${K} actions`);
  let t0 = performance.now();
  const g = generate(L, n, K);
  const genMs = performance.now() - t0;
  log(`fitting the reward model (5-fold cross-fitted logistic on ${DIM} context features)`);
  t0 = performance.now();
  const fit = L.fitRewardModel({ n, nActions: K, action: g.action, reward: g.reward, pscore: g.pscore, context: g.context, dim: DIM }, { folds: 5, seed: 0 });
  const fitMs = performance.now() - t0;
  for (const name of ['action', 'reward', 'pscore', 'probs']) writeArray(dir, name, g[name]);
  writeArray(dir, 'q', fit.predictions);
  const meta = { ...want, generate_ms: genMs, reward_model_fit_ms: fitMs, reward_model: fit.kind };
  fs.writeFileSync(metaFile, JSON.stringify(meta));
  return { d: { n, nActions: K, action: g.action, reward: g.reward, pscore: g.pscore, probs: g.probs, q: fit.predictions }, meta, loadMs: 0 };
}

/** What `ope` runs for one target, timed: validation, shared round terms, point values + normal intervals, bootstrap. */
function runJs(L, d, resamples, threads) {
  const t0 = performance.now();
  const data = { n: d.n, nActions: d.nActions, action: d.action, reward: d.reward, pscore: d.pscore };
  const target = { probs: d.probs };
  L.validateLoggedBandit('bench', data);
  L.validateTarget('bench', data, target);
  L.validateRewardModel('bench', data, d.q);
  const shared = new L.SharedTerms(data, target, d.q);
  const estimators = L.standardEstimators();
  const named = estimators.map((e) => ({ name: e.name, terms: L.roundTermsShared(e, shared) }));
  const z = 1.959963984540054;
  const estimates = Object.fromEntries(named.map(({ name, terms }) => {
    const s = L.summarizeTerms(terms);
    return [name, { value: s.value, ci: [s.value - z * s.se, s.value + z * s.se] }];
  }));
  const t1 = performance.now();
  const boot = L.bootstrapRoundTerms(named, { n: resamples, seed: 0, ...(threads ? { threads } : {}) });
  const t2 = performance.now();
  return { pointMs: t1 - t0, bootMs: t2 - t1, totalMs: t2 - t0, estimates, ci: Object.fromEntries(boot.estimates.map((e) => [e.name, e.ci])) };
}

function runPython(dir, resamples, modes) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(ROOT, 'bench', 'ope_baseline.py'), dir, '--resamples', String(resamples), '--modes', modes], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (x) => (out += x));
    child.stderr.on('data', (x) => {
      err += x;
      process.stderr.write(x);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`ope_baseline.py exited ${code}: ${err}`))));
  });
}

async function main() {
  const { values: a } = parseArgs({
    options: {
      rounds: { type: 'string', default: '1000000' },
      actions: { type: 'string', default: '50' },
      resamples: { type: 'string', default: '1000' },
      runs: { type: 'string', default: '3' },
      modes: { type: 'string', default: 'gather,counts' },
      regen: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
    },
  });
  const n = Number(a.rounds), K = Number(a.actions), B = Number(a.resamples), runs = Number(a.runs);
  const L = await lib();
  const dir = path.join(OUT_DIR, 'ope-data');
  const { d, meta, loadMs } = await data(L, dir, n, K, a.regen);

  log(`JS: ${runs} run(s), default threads (${os.availableParallelism()} cores)`);
  const js = [];
  for (let r = 0; r < runs; r++) {
    js.push(runJs(L, d, B));
    log(`  run ${r + 1}: terms+point ${fmtS(js[r].pointMs)}, bootstrap ${fmtS(js[r].bootMs)}, total ${fmtS(js[r].totalMs)}`);
  }
  const js1 = runJs(L, d, B, 1);
  log(`JS one thread: total ${fmtS(js1.totalMs)} (bootstrap ${fmtS(js1.bootMs)})`);
  log(`numpy: ${a.modes}`);
  const loadBeforeNumpy = os.loadavg();
  const py = await runPython(dir, B, a.modes);
  const loadAfterNumpy = os.loadavg();
  // On a shared machine the load moves during the minutes numpy takes: the JS side runs again after it, and the
  // ratios use the median of every JS run, before and after.
  for (let r = 0; r < runs; r++) {
    js.push(runJs(L, d, B));
    log(`  run ${runs + r + 1} (after numpy): bootstrap ${fmtS(js[runs + r].bootMs)}, total ${fmtS(js[runs + r].totalMs)}`);
  }
  const jsAll = median(js.map((x) => x.totalMs));

  // Point estimates: same reward model predictions, same formulas.
  const diffs = Object.fromEntries(NAMES.map((name) => [name, Math.abs(js[0].estimates[name].value - py.estimates[name].value)]));
  const maxDiff = Math.max(...Object.values(diffs));
  const normalDiff = Math.max(...NAMES.flatMap((name) => [0, 1].map((k) => Math.abs(js[0].estimates[name].ci[k] - py.estimates[name].ci[k]))));
  const jsMs = jsAll;
  const speedups = Object.fromEntries(Object.entries(py.bootstrap).map(([mode, b]) => [mode, (b.total_s * 1000) / jsMs]));
  const speedups1 = Object.fromEntries(Object.entries(py.bootstrap).map(([mode, b]) => [mode, (b.total_s * 1000) / js1.totalMs]));

  const result = {
    rounds: n, actions: K, resamples: B, cpus: os.availableParallelism(), loadavg: os.loadavg(), loadavg_before_numpy: loadBeforeNumpy, loadavg_after_numpy: loadAfterNumpy, node: process.version,
    numpy: py.numpy, python: py.python, data: meta, js_load_ms: loadMs,
    js: { median_total_ms: jsMs, runs: js.map((x) => ({ point_ms: x.pointMs, bootstrap_ms: x.bootMs, total_ms: x.totalMs })), one_thread_total_ms: js1.totalMs },
    numpy_timings: { load_s: py.load_s, point_s: py.point_s, bootstrap: Object.fromEntries(Object.entries(py.bootstrap).map(([m, b]) => [m, { bootstrap_s: b.seconds, total_s: b.total_s }])) },
    speedup_vs_numpy: speedups,
    speedup_vs_numpy_one_js_thread: speedups1,
    estimates: Object.fromEntries(NAMES.map((name) => [name, { js: js[0].estimates[name].value, numpy: py.estimates[name].value, abs_diff: diffs[name] }])),
    max_abs_diff_estimates: maxDiff,
    max_abs_diff_normal_ci: normalDiff,
    bootstrap_ci: Object.fromEntries(NAMES.map((name) => [name, { js: js[0].ci[name], ...Object.fromEntries(Object.entries(py.bootstrap).map(([m, b]) => [`numpy_${m}`, b.ci[name]])) }])),
    targets: TARGETS,
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'ope.json'), JSON.stringify(result, null, 2));

  const lines = [
    `OPE benchmark: ${n.toLocaleString()} rounds x ${K} actions, 7 estimators, ${B} bootstrap resamples (${os.availableParallelism()} cores)`,
    `  load average ${loadBeforeNumpy.map((x) => x.toFixed(1)).join(' ')} before numpy, ${loadAfterNumpy.map((x) => x.toFixed(1)).join(' ')} after`,
    `  JS (median of ${js.length}, before and after numpy): ${fmtS(jsMs)}   [one thread: ${fmtS(js1.totalMs)}]`,
    ...Object.entries(py.bootstrap).map(([m, b]) => `  numpy ${m.padEnd(7)}         ${fmtS(b.total_s * 1000)}   -> JS is ${speedups[m].toFixed(1)}x faster (${speedups1[m].toFixed(1)}x on one thread)  ${speedups[m] >= TARGETS.speedup_vs_numpy ? 'PASS' : 'MISS'} (target ${TARGETS.speedup_vs_numpy}x)`),
    `  point estimates: max |JS - numpy| = ${maxDiff.toExponential(2)}  ${maxDiff <= TARGETS.estimate_tolerance ? 'PASS' : 'FAIL'} (tolerance ${TARGETS.estimate_tolerance})`,
    `  normal intervals: max |JS - numpy| = ${normalDiff.toExponential(2)}`,
    ...NAMES.map((name) => `    ${name.padEnd(10)} ${js[0].estimates[name].value.toFixed(9)}  bootstrap CI JS [${js[0].ci[name].map((x) => x.toFixed(5)).join(', ')}]  numpy ${Object.entries(py.bootstrap).map(([m, b]) => `${m} [${b.ci[name].map((x) => x.toFixed(5)).join(', ')}]`).join(' ')}`),
    `  wrote ${path.relative(ROOT, path.join(OUT_DIR, 'ope.json'))}`,
  ];
  console.log(lines.join('\n'));
  if (maxDiff > TARGETS.estimate_tolerance) process.exitCode = 1;
  if (a.strict && Object.values(speedups).some((s) => s < TARGETS.speedup_vs_numpy)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
