import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, micros } from '../../test/assertions.js';
import {
  call,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { openBodyStream } from './body-stream.js';
import { csvCell } from './export-format.js';

const HOUR = 3_600_000;
/** 2026-11-01T00:00:00Z: within the backfill window of the test clock (2026-11-28). */
const T0 = Date.UTC(2026, 10, 1);
const T1 = T0 + 24 * HOUR;

const CSV_HEADER = 'timestamp,value,country,note,plan,utm.source';
/** Every event of [T0, T1), in time order, as CSV lines. */
const CSV_ROWS = [
  '2026-11-01T00:00:00.000Z,1,fr,,pro,',
  '2026-11-01T02:00:00.000Z,-42.5,,,,',
  '2026-11-01T03:00:00.000Z,999999999.999999,,,pro,"news, letter"',
  "2026-11-01T04:00:00.000Z,0.000001,,'=1+2,pro,",
  '2026-11-01T10:00:00.123Z,0.53,,,free,',
];

function csv(...lines: string[]): string {
  return lines.map((line) => `${line}\r\n`).join('');
}

interface Credentials {
  readonly session?: Session;
  readonly key?: string;
}

function download(
  ctx: TestContext,
  projectId: string,
  metric: string,
  query: string,
  as: Credentials,
): Promise<LightMyRequestResponse> {
  return ctx.app.inject({
    method: 'GET',
    url: `/api/projects/${projectId}/metrics/${encodeURIComponent(metric)}/events?${query}`,
    headers: {
      ...(as.session === undefined ? {} : { cookie: as.session.cookie }),
      ...(as.key === undefined ? {} : { authorization: `Bearer ${as.key}` }),
    },
  });
}

async function newKey(
  ctx: TestContext,
  session: Session,
  projectId: string,
  scope: 'ingest' | 'read',
): Promise<string> {
  const response = await call(ctx.app, 'POST', `/api/projects/${projectId}/keys`, {
    session,
    body: { name: `${scope} key`, scope },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().key.secret;
}

async function sendBatch(ctx: TestContext, key: string, events: unknown[]): Promise<void> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/event/v1/batch',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ events }),
  });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.json()).toMatchObject({ accepted: events.length, rejected: 0 });
}

