/**
 * HTTP ingest benchmark: a real `loopguard serve` in a child process, a client in this process sending pre-built
 * JSON batches over loopback with N requests in flight. Every request must answer 200 with stored == batch size
 * (an acknowledgement means the events are committed); anything else aborts the run.
 *
 * At the end the server is killed with SIGKILL (no graceful drain) and the store is reopened to check that every
 * acknowledged event is there: acknowledged must mean durable.
 *
 * Standalone: node bench/http-ingest.js [--events N (default 60000 for batches of 100, 150000 for 1000)] [--sizes 100,1000] [--concurrency 4,8,16] [--client auto|http|fetch]
 *             [--cpu-prof]  (profiles the server child; writes bench/out/prof/*.cpuprofile; stops it with SIGTERM instead)
 * Needs `npm run build` first (uses dist/ via bin/loopguard.js).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, OUT_DIR, ROOT, fmtInt, fmtMs, freePort, isMain, log, percentile, runNode, sleep, table, tmpDir } from './lib.js';

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks.

/** Deterministic PRNG (mulberry32) so runs send the same mix. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'ES'];
const DEVICES = ['ios', 'android', 'web'];

/**
 * Pre-builds `nBatches` request bodies of `size` events each: decisions (3 shown items, propensities in (0, 1],
 * explored flags, 3 attributes) and outcomes, 50/50, each with a unique event_id and ts = now.
 */
export function buildBodies({ nBatches, size, runId, startSeq, seed }) {
  const r = rng(seed);
  const bodies = new Array(nBatches);
  let seq = startSeq;
  let lastRequest = `${runId}-r${seq}`;
  for (let b = 0; b < nBatches; b++) {
    const events = new Array(size);
    const ts = new Date().toISOString();
    for (let i = 0; i < size; i++) {
      const id = `${runId}-${seq++}`;
      if (i % 2 === 0) {
        const requestId = `req-${id}`;
        lastRequest = requestId;
        const strategy = r() < 0.1 ? 'exploration' : 'personalized';
        const shown = [];
        const base = Math.floor(r() * 100_000);
        for (let p = 1; p <= 3; p++) {
          const explored = strategy === 'exploration' && r() < 0.5;
          shown.push({
            item_id: `item-${base + p}`,
            position: p,
            propensity: explored ? 0.05 + r() * 0.2 : 0.5 + r() * 0.5,
            score: Math.round(r() * 1e6) / 1e6,
            explored,
          });
        }
        events[i] = {
          type: 'decision',
          event_id: id,
          ts,
          request_id: requestId,
          user_id: `user-${Math.floor(r() * 1_000_000)}`,
          session_id: `s-${Math.floor(r() * 10_000_000)}`,
          surface: 'home_feed',
          policy: 'ranker',
          policy_version: 'v7',
          strategy,
          attributes: {
            country: COUNTRIES[Math.floor(r() * COUNTRIES.length)],
            device: DEVICES[Math.floor(r() * DEVICES.length)],
            age: 18 + Math.floor(r() * 60),
          },
          shown,
        };
      } else {
        const click = r() < 0.8;
        events[i] = {
          type: 'outcome',
          event_id: id,
          ts,
          request_id: lastRequest,
          item_id: `item-${Math.floor(r() * 100_000)}`,
          kind: click ? 'click' : 'dwell_ms',
          value: click ? 1 : Math.floor(r() * 60_000),
        };
      }
    }
    bodies[b] = Buffer.from(JSON.stringify(events));
  }
  return { bodies, nextSeq: seq };
}

