/**
 * Charts drawn with uPlot. A line chart takes x labels (days, or categories such as policy versions) and series with
 * optional interval bands (drawn as a shaded area between the band's upper and lower lines). The container carries
 * data attributes (data-chart, data-series, data-points) saying what was drawn, for people's tools and the tests.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, fmt } from './dom.js';

/** Colour-blind-safe palette (Okabe & Ito 2008), as in the HTML reports. */
export const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export interface Series {
  name: string;
  values: Array<number | null>;
  lo?: Array<number | null>;
  hi?: Array<number | null>;
  color?: string;
  dash?: number[];
}

export interface ChartOptions {
  id: string;
  /** Days (YYYY-MM-DD) for a time axis, or labels for a category axis, or numbers for a numeric axis. */
  x: Array<string | number>;
  xKind: 'day' | 'category' | 'number';
  series: Series[];
  yLabel?: string;
  xLabel?: string;
  percent?: boolean;
  height?: number;
  yRange?: [number, number];
}

const toSeconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

export function lineChart(container: HTMLElement, o: ChartOptions): void {
  const xs = o.x.map((v, i) => (o.xKind === 'day' ? toSeconds(String(v)) : o.xKind === 'category' ? i : Number(v)));
  const data: Array<Array<number | null>> = [xs];
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  let points = 0;
  o.series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length]!;
    data.push(s.values);
    points += s.values.filter((v) => v !== null && Number.isFinite(v)).length;
    series.push({ label: s.name, stroke: color, width: 2, ...(s.dash ? { dash: s.dash } : {}), points: { show: o.x.length <= 40, size: 4 }, value: (_u, v) => fmt(v, { percent: !!o.percent }) });
    if (s.lo && s.hi) {
      const hiIdx = data.length;
      data.push(s.hi);
      series.push({ label: `${s.name} (upper)`, stroke: 'transparent', points: { show: false } });
      data.push(s.lo);
      series.push({ label: `${s.name} (lower)`, stroke: 'transparent', points: { show: false } });
      bands.push({ series: [hiIdx, hiIdx + 1], fill: `${color}2e` });
    }
  });
  const plotEl = h('div', { class: 'plot' });
  const legend = h(
    'ul',
    { class: 'legend' },
    o.series.map((s, i) => h('li', null, h('span', { class: 'swatch', style: `background:${s.color ?? COLORS[i % COLORS.length]}` }), s.name, s.lo ? h('small', null, ' (shaded: interval)') : null)),
  );
  container.append(plotEl, legend);
  container.dataset.chart = o.id;
  container.dataset.series = String(o.series.length);
  container.dataset.points = String(points);
  const width = () => Math.max(280, Math.floor(plotEl.clientWidth || container.clientWidth || 600));
  const opts: uPlot.Options = {
    width: width(),
    height: o.height ?? 220,
    series,
    bands,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: o.xKind === 'day', ...(o.xKind === 'category' ? { range: [-0.5, Math.max(0.5, o.x.length - 0.5)] as uPlot.Range.MinMax } : {}) },
      // Shares start at 0 (an all-zero series gets a visible axis instead of a degenerate one).
      y: o.yRange ? { range: o.yRange } : o.percent ? { range: (_u: uPlot, min: number, max: number) => [Math.min(0, min), Math.max(max * 1.1, 0.01)] as uPlot.Range.MinMax } : {},
    },
    axes: [
      {
        ...(o.xLabel ? { label: o.xLabel } : {}),
        ...(o.xKind === 'day' ? { incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 365 * 86400] } : {}),
        ...(o.xKind === 'category' ? { splits: () => xs as number[], values: (_u: uPlot, vals: number[]) => vals.map((v) => String(o.x[v] ?? '')) } : {}),
      },
      { ...(o.yLabel ? { label: o.yLabel } : {}), size: 60, values: (_u: uPlot, vals: number[]) => vals.map((v) => fmt(v, { percent: !!o.percent })) },
    ],
  };
  const plot = new uPlot(opts, data as uPlot.AlignedData, plotEl);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: o.height ?? 220 }));
  ro.observe(container);
}

/**
 * A forest plot in plain DOM: one row per estimate, a dot at the value and a bar over its interval, on a shared scale.
 * Rows marked untrusted are hatched and labelled, as prominent as the number itself.
 */
export function forestPlot(
  container: HTMLElement,
  rows: Array<{ label: string; value: number | null; ci?: [number, number]; untrusted?: string; caution?: string; note?: string }>,
  reference?: { label: string; value: number },
): void {
  const vals = rows.flatMap((r) => [r.value, ...(r.ci ?? [])]).concat(reference ? [reference.value] : []).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  const min = lo - pad, max = hi + pad;
  const pos = (v: number) => `${(((v - min) / (max - min)) * 100).toFixed(2)}%`;
  const table = h('table', { class: 'forest' });
  for (const r of rows) {
    const track = h('div', { class: 'track' });
    if (reference) track.append(h('div', { class: 'ref', style: `left:${pos(reference.value)}`, title: `${reference.label}: ${fmt(reference.value)}` }));
    if (r.ci) track.append(h('div', { class: 'bar', style: `left:${pos(r.ci[0])};width:calc(${pos(r.ci[1])} - ${pos(r.ci[0])})` }));
    if (r.value !== null) track.append(h('div', { class: 'dot', style: `left:${pos(r.value)}` }));
    table.append(
      h(
        'tr',
        { class: r.untrusted ? 'untrusted' : r.caution ? 'caution' : '', 'data-trust': r.untrusted ? 'untrusted' : r.caution ? 'caution' : 'ok' },
        h('th', null, r.label),
        h('td', { class: 'n' }, fmt(r.value)),
        h('td', { class: 'n ci' }, r.ci ? `${fmt(r.ci[0])} – ${fmt(r.ci[1])}` : ''),
        h('td', { class: 'trackcell' }, track),
        h('td', null, r.untrusted ? h('span', { class: 'badge fail', title: r.untrusted }, 'NOT TO BE TRUSTED') : r.caution ? h('span', { class: 'badge warn', title: r.caution }, 'CAUTION') : r.note ? h('small', null, r.note) : null),
      ),
    );
  }
  container.append(table);
  if (reference) container.append(h('p', { class: 'muted' }, `Dashed line: ${reference.label} ${fmt(reference.value)}.`));
  container.dataset.chart = 'forest';
  container.dataset.series = String(rows.length);
  container.dataset.points = String(rows.filter((r) => r.value !== null).length);
}
