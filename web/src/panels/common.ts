/** Loaders several panels share within one page render. */
import type { Cached, Result } from '../api.js';
import type { PanelContext } from '../registry.js';

export const loopSeries = (ctx: PanelContext) =>
  ctx.shared('loop-series', () => ctx.api<Result>('dashboard/loop-series', ctx.params({ window: ctx.filter.window }), ctx.signal));

/**
 * A full analysis (cached on the server). Asked for only once the loop series arrived: a cold analysis keeps the
 * server's CPU busy for seconds, and the charts drawn from the series should not wait behind it.
 */
export const cachedAnalysis = (ctx: PanelContext, name: string) =>
  ctx.shared(`analysis:${name}`, async () => {
    await loopSeries(ctx).catch(() => undefined);
    return ctx.api<Cached>(`dashboard/analyses/${name}`, ctx.params(), ctx.signal);
  });

export const asOf = (iso: string) => `Computed ${new Date(iso).toLocaleString()}; while new data arrives it is recomputed in the background, at most every 5 minutes.`;
