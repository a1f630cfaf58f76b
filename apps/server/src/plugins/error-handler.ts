import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { AppError, toProblem } from '../errors.js';
import { newRequestId } from '../lib/request-id.js';
import { mustBeOneOf, validationError } from '../lib/validate.js';
import { isUnstorableText } from '../storage/dialect.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .send(toProblem(error, reply.request.id));
}

/**
 * A problem document as a whole HTTP/1.1 answer that closes the connection: for a request refused
 * before any route sees it (Node's HTTP parser, the socket reader's timeouts), where there is no
 * reply to send it with.
 */
export function problemAnswerText(error: AppError, requestId: string): string {
  const body = JSON.stringify(toProblem(error, requestId));
  let head = `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(error.headers)) head += `${name}: ${value}\r\n`;
  return (
    `${head}content-type: application/problem+json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n` +
    `connection: close\r\n\r\n${body}`
  );
}

/** The answer to a request whose head or body did not arrive in time; the connection then ends. */
export function requestTimeoutAnswer(): string {
  return problemAnswerText(
    new AppError('REQUEST_TIMEOUT', 'The request did not arrive in time.'),
    newRequestId(),
  );
}

/**
 * Answers a request Node's HTTP parser refused (Fastify's `clientErrorHandler`): a malformed
 * request line, header or framing (an invalid `Content-Length`, say) gets 400 `BAD_REQUEST`,
 * headers over the limit 431 `HEADERS_TOO_LARGE`, a request that did not arrive in time 408
 * `REQUEST_TIMEOUT` — problem documents like every other error — and the connection is closed,
 * as Node does: what follows on it cannot be framed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    socket.write(
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? requestTimeoutAnswer()
        : problemAnswerText(
            error.code === 'HPE_HEADER_OVERFLOW'
              ? new AppError(
                  'HEADERS_TOO_LARGE',
                  'The request headers are larger than this server accepts.',
                )
              : new AppError(
                  'BAD_REQUEST',
                  'The request is not valid HTTP/1.1: its request line, a header or its framing.',
                ),
            newRequestId(),
          ),
    );
  }
  socket.destroy();
}

/** Turns the framework's own errors into our stable codes; anything unknown is a 500. */
function toAppError(error: FastifyError): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error.validation !== undefined) {
    const context = error.validationContext ?? 'body';
    // A union of constants (`"scope": "ingest" | "read" | "public"`) fails each constant, then
    // the union: one message naming the choices instead.
    const choices = new Map<string, unknown[]>();
    for (const v of error.validation) {
      if (v.keyword !== 'const') continue;
      const list = choices.get(v.instancePath) ?? [];
      list.push(v.params.allowedValue);
      choices.set(v.instancePath, list);
    }
    const errors = error.validation
      .filter((v) => v.keyword !== 'const' || !choices.has(v.instancePath))
      .map((v) => ({
        pointer: `${context === 'body' ? '' : `/${context}`}${v.instancePath || ''}${
          v.keyword === 'required' ? `/${String(v.params.missingProperty)}` : ''
        }`.replace(/^$/, '/'),
        message:
          // A query parameter given twice arrives as an array.
          context === 'querystring' && v.keyword === 'type'
            ? 'must be given once, as text'
            : v.keyword === 'anyOf' && choices.has(v.instancePath)
              ? mustBeOneOf(choices.get(v.instancePath) ?? [])
              : (v.message ?? 'is invalid'),
      }));
    if (context !== 'querystring') return validationError(errors);
    const [first] = errors;
    return new AppError(
      'QUERY_INVALID',
      first === undefined ? 'The query string is invalid.' : `${first.pointer}: ${first.message}`,
      { extensions: { errors } },
    );
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'PAYLOAD_TOO_LARGE',
        'The request body is larger than this server accepts.',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('BAD_REQUEST', 'Content-Length does not match the body.');
  }
  if (isUnstorableText(error)) {
    return new AppError(
      'BAD_REQUEST',
      'The request holds a character that cannot be stored (NUL).',
    );
  }
  if (error.statusCode === 413) {
    return new AppError(
      'PAYLOAD_TOO_LARGE',
      'The request body is larger than this server accepts.',
    );
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('BAD_REQUEST', 'The request could not be understood.');
  }
  return undefined;
}

/**
 * The error to answer with: known ones as they are (logged when they are a 5xx), anything else
 * logged in full and answered as an opaque 500. Shared by the error handler and ingestion's fast
 * path, which answers outside Fastify.
 */
export function answerableError(
  error: unknown,
  log: { error(details: object, message: string): void },
): AppError {
  const known =
    typeof error === 'object' && error !== null ? toAppError(error as FastifyError) : undefined;
  if (known !== undefined) {
    if (known.status >= 500) log.error({ err: error }, known.detail);
    return known;
  }
  log.error({ err: error }, 'unhandled error');
  return new AppError('INTERNAL', 'Something went wrong on our side.');
}

/**
 * Renders every error as RFC 9457 problem+json with a stable code and the request id.
 * Unknown errors are logged in full and answered with an opaque 500.
 */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    // A second router that knows every path, so a known path with another method gets 405.
    const paths = FindMyWay({ ignoreTrailingSlash: true });
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        try {
          paths.on(method as HTTPMethod, route.url, () => undefined);
        } catch {
          // The same method and path registered twice: the first is enough for 405 detection.
        }
      }
    });

    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(reply, answerableError(error, request.log)),
    );

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = METHODS.filter((m) => m !== request.method && paths.find(m, path) !== null);
      if (allowed.length > 0) {
        reply.header('allow', allowed.join(', '));
        return sendProblem(
          reply,
          new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}.`),
        );
      }
      return sendProblem(
        reply,
        new AppError('ROUTE_NOT_FOUND', `No route ${request.method} ${path}.`),
      );
    });
  },
  { name: 'error-handler' },
);
