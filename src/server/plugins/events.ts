/**
 * POST /v1/events: a batch of events as a JSON array or NDJSON. Every event is validated on its own: the valid ones
 * are stored (once: event_id is the idempotency key) and every rejected one is listed with its index, field and reason.
 * 200 when anything was valid, 422 when every event was rejected; 2xx only after the commit.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { AnyEvent, ErrorBody, IngestResponse } from '../../events/schemas.js';
import { validateBatch } from '../../events/validate.js';
import type { AppContext } from '../app.js';
import { projectOf } from '../auth.js';
import { OverloadedError } from '../write-queue.js';

export class BodyError extends Error {
  statusCode = 400;
}

export function parseNdjson(body: string): unknown[] {
  const out: unknown[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw new BodyError(`line ${i + 1} of the NDJSON body is not valid JSON: ${(err as Error).message}`);
    }
  }
  return out;
}

export const eventsPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  for (const type of ['application/x-ndjson', 'application/jsonl', 'application/ndjson'])
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseNdjson(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });

  let inFlight = 0;
  app.post(
    '/v1/events',
    {
      schema: {
        summary: 'Send a batch of events',
        description: 'A JSON array of events, or NDJSON (application/x-ndjson) with one event per line.',
        body: Type.Array(AnyEvent),
        response: {
          200: IngestResponse, 422: IngestResponse, 400: ErrorBody, 401: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody, 503: ErrorBody,
        },
      },
      // Documented with the full schema, validated event by event in the handler (so valid events are kept).
      validatorCompiler: () => () => true,
      onRequest: async (req, reply) => {
        if (inFlight >= ctx.limits.maxInFlight)
          return reply.code(429).header('retry-after', '1').send({ error: 'too_many_requests', message: `more than ${ctx.limits.maxInFlight} batches in flight; retry after a second` });
        const project = await projectOf(ctx.store, req, reply);
        if (project === null) return reply;
        (req as typeof req & { project: string }).project = project;
        inFlight++;
        req.raw.once('close', () => inFlight--);
        return undefined;
      },
    },
    async (req, reply) => {
      const project = (req as typeof req & { project: string }).project;
      const body = req.body;
      if (!Array.isArray(body))
        return reply.code(400).send({ error: 'bad_request', message: 'expected a JSON array of events (or NDJSON with one event per line)' });
      if (body.length === 0) return reply.code(400).send({ error: 'bad_request', message: 'the batch is empty' });
      if (body.length > ctx.limits.maxBatchEvents)
        return reply.code(413).send({ error: 'payload_too_large', message: `a batch holds at most ${ctx.limits.maxBatchEvents} events (got ${body.length}); split it` });
      const v = validateBatch(body);
      let counts = { stored: 0, duplicates: 0 };
      try {
        counts = await ctx.queue.submit(project, v.valid);
      } catch (err) {
        if (err instanceof OverloadedError)
          return reply.code(503).header('retry-after', '1').send({ error: 'overloaded', message: err.message });
        throw err;
      }
      const rejectedEvents = new Set(v.rejected.map((r) => r.index)).size;
      const res = { received: body.length, stored: counts.stored, duplicates: counts.duplicates, rejected: rejectedEvents, errors: v.rejected };
      return reply.code(v.valid.length === 0 ? 422 : 200).send(res);
    },
  );
};
