import type SQLite from 'better-sqlite3';
import { decodeBlock } from './event-block.js';
import type { PendingEvent, PendingRequest } from './ingest.repo.js';
import { ROLLUP_LEVELS, type RollupCell, type RollupLevel, WritePlan } from './write-plan.js';

/**
 * SQLite: the rollups follow the raw events a little behind (docs/decisions/0017). A group commit
 * stores its events (`event_blocks`), totals, usage and filter values, and leaves the minute, hour
 * and day rollups to a fold that adds many commits' worth at once: every rollup page a commit
 * would rewrite is one more page of the write-ahead log, written and synced in every commit.
 *
 * `rollup_fold.folded_through` is the id of the last block whose events are in the rollups; every
 * block above it is not yet. A writer gives each new block an id above both the highest block and
 * that mark, so a block stored after the newest ones were deleted is still above it. Folding reads
 * the blocks above the mark, adds their events to the rollups and moves the mark, in one
 * transaction: any process may fold, at any time, and nothing is added twice. Readers of the
 * rollups fold first (`settle`), so a query sees every committed event; after a crash, the blocks
 * above the mark are folded by the next fold.
 *
 * The commits of this process are also added up in memory as they commit; when the blocks above
 * the mark are exactly those, the fold writes those sums instead of reading the blocks back.
 */
export class RollupFolder {
  readonly #database: SQLite.Database;
  readonly #readMark: SQLite.Statement<[], number>;
  readonly #behind: SQLite.Statement<[], number>;
  readonly #idsAbove: SQLite.Statement<[number], number>;
  readonly #blocksBetween: SQLite.Statement<[number, number, number], BlockRow>;
  readonly #setMark: SQLite.Statement<[number]>;
  readonly #upsert: Record<RollupLevel, UpsertCell>;
  readonly #fold: SQLite.Transaction<() => void>;
  /** Ids of the blocks this process committed since its last fold, in commit order. */
  #ids: number[] = [];
  /** Their events' rollup cells, per level, keyed by metric, bucket and dims. */
  #cells = emptyCells();
  #cellCount = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(database: SQLite.Database) {
    this.#database = database;
    this.#readMark = database
      .prepare<[], number>('select folded_through from rollup_fold where id = 1')
      .pluck();
    this.#behind = database
      .prepare<[], number>(
        `select (select coalesce(max(id), 0) from event_blocks)
           > (select folded_through from rollup_fold where id = 1)`,
      )
      .pluck();
    this.#idsAbove = database
      .prepare<[number], number>('select id from event_blocks where id > ? order by id')
      .pluck();
    this.#blocksBetween = database.prepare<[number, number, number], BlockRow>(
      `select id, metric_id, project_id, key_id, first_ts, events from event_blocks
       where id > ? and id <= ? order by id limit ?`,
    );
    this.#setMark = database.prepare<[number]>(
      'update rollup_fold set folded_through = ? where id = 1',
    );
    this.#upsert = Object.fromEntries(
      ROLLUP_LEVELS.map((level) => [
        level.name,
        database.prepare<[string, number, string, bigint, bigint, number]>(
          `insert into rollups_${level.name} (metric_id, bucket, dims, pos, neg, count)
           values (?, ?, ?, ?, ?, ?)
           on conflict (metric_id, dims, bucket) do update
             set pos = pos + excluded.pos, neg = neg + excluded.neg, count = count + excluded.count`,
        ),
      ]),
    ) as Record<RollupLevel, UpsertCell>;
    this.#fold = database.transaction(() => this.#foldInTransaction());
  }

  /**
   * A commit of this process stored these blocks, whose events add up to these cells: called once
   * the commit has committed. The fold follows within FOLD_DELAY_MS, or right away (in this call)
   * past FOLD_MAX_BLOCKS blocks or FOLD_MAX_CELLS cells, so that what is held in memory stays
   * bounded even for a caller that commits without ever yielding to the event loop.
   */
  committed(
    ids: readonly number[],
    cells: Readonly<Record<RollupLevel, readonly RollupCell[]>>,
  ): void {
    for (const id of ids) this.#ids.push(id);
    for (const level of ROLLUP_LEVELS) {
      const into = this.#cells[level.name];
      for (const cell of cells[level.name]) {
        const key = `${cell.metricId}\u0000${cell.bucket}\u0000${cell.dims}`;
        const sum = into.get(key);
        if (sum === undefined) {
          into.set(key, { ...cell });
          this.#cellCount += 1;
        } else {
          sum.pos += cell.pos;
          sum.neg += cell.neg;
          sum.count += cell.count;
        }
      }
    }
    if (this.#ids.length >= FOLD_MAX_BLOCKS || this.#cellCount >= FOLD_MAX_CELLS) this.#foldNow();
    else this.#schedule(FOLD_DELAY_MS);
  }

  /**
   * Brings the rollups up to every committed block: what a reader of the rollups calls first.
   * Costs two index lookups when nothing is behind.
   */
  settle(): void {
    if (this.#ids.length === 0 && this.#behind.get() !== 1) return;
    this.fold();
  }

  /** Folds every block above the mark into the rollups, now. */
  fold(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Inside a transaction of the shared handle the fold would be a savepoint of it, undone if
    // it rolls back: try again once it has ended.
    if (this.#database.inTransaction) {
      this.#schedule(0);
      return;
    }
    this.#fold.immediate();
    this.#forget();
  }

  /**
   * For a commit too big to be worth holding in memory (FOLD_WITHIN_CELLS): inside its
   * transaction, once its blocks are stored, folds everything above the mark, this commit's
   * blocks (and their cells) included. foldedWithin() once the transaction has committed.
   */
  foldWithin(
    ids: readonly number[],
    cells: Readonly<Record<RollupLevel, readonly RollupCell[]>>,
  ): void {
    this.#foldInTransaction({ ids, cells });
  }

  /** The commit that called foldWithin() has committed: what was held in memory is folded. */
  foldedWithin(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#forget();
  }

  /** Folds what is left and stops the timer: before the database closes. */
  close(): void {
    if (this.#database.open) this.fold();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) {
      if (ms > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#database.open) this.#foldNow();
    }, ms);
    this.#timer.unref();
  }

  /** fold(), for the writer and the timer: a failure is reported and tried again later. */
  #foldNow(): void {
    try {
      this.fold();
    } catch (error) {
      // Nothing is lost: the blocks stay above the mark, readers fold before reading, and the
      // next fold reads them back. The sums in memory are dropped, so they stay bounded.
      this.#forget();
      process.emitWarning(
        `Folding events into the rollups failed, retrying in ${RETRY_MS} ms: ${error instanceof Error ? error.message : String(error)}`,
        'MeasurelyStorageWarning',
      );
      this.#schedule(RETRY_MS);
    }
  }

  #forget(): void {
    this.#ids = [];
    this.#cells = emptyCells();
    this.#cellCount = 0;
  }

  /** Runs inside a transaction; what is held in memory is forgotten once that has committed. */
  #foldInTransaction(commit?: {
    readonly ids: readonly number[];
    readonly cells: Readonly<Record<RollupLevel, readonly RollupCell[]>>;
  }): void {
    const mark = this.#readMark.get();
    if (mark === undefined) throw new Error('rollup_fold has no row: the database is not migrated');
    const ids = this.#idsAbove.all(mark);
    const last = ids[ids.length - 1];
    if (last === undefined) return;
    if (sameIds(ids, commit === undefined ? this.#ids : [...this.#ids, ...commit.ids])) {
      for (const level of ROLLUP_LEVELS) {
        this.#write(level.name, this.#cells[level.name].values());
        if (commit !== undefined) this.#write(level.name, commit.cells[level.name]);
      }
    } else {
      // Blocks of another process, of a crash, or some of this process's deleted meanwhile.
      this.#foldStored(mark, last);
    }
    this.#setMark.run(last);
  }

  /** Reads the blocks in (mark, last] back and adds their events, a chunk of blocks at a time. */
  #foldStored(mark: number, last: number): void {
    let from = mark;
    while (from < last) {
      const rows = this.#blocksBetween.all(from, last, STORED_CHUNK);
      const end = rows[rows.length - 1];
      if (end === undefined) break;
      const requests: PendingRequest[] = rows.map((row) => ({
        projectId: row.project_id,
        keyId: row.key_id ?? '',
        quota: null,
        events: decodeBlock(row.first_ts, row.events).map(
          (event): PendingEvent => ({
            metricId: row.metric_id,
            micros: BigInt(event.value),
            ts: event.ts,
            filtersJson: event.filters,
            filters: Object.entries(JSON.parse(event.filters) as Record<string, string>),
          }),
        ),
      }));
      const { cells } = new WritePlan(requests).aggregate();
      for (const level of ROLLUP_LEVELS) this.#write(level.name, cells[level.name]);
      from = end.id;
    }
  }

  #write(level: RollupLevel, cells: Iterable<RollupCell>): void {
    const upsert = this.#upsert[level];
    for (const c of cells) upsert.run(c.metricId, c.bucket, c.dims, c.pos, c.neg, c.count);
  }
}

