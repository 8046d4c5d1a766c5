#!/usr/bin/env node
// Charts of docs/simulation.md: runs the simulator (from dist/, so `npm run build` first) and writes one SVG per
// metric, naive against guarded, to docs/img/sim-<metric>.svg, and the table of early and late values and the
// loop-health verdicts into docs/simulation.md (between the sim-table markers).
// Usage: node scripts/sim-charts.js [--days N] [--seed S] [--users U] [--items I]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSimulation } from '../dist/sim/run.js';
import { lineChartSvg } from '../dist/analyses/svg-chart.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const days = Number(args.days ?? 28), seed = Number(args.seed ?? 1);
const world = { ...(args.users ? { users: Number(args.users) } : {}), ...(args.items ? { items: Number(args.items) } : {}) };

const out = await runSimulation({ days, seed, world, onProgress: (d, t, s) => process.stderr.write(`\r${d}/${t} ${s}`.padEnd(40)) });
process.stderr.write('\n');
const charts = [
  ['true_utility', 'True utility (expected wanted clicks per user per day)', ['naive', 'guarded', 'oracle', 'popularity', 'random']],
  ['ctr', 'Observed CTR (clicks per exposure)', ['naive', 'guarded']],
  ['offline_metric', 'Offline metric (hit rate at 10 of held-out logged clicks)', ['naive', 'guarded']],
  ['coverage', 'Catalog coverage (share of items shown that day)', ['naive', 'guarded', 'oracle']],
  ['gini', 'Exposure Gini', ['naive', 'guarded', 'oracle']],
  ['homogenization', "Homogenization (users' Jaccard index minus the oracle's)", ['naive', 'guarded', 'popularity']],
];
const x = Array.from({ length: days }, (_, d) => d);
const valuesOf = (name, loop) => {
  const byDay = new Map(out.result.metrics.filter((m) => m.name === name && m.group.loop === loop).map((m) => [m.group.day, m.value]));
  return [...byDay.keys()].sort().map((d) => byDay.get(d));
};
const dir = path.join(root, 'docs', 'img');
fs.mkdirSync(dir, { recursive: true });
const mean = (v) => v.filter((y) => y !== null).reduce((a, b) => a + b, 0) / v.filter((y) => y !== null).length;
const rows = [];
for (const [name, title, loops] of charts) {
  const svg = lineChartSvg({ title, x, series: loops.map((l) => ({ name: l, values: valuesOf(name, l) })), yLabel: name, width: 640, height: 320 });
  fs.writeFileSync(path.join(dir, `sim-${name.replace(/_/g, '-')}.svg`), svg.endsWith('\n') ? svg : svg + '\n');
  for (const l of ['naive', 'guarded']) {
    const v = valuesOf(name, l);
    rows.push(`| ${name} | ${l} | ${mean(v.slice(1, 4)).toFixed(3)} | ${mean(v.slice(-3)).toFixed(3)} |`);
  }
}
const verdicts = ['naive', 'guarded'].map((loop) => {
  const counts = new Map();
  for (const v of out.loopHealth[loop].verdicts) if (v.status !== 'ok') counts.set(`${v.check} ${v.status}`, (counts.get(`${v.check} ${v.status}`) ?? 0) + 1);
  return `| ${loop} | ${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ') || 'all ok'} |`;
});
const table = [
  '| metric | loop | days 1-3 | last 3 days |', '|---|---|---|---|', ...rows, '',
  `loop-health by policy version (${days} versions), the checks that are not ok:`, '',
  '| loop | checks |', '|---|---|', ...verdicts,
].join('\n');
const doc = path.join(root, 'docs', 'simulation.md');
const text = fs.readFileSync(doc, 'utf8');
const start = text.indexOf('<!-- sim-table -->');
const end = text.indexOf('<!-- /sim-table -->');
if (start < 0) throw new Error('docs/simulation.md has no <!-- sim-table --> marker');
const tail = end < 0 ? text.slice(start + '<!-- sim-table -->'.length) : text.slice(end + '<!-- /sim-table -->'.length);
fs.writeFileSync(doc, text.slice(0, start) + '<!-- sim-table -->\n' + table + '\n<!-- /sim-table -->' + tail);
console.log(table);
