import { CamelCasePlugin, Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../lib/tokens.js';
import { createTestDatabase, DIALECTS, testConfig } from '../test/harness.js';
import { createDialect } from './dialect.js';
import { migrationProvider } from './migrations/index.js';

// `event_blocks.id` loses SQLite's autoincrement (one sqlite_sequence write per commit) and keeps
// everything else: rows, ids, the foreign key to metrics, the index, ids above every stored one.

const BEFORE = '2026-11-28-06-event-blocks';
const AFTER = '2026-11-29-01-event-blocks-rowid';

describe.each(DIALECTS)('event_blocks ids without autoincrement (%s)', (dialect) => {
  // biome-ignore lint/suspicious/noExplicitAny: the schema of an older version
  let db: Kysely<any>;
  let close: (() => Promise<void>) | undefined;
  let migrator: Migrator;
  const projectId = newId();
  const metrics = { kept: newId(), deleted: newId() };

  const blocks = async () =>
    (
      await sql<{ id: number | string; metricId: string; events: string }>`
        select id, metric_id, events from event_blocks order by id`.execute(db)
    ).rows.map((row) => ({ ...row, id: Number(row.id) }));

  const insertBlock = (metricId: string, events: string) =>
    db
      .insertInto('eventBlocks')
      .values({
        metricId,
        projectId,
        keyId: null,
        receivedAt: 1,
        hour: 0,
        firstTs: 0,
        lastTs: 0,
        count: 1,
        events,
      })
      .execute();

  /** What SQLite's catalogue says of the table: its definition and its sqlite_sequence row. */
  const catalogue = async () => {
    const table = await sql<{ sql: string }>`
      select sql from sqlite_master where type = 'table' and name = 'event_blocks'`.execute(db);
    const sequence = await sql<{ seq: number }>`
      select seq from sqlite_sequence where name = 'event_blocks'`
      .execute(db)
      .catch(() => ({ rows: [] }));
    const index = await sql<{ name: string }>`
      select name from pragma_index_info('event_blocks_metric_hour') order by seqno`.execute(db);
    return {
      autoincrement: /autoincrement/i.test(table.rows[0]?.sql ?? ''),
      sequence: sequence.rows[0]?.seq,
      index: index.rows.map((row) => row.name),
    };
  };

  beforeAll(async () => {
    const database = await createTestDatabase(dialect);
    const opened = createDialect(testConfig(database.url).database);
    db = new Kysely({ dialect: opened.dialect, plugins: [new CamelCasePlugin()] });
    close = async () => {
      await opened.close?.();
      await db.destroy();
    };
    migrator = new Migrator({ db, provider: migrationProvider });
    expect((await migrator.migrateTo(BEFORE)).error).toBeUndefined();
    await db
      .insertInto('projects')
      .values({ id: projectId, name: 'Blocks', createdAt: 0, updatedAt: 0 })
      .execute();
    for (const [name, id] of Object.entries(metrics)) {
      await db
        .insertInto('metrics')
        .values({ id, projectId, name, type: 'basic', createdAt: 0, updatedAt: 0 })
        .execute();
    }
    for (const events of ['0,1,{}', '0,2,{}', '0,3,{}']) await insertBlock(metrics.kept, events);
    await insertBlock(metrics.deleted, '0,4,{}');
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  it('keeps every block and its id, and the index, going up and down', async () => {
    const stored = await blocks();
    expect(stored.map((b) => b.id)).toEqual([1, 2, 3, 4]);
    if (dialect === 'sqlite') {
      expect(await catalogue()).toEqual({
        autoincrement: true,
        sequence: 4,
        index: ['metric_id', 'hour', 'first_ts', 'id'],
      });
    }

    expect((await migrator.migrateTo(AFTER)).error).toBeUndefined();
    expect(await blocks()).toEqual(stored);
    if (dialect === 'sqlite') {
      expect(await catalogue()).toEqual({
        autoincrement: false,
        sequence: undefined,
        index: ['metric_id', 'hour', 'first_ts', 'id'],
      });
    }

    expect((await migrator.migrateTo(BEFORE)).error).toBeUndefined();
    expect(await blocks()).toEqual(stored);
    if (dialect === 'sqlite') expect((await catalogue()).sequence).toBe(4);
    expect((await migrator.migrateTo(AFTER)).error).toBeUndefined();
  });

  it('still deletes a metric’s blocks with it, and numbers new blocks above every stored one', async () => {
    await db.deleteFrom('metrics').where('id', '=', metrics.deleted).execute();
    expect((await blocks()).map((b) => [b.id, b.metricId])).toEqual([
      [1, metrics.kept],
      [2, metrics.kept],
      [3, metrics.kept],
    ]);
    await insertBlock(metrics.kept, '0,5,{}');
    const ids = (await blocks()).map((b) => b.id);
    expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(ids[3]).toBeGreaterThan(3);
  });
});
