import { describe, expect, it } from 'vitest';
import { lineChartSvg, linearScale, niceNumber, niceTicks } from '../../src/analyses/svg-chart.js';

describe('niceNumber (Heckbert 1990)', () => {
  it('rounds to 1, 2, 5 or 10 times a power of ten', () => {
    // round: thresholds 1.5, 3, 7 on the fraction; ceil: the next of 1, 2, 5, 10.
    expect(niceNumber(1.4, true)).toBe(1);
    expect(niceNumber(2.9, true)).toBe(2);
    expect(niceNumber(6.9, true)).toBe(5);
    expect(niceNumber(7.1, true)).toBe(10);
    expect(niceNumber(0.25, true)).toBeCloseTo(0.2, 15);
    expect(niceNumber(15.9, false)).toBe(20);
    expect(niceNumber(4.2, false)).toBe(5);
    expect(niceNumber(340, false)).toBe(500);
  });
});

describe('niceTicks', () => {
  it('encloses the data with a 1-2-5 step', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    // range 15.9 -> 20, step round(20/4 = 5) = 5, from floor(-3.7/5)*5 to ceil(12.2/5)*5
    expect(niceTicks(-3.7, 12.2)).toEqual([-5, 0, 5, 10, 15]);
    // range 0.03 -> 0.05, step round(0.0125) = 0.01; decimals kept exact
    expect(niceTicks(0.412, 0.442)).toEqual([0.41, 0.42, 0.43, 0.44, 0.45]);
  });
  it('widens a zero-width range', () => {
    const t = niceTicks(3, 3);
    expect(t[0]).toBeLessThan(3);
    expect(t[t.length - 1]).toBeGreaterThan(3);
  });
});

describe('lineChartSvg', () => {
  it('places points by the linear map from the tick range to the plot box', () => {
    // Defaults: 640 x 280, margins left 56, right 16, top 28, bottom 34 + 16 (one legend row).
    const svg = lineChartSvg({ title: 'ctr', x: ['d1', 'd2'], series: [{ name: 'naive', values: [0, 1] }] });
    expect(svg).toContain('d="M56,230L624,28"');
    expect(svg).toContain('data-points="2"');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const s = linearScale(0, 1, 230, 28);
    expect(s(0.5)).toBe(129);
  });
  it('places numeric x by value, leaves gaps at nulls and draws bands', () => {
    const svg = lineChartSvg({
      title: 'gini',
      x: [0, 1, 3],
      series: [{ name: 'v1', values: [0, 1, 0.5], lo: [0, 0.8, 0.4], hi: [0.2, 1, 0.6] }, { name: 'v2', values: [0.5, null, 0.5] }],
    });
    // x = 56 + value * 568 / 3: 0 -> 56, 1 -> 245.33, 3 -> 624
    expect(svg).toContain('M56,230L245.33,28L624,129');
    // v2 has a gap, so its two points are dots, not a path
    expect((svg.match(/<circle /g) ?? []).length).toBe(2);
    expect((svg.match(/<polygon /g) ?? []).length).toBe(1);
    expect(svg).toContain('data-series="2"');
  });
  it('escapes names and says when there is no data', () => {
    const svg = lineChartSvg({ title: '<b>&', x: [], series: [{ name: 'a"b', values: [] }] });
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&#60;b&#62;&#38;');
    expect(svg).toContain('No data');
    expect(svg).toContain('data-points="0"');
  });
});

describe('lineChartSvg x labels', () => {
  it('keeps a long last label inside the picture', () => {
    const svg = lineChartSvg({ title: 't', x: ['2025-01-01', '2025-01-02'], series: [{ name: 's', values: [1, 2] }] });
    // The last point sits at x = 624, 16 px from the right edge; a 10-character label centred there would be cut.
    // Labels stand 16 px below the plot: 28 (top) + 202 (plot) + 16 = 246.
    expect(svg).toContain('<text x="628" y="246" text-anchor="end" fill="#57606a">2025-01-02</text>');
    expect(svg).toContain('<text x="56" y="246" text-anchor="middle" fill="#57606a">2025-01-01</text>');
  });
});
