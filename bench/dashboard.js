/**
 * Dashboard benchmark (the dashboard issue): time to the first chart of the overview and loop-health pages on a store
 * of 10M exposures, in Debian's Chromium driven by playwright-core against `loopguard serve` (a child process).
 * Target: under 1 s.
 *
 * node bench/dashboard.js [--rows N] [--runs 5] [--data-dir DIR] [--regen] [--strict]
 *
 * Data: the loop-health benchmark's store (bench/out/loop-health-data, 1,000 Zipf items, 20 versions over 60 days,
 * 2% exploration) is copied when it exists with the same row count; otherwise an equivalent store is generated here
 * with DuckDB SQL (deterministic hash-based uniforms; item rank = floor(1000 * u^(2 + 0.05 v)), a skew growing with
 * the version; clicks on ~3% of exposures).
 *
 * Measured, each a median over --runs page loads (time from navigation to the first uPlot canvas with data):
 *   cold: a fresh server (--no-prewarm) per run. Run 1 starts with the store's persisted rollup emptied, so it pays
 *     for the exposure rollup (one GROUP BY scan, then written to the store): first_build_ms; the later runs are
 *     restarted servers that read the persisted rollup (median_ms);
 *   warm: one server started with the default prewarm, after the prewarm finished (rollup and loop health cached).
 * For information: the time until every overview card is judged (the first warm run computes OPE, drift and profile
 * decay, which the prewarm leaves for the first request; later runs read them from the cache), and the dashboard
 * routes' latencies. Writes bench/out/dashboard.json.
 * Needs `npm run build` first (dist/ and dist/web).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromium } from 'playwright-core';
import { BIN, OUT_DIR, ROOT, freePort } from './lib.js';

const TARGET_MS = 1000;
const PROJECT = 'bench';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const log = (...a) => console.error(`[dashboard ${new Date().toISOString().slice(11, 19)}]`, ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function generate(store, rows) {
  const { DuckDbStore } = await import(pathToFileURL(path.join(ROOT, 'dist', 'store', 'duckdb', 'store.js')).href);
  const { OUTCOME_KEY_SQL } = await import(pathToFileURL(path.join(ROOT, 'dist', 'store', 'duckdb', 'tables.js')).href);
  const { EXPLORE_SQL } = await import(pathToFileURL(path.join(ROOT, 'dist', 'analyses', 'sql.js')).href);
  const s = await DuckDbStore.open(store);
  await s.close();
  const inst = await DuckDBInstance.create(store);
  const c = await inst.connect();
  const decisions = Math.ceil(rows / 3);
  const u = (k) => `(CAST(hash(d, ${k}) AS DOUBLE) / 18446744073709551616.0)`;
  try {
    await c.run("SET TimeZone = 'UTC'");
    await c.run('BEGIN TRANSACTION');
    await c.run(`CREATE TEMP TABLE g AS
      SELECT d, TIMESTAMP '2026-01-01' + to_microseconds(CAST(floor(d * (60 * 86400e6 / ${decisions})) AS BIGINT)) AS ts,
        CAST(floor(d * 20.0 / ${decisions}) AS INTEGER) + 1 AS v, ${u(11)} < 0.02 AS explore, pos,
        ${u(1)} AS u1, CAST(hash(d, pos, 7) AS DOUBLE) / 18446744073709551616.0 AS uc
      FROM range(${decisions}) r(d), (SELECT unnest([1, 2, 3]) AS pos)
      WHERE d * 3 + pos <= ${rows}`);
    await c.run(`INSERT INTO decisions SELECT '${PROJECT}', 'dec-' || d, ts, 'req-' || d, 'user-' || (hash(d, 5) % 200000), NULL, 'home', 'ranker',
        'v' || lpad(CAST(v AS VARCHAR), 2, '0'), CASE WHEN explore THEN 'exploration' ELSE 'personalized' END, NULL, 3, NULL
      FROM g WHERE pos = 1`);
    // Item: exploration uniform; otherwise a power-law rank whose skew grows with the version (slot offsets keep a slate's items apart).
    await c.run(`INSERT INTO exposures SELECT '${PROJECT}', 'dec-' || d, 'req-' || d, ts, 'user-' || (hash(d, 5) % 200000), 'home', 'ranker',
        'v' || lpad(CAST(v AS VARCHAR), 2, '0'), CASE WHEN explore THEN 'exploration' ELSE 'personalized' END,
        'item_' || lpad(CAST(((CASE WHEN explore THEN CAST(floor(u1 * 1000) AS INTEGER) ELSE CAST(floor(1000 * pow(u1, 2 + 0.05 * v)) AS INTEGER) END) + 331 * (pos - 1)) % 1000 * 7919 % 1000 AS VARCHAR), 4, '0'),
        pos, CASE WHEN explore THEN 0.001 ELSE 0.5 END, NULL, explore, 3, NULL
      FROM g`);
    await c.run(`UPDATE exposures SET outcome_key = ${OUTCOME_KEY_SQL('request_id', 'item_id')} WHERE project = '${PROJECT}'`);
    await c.run(`INSERT INTO explored_exposures SELECT * FROM exposures e WHERE e.project = '${PROJECT}' AND ${EXPLORE_SQL}`);
    await c.run(`INSERT INTO outcomes SELECT '${PROJECT}', 'out-' || d || '-' || pos, g.ts + INTERVAL 30 SECOND, 'req-' || d, e.item_id, 'click', 1.0, e.outcome_key
      FROM g JOIN exposures e ON e.project = '${PROJECT}' AND e.decision_id = 'dec-' || g.d AND e.position = g.pos
      WHERE g.uc < CASE g.pos WHEN 1 THEN 0.036 WHEN 2 THEN 0.030 ELSE 0.024 END`);
    await c.run('COMMIT');
    await c.run('CHECKPOINT');
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

async function prepare(dir, rows, regen) {
  fs.mkdirSync(dir, { recursive: true });
  const store = path.join(dir, 'dashboard.duckdb');
  const manifestFile = path.join(dir, 'manifest.json');
  const want = { rows, generator: 1 };
  const have = (() => { try { return JSON.parse(fs.readFileSync(manifestFile, 'utf8')); } catch { return null; } })();
  if (!regen && have && have.rows === rows && fs.existsSync(store)) return { store, source: have.source };
  for (const f of [store, `${store}.wal`, manifestFile]) fs.rmSync(f, { force: true });
  const lh = path.join(OUT_DIR, 'loop-health-data');
  let source;
  const lhManifest = (() => { try { return JSON.parse(fs.readFileSync(path.join(lh, 'manifest.json'), 'utf8')); } catch { return null; } })();
  if (!regen && lhManifest?.spec?.rows === rows && fs.existsSync(path.join(lh, 'loop-health.duckdb'))) {
    log(`copying the loop-health benchmark's store (${rows.toLocaleString('en-US')} exposures)`);
    fs.copyFileSync(path.join(lh, 'loop-health.duckdb'), store);
    source = 'bench/out/loop-health-data/loop-health.duckdb';
  } else {
    log(`generating ${rows.toLocaleString('en-US')} exposures into ${store}`);
    const t = performance.now();
    await generate(store, rows);
    log(`  ${((performance.now() - t) / 1000).toFixed(1)} s`);
    source = 'generated by bench/dashboard.js';
  }
  fs.writeFileSync(manifestFile, JSON.stringify({ ...want, source }));
  return { store, source };
}

function createKey(store) {
  const r = spawnSync(process.execPath, [BIN, 'keys', 'create', '--project', PROJECT, '--db', store], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop();
}

async function serve(store, extra = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--db', store, '--port', String(port), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${err}`);
    try {
      if ((await fetch(`${url}/v1/health`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    /** SIGTERM waits for analyses still running for the page (minutes on 10M cold); nothing was written, so kill. */
    async stop(signal = 'SIGKILL') {
      if (child.exitCode !== null) return;
      child.kill(signal);
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(`${store}.server.json`, { force: true }); // a killed server leaves its discovery file
    },
  };
}

