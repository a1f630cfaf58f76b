import type SQLite from 'better-sqlite3';
import { utcMonth } from '../../lib/time.js';
import type { RequestOutcome, WriteRequests } from './ingest.repo.js';
import { FOLD_WITHIN_CELLS, rollupFolder } from './rollup-fold.js';
import { type RollupCell, type RollupLevel, WritePlan } from './write-plan.js';

type SyncWriteRequests = (
  ...args: [
    ...Parameters<WriteRequests>,
    options?: {
      /**
       * Commit without waiting for the disk (`synchronous = NORMAL` for this transaction only;
       * every other write on the handle keeps FULL): the caller must then sync the WAL
       * (storage/wal-sync.ts) before it tells anyone the events are stored.
       */
      readonly deferSync?: boolean;
    },
  ]
) => Awaited<ReturnType<WriteRequests>>;

/**
 * The group commit on SQLite: prepared statements on the native handle, run synchronously inside
 * one transaction, so nothing else interleaves with it and no SQL is built per commit. It makes
 * the same decisions as the portable writer, through the same WritePlan. It commits at the
 * handle's `synchronous = FULL` unless told to defer the sync. Unlike the portable writer, it
 * leaves the rollups to the handle's RollupFolder (rollup-fold.ts), which adds the sums of many
 * commits at once.
 */
