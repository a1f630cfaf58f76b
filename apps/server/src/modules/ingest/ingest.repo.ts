import { sql } from 'kysely';
import type { ErrorCode } from '../../errors.js';
import { utcMonth } from '../../lib/time.js';
import type { Db, Storage } from '../../storage/database.js';
import { CommitSyncPolicy } from '../../storage/sync-policy.js';
import { WalSync } from '../../storage/wal-sync.js';
import { createSqliteWriter } from './ingest.repo.sqlite.js';
import { type RollupFolder, rollupFolder } from './rollup-fold.js';
import { type ResponseSpec, ROLLUP_LEVELS, WritePlan } from './write-plan.js';

export interface PendingEvent {
  readonly metricId: string;
  /** Micro-units. */
  readonly micros: bigint;
  /** Sorted, normalised filters. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
  /** The filters as canonical JSON (`{}` when none): stored in the event's block, and a rollup key. */
  readonly filtersJson: string;
  readonly ts: number;
}

/** One HTTP request's accepted events: committed together or not at all, in one flush. */
export interface PendingRequest {
  readonly projectId: string;
  readonly keyId: string;
  /** The project's monthly event quota when the request was admitted; null for none. */
  readonly quota: number | null;
  readonly events: readonly PendingEvent[];
  /** Claimed in the same transaction as the events: stored if and only if they are. */
  readonly idempotency?: {
    readonly key: string;
    readonly hash: string;
    readonly response: ResponseSpec;
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

const ROLLUP_TABLES = {
  minute: 'rollupsMinute',
  hour: 'rollupsHour',
  day: 'rollupsDay',
} as const;
/** Rows per multi-row statement: under SQLite's 32,766 bound parameters at 9 columns. */
const CHUNK = 2_000;

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number =>
  a < b ? -1 : a > b ? 1 : 0;
const byCell = (
  a: { metricId: string; bucket: number; dims: string },
  b: { metricId: string; bucket: number; dims: string },
): number =>
  a.metricId < b.metricId
    ? -1
    : a.metricId > b.metricId
      ? 1
      : a.bucket - b.bucket || (a.dims < b.dims ? -1 : a.dims > b.dims ? 1 : 0);

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The portable writer's group commit (through Kysely): a promise of the requests' outcomes. */
export type WriteRequests = (
  requests: readonly PendingRequest[],
  now: number,
  /** Idempotency records created before this have expired and may be claimed again. */
  idempotencyCutoff: number,
) => Promise<RequestOutcome[]>;

/**
 * The store's group commit: on SQLite synchronous (the outcomes, or a thrown error) unless it must
 * first wait for a transaction of the shared handle to end; elsewhere a promise.
 */
export type CommitRequests = (
  ...args: Parameters<WriteRequests>
) => RequestOutcome[] | Promise<RequestOutcome[]>;

/**
 * The event store. On SQLite, group commits run as prepared statements on the native handle, in
 * one synchronous transaction; elsewhere through Kysely. Chosen once, here.
 */
export function createIngestRepo(
  storage: Storage,
  /** Where SQLite commits wait for the disk (CommitSyncPolicy's defaults unless given). */
  options: { readonly syncPolicy?: CommitSyncPolicy } = {},
) {
  const { db, sqlite } = storage;
  let writeRequests: CommitRequests;
  /**
   * Makes every commit made so far durable: undefined once it is, else a promise of it. The
   * function is undefined when a commit already is durable.
   */
  let durable: (() => Promise<void> | undefined) | undefined;
  let wal: WalSync | undefined;
  let folder: RollupFolder | undefined;
  if (sqlite === undefined) {
    writeRequests = createPortableWriter(db);
  } else {
    const write = createSqliteWriter(sqlite);
    // Blocks a crash left out of the rollups are added now, before anything else is stored.
    folder = rollupFolder(sqlite);
    folder.settle();
    // An in-memory database has no disk to wait for: its commits are as durable as they get.
    const sync = sqlite.memory ? undefined : new WalSync(`${sqlite.name}-wal`);
    const policy = options.syncPolicy ?? new CommitSyncPolicy();
    // Whether the last commit left its sync to `durable` (the group committer calls it next).
    let unsynced = false;
    wal = sync;
    if (sync !== undefined) durable = () => (unsynced ? sync.sync() : undefined);
    const commitNow: CommitRequests = (requests, now, idempotencyCutoff) => {
      if (sync === undefined) return write(requests, now, idempotencyCutoff);
      unsynced = true;
      const commit = policy.run((inline) =>
        write(requests, now, idempotencyCutoff, { deferSync: !inline }),
      );
      unsynced = commit.unsynced;
      return commit.result;
    };
    // The handle is shared with Kysely: never nest the commit inside one of its transactions (it
    // would become a savepoint, undone if that transaction rolls back).
    const afterTransaction = async (...args: Parameters<CommitRequests>) => {
      while (sqlite.inTransaction) await new Promise((resolve) => setImmediate(resolve));
      return commitNow(...args);
    };
    writeRequests = (requests, now, idempotencyCutoff) =>
      sqlite.inTransaction
        ? afterTransaction(requests, now, idempotencyCutoff)
        : commitNow(requests, now, idempotencyCutoff);
  }
  return {
    writeRequests,
    durable,

    /**
     * Adds what is left to the rollups and lets go of the WAL file; after the last commit, before
     * the database closes.
     */
    async close(): Promise<void> {
      try {
        folder?.close();
      } finally {
        await wal?.close();
      }
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

function createPortableWriter(db: Db): WriteRequests {
  return (requests, now, idempotencyCutoff) =>
    db.transaction().execute(async (trx) => {
      const plan = new WritePlan(requests);

      // 1. Metrics that still exist, with their totals (as text: they may exceed 2^53), locked
      // until the commit: another server process's commit adding to the same metric waits, so
      // the range check sees the total it adds to. (This writer runs on PostgreSQL; SQLite has
      // its own, under a database-wide write lock.) Locked in id order, before the usage rows.
      const totals = new Map<string, { pos: bigint; neg: bigint }>();
      for (const ids of chunks(plan.metricIds().sort())) {
        const rows = await trx
          .selectFrom('metrics')
          .select([
            'id',
            sql<string>`cast(total_positive as text)`.as('pos'),
            sql<string>`cast(total_negative as text)`.as('neg'),
          ])
          .where('id', 'in', ids)
          .orderBy('id')
          .forUpdate()
          .execute();
        for (const row of rows) totals.set(row.id, { pos: BigInt(row.pos), neg: BigInt(row.neg) });
      }
      plan.checkMetrics(totals);

      // 2. Idempotency claims: a live claim on the key means another request won the race.
      for (const [r, request] of plan.toClaim()) {
        const { idempotency } = request;
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
              .doUpdateSet({ requestHash: idempotency.hash, response: '', createdAt: now })
              .where('idempotencyKeys.createdAt', '<', idempotencyCutoff),
          )
          .returning('key')
          .executeTakeFirst();
        plan.settleClaim(r, claimed !== undefined);
      }

      // 3. Usage this month and the quota, exact across nodes: the upsert locks the row.
      const month = utcMonth(now);
      // Rows are locked in a fixed order (metrics, then project usage, then cells), so two
      // commits on different nodes cannot wait on each other.
      for (const [projectId, count] of [...plan.perProject()].sort(byKey)) {
        const row = await trx
          .insertInto('projectUsage')
          .values({ projectId, month, eventCount: count })
          .onConflict((oc) =>
            oc.columns(['projectId', 'month']).doUpdateSet((eb) => ({
              eventCount: eb('projectUsage.eventCount', '+', eb.ref('excluded.eventCount')),
            })),
          )
          .returning('eventCount')
          .executeTakeFirstOrThrow();
        const after = Number(row.eventCount);
        const taken = plan.applyQuota(projectId, count, after);
        if (taken !== after) {
          await trx
            .updateTable('projectUsage')
            .set({ eventCount: taken })
            .where('projectId', '=', projectId)
            .where('month', '=', month)
            .execute();
        }
      }

      // 4. The accepted events in blocks, their filter values, rollups and metric totals.
      for (const part of chunks(plan.blocks())) {
        await trx
          .insertInto('eventBlocks')
          .values(part.map((block) => ({ ...block, receivedAt: now })))
          .execute();
      }
      const { cells, filterValues, metrics } = plan.aggregate();
      for (const part of chunks(filterValues)) {
        await trx
          .insertInto('metricFilterValues')
          .values(part.map((v) => ({ ...v, firstSeenAt: now })))
          .onConflict((oc) => oc.columns(['metricId', 'key', 'value']).doNothing())
          .execute();
      }
      for (const level of ROLLUP_LEVELS) {
        const table = ROLLUP_TABLES[level.name];
        for (const part of chunks([...cells[level.name]].sort(byCell))) {
          await trx
            .insertInto(table)
            .values(part.map((c) => ({ ...c, pos: c.pos.toString(), neg: c.neg.toString() })))
            .onConflict((oc) =>
              oc.columns(['metricId', 'dims', 'bucket']).doUpdateSet((eb) => ({
                pos: eb(`${table}.pos`, '+', eb.ref('excluded.pos')),
                neg: eb(`${table}.neg`, '+', eb.ref('excluded.neg')),
                count: eb(`${table}.count`, '+', eb.ref('excluded.count')),
              })),
            )
            .execute();
        }
      }
      for (const [metricId, m] of [...metrics].sort(byKey)) {
        await trx
          .updateTable('metrics')
          .set({
            totalPositive: sql`total_positive + ${m.pos.toString()}`,
            totalNegative: sql`total_negative + ${m.neg.toString()}`,
            eventCount: sql`event_count + ${m.count}`,
            lastEventAt: sql`case when last_event_at is null or last_event_at < ${m.lastTs} then ${m.lastTs} else last_event_at end`,
          })
          .where('id', '=', metricId)
          .execute();
      }

      // 5. What a replay of each idempotent request will answer; nothing stored releases the key.
      for (const [request, response] of plan.claims()) {
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
        duplicate: plan.duplicate[r] ?? false,
        events: plan.outcomes[r] ?? [],
      }));
    });
}
