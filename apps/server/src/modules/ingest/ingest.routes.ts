import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { LogLevel } from '../../config.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { type App, problems, RATE_LIMIT_HEADERS, SECURITY } from '../../http.js';
import { type IngestReply, type IngestService, JsonText } from './ingest.service.js';
import { ingestContextOf, PREFLIGHT_HEADERS, parseIngestBody } from './ingest-http.js';

const EventBody = Type.Object(
  {
    value: Type.Number({
      description:
        'basic: greater than 0 · dual: not 0 · average: any finite number. Up to 6 decimal places and 15 significant digits, |value| < 10^12; never rounded.',
      examples: [1],
    }),
    filters: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          'Up to 10 `key: value` strings; keys and values are trimmed and lower-cased. Keys: 1–32 characters of a-z 0-9 space _ - / $ % # & * ( ) ! ~ . — values: 1–100 characters, no quotes, backslashes or control characters.',
        examples: [{ plan: 'pro', country: 'fr' }],
      }),
    ),
    timestamp: Type.Optional(
      Type.Union(
        [
          Type.String({ format: 'date-time', description: 'ISO 8601 with a zone.' }),
          Type.Integer({ description: 'Epoch milliseconds.' }),
        ],
        {
          description:
            'When the event happened (default: when it arrives): from MEASURELY_BACKFILL_DAYS (365) days back to 5 minutes ahead.',
          examples: ['2026-11-28T10:00:00Z'],
        },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Why one event is refused: the whole request for a single event, its result in a batch. */
const EVENT_ERRORS = [
  'METRIC_UNKNOWN',
  'VALIDATION_FAILED',
  'VALUE_INVALID',
  'VALUE_NOT_POSITIVE',
  'VALUE_ZERO',
  'VALUE_TOO_PRECISE',
  'VALUE_OUT_OF_RANGE',
  'FILTERS_INVALID',
  'FILTERS_LIMIT',
  'TIMESTAMP_INVALID',
  'TIMESTAMP_OUT_OF_RANGE',
  'QUOTA_EXCEEDED',
] as const satisfies readonly ErrorCode[];

/** What any ingestion request can be refused for, whatever its events. */
const REQUEST_ERRORS = [
  'BAD_REQUEST',
  'INVALID_JSON',
  'PAYLOAD_TOO_LARGE',
  'API_KEY_INVALID',
  'KEY_SCOPE_FORBIDDEN',
  'IDEMPOTENCY_KEY_INVALID',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_REUSED',
  'RATE_LIMITED',
  'STORAGE_FAILED',
  'OVERLOADED',
] as const satisfies readonly ErrorCode[];

const headersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'A unique key per logical request (1–255 visible ASCII characters). For 24 hours, a retry with the same key and body answers the first answer without counting again.',
      examples: ['7b0e5c1a-9f3d-4c2b-8e6a-1d2f3a4b5c6d'],
    }),
  ),
});

/** Headers of every answer once the key is known. */
const SUCCESS_HEADERS = {
  ...RATE_LIMIT_HEADERS,
  'Idempotent-Replayed': {
    type: 'string',
    description: '`true` when this is the stored answer to an earlier request with the same key.',
    examples: ['true'],
  },
} as const;

const INGEST_DESCRIPTION = [
  '**Authentication**: an `ingest` key, as `Authorization: Bearer mly_…`. Any origin may call',
  'it (CORS, no cookies).',
  '\n\n**Body**: JSON, sent as `application/json` or as `text/plain` (what',
  '`navigator.sendBeacon` sends); any other type is 400 `BAD_REQUEST`.',
  '\n\n**Limits**: every answer once the key is accepted carries `RateLimit` and',
  '`RateLimit-Policy`; past the key’s rate, 429 `RATE_LIMITED` with `Retry-After`.',
  '\n\n**Retries**: after a 5xx or a lost connection, retry with the same `Idempotency-Key`:',
  'the events count once either way.',
].join(' ');

function send(reply: FastifyReply, result: IngestReply): FastifyReply {
  reply.code(result.status).headers(result.headers);
  if (!(result.body instanceof JsonText)) return reply.send(result.body);
  return reply.type('application/json; charset=utf-8').send(result.body.text);
}

/** Pino's levels, from the most verbose. */
const LOG_SEVERITY: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

