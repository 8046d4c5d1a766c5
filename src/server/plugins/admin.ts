/**
 * Admin routes for the local CLI while the server holds the store (DuckDB lets one process open the file). They take
 * the per-start admin token from the discovery file next to the store, never a project key.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ProjectName } from '../../events/schemas.js';
import { FILE_KINDS } from '../../store/store.js';
import type { AppContext } from '../app.js';
import { bearer, sameSecret } from '../auth.js';

const KeyRequest = Type.Object({ project: ProjectName }, { additionalProperties: false });
const IngestRequest = Type.Object(
  {
    project: ProjectName,
    path: Type.String({ minLength: 1 }),
    kind: Type.Union(FILE_KINDS.map((k) => Type.Literal(k))),
    map: Type.Optional(Type.Record(Type.String(), Type.String())),
    set: Type.Optional(Type.Record(Type.String(), Type.String())),
    skipBad: Type.Optional(Type.Boolean()),
    rejectsPath: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const adminPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', async (req, reply) => {
    const token = bearer(req);
    if (!token || !ctx.adminToken || !sameSecret(token, ctx.adminToken))
      return reply.code(401).send({ error: 'unauthorized', message: 'admin routes need the admin token of this server' });
    return undefined;
  });
  app.post<{ Body: Static<typeof KeyRequest> }>(
    '/v1/admin/keys',
    { schema: { hide: true, body: KeyRequest } },
    async (req) => {
      const { key, keyId } = await ctx.store.createApiKey(req.body.project);
      return { project: req.body.project, key_id: keyId, key };
    },
  );
  app.post<{ Body: Static<typeof IngestRequest> }>(
    '/v1/admin/ingest',
    { schema: { hide: true, body: IngestRequest } },
    async (req) => ctx.store.ingestFile(req.body),
  );
};
