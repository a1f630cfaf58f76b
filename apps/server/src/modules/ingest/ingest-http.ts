import type { IncomingHttpHeaders } from 'node:http';
import { parse } from 'secure-json-parse';
import { AppError } from '../../errors.js';
import type { IngestContext } from './ingest.service.js';
import { markOverlongNumbers } from './json-numbers.js';

/** What both ways into ingestion (the Fastify routes and the socket reader's exchange) share over HTTP. */

export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers':
    'RateLimit, RateLimit-Policy, Retry-After, X-Request-Id, Idempotent-Replayed',
} as const;

const NO_HEADERS = {} as const;

/**
 * The CORS headers of an answer: for a browser's request (which always names its `Origin` on a
 * cross-origin POST), none for the servers and scripts that send most events.
 */
export function corsHeadersFor(
  headers: IncomingHttpHeaders,
): typeof CORS_HEADERS | typeof NO_HEADERS {
  return headers.origin === undefined ? NO_HEADERS : CORS_HEADERS;
}

/**
 * Whether a request's URL is under an ingestion route's prefix (`/event/v1/…`, `/v1/…`): the
 * answers the router gives such a request itself — 404, 405, a bad URL — carry the CORS headers
 * too, so that a browser can read their `code`.
 */
export function isIngestionUrl(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/event/v1/') || url.startsWith('/v1/'));
}

const CORS_LINES = Object.entries(CORS_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/** corsHeadersFor() as HTTP header lines (each ending in CRLF), for answers written as text. */
export function corsLinesFor(headers: IncomingHttpHeaders): string {
  return corsHeadersFor(headers) === CORS_HEADERS ? CORS_LINES : '';
}

export const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key',
  'access-control-max-age': '86400',
} as const;

/** `__proto__` and `constructor.prototype` keys are refused, as on every JSON route. */
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * An ingestion body, sent as application/json or text/plain (what `navigator.sendBeacon` sends):
 * blank counts as no body; number literals JSON.parse would round are marked for validation to
 * refuse (markOverlongNumbers).
 */
export function parseIngestBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  const marked = markOverlongNumbers(text);
  try {
    // A `__proto__` or `constructor` key needs those words in the text, or an escape to spell
    // them: without either, plain JSON.parse is the same, without the poisoning scan's regexes.
    if (
      !marked.includes('\\') &&
      !marked.includes('__proto__') &&
      !marked.includes('constructor')
    ) {
      return JSON.parse(marked);
    }
    return parse(marked, undefined, PARSE_OPTIONS);
  } catch (error) {
    // Valid JSON, but a key that would reach an object's prototype once parsed: refused whole.
    if (error instanceof SyntaxError && error.message.includes('forbidden prototype')) {
      throw new AppError(
        'INVALID_JSON',
        'The body holds a "__proto__" key, or "constructor" with "prototype": refused, as on every JSON route.',
      );
    }
    throw new AppError('INVALID_JSON', 'The body is not valid JSON.');
  }
}

/** A body's UTF-8 bytes as text (a malformed sequence becomes U+FFFD, as on every JSON route). */
export function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function ingestContextOf(headers: IncomingHttpHeaders): IngestContext {
  const { authorization } = headers;
  const idempotencyKey = headers['idempotency-key'];
  return {
    authorization: typeof authorization === 'string' ? authorization : undefined,
    idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
  };
}
