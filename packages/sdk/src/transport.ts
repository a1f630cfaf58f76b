import { clientError, MeasurelyError, withAttempts } from './errors.js';
import {
  type AbortSignalLike,
  byteLength,
  type FetchInit,
  type HeadersLike,
  MAX_TIMER_MS,
  type ResponseLike,
  runtime,
  unref,
} from './runtime.js';

export interface TransportOptions {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly fetch: (input: string, init: FetchInit) => Promise<ResponseLike>;
}

export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly body?: unknown;
  /** Let the browser finish the request after the page is gone (bodies up to 64 KiB). */
  readonly keepalive?: boolean;
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignalLike | undefined;
}

export interface TransportResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: HeadersLike;
}

/** Browsers refuse keepalive requests once their bodies in flight pass 64 KiB (fetch spec). */
export const KEEPALIVE_MAX_BYTES = 64 * 1024;

/** 5xx statuses that say "try again"; 501, 505… are final. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Sends one request, retrying transient failures with the same body and Idempotency-Key. */
export async function sendRequest<T>(
  options: TransportOptions,
  request: TransportRequest,
): Promise<TransportResponse<T>> {
  const { signal } = request;
  const abortedBy = (): MeasurelyError | undefined =>
    signal?.aborted === true ? abortError(signal) : undefined;
  const attempts = 1 + options.maxRetries;
  // Serialised once: every attempt sends the very same bytes.
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const keepalive = request.keepalive === true && byteLength(body ?? '') <= KEEPALIVE_MAX_BYTES;
  for (let attempt = 1; ; attempt++) {
    const before = abortedBy();
    if (before !== undefined) throw withAttempts(before, attempt - 1);
    let error: MeasurelyError;
    try {
      return await attemptOnce<T>(options, request, body, keepalive);
    } catch (caught) {
      error = abortedBy() ?? (caught instanceof MeasurelyError ? caught : networkError(caught));
    }
    const retryAfter = error.retryAfterMs;
    if (
      !error.retryable ||
      attempt >= attempts ||
      (retryAfter !== undefined && retryAfter > options.maxRetryAfterMs)
    ) {
      throw withAttempts(error, attempt);
    }
    try {
      await sleep(retryDelay(options, attempt, retryAfter), signal);
    } catch (caught) {
      throw withAttempts(caught as MeasurelyError, attempt);
    }
  }
}

/**
 * The wait before retry number `retry` (from 1): "equal jitter" over an exponential cap, so that
 * retries spread out yet always wait at least half the cap. A `Retry-After` is a floor.
 */
export function retryDelay(
  options: Pick<TransportOptions, 'initialDelayMs' | 'maxDelayMs'>,
  retry: number,
  retryAfterMs?: number,
): number {
  const cap = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (retry - 1));
  if (retryAfterMs !== undefined) return retryAfterMs + (Math.random() * cap) / 4;
  return cap / 2 + (Math.random() * cap) / 2;
}

async function attemptOnce<T>(
  options: TransportOptions,
  request: TransportRequest,
  body: string | undefined,
  keepalive: boolean,
): Promise<TransportResponse<T>> {
  const controller = new runtime.AbortController();
  const onAbort = (): void => controller.abort();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = runtime.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  unref(timer);
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.apiKey}`,
    accept: 'application/json, application/problem+json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
  try {
    let response: ResponseLike;
    try {
      response = await options.fetch(`${options.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(keepalive ? { keepalive } : {}),
        signal: controller.signal,
      });
    } catch (cause) {
      throw failure(cause, timedOut, request.signal, options.timeoutMs);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw failure(cause, timedOut, request.signal, options.timeoutMs);
    }
    if (response.ok) {
      let parsed: T;
      try {
        parsed = (text === '' ? undefined : JSON.parse(text)) as T;
      } catch (cause) {
        throw new MeasurelyError(
          `The server answered ${response.status} with a body that is not JSON.`,
          { kind: 'http', code: 'UNEXPECTED_RESPONSE', status: response.status, cause },
        );
      }
      return { status: response.status, body: parsed, headers: response.headers };
    }
    throw httpError(response, text);
  } finally {
    runtime.clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
  }
}