export async function ingestRoutes(
  app: App,
  {
    ingest,
    maxBatchEvents,
    appLogLevel,
  }: { ingest: IngestService; maxBatchEvents: number; appLogLevel: LogLevel },
): Promise<void> {
  // Browsers may send events from any origin (with a key, never with cookies: the CORS headers of
  // every answer under these routes' prefix are app.ts's onRequest hook's), and beacons send
  // text/plain to skip the CORS preflight: both are JSON here. Anything else is a bad request.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseIngestBody(body.toString()));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new AppError('BAD_REQUEST', 'Send events as application/json.'), undefined);
  });

  const tags = ['Ingestion'];
  // Per-request logs would dominate the hot path: at most warnings (errors are still logged), and
  // never more than the app's own level lets through.
  const logLevel: LogLevel = LOG_SEVERITY[appLogLevel] > LOG_SEVERITY.warn ? appLogLevel : 'warn';

  app.post(
    '/event/v1/batch',
    {
      logLevel,
      schema: {
        tags,
        security: SECURITY.ingestKey,
        summary: 'Send many events at once',
        description: `Up to MEASURELY_MAX_BATCH_EVENTS (1,000) events, each naming its metric (id or name). Each event is validated on its own: the accepted ones are committed together, in one transaction, before the 200, whose \`results\` say per event \`ok\` or the code that refused it (${EVENT_ERRORS.map((c) => `\`${c}\``).join(', ')}). A batch costs its number of events against the rate limit. A 4xx or 5xx refuses the whole batch.\n\n${INGEST_DESCRIPTION}`,
        headers: headersSchema,
        consumes: ['application/json', 'text/plain'],
        body: Type.Object(
          {
            events: Type.Array(
              Type.Composite([Type.Object({ metric: Type.String() }), EventBody]),
              {
                minItems: 1,
                maxItems: maxBatchEvents,
              },
            ),
          },
          {
            additionalProperties: false,
            'x-examples': {
              batch: {
                summary: 'Events for two metrics, one backfilled',
                value: {
                  events: [
                    { metric: 'signups', value: 1, filters: { plan: 'pro' } },
                    { metric: 'revenue', value: 49.9, timestamp: '2026-11-28T10:00:00Z' },
                    { metric: 'balance', value: 0 },
                  ],
                },
              },
            },
          },
        ),
        response: {
          200: {
            description:
              'The batch was processed: the accepted events are durably stored, the others were not.',
            headers: SUCCESS_HEADERS,
            content: {
              'application/json': {
                schema: Type.Object({
                  accepted: Type.Integer({ description: 'Events stored.' }),
                  rejected: Type.Integer({ description: 'Events refused.' }),
                  results: Type.Array(
                    Type.Object({
                      index: Type.Integer({ description: 'Position in `events`, from 0.' }),
                      ok: Type.Boolean(),
                      code: Type.Optional(
                        Type.Unsafe<string>({
                          type: 'string',
                          enum: [...EVENT_ERRORS],
                          description: 'Why the event was refused.',
                        }),
                      ),
                      detail: Type.Optional(Type.String()),
                    }),
                    { description: 'One per event, in order.' },
                  ),
                }),
                examples: {
                  partly: {
                    summary: 'Two events stored, one refused',
                    value: {
                      accepted: 2,
                      rejected: 1,
                      results: [
                        { index: 0, ok: true },
                        { index: 1, ok: true },
                        {
                          index: 2,
                          ok: false,
                          code: 'VALUE_ZERO',
                          detail: 'A dual metric takes positive or negative values, not zero.',
                        },
                      ],
                    },
                  },
                },
              },
            },
          },
          ...problems(REQUEST_ERRORS, 'BATCH_INVALID', 'VALIDATION_FAILED'),
        },
      },
      // The service validates each event itself, to report per event instead of failing all.
      validatorCompiler: () => () => true,
    },
    async (request, reply) =>
      send(reply, await ingest.ingestBatch(ingestContextOf(request.headers), request.body)),
  );

  for (const path of ['/event/v1/:metric', '/v1/:metric']) {
    app.post(
      path,
      {
        logLevel,
        schema: {
          tags,
          security: SECURITY.ingestKey,
          summary: 'Send one event to a metric',
          description: `The Measurely API. \`{metric}\` is the metric's id or, when it is not a UUID, its name in the key's project (case-insensitive); a metric unknown to the key is 401 \`METRIC_UNKNOWN\`, as in Measurely. \`POST /v1/{metric}\` (from Measurely's early docs) is the same operation.\n\n**200 means stored**: the answer comes once the transaction holding the event has committed. A 4xx means nothing was stored.\n\n${INGEST_DESCRIPTION}`,
          params: Type.Object({
            metric: Type.String({
              description: 'The metric id, or its name.',
              examples: ['signups'],
            }),
          }),
          headers: headersSchema,
          consumes: ['application/json', 'text/plain'],
          body: {
            ...EventBody,
            'x-examples': {
              basic: {
                summary: 'A value with filters',
                value: { value: 1, filters: { plan: 'pro', country: 'fr' } },
              },
              backfill: {
                summary: 'A decimal value at a given time',
                value: { value: 49.9, timestamp: '2026-11-28T10:00:00Z' },
              },
              dual: { summary: 'A negative value (dual or average metric)', value: { value: -3 } },
            },
          },
          response: {
            200: {
              description: 'Stored: the transaction holding the event has committed.',
              headers: SUCCESS_HEADERS,
              content: {
                'application/json': {
                  schema: Type.Object({
                    ok: Type.Literal(true),
                    metricId: Type.String({ format: 'uuid' }),
                  }),
                  examples: {
                    stored: {
                      summary: 'Stored',
                      value: { ok: true, metricId: '3f6c2a9e-8b1d-4e7f-a2c5-9d0e1f2a3b4c' },
                    },
                  },
                },
              },
            },
            ...problems(REQUEST_ERRORS, EVENT_ERRORS),
          },
          ...(path === '/v1/:metric' ? { hide: true } : {}),
        },
        validatorCompiler: () => () => true,
      },
      async (request, reply) =>
        send(
          reply,
          await ingest.ingestOne(
            ingestContextOf(request.headers),
            request.params.metric,
            request.body,
          ),
        ),
    );
  }

  for (const path of ['/event/v1/batch', '/event/v1/:metric', '/v1/:metric']) {
    app.options(path, { logLevel, schema: { hide: true } }, async (_request, reply) =>
      reply.code(204).headers(PREFLIGHT_HEADERS).send(),
    );
  }
}
