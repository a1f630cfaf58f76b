import { CamelCasePlugin, Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../lib/tokens.js';
import { createTestDatabase, DIALECTS, testConfig } from '../test/harness.js';
import { createDialect } from './dialect.js';
import { migrationProvider } from './migrations/index.js';

// SQLite's rollups follow the commits (modules/ingest/rollup-fold.ts): the migration adds the
// mark of the last block in the rollups, at the highest stored block, since every block stored
// before it was added by its own commit.

const BEFORE = '2026-11-29-01-event-blocks-rowid';
const AFTER = '2026-11-29-02-rollup-fold';

describe.runIf(DIALECTS.includes('sqlite'))('the rollup fold mark (SQLite migration)', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the schema of an older version
  let db: Kysely<any>;
  let close: (() => Promise<void>) | undefined;
  let migrator: Migrator;
  const projectId = newId();
  const metricId = newId();

  const insertBlock = () =>
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
        events: '0,1,{}',
      })
      .execute();
  const mark = async () =>
    (await sql<{ mark: number }>`select folded_through as mark from rollup_fold`.execute(db)).rows;

  beforeAll(async () => {
    const database = await createTestDatabase('sqlite');
    const opened = createDialect(testConfig(database.url).database);
    db = new Kysely({ dialect: opened.dialect, plugins: [new CamelCasePlugin()] });
    close = async () => {
      await opened.close?.();
      await db.destroy();
      await database.drop();
    };
    migrator = new Migrator({ db, provider: migrationProvider });
    expect((await migrator.migrateTo(BEFORE)).error).toBeUndefined();
    await db
      .insertInto('projects')
      .values({ id: projectId, name: 'Fold', createdAt: 0, updatedAt: 0 })
      .execute();
    await db
      .insertInto('metrics')
      .values({ id: metricId, projectId, name: 'm', type: 'basic', createdAt: 0, updatedAt: 0 })
      .execute();
    for (let i = 0; i < 3; i++) await insertBlock();
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  it('starts at the highest block; going down is refused while blocks are above it', async () => {
    expect((await migrator.migrateTo(AFTER)).error).toBeUndefined();
    expect(await mark()).toEqual([{ mark: 3 }]);

    // A block no fold has added yet: dropping the mark would leave it out of the rollups forever.
    await insertBlock();
    const refused = await migrator.migrateTo(BEFORE);
    expect(String((refused.error as Error | undefined)?.message)).toMatch(/not yet in the rollups/);
    expect(await mark()).toEqual([{ mark: 3 }]);

    await sql`update rollup_fold set folded_through = 4`.execute(db);
    expect((await migrator.migrateTo(BEFORE)).error).toBeUndefined();
    await expect(mark()).rejects.toThrow(/no such table/);
    expect((await migrator.migrateTo(AFTER)).error).toBeUndefined();
    expect(await mark()).toEqual([{ mark: 4 }]);
  });
});
