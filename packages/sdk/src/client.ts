import { Batcher, type SentBatch } from './batcher.js';
import { clientError, deriveError, MeasurelyError } from './errors.js';
import { planKeepalive } from './keepalive.js';
import type {
  BreakdownQuery,
  BreakdownResponse,
  FiltersResponse,
  KeyIdentity,
  MetricOverview,
  SeriesQuery,
  SeriesResponse,
  SeriesSummary,
  WindowQuery,
} from './read-types.js';
import {
  type AbortControllerLike,
  type AbortSignalLike,
  byteLength,
  MAX_TIMER_MS,
  runtime,
} from './runtime.js';
import {
  abortError,
  invalidArgument,
  KEEPALIVE_MAX_BYTES,
  sendRequest,
  type TransportOptions,
  type TransportResponse,
} from './transport.js';
import type {
  BatchEvent,
  BatchResult,
  CaptureInput,
  CaptureResult,
  ClientOptions,
  FlushOptions,
  RequestOptions,
  SendOptions,
} from './types.js';

/**
 * The base URL used when `baseUrl` is not given: a server running locally on its default port.
 *
 * @example
 * ```ts
 * createClient({ apiKey }).baseUrl === DEFAULT_BASE_URL; // 'http://localhost:3000'
 * ```
 */
export const DEFAULT_BASE_URL = 'http://localhost:3000';

/**
 * A Measurely client, made by {@link createClient}.
 *
 * @example
 * ```ts
 * const client = createClient({ apiKey: process.env.MEASURELY_API_KEY ?? '' });
 * await client.capture('signups', { value: 1, filters: { plan: 'pro' } });
 * await client.close();
 * ```
 */
export interface MeasurelyClient {
  /** The normalised base URL requests go to (no trailing slash). */
  readonly baseUrl: string;
  /**
   * Records one value. Without `batch`: one `POST /event/v1/{metric}`, retried with the same
   * Idempotency-Key. With `batch`: queued; resolves once its batch is committed (an event with
   * its own `idempotencyKey` is sent alone, at once). A failure also goes to `onError`.
   *
   * @example
   * ```ts
   * await client.capture('revenue', { value: 49.9, filters: { plan: 'pro' } });
   * ```
   */
  capture(metric: string, input: CaptureInput, options?: SendOptions): Promise<CaptureResult>;
  /**
   * Sends events through `POST /event/v1/batch`, retried as a unit with one Idempotency-Key.
   * Events the server refuses are listed in `results`; the call itself rejects only when the whole
   * batch fails (network, 401, 429 after retries…).
   *
   * @example
   * ```ts
   * const result = await client.captureBatch(
   *   [{ metric: 'signups', value: 1 }, { metric: 'revenue', value: 20 }],
   *   { idempotencyKey: 'import-2026-11-28-part-1' },
   * );
   * console.log(result.accepted, result.rejected);
   * ```
   */
  captureBatch(events: BatchEvent[], options?: SendOptions): Promise<BatchResult>;
  /**
   * Sends the events queued now and waits for them, and for captures and batches in flight now;
   * what is captured meanwhile is not waited for. If a batch fails for a transient reason (server
   * down), the rest fail at once rather than retrying one batch after another. With `timeoutMs`
   * or `signal`, gives up on what is left (it fails, see {@link FlushOptions}). Never rejects
   * for events: their failures go to their promises and `onError`.
   *
   * @example
   * ```ts
   * export const handler = async () => {
   *   client.capture('runs', { value: 1 });
   *   await client.flush({ timeoutMs: 2_000 });
   * };
   * ```
   */
  flush(options?: FlushOptions): Promise<void>;
  /**
   * Refuses new events from now on (`CLIENT_CLOSED`), then flushes. Read helpers keep working.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void client.close({ timeoutMs: 5_000 }).then(() => process.exit(0)));
   * ```
   */
  close(options?: FlushOptions): Promise<void>;
  /**
   * What the API key is (`GET /api/key`): its id, project, scope, name and prefix.
   *
   * @example
   * ```ts
   * const { projectId } = await client.identify();
   * ```
   */
  identify(options?: RequestOptions): Promise<KeyIdentity>;
  /**
   * A metric's series over a window (read key): buckets, summary, groups.
   *
   * @example
   * ```ts
   * const s = await client.series('signups', { range: 'last_7_days', granularity: 'day' });
   * ```
   */
  series(metric: string, query: SeriesQuery, options?: RequestOptions): Promise<SeriesResponse>;
  /**
   * The summary block of a metric's series over a window (read key): totals, previous period,
   * change in percent, all-time totals.
   *
   * @example
   * ```ts
   * const { value, change } = await client.summary('signups', { range: 'today' });
   * ```
   */
  summary(metric: string, query: SeriesQuery, options?: RequestOptions): Promise<SeriesSummary>;
  /**
   * Totals per value of one filter key (read key).
   *
   * @example
   * ```ts
   * const b = await client.breakdown('signups', { by: 'country', range: 'last_30_days' });
   * ```
   */
  breakdown(
    metric: string,
    query: BreakdownQuery,
    options?: RequestOptions,
  ): Promise<BreakdownResponse>;
  /**
   * The filter keys a metric has seen, with their values (read key).
   *
   * @example
   * ```ts
   * const { keys } = await client.filters('signups');
   * ```
   */
  filters(metric: string, options?: RequestOptions): Promise<FiltersResponse>;
  /**
   * Every metric of the key's project with totals, today and yesterday (read key).
   *
   * @example
   * ```ts
   * const metrics = await client.metrics({ tz: 'Europe/Paris' });
   * ```
   */
  metrics(options?: {
    tz?: string | undefined;
    signal?: AbortSignalLike | undefined;
  }): Promise<MetricOverview[]>;
}

