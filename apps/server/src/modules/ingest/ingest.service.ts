import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { bearerToken } from '../../lib/bearer.js';
import type { Clock } from '../../lib/clock.js';
import { SCALE } from '../../lib/decimal.js';
import type { Logger } from '../../lib/logger.js';
import type { RateDecision, RateLimiter } from '../../lib/rate-limiter.js';
import { sha256Hex } from '../../lib/tokens.js';
import type { KeyIdentity, KeysService } from '../keys/keys.service.js';
import type { IngestMetric, MetricsService } from '../metrics/metrics.service.js';
import type { Limits } from '../projects/projects.schemas.js';
import type { ProjectsService } from '../projects/projects.service.js';
import {
  type BatchParams,
  fingerprintOf,
  isMetricRef,
  NOT_AN_OBJECT,
  type PreparedBatch,
  prepareBatch,
} from './batch-input.js';
import { createBatchPreparer } from './batch-preparer.js';
import {
  checkValueForType,
  type EventInput,
  EventRejected,
  parseEventInput,
} from './event-input.js';
import { GroupCommitter, type Settle } from './group-commit.js';
import type {
  EventOutcome,
  IngestRepo,
  PendingEvent,
  PendingRequest,
  RequestOutcome,
} from './ingest.repo.js';
import { type BatchResult, filtersJson, type ResponseSpec, responseBody } from './write-plan.js';

/** Documented limits on the filters a metric accumulates. */
export const FILTER_LIMITS = { maxKeysPerMetric: 20, maxValuesPerKey: 1_000 } as const;
/** What a tracked event's new filter value becomes when its key may take no more (capFilters). */
export const OVERFLOW_FILTER_VALUE = '(other)';
/**
 * New values the website tracker may add to one filter key of a metric per UTC day (per server
 * process); later new values are recorded as OVERFLOW_FILTER_VALUE until the next day.
 */
export const TRACKED_NEW_VALUES_PER_DAY = 100;
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const SEEN_FILTERS_LIMIT = 10_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface IngestContext {
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
}

/** One count (value 1) on a resolved basic metric, from the website tracker. */
export interface TrackedEvent {
  readonly metricId: string;
  /** Sorted, normalised filters (parseFilters). */
  readonly filters: ReadonlyArray<readonly [string, string]>;
}

/** A request whose key may send events and whose rate limit it is within. */
interface Admitted {
  readonly identity: KeyIdentity;
  /** The rate-limit headers every answer after admission carries. */
  readonly headers: Record<string, string>;
  readonly quota: number | null;
}

/** What the HTTP layer sends back: a status, headers and a JSON body. */
export interface IngestReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The JSON body: a value to serialise, or JsonText already serialised. */
  readonly body: unknown;
}

/** A reply's body already written as JSON. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** acceptedBatchBody()'s answers, by the batch's size: clients send batches of a few sizes. */
const acceptedBatchBodies = new Map<number, JsonText>();
const ACCEPTED_BATCH_BODIES_LIMIT = 16;

/** The body of a batch whose every event was stored, as responseBody() writes it. */
function acceptedBatchBody(count: number): JsonText {
  let body = acceptedBatchBodies.get(count);
  if (body === undefined) {
    const results = Array.from({ length: count }, (_, index) => ({ index, ok: true }));
    body = new JsonText(JSON.stringify({ accepted: count, rejected: 0, results }));
    if (acceptedBatchBodies.size >= ACCEPTED_BATCH_BODIES_LIMIT) acceptedBatchBodies.clear();
    acceptedBatchBodies.set(count, body);
  }
  return body;
}