for (const dialect of DIALECTS) {
  describe(`export [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    let project: TestProject;
    let metric: { id: string; name: string };
    const range = `from=${T0}&to=${T1}`;
    const asOwner = (): Credentials => ({ session: owner });

    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner);
      metric = await createMetric(ctx.app, owner, project.id, { name: 'revenue', type: 'average' });
      const m = metric.name;
      // Out of time order on purpose, with both timestamp forms, and one event on each side.
      await sendBatch(ctx, project.apiKey, [
        { metric: m, value: 1, timestamp: T0, filters: { plan: 'pro', country: 'fr' } },
        {
          metric: m,
          value: 0.53,
          timestamp: '2026-11-01T10:00:00.123Z',
          filters: { plan: 'free' },
        },
        { metric: m, value: -42.5, timestamp: T0 + 2 * HOUR },
        {
          metric: m,
          value: 999999999.999999,
          timestamp: '2026-11-01T04:00:00+01:00',
          filters: { 'utm.source': 'news, letter', plan: 'pro' },
        },
        {
          metric: m,
          value: 0.000001,
          timestamp: T0 + 4 * HOUR,
          filters: { ' Plan ': ' PRO ', note: '=1+2' },
        },
        { metric: m, value: 7, timestamp: T1 },
        { metric: m, value: 3, timestamp: T0 - 1 },
      ]);
    });
    afterAll(() => ctx.close());

    describe('CSV', () => {
      it('has every event of [from, to) in time order, exact, one column per filter key', async () => {
        const response = await download(ctx, project.id, metric.name, range, asOwner());
        expect(response.statusCode, response.body).toBe(200);
        expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
        expect(response.headers['content-disposition']).toBe(
          'attachment; filename="revenue-events.csv"',
        );
        expect(response.headers['x-request-id']).toEqual(expect.any(String));
        expect(response.body).toBe(csv(CSV_HEADER, ...CSV_ROWS));
      });

      it('takes local dates in a time zone and presets, as the query API does', async () => {
        // 2026-11-01 in Kiritimati (+14:00) is [2026-10-31T10:00Z, 2026-11-01T10:00Z).
        const local = await download(
          ctx,
          project.id,
          metric.name,
          'from=2026-11-01&to=2026-11-02&tz=Pacific/Kiritimati',
          asOwner(),
        );
        expect(local.statusCode, local.body).toBe(200);
        expect(local.body).toBe(
          csv(
            CSV_HEADER,
            '2026-10-31T23:59:59.999Z,3,,,,',
            ...CSV_ROWS.filter((row) => row < '2026-11-01T10'),
          ),
        );
        const today = await download(ctx, project.id, metric.name, 'range=today', asOwner());
        expect(today.body).toBe(`${CSV_HEADER}\r\n`);
      });

      it('refuses a range longer than the limit, as the query API does', async () => {
        const limited = await createTestApp(dialect, { env: { MEASURELY_MAX_QUERY_DAYS: '1' } });
        try {
          const user = await signUp(limited.app);
          const own = await createProject(limited.app, user);
          await createMetric(limited.app, user, own.id, { name: 'm', type: 'basic' });
          const tooLong = `from=${T0}&to=${T0 + 49 * HOUR}`;
          const refused = await download(limited, own.id, 'm', tooLong, { session: user });
          expectProblem(refused, 400, 'RANGE_TOO_LONG');
          const fits = await download(limited, own.id, 'm', range, { session: user });
          expect(fits.statusCode).toBe(200);
        } finally {
          await limited.close();
        }
      });

      it('answers HEAD with the headers alone', async () => {
        const response = await ctx.app.inject({
          method: 'HEAD',
          url: `/api/projects/${project.id}/metrics/revenue/events?${range}&format=ndjson`,
          headers: { cookie: owner.cookie },
        });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
        expect(response.headers['content-disposition']).toBe(
          'attachment; filename="revenue-events.ndjson"',
        );
        expect(response.body).toBe('');
      });

      it('is the default format, finds the metric by id, and reads ISO 8601 bounds', async () => {
        const iso = `from=${encodeURIComponent('2026-11-01T01:00:00+01:00')}&to=2026-11-02T00:00:00.000Z`;
        const byId = await download(ctx, project.id, metric.id, `${iso}&format=csv`, asOwner());
        const byName = await download(ctx, project.id, 'REVENUE', range, asOwner());
        expect(byId.body).toBe(csv(CSV_HEADER, ...CSV_ROWS));
        expect(byName.body).toBe(byId.body);
      });

      it('includes an event at exactly `from` and leaves out one at exactly `to`', async () => {
        const edge = await download(
          ctx,
          project.id,
          metric.name,
          `from=${T1}&to=${T1 + 1}`,
          asOwner(),
        );
        expect(edge.body).toBe(csv(CSV_HEADER, '2026-11-02T00:00:00.000Z,7,,,,'));
        const before = await download(
          ctx,
          project.id,
          metric.name,
          `from=${T0 - 1}&to=${T0}`,
          asOwner(),
        );
        expect(before.body).toBe(csv(CSV_HEADER, '2026-10-31T23:59:59.999Z,3,,,,'));
        const firstOnly = await download(
          ctx,
          project.id,
          metric.name,
          `from=${T0}&to=${T0 + 1}`,
          asOwner(),
        );
        expect(firstOnly.body).toBe(csv(CSV_HEADER, CSV_ROWS[0] ?? ''));
      });

      it('keeps only the events matching every filter, keys and values as stored', async () => {
        const cases: Array<[query: string, rows: number[]]> = [
          ['filter[plan]=pro', [0, 2, 3]],
          [`filter[${encodeURIComponent(' Plan ')}]=${encodeURIComponent(' PRO ')}`, [0, 2, 3]],
          ['filter[plan]=pro&filter[country]=fr', [0]],
          ['filter%5Bplan%5D=free', [4]],
          [`filter[utm.source]=${encodeURIComponent('news, letter')}`, [2]],
          [`filter[note]=${encodeURIComponent('=1+2')}`, [3]],
          ['filter[plan]=enterprise', []],
          ['filter[nokey]=pro', []],
          ['filter[plan]=pro&filter[note]=other', []],
        ];
        for (const [filters, rows] of cases) {
          const response = await download(
            ctx,
            project.id,
            metric.name,
            `${range}&${filters}`,
            asOwner(),
          );
          expect(response.statusCode, response.body).toBe(200);
          expect(response.body, filters).toBe(
            csv(CSV_HEADER, ...rows.map((i) => CSV_ROWS[i] ?? '')),
          );
        }
      });

      it('quotes per RFC 4180 and defuses what a spreadsheet would run', () => {
        expect(csvCell('plain')).toBe('plain');
        expect(csvCell('a,b')).toBe('"a,b"');
        expect(csvCell('say "hi"')).toBe('"say ""hi"""');
        expect(csvCell('two\r\nlines')).toBe('"two\r\nlines"');
        expect(csvCell('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)");
        expect(csvCell('@x,"y"')).toBe(`"'@x,""y"""`);
        expect(csvCell('-1')).toBe("'-1");
      });

      it('is a header alone for an empty range or a metric without events', async () => {
        const empty = await createMetric(ctx.app, owner, project.id, {
          name: 'empty',
          type: 'basic',
        });
        const response = await download(ctx, project.id, empty.id, range, asOwner());
        expect(response.statusCode).toBe(200);
        expect(response.body).toBe(csv('timestamp,value'));
        const later = await download(
          ctx,
          project.id,
          metric.name,
          `from=${T1 + 1}&to=${T1 + 2}`,
          asOwner(),
        );
        expect(later.body).toBe(csv(CSV_HEADER));
      });

      it('renames a filter column that would take a fixed column name; names the file safely', async () => {
        const odd = await createMetric(ctx.app, owner, project.id, {
          name: 'Ventes "été", nettes',
          type: 'basic',
        });
        await sendBatch(ctx, project.apiKey, [
          { metric: odd.id, value: 2.5, timestamp: T0, filters: { value: 'x', timestamp: 'y' } },
        ]);
        const response = await download(ctx, project.id, odd.id, range, asOwner());
        expect(response.body).toBe(
          csv('timestamp,value,filter:timestamp,filter:value', '2026-11-01T00:00:00.000Z,2.5,y,x'),
        );
        expect(response.headers['content-disposition']).toBe(
          `attachment; filename="Ventes __t__, nettes-events.csv"; filename*=UTF-8''${encodeURIComponent('Ventes "été", nettes-events.csv')}`,
        );
      });
    });

    it('reads one snapshot on a connection of its own: events keep being stored meanwhile', async () => {
      const snap = await createMetric(ctx.app, owner, project.id, { name: 'snap', type: 'basic' });
      // One commit, so one block, per event.
      for (const value of [1, 2, 3, 4, 5]) {
        await sendBatch(ctx, project.apiKey, [{ metric: snap.id, value, timestamp: T0 + value }]);
      }
      const query = ctx.storage.db
        .selectFrom('eventBlocks')
        .select('firstTs')
        .where('metricId', '=', snap.id)
        .orderBy('firstTs')
        .compile();
      const pages = ctx.storage.streamRows<{ first_ts: number }>(query, 2);
      const seen = (await pages.next()).value ?? [];
      await sendBatch(ctx, project.apiKey, [{ metric: snap.id, value: 9, timestamp: T0 + 9 }]);
      for await (const page of pages) seen.push(...page);
      expect(seen.map((row) => Number(row.first_ts) - T0)).toEqual([1, 2, 3, 4, 5]);
      const after = await download(ctx, project.id, snap.id, range, asOwner());
      expect(after.body.split('\r\n')).toHaveLength(8);
    });

    it('merges the blocks of several commits, keys and hours into one time order', async () => {
      const merged = await createMetric(ctx.app, owner, project.id, {
        name: 'merged',
        type: 'basic',
      });
      const other = await newKey(ctx, owner, project.id, 'ingest');
      // [minute after T0, value]: each batch is one commit, stored as one block per key and
      // hour; the blocks overlap in time, and some events share a timestamp.
      const batches: Array<[string, Array<[number, number]>]> = [
        [
          project.apiKey,
          [
            [50, 1],
            [70, 2],
            [10, 3],
            [55, 4],
          ],
        ],
        [
          other,
          [
            [55, 5],
            [5, 6],
            [65, 7],
            [59.999, 8],
          ],
        ],
        [
          project.apiKey,
          [
            [60, 9],
            [55, 10],
            [0, 11],
            [30, 12],
          ],
        ],
        [
          other,
          [
            [60, 13],
            [55, 14],
          ],
        ],
      ];
      for (const [key, events] of batches) {
        await sendBatch(
          ctx,
          key,
          events.map(([minute, value]) => ({
            metric: merged.id,
            value,
            timestamp: T0 + minute * 60_000,
            filters: { parity: value % 2 === 0 ? 'even' : 'odd' },
          })),
        );
      }
      const exported = async (query: string): Promise<number[]> => {
        const response = await download(ctx, project.id, merged.id, query, asOwner());
        expect(response.statusCode, response.body).toBe(200);
        return response.body
          .split('\n')
          .slice(0, -1)
          .map((line) => JSON.parse(line).value as number);
      };
      // Equal timestamps in the order they were stored.
      const all = [11, 6, 3, 12, 1, 4, 5, 10, 14, 8, 9, 13, 7, 2];
      expect(await exported(`${range}&format=ndjson`)).toEqual(all);
      expect(await exported(`${range}&format=ndjson&filter[parity]=even`)).toEqual(
        all.filter((v) => v % 2 === 0),
      );
      const from = T0 + 30 * 60_000;
      expect(await exported(`from=${from}&to=${T0 + HOUR + 5 * 60_000}&format=ndjson`)).toEqual(
        all.slice(3, -2),
      );
    });

    it('deletes the raw events of a deleted metric, and of the metrics of a deleted project', async () => {
      const blocksOf = async (metricId: string): Promise<number> =>
        (
          await ctx.storage.db
            .selectFrom('eventBlocks')
            .select('id')
            .where('metricId', '=', metricId)
            .execute()
        ).length;
      const doomed = await createProject(ctx.app, owner);
      const kept = await createMetric(ctx.app, owner, doomed.id, { name: 'kept', type: 'basic' });
      const gone = await createMetric(ctx.app, owner, doomed.id, { name: 'gone', type: 'basic' });
      for (const m of [kept, gone]) {
        await sendBatch(ctx, doomed.apiKey, [
          { metric: m.id, value: 1, timestamp: T0 },
          { metric: m.id, value: 2, timestamp: T0 + 2 * HOUR },
        ]);
        expect(await blocksOf(m.id)).toBe(2);
      }
      const deleted = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${doomed.id}/metrics/${gone.id}`,
        {
          session: owner,
        },
      );
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect([await blocksOf(gone.id), await blocksOf(kept.id)]).toEqual([0, 2]);
      const dropped = await call(ctx.app, 'DELETE', `/api/projects/${doomed.id}`, {
        session: owner,
      });
      expect(dropped.statusCode, dropped.body).toBe(204);
      expect(await blocksOf(kept.id)).toBe(0);
    });

    describe('NDJSON', () => {
      it('has one object per line with the exact value as a JSON number and the filters', async () => {
        const response = await download(
          ctx,
          project.id,
          metric.name,
          `${range}&format=ndjson`,
          asOwner(),
        );
        expect(response.statusCode, response.body).toBe(200);
        expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
        expect(response.headers['content-disposition']).toBe(
          'attachment; filename="revenue-events.ndjson"',
        );
        expect(response.body.endsWith('\n')).toBe(true);
        const lines = response.body.split('\n').slice(0, -1);
        expect(lines.map((line) => JSON.parse(line))).toEqual([
          {
            timestamp: '2026-11-01T00:00:00.000Z',
            value: 1,
            filters: { country: 'fr', plan: 'pro' },
          },
          { timestamp: '2026-11-01T02:00:00.000Z', value: -42.5, filters: {} },
          {
            timestamp: '2026-11-01T03:00:00.000Z',
            value: 999999999.999999,
            filters: { plan: 'pro', 'utm.source': 'news, letter' },
          },
          {
            timestamp: '2026-11-01T04:00:00.000Z',
            value: 0.000001,
            filters: { note: '=1+2', plan: 'pro' },
          },
          { timestamp: '2026-11-01T10:00:00.123Z', value: 0.53, filters: { plan: 'free' } },
        ]);
        // The number as written is the exact decimal, digit for digit.
        const written = lines.map((line) => /"value":(-?[\d.]+),/.exec(line)?.[1] ?? '');
        expect(written.map(micros)).toEqual([
          1_000_000n,
          -42_500_000n,
          999_999_999_999_999n,
          1n,
          530_000n,
        ]);
      });

      it('filters too, and is empty when nothing matches', async () => {
        const pro = await download(
          ctx,
          project.id,
          metric.name,
          `${range}&format=ndjson&filter[country]=FR`,
          asOwner(),
        );
        expect(pro.body).toBe(
          '{"timestamp":"2026-11-01T00:00:00.000Z","value":1,"filters":{"country":"fr","plan":"pro"}}\n',
        );
        const none = await download(
          ctx,
          project.id,
          metric.name,
          `${range}&format=ndjson&filter[country]=de`,
          asOwner(),
        );
        expect(none.statusCode).toBe(200);
        expect(none.body).toBe('');
      });
    });

    describe('access', () => {
      it('lets a read key download; refuses an ingest key with 403 KEY_SCOPE_FORBIDDEN', async () => {
        const readKey = await newKey(ctx, owner, project.id, 'read');
        const read = await download(ctx, project.id, metric.name, range, { key: readKey });
        expect(read.statusCode, read.body).toBe(200);
        expect(read.body).toBe(csv(CSV_HEADER, ...CSV_ROWS));
        const ingest = await download(ctx, project.id, metric.name, range, { key: project.apiKey });
        expectProblem(ingest, 403, 'KEY_SCOPE_FORBIDDEN');
      });

      it('answers 404 to an outsider, by session or by the read key of another project', async () => {
        const outsider = await signUp(ctx.app);
        const theirs = await createProject(ctx.app, outsider, 'Theirs');
        const theirKey = await newKey(ctx, outsider, theirs.id, 'read');
        for (const as of [{ session: outsider }, { key: theirKey }]) {
          const response = await download(ctx, project.id, metric.name, range, as);
          expectProblem(response, 404, 'PROJECT_NOT_FOUND');
        }
        // Their own project has no such metric.
        const response = await download(ctx, theirs.id, metric.id, range, { key: theirKey });
        expectProblem(response, 404, 'METRIC_NOT_FOUND');
      });

      it('answers 401 without credentials or with an unknown key; 404 for an unknown metric', async () => {
        expectProblem(
          await download(ctx, project.id, metric.name, range, {}),
          401,
          'UNAUTHENTICATED',
        );
        expectProblem(
          await download(ctx, project.id, metric.name, range, { key: `mly_${'x'.repeat(32)}` }),
          401,
          'API_KEY_INVALID',
        );
        expectProblem(
          await download(ctx, project.id, 'nope', range, asOwner()),
          404,
          'METRIC_NOT_FOUND',
        );
      });
    });

    describe('parameters', () => {
      it('400 QUERY_INVALID for an unknown, repeated or malformed parameter', async () => {
        const cases = [
          `${range}&limit=10`,
          `${range}&format=xml`,
          `${range}&format=CSV`,
          `${range}&from=${T0}`,
          `${range}&filter[plan]=pro&filter[plan]=free`,
        ];
        for (const query of cases) {
          const response = await download(ctx, project.id, metric.name, query, asOwner());
          expectProblem(response, 400, 'QUERY_INVALID');
        }
      });

      it('400 FILTERS_INVALID or FILTERS_LIMIT for filters no event could carry, as the query API', async () => {
        const invalid = [
          `${range}&filter[plan]=pro&filter[PLAN]=free`,
          `${range}&filter[]=pro`,
          `${range}&filter[${encodeURIComponent('Ünï')}]=x`,
          `${range}&filter[${encodeURIComponent('a"b')}]=x`,
          `${range}&filter[${'k'.repeat(33)}]=x`,
          `${range}&filter[plan]=%20`,
          `${range}&filter[plan]=${encodeURIComponent('a"b')}`,
        ];
        for (const query of invalid) {
          const response = await download(ctx, project.id, metric.name, query, asOwner());
          expectProblem(response, 400, 'FILTERS_INVALID');
        }
        const tooMany = `${range}&${Array.from({ length: 11 }, (_, i) => `filter[k${i}]=v`).join('&')}`;
        expectProblem(
          await download(ctx, project.id, metric.name, tooMany, asOwner()),
          400,
          'FILTERS_LIMIT',
        );
      });

      it('400 RANGE_INVALID for a missing, unreadable or empty range', async () => {
        const cases = [
          '',
          `to=${T1}`,
          `from=yesterday&to=${T1}`,
          `range=someday`,
          `range=today&from=${T0}`,
          `from=${T0}&to=2026-13-02`,
          `from=${T0}&to=2026-11-02 00:00:00`,
          `from=2026-02-30T00:00:00Z&to=${T1}`,
          `from=${T0}&to=1.5`,
          `from=${T0}&to=99999999999999999`,
          `from=${T1}&to=${T0}`,
          `from=${T0}&to=${T0}`,
        ];
        for (const query of cases) {
          const response = await download(ctx, project.id, metric.name, query, asOwner());
          expectProblem(response, 400, 'RANGE_INVALID');
        }
      });
    });
  });
}

