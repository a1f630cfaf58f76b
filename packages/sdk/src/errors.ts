/**
 * What went wrong, in broad strokes:
 * - `http`: the server answered with an error status (its problem `code` is in `code`);
 * - `network`: no answer (connection refused or reset, DNS failure, CORS refusal in a browser);
 * - `timeout`: no answer within `timeoutMs` (on the last attempt), a signal made by
 *   `AbortSignal.timeout()` fired, or `flush`/`close` gave up after their `timeoutMs`;
 * - `aborted`: the caller's `AbortSignal` fired;
 * - `client`: refused before sending (bad argument, closed client, full queue).
 *
 * @example
 * ```ts
 * if (error instanceof MeasurelyError && error.kind === 'network') scheduleLater(event);
 * ```
 */
export type MeasurelyErrorKind = 'http' | 'network' | 'timeout' | 'aborted' | 'client';

/**
 * Codes the SDK itself produces, with what they mean; every other `code` is the server's.
 *
 * @example
 * ```ts
 * const ours = error.code in CLIENT_ERROR_CODES; // false for VALUE_ZERO, RATE_LIMITED…
 * ```
 */
export const CLIENT_ERROR_CODES = {
  NETWORK_ERROR: 'The server could not be reached.',
  TIMEOUT: 'The server did not answer in time, or the call ran out of its time.',
  ABORTED: 'The request was aborted by the caller.',
  INVALID_ARGUMENT: 'An argument is missing or of the wrong type.',
  CLIENT_CLOSED: 'The client is closed and accepts no more events.',
  QUEUE_FULL: 'Too many events are waiting to be sent.',
  UNEXPECTED_RESPONSE: 'The server answered with something that is not a Measurely response.',
} as const;

/**
 * A code produced by the SDK itself rather than by the server.
 *
 * @example
 * ```ts
 * const code: ClientErrorCode = 'TIMEOUT';
 * ```
 */
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/**
 * What a {@link MeasurelyError} is made of (the SDK builds them; rarely needed by callers).
 *
 * @example
 * ```ts
 * const error = new MeasurelyError('Gave up', { kind: 'client', code: 'QUEUE_FULL' });
 * ```
 */
export interface MeasurelyErrorOptions {
  readonly kind: MeasurelyErrorKind;
  readonly code: string;
  readonly status?: number | undefined;
  readonly retryable?: boolean | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly requestId?: string | undefined;
  readonly problem?: Readonly<Record<string, unknown>> | undefined;
  readonly attempts?: number | undefined;
  readonly cause?: unknown;
}

/**
 * The one error type the client rejects with. Branch on `code` (stable), not on `message`.
 *
 * @example
 * ```ts
 * try {
 *   await client.capture('signups', { value: 0 });
 * } catch (error) {
 *   if (error instanceof MeasurelyError && error.code === 'VALUE_NOT_POSITIVE') {
 *     console.warn('basic metrics take positive values only');
 *   } else throw error;
 * }
 * ```
 */
export class MeasurelyError extends Error {
  /** Broad category: `http`, `network`, `timeout`, `aborted` or `client`. */
  readonly kind: MeasurelyErrorKind;
  /** The server's problem code (`API_KEY_INVALID`, `VALUE_ZERO`…) or one of {@link CLIENT_ERROR_CODES}. */
  readonly code: string;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Whether the failure was transient (network, timeout, 5xx, 429, 409 in flight). */
  readonly retryable: boolean;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** The server's request id (`X-Request-Id`), to find its log lines. */
  readonly requestId: string | undefined;
  /** The problem document the server sent (`{type,title,status,code,detail,…}`), when it sent one. */
  readonly problem: Readonly<Record<string, unknown>> | undefined;
  /** How many requests were made before giving up (1 = not retried, 0 = none was sent). */
  readonly attempts: number;

  constructor(message: string, options: MeasurelyErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeasurelyError';
    this.kind = options.kind;
    this.code = options.code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.requestId = options.requestId;
    this.problem = options.problem;
    this.attempts = options.attempts ?? 1;
  }
}

/**
 * The status the server answers a single event's refusal with, by code (docs/ingestion.md): a
 * batch answers 200 and gives each refused event only its code and detail.
 */
export const EVENT_REFUSAL_STATUS: ReadonlyMap<string, number> = new Map([
  ['VALIDATION_FAILED', 400],
  ['VALUE_INVALID', 400],
  ['VALUE_NOT_POSITIVE', 400],
  ['VALUE_ZERO', 400],
  ['VALUE_TOO_PRECISE', 400],
  ['VALUE_OUT_OF_RANGE', 400],
  ['FILTERS_INVALID', 400],
  ['FILTERS_LIMIT', 400],
  ['TIMESTAMP_INVALID', 400],
  ['TIMESTAMP_OUT_OF_RANGE', 400],
  ['METRIC_UNKNOWN', 401],
  ['QUOTA_EXCEEDED', 429],
]);

export function clientError(code: ClientErrorCode, message?: string): MeasurelyError {
  return new MeasurelyError(message ?? CLIENT_ERROR_CODES[code], { kind: 'client', code });
}

/** A copy of `error` with some fields replaced (errors are immutable). */
export function deriveError(
  error: MeasurelyError,
  changes: { message?: string; attempts?: number; cause?: unknown },
): MeasurelyError {
  const cause = 'cause' in changes ? changes.cause : error.cause;
  return new MeasurelyError(changes.message ?? error.message, {
    kind: error.kind,
    code: error.code,
    ...(error.status === undefined ? {} : { status: error.status }),
    retryable: error.retryable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    ...(error.problem === undefined ? {} : { problem: error.problem }),
    attempts: changes.attempts ?? error.attempts,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function withAttempts(error: MeasurelyError, attempts: number): MeasurelyError {
  return error.attempts === attempts ? error : deriveError(error, { attempts });
}

/** Any thrown value as a MeasurelyError (a bug in a custom fetch, say). */
export function asMeasurelyError(caught: unknown): MeasurelyError {
  if (caught instanceof MeasurelyError) return caught;
  return new MeasurelyError(caught instanceof Error ? caught.message : String(caught), {
    kind: 'client',
    code: 'UNEXPECTED_RESPONSE',
    cause: caught,
  });
}
