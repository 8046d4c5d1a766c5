/**
 * POST /v1/projects/:project/ope: off-policy evaluation of target policies on a project's logged rounds.
 * Target policies come as `{"uniform": true}`, as CSV text in the --target-probs layouts (`{"name", "csv"}`), or as
 * long records (`{"name", "probabilities": [{round, action, position, probability}, ...]}`); see docs/ope.md.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorBody, ProjectName } from '../../events/schemas.js';
import { UserError } from '../../errors.js';
import {
  DEFAULT_OPE_THRESHOLDS,
  OPE_ESTIMATORS,
  SLATE_ESTIMATORS,
  parseTargetCsv,
  targetTableFromRecords,
  type OpeOptions,
  type TargetSpec,
} from '../../analyses/ope/index.js';
import type { AppContext } from '../app.js';
import { authorizeProject } from '../auth.js';
import { ResultSchema } from '../result-schema.js';

const Params = Type.Object({ project: ProjectName });

const ProbabilityRow = Type.Object(
  {
    round: Type.Optional(Type.Integer({ minimum: 0, description: '0-based index of the logged round (decision), in time order' })),
    request_id: Type.Optional(Type.String({ minLength: 1, description: 'names the round by request id instead of index' })),
    action: Type.String({ minLength: 1 }),
    position: Type.Optional(Type.Integer({ description: 'the position as logged; absent = every position of the round' })),
    probability: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);

export const OpeTarget = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    uniform: Type.Optional(Type.Literal(true, { description: 'equal probability over the logged actions at every position' })),
    csv: Type.Optional(Type.String({ description: 'a --target-probs file: long (round,action,position,probability) or wide (round,<action>,...)' })),
    probabilities: Type.Optional(Type.Array(ProbabilityRow, { minItems: 1 })),
  },
  { additionalProperties: false, description: 'exactly one of uniform, csv, probabilities' },
);

const Thresholds = Type.Partial(
  Type.Object(Object.fromEntries(Object.keys(DEFAULT_OPE_THRESHOLDS).map((k) => [k, Type.Number({ minimum: 0 })])), { additionalProperties: false }),
);

export const OpeBody = Type.Object(
  {
    targets: Type.Optional(Type.Array(OpeTarget, { minItems: 1, maxItems: 32, description: 'default: [{"uniform": true}]' })),
    estimators: Type.Optional(Type.Array(Type.Union([...OPE_ESTIMATORS, ...SLATE_ESTIMATORS].map((e) => Type.Literal(e))), { minItems: 1, description: 'default: all seven; in slate mode iips, pbm' })),
    bootstrap: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'resamples, default 1000; 0 = normal intervals only' })),
    seed: Type.Optional(Type.Integer()),
    clip: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    tau: Type.Optional(Type.Number({ minimum: 0 })),
    lambda: Type.Optional(Type.Number({ minimum: 0 })),
    reward_model: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('logistic'), Type.Literal('ridge'), Type.Literal('none')])),
    predictions_column: Type.Optional(Type.String({ minLength: 1, description: 'reward predictions from decision attributes <col><action>' })),
    context: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'numeric decision attributes the reward model uses' })),
    reward: Type.Optional(Type.Union([Type.Literal('binary'), Type.Literal('value')])),
    outcome_kinds: Type.Optional(Type.Array(Type.String(), { description: 'outcome kinds that make the reward; default all but the negative ones' })),
    since: Type.Optional(Type.String({ description: 'A date or RFC 3339 time (UTC unless an offset is given).' })),
    until: Type.Optional(Type.String({ description: 'A date or RFC 3339 time; exclusive.' })),
    policy_version: Type.Optional(Type.String()),
    rank_by: Type.Optional(Type.String({ description: 'the estimator that ranks targets; default snipw' })),
    thresholds: Type.Optional(Thresholds),
    slate: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object(
          {
            examination: Type.Optional(Type.Array(Type.Number({ minimum: 0 }), { minItems: 1, description: 'pbm examination probability per logged position, ascending; default estimated' })),
            logging: Type.Optional(Type.Omit(OpeTarget, ['uniform'], { description: "the logging policy's probabilities of every item at every position, for pbm" })),
          },
          { additionalProperties: false },
        ),
      ], { description: 'slate mode: a round is a whole decision; estimators iips and pbm' }),
    ),
  },
  { additionalProperties: false },
);
export type OpeBodyT = Static<typeof OpeBody>;

/** Target specs from a request body (throws UserError, answered with 400). */
export function targetsFromBody(targets: Array<Static<typeof OpeTarget>> | undefined, field = 'targets'): TargetSpec[] | undefined {
  if (targets === undefined) return undefined;
  return targets.map((t, i) => {
    const where = field === 'targets' ? `targets[${i}]` : field;
    const given = [t.uniform !== undefined, t.csv !== undefined, t.probabilities !== undefined].filter(Boolean).length;
    if (given !== 1) throw new UserError(`${where}: give exactly one of uniform, csv, probabilities`);
    if (t.uniform) return t.name === undefined ? { kind: 'uniform' } : { kind: 'uniform', name: t.name };
    const name = t.name ?? (field === 'targets' ? `target${i + 1}` : 'logging');
    if (t.csv !== undefined) return { kind: 'table', name, table: parseTargetCsv(`${where} (${name})`, t.csv) };
    const rows = t.probabilities!;
    const byRequest = rows[0]!.request_id !== undefined;
    const records = rows.map((p, j) => {
      if ((p.request_id !== undefined) !== byRequest || (p.round === undefined) === (p.request_id === undefined)) {
        throw new UserError(`${where}.probabilities[${j}]: give round or request_id (the same one for every row)`);
      }
      return { line: j, round: byRequest ? p.request_id! : String(p.round), action: p.action, position: p.position === undefined ? null : String(p.position), probability: p.probability };
    });
    return { kind: 'table', name, table: targetTableFromRecords(`${where} (${name})`, byRequest ? 'request_id' : 'round', records, 'item') };
  });
}

