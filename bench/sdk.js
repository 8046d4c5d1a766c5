/**
 * SDK benchmark (issue "Serving SDK"). Target: policy overhead under 200 microseconds p99 per decision for 1,000
 * candidates and a 10-slot slate.
 *
 * 1. Policy time per decision, 1,000 candidates with N(0, 1) scores, 10 slots: p50 / p99 / max over --decisions
 *    decisions (default 20,000) after a warm-up, for every policy. The judged rows give each decision a candidate list
 *    built just before the call (untimed) with new scores, as serving code builds it from its model's output; the
 *    stress rows (not judged) cycle through 200 lists prepared beforehand, about 14 MB of objects, so that every call
 *    reads its candidates from memory the caches no longer hold (a list built long before the call). Each decision
 *    includes everything the policy does for it: ranking, sampling, the exact propensities of the 10 shown items and
 *    the `shown` objects. Thompson sampling computes its marginal table once per posterior update: that one-time cost
 *    is reported apart, and per decision it draws 1,000 Beta variates and reads the table. Plackett-Luce with 10 slots
 *    out of 1,000 cannot be enumerated (~1e30 prefixes): it uses the exponential-race integral (plackett-luce.ts) with
 *    the light items in closed form (plackett-luce-tail.ts); for reference, also with every item multiplied out
 *    (tailTolerance 0, the method before the tail).
 *    Also: assign() and a profile read; a control row (the same fixed arithmetic on every call), whose tail over its
 *    median is the machine's own; the CPU steal while the policies were timed; and a tail check: Plackett-Luce run twice
 *    on each of 10,000 inputs, the slowest 1% of first calls against the same inputs run again.
 * 2. Client throughput against `loopguard serve` in a child process on loopback: --events events (default 200,000;
 *    decisions with 3 shown items and outcomes, 50/50) logged as fast as the client takes them (the loop yields when
 *    more than 50,000 wait), until flush() resolves, without and with the spool; events/s and the time of each log()
 *    call. Every event must come back stored. For reference, the same mix posted as pre-built JSON bodies without the
 *    SDK: what the server itself takes on this machine.
 *
 * 3. With --baseline DIR (the dist/ of another build, e.g. of an older commit): Plackett-Luce of both builds, interleaved
 *    in blocks of 1,000 decisions in this process so that both see the same load, p50 / p99 and their ratios. On a
 *    shared machine whose speed drifts between runs, this is the figure to compare builds by.
 *
 * node bench/sdk.js [--decisions N] [--events N] [--quick] [--no-client] [--baseline DIR]   (needs `npm run build`;
 * node built-ins and dist/ only; --no-client skips part 2)
 * Writes bench/out/sdk.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuTicks, stealShare } from './lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sdk = await import(path.join(ROOT, 'dist', 'sdk', 'index.js'));
const { DuckDbStore } = await import(path.join(ROOT, 'dist', 'store', 'duckdb', 'store.js'));

const { values: args } = parseArgs({
  options: { decisions: { type: 'string' }, events: { type: 'string' }, quick: { type: 'boolean' }, 'no-client': { type: 'boolean' }, baseline: { type: 'string' } },
});
const DECISIONS = Number(args.decisions ?? (args.quick ? 2000 : 20_000));
const EVENTS = Number(args.events ?? (args.quick ? 20_000 : 200_000));
const N_CAND = 1000, SLOTS = 10, TARGET_P99_US = 200;
const LOAD_START = os.loadavg();

function percentile(xs, p) {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r, k) => r.map((c, i) => (i === 0 || k === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

// ---- 1. policies ----------------------------------------------------------------------------------------------
const rng = sdk.createRng(2026);
const pool = Array.from({ length: 200 }, () => Array.from({ length: N_CAND }, (_, i) => ({ item_id: `item-${i}`, score: rng.normal() })));

/**
 * Wall time per call (performance.now) and, alongside, the process's CPU time per call (process.cpuUsage, 1 us
 * resolution): on a shared machine the wall-time tail includes time the process spent descheduled, the CPU time
 * does not.
 */
