import type { ErrorCode } from '../../errors.js';
import { MAX_STORED } from '../../lib/decimal.js';
import { type EncodedBlock, encodeBlock } from './event-block.js';
import type { EventOutcome, PendingEvent, PendingRequest } from './ingest.repo.js';

/**
 * The decisions of one group commit that do not depend on the SQL engine: which events are
 * refused and why, and what the accepted ones add to rollups and totals. Both writers (the
 * portable Kysely one and the native SQLite one) run these between their own statements.
 */
export const ACCEPTED: EventOutcome = { ok: true };

export interface BatchResult {
  readonly index: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly detail?: string;
}

/**
 * How to build a request's response from its outcomes: the writer stores it with an idempotent
 * request's key, in the same transaction, and the HTTP layer sends the same thing.
 */
export type ResponseSpec =
  | { readonly kind: 'single'; readonly metricId: string }
  | {
      readonly kind: 'batch';
      /** Results of validation, per index of the batch. */
      readonly results: readonly BatchResult[];
      /** The batch index of each submitted event. */
      readonly positions: readonly number[];
    };

export function responseBody(
  spec: ResponseSpec,
  outcomes: readonly EventOutcome[],
): object | undefined {
  if (spec.kind === 'single')
    return outcomes[0]?.ok ? { ok: true, metricId: spec.metricId } : undefined;
  const results = [...spec.results];
  outcomes.forEach((outcome, i) => {
    const index = spec.positions[i];
    if (index !== undefined && !outcome.ok) {
      results[index] = { index, ok: false, code: outcome.code, detail: outcome.detail };
    }
  });
  const accepted = results.filter((r) => r.ok).length;
  return { accepted, rejected: results.length - accepted, results };
}

/** The response an Idempotency-Key replays; undefined (the key is released) if nothing was stored. */
export function rememberedResponse(
  spec: ResponseSpec,
  outcomes: readonly EventOutcome[],
): string | undefined {
  return outcomes.some((o) => o.ok) ? JSON.stringify(responseBody(spec, outcomes)) : undefined;
}

export const ROLLUP_LEVELS = [
  { name: 'minute', ms: 60_000 },
  { name: 'hour', ms: 3_600_000 },
  { name: 'day', ms: 86_400_000 },
] as const;
export type RollupLevel = (typeof ROLLUP_LEVELS)[number]['name'];
const [MINUTE, HOUR, DAY] = ROLLUP_LEVELS;

export interface RollupCell {
  readonly metricId: string;
  readonly bucket: number;
  /** '' for all events; a one-key JSON object; or the JSON of a whole 2+ key combination. */
  readonly dims: string;
  pos: bigint;
  neg: bigint;
  count: number;
}

/** One row of `event_blocks`: the commit's accepted events of one metric, key and UTC hour. */
export interface EventBlock extends EncodedBlock {
  readonly metricId: string;
  readonly projectId: string;
  readonly keyId: string;
  /** Start of the UTC hour holding every event of the block (epoch ms). */
  readonly hour: number;
}

export interface MetricDelta {
  pos: bigint;
  neg: bigint;
  count: number;
  lastTs: number;
}

export class WritePlan {
  readonly outcomes: EventOutcome[][];
  /** Another request holding the same Idempotency-Key committed first. */
  readonly duplicate: boolean[];
  /** This commit claimed the request's Idempotency-Key, and must settle it. */
  readonly claimed: boolean[];

  constructor(readonly requests: readonly PendingRequest[]) {
    this.outcomes = requests.map((r) => r.events.map(() => ACCEPTED));
    this.duplicate = requests.map(() => false);
    this.claimed = requests.map(() => false);
  }

  /**
   * Requests whose Idempotency-Key must be claimed: those with an event still accepted. Claimed
   * after checkMetrics, so a request of a project deleted meanwhile claims nothing (and cannot fail
   * the whole commit on a foreign key).
   */
  *toClaim(): Generator<
    [number, PendingRequest & { idempotency: NonNullable<PendingRequest['idempotency']> }]
  > {
    for (const [r, request] of this.requests.entries()) {
      const { idempotency } = request;
      if (idempotency !== undefined && this.outcomes[r]?.some((o) => o.ok)) {
        yield [r, { ...request, idempotency }];
      }
    }
  }

  /** Records the result of a claim. */
  settleClaim(r: number, won: boolean): void {
    this.claimed[r] = won;
    this.duplicate[r] = !won;
  }

  /** Claimed requests with the response to remember, or undefined to release the key. */
  *claims(): Generator<
    [
      PendingRequest & { idempotency: NonNullable<PendingRequest['idempotency']> },
      string | undefined,
    ]
  > {
    for (const [r, request] of this.requests.entries()) {
      const { idempotency } = request;
      if (idempotency === undefined || !this.claimed[r]) continue;
      yield [
        { ...request, idempotency },
        rememberedResponse(idempotency.response, this.outcomes[r] ?? []),
      ];
    }
  }

