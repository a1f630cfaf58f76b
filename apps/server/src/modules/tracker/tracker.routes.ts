import { Type } from '@sinclair/typebox';
import { AppError, type ErrorCode } from '../../errors.js';
import { type App, type ProblemResponse, problems, SECURITY } from '../../http.js';
import { sendProblem } from '../../plugins/error-handler.js';
import { TrackBody } from './tracker.schemas.js';
import type { TrackerService } from './tracker.service.js';
import { loadTrackerScript, scriptEncoding, type TrackerScript } from './tracker-script.js';

/** A page view is a few hundred bytes; anything much bigger is not one. */
export const TRACK_BODY_LIMIT = 4096;
/** How often the salts and visitors of past days are looked for, besides each new day's first view. */
const PURGE_INTERVAL_MS = 10 * 60_000;

const SCRIPT_HEADERS = {
  'content-type': 'text/javascript; charset=utf-8',
  // Short: a new release reaches visitors within the hour; the ETag makes revalidation cheap.
  'cache-control': 'public, max-age=3600',
  vary: 'Accept-Encoding',
  'access-control-allow-origin': '*',
  'cross-origin-resource-policy': 'cross-origin',
  'x-content-type-options': 'nosniff',
};

/** Why a page view is refused, in the order they are checked. */
const TRACK_ERRORS = [
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'VALIDATION_FAILED',
  'API_KEY_INVALID',
  'KEY_SCOPE_FORBIDDEN',
  'ORIGIN_NOT_ALLOWED',
  'TRACKER_METRIC_CONFLICT',
  'QUOTA_EXCEEDED',
  'STORAGE_FAILED',
  'OVERLOADED',
] as const satisfies readonly ErrorCode[];

/** The per-visitor limit, charged first: every answer once the body is read carries it. */
const VISITOR_RATE_HEADERS = {
  RateLimit: {
    type: 'string',
    description: 'What is left of the visitor’s allowance, and seconds until it is full again.',
    examples: ['"per-visitor";r=19;t=1'],
  },
  'RateLimit-Policy': {
    type: 'string',
    description: 'Page views per second per visitor IP (MEASURELY_TRACKER_RATE_LIMIT).',
    examples: ['"per-visitor";q=20;w=1'],
  },
} as const;

/** Sent once the origin is known to be allowed: on success and on the refusals after that. */
const CORS_HEADER = {
  'Access-Control-Allow-Origin': {
    type: 'string',
    description: 'The page’s origin, when the key allows it.',
    examples: ['https://example.com'],
  },
} as const;

/** The refusals of a page view, their 429 limited per visitor rather than per key. */
function trackProblems(): Record<string, ProblemResponse> {
  const responses = problems(TRACK_ERRORS);
  const tooMany = responses['429'];
  if (tooMany === undefined) return responses;
  return {
    ...responses,
    429: { ...tooMany, headers: { ...tooMany.headers, ...VISITOR_RATE_HEADERS } },
  };
}

/**
 * The website tracker: `GET /track.js` (the script) and `POST /track` (its page views). Outside
 * the management API's scope: any site may load the script, and the page views carry a public
 * key in their body, never a cookie.
 */
