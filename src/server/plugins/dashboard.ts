/**
 * The dashboard: the single-page app (web/, built by Vite into dist/web) served at `/`, and the light read routes it
 * uses under /v1/projects/:project/dashboard/. Time series, Lorenz curves and filter changes come from an in-memory
 * rollup of the exposures (src/analyses/overview), and the full analyses' results are cached (./dashboard-cache.ts),
 * so pages stay quick on stores of millions of exposures. Every /v1 route needs a project key; the app's static files
 * hold no data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorBody, ProjectName } from '../../events/schemas.js';
import { StoreClosingError, UserError } from '../../errors.js';
import type { Result } from '../../analyses/result.js';
import { exposureRollup, persistedRollup, type Rollup, type RollupWriter } from '../../analyses/overview/rollup.js';
import { checkDay, exposureLorenz, loopSeries, type LorenzSeries, type SeriesFilter } from '../../analyses/overview/series.js';
import { DASHBOARD_ANALYSES, computeScope, narrowToVersions, runDashboardAnalysis, summarize, type DashboardAnalysis, type Scope } from '../../analyses/overview/analyses.js';
import type { AppContext } from '../app.js';
import { authorizeProject, projectOf } from '../auth.js';
import { ResultSchema } from '../result-schema.js';
import { DashboardCache, Lane } from './dashboard-cache.js';

export interface DashboardOptions {
  /** Compute every project's rollup and loop health in the background at start (loopguard serve does). */
  prewarm?: boolean;
  /** Directory of the built app (default: dist/web). */
  webRoot?: string;
  /** Options of the rollup cache and of the analysis cache (see dashboard-cache.ts). */
  cache?: ConstructorParameters<typeof DashboardCache>[0];
  analysisCache?: ConstructorParameters<typeof DashboardCache>[0];
}

/** The built app: dist/web beside dist/server, or, when running from src/ (tests), the repository's dist/web. */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '..', '..', 'web'), path.resolve(here, '..', '..', '..', 'dist', 'web')];
  return candidates.find((c) => fs.existsSync(path.join(c, 'index.html'))) ?? candidates[0]!;
}

const Params = Type.Object({ project: ProjectName });
const Filter = Type.Object(
  {
    since: Type.Optional(Type.String({ description: 'First day included, YYYY-MM-DD (UTC)' })),
    until: Type.Optional(Type.String({ description: 'First day excluded, YYYY-MM-DD (UTC)' })),
    versions: Type.Optional(Type.String({ description: 'Comma-separated policy versions; default all' })),
    window: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
  },
  { additionalProperties: false },
);
type FilterQ = Static<typeof Filter>;

const ScopeResponse = Type.Object({
  project: Type.String(),
  computed_at: Type.String(),
  total_exposures: Type.Number(),
  catalog_size: Type.Number(),
  catalog_source: Type.String(),
  first_day: Type.Union([Type.String(), Type.Null()]),
  last_day: Type.Union([Type.String(), Type.Null()]),
  versions: Type.Array(Type.Object({ name: Type.String(), first_day: Type.String(), last_day: Type.String(), exposures: Type.Number() })),
});
const LorenzCurve = Type.Object({ policy_version: Type.String(), exposures: Type.Number(), gini: Type.Number(), x: Type.Array(Type.Number()), y: Type.Array(Type.Union([Type.Number(), Type.Null()])) });
const LorenzResponse = Type.Object({
  computed_at: Type.String(),
  catalog_size: Type.Number(),
  curves: Type.Array(LorenzCurve),
  /** Every chosen version pooled (when there are several). */
  pooled: Type.Optional(LorenzCurve),
});
const OverviewEntry = Type.Object({
  analysis: Type.String(),
  title: Type.String(),
  page: Type.String(),
  status: Type.String(),
  summary: Type.String(),
  computed_at: Type.Union([Type.String(), Type.Null()]),
  error: Type.Optional(Type.String()),
  verdicts: ResultSchema.properties.verdicts,
});
const OverviewResponse = Type.Object({ project: Type.String(), analyses: Type.Array(OverviewEntry) });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

function seriesFilter(q: FilterQ): SeriesFilter {
  checkDay('since', q.since);
  checkDay('until', q.until);
  const versions = q.versions?.split(',').map((s) => s.trim()).filter(Boolean);
  return { ...(q.since ? { since: q.since } : {}), ...(q.until ? { until: q.until } : {}), ...(versions?.length ? { versions } : {}), ...(q.window ? { window: q.window } : {}) };
}

function scopeOf(q: FilterQ): Scope {
  const f = seriesFilter(q);
  return { ...(f.since ? { since: f.since } : {}), ...(f.until ? { until: f.until } : {}), versions: f.versions ?? [] };
}