/**
 * Creates a client for one API key.
 *
 * @example
 * ```ts
 * import { createClient } from '@measurely/sdk';
 *
 * const client = createClient({
 *   apiKey: process.env.MEASURELY_API_KEY ?? '',
 *   baseUrl: 'https://metrics.example.com',
 *   batch: { maxEvents: 100, flushIntervalMs: 1_000 },
 * });
 * client.capture('page_views', { value: 1, filters: { path: '/pricing' } });
 * await client.close({ timeoutMs: 5_000 });
 * ```
 */
export function createClient(options: ClientOptions): MeasurelyClient {
  const transport = transportOptions(options);
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalidArgument('onError must be a function (error, events) => void.');
  }
  const onError = options.onError ?? (options.batch === undefined ? undefined : logLostEvents);
  const report = (error: MeasurelyError, events: readonly BatchEvent[]): void => {
    try {
      onError?.(error, events);
    } catch {
      // A throwing handler must not break the client.
    }
  };
  let closed = false;
  let projectId: Promise<string> | undefined;

  // Captures sent alone and captureBatch calls in flight, so flush() and close() can wait for them.
  const inFlight = new Set<Promise<void>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return promise;
  };

  const postEvent = async (
    metric: string,
    input: CaptureInput,
    send: SendOptions,
  ): Promise<CaptureResult> => {
    const response = await sendRequest<unknown>(transport, {
      method: 'POST',
      path: `/event/v1/${encodeURIComponent(metric)}`,
      body: eventBody(input),
      idempotencyKey: send.idempotencyKey ?? randomKey(),
      signal: send.signal,
    });
    return { ok: true, replayed: isReplay(response.headers) };
  };

  // Bytes of keepalive bodies in flight: browsers refuse more than 64 KiB in all.
  let keepaliveBytes = 0;
  const postBatch = async (
    events: BatchEvent[],
    send: SendOptions,
    origin: 'batch' | 'captureBatch',
    keepalive = false,
  ): Promise<SentBatch> => {
    const body = { events: events.map(batchEventJson) };
    // Only what the transport sends with keepalive (bodies up to 64 KiB) counts.
    const size = keepalive ? byteLength(JSON.stringify(body)) : 0;
    const bytes = size <= KEEPALIVE_MAX_BYTES ? size : 0;
    keepaliveBytes += bytes;
    let response: TransportResponse<BatchResult>;
    try {
      response = await sendRequest<BatchResult>(transport, {
        method: 'POST',
        path: '/event/v1/batch',
        body,
        idempotencyKey: send.idempotencyKey ?? randomKey(),
        signal: send.signal,
        keepalive,
      });
    } catch (error) {
      throw batchTooLarge(error, events.length, origin);
    } finally {
      keepaliveBytes -= bytes;
    }
    const answer = response.body;
    if (typeof answer !== 'object' || answer === null || !Array.isArray(answer.results)) {
      throw new MeasurelyError('The batch answer holds no per-event results.', {
        kind: 'http',
        code: 'UNEXPECTED_RESPONSE',
        status: response.status,
      });
    }
    return {
      result: { ...answer, replayed: isReplay(response.headers) },
      requestId: response.headers.get('x-request-id') ?? undefined,
      status: response.status,
    };
  };

  const batcher =
    options.batch === undefined
      ? undefined
      : createBatcher(options, {
          send: (events, { keepalive, signal }) =>
            postBatch(events, { signal }, 'batch', keepalive),
          report,
          planLeave: (events, maxEvents) =>
            planKeepalive(
              events.map((event) => byteLength(JSON.stringify(batchEventJson(event)))),
              maxEvents,
              KEEPALIVE_MAX_BYTES - keepaliveBytes,
            ),
        });

  const get = async <T>(path: string, signal?: AbortSignalLike): Promise<T> =>
    (await sendRequest<T>(transport, { method: 'GET', path, signal })).body;

  const identify = (request?: RequestOptions): Promise<KeyIdentity> =>
    get<KeyIdentity>('/api/key', request?.signal);

  // Identified once for every read; a caller's signal stops its own wait, not the shared lookup.
  const project = (signal?: AbortSignalLike): Promise<string> => {
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    if (projectId === undefined) {
      const pending = identify().then((identity) => identity.projectId);
      projectId = pending;
      pending.catch(() => {
        if (projectId === pending) projectId = undefined;
      });
    }
    return abortable(projectId, signal);
  };

  const metricPath = async (
    metric: string,
    tail: string,
    signal?: AbortSignalLike,
  ): Promise<string> => {
    requireName(metric);
    return `/api/projects/${encodeURIComponent(await project(signal))}/metrics/${encodeURIComponent(metric)}/${tail}`;
  };

  const series = async (
    metric: string,
    query: SeriesQuery,
    request?: RequestOptions,
  ): Promise<SeriesResponse> => {
    if (typeof query !== 'object' || query === null) {
      throw invalidArgument('Give a window: { range: "last_7_days" } or { from, to }.');
    }
    const params = windowParams(query);
    if (query.granularity !== undefined) params.push(['granularity', query.granularity]);
    if (query.groupBy !== undefined) params.push(['groupBy', query.groupBy]);
    if (query.top !== undefined) params.push(['top', String(query.top)]);
    if (query.previous !== undefined) params.push(['previous', String(query.previous)]);
    const path = await metricPath(metric, 'series', request?.signal);
    return get<SeriesResponse>(withQuery(path, params), request?.signal);
  };

  /** flush() and close(): the batcher's part, then what was in flight, within the deadline. */
  const settle = async (operation: string, flush: FlushOptions | undefined): Promise<void> => {
    const deadline = startDeadline(operation, flush);
    const sentAlone = [...inFlight];
    try {
      await Promise.all([
        batcher?.flush(deadline.signal),
        Promise.race([Promise.all(sentAlone), deadline.expired]),
      ]);
    } finally {
      deadline.dispose();
    }
  };

  return {
    baseUrl: transport.baseUrl,

    capture(metric, input, sendOptions) {
      const send: SendOptions = sendOptions ?? {};
      let event: BatchEvent | undefined;
      let promise: Promise<CaptureResult>;
      try {
        requireName(metric);
        checkInput(input);
        checkSendOptions(send);
        if (closed) throw clientError('CLIENT_CLOSED');
        event = snapshotEvent(metric, input);
        if (batcher !== undefined && send.idempotencyKey === undefined) {
          // The batcher tells onError of its events' failures itself.
          promise = batcher.add(event, send.signal);
          promise.catch(() => undefined);
          return promise;
        }
        promise = track(postEvent(metric, event, send));
      } catch (error) {
        promise = Promise.reject(error);
      }
      // Fire-and-forget callers must not crash Node with an unhandled rejection, and their
      // failures reach onError. Callers that await still get the rejection.
      promise.catch((error: MeasurelyError) => {
        if (error.kind === 'aborted' && send.signal?.aborted === true) return;
        report(error, [event ?? { ...(input as CaptureInput), metric }]);
      });
      return promise;
    },

    async captureBatch(events, send = {}) {
      if (!Array.isArray(events)) throw invalidArgument('events must be an array of events.');
      checkSendOptions(send);
      events.forEach((event, index) => {
        if (typeof event !== 'object' || event === null) {
          throw invalidArgument(`events[${index}] must be an object.`);
        }
        requireName(event.metric, `events[${index}].metric`);
        checkInput(event, `events[${index}]`, BATCH_EVENT_FIELDS);
      });
      if (closed) throw clientError('CLIENT_CLOSED');
      return (await track(postBatch(events, send, 'captureBatch'))).result;
    },

    async flush(flush) {
      checkFlushOptions('flush()', flush);
      await settle('flush()', flush);
    },

    async close(flush) {
      checkFlushOptions('close()', flush);
      closed = true;
      await settle('close()', flush);
    },

    identify,
    series,

    async summary(metric, query, request) {
      return (await series(metric, { ...query, previous: false }, request)).summary;
    },

    async breakdown(metric, query, request) {
      if (typeof query?.by !== 'string' || query.by === '') {
        throw invalidArgument('breakdown needs `by`, the filter key to break down by.');
      }
      const params = windowParams(query);
      params.push(['by', query.by]);
      if (query.limit !== undefined) params.push(['limit', String(query.limit)]);
      const path = await metricPath(metric, 'breakdown', request?.signal);
      return get<BreakdownResponse>(withQuery(path, params), request?.signal);
    },

    async filters(metric, request) {
      return get<FiltersResponse>(
        await metricPath(metric, 'filters', request?.signal),
        request?.signal,
      );
    },

    async metrics(query) {
      const params: Array<[string, string]> = [];
      if (query?.tz !== undefined) params.push(['tz', query.tz]);
      const path = withQuery(
        `/api/projects/${encodeURIComponent(await project(query?.signal))}/overview`,
        params,
      );
      return (await get<{ metrics: MetricOverview[] }>(path, query?.signal)).metrics;
    },
  };
}