/** One POST with node's http module and a keep-alive agent; resolves { status, text }. */
function makeHttpClient(url, key) {
  const u = new URL('/v1/events', url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const send = (body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { name: 'http', send, close: () => agent.destroy() };
}

/** One POST with fetch (undici); resolves { status, text }. */
function makeFetchClient(url, key) {
  const u = new URL('/v1/events', url).href;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const send = async (body) => {
    const res = await fetch(u, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  };
  return { name: 'fetch', send, close: () => undefined };
}

function procCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
  } catch {
    return NaN;
  }
}

/**
 * Sends every body with `concurrency` requests in flight; checks each answer. Returns throughput, latencies and
 * CPU used by this process and by the server.
 */
async function drive(client, bodies, size, concurrency, serverPid, walFile) {
  const latencies = new Float64Array(bodies.length);
  const ends = new Float64Array(bodies.length);
  // A shrinking WAL means DuckDB checkpointed (it does so at a commit once the WAL passes checkpoint_threshold);
  // commits wait for it, so it shows up in the latency tail.
  const checkpoints = [];
  let walSize = walFile && fs.existsSync(walFile) ? fs.statSync(walFile).size : 0;
  const watch = walFile
    ? setInterval(() => {
        let sz = 0;
        try {
          sz = fs.statSync(walFile).size;
        } catch {
          sz = 0;
        }
        if (sz < walSize) checkpoints.push({ at_s: (performance.now() - t0) / 1000, wal_bytes_before: walSize });
        walSize = sz;
      }, 50)
    : null;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const srv0 = procCpuSeconds(serverPid);
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const s = performance.now();
      const res = await client.send(bodies[i]);
      const e = performance.now();
      latencies[i] = e - s;
      ends[i] = (e - t0) / 1000;
      let json;
      try {
        json = JSON.parse(res.text);
      } catch {
        json = null;
      }
      if (res.status !== 200 || !json || json.stored !== size || json.rejected !== 0 || json.duplicates !== 0)
        throw new Error(`batch ${i} (size ${size}, concurrency ${concurrency}): expected 200 with stored=${size}, got ${res.status}: ${res.text.slice(0, 500)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    if (watch) clearInterval(watch);
  }
  const wall = (performance.now() - t0) / 1000;
  let slowest = 0;
  for (let i = 1; i < latencies.length; i++) if (latencies[i] > latencies[slowest]) slowest = i;
  const cpu = process.cpuUsage(cpu0);
  const srvCpu = procCpuSeconds(serverPid) - srv0;
  const events = bodies.length * size;
  const lat = Array.from(latencies);
  return {
    batch_size: size,
    concurrency,
    batches: bodies.length,
    events,
    seconds: wall,
    events_per_s: events / wall,
    p50_ms: percentile(lat, 50),
    p99_ms: percentile(lat, 99),
    max_ms: latencies[slowest],
    slowest_request_ended_at_s: ends[slowest],
    checkpoints,
    client_cpu_pct: (100 * (cpu.user + cpu.system)) / 1e6 / wall,
    server_cpu_pct: (100 * srvCpu) / wall,
  };
}

async function startServerChild(dbPath, { cpuProf }) {
  const port = await freePort();
  const profDir = path.join(OUT_DIR, 'prof');
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  if (cpuProf) fs.mkdirSync(profDir, { recursive: true });
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--db', dbPath, '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the server exited early (${exited.signal ?? exited.code}):\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not come up on ${url} within 30 s:\n${stderr}`);
    }
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.ok && fs.existsSync(`${dbPath}.server.json`)) break;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  return {
    child,
    url,
    stderr: () => stderr,
    exited: () => exited,
    async stop(signal) {
      if (exited) return exited;
      const done = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
      child.kill(signal);
      return Promise.race([done, sleep(30_000).then(() => (child.kill('SIGKILL'), { code: null, signal: 'SIGKILL (timeout)' }))]);
    },
  };
}

/** Reopens the store after the server is gone and counts what project 'bench' holds. */
async function countStored(dbPath) {
  const { DuckDbStore } = await import('../dist/store/duckdb/store.js');
  const store = await DuckDbStore.open(dbPath);
  try {
    const rows = await store.query(
      `SELECT (SELECT count(*) FROM decisions WHERE project = 'bench') AS decisions,
              (SELECT count(*) FROM exposures WHERE project = 'bench') AS exposures,
              (SELECT count(*) FROM outcomes WHERE project = 'bench') AS outcomes`,
    );
    return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
  } finally {
    await store.close();
  }
}