async function plugin(app: FastifyInstance, opts: { ctx: AppContext; dashboard?: DashboardOptions }): Promise<void> {
  const { ctx } = opts;
  // Rollups are a scan: after a write the next request waits for a new one. Full analyses take up to minutes on a
  // large store: after a write they are recomputed at most every 5 minutes, in the background, serving the last one.
  const rollups = new DashboardCache({ minRefreshMs: 1000, staleMs: 0, ...opts.dashboard?.cache });
  const analyses = new DashboardCache({ minRefreshMs: 5 * 60_000, staleMs: Infinity, ...opts.dashboard?.analysisCache });
  const rollupLane = new Lane(), analysisLane = new Lane();

  // Writes that reach the server make cached results stale.
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'GET' || reply.statusCode >= 300) return;
    const url = req.url.split('?')[0]!;
    if (url === '/v1/events' || url.startsWith('/v1/admin/') || url.endsWith('/offline-metrics')) rollups.bump(), analyses.bump();
  });

  // A store that gives connections of its own (DuckDB) keeps the rollup in a table, brought up to date incrementally, so a
  // restarted server serves its first chart without scanning the exposures; any other store computes it in memory.
  const store = ctx.store as typeof ctx.store & { connect?: () => Promise<{ run(sql: string, params?: never[]): Promise<unknown>; closeSync(): void; interrupt(): void }> };
  // Connections writing the rollup: on close they are interrupted (the update rolls back) and awaited, so the store
  // never closes under a running statement.
  const writing = new Set<{ interrupt(): void; done: Promise<void> }>();
  let closing = false;
  const writer = async (): Promise<RollupWriter> => {
    // The server is stopping: answered 503 with Retry-After, not as a bad request.
    if (closing) throw new StoreClosingError();
    const c = await store.connect!();
    let finish!: () => void;
    const entry = { interrupt: () => c.interrupt(), done: new Promise<void>((r) => (finish = r)) };
    writing.add(entry);
    return { run: (sql, params) => c.run(sql, params), close: () => (c.closeSync(), writing.delete(entry), finish()) };
  };
  app.addHook('onClose', async () => {
    closing = true;
    for (const w of writing) w.interrupt();
    await Promise.all([...writing].map((w) => w.done));
  });
  const computeRollup = (project: string) => (typeof store.connect === 'function' ? persistedRollup(ctx.store, writer, project) : exposureRollup(ctx.store, project));
  const rollup = (project: string) => rollups.get<Rollup>(`rollup\u0000${project}`, rollupLane, () => computeRollup(project));
  const analysis = async (project: string, name: DashboardAnalysis, scope: Scope) => {
    const computed = computeScope(name, scope);
    // The rollup first: it feeds the first charts of every page, and an analysis computed beside it would slow it down.
    await rollup(project);
    // A refusal (UserError: no attributes, no support, ...) holds until the data changes, so it is cached too:
    // finding it can take minutes on a large store.
    const e = await analyses.get<{ result: Result } | { refused: string }>(`${name}\u0000${project}\u0000${JSON.stringify(computed)}`, analysisLane, async () => {
      try {
        return { result: await runDashboardAnalysis(ctx.store, project, name, computed, (db, o) => ctx.analyses.ope(db, o)) };
      } catch (err) {
        if (err instanceof UserError) return { refused: err.message };
        throw err;
      }
    });
    if ('refused' in e.value) throw new UserError(e.value.refused);
    return { ...e, value: narrowToVersions(e.value.result, scope.versions) };
  };

  const guard = async (req: FastifyRequest<{ Params: { project: string } }>, reply: FastifyReply) => authorizeProject(ctx, req, reply, req.params.project);

  app.get('/v1/whoami', {
    schema: { summary: 'The project an API key belongs to', response: { 200: Type.Object({ project: Type.String() }), 401: ErrorBody } },
  }, async (req, reply) => {
    const project = await projectOf(ctx.store, req, reply);
    if (project === null) return reply;
    return { project };
  });

  app.get<{ Params: Static<typeof Params> }>('/v1/projects/:project/dashboard/scope', {
    schema: { summary: 'Days, policy versions and totals of a project (the dashboard filters)', params: Params, response: { 200: ScopeResponse, ...errors } },
  }, async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const { value: r } = await rollup(req.params.project);
    const first = new Array<number>(r.versions.length).fill(Infinity), last = new Array<number>(r.versions.length).fill(-1), n = new Array<number>(r.versions.length).fill(0);
    for (let i = 0; i < r.day.length; i++) {
      const v = r.version[i]!, d = r.day[i]!;
      if (d < first[v]!) first[v] = d;
      if (d > last[v]!) last[v] = d;
      n[v]! += r.exposures[i]!;
    }
    return {
      project: r.project, computed_at: r.computedAt, total_exposures: r.totalExposures, catalog_size: r.catalogSize, catalog_source: r.catalogSource,
      first_day: r.days[0] ?? null, last_day: r.days[r.days.length - 1] ?? null,
      versions: r.versions.map((name, v) => ({ name, first_day: r.days[first[v]!]!, last_day: r.days[last[v]!]!, exposures: n[v]! })),
    };
  });

  app.get<{ Params: Static<typeof Params>; Querystring: FilterQ }>('/v1/projects/:project/dashboard/loop-series', {
    schema: { summary: 'Loop-health time series per day or week and policy version (from the rollup)', params: Params, querystring: Filter, response: { 200: ResultSchema, ...errors } },
  }, async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    return loopSeries((await rollup(req.params.project)).value, seriesFilter(req.query));
  });

  app.get<{ Params: Static<typeof Params>; Querystring: FilterQ }>('/v1/projects/:project/dashboard/lorenz', {
    schema: { summary: 'Lorenz curve of item exposure per policy version (from the rollup)', params: Params, querystring: Filter, response: { 200: LorenzResponse, ...errors } },
  }, async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const r = (await rollup(req.params.project)).value;
    const l = exposureLorenz(r, seriesFilter(req.query));
    const finite = (c: LorenzSeries) => ({ ...c, y: c.y.map((y) => (Number.isFinite(y) ? y : null)) });
    return { computed_at: r.computedAt, catalog_size: l.catalog_size, curves: l.curves.map(finite), ...(l.pooled ? { pooled: finite(l.pooled) } : {}) };
  });

  app.get<{ Params: Static<typeof Params> & { analysis: string }; Querystring: FilterQ }>('/v1/projects/:project/dashboard/analyses/:analysis', {
    schema: {
      summary: 'An analysis with the dashboard defaults, cached until the next write',
      params: Type.Object({ project: ProjectName, analysis: Type.Union(DASHBOARD_ANALYSES.map((a) => Type.Literal(a.name))) }),
      querystring: Filter,
      response: { 200: Type.Object({ computed_at: Type.String(), result: ResultSchema }), ...errors },
    },
  }, async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const e = await analysis(req.params.project, req.params.analysis as DashboardAnalysis, scopeOf(req.query));
    return { computed_at: new Date(e.computedAt).toISOString(), result: e.value };
  });

  app.get<{ Params: Static<typeof Params>; Querystring: FilterQ }>('/v1/projects/:project/dashboard/overview', {
    schema: { summary: 'Worst status and checks of every analysis, with the dashboard defaults', params: Params, querystring: Filter, response: { 200: OverviewResponse, ...errors } },
  }, async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const project = req.params.project, scope = scopeOf(req.query);
    const entries = await Promise.all(
      DASHBOARD_ANALYSES.map(async (a) => {
        try {
          const e = await analysis(project, a.name, scope);
          return { ...summarize(a, e.value), computed_at: new Date(e.computedAt).toISOString() };
        } catch (err) {
          if (!(err instanceof UserError)) req.log.error(err);
          const message = err instanceof UserError ? err.message : 'the analysis failed; the server log has the details';
          return { analysis: a.name, title: a.title, page: a.page, status: 'unknown', summary: message, computed_at: null, error: message, verdicts: [] };
        }
      }),
    );
    return { project, analyses: entries };
  });

  // The app itself.
  const root = opts.dashboard?.webRoot ?? defaultWebRoot();
  const built = fs.existsSync(path.join(root, 'index.html'));
  const csp = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'";
  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      index: ['index.html'],
      wildcard: true,
      maxAge: 0,
      setHeaders: (res, file) => {
        res.header('content-security-policy', csp);
        if (file.includes(`${path.sep}assets${path.sep}`)) res.header('cache-control', 'public, max-age=31536000, immutable');
        else res.header('cache-control', 'no-cache');
      },
    });
  }
  app.setNotFoundHandler(async (req, reply) => {
    const url = req.url.split('?')[0]!;
    const wantsPage = req.method === 'GET' && !url.startsWith('/v1/') && url !== '/v1' && !path.extname(url);
    if (!wantsPage) return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${url}; the API is documented at /v1/openapi.json` });
    if (!built)
      return reply.code(503).type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run build` (it builds web/ into dist/web), then restart `loopguard serve`.\n');
    // Client-side routes (e.g. /p/shop/loop-health) get the app, which reads the path.
    reply.header('content-security-policy', csp).header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  });

  if (opts.dashboard?.prewarm) {
    app.addHook('onReady', async () => {
      void (async () => {
        const rows = await ctx.store.query('SELECT DISTINCT project FROM decisions ORDER BY project');
        for (const { project } of rows) {
          const p = String(project);
          await rollup(p);
          // Loop health feeds the overview's first card and the loop-health page; OPE, drift and profile decay are
          // computed when first asked (on millions of rounds OPE's reward models take minutes and gigabytes).
          await analysis(p, 'loop-health', { versions: [] }).catch(() => undefined);
        }
      })().catch((err: Error) => app.log.error(err));
    });
  }
}

/** Registered at the root (fastify-plugin) so its write hook sees every route and its not-found handler serves the app. */
export const dashboardPlugin = fp(plugin, { name: 'loopguard-dashboard' });