function rateHeaders(limit: number, decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-policy': `"per-key";q=${limit};w=1`,
    ratelimit: `"per-key";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.retryAfterSeconds);
  return headers;
}

/** Seconds until the monthly quota resets: the start of the next UTC month. */
function untilNextMonth(now: number): string {
  const date = new Date(now);
  const next = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return String(Math.ceil((next - now) / 1000));
}

/**
 * Throws the error a single stored-or-not event answers with, unless it was stored: its
 * refusal's code (QUOTA_EXCEEDED with the seconds until the quota resets), or `notStored`.
 */
export function assertStored(
  outcome: EventOutcome | undefined,
  notStored: string,
  now: number,
): void {
  if (outcome?.ok === true) return;
  throw new AppError(
    outcome?.code ?? 'STORAGE_FAILED',
    outcome?.detail ?? notStored,
    outcome?.code === 'QUOTA_EXCEEDED' ? { headers: { 'retry-after': untilNextMonth(now) } } : {},
  );
}

/** The error with the rate-limit headers added, so every answer after admission carries them. */
/** A failure of the database on the ingest path: the request stored nothing and may be retried. */
function storageFailed(error: unknown): AppError {
  return error instanceof AppError
    ? error
    : new AppError('STORAGE_FAILED', 'The event could not be stored; it is safe to retry.', {
        cause: error,
      });
}

function withRateHeaders(error: unknown, headers: Record<string, string>): unknown {
  if (!(error instanceof AppError)) return error;
  return new AppError(error.code, error.detail, {
    headers: { ...headers, ...error.headers },
    cause: error,
  });
}

/** Tells the listener which metrics of which projects the commit added events to. */
function notifyCommitted(
  requests: readonly PendingRequest[],
  outcomes: readonly RequestOutcome[],
  listener: (changes: ReadonlyMap<string, ReadonlySet<string>>) => void,
  log: Logger,
): void {
  const changes = new Map<string, Set<string>>();
  requests.forEach((request, r) => {
    const events = outcomes[r]?.events ?? [];
    request.events.forEach((event, i) => {
      if (events[i]?.ok !== true) return;
      let metricIds = changes.get(request.projectId);
      if (metricIds === undefined) {
        metricIds = new Set();
        changes.set(request.projectId, metricIds);
      }
      metricIds.add(event.metricId);
    });
  });
  if (changes.size === 0) return;
  try {
    listener(changes);
  } catch (error) {
    log.error({ err: error }, 'a commit listener failed');
  }
}

export function createIngestService(deps: {
  repo: IngestRepo;
  keys: KeysService;
  metrics: MetricsService;
  projects: ProjectsService;
  limiter: RateLimiter;
  clock: Clock;
  config: Config;
  log: Logger;
  /** Told, after each commit, which metrics of which projects received events. */
  onCommitted?: (changes: ReadonlyMap<string, ReadonlySet<string>>) => void;
}) {
  const { repo, keys, metrics, projects, limiter, clock, config, log, onCommitted } = deps;
  let marking: Promise<void> = Promise.resolve();
  const committed = (
    requests: readonly PendingRequest[],
    outcomes: RequestOutcome[],
  ): RequestOutcome[] => {
    if (onCommitted !== undefined) notifyCommitted(requests, outcomes, onCommitted, log);
    // Off the response path, but awaited by drain() so shutdown never cuts it off.
    const keyIds = requests.map((r) => r.keyId);
    marking = marking
      .then(() => keys.markUsed(keyIds))
      .catch((error: unknown) => {
        log.error({ err: error }, 'could not record API key use');
      });
    return outcomes;
  };
  // A commit that returns its outcomes at once (SQLite) is answered in the same turn.
  const committer = new GroupCommitter((requests) => {
    const now = clock.now();
    const outcomes = repo.writeRequests(requests, now, now - IDEMPOTENCY_TTL_MS);
    return outcomes instanceof Promise
      ? outcomes.then((done) => committed(requests, done))
      : committed(requests, outcomes);
  }, repo.durable);
  const inFlight = new Set<string>();
  const preparer = createBatchPreparer((message) => log.error({}, message));
  // Filter keys and values each metric has seen, to enforce the per-metric limits without a query:
  // the sets once loaded, the load while it runs.
  const seenFilters = new Map<string, FilterSets | Promise<FilterSets>>();
  // New filter values the tracker added on `trackedDay`, per metric and filter key.
  let trackedDay = '';
  const trackedNewValues = new Map<string, number>();

  function filtersOf(metricId: string): FilterSets | Promise<FilterSets> {
    const seen = seenFilters.get(metricId);
    if (seen !== undefined) return seen;
    const loading: Promise<FilterSets> = repo.filterValuesOf(metricId).then((rows) => {
      const byKey: FilterSets = Object.assign(new Map<string, Set<string>>(), {
        reserved: new WeakSet<EventInput['filters']>(),
      });
      for (const { key, value } of rows) {
        const values = byKey.get(key) ?? new Set<string>();
        values.add(value);
        byKey.set(key, values);
      }
      if (seenFilters.get(metricId) === loading) seenFilters.set(metricId, byKey);
      return byKey;
    });
    loading.catch(() => {
      if (seenFilters.get(metricId) === loading) seenFilters.delete(metricId);
    });
    // Bounded: past this many metrics, start again (each is reloaded on its next event).
    if (seenFilters.size >= SEEN_FILTERS_LIMIT) seenFilters.clear();
    seenFilters.set(metricId, loading);
    return loading;
  }

  /** Refuses filters past the per-metric limits; reserves the new ones. */
  function reserveFilters(seen: FilterSets, input: EventInput): void {
    // parseFilters hands the same array to events with the same filters: reserved once.
    if (seen.reserved.has(input.filters)) return;
    for (const [key, value] of input.filters) {
      const values = seen.get(key);
      if (values === undefined && seen.size >= FILTER_LIMITS.maxKeysPerMetric) {
        throw new EventRejected(
          'FILTERS_LIMIT',
          `A metric takes at most ${FILTER_LIMITS.maxKeysPerMetric} filter keys; "${key}" would be one more.`,
        );
      }
      if (
        values !== undefined &&
        !values.has(value) &&
        values.size >= FILTER_LIMITS.maxValuesPerKey
      ) {
        throw new EventRejected(
          'FILTERS_LIMIT',
          `Filter "${key}" takes at most ${FILTER_LIMITS.maxValuesPerKey} distinct values per metric.`,
        );
      }
    }
    for (const [key, value] of input.filters) {
      const values = seen.get(key);
      if (values === undefined) seen.set(key, new Set([value]));
      else values.add(value);
    }
    seen.reserved.add(input.filters);
  }

  /**
   * Fits a tracked event's filters into the metric's limits instead of refusing the event: a new
   * value becomes OVERFLOW_FILTER_VALUE past the per-key limit (one value is kept free for it) or
   * past TRACKED_NEW_VALUES_PER_DAY new values of its key on `day`. A new key past the per-metric
   * limit is left out, and so is a key already holding every value it may take but no
   * OVERFLOW_FILTER_VALUE (filled by ingest keys): the event still counts. Reserves what it keeps.
   */
  async function capFilters(
    metricId: string,
    filters: TrackedEvent['filters'],
    day: string,
  ): Promise<Array<readonly [string, string]>> {
    if (filters.length === 0) return [];
    const seen = await filtersOf(metricId);
    if (day !== trackedDay) {
      trackedDay = day;
      trackedNewValues.clear();
    }
    const kept: Array<readonly [string, string]> = [];
    for (const [key, value] of filters) {
      const values = seen.get(key) ?? new Set<string>();
      if (!seen.has(key) && seen.size >= FILTER_LIMITS.maxKeysPerMetric) continue;
      const slot = `${metricId}\u0000${key}`;
      const addedToday = trackedNewValues.get(slot) ?? 0;
      const free = FILTER_LIMITS.maxValuesPerKey - (values.has(OVERFLOW_FILTER_VALUE) ? 0 : 1);
      const isNew = !values.has(value);
      const fits = !isNew || (values.size < free && addedToday < TRACKED_NEW_VALUES_PER_DAY);
      const stored = fits ? value : OVERFLOW_FILTER_VALUE;
      if (!values.has(stored) && values.size >= FILTER_LIMITS.maxValuesPerKey) continue;
      if (isNew && fits) trackedNewValues.set(slot, addedToday + 1);
      values.add(stored);
      seen.set(key, values);
      kept.push([key, stored]);
    }
    return kept;
  }

  /** The key's identity, if it may send events; else the error that says why not. */
  function ingestIdentity(identity: KeyIdentity | undefined): KeyIdentity {
    if (identity === undefined) {
      throw new AppError('API_KEY_INVALID', 'This API key is unknown, rotated away or revoked.');
    }
    if (identity.scope !== 'ingest') {
      throw new AppError(
        'KEY_SCOPE_FORBIDDEN',
        `A ${identity.scope} key cannot send events; use an ingest key.`,
      );
    }
    return identity;
  }

  /**
   * Charges an identified key's rate limit: the admitted request, or RATE_LIMITED; once the
   * shared limiter has answered when it is one (several processes).
   */
  function charge(
    identity: KeyIdentity,
    limits: Limits | undefined,
    cost: number,
  ): Admitted | Promise<Admitted> {
    if (limits === undefined) throw new AppError('API_KEY_INVALID', 'This API key is unknown.');
    const decision = limiter.consume(identity.keyId, cost, limits.rateLimitPerSecond);
    return decision instanceof Promise
      ? decision.then((decided) => admission(identity, limits, decided))
      : admission(identity, limits, decision);
  }

  /** The admitted request of a rate-limit decision, or RATE_LIMITED with the headers. */
  function admission(identity: KeyIdentity, limits: Limits, decision: RateDecision): Admitted {
    const headers = rateHeaders(limits.rateLimitPerSecond, decision);
    if (!decision.allowed) {
      throw new AppError(
        'RATE_LIMITED',
        `This key may send ${limits.rateLimitPerSecond} events per second; retry in ${decision.retryAfterSeconds} s.`,
        { headers },
      );
    }
    return { identity, headers, quota: limits.monthlyEventQuota };
  }

  /** Authenticates an ingest key and charges the rate limit; returns the headers to send. */
  async function admit(context: IngestContext, cost: number): Promise<Admitted> {
    const secret = bearerToken(context.authorization);
    const identity = ingestIdentity(
      keys.cachedIdentity(secret) ?? (await keys.identifyKey(secret)),
    );
    const { projectId } = identity;
    const limits =
      projects.cachedIngestLimits(projectId) ?? (await projects.ingestLimits(projectId));
    return charge(identity, limits, cost);
  }

  /**
   * admit() from the caches alone, without a promise (it runs for every request) unless the rate
   * limiter is shared: undefined when the key or its project's limits must be loaded first, and
   * nothing is charged then.
   */
  function admitCached(
    context: IngestContext,
    cost: number,
  ): Admitted | Promise<Admitted> | undefined {
    const identity = keys.cachedIdentity(bearerToken(context.authorization));
    if (identity === undefined) return undefined;
    ingestIdentity(identity);
    const limits = projects.cachedIngestLimits(identity.projectId);
    return limits === undefined ? undefined : charge(identity, limits, cost);
  }

  async function resolveMetric(projectId: string, ref: unknown): Promise<IngestMetric> {
    const metric = isMetricRef(ref) ? await metrics.resolveForIngest(projectId, ref) : undefined;
    if (metric === undefined) {
      throw new EventRejected('METRIC_UNKNOWN', 'No metric with this id or name for this API key.');
    }
    return metric;
  }

  /**
   * An event checked against everything it can be refused for before the commit, with no promise
   * when its metric and the metric's filters are known; undefined when one must be loaded first.
   */
  function prepareKnown(
    metric: IngestMetric | undefined,
    body: unknown,
    now: number,
  ): PendingEvent | undefined {
    if (metric === undefined) return undefined;
    return acceptKnown(metric, parseEventInput(body, now, config.ingest.backfillMs));
  }

  /** An event's own input checked against its metric, if the metric's filters are known. */
  function acceptKnown(metric: IngestMetric, input: EventInput): PendingEvent | undefined {
    checkValueForType(input.micros, metric.type);
    if (input.filters.length > 0) {
      const seen = seenFilters.get(metric.id);
      if (seen === undefined || seen instanceof Promise) return undefined;
      reserveFilters(seen, input);
    }
    return pendingEvent(metric.id, input);
  }

  /** acceptKnown(), loading the metric's filters if they are not known yet. */
  async function accept(metric: IngestMetric, input: EventInput): Promise<PendingEvent> {
    const known = acceptKnown(metric, input);
    if (known !== undefined) return known;
    reserveFilters(await filtersOf(metric.id), input);
    return pendingEvent(metric.id, input);
  }

  /** prepareKnown() with the metric from the cache, if it is there. */
  function prepareCached(projectId: string, ref: unknown, body: unknown): PendingEvent | undefined {
    const metric = isMetricRef(ref) ? metrics.cachedForIngest(projectId, ref) : undefined;
    return prepareKnown(metric, body, clock.now());
  }

  async function prepare(projectId: string, ref: unknown, body: unknown): Promise<PendingEvent> {
    const known = prepareCached(projectId, ref, body);
    if (known !== undefined) return known;
    const metric = await resolveMetric(projectId, ref);
    return accept(metric, parseEventInput(body, clock.now(), config.ingest.backfillMs));
  }

  /**
   * Runs a request under its Idempotency-Key: a replay answers what the first answered, a key
   * reused for another body is refused, and a key still in flight gets 409.
   */
  async function idempotent(
    projectId: string,
    context: IngestContext,
    /** The hash of what identifies the request; computed only when an Idempotency-Key is sent. */
    fingerprint: () => string,
    run: (idempotency: { key: string; hash: string } | undefined) => Promise<IngestReply>,
  ): Promise<IngestReply> {
    const key = context.idempotencyKey;
    if (key === undefined) return run(undefined);
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new AppError(
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1 to 255 visible ASCII characters.',
      );
    }
    const hash = fingerprint();
    const slot = `${projectId}\u0000${key}`;
    if (inFlight.has(slot)) {
      throw new AppError(
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still being processed.',
      );
    }
    inFlight.add(slot);
    try {
      const record = await repo.findIdempotencyRecord(projectId, key).catch((error: unknown) => {
        throw storageFailed(error);
      });
      if (record !== undefined && record.createdAt >= clock.now() - IDEMPOTENCY_TTL_MS) {
        if (record.requestHash !== hash) {
          throw new AppError(
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was used for a different request.',
          );
        }
        return {
          status: 200,
          headers: { 'idempotent-replayed': 'true' },
          body: JSON.parse(record.response),
        };
      }
      return await run({ key, hash });
    } finally {
      inFlight.delete(slot);
    }
  }

  /**
   * Commits a request's events with the next group: `settle` is told their outcomes, or the error
   * the request is refused with, as soon as the group is committed (in the same turn).
   */
  function commitEvents(
    admitted: Pick<Admitted, 'identity' | 'quota'>,
    events: PendingEvent[],
    idempotency: { key: string; hash: string } | undefined,
    response: ResponseSpec,
    settle: Settle<readonly EventOutcome[]>,
  ): void {
    // Filters reserved by events that end up not stored (quota, total range, failure) must not
    // count against the metric's limits: its filters are read again from the database.
    const forgetFilters = (stored: (index: number) => boolean): void => {
      for (const [index, event] of events.entries()) {
        if (event.filters.length > 0 && !stored(index)) seenFilters.delete(event.metricId);
      }
    };
    const request: PendingRequest = {
      projectId: admitted.identity.projectId,
      keyId: admitted.identity.keyId,
      quota: admitted.quota,
      events,
      ...(idempotency === undefined ? {} : { idempotency: { ...idempotency, response } }),
    };
    committer.enqueue(request, {
      resolve: ({ duplicate, events: outcomes }) => {
        forgetFilters((index) => !duplicate && outcomes[index]?.ok === true);
        if (!duplicate) {
          settle.resolve(outcomes);
          return;
        }
        settle.reject(
          new AppError(
            'IDEMPOTENCY_KEY_IN_USE',
            'A request with this Idempotency-Key was just processed; retry to get its result.',
          ),
        );
      },
      reject: (error) => {
        forgetFilters(() => false);
        settle.reject(storageFailed(error));
      },
    });
  }

  function commit(
    admitted: Pick<Admitted, 'identity' | 'quota'>,
    events: PendingEvent[],
    idempotency: { key: string; hash: string } | undefined,
    response: ResponseSpec,
  ): Promise<readonly EventOutcome[]> {
    return new Promise((resolve, reject) =>
      commitEvents(admitted, events, idempotency, response, { resolve, reject }),
    );
  }

  /**
   * Stores one prepared event of an admitted request: `settle` is told its 200 (with the admitted
   * request's rate-limit headers), or its refusal.
   */
  function storeEvent(
    admitted: Admitted,
    event: PendingEvent,
    idempotency: { key: string; hash: string } | undefined,
    settle: Settle<IngestReply>,
  ): void {
    const spec: ResponseSpec = { kind: 'single', metricId: event.metricId };
    commitEvents(admitted, [event], idempotency, spec, {
      resolve: (outcomes) => {
        try {
          assertStored(outcomes[0], 'The event was not stored.', clock.now());
        } catch (error) {
          settle.reject(error);
          return;
        }
        settle.resolve({
          status: 200,
          headers: admitted.headers,
          body: responseBody(spec, outcomes),
        });
      },
      reject: (error) => settle.reject(error),
    });
  }

  /** A single event of an admitted request, under its Idempotency-Key if it has one. */
  async function ingestAdmitted(
    admitted: Admitted,
    context: IngestContext,
    metricRef: string,
    body: unknown,
  ): Promise<IngestReply> {
    const { identity, headers } = admitted;
    try {
      const reply = await idempotent(
        identity.projectId,
        context,
        () => sha256Hex(`${metricRef}\n${fingerprintOf(body)}`),
        async (idempotency) => {
          const event = await prepare(identity.projectId, metricRef, body);
          return new Promise<IngestReply>((resolve, reject) =>
            storeEvent(admitted, event, idempotency, { resolve, reject }),
          );
        },
      );
      return { ...reply, headers: { ...headers, ...reply.headers } };
    } catch (error) {
      throw withRateHeaders(error, headers);
    }
  }

  /**
   * `POST /event/v1/{metric}`, telling `settle` the answer as soon as it is known. The common case
   * — a request without an Idempotency-Key whose key, metric and filters are known — takes no
   * promise: its answer is given in the turn its group commits.
   */
  function ingestEvent(
    context: IngestContext,
    metricRef: string,
    body: unknown,
    settle: Settle<IngestReply>,
  ): void {
    let admitting: Admitted | Promise<Admitted> | undefined;
    let event: PendingEvent | undefined;
    try {
      admitting = admitCached(context, 1);
    } catch (error) {
      settle.reject(error);
      return;
    }
    if (admitting === undefined || admitting instanceof Promise) {
      (admitting ?? admit(context, 1))
        .then((loaded) => ingestAdmitted(loaded, context, metricRef, body))
        .then(
          (reply) => settle.resolve(reply),
          (error: unknown) => settle.reject(error),
        );
      return;
    }
    const admitted = admitting;
    if (context.idempotencyKey === undefined) {
      try {
        event = prepareCached(admitted.identity.projectId, metricRef, body);
      } catch (error) {
        settle.reject(withRateHeaders(error, admitted.headers));
        return;
      }
    }
    if (event === undefined) {
      ingestAdmitted(admitted, context, metricRef, body).then(
        (reply) => settle.resolve(reply),
        (error: unknown) => settle.reject(error),
      );
      return;
    }
    // The rate-limit headers on a refusal, as ingestAdmitted() adds them (storeEvent() puts them
    // on the answer).
    storeEvent(admitted, event, undefined, {
      resolve: (reply) => settle.resolve(reply),
      reject: (error) => settle.reject(withRateHeaders(error, admitted.headers)),
    });
  }

  function batchParams(context: IngestContext): BatchParams {
    return {
      now: clock.now(),
      backfillMs: config.ingest.backfillMs,
      maxEvents: config.ingest.maxBatchEvents,
      fingerprint: context.idempotencyKey !== undefined,
    };
  }

  /**
   * `POST /event/v1/batch` once its body is prepared (batch-input.ts): every event validated; the
   * accepted ones committed together.
   */
  async function ingestPrepared(
    context: IngestContext,
    prepared: PreparedBatch,
  ): Promise<IngestReply> {
    if (prepared.refused !== undefined) {
      throw new AppError(prepared.refused.code, prepared.refused.detail);
    }
    const admitted = await admit(context, prepared.count);
    const { identity, headers } = admitted;
    const fingerprint = (): string => {
      const known = prepared.fingerprint;
      if (known === undefined) throw new Error('the batch was prepared without its fingerprint');
      if ('hash' in known) return known.hash;
      throw new AppError(known.code, known.detail);
    };
    const reply = await idempotent(
      identity.projectId,
      context,
      fingerprint,
      async (idempotency) => {
        const results: BatchResult[] = [];
        const events: PendingEvent[] = [];
        const positions: number[] = [];
        const sets = prepared.filterSets.map(sharedFilters);
        // A batch names a few metrics many times: each is looked up once.
        const metricsByRef: Array<IngestMetric | undefined> = [];
        const { refIndex, refs, micros, ts, filterIndex, rejected } = prepared;
        let nextRejected = 0;
        for (let index = 0; index < prepared.count; index++) {
          let refusal: (typeof rejected)[number] | undefined;
          if (rejected[nextRejected]?.[0] === index) {
            refusal = rejected[nextRejected];
            nextRejected += 1;
          }
          try {
            const position = refIndex[index] ?? NOT_AN_OBJECT;
            if (position === NOT_AN_OBJECT) {
              throw new EventRejected(
                'VALIDATION_FAILED',
                'An event must be a JSON object like {"metric": "signups", "value": 1}.',
              );
            }
            const ref = refs[position];
            let metric = position >= 0 ? metricsByRef[position] : undefined;
            if (metric === undefined) {
              metric =
                (ref === undefined
                  ? undefined
                  : metrics.cachedForIngest(identity.projectId, ref)) ??
                (await resolveMetric(identity.projectId, ref));
              if (position >= 0) metricsByRef[position] = metric;
            }
            if (refusal !== undefined) throw new EventRejected(refusal[1], refusal[2]);
            const input: EventInput = {
              micros: micros[index] ?? 0n,
              filters: sets[filterIndex[index] ?? -1] ?? NO_FILTERS,
              ts: ts[index] ?? 0,
            };
            events.push(acceptKnown(metric, input) ?? (await accept(metric, input)));
            positions.push(index);
            results.push({ index, ok: true });
          } catch (error) {
            if (!(error instanceof EventRejected)) throw error;
            results.push({ index, ok: false, code: error.code, detail: error.detail });
          }
        }
        const spec: ResponseSpec = { kind: 'batch', results, positions };
        const outcomes =
          events.length === 0 ? [] : await commit(admitted, events, idempotency, spec);
        const allAccepted = positions.length === results.length && outcomes.every((o) => o.ok);
        return {
          status: 200,
          headers: {},
          body: allAccepted ? acceptedBatchBody(results.length) : responseBody(spec, outcomes),
        };
      },
    ).catch((error: unknown) => {
      throw withRateHeaders(error, headers);
    });
    return { ...reply, headers: { ...headers, ...reply.headers } };
  }

  return {
    /** `POST /event/v1/{metric}`: one event, answered 200 only once it is committed. */
    ingestOne(context: IngestContext, metricRef: string, body: unknown): Promise<IngestReply> {
      return new Promise((resolve, reject) =>
        ingestEvent(context, metricRef, body, { resolve, reject }),
      );
    },

    /** ingestOne() with callbacks, told the answer in the turn it is known: for the socket reader. */
    ingestEvent,

    /** `POST /event/v1/batch` of a parsed body (the framework's route). */
    async ingestBatch(context: IngestContext, body: unknown): Promise<IngestReply> {
      return ingestPrepared(context, prepareBatch(body, batchParams(context)));
    },

    /** `POST /event/v1/batch` of the body's bytes, prepared off the HTTP thread if it is long. */
    async ingestBatchBytes(context: IngestContext, bytes: Uint8Array): Promise<IngestReply> {
      return ingestPrepared(context, await preparer.prepare(bytes, batchParams(context)));
    },

    /**
     * Counts page views for the website tracker, committed like any event (group commit,
     * rollups, quota, live updates). The tracker has checked the public key, its origin and the
     * visitor's rate; filters past the metric's limits are capped, never refused (capFilters).
     * The events are stamped `now`, the instant the tracker counted the visitor's day from.
     * Returns each event's outcome: one past the monthly quota is refused with QUOTA_EXCEEDED.
     */
    async recordTracked(
      identity: KeyIdentity,
      tracked: readonly TrackedEvent[],
      now: number,
    ): Promise<readonly EventOutcome[]> {
      const limits = await projects.ingestLimits(identity.projectId);
      if (limits === undefined) throw new AppError('API_KEY_INVALID', 'This API key is unknown.');
      const day = new Date(now).toISOString().slice(0, 10);
      const events: PendingEvent[] = [];
      for (const event of tracked) {
        const filters = await capFilters(event.metricId, event.filters, day);
        events.push({
          metricId: event.metricId,
          micros: MICROS_PER_COUNT,
          filters,
          filtersJson: filtersJson(filters),
          ts: now,
        });
      }
      const spec: ResponseSpec = { kind: 'batch', results: [], positions: [] };
      return commit({ identity, quota: limits.monthlyEventQuota }, events, undefined, spec);
    },

    /** Waits for every accepted event to be committed: for shutdown. */
    async drain(): Promise<void> {
      await committer.drain();
      await marking;
    },

    /** Drains, then releases the store: for shutdown, before the database closes. */
    async close(): Promise<void> {
      await preparer.close();
      await committer.drain();
      await marking;
      await repo.close();
    },

    async purgeExpiredIdempotencyKeys(): Promise<void> {
      await repo.deleteIdempotencyRecordsBefore(clock.now() - IDEMPOTENCY_TTL_MS);
    },
  };
}

/**
 * Per filter key of a metric, the values it has taken; and the filter arrays (from parseFilters)
 * whose keys and values are all among them.
 */
type FilterSets = Map<string, Set<string>> & { readonly reserved: WeakSet<EventInput['filters']> };

type Filters = EventInput['filters'];
const NO_FILTERS: Filters = Object.freeze([]);
/** Filter sets of prepared batches by their JSON: one array each, whatever batch it came in. */
let sharedFilterSets = new Map<string, Filters>();
/** Past this many sets, the memory starts again. */
const SHARED_FILTER_SETS_LIMIT = 10_000;

/**
 * A prepared batch's filter set (key, value, key, value…) as the array every event with these
 * filters shares, so that what is known of one array (filtersJsonOf, FilterSets.reserved) serves
 * them all.
 */
function sharedFilters(flat: readonly string[]): Filters {
  if (flat.length === 0) return NO_FILTERS;
  const pairs: Array<readonly [string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) {
    pairs.push(Object.freeze([flat[i] ?? '', flat[i + 1] ?? ''] as const));
  }
  const json = filtersJson(pairs);
  const known = sharedFilterSets.get(json);
  if (known !== undefined) return known;
  if (sharedFilterSets.size >= SHARED_FILTER_SETS_LIMIT) sharedFilterSets = new Map();
  Object.freeze(pairs);
  sharedFilterSets.set(json, pairs);
  filtersJsonOf.set(pairs, json);
  return pairs;
}

/** filtersJson of the arrays parseFilters shares between events, written once each. */
const filtersJsonOf = new WeakMap<EventInput['filters'], string>();

function pendingEvent(metricId: string, input: EventInput): PendingEvent {
  let json = filtersJsonOf.get(input.filters);
  if (json === undefined) {
    json = filtersJson(input.filters);
    filtersJsonOf.set(input.filters, json);
  }
  return {
    metricId,
    micros: input.micros,
    filters: input.filters,
    filtersJson: json,
    ts: input.ts,
  };
}
/** A tracked event's value, 1, in micro-units. */
const MICROS_PER_COUNT = SCALE;

export type IngestService = ReturnType<typeof createIngestService>;
