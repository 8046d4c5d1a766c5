/**
 * GET/POST /v1/projects/:project/loop-health and the offline metrics it compares against.
 * GET takes the common options as query parameters; POST takes every option (catalog, offline metrics, thresholds)
 * as JSON.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorBody, ProjectName } from '../../events/schemas.js';
import { DEFAULT_THRESHOLDS, GROUPABLE, loopHealth, type LoopHealthOptions } from '../../analyses/loop-health/index.js';
import type { AppContext } from '../app.js';
import { authorizeProject } from '../auth.js';
import { ResultSchema } from '../result-schema.js';

const Params = Type.Object({ project: ProjectName });
const WindowT = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('none')], { default: 'none' });
const Query = Type.Object(
  {
    window: Type.Optional(WindowT),
    by: Type.Optional(Type.String({ description: `Comma-separated: ${GROUPABLE.join(', ')}; or none. Default policy_version.` })),
    since: Type.Optional(Type.String({ description: 'A date or RFC 3339 time (UTC unless an offset is given).' })),
    until: Type.Optional(Type.String({ description: 'A date or RFC 3339 time; exclusive.' })),
    min_outcomes: Type.Optional(Type.Integer({ minimum: 1 })),
    outcome_kinds: Type.Optional(Type.String({ description: 'Comma-separated outcome kinds that count as success; default all.' })),
  },
  { additionalProperties: false },
);
const Thresholds = Type.Partial(
  Type.Object(Object.fromEntries(Object.keys(DEFAULT_THRESHOLDS).map((k) => [k, Type.Number({ minimum: 0 })])), { additionalProperties: false }),
);
const Body = Type.Object(
  {
    window: Type.Optional(WindowT),
    by: Type.Optional(Type.Array(Type.Union(GROUPABLE.map((g) => Type.Literal(g))))),
    since: Type.Optional(Type.String()),
    until: Type.Optional(Type.String()),
    min_outcomes: Type.Optional(Type.Integer({ minimum: 1 })),
    outcome_kinds: Type.Optional(Type.Array(Type.String())),
    catalog: Type.Optional(Type.Array(Type.String(), { description: 'Catalog item ids; default: candidates, else every item ever exposed.' })),
    offline: Type.Optional(
      Type.Array(
        Type.Object(
          { policy_version: Type.String(), metric: Type.String(), value: Type.Number(), higher_is_better: Type.Optional(Type.Boolean({ default: true })) },
          { additionalProperties: false },
        ),
      ),
    ),
    thresholds: Type.Optional(Thresholds),
  },
  { additionalProperties: false },
);
const OfflineBody = Type.Object(
  {
    metric: Type.String({ minLength: 1, maxLength: 128, description: 'e.g. ndcg@10, auc, recall@20' }),
    value: Type.Number(),
    higher_is_better: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

function splitList(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  return s === 'none' || s === '' ? [] : s.split(',').map((x) => x.trim());
}

/** The analysis options from the snake_case fields shared by the query string and the body. */
function toOptions(project: string, b: Static<typeof Body>): LoopHealthOptions {
  return {
    project,
    ...(b.window ? { window: b.window } : {}),
    ...(b.by ? { by: b.by } : {}),
    ...(b.since ? { since: b.since } : {}),
    ...(b.until ? { until: b.until } : {}),
    ...(b.min_outcomes ? { minOutcomes: b.min_outcomes } : {}),
    ...(b.outcome_kinds ? { outcomeKinds: b.outcome_kinds } : {}),
    ...(b.catalog ? { catalog: b.catalog } : {}),
    ...(b.offline ? { offline: b.offline.map((m) => ({ ...m, higher_is_better: m.higher_is_better ?? true })) } : {}),
    ...(b.thresholds ? { thresholds: b.thresholds } : {}),
  };
}

export const loopHealthPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/v1/projects/:project/loop-health',
    { schema: { summary: 'Feedback-loop health of a project', params: Params, querystring: Query, response: { 200: ResultSchema, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      const q = req.query;
      const by = splitList(q.by);
      const bad = by?.find((b) => !(GROUPABLE as readonly string[]).includes(b));
      if (bad) return reply.code(400).send({ error: 'bad_request', message: `by takes ${GROUPABLE.join(', ')} or none (got '${bad}')` });
      const kinds = splitList(q.outcome_kinds);
      const { by: _by, outcome_kinds: _k, ...rest } = q;
      return loopHealth(ctx.store, toOptions(req.params.project, { ...rest, ...(by ? { by: by as Static<typeof Body>['by'] } : {}), ...(kinds ? { outcome_kinds: kinds } : {}) }));
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof Body> }>(
    '/v1/projects/:project/loop-health',
    { schema: { summary: 'Feedback-loop health with every option (catalog, offline metrics, thresholds)', params: Params, body: Body, response: { 200: ResultSchema, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      return loopHealth(ctx.store, toOptions(req.params.project, req.body));
    },
  );

  app.post<{ Params: Static<typeof Params> & { version: string }; Body: Static<typeof OfflineBody> }>(
    '/v1/projects/:project/model-versions/:version/offline-metrics',
    {
      schema: {
        summary: 'Record an offline metric of a model version, to set beside its online outcome rate',
        params: Type.Object({ project: ProjectName, version: Type.String({ minLength: 1, maxLength: 256 }) }),
        body: OfflineBody,
        response: { 201: Type.Object({ project: Type.String(), policy_version: Type.String(), metric: Type.String(), value: Type.Number(), higher_is_better: Type.Boolean() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      const m = { policy_version: req.params.version, metric: req.body.metric, value: req.body.value, higher_is_better: req.body.higher_is_better ?? true };
      await ctx.store.addOfflineMetric(req.params.project, m);
      return reply.code(201).send({ project: req.params.project, ...m });
    },
  );
};
