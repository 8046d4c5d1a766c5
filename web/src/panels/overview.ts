/** The overview: traffic at a glance, and every analysis's verdicts, worst first, with links to their evidence. */
import { h } from '../dom.js';
import { lineChart } from '../charts.js';
import { registerPage, registerPanel } from '../registry.js';
import { ApiError } from '../api.js';
import { badge, checkGroupAnchor, checkList, pooledNote, versionSeries, worst } from '../widgets.js';
import { asOf, cachedAnalysis, loopSeries } from './common.js';

registerPage({ id: 'overview', title: 'Overview', order: 0, filters: ['range', 'versions'] });

registerPanel({
  id: 'overview-traffic',
  page: 'overview',
  title: 'Exposures per day',
  order: 0,
  help: 'Items shown per day or week: one line per policy version when up to six are selected, all of them pooled otherwise (grey: all together).',
  async render(ctx, body) {
    const r = await loopSeries(ctx);
    const p = versionSeries(r.metrics, 'exposures', ctx.filter.window);
    if (!p.x.length) return { empty: 'No exposures in this time range and these versions. Widen the filters.' };
    lineChart(body, { id: 'exposures', x: p.x, xKind: 'day', series: p.series, yLabel: 'exposures' });
    if (p.pooled) body.append(pooledNote(p.pooled));
  },
});

registerPanel({
  id: 'overview-outcome-rate',
  page: 'overview',
  title: 'Outcome rate per day',
  order: 1,
  help: 'Share of shown items that got a positive outcome, with its 95% Wilson interval shaded.',
  async render(ctx, body) {
    const r = await loopSeries(ctx);
    const p = versionSeries(r.metrics, 'outcome_rate', ctx.filter.window, true);
    if (!p.x.length) return { empty: 'No exposures in this time range and these versions. Widen the filters.' };
    lineChart(body, { id: 'outcome_rate', x: p.x, xKind: 'day', percent: true, series: p.series, yLabel: 'outcome rate' });
    if (p.pooled) body.append(pooledNote(p.pooled));
  },
});

const ANALYSES = [
  { name: 'loop-health', title: 'Loop health', page: 'loop-health' },
  { name: 'ope', title: 'Off-policy evaluation (uniform target)', page: 'ope' },
  { name: 'drift', title: 'Drift of decision attributes', page: 'drift' },
  { name: 'profile-decay', title: 'Profile decay', page: 'drift' },
];

registerPanel({
  id: 'overview-checks',
  page: 'overview',
  title: 'Checks of every analysis',
  order: 10,
  wide: true,
  help: 'Red: act on it. Amber: look at it. Green: fine. Grey: could not be judged. Each line says what it means and links to its evidence.',
  async render(ctx, body) {
    const list = h('div', { class: 'cards' });
    body.append(list);
    await Promise.all(ANALYSES.map(async (a) => {
      const card = h('article', { class: 'card', 'data-analysis': a.name, 'data-state': 'loading' }, h('h3', null, a.title), h('p', { class: 'loading' }, 'Computing… The first computation on a large store can take minutes; it goes on if you leave, and this card fills in when it is done.'));
      list.append(card);
      try {
        const { computed_at, result } = await cachedAnalysis(ctx, a.name);
        const status = worst(result.verdicts);
        const top = result.verdicts.filter((v) => v.status === status);
        card.replaceChildren(
          h('h3', null, badge(result.verdicts.length ? status : 'unknown'), ' ', h('a', { href: ctx.href(a.page), 'data-link': '' }, a.title)),
          h('p', { class: 'summary' }, !result.verdicts.length ? 'No checks apply to this data.' : status === 'ok' ? `All ${result.verdicts.length} checks passed.` : top[0]!.message),
          h('details', null, h('summary', null, `${result.verdicts.length} checks`), checkList(result.verdicts, (v) => ctx.href(a.page, checkGroupAnchor(v.check)))),
          h('p', { class: 'muted' }, asOf(computed_at)),
        );
        card.dataset.status = result.verdicts.length ? status : 'unknown';
        card.dataset.state = 'ready';
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        card.replaceChildren(h('h3', null, badge('unknown'), ' ', a.title), h('p', null, err instanceof ApiError && err.status === 400 ? `Not available for this project: ${err.message}` : (err as Error).message));
        card.dataset.status = 'unknown';
        card.dataset.state = err instanceof ApiError && err.status === 400 ? 'empty' : 'error';
      }
    }));
  },
});
