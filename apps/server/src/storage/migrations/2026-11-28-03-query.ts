import { type Kysely, sql } from 'kysely';
import { runsOnSqlite } from '../dialect.js';

const LEVELS = ['minute', 'hour', 'day'] as const;

/**
 * Charts read one dimension set over a range of buckets, so the rollups are keyed (metric, dims,
 * bucket): a series is one contiguous index range instead of every dimension of every bucket. On
 * SQLite the tables become WITHOUT ROWID, so a range read finds the sums in the index itself.
 *
 * Frozen: never edit a migration that has shipped; add a new one instead.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('max_query_range_days', 'integer').execute();
  for (const level of LEVELS) await rekey(db, level, ['metric_id', 'dims', 'bucket'], true);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const level of LEVELS) await rekey(db, level, ['metric_id', 'bucket', 'dims'], false);
  await db.schema.alterTable('projects').dropColumn('max_query_range_days').execute();
}

async function rekey(
  // biome-ignore lint/suspicious/noExplicitAny: see up()
  db: Kysely<any>,
  level: string,
  key: string[],
  cover: boolean,
): Promise<void> {
  const table = `rollups_${level}`;
  if (!runsOnSqlite(db)) {
    // The sums ride in the index (INCLUDE), so a series is an index-only scan instead of one
    // heap fetch per row scattered over the table.
    await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(`${table}_pk`)},
      add constraint ${sql.ref(`${table}_pk`)} primary key (${sql.join(key.map((k) => sql.ref(k)))})
      ${cover ? sql`include (pos, neg, count)` : sql``}`.execute(db);
    return;
  }
  // SQLite cannot change a primary key in place: copy into a new table and swap.
  const next = `${table}_next`;
  await db.schema
    .createTable(next)
    .addColumn('metric_id', 'text', (c) => c.notNull().references('metrics.id').onDelete('cascade'))
    .addColumn('bucket', 'bigint', (c) => c.notNull())
    .addColumn('dims', 'text', (c) => c.notNull())
    .addColumn('pos', 'bigint', (c) => c.notNull())
    .addColumn('neg', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint(`${table}_pk`, key as never)
    .modifyEnd(sql`without rowid`)
    .execute();
  await sql`insert into ${sql.table(next)} (metric_id, bucket, dims, pos, neg, count)
    select metric_id, bucket, dims, pos, neg, count from ${sql.table(table)}`.execute(db);
  await db.schema.dropTable(table).execute();
  await db.schema.alterTable(next).renameTo(table).execute();
}