/**
 * The deadline of a flush or close: a signal that fires after `timeoutMs` or with the caller's
 * signal, its reason the error the events left behind fail with.
 */
function startDeadline(
  operation: string,
  options: FlushOptions | undefined,
): { signal?: AbortSignalLike; expired: Promise<void>; dispose(): void } {
  const { timeoutMs, signal } = options ?? {};
  if (timeoutMs === undefined && signal === undefined) {
    return { expired: new Promise<void>(() => undefined), dispose: () => undefined };
  }
  const controller: AbortControllerLike = new runtime.AbortController();
  const expired = new Promise<void>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const timer =
    timeoutMs === undefined
      ? undefined
      : runtime.setTimeout(() => {
          controller.abort(
            new MeasurelyError(
              `${operation} gave up after ${timeoutMs} ms; the event was not confirmed as recorded.`,
              { kind: 'timeout', code: 'TIMEOUT', attempts: 0 },
            ),
          );
        }, timeoutMs);
  const onAbort = (): void => {
    if (signal === undefined) return;
    const cause = abortError(signal, operation);
    controller.abort(
      deriveError(cause, {
        message: `${cause.message} The event was not confirmed as recorded.`,
        attempts: 0,
      }),
    );
  };
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    expired,
    dispose() {
      if (timer !== undefined) runtime.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

function checkFlushOptions(operation: string, options: FlushOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument(`${operation} takes { timeoutMs?, signal? }.`);
  }
  if (options.timeoutMs !== undefined) {
    requireDelay(options.timeoutMs, `${operation} timeoutMs`, false);
  }
  if (options.signal !== undefined) requireSignal(options.signal, `${operation} signal`);
}

function checkSendOptions(options: SendOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('The options must be an object such as { idempotencyKey, signal }.');
  }
  const { idempotencyKey, signal } = options;
  if (
    idempotencyKey !== undefined &&
    (typeof idempotencyKey !== 'string' || idempotencyKey === '')
  ) {
    throw invalidArgument('idempotencyKey must be a non-empty string.');
  }
  if (signal !== undefined) requireSignal(signal, 'signal');
}

