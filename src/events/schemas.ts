/**
 * The event contract between a user's serving code and Loopguard, defined once in TypeBox: the same definitions give
 * run-time validation, TypeScript types and the OpenAPI document (docs/openapi.json, `loopguard openapi`).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const LIMITS = {
  idLength: 128,
  nameLength: 256,
  attributeKeys: 100,
  attributeKeyLength: 64,
  attributeStringLength: 1024,
  shownItems: 1000,
  candidates: 10_000,
  classes: 1000,
  /**
   * The smallest propensity: its importance weight 1 / p (1e300) and sums of such weights stay finite, where 1 / p of a
   * denormal such as 5e-324 is Infinity and broke every analysis of the project. The SDK's policies log no less.
   */
  minPropensity: 1e-300,
  /** Timestamps may run ahead of the server's clock by at most this much (clock skew), in ms. */
  futureSkewMs: 24 * 3600 * 1000,
} as const;

/** Strings that are identifiers: non-empty, bounded, no control characters. */
const Id = (description: string, maxLength: number = LIMITS.idLength) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001f]+$', description });

const Timestamp = Type.String({
  format: 'date-time',
  maxLength: 40,
  description:
    'RFC 3339 time, e.g. 2026-01-02T03:04:05.678Z; a space may stand for T; no offset means UTC. At most 24 h in the future.',
  examples: ['2026-01-02T03:04:05.678Z'],
});

/** The fields every event starts with: its type, its idempotency key, its time and the request it belongs to. */
const header = <T extends string>(type: T, requestId: string) => ({
  type: Type.Literal(type),
  event_id: Id('Client-made unique id; the idempotency key.'),
  ts: Timestamp,
  request_id: Id(requestId),
});

export const AttributeValue = Type.Union([
  Type.String({ maxLength: LIMITS.attributeStringLength }),
  Type.Number(),
  Type.Boolean(),
], { description: 'a string, number or boolean' });

export const Attributes = Type.Record(
  Type.String({ minLength: 1, maxLength: LIMITS.attributeKeyLength, pattern: '^[^\\u0000-\\u001f]+$' }),
  AttributeValue,
  {
    maxProperties: LIMITS.attributeKeys,
    description: 'Flat map of string, number or boolean, used for slicing and fairness (e.g. {"country": "DE", "age": 31}).',
  },
);

export { LABEL_SOURCES, NEGATIVE_OUTCOME_KINDS, OUTCOME_KINDS, STRATEGIES } from './kinds.js';
import { LABEL_SOURCES, OUTCOME_KINDS, STRATEGIES } from './kinds.js';

const literalUnion = <T extends readonly string[]>(values: T, description: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), { description });

export const ShownItem = Type.Object(
  {
    item_id: Id('The item shown.'),
    position: Type.Integer({ minimum: 0, maximum: 100_000, description: 'Slot it was shown in (1 = first; 0-based is fine if used consistently).' }),
    propensity: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      description: 'Probability that the logging policy put this item at this position, 0 < p <= 1.',
    }),
    score: Type.Optional(Type.Number({ description: "The model's score for the item." })),
    explored: Type.Boolean({ description: 'True when exploration, not the model ranking, put the item here.' }),
  },
  { additionalProperties: false },
);

export const DecisionEvent = Type.Object(
  {
    ...header('decision', 'Joins outcomes, predictions and labels to this decision.'),
    user_id: Id('Pseudonymous user id.', LIMITS.nameLength),
    session_id: Type.Optional(Id('Session id.', LIMITS.nameLength)),
    surface: Id('Where the decision was shown (e.g. home_feed).', LIMITS.nameLength),
    policy: Id('Name of the deciding policy or model family.', LIMITS.nameLength),
    policy_version: Id('Version of the policy or model.', LIMITS.nameLength),
    strategy: literalUnion(STRATEGIES, 'How the slate was chosen.'),
    attributes: Type.Optional(Attributes),
    candidates: Type.Optional(
      Type.Array(Id('Candidate item id.'), { maxItems: LIMITS.candidates, description: 'Item ids considered.' }),
    ),
    shown: Type.Array(ShownItem, { minItems: 1, maxItems: LIMITS.shownItems, description: 'What was shown, one entry per slot.' }),
  },
  { additionalProperties: false, description: 'One per request in which a model or policy chose what to show or do.' },
);