  reject(r: number, e: number, code: ErrorCode, detail: string): void {
    const row = this.outcomes[r];
    if (row?.[e]?.ok) row[e] = { ok: false, code, detail };
  }

  /**
   * Calls `visit` with every (request, event) position still accepted, in order. A plain loop,
   * not a generator: it runs over every event of the commit several times.
   */
  forEachLive(
    visit: (r: number, e: number, request: PendingRequest, event: PendingEvent) => void,
  ): void {
    const { requests, outcomes, duplicate } = this;
    for (let r = 0; r < requests.length; r++) {
      const request = requests[r];
      const row = outcomes[r];
      if (request === undefined || row === undefined || duplicate[r] === true) continue;
      const { events } = request;
      for (let e = 0; e < events.length; e++) {
        const event = events[e];
        if (event !== undefined && row[e]?.ok === true) visit(r, e, request, event);
      }
    }
  }

  metricIds(): string[] {
    const ids = new Set<string>();
    for (const request of this.requests)
      for (const event of request.events) ids.add(event.metricId);
    return [...ids];
  }

  /**
   * Refuses events of deleted metrics, and each event that would take its metric's total (either
   * side) past the largest stored value, in the commit's order: the events before it that fit are
   * kept, and so are later ones that still fit.
   */
  checkMetrics(totals: ReadonlyMap<string, { pos: bigint; neg: bigint }>): void {
    // What each metric's sides can still take.
    const room = new Map<string, { pos: bigint; neg: bigint } | undefined>();
    let last: { id: string; left: { pos: bigint; neg: bigint } | undefined } | undefined;
    this.forEachLive((r, e, _request, event) => {
      if (last?.id !== event.metricId) {
        let left = room.get(event.metricId);
        if (left === undefined && !room.has(event.metricId)) {
          const current = totals.get(event.metricId);
          left =
            current === undefined
              ? undefined
              : { pos: MAX_STORED - current.pos, neg: MAX_STORED - current.neg };
          room.set(event.metricId, left);
        }
        last = { id: event.metricId, left };
      }
      const { left } = last;
      if (left === undefined) {
        this.reject(r, e, 'METRIC_UNKNOWN', 'The metric was deleted.');
      } else if (event.micros > 0n ? event.micros > left.pos : -event.micros > left.neg) {
        this.reject(
          r,
          e,
          'VALUE_OUT_OF_RANGE',
          'The metric total would exceed 9,223,372,036,854.775807.',
        );
      } else if (event.micros > 0n) {
        left.pos -= event.micros;
      } else {
        left.neg += event.micros;
      }
    });
  }

  /** Accepted events per project, for the usage counter and the quota. */
  perProject(): Map<string, number> {
    const counts = new Map<string, number>();
    this.forEachLive((_r, _e, request) => {
      counts.set(request.projectId, (counts.get(request.projectId) ?? 0) + 1);
    });
    return counts;
  }

  /**
   * Given the project's usage counter after adding its `count` accepted events of this commit,
   * refuses the last ones past the quota and returns how many were really taken (what the
   * counter must say).
   */
  applyQuota(projectId: string, count: number, after: number): number {
    // The quota the project's first accepted event was admitted under.
    let quota: number | null | undefined;
    this.forEachLive((_r, _e, request) => {
      if (quota === undefined && request.projectId === projectId) quota = request.quota;
    });
    if (quota === undefined || quota === null || after <= quota) return after;
    const over = Math.min(count, after - quota);
    let skip = count - over;
    this.forEachLive((r, e, request) => {
      if (request.projectId !== projectId) return;
      if (skip > 0) {
        skip -= 1;
        return;
      }
      this.reject(
        r,
        e,
        'QUOTA_EXCEEDED',
        `The project's quota of ${quota} events this month is used up.`,
      );
    });
    return after - over;
  }

  /**
   * The accepted events packed in blocks (event-block.ts), one per (metric, key, UTC hour of
   * the event's ts): the rows the commit stores instead of one per event.
   */
  blocks(): EventBlock[] {
    const groups = new Map<string, BlockGroup>();
    // Events of a request mostly share their metric and hour: the last group is tried first.
    let last: BlockGroup | undefined;
    this.forEachLive((_r, _e, request, event) => {
      if (
        last === undefined ||
        last.metricId !== event.metricId ||
        last.keyId !== request.keyId ||
        last.projectId !== request.projectId ||
        event.ts < last.hour ||
        event.ts >= last.hour + HOUR.ms
      ) {
        const hour = floorTo(event.ts, HOUR.ms);
        const id = `${event.metricId}\u0000${request.projectId}\u0000${request.keyId}\u0000${hour}`;
        last = groups.get(id);
        if (last === undefined) {
          last = {
            metricId: event.metricId,
            projectId: request.projectId,
            keyId: request.keyId,
            hour,
            events: [],
          };
          groups.set(id, last);
        }
      }
      last.events.push(event);
    });
    const blocks: EventBlock[] = [];
    for (const { events, ...group } of groups.values()) {
      blocks.push({ ...group, ...encodeBlock(events) });
    }
    return blocks;
  }