type UpsertCell = SQLite.Statement<[string, number, string, bigint, bigint, number]>;

interface BlockRow {
  id: number;
  metric_id: string;
  project_id: string;
  key_id: string | null;
  first_ts: number;
  events: string;
}

/** How long the rollups may follow the commits of a busy writer (readers fold first). */
export const FOLD_DELAY_MS = 500;
/** Blocks committed since the last fold past which the next one runs at once. */
export const FOLD_MAX_BLOCKS = 2_000;
/** Rollup cells held in memory past which the next fold runs at once. */
export const FOLD_MAX_CELLS = 50_000;
/**
 * A commit with this many rollup cells (all levels; a batch spread over many minutes) folds within
 * its own transaction: holding them in memory would cost more than writing them at once.
 */
export const FOLD_WITHIN_CELLS = 2_000;
/** Blocks read back at a time when folding blocks this process did not add up. */
const STORED_CHUNK = 256;
/** After a failed fold, the next try. */
const RETRY_MS = 5_000;

function emptyCells(): Record<RollupLevel, Map<string, RollupCell>> {
  return { minute: new Map(), hour: new Map(), day: new Map() };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const folders = new WeakMap<SQLite.Database, RollupFolder>();

/** The one folder of a SQLite handle: shared by its writers and its readers. */
export function rollupFolder(database: SQLite.Database): RollupFolder {
  let folder = folders.get(database);
  if (folder === undefined) {
    folder = new RollupFolder(database);
    folders.set(database, folder);
  }
  return folder;
}