export function createSqliteWriter(database: SQLite.Database): SyncWriteRequests {
  const syncNormal = database.prepare('pragma synchronous = NORMAL');
  const syncFull = database.prepare('pragma synchronous = FULL');
  // No `returning` on the statements of a commit: SQLite runs a statement with one through an
  // ephemeral table, which costs more than the statement itself (about 12 µs a statement here);
  // `changes` and a lookup of the row say the same.
  /** Inserts the key's row, or takes over an expired one: one change when the key is claimed. */
  const claim = database.prepare<[string, string, string, number, number]>(
    `insert into idempotency_keys (project_id, key, request_hash, response, created_at)
     values (?, ?, ?, '', ?)
     on conflict (project_id, key) do update
       set request_hash = excluded.request_hash, response = '', created_at = excluded.created_at
       where idempotency_keys.created_at < ?`,
  );
  const totals = database.prepare<[string], { pos: string; neg: string }>(
    'select cast(total_positive as text) as pos, cast(total_negative as text) as neg from metrics where id = ?',
  );
  const addUsage = database.prepare<[string, string, number]>(
    `insert into project_usage (project_id, month, event_count) values (?, ?, ?)
     on conflict (project_id, month) do update set event_count = event_count + excluded.event_count`,
  );
  const usage = database
    .prepare<[string, string], number>(
      'select event_count from project_usage where project_id = ? and month = ?',
    )
    .pluck();
  const setUsage = database.prepare<[number, string, string]>(
    'update project_usage set event_count = ? where project_id = ? and month = ?',
  );
  const insertBlock = database.prepare<
    [string, string, string, number, number, number, number, number, string]
  >(
    // Above every block and above the fold's mark (rollup-fold.ts), even once the newest blocks
    // have been deleted.
    `insert into event_blocks
       (id, metric_id, project_id, key_id, received_at, hour, first_ts, last_ts, count, events)
     values (
       max((select coalesce(max(id), 0) from event_blocks),
           (select folded_through from rollup_fold where id = 1)) + 1,
       ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertFilterValue = database.prepare<[string, string, string, number]>(
    `insert into metric_filter_values (metric_id, key, value, first_seen_at) values (?, ?, ?, ?)
     on conflict do nothing`,
  );
  const addToMetric = database.prepare<[bigint, bigint, number, number, number, string]>(
    `update metrics set total_positive = total_positive + ?, total_negative = total_negative + ?,
       event_count = event_count + ?,
       last_event_at = case when last_event_at is null or last_event_at < ? then ? else last_event_at end
     where id = ?`,
  );
  const setResponse = database.prepare<[string, string, string]>(
    'update idempotency_keys set response = ? where project_id = ? and key = ?',
  );
  const releaseKey = database.prepare<[string, string]>(
    'delete from idempotency_keys where project_id = ? and key = ?',
  );

  // Filter values this writer has committed: inserting one again is a lookup per commit for
  // nothing (rows are only ever removed with their metric, whose id is never reused). Filled only
  // once the transaction has committed; bounded, and forgotten as a whole when full.
  const storedFilterValues = new Set<string>();
  let insertedFilterValues: string[] = [];
  // The commit's blocks and what their events add to the rollups: the fold's, once committed.
  const folder = rollupFolder(database);
  let insertedBlocks: number[] = [];
  let committedCells: Record<RollupLevel, RollupCell[]> | undefined;
  let foldedWithin = false;

  const write = database.transaction(
    (
      requests: Parameters<WriteRequests>[0],
      now: number,
      idempotencyCutoff: number,
    ): RequestOutcome[] => {
      const plan = new WritePlan(requests);
      const current = new Map<string, { pos: bigint; neg: bigint }>();
      for (const id of plan.metricIds()) {
        const row = totals.get(id);
        if (row !== undefined) current.set(id, { pos: BigInt(row.pos), neg: BigInt(row.neg) });
      }
      plan.checkMetrics(current);

      for (const [r, request] of plan.toClaim()) {
        const { key, hash } = request.idempotency;
        const won = claim.run(request.projectId, key, hash, now, idempotencyCutoff).changes === 1;
        plan.settleClaim(r, won);
      }

      const month = utcMonth(now);
      for (const [projectId, count] of plan.perProject()) {
        addUsage.run(projectId, month, count);
        const after = usage.get(projectId, month) ?? 0;
        const taken = plan.applyQuota(projectId, count, after);
        if (taken !== after) setUsage.run(taken, projectId, month);
      }

      for (const b of plan.blocks()) {
        const { lastInsertRowid } = insertBlock.run(
          b.metricId,
          b.projectId,
          b.keyId,
          now,
          b.hour,
          b.firstTs,
          b.lastTs,
          b.count,
          b.events,
        );
        insertedBlocks.push(Number(lastInsertRowid));
      }
      const { cells, filterValues, metrics } = plan.aggregate();
      if (cells.minute.length + cells.hour.length + cells.day.length >= FOLD_WITHIN_CELLS) {
        folder.foldWithin(insertedBlocks, cells);
        foldedWithin = true;
      } else {
        committedCells = cells;
      }
      for (const v of filterValues) {
        const id = `${v.metricId}\u0000${v.key}\u0000${v.value}`;
        if (storedFilterValues.has(id)) continue;
        insertFilterValue.run(v.metricId, v.key, v.value, now);
        insertedFilterValues.push(id);
      }
      for (const [metricId, m] of metrics) {
        addToMetric.run(m.pos, m.neg, m.count, m.lastTs, m.lastTs, metricId);
      }

      for (const [request, response] of plan.claims()) {
        if (response === undefined) releaseKey.run(request.projectId, request.idempotency.key);
        else setResponse.run(response, request.projectId, request.idempotency.key);
      }
      return requests.map((_, r) => ({
        duplicate: plan.duplicate[r] ?? false,
        events: plan.outcomes[r] ?? [],
      }));
    },
  );

  // `immediate`: take the write lock at BEGIN, so a concurrent writer waits instead of failing.
  const commit: SyncWriteRequests = (requests, now, idempotencyCutoff) => {
    insertedFilterValues = [];
    insertedBlocks = [];
    committedCells = undefined;
    foldedWithin = false;
    const outcomes = write.immediate(requests, now, idempotencyCutoff);
    if (foldedWithin) folder.foldedWithin();
    else if (committedCells !== undefined) folder.committed(insertedBlocks, committedCells);
    if (storedFilterValues.size + insertedFilterValues.length > STORED_FILTER_VALUES_LIMIT) {
      storedFilterValues.clear();
    }
    for (const id of insertedFilterValues) storedFilterValues.add(id);
    return outcomes;
  };
  return (requests, now, idempotencyCutoff, options) => {
    if (options?.deferSync !== true) return commit(requests, now, idempotencyCutoff);
    syncNormal.run();
    try {
      return commit(requests, now, idempotencyCutoff);
    } finally {
      syncFull.run();
    }
  };
}

/** Filter values the writer remembers as committed (about 100 bytes each). */
const STORED_FILTER_VALUES_LIMIT = 100_000;
