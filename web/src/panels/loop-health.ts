/** Loop health: concentration, coverage and exploration over time per policy version; exposure inequality; offline against online. */
import { h, fmt } from '../dom.js';
import { COLORS, lineChart } from '../charts.js';
import { registerPage, registerPanel, type PanelContext } from '../registry.js';
import type { Lorenz } from '../api.js';
import { MAX_VERSION_LINES, checkList, metricsTable, pivot, pooledNote, verdictList, versionSeries } from '../widgets.js';
import { asOf, cachedAnalysis, loopSeries } from './common.js';

registerPage({
  id: 'loop-health', title: 'Loop health', order: 1, filters: ['range', 'versions', 'window'],
  intro: 'Is the model narrowing what users see and learning from the narrowing? Rising Gini, falling entropy and coverage, and an exploit rate that drifts from the exploration rate are the signs.',
});

function seriesPanel(id: string, metric: string, title: string, help: string, order: number, o: { percent?: boolean; yRange?: [number, number] } = {}) {
  registerPanel({
    id, page: 'loop-health', title, help, order,
    async render(ctx: PanelContext, body) {
      const r = await loopSeries(ctx);
      const p = versionSeries(r.metrics, metric, ctx.filter.window);
      if (!p.x.length) return { empty: 'No exposures in this time range and these versions. Widen the filters.' };
      lineChart(body, { id: metric, x: p.x, xKind: 'day', series: p.series, yLabel: metric, ...o });
      if (p.pooled) body.append(pooledNote(p.pooled));
    },
  });
}

seriesPanel('lh-gini', 'gini', 'Exposure concentration (Gini)', '0 = every catalog item shown equally often, 1 = one item gets everything. Rising over versions = a narrowing loop.', 0, { yRange: [0, 1] });
seriesPanel('lh-entropy', 'entropy_norm', 'Normalized entropy of exposure', '1 = exposure spread evenly over the catalog; falling = fewer items get the attention.', 1, { yRange: [0, 1] });
seriesPanel('lh-coverage', 'coverage', 'Catalog coverage', 'Share of the catalog shown at least once in the window.', 2, { percent: true, yRange: [0, 1] });
seriesPanel('lh-exploration', 'exploration_share', 'Exploration share', 'Share of exposures from exploration or holdout traffic: the anchor to what users do when the model does not choose.', 3, { percent: true });

registerPanel({
  id: 'lh-explore-exploit', page: 'loop-health', order: 4, wide: true,
  title: 'Outcome rate: exploration against exploitation',
  help: 'Solid: exploited traffic; dashed: exploration. Shaded: 95% Wilson intervals. An exploit rate far above exploration can be the model grading its own homework.',
  async render(ctx, body) {
    const r = await loopSeries(ctx);
    const w = ctx.filter.window;
    const a = versionSeries(r.metrics, 'exploit_rate', w, true, Infinity), e = versionSeries(r.metrics, 'explore_rate', w, true, Infinity);
    const days = [...new Set([...a.x, ...e.x])].sort();
    if (!days.length) return { empty: 'No outcomes to compare in this range.' };
    const realign = (src: typeof a, x: string[]) => src.series.map((s) => {
      const at = (arr?: Array<number | null>) => arr && x.map((d) => { const i = src.x.indexOf(d); return i < 0 ? null : arr[i] ?? null; });
      return { ...s, values: at(s.values)!, ...(s.lo ? { lo: at(s.lo)!, hi: at(s.hi)! } : {}) };
    });
    let exS = realign(a, days), erS = realign(e, days);
    // Many versions: one pair of lines over all of them pooled, else a pair per version.
    const pooledOnly = exS.length > 4;
    if (pooledOnly) (exS = exS.filter((s) => s.name === 'all versions')), (erS = erS.filter((s) => s.name === 'all versions'));
    else if (exS.length > 1) (exS = exS.filter((s) => s.name !== 'all versions')), (erS = erS.filter((s) => s.name !== 'all versions'));
    const names = [...new Set([...exS, ...erS].map((s) => s.name))];
    const color = (v: string) => COLORS[names.indexOf(v) % COLORS.length]!;
    const series = [
      ...exS.map((s) => ({ ...s, name: `${s.name} exploit`, color: color(s.name), dash: undefined })),
      ...erS.map((s) => ({ ...s, name: `${s.name} explore`, color: color(s.name), dash: [6, 4] })),
    ].map(({ dash, ...s }) => (dash ? { ...s, dash } : s));
    if (!erS.length) body.append(h('p', { class: 'warning' }, 'No exploration traffic in this selection: there is nothing to check the exploited outcome rate against.'));
    lineChart(body, { id: 'explore_exploit', x: days, xKind: 'day', percent: true, series, yLabel: 'outcome rate', height: 260 });
    if (pooledOnly) body.append(pooledNote(a.series.length - 1, 4));
  },
});