function timeIt(label, fn, n = DECISIONS, make = null) {
  const warm = Math.min(2000, Math.ceil(n / 10));
  for (let i = 0; i < warm; i++) fn(i, make?.(i));
  const us = new Float64Array(n), cpu = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const input = make?.(i);
    const c = process.cpuUsage();
    const t = performance.now();
    fn(i, input);
    us[i] = (performance.now() - t) * 1000;
    const d = process.cpuUsage(c);
    cpu[i] = d.user + d.system;
  }
  const r = {
    policy: label, n, p50_us: percentile(us, 50), p99_us: percentile(us, 99), max_us: percentile(us, 100),
    mean_us: us.reduce((a, b) => a + b, 0) / n, cpu_p50_us: percentile(cpu, 50), cpu_p99_us: percentile(cpu, 99),
  };
  process.stderr.write(`  ${label}: p50 ${fmt(r.p50_us)} us, p99 ${fmt(r.p99_us)} us (cpu p99 ${fmt(r.cpu_p99_us)} us)\n`);
  return r;
}

const policyRng = sdk.createRng(7);
process.stderr.write(`policies: ${N_CAND} candidates, ${SLOTS} slots, ${DECISIONS} decisions each\n`);
const results = [];
// Judged: each decision gets candidates built just before the call (untimed), with new scores, as a serving process
// builds them from its model's output and then calls the policy.
const ids = pool[0].map((c) => c.item_id);
const fresh = () => ids.map((item_id) => ({ item_id, score: rng.normal() }));
const candidatePolicies = [
  ['epsilon-greedy (eps 0.1)', (c) => sdk.epsilonGreedy(c, { epsilon: 0.1, slateSize: SLOTS, rng: policyRng })],
  ['shuffle top 5 (eps 1)', (c) => sdk.shuffleTopK(c, { window: 5, slateSize: SLOTS, rng: policyRng })],
  ['swap with tail (eps 1)', (c) => sdk.swapTail(c, { slateSize: SLOTS, rng: policyRng })],
  ['plackett-luce (T 1, integral)', (c) => sdk.plackettLuce(c, { slateSize: SLOTS, rng: policyRng })],
  ['plackett-luce, pool of top 100', (c) => sdk.plackettLuce(c, { slateSize: SLOTS, pool: 100, rng: policyRng })],
];
const ticksStart = cpuTicks();
for (const [label, f] of candidatePolicies) results.push(timeIt(label, (_i, c) => f(c), DECISIONS, fresh));
/**
 * Control, not judged: the same arithmetic on every call (2 x 4,096 exponentials, of the order of a Plackett-Luce
 * decision), after the same untimed candidate list is built. Its inputs never change, so its tail over its median is
 * what the machine adds (interrupts, the hypervisor, caches), not what the policies do; a decision's tail can be read
 * against it.
 */
const controlInput = Float64Array.from({ length: 4096 }, (_, i) => (i % 97) / 97);
let controlSink = 0;
function controlWork() {
  let s = 0;
  for (let r = 0; r < 2; r++) for (let i = 0; i < controlInput.length; i++) s += Math.exp(controlInput[i] * (r + 1) * 0.01);
  controlSink += s;
}
results.push({ ...timeIt('control: fixed arithmetic (not a policy)', () => controlWork(), DECISIONS, fresh), control: true });
// Stress, not judged: the 200 prepared candidate lists in turn, about 14 MB of objects, so every call reads its
// candidates from memory the caches no longer hold (a list built long before the call).
for (const [label, f] of candidatePolicies) results.push({ ...timeIt(`${label}, cold`, (i) => f(pool[i % 200])), stress: true });
results.push({
  ...timeIt('plackett-luce, item by item (ref.)', (i) => sdk.plackettLuce(pool[i % 200], { slateSize: SLOTS, tailTolerance: 0, rng: policyRng }), Math.min(DECISIONS, 5000)),
  reference: true,
});
const arms = Array.from({ length: N_CAND }, (_, i) => ({ item_id: `item-${i}`, alpha: 1 + rng.int(20), beta: 20 + rng.int(400) }));
const t0 = performance.now();
const ts = new sdk.ThompsonSampling(arms, { slateSize: SLOTS });
ts.marginals();
const tsTableMs = performance.now() - t0;
process.stderr.write(`  thompson: marginal table for ${N_CAND} arms x ${SLOTS} positions in ${fmt(tsTableMs)} ms (once per posterior update)\n`);
results.push(timeIt('thompson (table precomputed)', () => ts.decide(policyRng)));
const coldArms = Array.from({ length: N_CAND }, (_, i) => ({ item_id: `item-${i}`, alpha: i < 100 ? 1 : 2 + rng.int(30), beta: i < 100 ? 19 : 50 + rng.int(500) }));
results.push(timeIt('ucb (100 tied cold arms)', () => sdk.ucb(coldArms, { slateSize: SLOTS, rng: policyRng })));
const policySteal = stealShare(ticksStart, cpuTicks());
if (!(controlSink > 0)) throw new Error('the control computed nothing');

