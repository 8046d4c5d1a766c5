/** Pieces several panels use: status badges, verdict lists, paged tables, and metric lookups. */
import { h, fmt, clear } from './dom.js';
import type { Metric, Status, Verdict } from './api.js';

const LABEL: Record<Status, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL', unknown: 'UNKNOWN' };
const RANK: Record<Status, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };

export function badge(s: Status): HTMLElement {
  return h('span', { class: `badge ${s}`, 'data-status': s }, LABEL[s]);
}

export function worst(vs: Verdict[]): Status {
  return vs.reduce<Status>((w, v) => (RANK[v.status] > RANK[w] ? v.status : w), 'ok');
}

export const groupText = (g?: Record<string, string>) => (g ? Object.entries(g).map(([k, v]) => `${k}=${v}`).join(' ') : '');

export const checkAnchor = (v: { check: string; group?: Record<string, string> }) =>
  `check-${v.check}${v.group ? '-' + Object.values(v.group).join('-') : ''}`.replace(/[^A-Za-z0-9_-]+/g, '_');

/** Verdicts, worst first, each with its sentence; `evidence` gives the link to where its numbers are shown. */
export function verdictList(vs: Verdict[], evidence?: (v: Verdict) => string | undefined): HTMLElement {
  const sorted = [...vs].sort((a, b) => RANK[b.status] - RANK[a.status]);
  return h(
    'ul',
    { class: 'verdicts' },
    sorted.map((v) => {
      const link = evidence?.(v);
      return h(
        'li',
        { id: checkAnchor(v), class: `verdict ${v.status}`, 'data-check': v.check },
        badge(v.status),
        h('div', null,
          h('strong', null, v.check.replace(/_/g, ' ')), v.group ? h('span', { class: 'muted' }, ` ${groupText(v.group)}`) : null,
          h('p', null, v.message),
          link ? h('a', { href: link, 'data-link': '' }, 'See the evidence →') : null),
      );
    }),
  );
}

/** Anchor of a check's grouped row (see checkList): one per check name. */
export const checkGroupAnchor = (check: string) => `check-${check}`.replace(/[^A-Za-z0-9_-]+/g, '_');

/**
 * Verdicts grouped by check: one row per check with its worst status, how many verdicts have each status, and the
 * worst one's sentence; the group's own verdicts (one per version, day or column) are collapsed beneath it and shown a
 * page at a time, so a check that runs for each of 28 policy versions is one line, not 28. Checks worst first (in the
 * order they come among equals). `evidence` gives the link to where a check's numbers are shown.
 */
export function checkList(vs: Verdict[], evidence?: (v: Verdict) => string | undefined, pageSize = 10): HTMLElement {
  const groups = new Map<string, Verdict[]>();
  for (const v of vs) {
    const g = groups.get(v.check);
    if (g) g.push(v);
    else groups.set(v.check, [v]);
  }
  const rows = [...groups.entries()].map(([check, list]) => {
    const sorted = [...list].sort((a, b) => RANK[b.status] - RANK[a.status]);
    return { check, list: sorted, top: sorted[0]!, status: sorted[0]!.status };
  }).sort((a, b) => RANK[b.status] - RANK[a.status]);
  const order: Status[] = ['fail', 'warn', 'unknown', 'ok'];
  return h('ul', { class: 'verdicts grouped', 'data-checks': String(rows.length), 'data-verdicts': String(vs.length) }, rows.map((g) => {
    const counts = order.map((s) => [s, g.list.filter((v) => v.status === s).length] as const).filter(([, n]) => n > 0);
    const link = evidence?.(g.top);
    const item = h('li', { id: checkGroupAnchor(g.check), class: `verdict ${g.status}`, 'data-check': g.check, 'data-count': String(g.list.length) },
      badge(g.status),
      h('div', null,
        h('strong', null, g.check.replace(/_/g, ' ')),
        h('span', { class: 'muted counts' }, ' ', counts.map(([s, n]) => h('span', { class: `count ${s}`, 'data-status': s, 'data-n': String(n) }, `${n} ${LABEL[s].toLowerCase()}`)).flatMap((e, i) => (i ? [', ', e] : [e]))),
        h('p', null, g.list.length > 1 && g.top.group ? h('span', { class: 'muted' }, `${groupText(g.top.group)}: `) : null, g.top.message),
        link ? h('a', { href: link, 'data-link': '' }, 'See the evidence →') : null,
        g.list.length > 1 ? groupDetails(g.list, pageSize) : null),
    );
    return item;
  }));
}

/** The verdicts of one check, collapsed, a page at a time. */
function groupDetails(list: Verdict[], pageSize: number): HTMLElement {
  const inner = h('div');
  const pages = Math.ceil(list.length / pageSize);
  let page = 0;
  const draw = () => {
    clear(inner);
    inner.append(h('ul', { class: 'verdicts members' }, list.slice(page * pageSize, (page + 1) * pageSize).map((v) =>
      h('li', { class: `verdict-row ${v.status}`, 'data-anchor': checkAnchor(v), 'data-status': v.status },
        badge(v.status), h('div', null, v.group ? h('span', { class: 'muted' }, groupText(v.group)) : null, h('p', null, v.message))))));
    if (pages > 1)
      inner.append(h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: page === 0, onclick: () => ((page = Math.max(0, page - 1)), draw()) }, '← Previous'),
        h('span', { 'data-page': String(page + 1) }, ` Page ${page + 1} of ${pages} (${list.length} results) `),
        h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => ((page = Math.min(pages - 1, page + 1)), draw()) }, 'Next →')));
  };
  draw();
  return h('details', { class: 'members' }, h('summary', null, `All ${list.length} results`), inner);
}

