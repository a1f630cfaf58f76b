import { MeasurelyError } from '@measurely/sdk';

/** How a remote command retries a request that failed for a passing reason. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Backoff: full jitter over `initialDelayMs × 2^retry`, capped at `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this (a monthly quota used up, say) is not waited for. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 8,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** The wait before retry number `attempt` (1 for the first): `Retry-After` is a floor. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
): number {
  const backoff =
    Math.random() *
    Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return retryAfterMs === undefined ? backoff : retryAfterMs + backoff / 4;
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`; resolves false at once (and true otherwise) if `signal` fires first. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The same error, saying how many requests were made before giving up. */
export function afterAttempts(error: unknown, attempts: number): unknown {
  if (!(error instanceof MeasurelyError) || error.attempts === attempts) return error;
  return new MeasurelyError(error.message, {
    kind: error.kind,
    code: error.code,
    retryable: error.retryable,
    attempts,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    ...(error.problem === undefined ? {} : { problem: error.problem }),
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

/**
 * Makes one request (`call`, through an SDK client without retries of its own) until it is
 * answered, retrying what the SDK calls retryable as `policy` says, each retry told through `say`.
 * Gives up with the last error, or at once when `stop` fires (the caller checks it).
 */
export async function retrying<T>(
  call: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  stop: AbortSignal,
  say: ((text: string) => void) | undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(stop);
    } catch (error) {
      if (
        stop.aborted ||
        !(error instanceof MeasurelyError) ||
        !error.retryable ||
        attempt > policy.maxRetries ||
        (error.retryAfterMs !== undefined && error.retryAfterMs > policy.maxRetryAfterMs)
      ) {
        throw afterAttempts(error, attempt);
      }
      const wait = retryDelay(attempt, error.retryAfterMs, policy);
      say?.(`measurely: ${error.code}: retrying in ${Math.ceil(wait / 1000)} s\n`);
      if (!(await pause(wait, stop))) throw afterAttempts(error, attempt);
    }
  }
}
