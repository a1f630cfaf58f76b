import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import { type App, errorResponses } from '../../http.js';
import { sendProblem } from '../../plugins/error-handler.js';
import type { Storage } from '../../storage/database.js';

export async function systemRoutes(app: App, { storage }: { storage: Storage }): Promise<void> {
  const tags = ['System'];

  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Readiness: the database answers',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }),
          ...errorResponses,
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
