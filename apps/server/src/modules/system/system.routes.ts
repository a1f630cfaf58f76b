import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import { type App, problems, SECURITY } from '../../http.js';
import { sendProblem } from '../../plugins/error-handler.js';
import type { SharedState } from '../../shared-state.js';
import type { Storage } from '../../storage/database.js';

export async function systemRoutes(
  app: App,
  { storage, shared }: { storage: Storage; shared: Pick<SharedState, 'health'> },
): Promise<void> {
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
          'For a readiness probe or a load balancer: 200 once the database answers a query, 503 NOT_READY while it does not. With REDIS_URL, `redis` says whether Redis answers; the server serves without it (each process then limits on its own), so it does not make the answer 503.',
        response: {
          200: Type.Object(
            {
              status: Type.Literal('ready'),
              database: Type.String({ description: 'The dialect in use: sqlite or postgres.' }),
              redis: Type.Optional(
                Type.Union([Type.Literal('ok'), Type.Literal('unreachable')], {
                  description: 'With REDIS_URL only: whether the shared Redis answers a PING.',
                }),
              ),
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
      const redis = await shared.health();
      return {
        status: 'ready' as const,
        database: storage.dialect,
        ...(redis === undefined ? {} : { redis }),
      };
    },
  );

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