registerPanel({
  id: 'lh-lorenz', page: 'loop-health', order: 5,
  title: 'Lorenz curve of item exposure',
  help: 'Items sorted from least to most shown; the curve gives the share of exposures the least-shown x% receive. The further below the diagonal, the more concentrated (Gini = twice the area between).',
  async render(ctx, body) {
    const l = await ctx.api<Lorenz>('dashboard/lorenz', ctx.params(), ctx.signal);
    if (!l.curves.length) return { empty: 'No exposures in this time range and these versions.' };
    // Many versions: the curve of all of them pooled instead of one each.
    const pooled = l.pooled && l.curves.length > MAX_VERSION_LINES;
    const curves = pooled ? [l.pooled!] : l.curves;
    const x = curves[0]!.x;
    lineChart(body, {
      id: 'lorenz', x, xKind: 'number', xLabel: 'share of items', yLabel: 'share of exposures', percent: true, yRange: [0, 1], height: 260,
      series: [
        { name: 'equality', values: x, color: '#8c959f', dash: [4, 4] },
        ...curves.map((c, i) => ({ name: `${c.policy_version} (Gini ${fmt(c.gini)})`, values: c.y, color: COLORS[i % COLORS.length]! })),
      ],
    });
    if (pooled) body.append(pooledNote(l.curves.length));
  },
});

registerPanel({
  id: 'lh-offline-online', page: 'loop-health', order: 6,
  title: 'Offline metrics against online outcome rate',
  help: 'Per policy version: the offline metric you recorded and the outcome rate it earned online (95% interval). Offline gains that do not show up online are a warning sign.',
  async render(ctx, body) {
    const { computed_at, result } = await cachedAnalysis(ctx, 'loop-health');
    const online = result.metrics.filter((m) => m.name === 'online_outcome_rate');
    const offline = result.metrics.filter((m) => m.name === 'offline_metric');
    if (!online.length || !offline.length)
      return { empty: 'No offline metrics are recorded for these versions. Record them with POST /v1/projects/<project>/model-versions/<version>/offline-metrics, or pass --offline FILE to loopguard loop-health.' };
    const versions = online.map((m) => m.group!.policy_version!);
    const names = [...new Set(offline.map((m) => m.group!.metric!))];
    const on = pivot(online, 'online_outcome_rate', 'policy_version', 'none', versions);
    lineChart(body, {
      id: 'offline_online', x: versions, xKind: 'category', yLabel: 'value', height: 240,
      series: [
        ...on.series.map((s) => ({ name: 'online outcome rate', values: s.values, lo: s.lo, hi: s.hi })),
        ...names.map((n, i) => ({ name: `offline ${n}`, values: versions.map((v) => offline.find((m) => m.group!.metric === n && m.group!.policy_version === v)?.value ?? null), color: COLORS[(i + 1) % COLORS.length]!, dash: [6, 4] })),
      ],
    });
    const verdicts = result.verdicts.filter((v) => v.check === 'offline_online');
    if (verdicts.length) body.append(verdictList(verdicts));
    body.append(h('p', { class: 'muted' }, asOf(computed_at)));
  },
});

registerPanel({
  id: 'lh-checks', page: 'loop-health', order: 7, wide: true,
  title: 'Loop-health checks',
  help: 'Every check of loopguard loop-health on this range, worst first: one line per check with its worst result; open it for each version\'s.',
  async render(ctx, body) {
    const { computed_at, result } = await cachedAnalysis(ctx, 'loop-health');
    if (!result.verdicts.length) return { empty: 'No checks apply to this selection.' };
    body.append(checkList(result.verdicts), h('h3', null, 'All metrics'), metricsTable(result.metrics, 'loop-health-metrics'), h('p', { class: 'muted' }, asOf(computed_at)));
  },
});
