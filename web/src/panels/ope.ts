/** Off-policy evaluation: estimates with intervals per target and estimator, and the diagnostics that say whether to believe them. */
import { h, fmt } from '../dom.js';
import { forestPlot } from '../charts.js';
import { registerPage, registerPanel } from '../registry.js';
import type { Verdict } from '../api.js';
import { badge, pagedTable, verdictList } from '../widgets.js';
import { asOf, cachedAnalysis } from './common.js';

registerPage({
  id: 'ope', title: 'Off-policy evaluation', order: 2, filters: ['range', 'versions'],
  intro: 'How a target policy would do, estimated from the logged traffic instead of offline metrics on biased logs. The dashboard evaluates the uniform policy with every estimator and normal intervals; choose one policy version to evaluate on its logs only. For your own targets and bootstrap intervals run loopguard ope.',
});

const DIAGNOSTICS = ['effective_sample_size', 'max_weight_share', 'min_propensity', 'mean_weight', 'support_deficiency'];
const ESTIMATORS = ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os', 'iips', 'pbm'];

const trust = (verdicts: Verdict[], target: string) => {
  const mine = verdicts.filter((v) => v.group?.target === target && DIAGNOSTICS.includes(v.check));
  const fail = mine.filter((v) => v.status === 'fail'), warn = mine.filter((v) => v.status === 'warn');
  return { fail, warn };
};

registerPanel({
  id: 'ope-estimates', page: 'ope', order: 0, wide: true,
  title: 'Estimated value per target and estimator',
  help: 'Dot: estimate; bar: its interval; dashed line: the logging policy\'s own outcome rate. Estimates whose weight diagnostics fail are marked as not to be trusted.',
  async render(ctx, body) {
    const { computed_at, result } = await cachedAnalysis(ctx, 'ope');
    const est = result.metrics.filter((m) => ESTIMATORS.includes(m.name) && m.group?.target !== undefined);
    if (!est.length) return { empty: result.verdicts[0]?.message ?? 'There are no logged rounds to evaluate on in this selection.' };
    const onPolicy = result.metrics.find((m) => m.name === 'on_policy_value');
    if (ctx.filter.versions.length > 1) body.append(h('p', { class: 'warning' }, `Evaluated on the logs of every chosen version together; choose exactly one version to evaluate on its logs alone.`));
    for (const target of [...new Set(est.map((m) => m.group!.target!))]) {
      const t = trust(result.verdicts, target);
      const section = h('div', { class: 'target', 'data-target': target });
      section.append(h('h3', null, `Target: ${target} `, t.fail.length ? badge('fail') : t.warn.length ? badge('warn') : badge('ok')));
      if (t.fail.length || t.warn.length)
        section.append(h('div', { class: `trust ${t.fail.length ? 'fail' : 'warn'}`, role: 'alert' },
          h('strong', null, t.fail.length ? 'Not to be trusted: ' : 'Treat with care: '),
          [...t.fail, ...t.warn].map((v) => h('p', null, v.message))));
      const rows = est.filter((m) => m.group!.target === target).map((m) => ({
        label: `${m.name}${m.group!.interval ? ` (${m.group!.interval})` : ''}`, value: m.value, ...(m.ci ? { ci: m.ci } : {}),
        ...(t.fail.length && !['dm'].includes(m.name) ? { untrusted: t.fail.map((v) => v.message).join(' ') } : t.warn.length ? { caution: t.warn.map((v) => v.message).join(' ') } : {}),
        note: m.n !== undefined ? `n = ${fmt(m.n)}` : '',
      }));
      const plot = h('div');
      forestPlot(plot, rows, onPolicy?.value != null ? { label: 'logging policy (on-policy value)', value: onPolicy.value } : undefined);
      section.append(plot);
      body.append(section);
    }
    const other = result.verdicts.filter((v) => !DIAGNOSTICS.includes(v.check));
    if (other.length) body.append(h('h3', null, 'Comparison with the logging policy'), verdictList(other));
    body.append(h('p', { class: 'muted' }, asOf(computed_at)));
  },
});

registerPanel({
  id: 'ope-diagnostics', page: 'ope', order: 1, wide: true,
  title: 'Weight diagnostics',
  help: 'Effective sample size (ESS) and the importance weights behind the weighting estimators. A small ESS or one round holding much of the weight makes every weighted estimate fragile.',
  async render(ctx, body) {
    const { result } = await cachedAnalysis(ctx, 'ope');
    const names = ['ess', 'ess_ratio', 'max_weight', 'max_weight_share', 'min_propensity', 'mean_weight', 'support_deficiency'];
    const diag = result.metrics.filter((m) => names.includes(m.name));
    if (!diag.length) return { empty: 'No weight diagnostics for this selection.' };
    const targets = [...new Set(diag.map((m) => m.group?.target ?? ''))];
    const verdicts = result.verdicts.filter((v) => DIAGNOSTICS.includes(v.check));
    body.append(pagedTable(targets.flatMap((t) => names.map((n) => ({ t, n, m: diag.find((m) => m.name === n && (m.group?.target ?? '') === t) }))).filter((r) => r.m), [
      { title: 'target', value: (r) => r.t },
      { title: 'diagnostic', value: (r) => r.n },
      { title: 'value', value: (r) => r.m!.value ?? '–', numeric: true },
      { title: 'n', value: (r) => r.m!.n ?? '', numeric: true },
    ], 25, 'ope-diagnostics'));
    body.append(h('h3', null, 'What they mean here'), verdictList(verdicts));
  },
});
