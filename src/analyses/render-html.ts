/**
 * A self-contained HTML rendering of a Result: one file, inline styles, no scripts or network, so it opens from disk
 * and can be attached to a model review or a pull request. Metrics that form a sequence (their group has a day, week,
 * window, step or policy_version) are drawn as inline SVG line charts, one per metric name, with a line per value of
 * the group's other keys and the intervals as bands.
 */
import { formatGroup, worstStatus, type Metric, type Result } from './result.js';
import { lineChartSvg } from './svg-chart.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : Number.isInteger(x) ? String(x) : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(3) : x.toPrecision(4);
const COLORS = { ok: '#1a7f37', warn: '#9a6700', fail: '#cf222e', unknown: '#57606a' } as const;

/** Group keys that order metrics along an x axis, in order of preference. */
export const SEQUENCE_KEYS = ['day', 'week', 'window', 'step', 'policy_version'] as const;
const TIME_KEYS = new Set(['day', 'week', 'window', 'step']);
/** Most lines in one chart (the largest are kept) and most charts in one report. */
const MAX_SERIES = 8;
const MAX_CHARTS = 40;

export interface ReportChart {
  metric: string;
  xKey: string;
  svg: string;
  /** Lines drawn, and lines there were (more than MAX_SERIES are cut to the largest). */
  drawn: number;
  total: number;
}

/**
 * The charts of a result: for each metric name whose groups carry a sequence key, x = that key's values (time keys
 * sorted, policy versions in the order the analysis reports them), one series per combination of the other keys.
 */
export function resultCharts(result: Result): ReportChart[] {
  const byName = new Map<string, Metric[]>();
  for (const m of result.metrics) {
    if (!m.group) continue;
    const list = byName.get(m.name) ?? [];
    list.push(m);
    byName.set(m.name, list);
  }
  const charts: ReportChart[] = [];
  for (const [name, ms] of byName) {
    const xKey = SEQUENCE_KEYS.find((k) => ms.some((m) => m.group![k] !== undefined));
    if (!xKey) continue;
    const rows = ms.filter((m) => m.group![xKey] !== undefined);
    const seen: string[] = [];
    for (const m of rows) if (!seen.includes(m.group![xKey]!)) seen.push(m.group![xKey]!);
    const x = TIME_KEYS.has(xKey) ? [...seen].sort() : seen;
    if (x.length < 2) continue;
    const xi = new Map(x.map((v, i) => [v, i]));
    const series = new Map<string, { name: string; values: (number | null)[]; lo: (number | null)[]; hi: (number | null)[]; banded: boolean }>();
    for (const m of rows) {
      const rest = Object.fromEntries(Object.entries(m.group!).filter(([k]) => k !== xKey));
      const label = formatGroup(rest) || name;
      let s = series.get(label);
      if (!s) series.set(label, (s = { name: label, values: x.map(() => null), lo: x.map(() => null), hi: x.map(() => null), banded: false }));
      const i = xi.get(m.group![xKey]!)!;
      s.values[i] = m.value !== null && Number.isFinite(m.value) ? m.value : null;
      if (m.ci) (s.lo[i] = m.ci[0]), (s.hi[i] = m.ci[1]), (s.banded = true);
    }
    let all = [...series.values()];
    // Series that never share an x (e.g. policy versions that follow each other day by day) are one line.
    if (all.length > 1 && x.every((_, i) => all.filter((t) => t.values[i] !== null).length <= 1)) {
      const one = { name, values: x.map(() => null as number | null), lo: x.map(() => null as number | null), hi: x.map(() => null as number | null), banded: all.some((t) => t.banded) };
      for (const t of all) t.values.forEach((v, i) => v !== null && ((one.values[i] = v), (one.lo[i] = t.lo[i]!), (one.hi[i] = t.hi[i]!)));
      all = [one];
    }
    if (all.filter((s) => s.values.some((v) => v !== null)).length === 0) continue;
    const size = (s: (typeof all)[number]) => Math.max(0, ...s.values.map((v) => (v === null ? 0 : Math.abs(v))));
    const kept = all.length > MAX_SERIES ? [...all].sort((a, b) => size(b) - size(a)).slice(0, MAX_SERIES) : all;
    const unit = rows.find((m) => m.unit)?.unit;
    const svg = lineChartSvg({
      title: `${name}${all.length > kept.length ? ` (the ${kept.length} largest of ${all.length} lines)` : ''}`,
      x,
      series: kept.map((s) => ({ name: s.name, values: s.values, ...(s.banded ? { lo: s.lo, hi: s.hi } : {}) })),
      ...(unit ? { yLabel: unit } : {}),
      width: 560,
      height: 260 + 16 * Math.max(0, Math.ceil(kept.length / 4) - 1),
    });
    // Inline in HTML the parser puts <svg> in the SVG namespace itself; without the xmlns URL the report names no address.
    charts.push({ metric: name, xKey, svg: svg.replace(/ xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, ''), drawn: kept.length, total: all.length });
    if (charts.length >= MAX_CHARTS) break;
  }
  return charts;
}

export function renderHtml(result: Result): string {
  const charts = resultCharts(result);
  const status = worstStatus(result.verdicts);
  const verdicts = result.verdicts
    .map(
      (v) => `<tr><td><span class="badge" style="background:${COLORS[v.status]}">${v.status.toUpperCase()}</span></td><td>${esc(v.check)}</td><td>${esc(formatGroup(v.group))}</td><td>${esc(v.message)}</td></tr>`,
    )
    .join('\n');
  const metrics = result.metrics
    .map(
      (m) => `<tr><td>${esc(m.name)}</td><td>${esc(formatGroup(m.group))}</td><td class="n">${num(m.value)}${m.unit ? ` <small>${esc(m.unit)}</small>` : ''}</td><td class="n">${m.ci ? `${num(m.ci[0])} – ${num(m.ci[1])}` : ''}</td><td class="n">${m.n ?? ''}</td></tr>`,
    )
    .join('\n');
  const inputs = Object.entries(result.inputs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loopguard: ${esc(result.analysis)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1f2328;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{color:#fff;border-radius:.6rem;padding:.1rem .5rem;font-size:.75rem;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{flex:1 1 30rem;max-width:100%;margin:0}.chart svg{max-width:100%;height:auto}
</style></head><body>
<h1>${esc(result.analysis)} <span class="badge" style="background:${COLORS[status]}">${status.toUpperCase()}</span></h1>
<h2>Checks</h2><table>${verdicts || '<tr><td>No checks.</td></tr>'}</table>
${charts.length ? `<h2>Charts</h2><div class="charts">${charts.map((c) => `<figure class="chart" data-metric="${esc(c.metric)}" data-x="${esc(c.xKey)}">${c.svg}</figure>`).join('\n')}</div>` : ''}
<h2>Metrics</h2><table><tr><th>metric</th><th>group</th><th>value</th><th>interval</th><th>n</th></tr>${metrics}</table>
<h2>Inputs</h2><table>${inputs}</table>
</body></html>
`;
}
