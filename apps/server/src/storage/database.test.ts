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

  it('survives the server dropping a connection in use: its query fails, the next works', async () => {
    // A connection held for a transaction or a stream has no pool listener: without one of its
    // own, the server ending it crashed the process with an unhandled 'error' event.
    const held = storage.db.connection().execute(async (connection) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(
        connection,
      );
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
      } finally {
        await admin.end();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sql`select 1`.execute(connection);
    });
    await expect(held).rejects.toThrow();
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(storage.db);
    expect(rows[0]?.one).toBe(1);
  });
});

describe('a database that cannot be reached', () => {
  it('is named with the reason, not as a failed migration', async () => {
    for (const url of [
      'postgres://postgres@127.0.0.1:1/nothing',
      'postgres://postgres@localhost:1/x',
    ]) {
      await expect(openStorage(testConfig(url).database)).rejects.toThrow(
        /^The database could not be reached or read: .*ECONNREFUSED/,
      );
    }
  });
});
