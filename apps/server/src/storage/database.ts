import type SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, Migrator, sql } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { createDialect, type DialectName, type DialectOptions, type SqlQuery } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface Storage {
  readonly db: Db;
  readonly dialect: DialectName;
  /** The SQLite handle under `db`, for the native event writer; undefined on PostgreSQL. */
  readonly sqlite: SQLite.Database | undefined;
  /**
   * A read-only query's rows, at most `chunkSize` at a time, for results too big to hold: on
   * SQLite from a read-only connection of its own, on PostgreSQL from a cursor on a pooled
   * client. Finish or `break` out of the loop to release it. Column names come back as the SQL
   * writes them (no camel-casing) and 64-bit columns as the driver reads them: cast to text.
   */
  streamRows<R>(query: SqlQuery, chunkSize: number): AsyncGenerator<R[], void>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the database and brings its schema up to date. */
export async function openStorage(
  config: DatabaseConfig,
  options: DialectOptions = {},
): Promise<Storage> {
  const opened = createDialect(config, options);
  const db = new Kysely<Database>({ dialect: opened.dialect, plugins: [new CamelCasePlugin()] });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await opened.close?.();
    await db.destroy();
    throw error;
  }
  return {
    db,
    dialect: config.dialect,
    sqlite: opened.sqlite,
    streamRows: <R>(query: SqlQuery, chunkSize: number) =>
      opened.streamRows(query, chunkSize) as AsyncGenerator<R[], void>,
    ping: async () => {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      await opened.close?.();
      await db.destroy();
    },
  };
}

export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = describeError(error);
    throw new Error(
      failed === undefined
        ? `The database could not be reached or read: ${reason}`
        : `Database migration ${failed} failed: ${reason}`,
      { cause: error },
    );
  }
}

/**
 * What went wrong, in words: a refused connection to `localhost` is an AggregateError (one error
 * per address) with no message of its own.
 */
function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
