/**
 * Bearer-token authentication. A project API key reads and writes only its own project; the admin token (random per
 * server start, written with mode 0600 next to the store) lets the local CLI reach a server that holds the store.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/store.js';

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/** Resolves the caller's project from its key, or replies 401 and returns null. */
export async function projectOf(store: Store, req: FastifyRequest, reply: FastifyReply): Promise<string | null> {
  const key = bearer(req);
  if (!key) {
    await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'send an API key as "Authorization: Bearer <key>" (create one with: loopguard keys create --project <name>)' });
    return null;
  }
  const project = await store.projectForKey(key);
  if (!project) {
    await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'unknown or revoked API key' });
    return null;
  }
  return project;
}

/**
 * Like projectOf, and also replies 403 when the key belongs to another project than the one in the URL. The server's
 * admin token (held by the local CLI) may read every project.
 */
export async function authorizeProject(
  ctx: { store: Store; adminToken?: string },
  req: FastifyRequest,
  reply: FastifyReply,
  project: string,
): Promise<boolean> {
  const token = bearer(req);
  if (token && ctx.adminToken && sameSecret(token, ctx.adminToken)) return true;
  const own = await projectOf(ctx.store, req, reply);
  if (own === null) return false;
  if (own !== project) {
    await reply.code(403).send({ error: 'forbidden', message: `this API key belongs to another project and cannot read or write project '${project}'` });
    return false;
  }
  return true;
}
