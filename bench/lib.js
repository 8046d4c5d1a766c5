/**
 * Helpers shared by the benchmarks: child processes, free ports, percentiles, formatting.
 * Plain Node ESM; only node built-ins.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'loopguard.js');
export const OUT_DIR = path.join(ROOT, 'bench', 'out');

/** True when the module at `metaUrl` is the script node was started with. */
export const isMain = (metaUrl) => !!process.argv[1] && metaUrl === pathToFileURL(path.resolve(process.argv[1])).href;

export function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `loopguard-bench-${prefix}-`));
}

/** A TCP port that was free a moment ago (bind to 0, read the port, release it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs `node <args>` to completion; resolves with stdout, stderr, exit code and wall time in ms.
 * Rejects (loudly, with stderr) on a non-zero exit unless allowFailure.
 */
export function runNode(args, opts = {}) {
  return runCommand(process.execPath, args, opts);
}

/** runNode for any command. */
export function runCommand(cmd, args, { cwd = ROOT, env = process.env, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      const r = { code, signal, ms, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if ((code !== 0 || signal) && !allowFailure)
        reject(new Error(`${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')} exited with ${signal ?? code}:\n${r.stderr}${r.stdout}`));
      else resolve(r);
    });
  });
}

/** p-th percentile (0..100) of an array of numbers, nearest-rank on a sorted copy. */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const s = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Renders rows (arrays of strings) as an aligned text table; numbers-looking cells are right-aligned. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const numeric = (s) => /^[-+]?[\d,.]+( ?[a-z/%]+)?$/i.test(s);
  const line = (r) => r.map((c, i) => (numeric(c) && all.indexOf(r) !== 0 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The machine's CPU ticks from /proc/stat (Linux; null elsewhere): all of them, and the steal ticks, time the
 * hypervisor gave to other guests while this one had work. A run with much steal had fewer CPUs than the machine
 * reports, and the load average does not show it.
 */
export function cpuTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}
/** The share of the CPU ticks between two cpuTicks() readings that was stolen (null when unknown). */
export const stealShare = (a, b) => (a && b && b.total > a.total ? (b.steal - a.steal) / (b.total - a.total) : null);
