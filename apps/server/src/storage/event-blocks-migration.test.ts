import { CamelCasePlugin, Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, newId } from '../lib/tokens.js';
import { type EventRow, ndjsonLines } from '../modules/export/export-format.js';
import { decodeBlock } from '../modules/ingest/event-block.js';
import {
  createAppOn,
  createTestDatabase,
  DIALECTS,
  TestClock,
  type TestContext,
  testConfig,
} from '../test/harness.js';
import { createDialect } from './dialect.js';
import { migrationProvider } from './migrations/index.js';

// The event-block migration packs every row of `events` into `event_blocks`, a page of rows at a
// time: exports must come out the same after it, and after going down and up again.

const BEFORE_BLOCKS = '2026-11-28-05-website-tracker';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20);
const MAX = '9223372036854775807';
/** More than two pages of the migration (10,000 rows), with a commit across each page break. */
const BULK = 25_000;

interface OldRow {
  metric_id: string;
  project_id: string;
  ts: number;
  value: string;
  filters: string;
  key_id: string | null;
  received_at: number;
}

/** The events of the test, in the order they are stored; some share a commit and a timestamp. */
function oldRows(projectId: string, metrics: { a: string; b: string }, keyIds: string[]): OldRow[] {
  const rows: OldRow[] = [];
  const add = (
    metric: string,
    ts: number,
    value: string,
    filters: string,
    key: string | null,
    receivedAt: number,
  ) =>
    rows.push({
      metric_id: metric,
      project_id: projectId,
      ts,
      value,
      filters,
      key_id: key,
      received_at: receivedAt,
    });
  // Small commits, out of time order, over several hours, with both metrics and a key-less event.
  add(
    metrics.a,
    T0 + 2 * HOUR + 5,
    '1250000',
    '{"country":"fr","plan":"pro"}',
    keyIds[0] ?? null,
    T0 + 9 * HOUR,
  );
  add(metrics.a, T0 + HOUR - 1, `-${MAX}`, '{}', keyIds[0] ?? null, T0 + 9 * HOUR);
  add(metrics.b, T0 + HOUR, '7', '{"plan":"pro"}', keyIds[0] ?? null, T0 + 9 * HOUR);
  add(metrics.a, T0 + HOUR - 1, MAX, '{"note":"a, b:c} {x"}', keyIds[0] ?? null, T0 + 9 * HOUR);
  add(metrics.a, T0 + 30_000, '1', '{"plan":"free"}', keyIds[1] ?? null, T0 + 9 * HOUR + 1);
  add(metrics.a, T0 + 3 * HOUR, '-5', '{"plan":"pro"}', null, T0 + 9 * HOUR + 2);
  add(metrics.a, T0 + 2 * HOUR + 5, '2', '{"plan":"pro"}', keyIds[0] ?? null, T0 + 9 * HOUR);
  // A bulk import: one commit of BULK events spread over 5 hours, then one more small commit.
  for (let i = 0; i < BULK; i++) {
    const ts = T0 + 4 * HOUR + Math.floor(((i * 7919) % BULK) * ((5 * HOUR) / BULK));
    add(
      metrics.a,
      ts,
      String(i * 10_000),
      i % 3 === 0 ? '{"plan":"pro"}' : '{}',
      keyIds[1] ?? null,
      T0 + 10 * HOUR,
    );
  }
  add(metrics.a, T0 + 6 * HOUR, '3', '{}', keyIds[0] ?? null, T0 + 11 * HOUR);
  return rows;
}

