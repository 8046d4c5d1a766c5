/** HTML reports: sequence metrics become inline SVG charts; the file needs no script and no network. */
import { describe, expect, it } from 'vitest';
import { renderHtml, resultCharts } from '../../src/analyses/render-html.js';
import type { Result } from '../../src/analyses/result.js';

const days = ['2026-01-03', '2026-01-01', '2026-01-02'];
const result: Result = {
  analysis: 'demo',
  inputs: { project: 'p' },
  metrics: [
    // Two versions side by side every day: two lines with bands.
    ...days.flatMap((day, i) => ['a', 'b'].map((v, j) => ({ name: 'rate', value: 0.1 * (i + 1) + j, ci: [0.1 * (i + 1) + j - 0.05, 0.1 * (i + 1) + j + 0.05] as [number, number], group: { day, policy_version: v } }))),
    // One version per day: one line.
    ...days.map((day, i) => ({ name: 'gini', value: 0.5 + 0.1 * i, group: { day, policy_version: `v${i}` } })),
    // Per version, no time key: x = versions in the order reported.
    { name: 'online_outcome_rate', value: 0.2, group: { policy_version: 'v2' } },
    { name: 'online_outcome_rate', value: 0.3, group: { policy_version: 'v10' } },
    // Not a sequence: no chart.
    { name: 'ks', value: 0.4, group: { column: 'age' } },
    { name: 'total', value: 7 },
  ],
  verdicts: [{ check: 'x', status: 'warn', message: 'A <b>bold</b> claim.' }],
};

describe('renderHtml charts', () => {
  const charts = resultCharts(result);
  it('draws one chart per sequence metric, with a line per other group value', () => {
    expect(charts.map((c) => [c.metric, c.xKey, c.drawn])).toEqual([['rate', 'day', 2], ['gini', 'day', 1], ['online_outcome_rate', 'policy_version', 1]]);
    const rate = charts[0]!.svg;
    expect(rate).toMatch(/data-series="2"/);
    expect(rate).toMatch(/data-points="6"/);
    // Days are sorted on the axis.
    const labels = [...rate.matchAll(/2026-01-0\d/g)].map((m) => m[0]);
    expect(labels.indexOf('2026-01-01')).toBeLessThan(labels.indexOf('2026-01-03'));
    expect(charts[1]!.svg).toMatch(/data-points="3"/);
  });

  it('writes one self-contained file: charts inline, no scripts, nothing fetched, text escaped', () => {
    const html = renderHtml(result);
    expect((html.match(/<svg/g) ?? []).length).toBe(3);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('A &#60;b&#62;bold&#60;/b&#62; claim.');
  });

  it('keeps the largest lines when there are too many to read', () => {
    const many: Result = { ...result, metrics: Array.from({ length: 12 }, (_, k) => days.map((day) => ({ name: 'js', value: k / 10, group: { day, column: `c${k}` } }))).flat() };
    const [c] = resultCharts(many);
    expect([c!.drawn, c!.total]).toEqual([8, 12]);
    expect(c!.svg).toContain('c11');
    expect(c!.svg).not.toContain('>c0<');
  });
});
