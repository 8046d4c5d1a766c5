/**
 * Diagnostic: sums the self time of a V8 .cpuprofile (as written by node --cpu-prof) by function and by where the
 * code lives (node internals, fastify, typebox, duckdb, loopguard dist/, ...).
 *
 * node bench/summarize-profile.js <file.cpuprofile> [--top 30]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fmtMs, table } from './lib.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
const file = positionals[0];
if (!file) throw new Error('usage: node bench/summarize-profile.js <file.cpuprofile>');
const top = Number(values.top ?? 30);
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
// timeDeltas[i] is the time before sample i; attribute it to samples[i].
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));

function area(url, fn) {
  if (!url) return fn === '(garbage collector)' ? 'GC' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'native/program (incl. DuckDB calls made synchronously)' : 'node (native builtins)';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const d = /\/dist\/(.+)$/.exec(url);
  if (d) return `loopguard dist/${d[1]}`;
  return url;
}

const fnTotals = new Map();
const areaTotals = new Map();
let total = 0;
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const name = `${cf.functionName || '(anonymous)'} ${cf.url ? cf.url.replace(/^.*\/(node_modules|dist)\//, '$1/') + ':' + (cf.lineNumber + 1) : ''}`.trim();
  fnTotals.set(name, (fnTotals.get(name) ?? 0) + us);
  const a = area(cf.url, cf.functionName);
  areaTotals.set(a, (areaTotals.get(a) ?? 0) + us);
  total += us;
}
const busy = total - (areaTotals.get('idle') ?? 0);
const rows = (m) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => [k.slice(0, 110), fmtMs(us / 1000), `${((100 * us) / busy).toFixed(1)}%`]);
console.log(`profile ${file}: ${fmtMs(total / 1000)} ms sampled, ${fmtMs(busy / 1000)} ms not idle (shares below are of the non-idle time)\n`);
console.log(table(['where (self time)', 'ms', 'share'], rows(areaTotals)));
console.log();
console.log(table(['function (self time)', 'ms', 'share'], rows(fnTotals)));
