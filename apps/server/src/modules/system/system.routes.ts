import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import { type App, problems, SECURITY } from '../../http.js';
import { sendProblem } from '../../plugins/error-handler.js';
import type { Storage } from '../../storage/database.js';

export async function systemRoutes(app: App, { storage }: { storage: Storage }): Promise<void> {
  const tags = ['System'];

  app.get(
    '/healthz',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Liveness: the process answers',
        description:
          'For a liveness probe: 200 while the process can answer at all, whatever the database does.',
        response: {
          200: Type.Object(
            { status: Type.Literal('ok') },
            { description: 'The process is alive.', examples: [{ status: 'ok' }] },
          ),
          ...problems(),
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Readiness: the database answers',
        description:
          'For a readiness probe or a load balancer: 200 once the database answers a query, 503 NOT_READY while it does not.',
        response: {
          200: Type.Object(
            {
              status: Type.Literal('ready'),
              database: Type.String({ description: 'The dialect in use: sqlite or postgres.' }),
            },
            {
              description: 'Ready to serve.',
              examples: [{ status: 'ready', database: 'sqlite' }],
            },
          ),
          ...problems('NOT_READY'),
        },
      },
    },
    async (_request, reply) => {
      if (!(await storage.ping())) {
        return sendProblem(reply, new AppError('NOT_READY', 'The database does not answer.'));
      }
      return { status: 'ready' as const, database: storage.dialect };
    },
  );

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
