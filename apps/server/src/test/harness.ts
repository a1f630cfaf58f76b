import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../app.js';
import { type Config, type DatabaseConfig, loadConfig } from '../config.js';
import type { App } from '../http.js';
import type { Clock } from '../lib/clock.js';
import { openStorage, type Storage } from '../storage/database.js';

export type TestDialect = DatabaseConfig['dialect'];

const env = process.env;
export const POSTGRES_URL =
  env.MEASURELY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The Redis of the tests of several server processes sharing their state: they run when it is
 * set (CI sets it), each under a prefix of its own.
 */
export const REDIS_URL: string | undefined = env.MEASURELY_TEST_REDIS_URL;

/** A prefix no other test uses, for the keys and channels of one test's Redis state. */
export function redisPrefix(): string {
  return `measurely-test-${randomBytes(6).toString('hex')}:`;
}

/**
 * Dialects the suite runs on: MEASURELY_TEST_DIALECTS=sqlite,postgres (default sqlite). A listed
 * dialect whose server cannot be reached fails the tests; it is never skipped.
 */
export const DIALECTS: readonly TestDialect[] = (env.MEASURELY_TEST_DIALECTS ?? 'sqlite')
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is TestDialect => {
    if (d === 'sqlite' || d === 'postgres') return true;
    throw new Error(`MEASURELY_TEST_DIALECTS: unknown dialect "${d}"`);
  });

export class TestClock implements Clock {
  constructor(private current = Date.UTC(2026, 10, 28, 12, 0, 0)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(epochMs: number): void {
    this.current = epochMs;
  }
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A brand-new, empty database of the dialect, so each test file starts from nothing. */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-test-'));
    return {
      url: `sqlite:${path.join(dir, 'test.db')}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `measurely_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        // Connections of a pool just closed may still be saying goodbye: give them a moment
        // before forcing them out.
        for (let attempt = 0; attempt < 20; attempt++) {
          const { rows } = await client.query(
            'select count(*)::int as n from pg_stat_activity where datname = $1',
            [name],
          );
          if (rows[0]?.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env });
}

export interface TestContext {
  readonly app: App;
  readonly storage: Storage;
  readonly config: Config;
  readonly clock: TestClock;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly env?: Record<string, string>;
  readonly logStream?: NodeJS.WritableStream;
}

/** A fresh database and an app on it, driven in-process with `app.inject()`. */
export async function createTestApp(
  dialect: TestDialect,
  options: TestAppOptions = {},
): Promise<TestContext> {
  return createAppOn(await createTestDatabase(dialect), options);
}

/**
 * An app on a test database that may already hold data (a migration test's), with its own clock
 * if given; closing the context drops the database.
 */
export async function createAppOn(
  database: TestDatabase,
  options: TestAppOptions & { readonly clock?: TestClock } = {},
): Promise<TestContext> {
  const config = testConfig(database.url, options.env);
  const storage = await openStorage(config.database, { checkpointer: true });
  const clock = options.clock ?? new TestClock();
  const app = await buildApp(config, {
    storage,
    clock,
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
  });
  await app.ready();
  return {
    app,
    storage,
    config,
    clock,
    database,
    close: async () => {
      await app.close();
      await storage.close();
      await database.drop();
    },
  };
}
