/** The one Result shape of every analysis, as a TypeBox schema for responses and the OpenAPI document. */
import { Type } from '@sinclair/typebox';

const Group = Type.Record(Type.String(), Type.String(), { description: 'What the metric is split by, e.g. {"policy_version": "v3"}' });
const Status = Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail'), Type.Literal('unknown')]);

export const ResultSchema = Type.Object({
  analysis: Type.String(),
  inputs: Type.Record(Type.String(), Type.Unknown()),
  metrics: Type.Array(
    Type.Object({
      name: Type.String(),
      value: Type.Union([Type.Number(), Type.Null()]),
      ci: Type.Optional(Type.Tuple([Type.Number(), Type.Number()])),
      n: Type.Optional(Type.Number()),
      group: Type.Optional(Group),
      unit: Type.Optional(Type.String()),
    }),
  ),
  verdicts: Type.Array(
    Type.Object({
      check: Type.String(),
      status: Status,
      value: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
      threshold: Type.Optional(Type.Number()),
      group: Type.Optional(Group),
      message: Type.String(),
    }),
  ),
});