function requireSignal(signal: AbortSignalLike, name: string): void {
  if (
    typeof signal !== 'object' ||
    signal === null ||
    typeof signal.addEventListener !== 'function' ||
    typeof signal.removeEventListener !== 'function'
  ) {
    throw invalidArgument(`${name} must be an AbortSignal.`);
  }
}

/** `promise`, or ABORTED as soon as `signal` fires (the work behind the promise goes on). */
function abortable<T>(promise: Promise<T>, signal?: AbortSignalLike): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** BATCH_INVALID for a batch of several events: most likely over the server's own limit. */
function batchTooLarge(caught: unknown, count: number, origin: 'batch' | 'captureBatch'): unknown {
  if (!(caught instanceof MeasurelyError) || caught.code !== 'BATCH_INVALID' || count < 2) {
    return caught;
  }
  const limit = /1 to (\d+) events/.exec(caught.message)?.[1];
  if (limit !== undefined && count <= Number(limit)) return caught;
  const lower =
    origin === 'batch'
      ? `lower batch.maxEvents (${count} events were sent)`
      : `send fewer events per captureBatch call (${count} were sent)`;
  return deriveError(caught, {
    message: `${caught.message} The server takes fewer events per batch than that (its MEASURELY_MAX_BATCH_EVENTS${limit === undefined ? '' : ` is ${limit}`}): ${lower}.`,
  });
}