export interface Column<T> {
  title: string;
  value: (row: T) => string | number | Node | null;
  numeric?: boolean;
}

/** A table shown a page at a time (the rows are already aggregates; paging keeps long lists readable and fast). */
export function pagedTable<T>(rows: T[], columns: Column<T>[], pageSize = 20, id = 'table'): HTMLElement {
  const wrap = h('div', { class: 'paged', 'data-table': id, 'data-rows': String(rows.length) });
  let page = 0;
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const draw = () => {
    clear(wrap);
    const slice = rows.slice(page * pageSize, (page + 1) * pageSize);
    wrap.append(
      h('table', { class: 'data' },
        h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.numeric ? 'n' : '' }, c.title)))),
        h('tbody', null, slice.map((r) => h('tr', null, columns.map((c) => {
          const v = c.value(r);
          return h('td', { class: c.numeric ? 'n' : '' }, typeof v === 'number' ? fmt(v) : v);
        }))))),
    );
    if (pages > 1)
      wrap.append(
        h('div', { class: 'pager' },
          h('button', { type: 'button', disabled: page === 0, onclick: () => ((page = Math.max(0, page - 1)), draw()) }, '← Previous'),
          h('span', { 'data-page': String(page + 1) }, ` Page ${page + 1} of ${pages} (${rows.length} rows) `),
          h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => ((page = Math.min(pages - 1, page + 1)), draw()) }, 'Next →')),
      );
  };
  draw();
  return wrap;
}

export function metricsTable(ms: Metric[], id = 'metrics'): HTMLElement {
  return pagedTable(ms, [
    { title: 'metric', value: (m) => m.name },
    { title: 'group', value: (m) => groupText(m.group) },
    { title: 'value', value: (m) => (m.value === null ? '–' : m.value), numeric: true },
    { title: 'interval', value: (m) => (m.ci ? `${fmt(m.ci[0])} – ${fmt(m.ci[1])}` : ''), numeric: true },
    { title: 'n', value: (m) => (m.n === undefined ? '' : m.n), numeric: true },
    { title: 'unit', value: (m) => m.unit ?? '' },
  ], 25, id);
}

/**
 * Series per value of `seriesKey` over the values of `xKey`, for metric `name`: aligned arrays with nulls where a
 * series has no point.
 */
export function pivot(ms: Metric[], name: string, xKey: string, seriesKey: string, xs?: string[]) {
  const rows = ms.filter((m) => m.name === name && m.group?.[xKey] !== undefined && (seriesKey === 'none' || m.group[seriesKey] !== undefined));
  const x = xs ?? [...new Set(rows.map((m) => m.group![xKey]!))].sort();
  const xi = new Map(x.map((v, i) => [v, i]));
  const names: string[] = [];
  const by = new Map<string, { values: Array<number | null>; lo: Array<number | null>; hi: Array<number | null>; hasCi: boolean }>();
  for (const m of rows) {
    const s = m.group![seriesKey] ?? '';
    let e = by.get(s);
    if (!e) by.set(s, (e = { values: x.map(() => null), lo: x.map(() => null), hi: x.map(() => null), hasCi: false })), names.push(s);
    const i = xi.get(m.group![xKey]!);
    if (i === undefined) continue;
    e.values[i] = m.value;
    if (m.ci) (e.lo[i] = m.ci[0]), (e.hi[i] = m.ci[1]), (e.hasCi = true);
  }
  return { x, series: names.map((n) => ({ name: n, ...by.get(n)! })) };
}

/** Above this many policy versions in a selection, charts draw them pooled instead of one line each. */
export const MAX_VERSION_LINES = 6;

/** The note under a chart that pooled `n` versions. */
export const pooledNote = (n: number, max = MAX_VERSION_LINES) =>
  h('p', { class: 'muted pooled-note', 'data-pooled': String(n) }, `${n} versions pooled; choose up to ${max} versions in the filter to see them apart.`);

/**
 * The loop series of one metric: a line per policy version and, when there are several, a grey line of all of them
 * pooled (the server's rows grouped by the window alone). With more than `max` versions (a loop that retrains daily
 * has one per day) only the pooled line is drawn, and `pooled` says how many versions it holds.
 */
export function versionSeries(ms: Metric[], name: string, window: string, bands = false, max = MAX_VERSION_LINES) {
  const per = pivot(ms, name, window, 'policy_version');
  const pooledRows = ms.filter((m) => m.name === name && m.group && m.group.policy_version === undefined && m.group[window] !== undefined);
  const x = [...new Set([...per.x, ...pooledRows.map((m) => m.group![window]!)])].sort();
  const again = pivot(ms, name, window, 'policy_version', x);
  const pooled = pivot(pooledRows, name, window, 'none', x).series[0];
  type S = { name: string; values: Array<number | null>; lo?: Array<number | null>; hi?: Array<number | null>; color?: string; dash?: number[] };
  const pooledLine = (): S | undefined => pooled && { name: 'all versions', values: pooled.values, ...(bands && pooled.hasCi ? { lo: pooled.lo, hi: pooled.hi } : {}), color: '#6e7781', dash: [2, 3] };
  if (pooled && again.series.length > max) return { x, series: [{ ...pooledLine()!, color: '#0072B2' }] as S[], pooled: again.series.length };
  const series: S[] = again.series.map((s) => ({ name: s.name, values: s.values, ...(bands && s.hasCi ? { lo: s.lo, hi: s.hi } : {}) }));
  if (pooled && again.series.length > 1) series.push(pooledLine()!);
  return { x, series, pooled: 0 };
}
