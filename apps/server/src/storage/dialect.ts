import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { type Dialect, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';

/**
 * The one module that knows which SQL engine is underneath. Everything else speaks Kysely's
 * common subset; what differs (connection set-up, error shapes) is answered here.
 */
export type DialectName = DatabaseConfig['dialect'];

const INT8_OID = 20;

export interface OpenedDialect {
  readonly dialect: Dialect;
  /** The SQLite handle itself, for the native event writer; undefined on PostgreSQL. */
  readonly sqlite: SQLite.Database | undefined;
}

/**
 * Opens a SQLite file the way every connection to it must be: WAL (readers never block the
 * writer), synchronous=FULL (a commit survives power loss), foreign keys on.
 */
function openSqliteFile(file: string): SQLite.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}

export function createDialect(config: DatabaseConfig): OpenedDialect {
  if (config.dialect === 'sqlite') {
    const database = openSqliteFile(config.file);
    return { dialect: new SqliteDialect({ database }), sqlite: database };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    // A stuck lock or query fails its request (500, retryable) instead of hanging every one.
    statement_timeout: 30_000,
    lock_timeout: 10_000,
    idle_in_transaction_session_timeout: 60_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? parseInt8
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  return { dialect: new PostgresDialect({ pool }), sqlite: undefined };
}

/** 64-bit integers become JS numbers only when exact; larger ones are read as text by the query. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`64-bit integer ${text} is beyond JS precision; select it as text`);
  }
  return value;
}

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const { code } = error as { code: unknown };
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** Text the database cannot store, such as NUL in PostgreSQL: the client's input, not a fault. */
export function isUnstorableText(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '22021';
}