export async function trackerRoutes(
  app: App,
  { tracker }: { tracker: TrackerService },
): Promise<void> {
  // navigator.sendBeacon and fetch send text/plain, which needs no CORS preflight: JSON either way.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string' },
    (request, body, done) => {
      parseJson(request, body.toString(), (error, value) => {
        if (error === null) done(null, value);
        else done(new AppError('INVALID_JSON', 'The body is not valid JSON.'), undefined);
      });
    },
  );
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(
      new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the page view as JSON in text/plain.'),
      undefined,
    );
  });

  let script: TrackerScript | undefined;
  try {
    script = await loadTrackerScript();
  } catch (error) {
    app.log.error({ err: error }, 'the tracker script is not built (npm run build -w apps/server)');
  }

  const purge = setInterval(() => {
    tracker.purgeExpired().catch((error: unknown) => {
      app.log.error({ err: error }, 'could not delete the tracker data of past days');
    });
  }, PURGE_INTERVAL_MS);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  const tags = ['Website tracker'];
  // Per-request logs would carry visitors' addresses; errors are still logged.
  const logLevel = 'warn';

  app.get(
    '/track.js',
    {
      logLevel,
      schema: {
        tags,
        summary: 'The website tracker script',
        description:
          'Put `<script defer src="…/track.js" data-key="PUBLIC_KEY"></script>` on every page (the dashboard shows a public key’s snippet): it sends a page view on load and on single-page-app navigations, and makes no other request. Any site may load it (CORS). Compressed with Brotli or gzip as `Accept-Encoding` allows. Cached for an hour; revalidate with the ETag. 503 NOT_READY when the script was not built on this server.',
        security: SECURITY.none,
        produces: ['text/javascript'],
        response: {
          200: {
            type: 'string',
            description: 'The script.',
            headers: {
              ETag: {
                type: 'string',
                description: 'The script’s version, for If-None-Match.',
                examples: ['"3b1f0c2a9e8d"'],
              },
              'Cache-Control': {
                type: 'string',
                description: 'An hour, so a new release reaches visitors soon.',
                examples: ['public, max-age=3600'],
              },
            },
          },
          304: { type: 'null', description: 'Not modified: If-None-Match names the current ETag.' },
          ...problems('NOT_READY'),
        },
      },
    },
    async (request, reply) => {
      if (script === undefined) {
        return sendProblem(
          reply,
          new AppError('NOT_READY', 'The tracker script is not built on this server.'),
        );
      }
      reply.headers({ ...SCRIPT_HEADERS, etag: script.etag });
      const cached = request.headers['if-none-match'];
      if (cached?.split(',').some((tag) => tag.trim() === script.etag)) {
        return reply.code(304).send();
      }
      const encoding = scriptEncoding(request.headers['accept-encoding']);
      if (encoding === 'br') return reply.header('content-encoding', 'br').send(script.brotli);
      if (encoding === 'gzip') return reply.header('content-encoding', 'gzip').send(script.gzip);
      return reply.send(script.source);
    },
  );

  app.post(
    '/track',
    {
      logLevel,
      bodyLimit: TRACK_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Record a page view (what /track.js sends)',
        description:
          'The body is JSON sent as text/plain (no CORS preflight; works with navigator.sendBeacon and fetch keepalive), holding a public key. Checked in order: the body is read (JSON, ≤ 4 KiB); the visitor’s rate is charged (per IP, so unknown keys and foreign origins are limited too: 429 RATE_LIMITED with Retry-After); then the body’s fields, the key (a known, active public key), the Origin header (one of the key’s allowed origins) and the privacy signals. 202: recorded; 204: not recorded on purpose (Sec-GPC: 1, DNT: 1 or `gpc: true` while the project honours them, or a robot). CORS headers are sent for allowed origins only, from the origin check on.',
        security: SECURITY.none,
        consumes: ['text/plain', 'application/json'],
        headers: Type.Object({
          origin: Type.Optional(
            Type.String({
              description:
                'Set by the browser: the page’s origin, one the key allows. Without it, 403 ORIGIN_NOT_ALLOWED.',
              examples: ['https://example.com'],
            }),
          ),
          'sec-gpc': Type.Optional(
            Type.String({ description: 'Global Privacy Control: `1` opts out.', examples: ['1'] }),
          ),
          dnt: Type.Optional(
            Type.String({ description: 'Do Not Track: `1` opts out.', examples: ['1'] }),
          ),
        }),
        body: {
          ...TrackBody,
          'x-examples': {
            pageView: {
              summary: 'A page view, from a search engine',
              value: {
                key: 'mly_8pLm2Rq4sT6uV8wX0yZ1aB3cD5eF7gH',
                path: '/pricing',
                referrer: 'www.google.com',
                width: 1440,
              },
            },
            direct: {
              summary: 'A direct visit (no referrer)',
              value: { key: 'mly_8pLm2Rq4sT6uV8wX0yZ1aB3cD5eF7gH', path: '/' },
            },
          },
        },
        response: {
          202: {
            description:
              'Recorded: the page view and, on the visitor’s first of the UTC day, the visitor.',
            type: 'null',
            headers: { ...CORS_HEADER, ...VISITOR_RATE_HEADERS },
          },
          204: {
            description:
              'Not recorded, on purpose: a privacy signal while the project honours them, or a robot.',
            type: 'null',
            headers: { ...CORS_HEADER, ...VISITOR_RATE_HEADERS },
          },
          ...trackProblems(),
        },
      },
      // The service validates the body itself, after the content-type parser.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const { headers } = request;
      const result = await tracker.track({
        body: request.body,
        origin: headers.origin,
        ip: request.ip,
        userAgent: headers['user-agent'],
        privacySignal: headers['sec-gpc'] === '1' || headers.dnt === '1',
      });
      return reply.code(result.status).headers(result.headers).send();
    },
  );

  // Browsers preflight only what the script never sends (a JSON content type, from other
  // clients). A preflight carries no key, so it answers `*`: the origin is checked on the POST.
  app.options('/track', { logLevel, schema: { hide: true } }, async (_request, reply) => {
    return reply
      .code(204)
      .headers({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'Content-Type',
        'access-control-max-age': '86400',
      })
      .send();
  });
}
