/**
 * The one shape every analysis returns. The CLI, the HTTP API, the HTML report and the dashboard only render it.
 *
 * Metric names are snake_case and stable (users' CI scripts read them). `group` says what a metric or verdict is split
 * by, e.g. `{ policy_version: "v3" }`, `{ day: "2026-01-02" }` or `{ column: "age" }`.
 */
export type Status = 'ok' | 'warn' | 'fail' | 'unknown';

export type Group = Record<string, string>;

export interface Metric {
  name: string;
  value: number | null;
  ci?: [number, number];
  n?: number;
  group?: Group;
  unit?: string;
}

export interface Verdict {
  check: string;
  status: Status;
  value?: number | null;
  threshold?: number;
  group?: Group;
  /** One plain sentence: what it means and what to do. */
  message: string;
}

export interface Result {
  analysis: string;
  inputs: Record<string, unknown>;
  metrics: Metric[];
  verdicts: Verdict[];
}

const severity: Record<Status, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };

/** The worst status among verdicts (`ok` when there are none). */
export function worstStatus(verdicts: readonly Verdict[]): Status {
  let worst: Status = 'ok';
  for (const v of verdicts) if (severity[v.status] > severity[worst]) worst = v.status;
  return worst;
}

/**
 * Exit-code rule for CLI commands that gate CI: 0 when no check failed, 1 when at least one verdict is `fail`.
 * (`warn` and `unknown` do not fail a build; exit 2 is reserved for bad input or usage and is set by the CLI.)
 */
export function exitCodeFor(results: readonly Result[]): 0 | 1 {
  return results.some((r) => r.verdicts.some((v) => v.status === 'fail')) ? 1 : 0;
}

export function formatGroup(group: Group | undefined): string {
  if (!group) return '';
  return Object.entries(group)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Trailing zeros of a decimal fraction dropped ('0.500' -> '0.5', '2.00' -> '2'); an integer part is left alone ('100'). */
export const trimFraction = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);

function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3);
  return trimFraction(x.toPrecision(4)); // 1000.4 prints 1000, not 1
}

const statusLabel: Record<Status, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL', unknown: '??' };

/** Plain-text rendering: verdicts first (what to act on), then a metrics table. */
export function renderText(result: Result): string {
  const lines: string[] = [`# ${result.analysis}`];
  const inputs = Object.entries(result.inputs).filter(([, v]) => v !== undefined && v !== null);
  if (inputs.length) lines.push(inputs.map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('  '));
  if (result.verdicts.length) {
    lines.push('', 'Checks:');
    for (const v of result.verdicts) {
      const where = v.group && Object.keys(v.group).length ? ` [${formatGroup(v.group)}]` : '';
      lines.push(`  ${statusLabel[v.status].padEnd(4)} ${v.check}${where}: ${v.message}`);
    }
  }
  if (result.metrics.length) {
    lines.push('', 'Metrics:');
    const rows = result.metrics.map((m) => [
      m.name,
      formatGroup(m.group),
      formatNumber(m.value) + (m.unit ? ` ${m.unit}` : ''),
      m.ci ? `[${formatNumber(m.ci[0])}, ${formatNumber(m.ci[1])}]` : '',
      m.n === undefined ? '' : `n=${m.n}`,
    ]);
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) lines.push('  ' + r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd());
  }
  return lines.join('\n') + '\n';
}

export function renderJson(result: Result | Result[]): string {
  return JSON.stringify(result, null, 2) + '\n';
}
