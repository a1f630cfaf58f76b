import type { MeasurelyError } from './errors.js';
import type { AbortSignalLike, FetchLike } from './runtime.js';

/**
 * Options of {@link createClient}.
 *
 * @example
 * ```ts
 * const options: ClientOptions = {
 *   apiKey: process.env.MEASURELY_API_KEY ?? '',
 *   baseUrl: 'https://metrics.example.com',
 *   batch: { maxEvents: 200, flushIntervalMs: 2_000 },
 * };
 * ```
 */
export interface ClientOptions {
  /** An `ingest` key to send events, a `read` key for the read helpers (`mly_…`). */
  apiKey: string;
  /** The server's URL, with or without a trailing slash or a path prefix. Default `http://localhost:3000`. */
  baseUrl?: string | undefined;
  /** Time allowed to each attempt, in milliseconds. Default 10,000. */
  timeoutMs?: number | undefined;
  /**
   * Retries after the first attempt (attempts = 1 + maxRetries). Default 6: with the default
   * backoff, 13 to 26 s of waits in all, enough to outlast a server restart. 0 disables retries.
   */
  maxRetries?: number | undefined;
  /**
   * Waits between attempts: retry n waits between half and all of
   * `min(maxDelayMs, initialDelayMs × 2^(n-1))`, at random. Defaults 500 and 10,000 ms.
   */
  backoff?: { initialDelayMs?: number | undefined; maxDelayMs?: number | undefined } | undefined;
  /**
   * The longest `Retry-After` the client waits for, in milliseconds (default 60,000). A server
   * asking for a longer wait (a monthly quota used up, say) fails the request at once instead.
   */
  maxRetryAfterMs?: number | undefined;
  /**
   * Queue `capture()` calls and send them through the batch endpoint. Off by default. A queued
   * event without a timestamp is stamped with the time of its `capture()` (this device's clock).
   */
  batch?:
    | {
        /**
         * Send as soon as this many events wait. Default 100, at most 1,000; keep it at or
         * below the server's `MEASURELY_MAX_BATCH_EVENTS`.
         */
        maxEvents?: number | undefined;
        /** Send what waits after this long, in milliseconds. Default 1,000. */
        flushIntervalMs?: number | undefined;
        /** Refuse new events (`QUEUE_FULL`) past this many waiting. Default 10,000. */
        maxQueuedEvents?: number | undefined;
      }
    | undefined;
  /**
   * A fetch implementation, for runtimes without a global one or to observe requests. Default
   * `globalThis.fetch`. Any fetch fits (it is called with a URL string and a {@link FetchInit}).
   */
  fetch?: FetchLike | undefined;
  /**
   * Called with every `capture()` that fails, batched or sent alone, awaited or not — except
   * those aborted by their own `signal` — with the events concerned, as they were captured
   * (queued ones with their capture time as `timestamp`). Its errors are ignored.
   * Default: a `console.error` line when `batch` is on (a lost event never goes unnoticed),
   * nothing otherwise (each capture's promise tells).
   */
  onError?: ((error: MeasurelyError, events: readonly BatchEvent[]) => void) | undefined;
}

/**
 * One value for a metric.
 *
 * @example
 * ```ts
 * const input: CaptureInput = { value: 19.99, filters: { plan: 'pro' }, timestamp: new Date() };
 * ```
 */
export interface CaptureInput {
  /** Basic metrics take values > 0, dual ones ≠ 0, average ones any; up to 6 decimals. */
  value: number;
  /** Up to 10 `key: value` strings, trimmed and lower-cased by the server. */
  filters?: Record<string, string> | undefined;
  /**
   * When it happened: an ISO 8601 string with a zone, epoch milliseconds or a Date. Default: the
   * time of the `capture()` call with `batch` (this device's clock), the server's time without.
   */
  timestamp?: string | number | Date | undefined;
}

/**
 * One event of a batch: a {@link CaptureInput} plus its metric's id or name.
 *
 * @example
 * ```ts
 * const event: BatchEvent = { metric: 'revenue', value: 49, filters: { plan: 'team' } };
 * ```
 */
export interface BatchEvent extends CaptureInput {
  /** The metric's id (UUID) or name. */
  metric: string;
}

/**
 * Per-call options of `capture` and `captureBatch`.
 *
 * @example
 * ```ts
 * await client.captureBatch(events, { idempotencyKey: `import-2026-11-chunk-${n}` });
 * ```
 */
export interface SendOptions {
  /** Sent as `Idempotency-Key` on every attempt. Default: a random UUID per call. */
  idempotencyKey?: string | undefined;
  /**
   * Aborts the call, retries and waits included. `AbortSignal.timeout(ms)` bounds it in all
   * (it then rejects with `TIMEOUT`).
   */
  signal?: AbortSignalLike | undefined;
}

/**
 * Per-call options of the read helpers and `identify`.
 *
 * @example
 * ```ts
 * await client.series('signups', { range: 'today' }, { signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface RequestOptions {
  /** Aborts the call, retries and waits included. */
  signal?: AbortSignalLike | undefined;
}

/**
 * Options of `flush` and `close`: how long to try before giving up on what is left.
 *
 * @example
 * ```ts
 * await client.close({ timeoutMs: 5_000 }); // then whatever is not sent fails (onError)
 * ```
 */
export interface FlushOptions {
  /**
   * Give up after this many milliseconds: events still queued or in flight then fail with
   * `TIMEOUT` (their promises reject and `onError` hears of them) and the call resolves.
   */
  timeoutMs?: number | undefined;
  /** The same, when this signal fires (`ABORTED`, or `TIMEOUT` for `AbortSignal.timeout`). */
  signal?: AbortSignalLike | undefined;
}

/**
 * What `capture` resolves with once the server has durably stored the event.
 *
 * @example
 * ```ts
 * const { replayed } = await client.capture('signups', { value: 1 }, { idempotencyKey: 'signup-42' });
 * if (replayed) console.log('already counted earlier');
 * ```
 */
export interface CaptureResult {
  ok: true;
  /** True when the server had already stored a request with this Idempotency-Key (not counted again). */
  replayed: boolean;
}

/**
 * One entry of {@link BatchResult.results}: the event at `index` was stored, or refused with a code.
 *
 * @example
 * ```ts
 * const rejects = result.results.filter((r): r is Extract<BatchEventResult, { ok: false }> => !r.ok);
 * ```
 */
export type BatchEventResult =
  | { index: number; ok: true }
  | { index: number; ok: false; code: string; detail: string };

/**
 * The server's answer to a batch: accepted events are committed, rejected ones are not.
 *
 * @example
 * ```ts
 * const result: BatchResult = await client.captureBatch(events);
 * for (const r of result.results) if (!r.ok) console.warn(`event ${r.index}: ${r.code}`);
 * ```
 */
export interface BatchResult {
  accepted: number;
  rejected: number;
  results: BatchEventResult[];
  /** True when the whole batch was a replay of an earlier request with the same Idempotency-Key. */
  replayed?: boolean;
}
