import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createMetric, createProject, type Session, signUp } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { parseFilters } from './event-input.js';
import type { PendingRequest } from './ingest.repo.js';
import { createSqliteWriter } from './ingest.repo.sqlite.js';
import {
  FOLD_DELAY_MS,
  FOLD_MAX_CELLS,
  FOLD_WITHIN_CELLS,
  RollupFolder,
  rollupFolder,
} from './rollup-fold.js';
import { filtersJson } from './write-plan.js';

const HOUR = 3_600_000;

/** One rollup row, as the test compares them. */
type Row = { level: string; bucket: number; dims: string; pos: string; neg: string; count: number };

// The rollups follow the commits on SQLite only: PostgreSQL's commits write them themselves.
describe.runIf(DIALECTS.includes('sqlite'))('rollups folded after the commits (SQLite)', () => {
  let ctx: TestContext;
  let owner: Session;
  let sqlite: SQLite.Database;
  let projectId: string;
  let keyId: string;

  beforeAll(async () => {
    ctx = await createTestApp('sqlite');
    owner = await signUp(ctx.app);
    const project = await createProject(ctx.app, owner);
    projectId = project.id;
    keyId = project.apiKeyId;
    if (ctx.storage.sqlite === undefined) throw new Error('not SQLite');
    sqlite = ctx.storage.sqlite;
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const newMetric = async (type = 'dual') =>
    (await createMetric(ctx.app, owner, projectId, { name: `m-${Math.random()}`, type })).id;

  /** Request n of a metric: values and filters vary, events spread over three hours. */
  function request(metricId: string, n: number): PendingRequest {
    const filters = parseFilters(
      n % 3 === 0 ? {} : { plan: n % 2 === 0 ? 'pro' : 'free', country: `c${n % 4}` },
    );
    return {
      projectId,
      keyId,
      quota: null,
      events: [
        {
          metricId,
          micros: BigInt((n % 5) - 2 || 7) * 1_250_000n,
          filters,
          filtersJson: filtersJson(filters),
          ts: ctx.clock.now() - (n % 3) * HOUR - (n % 7) * 61_000,
        },
      ],
    };
  }

  /**
   * The rollup rows each level should hold for these requests, summed here event by event: every
   * event under '', each of its filters alone and, with two or more, their whole combination.
   */
  function expected(requests: readonly PendingRequest[]): Row[] {
    const rows = new Map<string, Row>();
    for (const { events } of requests) {
      for (const e of events) {
        const dims = [''];
        for (const pair of e.filters) dims.push(filtersJson([pair]));
        if (e.filters.length > 1) dims.push(e.filtersJson);
        for (const [level, ms] of [
          ['minute', 60_000],
          ['hour', HOUR],
          ['day', 24 * HOUR],
        ] as const) {
          const bucket = e.ts - (e.ts % ms);
          for (const d of dims) {
            const key = `${level} ${bucket} ${d}`;
            const row = rows.get(key) ?? { level, bucket, dims: d, pos: '0', neg: '0', count: 0 };
            if (e.micros > 0n) row.pos = String(BigInt(row.pos) + e.micros);
            else row.neg = String(BigInt(row.neg) - e.micros);
            row.count += 1;
            rows.set(key, row);
          }
        }
      }
    }
    return sortRows([...rows.values()]);
  }

  function stored(metricId: string): Row[] {
    const rows: Row[] = [];
    for (const level of ['minute', 'hour', 'day']) {
      for (const row of sqlite
        .prepare(
          `select bucket, dims, cast(pos as text) as pos, cast(neg as text) as neg, count
           from rollups_${level} where metric_id = ?`,
        )
        .all(metricId) as Omit<Row, 'level'>[]) {
        rows.push({ level, ...row });
      }
    }
    return sortRows(rows);
  }

  const mark = (): number =>
    (sqlite.prepare('select folded_through from rollup_fold').get() as { folded_through: number })
      .folded_through;
  const maxBlockId = (): number =>
    (sqlite.prepare('select coalesce(max(id), 0) as id from event_blocks').get() as { id: number })
      .id;

  it('commits leave the rollups behind; a reader folds them first, every sum exact', async () => {
    const metricId = await newMetric();
    const write = createSqliteWriter(sqlite);
    const requests = Array.from({ length: 60 }, (_, n) => request(metricId, n));
    const now = ctx.clock.now();
    for (let i = 0; i < requests.length; i += 7) write(requests.slice(i, i + 7), now, 0);
    expect(stored(metricId)).toEqual([]);
    expect(maxBlockId()).toBeGreaterThan(mark());

    rollupFolder(sqlite).settle();
    expect(stored(metricId)).toEqual(expected(requests));
    expect(mark()).toBe(maxBlockId());
    // Nothing behind: settling again adds nothing.
    rollupFolder(sqlite).settle();
    expect(stored(metricId)).toEqual(expected(requests));
  });

  it("reads back the blocks of another process's writer, and of a crashed one", async () => {
    const metricId = await newMetric();
    const other = new SQLite(sqlite.name);
    other.pragma('busy_timeout = 5000');
    const crashed = new SQLite(sqlite.name);
    crashed.pragma('busy_timeout = 5000');
    try {
      const mine = createSqliteWriter(sqlite);
      const theirs = createSqliteWriter(other);
      const lost = createSqliteWriter(crashed);
      const requests = Array.from({ length: 40 }, (_, n) => request(metricId, n));
      const now = ctx.clock.now();
      // Interleaved: neither process's sums in memory are the whole of what is behind.
      for (let i = 0; i < requests.length; i += 4) {
        const writer = [mine, theirs, lost][(i / 4) % 3] as typeof mine;
        writer(requests.slice(i, i + 4), now, 0);
      }
      // The crashed process never folds: its sums in memory are gone with it.
      crashed.close();
      rollupFolder(sqlite).settle();
      expect(stored(metricId)).toEqual(expected(requests));
      // The other process finds nothing behind and adds nothing twice.
      rollupFolder(other).settle();
      expect(stored(metricId)).toEqual(expected(requests));
    } finally {
      other.close();
      if (crashed.open) crashed.close();
    }
  });

  it('a process started after a crash folds what was left behind before anything else', async () => {
    const metricId = await newMetric();
    const crashed = new SQLite(sqlite.name);
    crashed.pragma('busy_timeout = 5000');
    const requests = Array.from({ length: 12 }, (_, n) => request(metricId, n));
    createSqliteWriter(crashed)(requests, ctx.clock.now(), 0);
    crashed.close();
    // A new handle has a new folder with nothing in memory, like a restarted server.
    const restarted = new SQLite(sqlite.name);
    try {
      new RollupFolder(restarted).settle();
      expect(stored(metricId)).toEqual(expected(requests));
    } finally {
      restarted.close();
    }
  });

  it('a block stored after the newest blocks were deleted is still folded', async () => {
    const doomed = await newMetric();
    const write = createSqliteWriter(sqlite);
    const now = ctx.clock.now();
    write([request(doomed, 1), request(doomed, 2)], now, 0);
    rollupFolder(sqlite).settle();
    const folded = mark();
    // Deleting the metric deletes its blocks, the newest: the highest id left is below the mark.
    const deleted = await call(ctx.app, 'DELETE', `/api/projects/${projectId}/metrics/${doomed}`, {
      session: owner,
    });
    expect(deleted.statusCode).toBe(204);
    expect(maxBlockId()).toBeLessThan(folded);

    const metricId = await newMetric();
    const requests = [request(metricId, 4), request(metricId, 5)];
    write(requests, now, 0);
    expect(maxBlockId()).toBeGreaterThan(folded);
    rollupFolder(sqlite).settle();
    expect(stored(metricId)).toEqual(expected(requests));
  });

  it('a fold that fails loses nothing and adds nothing twice when it is tried again', async () => {
    const metricId = await newMetric();
    const write = createSqliteWriter(sqlite);
    const now = ctx.clock.now();
    const requests = Array.from({ length: 9 }, (_, n) => request(metricId, n));
    sqlite.exec(`create trigger fail_fold before insert on rollups_hour
      begin select raise(abort, 'disk full'); end`);
    try {
      write(requests.slice(0, 5), now, 0);
      const before = mark();
      expect(() => rollupFolder(sqlite).settle()).toThrow('disk full');
      expect(mark()).toBe(before);
      expect(stored(metricId)).toEqual([]);
      // Commits go on meanwhile: they do not touch the rollups.
      write(requests.slice(5), now, 0);
    } finally {
      sqlite.exec('drop trigger fail_fold');
    }
    rollupFolder(sqlite).settle();
    expect(stored(metricId)).toEqual(expected(requests));
  });

  /** One request with an event a minute from `start`, two filters: four cells a minute. */
  function spread(metricId: string, start: number, minutes: number): PendingRequest {
    const filters = parseFilters({ plan: 'pro', country: 'fr' });
    return {
      projectId,
      keyId,
      quota: null,
      events: Array.from({ length: minutes }, (_, i) => ({
        metricId,
        micros: 1_000_000n,
        filters,
        filtersJson: filtersJson(filters),
        ts: start + i * 60_000,
      })),
    };
  }

  it(`a commit of ${FOLD_WITHIN_CELLS} cells or more folds within its own transaction`, async () => {
    const metricId = await newMetric('basic');
    const small = [request(metricId, 1)];
    const write = createSqliteWriter(sqlite);
    write(small, ctx.clock.now(), 0);
    expect(mark()).toBeLessThan(maxBlockId());
    // Held in memory no longer: it and what was waiting are folded by the commit itself.
    const big = [spread(metricId, ctx.clock.now() - 30 * HOUR, FOLD_WITHIN_CELLS / 4)];
    write(big, ctx.clock.now(), 0);
    expect(mark()).toBe(maxBlockId());
    expect(stored(metricId)).toEqual(expected([...small, ...big]));
  });

  it(`folds within the commit once ${FOLD_MAX_CELLS} cells wait, without the event loop`, async () => {
    const metricId = await newMetric('basic');
    const write = createSqliteWriter(sqlite);
    const minutes = FOLD_WITHIN_CELLS / 4 - 50;
    const requests: PendingRequest[] = [];
    let start = ctx.clock.now() - 200 * 24 * HOUR;
    // Synchronous commits, each under FOLD_WITHIN_CELLS: no timer can run between them.
    while (mark() < maxBlockId() || requests.length === 0) {
      requests.push(spread(metricId, start, minutes));
      write(requests.slice(-1), ctx.clock.now(), 0);
      start += minutes * 60_000;
      expect(requests.length).toBeLessThanOrEqual(Math.ceil(FOLD_MAX_CELLS / (4 * minutes)) + 1);
    }
    expect(requests.length).toBeGreaterThan(1);
    expect(stored(metricId)).toEqual(expected(requests));
  });

  it(`folds on its own within ${FOLD_DELAY_MS} ms of a commit`, async () => {
    const metricId = await newMetric();
    const requests = [request(metricId, 1), request(metricId, 2)];
    createSqliteWriter(sqlite)(requests, ctx.clock.now(), 0);
    expect(stored(metricId)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, FOLD_DELAY_MS + 200));
    expect(stored(metricId)).toEqual(expected(requests));
    expect(mark()).toBe(maxBlockId());
  });

  it('a chart read right after the 200s holds every event', async () => {
    const metric = await createMetric(ctx.app, owner, projectId, { name: 'visits', type: 'basic' });
    const key = await call(ctx.app, 'POST', `/api/projects/${projectId}/keys`, {
      session: owner,
      body: { name: 'fold', scope: 'ingest' },
    });
    const secret = key.json().key.secret as string;
    for (const value of [1.5, 2.25, 3]) {
      const sent = await call(ctx.app, 'POST', `/event/v1/${metric.name}`, {
        headers: { authorization: `Bearer ${secret}` },
        body: { value, filters: { plan: 'pro' } },
      });
      expect(sent.statusCode).toBe(200);
    }
    const from = new Date(ctx.clock.now() - HOUR).toISOString();
    const to = new Date(ctx.clock.now() + 60_000).toISOString();
    const series = await call(
      ctx.app,
      'GET',
      `/api/projects/${projectId}/metrics/${metric.id}/series?from=${from}&to=${to}&filter[plan]=pro`,
      { session: owner },
    );
    expect(series.statusCode).toBe(200);
    expect(series.json().summary.total).toEqual({ sum: 6.75, count: 3, exact: { sum: '6.75' } });
  });
});

function sortRows(rows: Row[]): Row[] {
  const key = (r: Row) => `${r.level} ${String(r.bucket).padStart(16, '0')} ${r.dims}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
