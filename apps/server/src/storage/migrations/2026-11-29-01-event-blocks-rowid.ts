import { type Kysely, sql } from 'kysely';
import { runsOnSqlite } from '../dialect.js';

/**
 * SQLite only: `event_blocks.id` becomes a plain `integer primary key` (the rowid) instead of
 * `autoincrement`. Both give every new block an id above every stored one, which is all the ids
 * are for (the order blocks were stored, docs/decisions/0013-raw-events-in-blocks.md); only
 * `autoincrement` also keeps a deleted block's id from ever coming back, and it pays for that with
 * a write to `sqlite_sequence` in every commit — one page of the write-ahead log in every group
 * commit of ingestion. SQLite cannot alter a column, so the table is rebuilt with the same rows,
 * ids, foreign key and index, in one transaction. PostgreSQL's identity column is unchanged.
 *
 * Frozen: never edit a migration that has shipped; add a new one instead.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  if (runsOnSqlite(db)) await db.transaction().execute((trx) => rebuild(trx, false));
}

export async function down(db: AnyDb): Promise<void> {
  if (runsOnSqlite(db)) await db.transaction().execute((trx) => rebuild(trx, true));
}

const COLUMNS = sql.raw(
  'id, metric_id, project_id, key_id, received_at, hour, first_ts, last_ts, count, events',
);

async function rebuild(db: AnyDb, autoincrement: boolean): Promise<void> {
  await sql`create table event_blocks_rebuilt (
      id integer primary key ${sql.raw(autoincrement ? 'autoincrement' : '')},
      metric_id text not null references metrics (id) on delete cascade,
      project_id text not null,
      key_id text,
      received_at bigint not null,
      hour bigint not null,
      first_ts bigint not null,
      last_ts bigint not null,
      count integer not null,
      events text not null
    )`.execute(db);
  // With autoincrement, inserting the ids records the largest in sqlite_sequence.
  await sql`insert into event_blocks_rebuilt (${COLUMNS})
    select ${COLUMNS} from event_blocks order by id`.execute(db);
  await sql`drop table event_blocks`.execute(db);
  await sql`alter table event_blocks_rebuilt rename to event_blocks`.execute(db);
  // The export reads a metric's blocks of a range of hours in (first_ts, id) order.
  await sql`create index event_blocks_metric_hour
    on event_blocks (metric_id, hour, first_ts, id)`.execute(db);
}
