import { Type } from '@sinclair/typebox';
import {
  type App,
  ProjectParams,
  problems,
  READER_ERRORS,
  type RouteDeps,
  SECURITY,
} from '../../http.js';
import { METRIC_EXAMPLE } from '../metrics/metrics.schemas.js';
import { type LiveHub, RETRY_MS } from './live-hub.js';

const STREAM_DESCRIPTION = [
  'A Server-Sent Events stream of the project (`text/event-stream`). It opens with',
  `\`retry: ${RETRY_MS}\` and \`event: hello\` (\`{ "projectId" }\`). After events are committed,`,
  '`event: metrics` carries `{ "metrics": [Metric, …] }`: the metrics that changed, with their',
  'committed totals, at most one message per project every 250 ms and within a second of the',
  'commit. A `: ping` comment comes every 15 seconds. Authenticate with a session cookie of a',
  'member or `Authorization: Bearer` with a read key; errors are problem documents, sent before',
  'the stream starts.',
].join(' ');

export async function liveRoutes(
  app: App,
  { services, reader, live }: RouteDeps & { live: LiveHub },
): Promise<void> {
  app.get(
    '/api/projects/:projectId/live',
    {
      schema: {
        tags: ['Live'],
        summary: 'Live metric updates, as Server-Sent Events',
        description: STREAM_DESCRIPTION,
        security: SECURITY.reader,
        params: ProjectParams,
        response: {
          200: {
            description: 'The event stream; it stays open until the client or the server leaves.',
            content: {
              'text/event-stream': {
                schema: Type.String({ description: 'Server-Sent Events frames.' }),
                example: [
                  `retry: ${RETRY_MS}`,
                  '',
                  'event: hello',
                  `data: ${JSON.stringify({ projectId: METRIC_EXAMPLE.projectId })}`,
                  '',
                  'event: metrics',
                  `data: ${JSON.stringify({ metrics: [METRIC_EXAMPLE] })}`,
                  '',
                  ': ping',
                  '',
                  '',
                ].join('\n'),
              },
            },
          },
          ...problems(READER_ERRORS, 'PROJECT_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const { projectId } = request.params;
      // Access is checked once, at connect: a key revoked or a member removed later keeps its
      // open stream until the client or the server ends it; every reconnection checks again.
      await services.projects.getProject(actor, projectId);

      // Headers set so far (x-request-id, a slid session cookie) go out with the stream's own.
      const headers = reply.getHeaders();
      reply.hijack();
      for (const [name, value] of Object.entries(headers)) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      request.raw.once('close', live.subscribe(projectId, reply.raw));
    },
  );
}
