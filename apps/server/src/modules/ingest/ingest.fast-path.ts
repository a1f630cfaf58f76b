import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { toProblem } from '../../errors.js';
import { requestIdOf } from '../../lib/request-id.js';
import { answerableError } from '../../plugins/error-handler.js';
import { type IngestReply, type IngestService, JsonText } from './ingest.service.js';
import { corsLinesFor, ingestContextOf, isIngestionUrl, parseIngestBody } from './ingest-http.js';

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
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
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
  if (!isIngestionUrl(url)) return undefined;
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

/** An ingestion request's answer, ready to be written: status, header lines and JSON body. */
export interface IngestAnswer {
  readonly status: number;
  /**
   * The answer's own headers as HTTP header lines, each `name: value` and CRLF, names lower-case:
   * the connection headers (Date, Connection, Keep-Alive) are the writer's.
   */
  readonly lines: string;
  readonly body: string;
}

/**
 * Answers one ingestion request — its metric (undefined for a batch), headers and body (UTF-8) —
 * by calling `respond` once with the answer, as soon as it is known.
 */
export type IngestExchange = (
  metric: string | undefined,
  headers: IncomingHttpHeaders,
  body: Buffer,
  respond: (answer: IngestAnswer) => void,
) => void;

/**
 * Ingestion without the web framework's per-request machinery (routing, request and reply
 * objects, hooks, a child logger, serialisers): given a request recognise() took, its headers and
 * its body as text, the answer — the same status, headers (request id, CORS, rate limits,
 * `Idempotent-Replayed`, `Retry-After`) and body as the Fastify routes give, problem+json for
 * errors with the 5xx logged with the request id. It always responds, once. The connections of
 * ingest.wire.ts write it; the Fastify routes, which call the same service with the same parsing,
 * answer everything else (fast-path.test.ts sends every case both ways and compares). See
 * docs/decisions/0014-ingestion-fast-path.md.
 */
export function createIngestExchange(deps: {
  ingest: IngestService;
  log: FastPathLogger;
}): IngestExchange {
  const { ingest, log } = deps;

  /**
   * The answer with its headers: the request id, CORS for browsers, the reply's own, the body's.
   * Rendered as text at once (no header object to spread and walk again): `own` never names the
   * request id, CORS or content headers, which are always written here.
   */
  function answerOf(
    headers: IncomingHttpHeaders,
    requestId: string,
    status: number,
    own: Readonly<Record<string, string>> | undefined,
    type: string,
    body: string,
  ): IngestAnswer {
    let lines = `x-request-id: ${requestId}\r\n${corsLinesFor(headers)}`;
    if (own !== undefined) for (const name in own) lines += `${name}: ${own[name]}\r\n`;
    lines += `content-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    return { status, lines, body };
  }

  function answer(headers: IncomingHttpHeaders, requestId: string, reply: IngestReply) {
    let body: string;
    try {
      body = reply.body instanceof JsonText ? reply.body.text : JSON.stringify(reply.body);
    } catch (error) {
      return fail(headers, requestId, error);
    }
    return answerOf(headers, requestId, reply.status, reply.headers, JSON_TYPE, body);
  }

  function fail(headers: IncomingHttpHeaders, requestId: string, error: unknown): IngestAnswer {
    // The request's child logger only for what is logged (a 5xx), not for every refusal.
    const known = answerableError(error, {
      error: (details, message) => log.child({ requestId }).error(details, message),
    });
    const body = JSON.stringify(toProblem(known, requestId));
    return answerOf(headers, requestId, known.status, known.headers, PROBLEM_TYPE, body);
  }

  return (metric, headers, bytes, respond) => {
    const requestId = requestIdOf(headers);
    const settle = {
      resolve: (reply: IngestReply) => respond(answer(headers, requestId, reply)),
      reject: (error: unknown) => respond(fail(headers, requestId, error)),
    };
    const context = ingestContextOf(headers);
    if (metric === undefined) {
      ingest.ingestBatchBytes(context, bytes).then(settle.resolve, settle.reject);
      return;
    }
    let body: unknown;
    try {
      body = parseIngestBody(bytes.toString('utf8'));
    } catch (error) {
      settle.reject(error);
      return;
    }
    ingest.ingestEvent(context, metric, body, settle);
  };
}