function createBatcher(
  options: ClientOptions,
  hooks: {
    send: ConstructorParameters<typeof Batcher>[0]['send'];
    report: ConstructorParameters<typeof Batcher>[0]['report'];
    planLeave: (
      events: readonly BatchEvent[],
      maxEvents: number,
    ) => ReturnType<ConstructorParameters<typeof Batcher>[0]['planLeave']>;
  },
): Batcher {
  const batch = options.batch ?? {};
  const maxEvents = batch.maxEvents ?? 100;
  if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > 1000) {
    throw invalidArgument('batch.maxEvents must be an integer from 1 to 1000.');
  }
  const flushIntervalMs = batch.flushIntervalMs ?? 1000;
  requireDelay(flushIntervalMs, 'batch.flushIntervalMs', true);
  const maxQueuedEvents = batch.maxQueuedEvents ?? 10_000;
  if (!Number.isInteger(maxQueuedEvents) || maxQueuedEvents < maxEvents) {
    throw invalidArgument('batch.maxQueuedEvents must be an integer of at least batch.maxEvents.');
  }
  return new Batcher({
    maxEvents,
    flushIntervalMs,
    maxQueuedEvents,
    send: hooks.send,
    report: hooks.report,
    planLeave: (events) => hooks.planLeave(events, maxEvents),
  });
}

function logLostEvents(error: MeasurelyError, events: readonly BatchEvent[]): void {
  // A server's refusal already reads `CODE: detail`; the SDK's own messages do not.
  const reason = error.message.startsWith(`${error.code}: `)
    ? error.message
    : `${error.code}: ${error.message}`;
  runtime.console?.error(`[measurely] ${events.length} event(s) not recorded: ${reason}`);
}

/** The defaults outlast a server restart: 6 retries over 13 to 26 s. */
const DEFAULTS = {
  timeoutMs: 10_000,
  maxRetries: 6,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
} as const;

function transportOptions(options: ClientOptions): TransportOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('createClient needs an options object with an apiKey.');
  }
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw invalidArgument('apiKey must be a non-empty string (an API key, mly_…).');
  }
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  let protocol: string;
  try {
    protocol = new runtime.URL(baseUrl).protocol;
  } catch {
    throw invalidArgument(`baseUrl must be an absolute http(s) URL, not "${options.baseUrl}".`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw invalidArgument(`baseUrl must be an http or https URL, not "${options.baseUrl}".`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  requireDelay(timeoutMs, 'timeoutMs', false);
  const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw invalidArgument('maxRetries must be a non-negative integer.');
  }
  const initialDelayMs = options.backoff?.initialDelayMs ?? DEFAULTS.initialDelayMs;
  const maxDelayMs = options.backoff?.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs;
  requireDelay(initialDelayMs, 'backoff.initialDelayMs', true);
  requireDelay(maxDelayMs, 'backoff.maxDelayMs', true);
  requireDelay(maxRetryAfterMs, 'maxRetryAfterMs', true);
  const given = options.fetch;
  if (given !== undefined && typeof given !== 'function') {
    throw invalidArgument('fetch must be a function, like globalThis.fetch.');
  }
  if (given === undefined && typeof runtime.fetch !== 'function') {
    throw invalidArgument('No fetch in this runtime: pass one as the `fetch` option.');
  }
  return {
    apiKey: options.apiKey.trim(),
    baseUrl,
    timeoutMs,
    maxRetries,
    initialDelayMs,
    maxDelayMs,
    maxRetryAfterMs,
    // Called unbound: some runtimes refuse a fetch whose `this` is not the global object.
    fetch: (input, init) => {
      const fetchImpl = given ?? runtime.fetch;
      if (fetchImpl === undefined) throw invalidArgument('No fetch in this runtime.');
      return fetchImpl(input, init);
    },
  };
}

/** A delay in milliseconds that a timer can wait: finite, at most about 24.8 days. */
function requireDelay(value: number, name: string, zeroAllowed: boolean): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (value === 0 && !zeroAllowed) ||
    value > MAX_TIMER_MS
  ) {
    throw invalidArgument(
      `${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of milliseconds, at most ${MAX_TIMER_MS}.`,
    );
  }
}