export async function runHttpBench(options = {}) {
  // Events per configuration: fixed batch counts, sized so that the whole run stays near two minutes on a small box
  // (batches of 100 run ~5x slower). --events sets one count for every size.
  const eventsFor = (size) => options.events ?? (size <= 100 ? 60_000 : 150_000);
  const sizes = options.sizes ?? [100, 1000];
  const concurrencies = options.concurrency ?? [4, 8, 16];
  const clientChoice = options.client ?? 'auto';
  const cpuProf = !!options.cpuProf;
  const dir = tmpDir('http');
  const dbPath = path.join(dir, 'b.duckdb');
  const walFile = `${dbPath}.wal`;
  const runId = crypto.randomBytes(4).toString('hex');
  let seq = 0;
  let seed = 1;
  let acknowledged = { decisions: 0, outcomes: 0 };
  const count = (nBatches, size) => {
    // Events alternate decision/outcome starting with a decision in every batch.
    acknowledged.decisions += nBatches * Math.ceil(size / 2);
    acknowledged.outcomes += nBatches * Math.floor(size / 2);
  };
  const bodies = (nBatches, size) => {
    const b = buildBodies({ nBatches, size, runId, startSeq: seq, seed: seed++ });
    seq = b.nextSeq;
    return b.bodies;
  };

  log(`http: starting server on ${dbPath}${cpuProf ? ' (with --cpu-prof)' : ''}`);
  const server = await startServerChild(dbPath, { cpuProf });
  const clients = [];
  try {
    const keyRun = await runNode([BIN, 'keys', 'create', '--project', 'bench', '--db', dbPath, '--format', 'json']);
    const key = JSON.parse(keyRun.stdout).key;
    if (!key) throw new Error(`keys create printed no key: ${keyRun.stdout}`);

    const makers = { http: makeHttpClient, fetch: makeFetchClient };
    const results = { configs: [], client_probe: [] };

    // Warm-up (not measured): JIT on both sides, connections, first row groups.
    for (const name of Object.keys(makers)) {
      const c = makers[name](server.url, key);
      clients.push(c);
      const w = bodies(10, 1000);
      await drive(c, w, 1000, 8, server.child.pid, walFile);
      count(10, 1000);
    }

    let client;
    if (clientChoice === 'auto') {
      // Same work with both clients; keep the faster one.
      for (const c of clients) {
        const probe = bodies(40, 1000);
        const r = await drive(c, probe, 1000, 8, server.child.pid, walFile);
        count(40, 1000);
        results.client_probe.push({ client: c.name, ...r });
        log(`http: client probe ${c.name}: ${fmtInt(r.events_per_s)} events/s (batch 1000, concurrency 8)`);
      }
      const best = results.client_probe.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a));
      client = clients.find((c) => c.name === best.client);
    } else client = clients.find((c) => c.name === clientChoice);
    if (!client) throw new Error(`unknown client '${clientChoice}'`);
    results.client = client.name;

    for (const size of sizes) {
      for (const concurrency of concurrencies) {
        const n = Math.ceil(eventsFor(size) / size);
        const pre = performance.now();
        const b = bodies(n, size);
        const bytes = b.reduce((s, x) => s + x.length, 0);
        log(`http: batch ${size} x ${n}, concurrency ${concurrency} (${(bytes / 1e6).toFixed(0)} MB of JSON, built in ${fmtMs(performance.now() - pre)} ms)`);
        const r = await drive(client, b, size, concurrency, server.child.pid, walFile);
        count(n, size);
        r.bytes_per_event = bytes / (n * size);
        results.configs.push({ client: client.name, ...r });
        log(
          `http:   ${fmtInt(r.events_per_s)} events/s, p50 ${fmtMs(r.p50_ms)} ms, p99 ${fmtMs(r.p99_ms)} ms ` +
            `(client CPU ${r.client_cpu_pct.toFixed(0)}%, server CPU ${r.server_cpu_pct.toFixed(0)}%)` +
            (r.checkpoints.length ? `; ${r.checkpoints.length} checkpoint(s) at ${r.checkpoints.map((c) => `${c.at_s.toFixed(1)} s`).join(', ')}, slowest request ended at ${r.slowest_request_ended_at_s.toFixed(1)} s` : ''),
        );
      }
    }
    for (const c of clients) c.close();

    // Durability: kill without a drain, reopen, and expect every acknowledged event.
    const stopSignal = cpuProf ? 'SIGTERM' : 'SIGKILL';
    const exit = await server.stop(stopSignal);
    log(`http: server stopped with ${stopSignal} (${exit.signal ?? exit.code}); reopening the store to count`);
    const stored = await countStored(dbPath);
    const expected = { decisions: acknowledged.decisions, exposures: acknowledged.decisions * 3, outcomes: acknowledged.outcomes };
    results.durability = { stop_signal: stopSignal, expected, stored, ok: JSON.stringify(expected) === JSON.stringify(stored) };
    if (!results.durability.ok)
      throw new Error(`after ${stopSignal}, the store holds ${JSON.stringify(stored)} but ${JSON.stringify(expected)} were acknowledged`);
    log(`http: all ${fmtInt(expected.decisions + expected.outcomes)} acknowledged events are in the store after ${stopSignal}`);

    for (const size of sizes) {
      const rows = results.configs.filter((c) => c.batch_size === size);
      results[`best_${size}`] = rows.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a));
    }
    return results;
  } finally {
    for (const c of clients) c.close();
    if (!server.exited()) await server.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printHttp(results) {
  const rows = results.configs.map((r) => [
    r.client, String(r.batch_size), String(r.concurrency), fmtInt(r.events), fmtInt(r.events_per_s), fmtMs(r.p50_ms), fmtMs(r.p99_ms),
    fmtMs(r.max_ms), `${r.client_cpu_pct.toFixed(0)}%`, `${r.server_cpu_pct.toFixed(0)}%`, String(r.checkpoints.length),
  ]);
  return table(['client', 'batch', 'conc', 'events', 'events/s', 'p50 ms', 'p99 ms', 'max ms', 'client CPU', 'server CPU', 'checkpoints'], rows);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      sizes: { type: 'string' },
      concurrency: { type: 'string' },
      client: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
    },
  });
  const list = (s) => (s ? s.split(',').map(Number) : undefined);
  const results = await runHttpBench({
    events: values.events ? Number(values.events) : undefined,
    sizes: list(values.sizes),
    concurrency: list(values.concurrency),
    client: values.client,
    cpuProf: values['cpu-prof'],
  });
  console.log(printHttp(results));
  if (results.client_probe.length)
    console.log(`client probe: ${results.client_probe.map((p) => `${p.client} ${fmtInt(p.events_per_s)} events/s`).join(', ')}`);
}
