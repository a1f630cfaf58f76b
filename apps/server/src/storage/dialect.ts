import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { type Dialect, type Kysely, PostgresDialect, SqliteAdapter, SqliteDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { DatabaseConfig } from '../config.js';
import { Checkpointer, WRITER_AUTOCHECKPOINT_FRAMES } from './checkpointer.js';

/**
 * The one module that knows which SQL engine is underneath. Everything else speaks Kysely's
 * common subset; what differs (connection set-up, error shapes) is answered here.
 */
export type DialectName = DatabaseConfig['dialect'];

const INT8_OID = 20;

/** SQL in the dialect's own placeholder syntax, with its parameters: what `.compile()` gives. */
export interface SqlQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** A read-only query's rows, a chunk at a time; ending the iteration releases the connection. */
export type RowStream = (query: SqlQuery, chunkSize: number) => AsyncGenerator<unknown[], void>;

export interface OpenedDialect {
  readonly dialect: Dialect;
  /** The SQLite handle itself, for the native event writer; undefined on PostgreSQL. */
  readonly sqlite: SQLite.Database | undefined;
  readonly streamRows: RowStream;
  /** Stops what runs beside the connection (SQLite's checkpointer); before the pool closes. */
  readonly close?: () => Promise<void>;
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

export interface DialectOptions {
  /**
   * Checkpoint a SQLite file from a thread of its own (storage/checkpointer.ts): for the server,
   * which commits all the time. A one-off command leaves it to SQLite.
   */
  readonly checkpointer?: boolean;
}

export function createDialect(config: DatabaseConfig, options: DialectOptions = {}): OpenedDialect {
  if (config.dialect === 'sqlite') {
    const database = openSqliteFile(config.file);
    let checkpointer: Checkpointer | undefined;
    if (options.checkpointer === true && !database.memory) {
      database.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_FRAMES}`);
      checkpointer = new Checkpointer(database.name, (message) => {
        process.emitWarning(`SQLite checkpoint failed: ${message}`, 'MeasurelyStorageWarning');
      });
    }
    return {
      dialect: new SqliteDialect({ database }),
      sqlite: database,
      streamRows: (query, chunkSize) => streamSqliteRows(database, query, chunkSize),
      close: async () => {
        await checkpointer?.close();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    // A stuck lock or query fails its request (500, retryable) instead of hanging every one.
    statement_timeout: 30_000,
    lock_timeout: 10_000,
    idle_in_transaction_session_timeout: 60_000,
    // Waiting this long for a free connection fails the request instead of queueing for ever.
    connectionTimeoutMillis: 15_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? parseInt8
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle pooled connection that the server drops (restart, failover, admin termination) is
  // reported here; without a listener it would crash the process. The pool replaces it on the
  // next checkout, and a query that was running on it fails on its own.
  pool.on('error', () => undefined);
  // A connection in use (a commit's transaction, an export's cursor) has no pool listener: the
  // same drop would be an unhandled 'error' event, which ends the process. Its query fails on its
  // own (the request gets its 500, safe to retry) and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return {
    dialect: new PostgresDialect({ pool }),
    sqlite: undefined,
    streamRows: (query, chunkSize) => streamPostgresRows(pool, query, chunkSize),
  };
}

/**
 * Iterates on a read-only connection of its own: a better-sqlite3 iterator keeps its connection
 * busy until it ends, and the main one must stay free for the event writer. WAL lets the reader
 * keep its snapshot while commits go on. An in-memory database has no second connection: pages.
 */
async function* streamSqliteRows(
  main: SQLite.Database,
  query: SqlQuery,
  chunkSize: number,
): AsyncGenerator<unknown[], void> {
  if (main.memory) {
    const page = main.prepare(`select * from (${query.sql}) limit ? offset ?`);
    for (let offset = 0; ; offset += chunkSize) {
      const rows = page.all(...query.parameters, chunkSize, offset);
      if (rows.length > 0) yield rows;
      if (rows.length < chunkSize) return;
    }
  }
  const reader = new SQLite(main.name, { readonly: true, fileMustExist: true });
  try {
    reader.pragma('busy_timeout = 5000');
    let chunk: unknown[] = [];
    for (const row of reader.prepare(query.sql).iterate(...query.parameters)) {
      chunk.push(row);
      if (chunk.length === chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    reader.close();
  }
}

/**
 * A pg-cursor on a client of the pool, in a read-only transaction: one snapshot for the whole
 * read. The pool's statement_timeout would cut a long download (a suspended portal stays one
 * statement), so the transaction lifts it; a failed client is discarded rather than reused.
 */
async function* streamPostgresRows(
  pool: pg.Pool,
  query: SqlQuery,
  chunkSize: number,
): AsyncGenerator<unknown[], void> {
  const client = await pool.connect();
  let cursor: Cursor<unknown> | undefined;
  let failed = false;
  try {
    await client.query('begin read only');
    await client.query('set local statement_timeout = 0');
    cursor = client.query(new Cursor<unknown>(query.sql, [...query.parameters]));
    for (;;) {
      const rows = await cursor.read(chunkSize);
      if (rows.length === 0) break;
      yield rows;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    client.release(failed || !(await endRead(client, cursor)));
  }
}

/** Closes the cursor and the transaction; false when the client is in no state to be reused. */
async function endRead(
  client: pg.PoolClient,
  cursor: Cursor<unknown> | undefined,
): Promise<boolean> {
  try {
    await cursor?.close();
    await client.query('rollback');
    return true;
  } catch {
    return false;
  }
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

/** True when `db` runs on SQLite: for the few migrations whose SQL must differ. */
export function runsOnSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}
