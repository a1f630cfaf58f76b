import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase, testConfig } from '../test/harness.js';
import { openStorage, type Storage } from './database.js';

describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL pool', () => {
  let database: TestDatabase;
  let storage: Storage;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    storage = await openStorage(testConfig(database.url).database);
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  it('survives the server dropping its idle connections, and reconnects', async () => {
    await sql`select 1`.execute(storage.db);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `select count(*)::int as n from (
           select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid()) t`,
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // Without a pool error listener, the dropped idle connection's error crashes the process.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(storage.db);
    expect(rows[0]?.one).toBe(1);
  });
});