function requireName(metric: unknown, name = 'metric'): void {
  if (typeof metric !== 'string' || metric === '') {
    throw invalidArgument(`${name} must be a metric id or name (a non-empty string).`);
  }
}

const EVENT_FIELDS: ReadonlySet<string> = new Set(['value', 'filters', 'timestamp']);
const BATCH_EVENT_FIELDS: ReadonlySet<string> = new Set([...EVENT_FIELDS, 'metric']);

function checkInput(input: CaptureInput, name = 'input', fields = EVENT_FIELDS): void {
  if (typeof input !== 'object' || input === null) {
    throw invalidArgument(`${name} must be an object such as { value: 1 }.`);
  }
  // The server refuses unknown fields too: a typo (`vaule`, `filter`) must not pass silently.
  for (const field of Object.keys(input)) {
    if (!fields.has(field)) {
      throw invalidArgument(
        `${name} has an unknown field "${field.slice(0, 40)}"; an event has ${[...fields].join(', ')}.`,
      );
    }
  }
  if (typeof input.value !== 'number' || !Number.isFinite(input.value)) {
    throw invalidArgument(`${name}.value must be a finite number.`);
  }
  const { timestamp } = input;
  if (timestamp instanceof Date && Number.isNaN(timestamp.getTime())) {
    throw invalidArgument(`${name}.timestamp is an invalid Date.`);
  }
}

/**
 * The event as it is at capture time: what the caller changes later (its filters object, its
 * Date) does not change what is sent.
 */
function snapshotEvent(metric: string, input: CaptureInput): BatchEvent {
  const event: BatchEvent = { metric, value: input.value };
  const { filters, timestamp } = input;
  if (filters !== undefined) {
    // Anything but a plain object is left as it is, for the server to refuse.
    event.filters =
      typeof filters === 'object' && filters !== null && !Array.isArray(filters)
        ? { ...filters }
        : filters;
  }
  if (timestamp !== undefined) {
    event.timestamp = timestamp instanceof Date ? new Date(timestamp.getTime()) : timestamp;
  }
  return event;
}

function eventBody(input: CaptureInput): Record<string, unknown> {
  const body: Record<string, unknown> = { value: input.value };
  if (input.filters !== undefined) body.filters = input.filters;
  if (input.timestamp !== undefined) {
    body.timestamp =
      input.timestamp instanceof Date ? input.timestamp.toISOString() : input.timestamp;
  }
  return body;
}

function batchEventJson(event: BatchEvent): Record<string, unknown> {
  return { metric: event.metric, ...eventBody(event) };
}

function isReplay(headers: { get(name: string): string | null }): boolean {
  return headers.get('idempotent-replayed')?.toLowerCase() === 'true';
}

function windowParams(query: WindowQuery): Array<[string, string]> {
  const params: Array<[string, string]> = [];
  if (query.range !== undefined) params.push(['range', query.range]);
  if (query.from !== undefined) params.push(['from', instant(query.from)]);
  if (query.to !== undefined) params.push(['to', instant(query.to)]);
  if (query.tz !== undefined) params.push(['tz', query.tz]);
  for (const [key, value] of Object.entries(query.filters ?? {})) {
    params.push([`filter[${key}]`, value]);
  }
  return params;
}

function instant(value: string | number | Date): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

function withQuery(path: string, params: ReadonlyArray<readonly [string, string]>): string {
  if (params.length === 0) return path;
  const query = params
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  return `${path}?${query}`;
}

/** A random UUID v4, from Web Crypto when the runtime has it. */
export function randomKey(): string {
  const { crypto } = runtime;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof crypto?.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
