import { AppError, type ErrorCode } from '../../errors.js';
import { sha256Hex } from '../../lib/tokens.js';
import { EventRejected, parseEventInput } from './event-input.js';
import { parseIngestBody, utf8 } from './ingest-http.js';

/** What a batch's events are checked against before any state of the server is consulted. */
export interface BatchParams {
  /** The instant timestamps are checked against (epoch ms). */
  readonly now: number;
  readonly backfillMs: number;
  readonly maxEvents: number;
  /** Whether the body's fingerprint is wanted (the request has an Idempotency-Key). */
  readonly fingerprint: boolean;
}

/** refIndex of an item that is not a JSON object. */
export const NOT_AN_OBJECT = -2;
/** refIndex of an object whose `metric` cannot name a metric (not a string, empty, too long…). */
export const NOT_A_METRIC_REF = -1;

export interface Refusal {
  readonly code: ErrorCode;
  readonly detail: string;
}

/**
 * A batch's body checked on its own: its shape, and each event's fields, value, filters and
 * timestamp — everything but what needs the server's state (the key, the metric and its type,
 * the filters the metric already has, the quota). Typed arrays and a few strings, so that it
 * crosses from a worker thread cheaply (see batch-preparer.ts).
 */
export interface PreparedBatch {
  /** Why the whole batch is refused (INVALID_JSON, BATCH_INVALID); the rest is then empty. */
  readonly refused: Refusal | undefined;
  readonly count: number;
  /** Per event: its `metric`'s index in refs, NOT_A_METRIC_REF or NOT_AN_OBJECT. */
  readonly refIndex: Int32Array;
  /** The distinct metric references, as sent. */
  readonly refs: string[];
  /** Per event: its value in micro-units (0 for an event refused). */
  readonly micros: BigInt64Array;
  /** Per event: its time, epoch ms. */
  readonly ts: Float64Array;
  /** Per event: its filter set's index in filterSets (-1 for an event refused). */
  readonly filterIndex: Int32Array;
  /** The distinct normalised filter sets, each flattened: key, value, key, value… */
  readonly filterSets: string[][];
  /** The events refused for their own fields, by index, in order. */
  readonly rejected: Array<readonly [number, ErrorCode, string]>;
  /** The SHA-256 of the body's JSON, when asked for; a refusal if it cannot be written. */
  readonly fingerprint: { readonly hash: string } | Refusal | undefined;
}

/** The fields of a batch's event besides those of a single one. */
const BATCH_EVENT_FIELDS: ReadonlySet<string> = new Set(['metric']);

/** What may name a metric: no metric name is longer or holds a NUL (PostgreSQL refuses it). */
export function isMetricRef(ref: unknown): ref is string {
  return typeof ref === 'string' && ref.length > 0 && ref.length <= 100 && !ref.includes('\u0000');
}

/** The body as text, to recognise a retry; a body too deeply nested to serialise is no event. */
export function fingerprintOf(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new AppError('VALIDATION_FAILED', 'The body is nested too deeply to be an event.');
  }
}

function refusalOf(error: unknown): Refusal {
  if (error instanceof AppError) return { code: error.code, detail: error.detail };
  throw error;
}

function refusedBatch(refusal: Refusal): PreparedBatch {
  return {
    refused: refusal,
    count: 0,
    refIndex: new Int32Array(0),
    refs: [],
    micros: new BigInt64Array(0),
    ts: new Float64Array(0),
    filterIndex: new Int32Array(0),
    filterSets: [],
    rejected: [],
    fingerprint: undefined,
  };
}

/** prepareBatch() of a body still to be parsed, as UTF-8 bytes. */
export function prepareBatchBytes(bytes: Uint8Array, params: BatchParams): PreparedBatch {
  return prepareBatchText(utf8(bytes), params);
}

/** prepareBatch() of a body still to be parsed. */
export function prepareBatchText(text: string, params: BatchParams): PreparedBatch {
  let body: unknown;
  try {
    body = parseIngestBody(text);
  } catch (error) {
    return refusedBatch(refusalOf(error));
  }
  return prepareBatch(body, params);
}

/** A batch's body, `{"events": […]}`, checked on its own (see PreparedBatch). */
export function prepareBatch(body: unknown, params: BatchParams): PreparedBatch {
  const list = (body as { events?: unknown } | undefined)?.events;
  if (
    typeof body !== 'object' ||
    body === null ||
    Object.keys(body).some((k) => k !== 'events') ||
    !Array.isArray(list)
  ) {
    return refusedBatch({
      code: 'BATCH_INVALID',
      detail: 'The body must be {"events": [{"metric", "value", …}, …]}.',
    });
  }
  if (list.length === 0 || list.length > params.maxEvents) {
    return refusedBatch({
      code: 'BATCH_INVALID',
      detail: `A batch holds 1 to ${params.maxEvents} events.`,
    });
  }
  const count = list.length;
  const refIndex = new Int32Array(count);
  const micros = new BigInt64Array(count);
  const ts = new Float64Array(count);
  const filterIndex = new Int32Array(count).fill(-1);
  const refs: string[] = [];
  const refPositions = new Map<string, number>();
  const filterSets: string[][] = [];
  // parseFilters() shares one array between events with the same filters.
  const setPositions = new Map<readonly (readonly [string, string])[], number>();
  const rejected: Array<readonly [number, ErrorCode, string]> = [];
  for (let index = 0; index < count; index++) {
    const item: unknown = list[index];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      refIndex[index] = NOT_AN_OBJECT;
      continue;
    }
    const ref = (item as { metric?: unknown }).metric;
    if (isMetricRef(ref)) {
      let position = refPositions.get(ref);
      if (position === undefined) {
        position = refs.push(ref) - 1;
        refPositions.set(ref, position);
      }
      refIndex[index] = position;
    } else {
      refIndex[index] = NOT_A_METRIC_REF;
    }
    try {
      const input = parseEventInput(item, params.now, params.backfillMs, BATCH_EVENT_FIELDS);
      let set = setPositions.get(input.filters);
      if (set === undefined) {
        set = filterSets.push(input.filters.flat()) - 1;
        setPositions.set(input.filters, set);
      }
      micros[index] = input.micros;
      ts[index] = input.ts;
      filterIndex[index] = set;
    } catch (error) {
      if (!(error instanceof EventRejected)) throw error;
      rejected.push([index, error.code, error.detail]);
    }
  }
  let fingerprint: PreparedBatch['fingerprint'];
  if (params.fingerprint) {
    try {
      fingerprint = { hash: sha256Hex(fingerprintOf(body)) };
    } catch (error) {
      fingerprint = refusalOf(error);
    }
  }
  return {
    refused: undefined,
    count,
    refIndex,
    refs,
    micros,
    ts,
    filterIndex,
    filterSets,
    rejected,
    fingerprint,
  };
}