/**
 * Is Plackett-Luce's tail its own? Each of TAIL_N decisions runs twice on the same candidates with the same random
 * stream, so the second call does the same work as the first. If the slowest 1% of first calls were slow because of
 * their inputs (a larger heavy set, more nodes), their second calls would be as slow; if the second calls take about
 * the median, the time was the machine's.
 */
const TAIL_N = Math.min(DECISIONS, 10_000);
const first = new Float64Array(TAIL_N), again = new Float64Array(TAIL_N);
for (let i = 0; i < TAIL_N; i++) {
  const c = fresh();
  for (const out of [first, again]) {
    const r = sdk.createRng(1_000_000 + i);
    const t = performance.now();
    sdk.plackettLuce(c, { slateSize: SLOTS, rng: r });
    out[i] = (performance.now() - t) * 1000;
  }
}
const slowest = [...first.keys()].sort((a, b) => first[b] - first[a]).slice(0, Math.max(1, Math.round(TAIL_N / 100)));
const tailCheck = {
  decisions: TAIL_N,
  p50_us: percentile(first, 50),
  p99_us: percentile(first, 99),
  slowest_first_median_us: percentile(slowest.map((i) => first[i]), 50),
  slowest_again_median_us: percentile(slowest.map((i) => again[i]), 50),
};
// ---- 3. the same Plackett-Luce under another build, interleaved -----------------------------------------------------
let versus = null;
if (args.baseline) {
  const other = await import(path.join(path.resolve(args.baseline), 'sdk', 'index.js'));
  const builds = [
    { label: 'baseline', sdk: other, rng: other.createRng(7), us: [] },
    { label: 'this build', sdk, rng: sdk.createRng(7), us: [] },
  ];
  for (const b of builds) for (let i = 0; i < 2000; i++) b.sdk.plackettLuce(pool[i % 200], { slateSize: SLOTS, rng: b.rng });
  const blocks = Math.max(1, Math.round(DECISIONS / 1000));
  for (let k = 0; k < blocks; k++)
    for (const b of builds)
      for (let i = 0; i < 1000; i++) {
        const t = performance.now();
        b.sdk.plackettLuce(pool[(k * 1000 + i) % 200], { slateSize: SLOTS, rng: b.rng });
        b.us.push((performance.now() - t) * 1000);
      }
  const [base, mine] = builds.map((b) => ({ p50_us: percentile(b.us, 50), p99_us: percentile(b.us, 99) }));
  versus = { baseline: path.resolve(args.baseline), decisions: blocks * 1000, baseline_p50_us: base.p50_us, baseline_p99_us: base.p99_us, p50_us: mine.p50_us, p99_us: mine.p99_us, p50_ratio: mine.p50_us / base.p50_us, p99_ratio: mine.p99_us / base.p99_us };
  process.stderr.write(`  plackett-luce vs ${versus.baseline}: p50 ${fmt(mine.p50_us)} vs ${fmt(base.p50_us)} us (${versus.p50_ratio.toFixed(2)}x), p99 ${fmt(mine.p99_us)} vs ${fmt(base.p99_us)} us (${versus.p99_ratio.toFixed(2)}x)\n`);
}