/** Analysis options from a request body (snake_case, like every route). */
export function opeOptionsFromBody(project: string, b: OpeBodyT): OpeOptions {
  const targets = targetsFromBody(b.targets);
  return {
    project,
    ...(targets ? { targets } : {}),
    ...(b.estimators ? { estimators: b.estimators } : {}),
    ...(b.bootstrap !== undefined ? { bootstrap: b.bootstrap } : {}),
    ...(b.seed !== undefined ? { seed: b.seed } : {}),
    ...(b.clip !== undefined ? { clip: b.clip } : {}),
    ...(b.tau !== undefined ? { tau: b.tau } : {}),
    ...(b.lambda !== undefined ? { lambda: b.lambda } : {}),
    ...(b.reward_model ? { rewardModel: b.reward_model } : {}),
    ...(b.predictions_column ? { predictionsColumn: b.predictions_column } : {}),
    ...(b.context ? { context: b.context } : {}),
    ...(b.reward ? { reward: b.reward } : {}),
    ...(b.outcome_kinds ? { outcomeKinds: b.outcome_kinds } : {}),
    ...(b.since ? { since: b.since } : {}),
    ...(b.until ? { until: b.until } : {}),
    ...(b.policy_version !== undefined ? { policyVersion: b.policy_version } : {}),
    ...(b.rank_by ? { rankBy: b.rank_by } : {}),
    ...(b.thresholds ? { thresholds: b.thresholds } : {}),
    ...(b.slate === true || typeof b.slate === 'object' ? { slate: slateFromBody(b.slate) } : {}),
  };
}

function slateFromBody(slate: true | { examination?: number[]; logging?: Omit<Static<typeof OpeTarget>, 'uniform'> }): OpeOptions['slate'] {
  if (slate === true) return true;
  const logging = slate.logging === undefined ? undefined : targetsFromBody([slate.logging], 'slate.logging')![0];
  return { ...(slate.examination ? { examination: slate.examination } : {}), ...(logging ? { logging } : {}) };
}

export const opePlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post<{ Params: Static<typeof Params>; Body: OpeBodyT }>(
    '/v1/projects/:project/ope',
    {
      schema: {
        summary: 'Off-policy evaluation: estimated value of target policies from the logged rounds, with diagnostics',
        params: Params,
        body: OpeBody,
        response: { 200: ResultSchema, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      return ctx.analyses.ope(ctx.store, opeOptionsFromBody(req.params.project, req.body ?? {}));
    },
  );
};