  /** What the accepted events add: rollup cells per level, filter values, metric totals. */
  aggregate(): {
    cells: Record<RollupLevel, RollupCell[]>;
    filterValues: Array<{ metricId: string; key: string; value: string }>;
    metrics: Map<string, MetricDelta>;
  } {
    // First one cell per (metric, minute, filter combination): a single step per event, through
    // nested maps so that no key is built per event. Only then are combinations spread over their
    // dimensions and minutes summed into hours and days.
    type Combo = RollupCell & { filters: PendingEvent['filters'] };
    const combosByMetric = new Map<string, Map<string, Map<number, Combo>>>();
    const combos: Combo[] = [];
    const metrics = new Map<string, MetricDelta>();
    let lastMetric:
      | { id: string; delta: MetricDelta; byFilters: Map<string, Map<number, Combo>> }
      | undefined;
    this.forEachLive((_r, _e, _request, event) => {
      const { metricId, micros, ts } = event;
      if (lastMetric?.id !== metricId) {
        let delta = metrics.get(metricId);
        if (delta === undefined) {
          delta = { pos: 0n, neg: 0n, count: 0, lastTs: ts };
          metrics.set(metricId, delta);
        }
        let byFilters = combosByMetric.get(metricId);
        if (byFilters === undefined) {
          byFilters = new Map();
          combosByMetric.set(metricId, byFilters);
        }
        lastMetric = { id: metricId, delta, byFilters };
      }
      const bucket = floorTo(ts, MINUTE.ms);
      let byBucket = lastMetric.byFilters.get(event.filtersJson);
      if (byBucket === undefined) {
        byBucket = new Map();
        lastMetric.byFilters.set(event.filtersJson, byBucket);
      }
      let combo = byBucket.get(bucket);
      if (combo === undefined) {
        combo = {
          metricId,
          bucket,
          dims: event.filtersJson,
          filters: event.filters,
          pos: 0n,
          neg: 0n,
          count: 0,
        };
        byBucket.set(bucket, combo);
        combos.push(combo);
      }
      const { delta } = lastMetric;
      if (micros > 0n) {
        combo.pos += micros;
        delta.pos += micros;
      } else {
        combo.neg -= micros;
        delta.neg -= micros;
      }
      combo.count += 1;
      delta.count += 1;
      if (ts > delta.lastTs) delta.lastTs = ts;
    });
    const minute = new Map<string, RollupCell>();
    const filterValues = new Map<string, { metricId: string; key: string; value: string }>();
    for (const combo of combos) {
      for (const dims of dimensionsOf(combo.filters, combo.dims)) {
        addCell(minute, combo.metricId, combo.bucket, dims, combo);
      }
      for (const [key, value] of combo.filters) {
        filterValues.set(`${combo.metricId}\u0000${key}\u0000${value}`, {
          metricId: combo.metricId,
          key,
          value,
        });
      }
    }
    const hour = new Map<string, RollupCell>();
    const day = new Map<string, RollupCell>();
    for (const cell of minute.values()) {
      addCell(hour, cell.metricId, floorTo(cell.bucket, HOUR.ms), cell.dims, cell);
      addCell(day, cell.metricId, floorTo(cell.bucket, DAY.ms), cell.dims, cell);
    }
    return {
      cells: { minute: [...minute.values()], hour: [...hour.values()], day: [...day.values()] },
      filterValues: [...filterValues.values()],
      metrics,
    };
  }
}

interface BlockGroup {
  readonly metricId: string;
  readonly projectId: string;
  readonly keyId: string;
  readonly hour: number;
  readonly events: PendingEvent[];
}

/**
 * Canonical JSON of sorted filters. Built by hand: parseFilters admits no quote, backslash or
 * control character in keys or values, so no character needs escaping (a test holds it to
 * JSON.stringify).
 */
export function filtersJson(filters: PendingEvent['filters']): string {
  let json = '{';
  for (const [key, value] of filters) json += `${json.length > 1 ? ',' : ''}"${key}":"${value}"`;
  return `${json}}`;
}

function dimensionsOf(filters: PendingEvent['filters'], combination: string): string[] {
  const dims = [''];
  for (const pair of filters) dims.push(filtersJson([pair]));
  if (filters.length > 1) dims.push(combination);
  return dims;
}

function floorTo(ts: number, ms: number): number {
  return ts - (((ts % ms) + ms) % ms);
}

/** Adds a cell's sums into the cell of (metric, bucket, dims), created on first use. */
function addCell(
  cells: Map<string, RollupCell>,
  metricId: string,
  bucket: number,
  dims: string,
  from: Pick<RollupCell, 'pos' | 'neg' | 'count'>,
): void {
  const id = `${metricId}\u0000${bucket}\u0000${dims}`;
  let cell = cells.get(id);
  if (cell === undefined) {
    cell = { metricId, bucket, dims, pos: 0n, neg: 0n, count: 0 };
    cells.set(id, cell);
  }
  cell.pos += from.pos;
  cell.neg += from.neg;
  cell.count += from.count;
}