export const OutcomeKind = Type.Union(
  [
    literalUnion(OUTCOME_KINDS, 'Built-in outcome kind.'),
    Type.String({ pattern: '^custom:[A-Za-z0-9_.-]{1,64}$', description: 'custom:<name>' }),
  ],
  { description: `one of ${OUTCOME_KINDS.join(', ')} or custom:<name>` },
);

export const OutcomeEvent = Type.Object(
  {
    ...header('outcome', 'The decision this outcome follows.'),
    item_id: Type.Optional(Id('The item acted on, if any.')),
    kind: OutcomeKind,
    value: Type.Number({ description: 'Size of the outcome: 1 for a click, milliseconds for dwell_ms, the rating, ...' }),
  },
  { additionalProperties: false, description: 'What a user did after a decision.' },
);

export const PredictionEvent = Type.Object(
  {
    ...header('prediction', 'Joins the label that arrives later.'),
    model_version: Id('Model version.', LIMITS.nameLength),
    attributes: Type.Optional(Attributes),
    score: Type.Optional(Type.Number({ description: 'Score of a scorer or binary classifier.' })),
    probabilities: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), Type.Number({ minimum: 0, maximum: 1 }), {
        maxProperties: LIMITS.classes,
        description: 'Class probabilities, each in [0, 1].',
      }),
    ),
    predicted_label: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameLength })),
  },
  { additionalProperties: false, description: 'A classifier or scorer output; needs score or probabilities.' },
);

export const LabelEvent = Type.Object(
  {
    ...header('label', 'The prediction or decision this label is the ground truth for.'),
    label: Type.Union([Type.String({ minLength: 1, maxLength: LIMITS.nameLength }), Type.Number(), Type.Boolean()]),
    source: literalUnion(LABEL_SOURCES, 'Who labelled.'),
    annotator_id: Type.Optional(Id('Annotator.', LIMITS.nameLength)),
  },
  { additionalProperties: false, description: 'Ground truth arriving later for a request_id.' },
);

export const EVENT_TYPES = ['decision', 'outcome', 'prediction', 'label'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EventSchemas: Record<EventType, TSchema> = {
  decision: DecisionEvent,
  outcome: OutcomeEvent,
  prediction: PredictionEvent,
  label: LabelEvent,
};

export const AnyEvent = Type.Union([DecisionEvent, OutcomeEvent, PredictionEvent, LabelEvent]);

export type DecisionEvent = Static<typeof DecisionEvent>;
export type OutcomeEvent = Static<typeof OutcomeEvent>;
export type PredictionEvent = Static<typeof PredictionEvent>;
export type LabelEvent = Static<typeof LabelEvent>;
export type AnyEvent = Static<typeof AnyEvent>;
export type ShownItem = Static<typeof ShownItem>;

export const ProjectName = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: 'Project: lower-case letters, digits, _ and -, up to 64 characters.',
});

export const Rejection = Type.Object({
  index: Type.Integer({ description: 'Position of the event in the batch (0-based).' }),
  path: Type.String({ description: 'JSON pointer of the offending field, e.g. /shown/0/propensity.' }),
  reason: Type.String(),
});
export type Rejection = Static<typeof Rejection>;

export const IngestResponse = Type.Object({
  received: Type.Integer(),
  stored: Type.Integer({ description: 'New events committed to the store.' }),
  duplicates: Type.Integer({ description: 'Events whose event_id was already stored (or repeated in the batch).' }),
  rejected: Type.Integer(),
  errors: Type.Array(Rejection),
});
export type IngestResponse = Static<typeof IngestResponse>;

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'Machine-readable code: bad_request, unauthorized, forbidden, payload_too_large, ...' }),
  message: Type.String({ description: 'What went wrong and what to do.' }),
});
