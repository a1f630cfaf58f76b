// The data set of `npm run bench:query`: one metric with a year of events, written by the server's
// own group-commit writer and cached under bench/.data/ (SQLite) or in a database of its own
// (PostgreSQL), with a manifest saying what it holds.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { loadConfig } from '../apps/server/dist/config.js';
import { OPERATOR } from '../apps/server/dist/lib/actor.js';
import { systemClock } from '../apps/server/dist/lib/clock.js';
import {
  createIngestRepo,
  type PendingEvent,
  type PendingRequest,
} from '../apps/server/dist/modules/ingest/ingest.repo.js';
import { filtersJson } from '../apps/server/dist/modules/ingest/write-plan.js';
import { createServices } from '../apps/server/dist/services.js';
import { openStorage, type Storage } from '../apps/server/dist/storage/database.js';
import { ROOT } from './lib.js';
import { createBenchMetric } from './setup.js';

/** Bumped whenever the generated data changes shape, so an old cache is rebuilt. */
const FORMAT = 2;
const DAY_MS = 86_400_000;
const SPAN_MS = 365 * DAY_MS;
const EVENTS_PER_COMMIT = 10_000;
const EVENTS_PER_REQUEST = 1_000;
export const DATA_DIR = `${ROOT}bench/.data/`;
export const DEFAULT_EVENTS = 10_000_000;

/** 10 countries and 50 pages, each drawn with a Zipf-like skew (the first is the most common). */
export const COUNTRIES = ['us', 'de', 'fr', 'gb', 'in', 'br', 'jp', 'ca', 'es', 'it'] as const;
export const PAGES = Array.from({ length: 50 }, (_, i) =>
  i === 0 ? '/' : `/page-${String(i).padStart(2, '0')}`,
);

export type DialectName = 'sqlite' | 'postgres';

export interface Dataset {
  readonly format: number;
  readonly dialect: DialectName;
  readonly databaseUrl: string;
  readonly events: number;
  readonly seed: number;
  readonly createdAt: string;
  /** The events cover [asOf − 365 days, asOf): the queries end here. */
  readonly asOf: number;
  readonly projectId: string;
  readonly metricId: string;
  readonly readKey: string;
  readonly generation: {
    readonly seconds: number;
    readonly eventsPerSec: number;
    readonly eventsPerCommit: number;
  };
  readonly rollupRows: { readonly minute: number; readonly hour: number; readonly day: number };
  /** Bytes per table and index (SQLite dbstat, PostgreSQL pg_total_relation_size), and in all. */
  readonly bytes: Readonly<Record<string, number>>;
}

/** Deterministic uniform numbers in [0, 1): mulberry32. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Draws an index of `weights` in proportion to them. */
function picker(weights: readonly number[]): (u: number) => number {
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cumulative = weights.map((w) => (sum += w / total));
  return (u) => {
    const i = cumulative.findIndex((c) => u < c);
    return i === -1 ? weights.length - 1 : i;
  };
}

function label(events: number): string {
  if (events % 1_000_000 === 0) return `${events / 1_000_000}m`;
  if (events % 1_000 === 0) return `${events / 1_000}k`;
  return String(events);
}

/** The database of a data set and where its manifest is kept. */
export function datasetLocation(
  dialect: DialectName,
  events: number,
  postgresUrl: string,
): { databaseUrl: string; manifest: string; file?: string; database?: string } {
  if (dialect === 'sqlite') {
    const file = `${DATA_DIR}query-${label(events)}.db`;
    return { databaseUrl: `sqlite:${file}`, manifest: `${file}.json`, file };
  }
  const database = `measurely_bench_query${events === DEFAULT_EVENTS ? '' : `_${label(events)}`}`;
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return {
    databaseUrl: url.toString(),
    manifest: `${DATA_DIR}${database}.postgres.json`,
    database,
  };
}