for (const dialect of DIALECTS) {
  describe(`event-block migration on a database with events [${dialect}]`, () => {
    let ctx: TestContext;
    const clock = new TestClock();
    const projectId = newId();
    const metrics = { a: newId(), b: newId() };
    const readKey = { id: newId(), ...generateApiKey() };
    const ingestKeyIds = [newId(), newId()];
    let rows: OldRow[];
    /** What the export answered before the migration, per query. */
    const before = new Map<string, string>();

    const queries: Array<[keyof typeof metrics, number, number, string | undefined]> = [
      ['a', T0, T0 + 12 * HOUR, undefined],
      ['a', T0, T0 + 12 * HOUR, 'pro'],
      ['a', T0 + HOUR - 1, T0 + 4 * HOUR + 17 * 60_000, undefined],
      ['a', T0 + 5 * HOUR + 123, T0 + 7 * HOUR, 'pro'],
      ['b', T0, T0 + 12 * HOUR, undefined],
    ];
    const url = ([metric, from, to, plan]: (typeof queries)[number]) =>
      `/api/projects/${projectId}/metrics/${metrics[metric]}/events?from=${from}&to=${to}&format=ndjson${plan === undefined ? '' : `&filter[plan]=${plan}`}`;

    beforeAll(async () => {
      const database = await createTestDatabase(dialect);
      const config = testConfig(database.url);
      const opened = createDialect(config.database);
      // biome-ignore lint/suspicious/noExplicitAny: the schema of an older version
      const old = new Kysely<any>({ dialect: opened.dialect, plugins: [new CamelCasePlugin()] });
      try {
        const migrated = await new Migrator({ db: old, provider: migrationProvider }).migrateTo(
          BEFORE_BLOCKS,
        );
        expect(migrated.error).toBeUndefined();
        const now = clock.now();
        await old
          .insertInto('projects')
          .values({ id: projectId, name: 'Before blocks', createdAt: now, updatedAt: now })
          .execute();
        for (const [name, id] of Object.entries(metrics)) {
          await old
            .insertInto('metrics')
            .values({ id, projectId, name, type: 'basic', createdAt: now, updatedAt: now })
            .execute();
        }
        await old
          .insertInto('apiKeys')
          .values({
            id: readKey.id,
            projectId,
            name: 'reader',
            scope: 'read',
            prefix: readKey.prefix,
            secretHash: readKey.hash,
            createdBy: null,
            createdAt: now,
          })
          .execute();
        rows = oldRows(projectId, metrics, ingestKeyIds);
        for (let i = 0; i < rows.length; i += 1_000) {
          await old
            .insertInto('events')
            .values(rows.slice(i, i + 1_000))
            .execute();
        }
        // The export's query before blocks (ties, which it left to the engine, in stored order).
        const tie = dialect === 'sqlite' ? sql`rowid` : sql`ctid`;
        for (const query of queries) {
          const [metric, from, to, plan] = query;
          const found = await sql<EventRow>`select ts, cast(value as text) as value, filters
            from events where metric_id = ${metrics[metric]} and ts >= ${from} and ts < ${to}
            order by ts, ${tie}`.execute(old);
          const selected = found.rows
            .map((row) => ({ ...row, ts: Number(row.ts) }))
            .filter((row) => plan === undefined || JSON.parse(row.filters).plan === plan);
          before.set(url(query), ndjsonLines(selected));
        }
      } finally {
        await opened.close?.();
        await old.destroy();
      }

      ctx = await createAppOn(database, { clock });
    }, 60_000);
    afterAll(() => ctx?.close());

    async function expectSameExports(): Promise<void> {
      for (const query of queries) {
        const response = await ctx.app.inject({
          method: 'GET',
          url: url(query),
          headers: { authorization: `Bearer ${readKey.secret}` },
        });
        expect(response.statusCode, response.body).toBe(200);
        expect(response.body, url(query)).toBe(before.get(url(query)));
      }
    }

    it('exports the same events in the same order', async () => {
      expect(before.get(url(queries[0] as (typeof queries)[number]))?.split('\n')).toHaveLength(
        rows.filter((r) => r.metric_id === metrics.a).length + 1,
      );
      await expectSameExports();
    });

    it('packs every event once, in blocks of one metric, key and hour, sorted by ts', async () => {
      const blocks = await ctx.storage.db
        .selectFrom('eventBlocks')
        .selectAll()
        .orderBy('id')
        .execute();
      const unpacked = blocks.flatMap((b) => {
        const events = decodeBlock(b.firstTs, b.events);
        expect(events).toHaveLength(b.count);
        expect(events.map((e) => e.ts)).toEqual(events.map((e) => e.ts).sort((x, y) => x - y));
        expect([events[0]?.ts, events.at(-1)?.ts]).toEqual([b.firstTs, b.lastTs]);
        expect(b.hour).toBe(b.firstTs - (b.firstTs % HOUR));
        expect(b.lastTs).toBeLessThan(b.hour + HOUR);
        return events.map((e) => ({
          metric_id: b.metricId,
          project_id: b.projectId,
          ts: e.ts,
          value: e.value,
          filters: e.filters,
          key_id: b.keyId,
          received_at: b.receivedAt,
        }));
      });
      expect(sorted(unpacked)).toEqual(sorted(rows));
      // The bulk commit: its 5 hours, each cut where a page of the migration ends.
      expect(blocks.filter((b) => b.receivedAt === T0 + 10 * HOUR).length).toBeLessThanOrEqual(
        5 * 3,
      );
    });

    it('goes down to one row per event again, and back up', async () => {
      const migrator = new Migrator({ db: ctx.storage.db, provider: migrationProvider });
      const down = await migrator.migrateTo(BEFORE_BLOCKS);
      expect(down.error).toBeUndefined();
      const restored = await sql<OldRow>`select metric_id, project_id, ts,
          cast(value as text) as value, filters, key_id, received_at from events`.execute(
        ctx.storage.db,
      );
      // CamelCasePlugin renames the columns of raw results too.
      expect(
        sorted(
          restored.rows.map((r) => {
            const row = r as unknown as Record<string, unknown>;
            return {
              metric_id: row.metricId,
              project_id: row.projectId,
              ts: Number(row.ts),
              value: row.value,
              filters: row.filters,
              key_id: row.keyId,
              received_at: Number(row.receivedAt),
            } as OldRow;
          }),
        ),
      ).toEqual(sorted(rows));
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      await expectSameExports();
    });
  });
}

function sorted(rows: readonly OldRow[]): OldRow[] {
  const key = (r: OldRow) =>
    JSON.stringify([r.metric_id, r.ts, r.value, r.filters, r.key_id, r.received_at]);
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
