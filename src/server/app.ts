/**
 * The HTTP face: a Fastify app built from plugins, one per route group. It never computes anything itself; it parses,
 * authenticates, validates and hands work to the store or the analyses.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import AjvCompiler from '@fastify/ajv-compiler';
import { UserError, type Store } from '../store/store.js';
import { StoreClosingError } from '../errors.js';
import { WriteQueue } from './write-queue.js';
import { AnalysisWorker } from './analysis-worker.js';
import { eventsPlugin } from './plugins/events.js';
import { projectsPlugin } from './plugins/projects.js';
import { adminPlugin } from './plugins/admin.js';
import { loopHealthPlugin } from './plugins/loop-health.js';
import { opePlugin } from './plugins/ope.js';
import { dashboardPlugin, type DashboardOptions } from './plugins/dashboard.js';
import { VERSION } from '../version.js';
import { decodeBody, UNSUPPORTED_ENCODING } from './content-encoding.js';

export interface AppOptions {
  store: Store;
  /** Largest request body in bytes. */
  bodyLimit?: number;
  /** Most events in one batch. */
  maxBatchEvents?: number;
  /** Most event batches being received or written at once before new ones get 429. */
  maxInFlight?: number;
  /** Most events waiting for a commit before new batches get 503. */
  maxPendingEvents?: number;
  /** Admin token for the local CLI; admin routes are off without it. */
  adminToken?: string;
  logger?: boolean;
  /** The dashboard at / and its cached read routes. */
  dashboard?: DashboardOptions;
}

export interface AppContext {
  store: Store;
  queue: WriteQueue;
  /** Off-policy evaluation on its own thread, so that it never holds up ingest (analysis-worker.ts). */
  analyses: AnalysisWorker;
  limits: { bodyLimit: number; maxBatchEvents: number; maxInFlight: number };
  adminToken?: string;
}

const buildValidators = AjvCompiler();

export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; ctx: AppContext }> {
  const bodyLimit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const ctx: AppContext = {
    store: opts.store,
    queue: new WriteQueue(opts.store, { maxPendingEvents: opts.maxPendingEvents ?? 200_000, maxEventsPerCommit: 50_000 }),
    analyses: new AnalysisWorker(),
    limits: { bodyLimit, maxBatchEvents: opts.maxBatchEvents ?? 10_000, maxInFlight: opts.maxInFlight ?? 64 },
    ...(opts.adminToken ? { adminToken: opts.adminToken } : {}),
  };
  const app = Fastify({
    bodyLimit,
    // Plain JSON.parse: every event is checked against a closed schema, so keys such as __proto__ are refused there.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    logger: opts.logger ? { level: 'info', stream: process.stderr } : false,
    // The body schema of POST /v1/events documents the contract; events are validated one by one in the handler.
    // Unknown fields are refused, not silently dropped (Fastify's default strips them).
    ajv: { customOptions: { allErrors: false, removeAdditional: false } },
    // Bodies are JSON, so a field that is a number or a boolean must be sent as one: "100" for a number is a 400 that
    // names the field, not silently read as 100 (Fastify's default coerces). Query strings and path parameters are
    // text by nature and keep the default coercion ("?bootstrap=100").
    schemaController: {
      compilersFactory: {
        // (the types of @fastify/ajv-compiler and of Fastify's ValidatorFactory do not line up; both call the
        // compiler with the route definition, {schema, method, url, httpPart})
        buildValidator: ((externalSchemas: unknown, options: { customOptions?: object } | undefined) => {
          const build = buildValidators as unknown as (e: unknown, o: unknown) => (route: { httpPart?: string }) => unknown;
          const coercing = build(externalSchemas, options);
          const strict = build(externalSchemas, { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } });
          return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route);
        }) as never,
      },
    },
  });
  // Bodies are JSON or NDJSON only: text/plain (which Fastify parses by default) is a 415 like any other type.
  app.removeContentTypeParser('text/plain');
  app.addHook('preParsing', async (req, _reply, payload) => decodeBody(req.headers['content-encoding'], payload));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Loopguard API',
        version: VERSION,
        description: 'Log what a model showed and what users did next; read back feedback-loop health. See docs/events.md.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A project API key' } } },
      security: [{ apiKey: [] }],
    },
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof UserError) return reply.code(400).send({ error: 'bad_request', message: err.message });
    if (err instanceof StoreClosingError)
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'the server is stopping; retry shortly' });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: 'payload_too_large', message: `request body exceeds ${bodyLimit} bytes; send smaller batches` });
    if (err.code === UNSUPPORTED_ENCODING) return reply.code(415).send({ error: 'unsupported_media_type', message: err.message });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'send application/json (an array of events) or application/x-ndjson (one event per line)' });
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return reply.code(400).send({ error: 'bad_request', message: 'the body is empty; send an array of events' });
    if (err.validation) return reply.code(400).send({ error: 'bad_request', message: validationMessage(err) });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: 'bad_request', message: err.message });
    req.log.error(err);
    if (!opts.logger) process.stderr.write(`loopguard: internal error on ${req.method} ${req.url}: ${err.stack ?? err.message}\n`);
    const message = req.url.startsWith('/v1/events')
      ? 'internal error; the events of this request were not stored, retry later'
      : 'internal error; nothing was changed; the server log has the details';
    return reply.code(500).send({ error: 'internal', message });
  });

  app.get('/v1/health', { schema: { security: [], response: { 200: { type: 'object', properties: { status: { type: 'string' }, version: { type: 'string' } } } } } }, async () => ({
    status: 'ok',
    version: VERSION,
  }));
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(eventsPlugin, { ctx });
  await app.register(projectsPlugin, { ctx });
  await app.register(loopHealthPlugin, { ctx });
  await app.register(opePlugin, { ctx });
  await app.register((await import('./plugins/drift.js')).driftPlugin, { ctx });
  await app.register(dashboardPlugin, { ctx, ...(opts.dashboard ? { dashboard: opts.dashboard } : {}) });
  if (ctx.adminToken) await app.register(adminPlugin, { ctx });

  app.addHook('onClose', async () => {
    await ctx.queue.drain();
    await ctx.analyses.close();
  });
  return { app, ctx };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * One sentence per field from Ajv's errors: a union of literals as the values it allows ("window must be one of day,
 * week"), an unknown property by its name, anything else as Ajv words it; Ajv's own message said "must be equal to
 * constant" once per literal and named no unknown parameter.
 */
export function validationMessage(err: FastifyError): string {
  const errors = (err.validation ?? []) as unknown as AjvError[];
  const where = (err as FastifyError & { validationContext?: string }).validationContext ?? 'request';
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const parts: string[] = [];
  for (const [p, es] of byPath) {
    const field = p ? p.replace(/^\//, '').replace(/\//g, '.') : where;
    const allowed = es.filter((e) => e.keyword === 'const').map((e) => String(e.params.allowedValue));
    const extra = es.filter((e) => e.keyword === 'additionalProperties').map((e) => String(e.params.additionalProperty));
    if (extra.length) parts.push(`unknown ${where === 'body' ? 'field' : 'parameter'} ${extra.map((x) => `'${x}'`).join(', ')}${p ? ` in ${field}` : ''}`);
    else if (allowed.length) parts.push(`${field} must be one of ${allowed.join(', ')}`);
    else {
      const e = es.find((x) => x.keyword !== 'anyOf') ?? es[0]!;
      parts.push(`${field} ${e.message ?? 'is not valid'}`);
    }
  }
  return parts.length ? parts.join('; ') : err.message;
}