/** True when a PostgreSQL server answers at `url` within a few seconds. */
export async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Reuses the cached data set when its manifest matches and the database agrees; else builds it. */
export async function ensureDataset(options: {
  dialect: DialectName;
  events: number;
  seed: number;
  postgresUrl: string;
}): Promise<Dataset> {
  const { dialect, events, seed, postgresUrl } = options;
  const where = datasetLocation(dialect, events, postgresUrl);
  const cached = await readManifest(where.manifest);
  if (
    cached?.format === FORMAT &&
    cached.dialect === dialect &&
    cached.events === events &&
    cached.seed === seed &&
    cached.databaseUrl === where.databaseUrl &&
    (await storedEvents(cached)) === events
  ) {
    console.log(
      `${dialect}: reusing ${events.toLocaleString('en')} events generated ${cached.createdAt} (${path.relative(ROOT, where.manifest)})`,
    );
    return cached;
  }

  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.rmSync(where.manifest, { force: true });
  if (where.file !== undefined) {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${where.file}${suffix}`, { force: true });
  } else if (where.database !== undefined) {
    await recreateDatabase(postgresUrl, where.database);
  }
  const dataset = await generate({ dialect, events, seed, databaseUrl: where.databaseUrl });
  fs.writeFileSync(where.manifest, `${JSON.stringify(dataset, null, 2)}\n`);
  return dataset;
}

async function readManifest(file: string): Promise<Dataset | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(file, 'utf8')) as Dataset;
  } catch {
    return undefined;
  }
}

/** The metric's event count in the database, or -1 when it cannot be read. */
async function storedEvents(dataset: Dataset): Promise<number> {
  try {
    if (dataset.dialect === 'sqlite') {
      const file = dataset.databaseUrl.slice('sqlite:'.length);
      const db = new SQLite(file, { readonly: true, fileMustExist: true });
      try {
        const row = db
          .prepare<[string], { n: number }>('select event_count as n from metrics where id = ?')
          .get(dataset.metricId);
        return row?.n ?? -1;
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: dataset.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        'select event_count as n from metrics where id = $1',
        [dataset.metricId],
      );
      return Number(rows[0]?.n ?? -1);
    } finally {
      await client.end();
    }
  } catch {
    return -1;
  }
}

async function recreateDatabase(postgresUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${database} with (force)`);
    await client.query(`create database ${database}`);
  } finally {
    await client.end();
  }
}