describe('openBodyStream', () => {
  async function* pieces(log: string[], count: number): AsyncGenerator<string, void> {
    try {
      for (let i = 0; i < count; i++) {
        log.push(`read ${i}`);
        yield `${'x'.repeat(40_000)}\n`;
      }
    } finally {
      log.push('released');
    }
  }

  it('releases the source when the stream is destroyed midway', async () => {
    const log: string[] = [];
    const stream = await openBodyStream(pieces(log, 1_000), 60_000);
    for await (const _ of stream) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.at(-1)).toBe('released');
    expect(log.length).toBeLessThan(10);
  });

  it('lets go of a reader that stops taking anything', async () => {
    const log: string[] = [];
    const stream = await openBodyStream(pieces(log, 1_000), 50);
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
    const closed = new Promise((resolve) => stream.on('close', resolve));
    stream.once('data', () => stream.pause());
    expect((await failed).message).toBe('The client read nothing for 50 ms');
    await closed;
    expect(log.at(-1)).toBe('released');
    expect(log.length).toBeLessThan(10);
  });

  it('surfaces a failure to start before any byte', async () => {
    async function* failing(): AsyncGenerator<string, void> {
      yield* [];
      throw new Error('no database');
    }
    await expect(openBodyStream(failing(), 1_000)).rejects.toThrow('no database');
  });
});