/** Navigates and resolves with ms to the first chart with data, and (optionally) ms until every overview card is judged. */
/** Puts the key in the tab's keyring without opening a project (a #keys= link would open it and start its rollup). */
async function login(page, url, key) {
  await page.goto(`${url}/login`);
  await page.evaluate(([project, k]) => sessionStorage.setItem('loopguard.keys', JSON.stringify([{ project, key: k }])), [PROJECT, key]);
}

/** Empties the dashboard's persisted rollup (tables of migration 5), if the store has it yet. */
async function dropPersistedRollup(store) {
  const db = await DuckDBInstance.create(store);
  const c = await db.connect();
  for (const t of ['dashboard_rollup_state', 'dashboard_rollup', 'dashboard_rollup_days']) await c.run(`DELETE FROM ${t}`).catch(() => undefined);
  c.closeSync();
  db.closeSync?.();
}

async function firstChart(page, url, { cards = false } = {}) {
  const t0 = performance.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].some((c) => Number(c.dataset.points) > 0 && c.querySelector('canvas')), null, { timeout: 300_000, polling: 'raf' });
  const first = performance.now() - t0;
  let all = null;
  if (cards) {
    await page.waitForFunction(() => { const cs = [...document.querySelectorAll('.card')]; return cs.length > 0 && cs.every((c) => c.dataset.state !== 'loading'); }, null, { timeout: 600_000, polling: 200 });
    all = performance.now() - t0;
  }
  return { first, all };
}

async function timed(url, key) {
  const t0 = performance.now();
  const r = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t0;
}

