/**
 * A self-contained HTML rendering of a Result: one file, inline styles, no scripts or network, so it opens from disk
 * and can be attached to a model review or a pull request.
 */
import { formatGroup, worstStatus, type Result } from './result.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : Number.isInteger(x) ? String(x) : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(3) : x.toPrecision(4);
const COLORS = { ok: '#1a7f37', warn: '#9a6700', fail: '#cf222e', unknown: '#57606a' } as const;

export function renderHtml(result: Result): string {
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
</style></head><body>
<h1>${esc(result.analysis)} <span class="badge" style="background:${COLORS[status]}">${status.toUpperCase()}</span></h1>
<h2>Checks</h2><table>${verdicts || '<tr><td>No checks.</td></tr>'}</table>
<h2>Metrics</h2><table><tr><th>metric</th><th>group</th><th>value</th><th>interval</th><th>n</th></tr>${metrics}</table>
<h2>Inputs</h2><table>${inputs}</table>
</body></html>
`;
}
