import type SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, Migrator, sql } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { createDialect, type DialectName } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface Storage {
  readonly db: Db;
  readonly dialect: DialectName;
  /** The SQLite handle under `db`, for the native event writer; undefined on PostgreSQL. */
  readonly sqlite: SQLite.Database | undefined;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the database and brings its schema up to date. */
export async function openStorage(config: DatabaseConfig): Promise<Storage> {
  const opened = createDialect(config);
  const db = new Kysely<Database>({ dialect: opened.dialect, plugins: [new CamelCasePlugin()] });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    dialect: config.dialect,
    sqlite: opened.sqlite,
    ping: async () => {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed`, { cause: error });
  }
}