async function main() {
  const { values } = parseArgs({ options: {
    rows: { type: 'string', default: '10000000' }, runs: { type: 'string', default: '5' },
    'data-dir': { type: 'string', default: path.join(OUT_DIR, 'dashboard-data') }, regen: { type: 'boolean', default: false }, strict: { type: 'boolean', default: false },
  } });
  const rows = Number(values.rows.replaceAll('_', '')), runs = Number(values.runs);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'web', 'index.html'))) throw new Error('dist/web is missing: run npm run build first');
  const loadStart = os.loadavg()[0];
  const { store, source } = await prepare(path.resolve(values['data-dir']), rows, values.regen);
  const key = createKey(store);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const result = { benchmark: 'dashboard', when: new Date().toISOString(), rows, source, runs, target_ms: TARGET_MS, machine: { cpus: os.cpus().length, loadavg_1m_at_start: loadStart, node: process.version } };
  try {
    const pages = { overview: `/p/${PROJECT}/overview`, 'loop-health': `/p/${PROJECT}/loop-health` };
    // Cold: a fresh server per run; the first page load computes the rollup.
    result.cold = {};
    for (const [name, p] of Object.entries(pages)) {
      const times = [], loads = [];
      // Run 1 starts without the rollup kept in the store (it builds it: one full scan); the later runs are fresh
      // servers on the store that keeps it (migration 5), which is what a restarted server meets.
      await dropPersistedRollup(store);
      for (let i = 0; i < runs; i++) {
        const s = await serve(store, ['--no-prewarm']);
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await ctx.newPage();
        await login(page, s.url, key);
        const t = await firstChart(page, s.url + p);
        times.push(t.first);
        loads.push(os.loadavg()[0]);
        log(`cold ${name} run ${i + 1}${i === 0 ? ' (no persisted rollup: full build)' : ' (restarted server, persisted rollup)'}: first chart ${t.first.toFixed(0)} ms (load ${os.loadavg()[0].toFixed(2)})`);
        await ctx.close();
        await s.stop();
      }
      const restarts = times.slice(1);
      result.cold[name] = {
        first_chart_ms: times.map(Math.round), loadavg_1m: loads.map((l) => Number(l.toFixed(2))),
        first_build_ms: Math.round(times[0]), median_ms: Math.round(median(restarts.length ? restarts : times)),
      };
    }
    // Warm: the default server (prewarm), once its summaries are cached.
    const s = await serve(store);
    const tw = performance.now();
    const base = `${s.url}/v1/projects/${PROJECT}`;
    // The prewarm computes the rollup, then loop health; wait for both.
    await timed(`${base}/dashboard/analyses/loop-health`, key);
    result.prewarm_ms = Math.round(performance.now() - tw);
    log(`prewarm (rollup and loop health) cached after ${(result.prewarm_ms / 1000).toFixed(1)} s`);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await login(page, s.url, key);
    result.warm = {};
    for (const [name, p] of Object.entries(pages)) {
      const first = [], all = [];
      for (let i = 0; i < runs; i++) {
        const t = await firstChart(page, s.url + p, { cards: name === 'overview' });
        first.push(t.first);
        if (t.all !== null) all.push(t.all);
        log(`warm ${name} run ${i + 1}: first chart ${t.first.toFixed(0)} ms${t.all !== null ? `, every card judged ${t.all.toFixed(0)} ms` : ''}`);
      }
      result.warm[name] = { first_chart_ms: first.map(Math.round), median_ms: Math.round(median(first)), ...(all.length ? { all_cards_ms: all.map(Math.round), all_cards_median_ms: Math.round(median(all)) } : {}) };
    }
    result.routes_warm_ms = {};
    for (const r of ['dashboard/scope', 'dashboard/loop-series', 'dashboard/loop-series?window=week&versions=v01,v02', 'dashboard/lorenz', 'dashboard/overview']) {
      const ts = [];
      for (let i = 0; i < runs; i++) ts.push(await timed(`${base}/${r}`, key));
      result.routes_warm_ms[r] = Math.round(median(ts));
    }
    await ctx.close();
    await s.stop();
  } finally {
    await browser.close();
  }
  result.machine.loadavg_1m_at_end = os.loadavg()[0];
  const verdict = (ms) => (ms < TARGET_MS ? 'PASS' : 'MISS');
  console.log(`\nDashboard, ${rows.toLocaleString('en-US')} exposures (${source}); median of ${runs}; target first chart < ${TARGET_MS} ms`);
  for (const mode of ['cold', 'warm'])
    for (const [name, r] of Object.entries(result[mode]))
      console.log(`  ${mode.padEnd(4)} ${name.padEnd(11)} first chart ${String(r.median_ms).padStart(6)} ms  ${verdict(r.median_ms)} (x${(TARGET_MS / r.median_ms).toFixed(2)} of target)${r.all_cards_median_ms ? `; every card judged: ${r.all_cards_ms.join(', ')} ms by run` : ''}`);
  console.log(`  warm routes (ms): ${JSON.stringify(result.routes_warm_ms)}`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'dashboard.json'), JSON.stringify(result, null, 2));
  if (values.strict && Object.values(result.warm).some((r) => r.median_ms >= TARGET_MS)) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