const extras = [];
extras.push(timeIt('assign()', (i) => sdk.assign(`user-${i}`, { salt: 'bench', holdout: 0.05, exploration: 0.1 })));
const profiles = new sdk.MemoryProfileStore();
for (let u = 0; u < 1000; u++) for (let k = 0; k < 20; k++) profiles.updateSync(`u${u}`, { [`cat-${k}`]: 1 + (u % 3) }, Date.now() - k * 3_600_000);
extras.push(timeIt('profile read (20 features)', (i) => profiles.getSync(`u${i % 1000}`)));

// ---- 2. client throughput ---------------------------------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(db) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'loopguard.js'), 'serve', '--db', db, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${err}`);
    try {
      if ((await fetch(`${url}/v1/health`)).ok) return { child, url };
    } catch {
      /* starting */
    }
    if (i > 600) throw new Error(`server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function clientRun(label, url, key, spoolDir) {
  const client = new sdk.LoopguardClient({ url, apiKey: key, batchSize: 1000, maxInFlight: 8, validate: 'off', spool: spoolDir ?? undefined });
  const slate = sdk.epsilonGreedy(pool[0], { epsilon: 0.1, slateSize: 3, rng: policyRng });
  const logUs = new Float64Array(EVENTS);
  const runId = `${label.replace(/\W+/g, '')}-${process.pid}`;
  const start = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    if (i % 1000 === 0 && client.stats().pending > 50_000) while (client.stats().pending > 20_000) await new Promise((r) => setTimeout(r, 1));
    const t = performance.now();
    if (i % 2 === 0)
      client.logDecision({ request_id: `${runId}-r${i}`, user_id: `u${i % 5000}`, surface: 'home', policy: 'bench', policy_version: 'v1', ...slate });
    else client.logOutcome({ request_id: `${runId}-r${i - 1}`, item_id: slate.shown[0].item_id, kind: 'click', value: 1 });
    logUs[i] = (performance.now() - t) * 1000;
  }
  const ok = await client.flush(300_000);
  const seconds = (performance.now() - start) / 1000;
  const st = await client.close();
  if (!ok || st.stored !== EVENTS) throw new Error(`${label}: ${st.stored} of ${EVENTS} stored: ${JSON.stringify(st)}`);
  const r = { client: label, events: EVENTS, seconds, events_per_s: EVENTS / seconds, log_p50_us: percentile(logUs, 50), log_p99_us: percentile(logUs, 99), requests: st.requests, retries: st.retries };
  process.stderr.write(`  ${label}: ${Math.round(r.events_per_s).toLocaleString('en-US')} events/s, log() p50 ${fmt(r.log_p50_us)} us p99 ${fmt(r.log_p99_us)} us\n`);
  return r;
}

/**
 * The same mix without the SDK: pre-built JSON bodies of 1,000 events posted with 8 requests in flight, to show what
 * the server itself takes on this machine (the SDK cannot send faster than the server stores).
 */
async function rawRun(url, key) {
  const slate = sdk.epsilonGreedy(pool[0], { epsilon: 0.1, slateSize: 3, rng: policyRng });
  const ts = new Date().toISOString();
  const bodies = [];
  for (let b = 0; b < EVENTS / 1000; b++) {
    const events = [];
    for (let i = 0; i < 1000; i++) {
      const id = `raw-${process.pid}-${b}-${i}`;
      events.push(
        i % 2 === 0
          ? { type: 'decision', event_id: id, ts, request_id: `r-${id}`, user_id: `u${i % 5000}`, surface: 'home', policy: 'bench', policy_version: 'v1', ...slate }
          : { type: 'outcome', event_id: id, ts, request_id: `r-${id}`, item_id: slate.shown[0].item_id, kind: 'click', value: 1 },
      );
    }
    bodies.push(JSON.stringify(events));
  }
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
        const r = await res.json();
        if (res.status !== 200 || r.stored !== 1000) throw new Error(`raw: ${res.status} ${JSON.stringify(r)}`);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const r = { client: 'raw fetch, pre-built bodies (no SDK)', events: EVENTS, seconds, events_per_s: EVENTS / seconds, log_p50_us: NaN, log_p99_us: NaN, requests: bodies.length, retries: 0 };
  process.stderr.write(`  ${r.client}: ${Math.round(r.events_per_s).toLocaleString('en-US')} events/s\n`);
  return r;
}

const clients = [];
if (!args['no-client']) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-sdk-'));
  const db = path.join(dir, 'lg.duckdb');
  const setup = await DuckDbStore.open(db);
  const key = (await setup.createApiKey('bench')).key;
  await setup.close();
  process.stderr.write(`client: ${EVENTS} events against loopguard serve (child process) on loopback\n`);
  const server = await startServer(db);
  try {
    clients.push(await rawRun(server.url, key));
    clients.push(await clientRun('client, no spool', server.url, key, null));
    clients.push(await clientRun('client, spool (fsync interval)', server.url, key, path.join(dir, 'spool')));
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report -------------------------------------------------------------------------------------------------------
// The target is judged on wall time, as a request would see it.
// The item-by-item Plackett-Luce is the method before the light tail, timed for reference, not a policy option.
const verdict = (r) => (r.control ? 'control' : r.reference ? 'ref.' : r.stress ? `stress ${r.p99_us < TARGET_P99_US ? 'pass' : 'miss'}` : r.p99_us < TARGET_P99_US ? 'PASS' : 'MISS');
console.log(`\nPolicy time per decision: ${N_CAND} candidates, ${SLOTS} slots, ${DECISIONS} decisions (target p99 < ${TARGET_P99_US} us)`);
console.log(
  `${os.cpus().length} CPUs, load average ${LOAD_START.map((x) => x.toFixed(2)).join(' ')} at start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at end, ` +
    `CPU steal ${policySteal === null ? 'n/a' : `${(100 * policySteal).toFixed(2)}%`} while the policies were timed`,
);
console.log(table(['policy', 'p50 us', 'p99 us', 'max us', 'cpu p50 us', 'cpu p99 us', 'target'], results.map((r) => [r.policy, fmt(r.p50_us), fmt(r.p99_us), fmt(r.max_us), fmt(r.cpu_p50_us), fmt(r.cpu_p99_us), verdict(r)])));
console.log(
  `plackett-luce tail check (${tailCheck.decisions} decisions, each run twice on the same input): p50 ${fmt(tailCheck.p50_us)} us, p99 ${fmt(tailCheck.p99_us)} us; ` +
    `the slowest 1% took ${fmt(tailCheck.slowest_first_median_us)} us (median) and ${fmt(tailCheck.slowest_again_median_us)} us run again`,
);
console.log(`thompson marginal table (${N_CAND} arms x ${SLOTS} positions, once per posterior update): ${fmt(tsTableMs)} ms`);
console.log(table(['other', 'p50 us', 'p99 us', 'max us', 'cpu p99 us'], extras.map((r) => [r.policy, fmt(r.p50_us), fmt(r.p99_us), fmt(r.max_us), fmt(r.cpu_p99_us)])));
if (versus)
  console.log(
    `plackett-luce, interleaved with the build in ${versus.baseline} (${versus.decisions} decisions each): p50 ${fmt(versus.p50_us)} vs ${fmt(versus.baseline_p50_us)} us (${versus.p50_ratio.toFixed(2)}x), p99 ${fmt(versus.p99_us)} vs ${fmt(versus.baseline_p99_us)} us (${versus.p99_ratio.toFixed(2)}x)`,
  );
if (clients.length) {
  console.log(`\nClient throughput: ${EVENTS} events (decisions with 3 shown items and outcomes), batches of 1,000, 8 in flight`);
  console.log(table(['client', 'events/s', 'seconds', 'log() p50 us', 'log() p99 us', 'requests'], clients.map((r) => [r.client, Math.round(r.events_per_s).toLocaleString('en-US'), r.seconds.toFixed(2), Number.isNaN(r.log_p50_us) ? '-' : fmt(r.log_p50_us), Number.isNaN(r.log_p99_us) ? '-' : fmt(r.log_p99_us), r.requests])));
}
const out = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg_at_end: os.loadavg(), loadavg_at_start: LOAD_START },
  policies: results, policy_steal: policySteal, plackett_luce_tail_check: tailCheck, thompson_table_ms: tsTableMs, extras, clients, target_p99_us: TARGET_P99_US, plackett_luce_vs_baseline: versus,
};
fs.mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench', 'out', 'sdk.json'), JSON.stringify(out, null, 2));
