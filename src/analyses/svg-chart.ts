/**
 * Line charts as standalone SVG strings: no scripts, no fonts to fetch, no network, so a chart can be inlined in a
 * self-contained HTML report or written next to a Markdown document and still render when opened from disk.
 *
 * Axis ticks use Heckbert's "nice numbers" (P. S. Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990):
 * the tick step is 1, 2 or 5 times a power of ten, chosen so that about `targetTicks` ticks cover the data range.
 */

export interface ChartSeries {
  name: string;
  /** One value per x position; null leaves a gap in the line. */
  values: readonly (number | null)[];
  /** Optional interval band (e.g. a confidence interval), drawn shaded behind the line. */
  lo?: readonly (number | null)[];
  hi?: readonly (number | null)[];
}

export interface LineChartOptions {
  title: string;
  /** Labels of the x positions, in order (days, versions, ...). Numbers are placed by value, strings evenly. */
  x: readonly (string | number)[];
  series: readonly ChartSeries[];
  yLabel?: string;
  width?: number;
  height?: number;
}

/** Colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design"). */
export const CHART_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'] as const;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Heckbert's nice number: the 1-2-5 multiple of a power of ten nearest to (round) or at least (ceil) `x`. */
export function niceNumber(x: number, round: boolean): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const exp = Math.floor(Math.log10(x));
  const f = x / 10 ** exp;
  let nf: number;
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * 10 ** exp;
}

/** Heckbert's loose labelling: ticks at multiples of a nice step that enclose [min, max]. */
export function niceTicks(min: number, max: number, targetTicks = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const range = niceNumber(max - min, false);
  const step = niceNumber(range / Math.max(1, targetTicks - 1), true);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Round each tick to the step's decimals so that 0.1 + 0.2 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(Number((lo + i * step).toFixed(decimals)));
  return ticks;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

/** The linear map from [d0, d1] to [r0, r1] (a degenerate domain maps to the middle of the range). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/** Splits indices with finite values into runs, so that nulls leave gaps. */
function runs(n: number, ok: (i: number) => boolean): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < n; i++) {
    if (ok(i)) cur.push(i);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Draws one line chart. Layout: title on top, y axis with nice ticks and grid lines on the left, x labels below
 * (thinned to fit), a legend under the plot. Each series gets a colour from CHART_COLORS; bands are the same colour
 * at low opacity. A single point is drawn as a dot. The SVG carries `data-series` and `data-points` attributes so that
 * tests and tools can check what it shows without parsing paths.
 */
export function lineChartSvg(opts: LineChartOptions): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 280;
  const n = opts.x.length;
  const legendRows = Math.ceil(opts.series.length / 4);
  const margin = { top: 28, right: 16, bottom: 34 + 16 * legendRows, left: 56 };
  const plotW = Math.max(10, width - margin.left - margin.right);
  const plotH = Math.max(10, height - margin.top - margin.bottom);

  let yMin = Infinity;
  let yMax = -Infinity;
  let points = 0;
  for (const s of opts.series) {
    for (const arr of [s.values, s.lo ?? [], s.hi ?? []])
      for (const v of arr)
        if (finite(v)) {
          if (v < yMin) yMin = v;
          if (v > yMax) yMax = v;
        }
    for (const v of s.values) if (finite(v)) points++;
  }
  const empty = points === 0;
  const ticks = empty ? [0, 1] : niceTicks(yMin, yMax, 5);
  const y = linearScale(ticks[0]!, ticks[ticks.length - 1]!, margin.top + plotH, margin.top);

  const numericX = n > 0 && opts.x.every((v) => typeof v === 'number' && Number.isFinite(v));
  const xs = numericX ? (opts.x as number[]) : opts.x.map((_, i) => i);
  const xMin = n ? Math.min(...xs) : 0;
  const xMax = n ? Math.max(...xs) : 1;
  const x = linearScale(xMin, xMax, margin.left, margin.left + plotW);
  const px = (i: number) => x(xs[i]!);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(opts.title)}" data-series="${opts.series.length}" data-points="${points}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    `<title>${esc(opts.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${margin.left}" y="17" font-size="13" font-weight="600" fill="#1f2328">${esc(opts.title)}</text>`,
  );

  // Grid and y axis.
  for (const t of ticks) {
    const ty = fmt(y(t));
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${ty}" y2="${ty}" stroke="#d0d7de" stroke-width="1"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" fill="#57606a">${esc(tickLabel(t))}</text>`);
  }
  if (opts.yLabel)
    parts.push(`<text transform="translate(12 ${fmt(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle" fill="#57606a">${esc(opts.yLabel)}</text>`);

  // X labels, thinned so that they do not overlap (about 7 px per character).
  const longest = Math.max(1, ...opts.x.map((v) => String(v).length));
  const every = Math.max(1, Math.ceil((n * longest * 7) / plotW));
  for (let i = 0; i < n; i += every) {
    const label = String(opts.x[i]);
    const at = px(i);
    // Centred under its point, unless that would cut it at the edge of the picture (about 3.5 px a half character).
    const half = label.length * 3.5;
    const anchor = at + half > width ? 'end' : at - half < 0 ? 'start' : 'middle';
    const tx = anchor === 'end' ? Math.min(at + 4, width - 2) : at;
    parts.push(`<text x="${fmt(tx)}" y="${margin.top + plotH + 16}" text-anchor="${anchor}" fill="#57606a">${esc(label)}</text>`);
  }
  parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#8c959f"/>`);

  if (empty)
    parts.push(`<text x="${fmt(margin.left + plotW / 2)}" y="${fmt(margin.top + plotH / 2)}" text-anchor="middle" fill="#57606a">No data</text>`);

  opts.series.forEach((s, si) => {
    const color = CHART_COLORS[si % CHART_COLORS.length]!;
    const { lo, hi } = s;
    if (lo && hi) {
      for (const run of runs(n, (i) => finite(lo[i]) && finite(hi[i]))) {
        const top = run.map((i) => `${fmt(px(i))},${fmt(y(hi[i]!))}`);
        const bottom = run.reverse().map((i) => `${fmt(px(i))},${fmt(y(lo[i]!))}`);
        parts.push(`<polygon points="${[...top, ...bottom].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
      }
    }
    for (const run of runs(n, (i) => finite(s.values[i]))) {
      if (run.length === 1) {
        const i = run[0]!;
        parts.push(`<circle cx="${fmt(px(i))}" cy="${fmt(y(s.values[i]!))}" r="3" fill="${color}"/>`);
      } else {
        const d = run.map((i, j) => `${j ? 'L' : 'M'}${fmt(px(i))},${fmt(y(s.values[i]!))}`).join('');
        parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" data-name="${esc(s.name)}"/>`);
      }
    }
  });

  // Legend: up to four entries a row.
  const colW = plotW / 4;
  opts.series.forEach((s, si) => {
    const lx = margin.left + (si % 4) * colW;
    const ly = height - 16 * legendRows + Math.floor(si / 4) * 16 + 4;
    const color = CHART_COLORS[si % CHART_COLORS.length]!;
    const label = s.name.length > 28 ? s.name.slice(0, 27) + '…' : s.name;
    parts.push(`<rect x="${fmt(lx)}" y="${ly}" width="12" height="4" fill="${color}"/>`);
    parts.push(`<text x="${fmt(lx + 16)}" y="${ly + 4}" fill="#1f2328">${esc(label)}</text>`);
  });

  parts.push('</svg>');
  return parts.join('\n');
}