function httpError(response: ResponseLike, text: string): MeasurelyError {
  const { status } = response;
  let problem: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      problem = parsed as Record<string, unknown>;
    }
  } catch {
    problem = undefined;
  }
  const code = typeof problem?.code === 'string' ? problem.code : 'UNEXPECTED_RESPONSE';
  const detail =
    typeof problem?.detail === 'string'
      ? problem.detail
      : `The server answered ${status}${response.statusText ? ` ${response.statusText}` : ''}.`;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  const requestId =
    (typeof problem?.requestId === 'string' ? problem.requestId : undefined) ??
    response.headers.get('x-request-id') ??
    undefined;
  const retryable =
    RETRYABLE_STATUSES.has(status) || (status === 409 && code === 'IDEMPOTENCY_KEY_IN_USE');
  return new MeasurelyError(`${code}: ${detail}`, {
    kind: 'http',
    code,
    status,
    retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(problem === undefined ? {} : { problem }),
  });
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT` (the one to send), then the two obsolete forms. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC_850 = new RegExp(`^${DAY}[a-z]*, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * `Retry-After` in milliseconds from `now`: delay-seconds (a decimal such as `1.5` is read too)
 * or an HTTP date (RFC 9110, its three forms). Anything else is no `Retry-After` at all.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(Number(trimmed) * 1000));
  }
  const date = httpDate(trimmed);
  return date === undefined ? undefined : Math.max(0, date - now);
}

function httpDate(text: string): number | undefined {
  let fields: string[];
  const imf = IMF_FIXDATE.exec(text);
  const rfc850 = imf === null ? RFC_850.exec(text) : null;
  const asctime = imf === null && rfc850 === null ? ASCTIME.exec(text) : null;
  if (imf !== null) {
    fields = imf.slice(1);
  } else if (rfc850 !== null) {
    const [day = '', month = '', year = '', ...time] = rfc850.slice(1);
    fields = [day, month, String(fullYear(Number(year))), ...time];
  } else if (asctime !== null) {
    const [month = '', day = '', h = '', m = '', s = '', year = ''] = asctime.slice(1);
    fields = [day.trim(), month, year, h, m, s];
  } else {
    return undefined;
  }
  const [day, year, hours, minutes, seconds] = [0, 2, 3, 4, 5].map((i) => Number(fields[i]));
  const month = MONTHS.indexOf((fields[1] ?? '').toLowerCase());
  const time = Date.UTC(year ?? 0, month, day, hours, minutes, seconds);
  const check = new Date(time);
  // 31 Feb or 25:00 would roll over into another date: not a date.
  const rolledOver =
    check.getUTCDate() !== day ||
    check.getUTCMonth() !== month ||
    check.getUTCHours() !== hours ||
    check.getUTCMinutes() !== minutes ||
    check.getUTCSeconds() !== seconds;
  return rolledOver ? undefined : time;
}

/** A two-digit year of the obsolete RFC 850 form: the nearest one at most 50 years ahead. */
function fullYear(twoDigits: number): number {
  const now = new Date().getUTCFullYear();
  const candidate = now - (now % 100) + twoDigits;
  return candidate > now + 50 ? candidate - 100 : candidate;
}

function failure(
  cause: unknown,
  timedOut: boolean,
  signal: AbortSignalLike | undefined,
  timeoutMs: number,
): MeasurelyError {
  if (signal?.aborted === true) return abortError(signal);
  if (timedOut) {
    return new MeasurelyError(`The server did not answer within ${timeoutMs} ms.`, {
      kind: 'timeout',
      code: 'TIMEOUT',
      retryable: true,
      cause,
    });
  }
  return networkError(cause);
}

function networkError(cause: unknown): MeasurelyError {
  const reason = cause instanceof Error ? describeCause(cause) : String(cause);
  return new MeasurelyError(`The server could not be reached: ${reason}`, {
    kind: 'network',
    code: 'NETWORK_ERROR',
    retryable: true,
    cause,
  });
}

function describeCause(error: Error): string {
  const inner: unknown = error.cause;
  if (inner instanceof Error) {
    const code = (inner as Error & { code?: unknown }).code;
    return typeof code === 'string'
      ? `${error.message} (${code})`
      : `${error.message} (${inner.message})`;
  }
  return error.message;
}

/**
 * The error for a fired signal: its reason when that is already a MeasurelyError (flush and close
 * deadlines), TIMEOUT for `AbortSignal.timeout()`, ABORTED otherwise.
 */
export function abortError(signal: AbortSignalLike, what = 'The request'): MeasurelyError {
  const { reason } = signal;
  if (reason instanceof MeasurelyError) return reason;
  if ((reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    return new MeasurelyError(`${what} ran out of time: its signal timed out.`, {
      kind: 'timeout',
      code: 'TIMEOUT',
      cause: reason,
    });
  }
  return new MeasurelyError(`${what} was aborted.`, {
    kind: 'aborted',
    code: 'ABORTED',
    cause: reason,
  });
}

/** Waits `ms`, or rejects as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      runtime.clearTimeout(timer);
      if (signal !== undefined) reject(abortError(signal));
    };
    // Not unref'd: a caller awaiting a retry is work in progress, not an idle timer.
    const timer = runtime.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function invalidArgument(message: string): MeasurelyError {
  return clientError('INVALID_ARGUMENT', message);
}
