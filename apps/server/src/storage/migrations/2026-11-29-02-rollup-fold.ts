import { type Kysely, sql } from 'kysely';
import { runsOnSqlite } from '../dialect.js';

/**
 * SQLite only: `rollup_fold`, one row holding the id of the last `event_blocks` row whose events
 * are in the rollups (modules/ingest/rollup-fold.ts, docs/decisions/0017). Every block stored so
 * far was added to the rollups by its own commit, so the mark starts at the highest id.
 * PostgreSQL's commits keep writing the rollups themselves.
 *
 * down() refuses while blocks above the mark are not yet in the rollups: without the table their
 * events would never reach them. Starting and stopping the server folds them.
 *
 * Frozen: never edit a migration that has shipped; add a new one instead.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  if (!runsOnSqlite(db)) return;
  await sql`create table rollup_fold (
      id integer primary key check (id = 1),
      folded_through integer not null
    )`.execute(db);
  await sql`insert into rollup_fold (id, folded_through)
    select 1, coalesce(max(id), 0) from event_blocks`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  if (!runsOnSqlite(db)) return;
  const { rows } = await sql<{ behind: number }>`select count(*) as behind from event_blocks
    where id > (select folded_through from rollup_fold where id = 1)`.execute(db);
  if (Number(rows[0]?.behind ?? 0) > 0) {
    throw new Error(
      'Some stored events are not yet in the rollups: start and stop the server once, then retry.',
    );
  }
  await sql`drop table rollup_fold`.execute(db);
}
