/** Read routes of one project; the key must belong to it. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorBody, ProjectName } from '../../events/schemas.js';
import type { AppContext } from '../app.js';
import { authorizeProject } from '../auth.js';

const Counts = {
  decision: Type.Integer(), exposure: Type.Integer({ description: 'Shown items (decisions flattened)' }), outcome: Type.Integer(),
  prediction: Type.Integer(), label: Type.Integer(),
};
export const StatsResponse = Type.Object({
  project: Type.String(),
  totals: Type.Object(Counts),
  by_day: Type.Array(Type.Object({ day: Type.String({ description: 'YYYY-MM-DD (UTC)' }), ...Counts })),
});

export const projectsPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Params: { project: string } }>(
    '/v1/projects/:project/stats',
    {
      schema: {
        summary: 'Event counts of a project by type and day',
        params: Type.Object({ project: ProjectName }),
        response: { 200: StatsResponse, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (req, reply) => {
      if (!(await authorizeProject(ctx, req, reply, req.params.project))) return reply;
      return ctx.store.projectStats(req.params.project);
    },
  );
};
