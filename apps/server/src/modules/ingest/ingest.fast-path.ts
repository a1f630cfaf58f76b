import type { IncomingMessage, ServerResponse } from 'node:http';
import { toProblem } from '../../errors.js';
import { requestIdOf } from '../../lib/request-id.js';
import { answerableError } from '../../plugins/error-handler.js';
import type { IngestReply, IngestService } from './ingest.service.js';
import { corsHeadersFor, ingestContextOf, parseIngestBody } from './ingest-http.js';

/** Where errors go: the app's pino logger. */
interface FastPathLogger {
  child(bindings: { requestId: string }): { error(details: object, message: string): void };
}

/** `/event/v1/{metric}`, `/v1/{metric}` and `/event/v1/batch`, plain segments only. */
const ROUTE = /^\/(event\/)?v1\/([^/?#%]+)\/?$/;
/**
 * Content types taken as sent by the SDKs, curl and beacons. Any other spelling goes through the
 * framework, which parses media types in full (and answers the same way).
 */
const JSON_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/plain;charset=utf-8',
]);
/** The router's limit on a path segment (find-my-way's maxParamLength). */
const MAX_SEGMENT = 100;

/**
 * The ingestion request the fast path takes, recognised from its method, URL and headers alone:
 * `metric` is the path's metric, undefined for a batch. Undefined for anything else.
 */
export function recognise(
  request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  bodyLimit: number,
): { readonly metric: string | undefined } | undefined {
  if (request.method !== 'POST') return undefined;
  const { url = '', headers } = request;
  // Cheap refusals first: most requests of a dashboard are not ingestion.
  if (!(url.startsWith('/event/v1/') || url.startsWith('/v1/'))) return undefined;
  const route = ROUTE.exec(url);
  const segment = route?.[2];
  if (segment === undefined || segment.length > MAX_SEGMENT) return undefined;
  const type = headers['content-type'];
  if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return undefined;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(headers['content-length']);
  if (!Number.isSafeInteger(length) || length < 0 || length > bodyLimit) return undefined;
  return { metric: route?.[1] !== undefined && segment === 'batch' ? undefined : segment };
}

/**
 * Ingestion without the web framework's per-request machinery (routing, request and reply
 * objects, hooks, a child logger, serialisers): the request listener of the HTTP server hands
 * over the requests this recognises from their headers alone, and everything else — another
 * method, a percent-encoded or over-long path, a query string, a chunked or over-large body, an
 * unusual content type, a server shutting down — to Fastify, whose ingestion routes call the
 * same service with the same parsing and answer the same way (fast-path.test.ts sends every case
 * both ways and compares). See docs/decisions/0014-ingestion-fast-path.md.
 */
export function createIngestFastPath(deps: {
  ingest: IngestService;
  bodyLimit: number;
  log: FastPathLogger;
  /** True once the server is closing: Fastify then answers 503. */
  closing: () => boolean;
}): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { ingest, bodyLimit, log, closing } = deps;

  function answer(
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    reply: IngestReply,
  ): void {
    const body = JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      'x-request-id': requestId,
      ...corsHeadersFor(request.headers),
      ...reply.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  }

  function fail(
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    error: unknown,
  ): void {
    // The request's child logger only for what is logged (a 5xx), not for every refusal.
    const known = answerableError(error, {
      error: (details, message) => log.child({ requestId }).error(details, message),
    });
    const body = JSON.stringify(toProblem(known, requestId));
    response.writeHead(known.status, {
      'x-request-id': requestId,
      ...corsHeadersFor(request.headers),
      ...known.headers,
      'content-type': 'application/problem+json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  }

  return (request, response) => {
    const route = recognise(request, bodyLimit);
    if (route === undefined || closing()) return false;
    const { headers } = request;
    const requestId = requestIdOf(headers);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = chunks.length === 1 ? String(chunks[0]) : Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = parseIngestBody(text);
      } catch (error) {
        fail(request, response, requestId, error);
        return;
      }
      const context = ingestContextOf(headers);
      const pending =
        route.metric === undefined
          ? ingest.ingestBatch(context, body)
          : ingest.ingestOne(context, route.metric, body);
      pending.then(
        (reply) => answer(request, response, requestId, reply),
        (error: unknown) => fail(request, response, requestId, error),
      );
    });
    return true;
  };
}