async function generate(options: {
  dialect: DialectName;
  events: number;
  seed: number;
  databaseUrl: string;
}): Promise<Dataset> {
  const { dialect, events, seed, databaseUrl } = options;
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }, ROOT);
  const storage = await openStorage(config.database);
  try {
    const services = createServices({ storage, config, clock: systemClock });
    const { project, apiKey, metric } = await createBenchMetric(services, {
      label: 'query',
      project: 'Query bench',
      metric: 'revenue',
    });
    const readKey = await services.keys.createKey(OPERATOR, project.id, {
      name: 'Query bench reader',
      scope: 'read',
    });

    const asOf = Date.now();
    const from = asOf - SPAN_MS;
    const repo = createIngestRepo(storage);
    const { writeRequests } = repo;
    const next = random(seed);
    const country = picker(COUNTRIES.map((_, i) => 1 / (i + 1)));
    const page = picker(PAGES.map((_, i) => 1 / (i + 1) ** 0.8));
    const combos = COUNTRIES.map((c) =>
      PAGES.map((p) => {
        const filters: Array<[string, string]> = [
          ['country', c],
          ['page', p],
        ];
        return { filters, filtersJson: filtersJson(filters) };
      }),
    );

    console.log(
      `${dialect}: generating ${events.toLocaleString('en')} events over 365 days (commits of ${EVENTS_PER_COMMIT.toLocaleString('en')})…`,
    );
    const started = performance.now();
    let reported = started;
    for (let first = 0; first < events; first += EVENTS_PER_COMMIT) {
      const requests: PendingRequest[] = [];
      const last = Math.min(first + EVENTS_PER_COMMIT, events);
      for (let r = first; r < last; r += EVENTS_PER_REQUEST) {
        const list: PendingEvent[] = [];
        for (let i = r; i < Math.min(r + EVENTS_PER_REQUEST, last); i++) {
          // One event per slot of SPAN/events, at a random point of it: uniform and time-ordered.
          const ts = from + Math.floor(((i + next()) * SPAN_MS) / events);
          const combo = combos[country(next())]?.[page(next())];
          if (combo === undefined) throw new Error('no filter combination drawn');
          const cents = 1 + Math.floor(next() * 20_000);
          list.push({ metricId: metric.id, ts, micros: BigInt(cents) * 10_000n, ...combo });
        }
        requests.push({ projectId: project.id, keyId: apiKey.id, quota: null, events: list });
      }
      const now = Date.now();
      const outcomes = await writeRequests(requests, now, now - DAY_MS);
      if (outcomes.some((o) => o.duplicate || o.events.some((e) => !e.ok))) {
        throw new Error('the writer refused events');
      }
      const t = performance.now();
      if (t - reported > 10_000 || last === events) {
        reported = t;
        const rate = Math.round(last / ((t - started) / 1000));
        console.log(
          `  ${last.toLocaleString('en')} events (${((100 * last) / events).toFixed(1)}%), ${rate.toLocaleString('en')} events/s`,
        );
      }
    }
    // Brings SQLite's rollups up to the last commit (modules/ingest/rollup-fold.ts).
    await repo.close();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${dialect}: generated in ${seconds.toFixed(0)} s (${Math.round(events / seconds).toLocaleString('en')} events/s); measuring sizes…`,
    );
    const { rollupRows, bytes } = await measureSizes(storage, databaseUrl);
    return {
      format: FORMAT,
      dialect,
      databaseUrl,
      events,
      seed,
      createdAt: new Date(asOf).toISOString(),
      asOf,
      projectId: project.id,
      metricId: metric.id,
      readKey: readKey.secret,
      generation: {
        seconds: Math.round(seconds),
        eventsPerSec: Math.round(events / seconds),
        eventsPerCommit: EVENTS_PER_COMMIT,
      },
      rollupRows,
      bytes,
    };
  } finally {
    await storage.close();
  }
}

const TABLES = ['event_blocks', 'rollups_minute', 'rollups_hour', 'rollups_day'] as const;
const EVENTS_INDEX = 'event_blocks_metric_hour';

/** Rollup rows per level and bytes per table with its indexes; checkpoints SQLite's WAL first. */
async function measureSizes(
  storage: Storage,
  databaseUrl: string,
): Promise<{
  rollupRows: Dataset['rollupRows'];
  bytes: Record<string, number>;
}> {
  const bytes: Record<string, number> = {};
  const counts: number[] = [];
  const { sqlite } = storage;
  if (sqlite !== undefined) {
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    for (const level of ['minute', 'hour', 'day']) {
      counts.push(
        (sqlite.prepare(`select count(*) as n from rollups_${level}`).get() as { n: number }).n,
      );
    }
    const rows = sqlite
      .prepare('select name, sum(pgsize) as size from dbstat group by name')
      .all() as Array<{ name: string; size: number }>;
    for (const table of TABLES) bytes[table] = rows.find((r) => r.name === table)?.size ?? 0;
    bytes[EVENTS_INDEX] = rows.find((r) => r.name === EVENTS_INDEX)?.size ?? 0;
    bytes.total = fs.statSync(sqlite.name).size;
  } else {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('vacuum analyze');
      for (const level of ['minute', 'hour', 'day']) {
        const { rows } = await client.query<{ n: string }>(
          `select count(*) as n from rollups_${level}`,
        );
        counts.push(Number(rows[0]?.n ?? 0));
      }
      for (const table of TABLES) {
        const { rows } = await client.query<{ n: string }>(
          'select pg_total_relation_size($1) as n',
          [table],
        );
        bytes[table] = Number(rows[0]?.n ?? 0);
      }
      const { rows } = await client.query<{ n: string }>('select pg_relation_size($1) as n', [
        EVENTS_INDEX,
      ]);
      bytes[EVENTS_INDEX] = Number(rows[0]?.n ?? 0);
      const total = await client.query<{ n: string }>(
        'select pg_database_size(current_database()) as n',
      );
      bytes.total = Number(total.rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  }
  const [minute = 0, hour = 0, day = 0] = counts;
  return { rollupRows: { minute, hour, day }, bytes };
}
