import { sql } from 'kysely';
import type { ErrorCode } from '../../errors.js';
import { MAX_STORED } from '../../lib/decimal.js';
import type { Db } from '../../storage/database.js';

export interface PendingEvent {
  readonly metricId: string;
  /** Micro-units. */
  readonly micros: bigint;
  /** Sorted, normalised filters. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
  readonly ts: number;
}

/** One HTTP request's accepted events: committed together or not at all, in one flush. */
export interface PendingRequest {
  readonly projectId: string;
  readonly keyId: string;
  readonly events: readonly PendingEvent[];
  /** Claimed in the same transaction as the events: stored if and only if they are. */
  readonly idempotency?: {
    readonly key: string;
    readonly hash: string;
    /** The response to remember, from the per-event outcomes; undefined when nothing was stored. */
    readonly response: (outcomes: readonly EventOutcome[]) => string | undefined;
  };
}

export type EventOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

export interface RequestOutcome {
  /** Another request holding the same Idempotency-Key committed first. */
  readonly duplicate: boolean;
  readonly events: readonly EventOutcome[];
}

const ACCEPTED: EventOutcome = { ok: true };
const LEVELS = [
  { table: 'rollupsMinute', ms: 60_000 },
  { table: 'rollupsHour', ms: 3_600_000 },
  { table: 'rollupsDay', ms: 86_400_000 },
] as const;
/** Rows per multi-row statement: under SQLite's 32,766 bound parameters at 7 columns. */
const CHUNK = 2_000;

/** '' for all events, then one entry per filter, then the whole combination when it has 2+. */
function dimensionsOf(filters: PendingEvent['filters']): string[] {
  const dims = [''];
  for (const [key, value] of filters) dims.push(JSON.stringify({ [key]: value }));
  if (filters.length > 1) dims.push(JSON.stringify(Object.fromEntries(filters)));
  return dims;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export function utcMonth(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

export function createIngestRepo(db: Db) {
  return {
    /**
     * Writes a group of requests in one transaction: idempotency claims, quota, the raw events,
     * the rollups and the metric totals. Returns, per request, what became of each event.
     */
    async writeRequests(
      requests: readonly PendingRequest[],
      now: number,
      quotaOf: (projectId: string) => number | null,
      /** Idempotency records created before this have expired and may be claimed again. */
      idempotencyCutoff: number,
    ): Promise<RequestOutcome[]> {
      return db.transaction().execute(async (trx) => {
        const outcomes: EventOutcome[][] = requests.map((r) => r.events.map(() => ACCEPTED));
        const duplicate = requests.map(() => false);
        const reject = (r: number, e: number, code: ErrorCode, detail: string): void => {
          const row = outcomes[r];
          if (row !== undefined) row[e] = { ok: false, code, detail };
        };

        // 1. Idempotency claims: a live claim on the key means another request won the race.
        for (const [r, request] of requests.entries()) {
          const { idempotency } = request;
          if (idempotency === undefined) continue;
          const claimed = await trx
            .insertInto('idempotencyKeys')
            .values({
              projectId: request.projectId,
              key: idempotency.key,
              requestHash: idempotency.hash,
              response: '',
              createdAt: now,
            })
            .onConflict((oc) =>
              oc
                .columns(['projectId', 'key'])
                .doUpdateSet({
                  requestHash: idempotency.hash,
                  response: '',
                  createdAt: now,
                })
                .where('idempotencyKeys.createdAt', '<', idempotencyCutoff),
            )
            .returning('key')
            .executeTakeFirst();
          if (claimed === undefined) duplicate[r] = true;
        }

        // 2. Metrics that still exist, with their totals (as text: they may exceed 2^53).
        const metricIds = [...new Set(requests.flatMap((r) => r.events.map((e) => e.metricId)))];
        const totals = new Map<string, { pos: bigint; neg: bigint }>();
        for (const ids of chunks(metricIds)) {
          const rows = await trx
            .selectFrom('metrics')
            .select([
              'id',
              sql<string>`cast(total_positive as text)`.as('pos'),
              sql<string>`cast(total_negative as text)`.as('neg'),
            ])
            .where('id', 'in', ids)
            .execute();
          for (const row of rows)
            totals.set(row.id, { pos: BigInt(row.pos), neg: BigInt(row.neg) });
        }

        // 3. Totals stay within 64 bits: a metric that would overflow takes none of this flush.
        const added = new Map<string, { pos: bigint; neg: bigint }>();
        for (const [r, request] of requests.entries()) {
          if (duplicate[r]) continue;
          for (const [e, event] of request.events.entries()) {
            if (!totals.has(event.metricId)) {
              reject(r, e, 'METRIC_UNKNOWN', 'The metric was deleted.');
              continue;
            }
            const sum = added.get(event.metricId) ?? { pos: 0n, neg: 0n };
            if (event.micros > 0n) sum.pos += event.micros;
            else sum.neg -= event.micros;
            added.set(event.metricId, sum);
          }
        }
        const overflowing = new Set<string>();
        for (const [metricId, sum] of added) {
          const current = totals.get(metricId);
          if (
            current !== undefined &&
            (current.pos + sum.pos > MAX_STORED || current.neg + sum.neg > MAX_STORED)
          ) {
            overflowing.add(metricId);
          }
        }
        for (const [r, request] of requests.entries()) {
          for (const [e, event] of request.events.entries()) {
            if (overflowing.has(event.metricId)) {
              reject(
                r,
                e,
                'VALUE_OUT_OF_RANGE',
                'The metric total would exceed 9,223,372,036,854.775807.',
              );
            }
          }
        }

        // 4. Usage this month, and the monthly quota, exact across nodes: the upsert locks the row.
        const month = utcMonth(now);
        const perProject = new Map<string, Array<[number, number]>>();
        for (const [r, request] of requests.entries()) {
          if (duplicate[r]) continue;
          for (const e of request.events.keys()) {
            if (!outcomes[r]?.[e]?.ok) continue;
            const list = perProject.get(request.projectId) ?? [];
            list.push([r, e]);
            perProject.set(request.projectId, list);
          }
        }
        for (const [projectId, events] of perProject) {
          const row = await trx
            .insertInto('projectUsage')
            .values({ projectId, month, eventCount: events.length })
            .onConflict((oc) =>
              oc.columns(['projectId', 'month']).doUpdateSet((eb) => ({
                eventCount: eb('projectUsage.eventCount', '+', eb.ref('excluded.eventCount')),
              })),
            )
            .returning('eventCount')
            .executeTakeFirstOrThrow();
          const quota = quotaOf(projectId);
          const after = Number(row.eventCount);
          if (quota === null || after <= quota) continue;
          const over = Math.min(events.length, after - quota);
          for (const [r, e] of events.slice(events.length - over)) {
            reject(
              r,
              e,
              'QUOTA_EXCEEDED',
              `The project's quota of ${quota} events this month is used up.`,
            );
          }
          await trx
            .updateTable('projectUsage')
            .set({ eventCount: after - over })
            .where('projectId', '=', projectId)
            .where('month', '=', month)
            .execute();
        }

        // 5. Everything accepted: raw events, filter values, rollups, totals.
        const accepted: Array<{ request: PendingRequest; event: PendingEvent }> = [];
        for (const [r, request] of requests.entries()) {
          if (duplicate[r]) continue;
          for (const [e, event] of request.events.entries()) {
            if (outcomes[r]?.[e]?.ok) accepted.push({ request, event });
          }
        }

        for (const part of chunks(accepted)) {
          await trx
            .insertInto('events')
            .values(
              part.map(({ request, event }) => ({
                metricId: event.metricId,
                projectId: request.projectId,
                ts: event.ts,
                value: event.micros.toString(),
                filters: JSON.stringify(Object.fromEntries(event.filters)),
                keyId: request.keyId,
                receivedAt: now,
              })),
            )
            .execute();
        }

        const filterValues = new Map<string, { metricId: string; key: string; value: string }>();
        for (const { event } of accepted) {
          for (const [key, value] of event.filters) {
            filterValues.set(`${event.metricId}\u0000${key}\u0000${value}`, {
              metricId: event.metricId,
              key,
              value,
            });
          }
        }
        for (const part of chunks([...filterValues.values()])) {
          await trx
            .insertInto('metricFilterValues')
            .values(part.map((v) => ({ ...v, firstSeenAt: now })))
            .onConflict((oc) => oc.columns(['metricId', 'key', 'value']).doNothing())
            .execute();
        }

        for (const level of LEVELS) {
          const cells = new Map<
            string,
            {
              metricId: string;
              bucket: number;
              dims: string;
              pos: bigint;
              neg: bigint;
              count: number;
            }
          >();
          for (const { event } of accepted) {
            const bucket = event.ts - (((event.ts % level.ms) + level.ms) % level.ms);
            for (const dims of dimensionsOf(event.filters)) {
              const id = `${event.metricId}\u0000${bucket}\u0000${dims}`;
              let cell = cells.get(id);
              if (cell === undefined) {
                cell = { metricId: event.metricId, bucket, dims, pos: 0n, neg: 0n, count: 0 };
                cells.set(id, cell);
              }
              if (event.micros > 0n) cell.pos += event.micros;
              else cell.neg -= event.micros;
              cell.count += 1;
            }
          }
          for (const part of chunks([...cells.values()])) {
            await trx
              .insertInto(level.table)
              .values(part.map((c) => ({ ...c, pos: c.pos.toString(), neg: c.neg.toString() })))
              .onConflict((oc) =>
                oc.columns(['metricId', 'bucket', 'dims']).doUpdateSet((eb) => ({
                  pos: eb(`${level.table}.pos`, '+', eb.ref('excluded.pos')),
                  neg: eb(`${level.table}.neg`, '+', eb.ref('excluded.neg')),
                  count: eb(`${level.table}.count`, '+', eb.ref('excluded.count')),
                })),
              )
              .execute();
          }
        }

        const perMetric = new Map<
          string,
          { pos: bigint; neg: bigint; count: number; last: number }
        >();
        for (const { event } of accepted) {
          const m = perMetric.get(event.metricId) ?? { pos: 0n, neg: 0n, count: 0, last: 0 };
          if (event.micros > 0n) m.pos += event.micros;
          else m.neg -= event.micros;
          m.count += 1;
          m.last = Math.max(m.last, event.ts);
          perMetric.set(event.metricId, m);
        }
        for (const [metricId, m] of perMetric) {
          await trx
            .updateTable('metrics')
            .set({
              totalPositive: sql`total_positive + ${m.pos.toString()}`,
              totalNegative: sql`total_negative + ${m.neg.toString()}`,
              eventCount: sql`event_count + ${m.count}`,
              lastEventAt: sql`case when last_event_at is null or last_event_at < ${m.last} then ${m.last} else last_event_at end`,
            })
            .where('id', '=', metricId)
            .execute();
        }

        // 6. What a replay of each idempotent request will answer.
        for (const [r, request] of requests.entries()) {
          if (request.idempotency === undefined || duplicate[r]) continue;
          const response = request.idempotency.response(outcomes[r] ?? []);
          // Nothing stored: release the key, so a retry (after a quota reset, say) can succeed.
          const { projectId } = request;
          const { key } = request.idempotency;
          if (response === undefined) {
            await trx
              .deleteFrom('idempotencyKeys')
              .where('projectId', '=', projectId)
              .where('key', '=', key)
              .execute();
          } else {
            await trx
              .updateTable('idempotencyKeys')
              .set({ response })
              .where('projectId', '=', projectId)
              .where('key', '=', key)
              .execute();
          }
        }

        return requests.map((_, r) => ({
          duplicate: duplicate[r] ?? false,
          events: outcomes[r] ?? [],
        }));
      });
    },

    async findIdempotencyRecord(
      projectId: string,
      key: string,
    ): Promise<{ requestHash: string; response: string; createdAt: number } | undefined> {
      return db
        .selectFrom('idempotencyKeys')
        .select(['requestHash', 'response', 'createdAt'])
        .where('projectId', '=', projectId)
        .where('key', '=', key)
        .executeTakeFirst();
    },

    async deleteIdempotencyRecordsBefore(cutoff: number): Promise<void> {
      await db.deleteFrom('idempotencyKeys').where('createdAt', '<', cutoff).execute();
    },

    /** Distinct filter values seen per key of a metric. */
    async filterValuesOf(metricId: string): Promise<Array<{ key: string; value: string }>> {
      return db
        .selectFrom('metricFilterValues')
        .select(['key', 'value'])
        .where('metricId', '=', metricId)
        .execute();
    },
  };
}

export type IngestRepo = ReturnType<typeof createIngestRepo>;
