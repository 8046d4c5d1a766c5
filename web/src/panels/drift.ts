/** Drift of decision attributes per day against a reference window, and profile decay (issue #8's panels). */
import { h } from '../dom.js';
import { lineChart } from '../charts.js';
import { registerPage, registerPanel } from '../registry.js';
import { ApiError, type Cached } from '../api.js';
import { badge, checkList, metricsTable, pagedTable, pivot } from '../widgets.js';
import { asOf, cachedAnalysis } from './common.js';

registerPage({
  id: 'drift', title: 'Drift', order: 3, filters: ['range'],
  intro: 'Do the model\'s inputs move away from what it saw at the start of the range? Each day of decision attributes is compared with the first days (the reference window) and with the previous day. For an eval set against recent traffic run loopguard eval-freshness.',
});

/** Drift needs decision attributes; without them the route answers 400 with a sentence saying so. */
async function driftResult(ctx: Parameters<typeof cachedAnalysis>[0]): Promise<Cached | { empty: string }> {
  try {
    return await cachedAnalysis(ctx, 'drift');
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) return { empty: err.message };
    throw err;
  }
}

registerPanel({
  id: 'drift-share', page: 'drift', order: 0,
  title: 'Share of drifted columns per day',
  help: 'Against the reference window; each column judged by the test the default rule picks for its type and sample size.',
  async render(ctx, body) {
    const d = await driftResult(ctx);
    if ('empty' in d) return d;
    const p = pivot(d.result.metrics, 'drift_share', 'day', 'none');
    if (!p.x.length) return { empty: 'No days after the reference window in this range.' };
    lineChart(body, { id: 'drift_share', x: p.x, xKind: 'day', percent: true, yRange: [0, 1], series: p.series.map((s) => ({ name: 'drifted columns', values: s.values })) });
    body.append(h('p', { class: 'muted' }, `Reference window: ${JSON.stringify(d.result.inputs.reference ?? '')}. ${asOf(d.computed_at)}`));
  },
});

registerPanel({
  id: 'drift-columns', page: 'drift', order: 1,
  title: 'Jensen-Shannon distance per column',
  help: 'Against the reference window, for the six columns that moved most on the latest day (0 = same distribution, 1 = disjoint). One scale for every column, but the checks below judge each column by the test its type and sample size call for (a numeric column by the KS test or by its Wasserstein distance in standard deviations), so a column can fail with a small distance here.',
  async render(ctx, body) {
    const d = await driftResult(ctx);
    if ('empty' in d) return d;
    const ref = d.result.metrics.filter((m) => m.name === 'js' && m.group?.baseline === 'reference');
    const p = pivot(ref, 'js', 'day', 'column');
    if (!p.x.length) return { empty: 'No column has a Jensen-Shannon distance in this range.' };
    const last = (s: { values: Array<number | null> }) => [...s.values].reverse().find((v) => v !== null) ?? 0;
    const top = [...p.series].sort((a, b) => last(b) - last(a)).slice(0, 6);
    lineChart(body, { id: 'drift_js', x: p.x, xKind: 'day', series: top.map((s) => ({ name: s.name, values: s.values })), yLabel: 'JS distance' });
  },
});

registerPanel({
  id: 'drift-checks', page: 'drift', order: 2, wide: true,
  title: 'Columns on the latest day',
  help: 'Each column against the reference window and against the previous day, worst first.',
  async render(ctx, body) {
    const d = await driftResult(ctx);
    if ('empty' in d) return d;
    const vs = d.result.verdicts;
    const order = { fail: 0, warn: 1, unknown: 2, ok: 3 } as const;
    const cols = vs.filter((v) => v.group?.column).sort((a, b) => order[a.status] - order[b.status]);
    const dataset = vs.filter((v) => !v.group?.column);
    if (dataset.length) body.append(checkList(dataset));
    body.append(pagedTable(cols, [
      { title: 'status', value: (v) => badge(v.status) },
      { title: 'column', value: (v) => v.group!.column! },
      { title: 'against', value: (v) => v.group!.baseline ?? '' },
      { title: 'what it means', value: (v) => v.message },
    ], 15, 'drift-columns'));
    body.append(h('details', null, h('summary', null, 'All drift metrics'), metricsTable(d.result.metrics, 'drift-metrics')));
  },
});

registerPanel({
  id: 'profile-decay', page: 'drift', order: 3, wide: true,
  title: 'Profile decay',
  help: 'Per user, recent behaviour against the long-term profile: how many profiles changed, and how recommendations do for changed and stable users.',
  async render(ctx, body) {
    const { computed_at, result } = await cachedAnalysis(ctx, 'profile-decay');
    if (!result.metrics.length) return { empty: result.verdicts[0]?.message ?? 'No user has enough events for a profile yet.' };
    const rates = result.metrics.filter((m) => m.name === 'outcome_rate' && m.group?.users);
    if (rates.length) {
      const p = pivot(rates, 'outcome_rate', 'users', 'none');
      lineChart(body, { id: 'decay_rates', x: p.x, xKind: 'category', percent: true, series: p.series.map((s) => ({ name: 'outcome rate', values: s.values, lo: s.lo, hi: s.hi })), height: 200 });
    }
    body.append(checkList(result.verdicts), metricsTable(result.metrics.filter((m) => !m.group?.user), 'decay-metrics'), h('p', { class: 'muted' }, asOf(computed_at)));
  },
});
