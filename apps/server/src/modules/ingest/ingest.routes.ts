import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../errors.js';
import { type App, errorResponses } from '../../http.js';
import type { IngestReply, IngestService } from './ingest.service.js';
import { markOverlongNumbers } from './json-numbers.js';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers':
    'RateLimit, RateLimit-Policy, Retry-After, X-Request-Id, Idempotent-Replayed',
};
const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key',
  'access-control-max-age': '86400',
};

const EventBody = Type.Object(
  {
    value: Type.Number({
      description: 'Up to 6 decimal places and 15 significant digits.',
      examples: [100],
    }),
    filters: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Up to 10 filters; keys and values are trimmed and lower-cased.',
        examples: [{ country: 'fr', plan: 'pro' }],
      }),
    ),
    timestamp: Type.Optional(
      Type.Union(
        [Type.String({ format: 'date-time' }), Type.Integer({ description: 'Epoch ms.' })],
        {
          description: 'When the event happened; up to the backfill window back, 5 minutes ahead.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const headersSchema = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer <ingest API key>' })),
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Makes retries safe for 24 hours.' }),
  ),
});

function send(reply: FastifyReply, result: IngestReply): FastifyReply {
  return reply.code(result.status).headers(result.headers).send(result.body);
}

export async function ingestRoutes(
  app: App,
  { ingest, maxBatchEvents }: { ingest: IngestService; maxBatchEvents: number },
): Promise<void> {
  // Browsers may send events from any origin (with a key, never with cookies), and beacons send
  // text/plain to skip the CORS preflight: both are JSON here. Anything else is a bad request.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string' },
    (request, body, done) => {
      const text = body.toString();
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      parseJson(request, markOverlongNumbers(text), (error, value) => {
        if (error === null) done(null, value);
        else done(new AppError('INVALID_JSON', 'The body is not valid JSON.'), undefined);
      });
    },
  );
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new AppError('BAD_REQUEST', 'Send events as application/json.'), undefined);
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(CORS_HEADERS);
    done();
  });

  const context = (headers: Record<string, string | string[] | undefined>) => ({
    authorization: typeof headers.authorization === 'string' ? headers.authorization : undefined,
    idempotencyKey:
      typeof headers['idempotency-key'] === 'string' ? headers['idempotency-key'] : undefined,
  });
  const tags = ['Ingestion'];
  const security = [{ apiKey: [] }];
  // Per-request logs would dominate the hot path; errors are still logged.
  const logLevel = 'warn';

  app.post(
    '/event/v1/batch',
    {
      logLevel,
      schema: {
        tags,
        security,
        summary: 'Send many events at once',
        description:
          'Every event is validated; the accepted ones are committed together before the 200, which lists a result per event.',
        headers: headersSchema,
        body: Type.Object({
          events: Type.Array(Type.Composite([Type.Object({ metric: Type.String() }), EventBody]), {
            minItems: 1,
            maxItems: maxBatchEvents,
          }),
        }),
        response: {
          200: Type.Object({
            accepted: Type.Integer(),
            rejected: Type.Integer(),
            results: Type.Array(
              Type.Object({
                index: Type.Integer(),
                ok: Type.Boolean(),
                code: Type.Optional(Type.String()),
                detail: Type.Optional(Type.String()),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
      // The service validates each event itself, to report per event instead of failing all.
      validatorCompiler: () => () => true,
    },
    async (request, reply) =>
      send(reply, await ingest.ingestBatch(context(request.headers), request.body)),
  );

  for (const path of ['/event/v1/:metric', '/v1/:metric']) {
    app.post(
      path,
      {
        logLevel,
        schema: {
          tags,
          security,
          summary: 'Send one event to a metric (by id or name)',
          description:
            'Answers 200 once the event is durably stored. A metric unknown to the key is 401, as in Measurely.',
          params: Type.Object({ metric: Type.String({ description: 'Metric id or name' }) }),
          headers: headersSchema,
          body: EventBody,
          response: {
            200: Type.Object({ ok: Type.Boolean(), metricId: Type.String({ format: 'uuid' }) }),
            ...errorResponses,
          },
          ...(path === '/v1/:metric' ? { hide: true } : {}),
        },
        validatorCompiler: () => () => true,
      },
      async (request, reply) =>
        send(
          reply,
          await ingest.ingestOne(context(request.headers), request.params.metric, request.body),
        ),
    );
  }

  for (const path of ['/event/v1/batch', '/event/v1/:metric', '/v1/:metric']) {
    app.options(path, { logLevel, schema: { hide: true } }, async (_request, reply) =>
      reply.code(204).headers(PREFLIGHT_HEADERS).send(),
    );
  }
}
