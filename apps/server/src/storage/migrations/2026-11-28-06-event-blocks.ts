import { type Kysely, sql } from 'kysely';
import { runsOnSqlite } from '../dialect.js';

/**
 * Raw events packed in blocks (docs/decisions/0013-raw-events-in-blocks.md): `event_blocks`, one
 * row per (commit, metric, key, UTC hour of the events' ts), replaces `events`, one row per
 * event. Existing events move into blocks a page at a time, then `events` is dropped; down()
 * unpacks them again. On SQLite all of it runs in one transaction, as every migration does on
 * PostgreSQL: a failure leaves the database as it was.
 *
 * Frozen: never edit a migration that has shipped; add a new one instead. The block format is
 * written out here as it was at this version (modules/ingest/event-block.ts), not imported.
 */

const HOUR_MS = 3_600_000;
/** Old rows read at once. */
const PAGE_ROWS = 10_000;
/** Blocks read at once by down(). */
const PAGE_BLOCKS = 500;
/** Rows per multi-row insert: well under SQLite's 32,766 bound parameters. */
const INSERT_ROWS = 1_000;

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
type AnyDb = Kysely<any>;

/** Column names of the raw reads: one word each, the same with or without CamelCasePlugin. */
interface OldEvent {
  readonly metric: string;
  readonly project: string;
  readonly apikey: string | null;
  readonly received: number | string;
  readonly ts: number | string;
  /** Micro-units as text. */
  readonly value: string;
  readonly filters: string;
}

interface StoredBlock {
  readonly id: number | string;
  readonly metric: string;
  readonly project: string;
  readonly apikey: string | null;
  readonly received: number | string;
  readonly firstts: number | string;
  readonly events: string;
}

export async function up(db: AnyDb): Promise<void> {
  if (runsOnSqlite(db)) await db.transaction().execute((trx) => packEvents(trx, true));
  else await packEvents(db, false);
}

export async function down(db: AnyDb): Promise<void> {
  if (runsOnSqlite(db)) await db.transaction().execute(unpackEvents);
  else await unpackEvents(db);
}

async function packEvents(db: AnyDb, sqlite: boolean): Promise<void> {
  await db.schema
    .createTable('event_blocks')
    .addColumn('id', sqlite ? 'integer' : 'bigint', (c) =>
      sqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
    )
    .addColumn('metric_id', 'text', (c) => c.notNull().references('metrics.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('hour', 'bigint', (c) => c.notNull())
    .addColumn('first_ts', 'bigint', (c) => c.notNull())
    .addColumn('last_ts', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .execute();
  // The export reads a metric's blocks of a range of hours in (first_ts, id) order.
  await db.schema
    .createIndex('event_blocks_metric_hour')
    .on('event_blocks')
    .columns(['metric_id', 'hour', 'first_ts', 'id'])
    .execute();

  const columns = sql`metric_id as metric, project_id as project, key_id as apikey,
    received_at as received, ts, cast(value as text) as value, filters`;
  if (sqlite) {
    // By rowid: the order the events were stored in, each commit's together.
    for (let after = 0; ; ) {
      const { rows } = await sql<OldEvent & { rid: number }>`select rowid as rid, ${columns}
        from events where rowid > ${after} order by rowid limit ${PAGE_ROWS}`.execute(db);
      await insertBlocks(db, rows);
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE_ROWS) break;
      after = last.rid;
    }
  } else {
    // A cursor of the migration's own transaction: inserts may run between its fetches.
    await sql`declare old_events no scroll cursor for select ${columns} from events`.execute(db);
    for (;;) {
      const { rows } =
        await sql<OldEvent>`fetch forward ${sql.lit(PAGE_ROWS)} from old_events`.execute(db);
      if (rows.length === 0) break;
      await insertBlocks(db, rows);
    }
    await sql`close old_events`.execute(db);
  }
  await db.schema.dropTable('events').execute();
}

/** Packs a page of old rows: one block per (metric, key, commit time, hour) met in it. */
async function insertBlocks(db: AnyDb, rows: readonly OldEvent[]): Promise<void> {
  const groups = new Map<string, OldEvent[]>();
  for (const row of rows) {
    const hour = floorHour(Number(row.ts));
    const id = `${row.metric}\u0000${row.apikey ?? ''}\u0000${row.received}\u0000${hour}`;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [row]);
    else group.push(row);
  }
  const blocks = [...groups.values()].map((events) => {
    // Stable: events of equal ts keep the order they were stored in.
    const sorted = events.sort((a, b) => Number(a.ts) - Number(b.ts));
    const [first] = sorted;
    const firstTs = Number(first?.ts);
    return {
      metric_id: first?.metric,
      project_id: first?.project,
      key_id: first?.apikey ?? null,
      received_at: Number(first?.received),
      hour: floorHour(firstTs),
      first_ts: firstTs,
      last_ts: Number(sorted.at(-1)?.ts),
      count: sorted.length,
      events: sorted.map((e) => `${Number(e.ts) - firstTs},${e.value},${e.filters}`).join('\n'),
    };
  });
  for (let i = 0; i < blocks.length; i += INSERT_ROWS) {
    await db
      .insertInto('event_blocks')
      .values(blocks.slice(i, i + INSERT_ROWS))
      .execute();
  }
}

async function unpackEvents(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('metric_id', 'text', (c) => c.notNull().references('metrics.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_metric_ts')
    .on('events')
    .columns(['metric_id', 'ts'])
    .execute();

  for (let after = 0; ; ) {
    const { rows } = await sql<StoredBlock>`select id, metric_id as metric,
        project_id as project, key_id as apikey, received_at as received, first_ts as firstts,
        events
      from event_blocks where id > ${after} order by id limit ${PAGE_BLOCKS}`.execute(db);
    const events: Array<Record<string, unknown>> = [];
    for (const block of rows) {
      const firstTs = Number(block.firstts);
      for (const line of block.events.split('\n')) {
        const delta = line.indexOf(',');
        const value = line.indexOf(',', delta + 1);
        events.push({
          metric_id: block.metric,
          project_id: block.project,
          ts: firstTs + Number(line.slice(0, delta)),
          value: line.slice(delta + 1, value),
          filters: line.slice(value + 1),
          key_id: block.apikey,
          received_at: Number(block.received),
        });
      }
    }
    for (let i = 0; i < events.length; i += INSERT_ROWS) {
      await db
        .insertInto('events')
        .values(events.slice(i, i + INSERT_ROWS))
        .execute();
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < PAGE_BLOCKS) break;
    after = Number(last.id);
  }
  await db.schema.dropTable('event_blocks').execute();
}

function floorHour(ts: number): number {
  return ts - (((ts % HOUR_MS) + HOUR_MS) % HOUR_MS);
}
