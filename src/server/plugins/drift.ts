/**
 * Drift over HTTP: GET/POST /v1/projects/:project/drift (store windows, or rows sent in the body against a window),
 * POST /v1/projects/:project/eval-freshness (an eval set sent as rows against recent traffic) and
 * GET /v1/projects/:project/profile-decay. Files are a CLI matter: the CLI reads them and sends their rows.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorBody, ProjectName } from '../../events/schemas.js';
import { checkPermutations, DRIFT_TESTS, DEFAULT_DRIFT_THRESHOLDS, runDrift, type DriftRequest, type SideSpec } from '../../analyses/drift/index.js';
import { evalFreshness } from '../../analyses/drift/eval-freshness.js';
import { profileDecay } from '../../analyses/drift/profile-decay.js';
import type { AppContext } from '../app.js';
import { authorizeProject } from '../auth.js';
import { ResultSchema } from '../result-schema.js';

const Params = Type.Object({ project: ProjectName });
const Rows = Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, description: 'Rows as JSON objects, one per record' });
const Range = Type.String({ description: 'START/END: dates or RFC 3339 times, END exclusive' });
const Side = Type.Union([
  Type.Object({ window: Range }, { additionalProperties: false }),
  Type.Object({ rows: Rows }, { additionalProperties: false }),
]);
const Thresholds = Type.Partial(
  Type.Object(Object.fromEntries(Object.keys(DEFAULT_DRIFT_THRESHOLDS).map((k) => [k, Type.Number({ minimum: 0 })])), { additionalProperties: false }),
);
const TestName = Type.Union(DRIFT_TESTS.map((t) => Type.Literal(t)));
const DomainClassifier = Type.Union([
  Type.Literal(false),
  Type.Object(
    {
      sample_per_side: Type.Optional(Type.Integer({ minimum: 1 })),
      permutations: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
      seed: Type.Optional(Type.Number()),
    },
    { additionalProperties: false },
  ),
]);
const DriftBody = Type.Object(
  {
    reference: Side,
    current: Type.Optional(Side),
    window: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
    since: Type.Optional(Type.String()),
    until: Type.Optional(Type.String()),
    columns: Type.Optional(Type.Array(Type.String())),
    tests: Type.Optional(Type.Record(Type.String(), TestName, { description: 'Test per column, or "*" for every column' })),
    thresholds: Type.Optional(Thresholds),
    column_thresholds: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
    domain_classifier: Type.Optional(DomainClassifier),
  },
  { additionalProperties: false },
);
const DriftQuery = Type.Object(
  {
    reference_window: Range,
    current_window: Type.Optional(Range),
    window: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
    since: Type.Optional(Type.String()),
    until: Type.Optional(Type.String()),
    columns: Type.Optional(Type.String({ description: 'Comma-separated' })),
    domain_classifier: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
const FreshnessBody = Type.Object(
  {
    eval: Rows,
    window: Type.Optional(Type.String({ description: 'How much recent traffic: 7d, 24h, 2w (default 7d)' })),
    until: Type.Optional(Type.String()),
    columns: Type.Optional(Type.Array(Type.String())),
    segments: Type.Optional(Type.Array(Type.String())),
    staleness_window: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
    thresholds: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
  },
  { additionalProperties: false },
);
const DecayQuery = Type.Object(
  {
    events: Type.Optional(Type.Union([Type.Literal('outcomes'), Type.Literal('exposures')])),
    short_half_life: Type.Optional(Type.String({ description: 'e.g. 3d' })),
    long_half_life: Type.Optional(Type.String({ description: 'e.g. 60d' })),
    recent: Type.Optional(Type.String({ description: 'window for outcome rates, e.g. 7d' })),
    as_of: Type.Optional(Type.String()),
    min_events: Type.Optional(Type.Integer({ minimum: 1 })),
    alpha: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    min_distance: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    changed_share: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

const DecayBody = Type.Object(
  {
    events: Type.Optional(Type.Union([Type.Literal('outcomes'), Type.Literal('exposures')])),
    short_half_life: Type.Optional(Type.String()),
    long_half_life: Type.Optional(Type.String()),
    recent: Type.Optional(Type.String()),
    as_of: Type.Optional(Type.String()),
    min_events: Type.Optional(Type.Integer({ minimum: 1 })),
    thresholds: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 1 }))),
    categories: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'item_id -> category: profiles over categories' })),
  },
  { additionalProperties: false },
);

const side = (s: Static<typeof Side> | undefined): SideSpec | undefined => (s === undefined ? undefined : 'window' in s ? { window: s.window } : { rows: s.rows });

function toRequest(project: string, b: Static<typeof DriftBody>): DriftRequest {
  const dc = b.domain_classifier;
  if (dc !== false)
    checkPermutations('domain_classifier.permutations', dc?.permutations, b.thresholds?.domain_pvalue ?? DEFAULT_DRIFT_THRESHOLDS.domain_pvalue);
  return {
    project,
    reference: side(b.reference)!,
    ...(b.current ? { current: side(b.current)! } : {}),
    ...(b.window ? { window: b.window } : {}),
    ...(b.since ? { since: b.since } : {}),
    ...(b.until ? { until: b.until } : {}),
    ...(b.columns?.length ? { columns: b.columns } : {}),
    ...(b.tests ? { tests: b.tests } : {}),
    ...(b.thresholds ? { thresholds: b.thresholds as Record<string, number> } : {}),
    ...(b.column_thresholds ? { columnThresholds: b.column_thresholds } : {}),
    ...(dc === false
      ? { domainClassifier: false as const }
      : dc
        ? { domainClassifier: { ...(dc.sample_per_side ? { samplePerSide: dc.sample_per_side } : {}), ...(dc.permutations ? { permutations: dc.permutations } : {}), ...(dc.seed !== undefined ? { seed: dc.seed } : {}) } }
        : {}),
  };
}

const responses = { 200: ResultSchema, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export const driftPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof DriftQuery> }>(
    '/v1/projects/:project/drift',
    { schema: { summary: 'Drift of decision attributes between two windows, or per day/week against a reference window', params: Params, querystring: DriftQuery, response: responses } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      const q = req.query;
      return runDrift(ctx.store, toRequest(req.params.project, {
        reference: { window: q.reference_window },
        ...(q.current_window ? { current: { window: q.current_window } } : {}),
        ...(q.window ? { window: q.window } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
        ...(q.columns ? { columns: q.columns.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        ...(q.domain_classifier === false ? { domain_classifier: false as const } : {}),
      }));
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof DriftBody> }>(
    '/v1/projects/:project/drift',
    { schema: { summary: 'Drift with every option: windows or rows as sides, tests, thresholds, the domain classifier', params: Params, body: DriftBody, response: responses } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      return runDrift(ctx.store, toRequest(req.params.project, req.body));
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof FreshnessBody> }>(
    '/v1/projects/:project/eval-freshness',
    { schema: { summary: 'How well an eval set (sent as rows) still represents recent traffic', params: Params, body: FreshnessBody, response: responses } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      const b = req.body;
      return evalFreshness(ctx.store, {
        project: req.params.project,
        eval: { rows: b.eval },
        ...(b.window ? { window: b.window } : {}),
        ...(b.until ? { until: b.until } : {}),
        ...(b.columns ? { columns: b.columns } : {}),
        ...(b.segments ? { segments: b.segments } : {}),
        ...(b.staleness_window ? { stalenessWindow: b.staleness_window } : {}),
        ...(b.thresholds ? { thresholds: b.thresholds } : {}),
      });
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof DecayBody> }>(
    '/v1/projects/:project/profile-decay',
    { schema: { summary: 'Profile decay with every option (thresholds, item categories)', params: Params, body: DecayBody, response: responses } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      const b = req.body;
      return profileDecay(ctx.store, {
        project: req.params.project,
        ...(b.events ? { events: b.events } : {}),
        ...(b.short_half_life ? { shortHalfLife: b.short_half_life } : {}),
        ...(b.long_half_life ? { longHalfLife: b.long_half_life } : {}),
        ...(b.recent ? { recent: b.recent } : {}),
        ...(b.as_of ? { asOf: b.as_of } : {}),
        ...(b.min_events ? { minEvents: b.min_events } : {}),
        ...(b.thresholds ? { thresholds: b.thresholds } : {}),
        ...(b.categories ? { categories: b.categories } : {}),
      });
    },
  );

  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof DecayQuery> }>(
    '/v1/projects/:project/profile-decay',
    { schema: { summary: 'Per-user distance between recent behaviour and the long-term profile', params: Params, querystring: DecayQuery, response: responses } },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      const q = req.query;
      return profileDecay(ctx.store, {
        project: req.params.project,
        ...(q.events ? { events: q.events } : {}),
        ...(q.short_half_life ? { shortHalfLife: q.short_half_life } : {}),
        ...(q.long_half_life ? { longHalfLife: q.long_half_life } : {}),
        ...(q.recent ? { recent: q.recent } : {}),
        ...(q.as_of ? { asOf: q.as_of } : {}),
        ...(q.min_events ? { minEvents: q.min_events } : {}),
        thresholds: {
          ...(q.alpha !== undefined ? { alpha: q.alpha } : {}),
          ...(q.min_distance !== undefined ? { min_distance: q.min_distance } : {}),
          ...(q.changed_share !== undefined ? { changed_share: q.changed_share } : {}),
        },
      });
    },
  );
};
