import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import {
  call,
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { decodeBlock } from './event-block.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const IDEMPOTENCY_TTL = 24 * 3_600_000;
const WELL_FORMED_UNKNOWN_KEY = `mly_${'A1b2C3d4'.repeat(4)}`;
/** Events of 0.01 for the exact-sum test (about 15 s on SQLite, 35 s on PostgreSQL). */
const SUM_EVENTS = 1_000_000;

type MetricType = 'basic' | 'dual' | 'average';

interface MetricView {
  id: string;
  name: string;
  total: number;
  totalExact: string;
  positive: number | null;
  negative: number | null;
  average: number | null;
  eventCount: number;
  lastEventAt: string | null;
}

interface Fixture {
  readonly project: TestProject;
  readonly metric: { id: string; name: string; type: string };
}

interface PostOptions {
  /** The Bearer secret; no Authorization header when absent. */
  readonly key?: string;
  readonly body?: unknown;
  /** The body as sent, instead of JSON.stringify(body). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

function post(
  ctx: TestContext,
  url: string,
  options: PostOptions,
): Promise<LightMyRequestResponse> {
  return ctx.app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...options.headers,
    },
    payload: options.raw ?? JSON.stringify(options.body),
  });
}

/** `POST /event/v1/{metric}` with the key as Bearer token. */
function send(
  ctx: TestContext,
  key: string,
  metric: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return post(ctx, `/event/v1/${encodeURIComponent(metric)}`, { key, body, headers });
}

function sendBatch(
  ctx: TestContext,
  key: string,
  events: readonly unknown[],
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return post(ctx, '/event/v1/batch', { key, body: { events }, headers });
}

function expectOk(response: LightMyRequestResponse): void {
  expect(response.statusCode, response.body).toBe(200);
}

async function metricView(
  ctx: TestContext,
  session: Session,
  projectId: string,
  metricId: string,
): Promise<MetricView> {
  const response = await call(ctx.app, 'GET', `/api/projects/${projectId}/metrics/${metricId}`, {
    session,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().metric;
}

async function usageOf(
  ctx: TestContext,
  session: Session,
  projectId: string,
): Promise<{ month: string; events: number; quota: number | null }> {
  const response = await call(ctx.app, 'GET', `/api/projects/${projectId}`, { session });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().project.usage;
}

function uniqueName(label = 'metric'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

async function fixture(
  ctx: TestContext,
  session: Session,
  type: MetricType = 'basic',
): Promise<Fixture> {
  const project = await createProject(ctx.app, session, uniqueName('project'));
  const metric = await createMetric(ctx.app, session, project.id, { name: uniqueName(), type });
  return { project, metric };
}

function next(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * Holds the database so that an event commit cannot finish until released (well within SQLite's
 * 5 s busy timeout): an open transaction takes the write lock of the idempotency table (on SQLite,
 * of the whole file, and the app's own connection with it).
 */
async function holdCommits(ctx: TestContext): Promise<() => Promise<void>> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let acquired: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    acquired = resolve;
  });
  const done = ctx.storage.db.transaction().execute(async (trx) => {
    if (ctx.storage.dialect === 'postgres') {
      await sql`lock table idempotency_keys in exclusive mode`.execute(trx);
    } else {
      await sql`delete from idempotency_keys where 0 = 1`.execute(trx);
    }
    acquired();
    await released;
  });
  await Promise.race([ready, done]);
  return async () => {
    release();
    await done;
  };
}

function rateHeaders(response: LightMyRequestResponse): { r: number; t: number; q: number } {
  const policy = /^"per-key";q=(\d+);w=1$/.exec(String(response.headers['ratelimit-policy']));
  const state = /^"per-key";r=(\d+);t=(\d+)$/.exec(String(response.headers.ratelimit));
  expect(policy, `RateLimit-Policy on ${response.statusCode} ${response.body}`).not.toBeNull();
  expect(state, `RateLimit on ${response.statusCode} ${response.body}`).not.toBeNull();
  return { q: Number(policy?.[1]), r: Number(state?.[1]), t: Number(state?.[2]) };
}

for (const dialect of DIALECTS) {
  describe(`ingest [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_RATE_LIMIT: '100000000' } });
      owner = await signUp(ctx.app);
    });
    afterAll(() => ctx.close());

    const view = (f: Fixture) => metricView(ctx, owner, f.project.id, f.metric.id);
    /** Sends one accepted event so that "unchanged" below means something. */
    async function seed(f: Fixture, value = 1): Promise<MetricView> {
      expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value }));
      return view(f);
    }

    it.runIf(dialect === 'sqlite')(
      'defers the disk wait for event commits only: the handle stays at synchronous=FULL',
      async () => {
        const f = await fixture(ctx, owner);
        const { sqlite } = ctx.storage;
        expect(sqlite?.pragma('synchronous', { simple: true })).toBe(2);
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
        // Every other write on the handle (management API, migrations) keeps synchronous=FULL.
        expect(sqlite?.pragma('synchronous', { simple: true })).toBe(2);
        expect(await view(f)).toMatchObject({ totalExact: '1', eventCount: 1 });
      },
    );

    describe('status codes', () => {
      it('stores an event sent by metric id or name on /event/v1 and /v1, answering 200 {ok, metricId}', async () => {
        const f = await fixture(ctx, owner);
        for (const url of [
          `/event/v1/${f.metric.id}`,
          `/event/v1/${f.metric.name}`,
          `/event/v1/${f.metric.name.toUpperCase()}`,
          `/event/v1/${f.metric.id.toUpperCase()}`,
          `/v1/${f.metric.id}`,
          `/v1/${f.metric.name}`,
        ]) {
          const response = await post(ctx, url, { key: f.project.apiKey, body: { value: 2 } });
          expectOk(response);
          expect(response.headers['content-type']).toContain('application/json');
          expect(response.json()).toEqual({ ok: true, metricId: f.metric.id });
        }
        expect(await view(f)).toMatchObject({ totalExact: '12', total: 12, eventCount: 6 });
      });

      it('400 VALUE_INVALID for a missing, non-number or non-finite value; nothing stored', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const cases: Array<{ body?: unknown; raw?: string }> = [
          { body: {} },
          { body: { filters: { a: 'b' } } },
          { body: { value: '5' } },
          { body: { value: null } },
          { body: { value: true } },
          { body: { value: [1] } },
          { body: { value: { amount: 1 } } },
          // JSON has no NaN; 1e400 parses to Infinity.
          { raw: '{"value": 1e400}' },
          { raw: '{"value": -1e400}' },
        ];
        for (const c of cases) {
          const response = await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            ...c,
          });
          expectProblem(response, 400, 'VALUE_INVALID');
        }
        expect(await view(f)).toEqual(before);
      });

      it('400 VALUE_NOT_POSITIVE for zero or less on a basic metric; nothing stored', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        for (const raw of ['{"value":0}', '{"value":-0}', '{"value":-1}', '{"value":-0.000001}']) {
          const response = await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            raw,
          });
          expectProblem(response, 400, 'VALUE_NOT_POSITIVE');
        }
        expect(await view(f)).toEqual(before);
      });

      it('400 VALUE_ZERO for zero on a dual metric; nothing stored', async () => {
        const f = await fixture(ctx, owner, 'dual');
        const before = await seed(f, -3);
        for (const raw of ['{"value":0}', '{"value":-0}', '{"value":0.0}']) {
          const response = await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            raw,
          });
          expectProblem(response, 400, 'VALUE_ZERO');
        }
        expect(await view(f)).toEqual(before);
      });

      it('400 VALUE_TOO_PRECISE beyond 6 decimals or 15 significant digits, never rounded', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        for (const raw of [
          '{"value":0.0000001}',
          '{"value":1.1234567}',
          '{"value":0.30000000000000004}',
          '{"value":12345678901.23456}',
        ]) {
          const response = await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            raw,
          });
          expectProblem(response, 400, 'VALUE_TOO_PRECISE');
        }
        expect(await view(f)).toEqual(before);
        // The limits themselves are accepted, exactly.
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 0.000001 }));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 123456789012.345 }));
        expect((await view(f)).totalExact).toBe('123456789013.345001');
      });

      it('400 VALUE_OUT_OF_RANGE from |value| = 10^12; nothing stored', async () => {
        const f = await fixture(ctx, owner, 'dual');
        const before = await seed(f);
        for (const value of [1e12, -1e12, 1e15, 1e308]) {
          const response = await send(ctx, f.project.apiKey, f.metric.id, { value });
          expectProblem(response, 400, 'VALUE_OUT_OF_RANGE');
        }
        expect(await view(f)).toEqual(before);
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 999999999999.99 }));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: -999999999999.99 }));
        expect(await view(f)).toMatchObject({ totalExact: '1', eventCount: 3 });
      });

      it('400 VALIDATION_FAILED for an unknown field or a body that is not an object', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const cases: Array<{ body?: unknown; raw?: string }> = [
          { body: { value: 1, metric: f.metric.id } },
          { body: { value: 1, Value: 1 } },
          { body: { value: 1, filter: { a: 'b' } } },
          { body: [{ value: 1 }] },
          { raw: 'null' },
          { raw: '5' },
          { raw: '"value"' },
          { raw: '' },
        ];
        for (const c of cases) {
          const response = await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            ...c,
          });
          expectProblem(response, 400, 'VALIDATION_FAILED');
        }
        expect(await view(f)).toEqual(before);
      });

      it('400 INVALID_JSON for a body that is not JSON, as application/json or text/plain', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        for (const contentType of ['application/json', 'text/plain;charset=UTF-8']) {
          for (const raw of ['{"value": 1', '{value: 1}', "{'value': 1}", 'value=1']) {
            const response = await post(ctx, `/event/v1/${f.metric.id}`, {
              key: f.project.apiKey,
              raw,
              headers: { 'content-type': contentType },
            });
            expectProblem(response, 400, 'INVALID_JSON');
          }
        }
        expect(await view(f)).toEqual(before);
      });

      it('400 BAD_REQUEST for a body that is neither JSON nor text/plain', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        for (const contentType of [
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
        ]) {
          const response = await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            raw: 'value=1',
            headers: { 'content-type': contentType },
          });
          expectProblem(response, 400, 'BAD_REQUEST');
        }
        expect(await view(f)).toEqual(before);
      });

      it('413 PAYLOAD_TOO_LARGE for a body over the limit, single or batch', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const padding = 'x'.repeat(ctx.config.bodyLimitBytes);
        const single = await post(ctx, `/event/v1/${f.metric.id}`, {
          key: f.project.apiKey,
          raw: JSON.stringify({ value: 1, filters: { pad: padding } }),
        });
        expectProblem(single, 413, 'PAYLOAD_TOO_LARGE');
        const events = Array.from({ length: 1000 }, () => ({
          metric: f.metric.id,
          value: 1,
          filters: { pad: 'y'.repeat(1100) },
        }));
        const batch = await sendBatch(ctx, f.project.apiKey, events);
        expectProblem(batch, 413, 'PAYLOAD_TOO_LARGE');
        expect(await view(f)).toEqual(before);
      });

      it('401 API_KEY_INVALID without a valid Bearer ingest key', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const authorizations: Array<string | undefined> = [
          undefined,
          '',
          'Basic x',
          `Basic ${Buffer.from(`user:${f.project.apiKey}`).toString('base64')}`,
          `Token ${f.project.apiKey}`,
          f.project.apiKey,
          'Bearer',
          'Bearer ',
          'Bearer mly_short',
          `Bearer ${f.project.apiKey}x`,
          `Bearer ${f.project.apiKey.slice(0, -1)}`,
          `Bearer ${f.project.apiKey} extra`,
          `Bearer ${WELL_FORMED_UNKNOWN_KEY}`,
        ];
        for (const authorization of authorizations) {
          for (const url of [`/event/v1/${f.metric.id}`, '/event/v1/batch']) {
            const response = await post(ctx, url, {
              body: url.endsWith('batch')
                ? { events: [{ metric: f.metric.id, value: 1 }] }
                : { value: 1 },
              headers: authorization === undefined ? {} : { authorization },
            });
            expectProblem(response, 401, 'API_KEY_INVALID');
          }
        }
        expect(await view(f)).toEqual(before);
      });

      it('401 API_KEY_INVALID for revoked and rotated-away keys; a lower-case "bearer" is fine', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const spare = await createKey(ctx.app, owner, f.project.id, 'ingest');
        const revoked = await call(
          ctx.app,
          'DELETE',
          `/api/projects/${f.project.id}/keys/${spare.id}`,
          { session: owner },
        );
        expect(revoked.statusCode).toBe(200);
        const rotated = await call(
          ctx.app,
          'POST',
          `/api/projects/${f.project.id}/keys/${f.project.apiKeyId}/rotate`,
          { session: owner },
        );
        expect(rotated.statusCode).toBe(200);
        for (const secret of [spare.secret, f.project.apiKey]) {
          expectProblem(await send(ctx, secret, f.metric.id, { value: 1 }), 401, 'API_KEY_INVALID');
        }
        expect(await view(f)).toEqual(before);
        const response = await post(ctx, `/event/v1/${f.metric.id}`, {
          body: { value: 1 },
          headers: { authorization: `bearer ${rotated.json().key.secret}` },
        });
        expectOk(response);
      });

      it('401 METRIC_UNKNOWN for a metric that is not in the key’s project, by id or name', async () => {
        const f = await fixture(ctx, owner);
        const other = await fixture(ctx, owner);
        const before = await seed(f);
        const otherBefore = await seed(other);
        for (const ref of [
          'no-such-metric',
          randomUUID(),
          other.metric.id,
          other.metric.name,
          'x'.repeat(100),
          'batch2',
        ]) {
          expectProblem(
            await send(ctx, f.project.apiKey, ref, { value: 1 }),
            401,
            'METRIC_UNKNOWN',
          );
        }
        expect(await view(f)).toEqual(before);
        expect(await view(other)).toEqual(otherBefore);
      });

      it('403 KEY_SCOPE_FORBIDDEN for a read key, single and batch', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const read = await createKey(ctx.app, owner, f.project.id, 'read');
        expectProblem(
          await send(ctx, read.secret, f.metric.id, { value: 1 }),
          403,
          'KEY_SCOPE_FORBIDDEN',
        );
        expectProblem(
          await sendBatch(ctx, read.secret, [{ metric: f.metric.id, value: 1 }]),
          403,
          'KEY_SCOPE_FORBIDDEN',
        );
        expect(await view(f)).toEqual(before);
      });

      it('answers every error as a problem document with the request id', async () => {
        const f = await fixture(ctx, owner);
        const response = await send(ctx, f.project.apiKey, f.metric.id, { value: 'x' });
        expectProblem(response, 400, 'VALUE_INVALID');
        const problem = response.json();
        expect(problem).toMatchObject({
          type: 'urn:measurely:error:value-invalid',
          title: expect.any(String),
          detail: expect.any(String),
          requestId: response.headers['x-request-id'],
        });
      });
    });

    describe('metric types', () => {
      it('basic: values above zero add up', async () => {
        const f = await fixture(ctx, owner);
        for (const value of [1, 2.5, 0.000001]) {
          expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value }));
        }
        expect(await view(f)).toMatchObject({
          total: 3.500001,
          totalExact: '3.500001',
          positive: null,
          negative: null,
          average: null,
          eventCount: 3,
        });
      });

      it('dual: positive and negative sides, the net total, and no zero', async () => {
        const f = await fixture(ctx, owner, 'dual');
        for (const value of [10, -3.25, 5, -0.75]) {
          expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value }));
        }
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 0 }),
          400,
          'VALUE_ZERO',
        );
        expect(await view(f)).toMatchObject({
          positive: 15,
          negative: 4,
          total: 11,
          totalExact: '11',
          average: null,
          eventCount: 4,
        });
        // Net negative.
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: -20.5 }));
        expect(await view(f)).toMatchObject({
          positive: 15,
          negative: 24.5,
          total: -9.5,
          totalExact: '-9.5',
          eventCount: 5,
        });
      });

      it('average: any finite value, zero and negatives included; average = total / count', async () => {
        const f = await fixture(ctx, owner, 'average');
        const before = await view(f);
        expect(before).toMatchObject({ average: null, eventCount: 0, totalExact: '0' });
        for (const value of [0, -4, 10, 0.5]) {
          expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value }));
        }
        expect(await view(f)).toMatchObject({
          total: 6.5,
          totalExact: '6.5',
          average: 6.5 / 4,
          eventCount: 4,
        });
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: -100 }));
        expect(await view(f)).toMatchObject({ totalExact: '-93.5', average: -93.5 / 5 });
      });
    });

    describe('exact sums', () => {
      it('keeps 0.53 as "0.53" and makes 0.1 + 0.2 exactly "0.3"', async () => {
        const f = await fixture(ctx, owner);
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 0.53 }));
        expect(await view(f)).toMatchObject({ total: 0.53, totalExact: '0.53' });

        const g = await fixture(ctx, owner);
        expectOk(await send(ctx, g.project.apiKey, g.metric.id, { value: 0.1 }));
        expectOk(await send(ctx, g.project.apiKey, g.metric.id, { value: 0.2 }));
        expect(await view(g)).toMatchObject({ total: 0.3, totalExact: '0.3', eventCount: 2 });
      });

      const count = SUM_EVENTS;
      it(`sums ${count.toLocaleString('en')} events of 0.01 to exactly ${count / 100} (batches of 1,000)`, {
        timeout: 120_000,
      }, async () => {
        const f = await fixture(ctx, owner);
        const payload = JSON.stringify({
          events: Array.from({ length: 1000 }, () => ({ metric: f.metric.name, value: 0.01 })),
        });
        let sent = 0;
        const failures: string[] = [];
        const worker = async (): Promise<void> => {
          while (sent < count / 1000) {
            sent += 1;
            const response = await post(ctx, '/event/v1/batch', {
              key: f.project.apiKey,
              raw: payload,
            });
            if (response.statusCode !== 200 || response.json().accepted !== 1000) {
              failures.push(response.body.slice(0, 200));
            }
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        expect(failures).toEqual([]);
        expect(await view(f)).toMatchObject({
          totalExact: String(count / 100),
          total: count / 100,
          eventCount: count,
        });
      });

      it('keeps totals beyond 2^31 and 2^53 micro-units exact, up to 9,223,372,036,854.775807', async () => {
        const f = await fixture(ctx, owner);
        const batch = Array.from({ length: 9 }, () => ({
          metric: f.metric.id,
          value: 999999999999.99,
        }));
        const response = await sendBatch(ctx, f.project.apiKey, batch);
        expectOk(response);
        expect(response.json().accepted).toBe(9);
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 0.000001 }));
        let metric = await view(f);
        // 19 significant digits: beyond any double, exact in totalExact.
        expect(metric.totalExact).toBe('8999999999999.910001');
        expect(metric.total).toBeCloseTo(8999999999999.91, 1);
        // Up to the largest storable total, exactly.
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 223372036854.8 }));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 0.065806 }));
        metric = await view(f);
        expect(metric.totalExact).toBe('9223372036854.775807');
        expect(metric.eventCount).toBe(12);

        // One micro-unit more would not fit: refused, the total unchanged.
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 0.000001 }),
          400,
          'VALUE_OUT_OF_RANGE',
        );
        const refused = await sendBatch(ctx, f.project.apiKey, [
          { metric: f.metric.id, value: 5 },
          { metric: f.metric.id, value: 999999999999.99 },
        ]);
        expectOk(refused);
        expect(refused.json()).toMatchObject({ accepted: 0, rejected: 2 });
        expect(refused.json().results.map((r: { code: string }) => r.code)).toEqual([
          'VALUE_OUT_OF_RANGE',
          'VALUE_OUT_OF_RANGE',
        ]);
        expect(await view(f)).toEqual(metric);
      });

      it('refuses only the events that would not fit, in order, when a commit nears the largest total', async () => {
        const f = await fixture(ctx, owner);
        const nine = Array.from({ length: 9 }, () => ({
          metric: f.metric.id,
          value: 999999999999.99,
        }));
        expect((await sendBatch(ctx, f.project.apiKey, nine)).json().accepted).toBe(9);
        // 223,372,036,854.865807 left: a big event does not fit, a small one after it does, and
        // the rest of the room is taken exactly.
        const response = await sendBatch(ctx, f.project.apiKey, [
          { metric: f.metric.id, value: 999999999999.99 },
          { metric: f.metric.id, value: 0.865807 },
          { metric: f.metric.id, value: 223372036854 },
          { metric: f.metric.id, value: 0.000001 },
        ]);
        expect(response.json()).toMatchObject({ accepted: 2, rejected: 2 });
        expect(
          response.json().results.map((r: { ok: boolean; code?: string }) => r.code ?? 'ok'),
        ).toEqual(['VALUE_OUT_OF_RANGE', 'ok', 'ok', 'VALUE_OUT_OF_RANGE']);
        expect(await view(f)).toMatchObject({
          totalExact: '9223372036854.775807',
          eventCount: 11,
        });
      });

      it('keeps each side of a dual metric within range separately', async () => {
        const f = await fixture(ctx, owner, 'dual');
        const batch = Array.from({ length: 9 }, () => ({
          metric: f.metric.id,
          value: -999999999999.99,
        }));
        expect((await sendBatch(ctx, f.project.apiKey, batch)).json().accepted).toBe(9);
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: -223372036854.8 }));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: -0.065807 }));
        const full = await view(f);
        expect(full.totalExact).toBe('-9223372036854.775807');
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: -0.000001 }),
          400,
          'VALUE_OUT_OF_RANGE',
        );
        expect(await view(f)).toEqual(full);
        // The positive side still has room.
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
        expect((await view(f)).totalExact).toBe('-9223372036853.775807');
      });
    });

    describe('filters', () => {
      const storedFilters = async (metricId: string): Promise<string[]> =>
        (
          await ctx.storage.db
            .selectFrom('eventBlocks')
            .select(['firstTs', 'events'])
            .where('metricId', '=', metricId)
            .orderBy('id')
            .execute()
        ).flatMap((block) => decodeBlock(block.firstTs, block.events).map((e) => e.filters));

      it('trims and lower-cases keys and values: {" Country ": " US "} counts as {country: "us"}', async () => {
        const f = await fixture(ctx, owner);
        for (const filters of [{ ' Country ': ' US ' }, { country: 'us' }, { COUNTRY: 'Us' }]) {
          expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters }));
        }
        expect(await storedFilters(f.metric.id)).toEqual([
          '{"country":"us"}',
          '{"country":"us"}',
          '{"country":"us"}',
        ]);
        const values = await ctx.storage.db
          .selectFrom('metricFilterValues')
          .select(['key', 'value'])
          .where('metricId', '=', f.metric.id)
          .execute();
        expect(values).toEqual([{ key: 'country', value: 'us' }]);
      });

      it('400 for a key given twice after normalisation, and every malformed filter', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const cases: Array<[unknown, string]> = [
          [{ country: 'us', ' COUNTRY ': 'fr' }, 'FILTERS_INVALID'],
          [
            Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
            'FILTERS_LIMIT',
          ],
          [{ ['k'.repeat(33)]: 'v' }, 'FILTERS_INVALID'],
          [{ k: 'v'.repeat(101) }, 'FILTERS_INVALID'],
          [{ k: 'say "hi"' }, 'FILTERS_INVALID'],
          [{ k: 'back\\slash' }, 'FILTERS_INVALID'],
          [{ k: 'line\nbreak' }, 'FILTERS_INVALID'],
          [{ k: 'bell\u0007' }, 'FILTERS_INVALID'],
          [{ k: 5 }, 'FILTERS_INVALID'],
          [{ k: true }, 'FILTERS_INVALID'],
          [{ k: null }, 'FILTERS_INVALID'],
          [{ k: { nested: 'x' } }, 'FILTERS_INVALID'],
          [{ k: '' }, 'FILTERS_INVALID'],
          [{ '': 'v' }, 'FILTERS_INVALID'],
          [{ 'a=b': 'v' }, 'FILTERS_INVALID'],
          [['country', 'us'], 'FILTERS_INVALID'],
          ['country=us', 'FILTERS_INVALID'],
        ];
        for (const [filters, code] of cases) {
          const response = await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters });
          expectProblem(response, 400, code);
        }
        expect(await view(f)).toEqual(before);
        // The limits themselves pass.
        const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
        for (const filters of [ten, { ['k'.repeat(32)]: 'v'.repeat(100) }]) {
          expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters }));
        }
      });

      it('400 FILTERS_LIMIT for a 21st distinct key on a metric', async () => {
        const f = await fixture(ctx, owner);
        const keys = (from: number) =>
          Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`key${from + i}`, 'v']));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters: keys(0) }));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters: keys(10) }));
        const before = await view(f);
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters: { key20: 'v' } }),
          400,
          'FILTERS_LIMIT',
        );
        // All-or-nothing: a known key beside the new one does not get through either.
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, {
            value: 1,
            filters: { key0: 'v', key21: 'v' },
          }),
          400,
          'FILTERS_LIMIT',
        );
        expect(await view(f)).toEqual(before);
        // Known keys, even spelled differently, and new values of them still pass.
        expectOk(
          await send(ctx, f.project.apiKey, f.metric.id, {
            value: 1,
            filters: { ' KEY0 ': 'other', key19: 'v' },
          }),
        );
        // The limit is per metric: another metric of the project takes its own 20.
        const second = await createMetric(ctx.app, owner, f.project.id, {
          name: uniqueName(),
          type: 'basic',
        });
        expectOk(
          await send(ctx, f.project.apiKey, second.id, { value: 1, filters: { key20: 'v' } }),
        );
      });

      it('400 FILTERS_LIMIT for the 1,001st distinct value of a key on a metric', async () => {
        const f = await fixture(ctx, owner);
        const events = Array.from({ length: 1000 }, (_, i) => ({
          metric: f.metric.id,
          value: 1,
          filters: { user: `u${i}` },
        }));
        const response = await sendBatch(ctx, f.project.apiKey, events);
        expectOk(response);
        expect(response.json()).toMatchObject({ accepted: 1000, rejected: 0 });
        const before = await view(f);
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters: { user: 'u1000' } }),
          400,
          'FILTERS_LIMIT',
        );
        expect(await view(f)).toEqual(before);
        expectOk(
          await send(ctx, f.project.apiKey, f.metric.id, {
            value: 1,
            filters: { user: ' U999 ', plan: 'pro' },
          }),
        );
        expect((await view(f)).eventCount).toBe(1001);
      });
    });

    describe('timestamps', () => {
      /** Sends one event with this timestamp to a fresh metric; returns the response and metric. */
      async function sendAt(timestamp: unknown): Promise<{
        response: LightMyRequestResponse;
        metric: MetricView;
      }> {
        const f = await fixture(ctx, owner);
        const response = await send(ctx, f.project.apiKey, f.metric.id, { value: 1, timestamp });
        return { response, metric: await view(f) };
      }

      it('takes the server time when absent', async () => {
        ctx.clock.advance(1234);
        const { response, metric } = await sendAt(undefined);
        expectOk(response);
        expect(metric.lastEventAt).toBe(new Date(ctx.clock.now()).toISOString());
      });

      it('reads ISO 8601 with Z or an offset, and epoch milliseconds', async () => {
        // Whole seconds, as the offset forms below carry no milliseconds.
        const hourAgo = Math.floor(ctx.clock.now() / 1000) * 1000 - 3_600_000;
        const iso = new Date(hourAgo).toISOString();
        const local = new Date(hourAgo + 2 * 3_600_000).toISOString().slice(0, 19);
        const negative = new Date(hourAgo - 5.5 * 3_600_000).toISOString().slice(0, 19);
        for (const timestamp of [
          iso,
          iso.replace('.000Z', 'Z'),
          `${local}+02:00`,
          `${negative}-05:30`,
          hourAgo,
        ]) {
          const { response, metric } = await sendAt(timestamp);
          expectOk(response);
          expect(metric.lastEventAt, String(timestamp)).toBe(iso);
        }
      });

      it('keeps the latest event time, not the last received', async () => {
        const f = await fixture(ctx, owner);
        const now = ctx.clock.now();
        expectOk(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1, timestamp: now - 1000 }),
        );
        expectOk(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1, timestamp: now - DAY }),
        );
        expect((await view(f)).lastEventAt).toBe(new Date(now - 1000).toISOString());
      });

      it('accepts up to the backfill window back and 5 minutes ahead', async () => {
        const now = ctx.clock.now();
        for (const timestamp of [
          now - 364 * DAY,
          now - ctx.config.ingest.backfillMs,
          now + 4 * MINUTE,
          now + 5 * MINUTE,
        ]) {
          const { response, metric } = await sendAt(timestamp);
          expectOk(response);
          expect(metric.lastEventAt).toBe(new Date(timestamp).toISOString());
        }
      });

      it('400 TIMESTAMP_OUT_OF_RANGE 366 days back or 6 minutes ahead', async () => {
        const now = ctx.clock.now();
        for (const timestamp of [
          now - 366 * DAY,
          now - ctx.config.ingest.backfillMs - 1,
          now + 6 * MINUTE,
          now + 5 * MINUTE + 1,
          new Date(now + 6 * MINUTE).toISOString(),
          '2000-01-01T00:00:00Z',
          0,
        ]) {
          const { response, metric } = await sendAt(timestamp);
          expectProblem(response, 400, 'TIMESTAMP_OUT_OF_RANGE');
          expect(metric).toMatchObject({ eventCount: 0, lastEventAt: null });
        }
      });

      it('400 TIMESTAMP_INVALID for impossible dates, no zone, or fractional epoch', async () => {
        const now = ctx.clock.now();
        const today = new Date(now).toISOString().slice(0, 10);
        for (const timestamp of [
          '2026-02-30T00:00:00Z',
          '2026-11-31T00:00:00Z',
          `${today}T10:00:00`,
          today,
          `${today} 10:00:00Z`,
          `${today}T10:00:00+0200`,
          new Date(now).toUTCString(),
          String(now),
          now + 0.5,
          true,
          { ms: now },
        ]) {
          const { response, metric } = await sendAt(timestamp);
          expectProblem(response, 400, 'TIMESTAMP_INVALID');
          expect(metric.eventCount).toBe(0);
        }
      });
    });

    describe('idempotency', () => {
      it('replays the first answer for the same key and body, counting the event once', async () => {
        const f = await fixture(ctx, owner);
        const headers = { 'idempotency-key': 'order-1001' };
        const first = await send(ctx, f.project.apiKey, f.metric.id, { value: 5 }, headers);
        expectOk(first);
        expect(first.headers['idempotent-replayed']).toBeUndefined();
        for (let i = 0; i < 2; i++) {
          const again = await send(ctx, f.project.apiKey, f.metric.id, { value: 5 }, headers);
          expectOk(again);
          expect(again.json()).toEqual(first.json());
          expect(again.headers['idempotent-replayed']).toBe('true');
        }
        expect(await view(f)).toMatchObject({ eventCount: 1, totalExact: '5' });
        // Without the key, the same body is a new event.
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 5 }));
        expect((await view(f)).eventCount).toBe(2);
      });

      it('422 IDEMPOTENCY_KEY_REUSED for the same key with another body or metric', async () => {
        const f = await fixture(ctx, owner);
        const second = await createMetric(ctx.app, owner, f.project.id, {
          name: uniqueName(),
          type: 'basic',
        });
        const headers = { 'idempotency-key': 'order-1002' };
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 5 }, headers));
        for (const [metric, body] of [
          [f.metric.id, { value: 6 }],
          [f.metric.id, { value: 5, filters: { a: 'b' } }],
          [second.id, { value: 5 }],
        ] as const) {
          expectProblem(
            await send(ctx, f.project.apiKey, metric, body, headers),
            422,
            'IDEMPOTENCY_KEY_REUSED',
          );
        }
        expectProblem(
          await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.id, value: 5 }], headers),
          422,
          'IDEMPOTENCY_KEY_REUSED',
        );
        expect(await view(f)).toMatchObject({ eventCount: 1, totalExact: '5' });
        expect((await metricView(ctx, owner, f.project.id, second.id)).eventCount).toBe(0);
      });

      it('409 IDEMPOTENCY_KEY_IN_USE for a second request while the first is in flight', async () => {
        const f = await fixture(ctx, owner);
        // Warm the key and project caches: the second request then never needs the database.
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
        const headers = { 'idempotency-key': 'order-1003' };
        const release = await holdCommits(ctx);
        let both: Promise<LightMyRequestResponse[]>;
        try {
          const requests = [
            send(ctx, f.project.apiKey, f.metric.id, { value: 2 }, headers),
            send(ctx, f.project.apiKey, f.metric.id, { value: 2 }, headers),
          ];
          both = Promise.all(requests);
          const first = await Promise.race([
            ...requests,
            new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 5000)),
          ]);
          expect(first).not.toBe('stuck');
          if (first !== 'stuck') expectProblem(first, 409, 'IDEMPOTENCY_KEY_IN_USE');
        } finally {
          await release();
        }
        const statuses = (await both).map((r) => r.statusCode).sort();
        expect(statuses).toEqual([200, 409]);
        const replay = await send(ctx, f.project.apiKey, f.metric.id, { value: 2 }, headers);
        expectOk(replay);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(await view(f)).toMatchObject({ eventCount: 2, totalExact: '3' });
      });

      it('lets a key be reused after 24 hours, not before', async () => {
        const f = await fixture(ctx, owner);
        const headers = { 'idempotency-key': 'order-1004' };
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }, headers));
        ctx.clock.advance(IDEMPOTENCY_TTL - 1000);
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 2 }, headers),
          422,
          'IDEMPOTENCY_KEY_REUSED',
        );
        const replay = await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }, headers);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        ctx.clock.advance(2000);
        const reused = await send(ctx, f.project.apiKey, f.metric.id, { value: 2 }, headers);
        expectOk(reused);
        expect(reused.headers['idempotent-replayed']).toBeUndefined();
        expect(await view(f)).toMatchObject({ eventCount: 2, totalExact: '3' });
        // The new use starts a new 24 hours.
        const again = await send(ctx, f.project.apiKey, f.metric.id, { value: 2 }, headers);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect((await view(f)).eventCount).toBe(2);
      });

      it('does not consume the key when the request is refused', async () => {
        const f = await fixture(ctx, owner);
        const headers = { 'idempotency-key': 'order-1005' };
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: '5' }, headers),
          400,
          'VALUE_INVALID',
        );
        expectProblem(
          await send(ctx, f.project.apiKey, 'not-yet-created', { value: 5 }, headers),
          401,
          'METRIC_UNKNOWN',
        );
        const fixed = await send(ctx, f.project.apiKey, f.metric.id, { value: 5 }, headers);
        expectOk(fixed);
        expect(fixed.headers['idempotent-replayed']).toBeUndefined();
        expect((await view(f)).eventCount).toBe(1);
      });

      it('keeps the same key independent between projects', async () => {
        const a = await fixture(ctx, owner);
        const b = await fixture(ctx, owner);
        const headers = { 'idempotency-key': 'shared-key' };
        expectOk(await send(ctx, a.project.apiKey, a.metric.id, { value: 1 }, headers));
        const other = await send(ctx, b.project.apiKey, b.metric.id, { value: 2 }, headers);
        expectOk(other);
        expect(other.headers['idempotent-replayed']).toBeUndefined();
        expect((await view(a)).totalExact).toBe('1');
        expect((await view(b)).totalExact).toBe('2');
      });

      it('makes batches idempotent too, replaying their per-event results', async () => {
        const f = await fixture(ctx, owner);
        const headers = { 'idempotency-key': 'batch-7' };
        const events = [
          { metric: f.metric.id, value: 1 },
          { metric: f.metric.id, value: -1 },
          { metric: f.metric.name, value: 2 },
        ];
        const first = await sendBatch(ctx, f.project.apiKey, events, headers);
        expectOk(first);
        expect(first.json()).toMatchObject({ accepted: 2, rejected: 1 });
        const again = await sendBatch(ctx, f.project.apiKey, events, headers);
        expectOk(again);
        expect(again.json()).toEqual(first.json());
        expect(again.headers['idempotent-replayed']).toBe('true');
        expectProblem(
          await sendBatch(ctx, f.project.apiKey, events.slice(0, 2), headers),
          422,
          'IDEMPOTENCY_KEY_REUSED',
        );
        expect(await view(f)).toMatchObject({ eventCount: 2, totalExact: '3' });
      });

      it('400 IDEMPOTENCY_KEY_INVALID for a key that is too long or not visible ASCII', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        for (const key of ['k'.repeat(256), 'k'.repeat(300), 'two words', 'tab\there']) {
          const headers = { 'idempotency-key': key };
          expectProblem(
            await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }, headers),
            400,
            'IDEMPOTENCY_KEY_INVALID',
          );
          expectProblem(
            await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.id, value: 1 }], headers),
            400,
            'IDEMPOTENCY_KEY_INVALID',
          );
        }
        expect(await view(f)).toEqual(before);
        const longest = { 'idempotency-key': '~'.repeat(255) };
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }, longest));
      });
    });

    describe('batch', () => {
      it('reports a result per event and stores the accepted ones', async () => {
        const f = await fixture(ctx, owner);
        const dual = await createMetric(ctx.app, owner, f.project.id, {
          name: uniqueName(),
          type: 'dual',
        });
        const other = await fixture(ctx, owner);
        const now = ctx.clock.now();
        const response = await sendBatch(ctx, f.project.apiKey, [
          { metric: f.metric.id, value: 1 },
          { metric: f.metric.id, value: '2' },
          { metric: 'no-such-metric', value: 1 },
          { metric: dual.name, value: -4, filters: { Side: 'Out' } },
          { metric: f.metric.id, value: 1, filters: { k: 'a"b' } },
          { metric: f.metric.id, value: 1, timestamp: now - 400 * DAY },
          { metric: f.metric.id, value: 1, color: 'red' },
          null,
          { value: 1 },
          { metric: other.metric.id, value: 1 },
          { metric: f.metric.name.toUpperCase(), value: 2.5, timestamp: now - 1000 },
          { metric: dual.id, value: 0 },
          { metric: f.metric.id, value: 0.0000001 },
          5,
          [{ metric: f.metric.id, value: 1 }],
        ]);
        expectOk(response);
        const body = response.json();
        expect(body).toMatchObject({ accepted: 3, rejected: 12 });
        expect(
          body.results.map((r: { index: number; ok: boolean; code?: string }) => [
            r.index,
            r.ok ? 'ok' : r.code,
          ]),
        ).toEqual([
          [0, 'ok'],
          [1, 'VALUE_INVALID'],
          [2, 'METRIC_UNKNOWN'],
          [3, 'ok'],
          [4, 'FILTERS_INVALID'],
          [5, 'TIMESTAMP_OUT_OF_RANGE'],
          [6, 'VALIDATION_FAILED'],
          [7, 'VALIDATION_FAILED'],
          [8, 'METRIC_UNKNOWN'],
          [9, 'METRIC_UNKNOWN'],
          [10, 'ok'],
          [11, 'VALUE_ZERO'],
          [12, 'VALUE_TOO_PRECISE'],
          [13, 'VALIDATION_FAILED'],
          [14, 'VALIDATION_FAILED'],
        ]);
        for (const result of body.results) {
          if (!result.ok) expect(result.detail).toEqual(expect.any(String));
        }
        expect(await view(f)).toMatchObject({ eventCount: 2, totalExact: '3.5' });
        expect(await metricView(ctx, owner, f.project.id, dual.id)).toMatchObject({
          eventCount: 1,
          totalExact: '-4',
          negative: 4,
        });
        expect((await view(other)).eventCount).toBe(0);
      });

      it('400 BATCH_INVALID for an empty or too long list, or a body not {events: [...]}', async () => {
        const f = await fixture(ctx, owner);
        const before = await seed(f);
        const max = ctx.config.ingest.maxBatchEvents;
        const event = { metric: f.metric.id, value: 1 };
        const bodies: Array<{ body?: unknown; raw?: string }> = [
          { body: { events: [] } },
          { body: { events: Array.from({ length: max + 1 }, () => event) } },
          { body: { events: event } },
          { body: { events: null } },
          { body: { event: [event] } },
          { body: { events: [event], extra: true } },
          { body: [event] },
          { body: {} },
          { raw: 'null' },
          { raw: '' },
        ];
        for (const b of bodies) {
          const response = await post(ctx, '/event/v1/batch', { key: f.project.apiKey, ...b });
          expectProblem(response, 400, 'BATCH_INVALID');
        }
        expect(await view(f)).toEqual(before);
        const full = await sendBatch(
          ctx,
          f.project.apiKey,
          Array.from({ length: max }, () => event),
        );
        expect(full.json().accepted).toBe(max);
      });
    });

    describe('keys and metrics changing under traffic', () => {
      it('refuses a rotated-away secret on the very next request, even just after using it', async () => {
        const f = await fixture(ctx, owner);
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
        expectOk(await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.id, value: 1 }]));
        const rotated = await call(
          ctx.app,
          'POST',
          `/api/projects/${f.project.id}/keys/${f.project.apiKeyId}/rotate`,
          { session: owner },
        );
        expect(rotated.statusCode).toBe(200);
        const secret: string = rotated.json().key.secret;
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }),
          401,
          'API_KEY_INVALID',
        );
        expectProblem(
          await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.id, value: 1 }]),
          401,
          'API_KEY_INVALID',
        );
        expectOk(await send(ctx, secret, f.metric.id, { value: 1 }));
        expectOk(await send(ctx, secret, f.metric.id, { value: 1 }));
        // Revoked just after use: refused at once.
        const revoked = await call(
          ctx.app,
          'DELETE',
          `/api/projects/${f.project.id}/keys/${f.project.apiKeyId}`,
          { session: owner },
        );
        expect(revoked.statusCode).toBe(200);
        expectProblem(await send(ctx, secret, f.metric.id, { value: 1 }), 401, 'API_KEY_INVALID');
        expect((await view(f)).eventCount).toBe(4);
      });

      it('refuses a metric’s old name at once after a rename, and a deleted metric', async () => {
        const f = await fixture(ctx, owner);
        expectOk(await send(ctx, f.project.apiKey, f.metric.name, { value: 1 }));
        const renamed = uniqueName('renamed');
        const patch = await call(
          ctx.app,
          'PATCH',
          `/api/projects/${f.project.id}/metrics/${f.metric.id}`,
          { session: owner, body: { name: renamed } },
        );
        expect(patch.statusCode, patch.body).toBe(200);
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.name, { value: 1 }),
          401,
          'METRIC_UNKNOWN',
        );
        const batch = await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.name, value: 1 }]);
        expect(batch.json().results[0].code).toBe('METRIC_UNKNOWN');
        expectOk(await send(ctx, f.project.apiKey, renamed, { value: 1 }));
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
        expect((await view(f)).eventCount).toBe(3);

        const deleted = await call(
          ctx.app,
          'DELETE',
          `/api/projects/${f.project.id}/metrics/${f.metric.id}`,
          { session: owner },
        );
        expect(deleted.statusCode).toBe(204);
        for (const ref of [renamed, f.metric.id]) {
          expectProblem(
            await send(ctx, f.project.apiKey, ref, { value: 1 }),
            401,
            'METRIC_UNKNOWN',
          );
        }
        // A new metric may take the freed name.
        const reborn = await createMetric(ctx.app, owner, f.project.id, {
          name: renamed,
          type: 'basic',
        });
        const response = await send(ctx, f.project.apiKey, renamed, { value: 1 });
        expectOk(response);
        expect(response.json().metricId).toBe(reborn.id);
      });
    });

    describe('clients', () => {
      it('answers the Measurely JS SDK’s request with 200 and a small JSON body', async () => {
        const f = await fixture(ctx, owner);
        for (const [url, value, filters] of [
          [`/event/v1/${f.metric.id}`, 1, undefined],
          [`/event/v1/${f.metric.name}`, 2, { plan: 'pro' }],
          [`/v1/${f.metric.id}`, 3, { plan: 'free', country: 'fr' }],
        ] as const) {
          const response = await ctx.app.inject({
            method: 'POST',
            url,
            headers: {
              'Content-Type': 'application/json',
              Authorization: `Bearer ${f.project.apiKey}`,
            },
            payload: JSON.stringify({ value, filters }),
          });
          expect(response.statusCode, response.body).toBe(200);
          expect(response.body.length).toBeLessThan(100);
          expect(JSON.parse(response.body)).toEqual({ ok: true, metricId: f.metric.id });
        }
        expect(await view(f)).toMatchObject({ eventCount: 3, totalExact: '6' });
      });

      it('takes text/plain bodies as JSON (navigator.sendBeacon), single and batch', async () => {
        const f = await fixture(ctx, owner);
        const headers = { 'content-type': 'text/plain;charset=UTF-8' };
        expectOk(
          await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            body: { value: 4 },
            headers,
          }),
        );
        const batch = await post(ctx, '/event/v1/batch', {
          key: f.project.apiKey,
          body: { events: [{ metric: f.metric.id, value: 1 }] },
          headers,
        });
        expectOk(batch);
        expect(batch.json().accepted).toBe(1);
        expect(await view(f)).toMatchObject({ eventCount: 2, totalExact: '5' });
      });
    });

    describe('CORS', () => {
      it('answers preflights with 204 for any origin', async () => {
        const f = await fixture(ctx, owner);
        for (const url of [
          `/event/v1/${f.metric.id}`,
          `/event/v1/${f.metric.name}`,
          '/event/v1/batch',
          `/v1/${f.metric.id}`,
        ]) {
          const response = await ctx.app.inject({
            method: 'OPTIONS',
            url,
            headers: {
              origin: 'https://shop.example.com',
              'access-control-request-method': 'POST',
              'access-control-request-headers': 'authorization, content-type, idempotency-key',
            },
          });
          expect(response.statusCode).toBe(204);
          expect(response.headers['access-control-allow-origin']).toBe('*');
          const methods = String(response.headers['access-control-allow-methods']).toUpperCase();
          expect(methods.split(/,\s*/)).toContain('POST');
          const allowed = String(response.headers['access-control-allow-headers'])
            .toLowerCase()
            .split(/,\s*/);
          expect(allowed).toEqual(
            expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
          );
        }
      });

      it('lets any origin read ingest answers, successes and errors alike', async () => {
        const f = await fixture(ctx, owner);
        const origin = { origin: 'https://shop.example.com' };
        const responses = [
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }, origin),
          await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.id, value: 1 }], origin),
          await send(ctx, f.project.apiKey, f.metric.id, { value: 'x' }, origin),
          await send(ctx, WELL_FORMED_UNKNOWN_KEY, f.metric.id, { value: 1 }, origin),
          await send(ctx, f.project.apiKey, 'unknown', { value: 1 }, origin),
          await post(ctx, `/event/v1/${f.metric.id}`, {
            key: f.project.apiKey,
            raw: '{',
            headers: origin,
          }),
          await sendBatch(ctx, f.project.apiKey, [], origin),
        ];
        expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 400, 401, 401, 400, 400]);
        for (const response of responses) {
          expect(response.headers['access-control-allow-origin']).toBe('*');
          expect(response.headers['access-control-allow-credentials']).toBeUndefined();
          expect(String(response.headers['access-control-expose-headers'])).toMatch(/RateLimit/i);
        }
      });

      it('lets a browser read the router’s own answers under the ingestion routes', async () => {
        const origin = { origin: 'https://shop.example.com' };
        const responses = [
          await ctx.app.inject({ method: 'GET', url: '/event/v1/orders', headers: origin }),
          await ctx.app.inject({ method: 'DELETE', url: '/v1/orders', headers: origin }),
          await ctx.app.inject({ method: 'POST', url: '/event/v1/a/b', headers: origin }),
          await ctx.app.inject({ method: 'POST', url: '/event/v1/%ZZ', headers: origin }),
          await ctx.app.inject({
            method: 'POST',
            url: `/event/v1/${'m'.repeat(101)}`,
            headers: origin,
          }),
        ];
        expect(responses.map((r) => [r.statusCode, r.json().code])).toEqual([
          [405, 'METHOD_NOT_ALLOWED'],
          [405, 'METHOD_NOT_ALLOWED'],
          [404, 'ROUTE_NOT_FOUND'],
          [400, 'BAD_REQUEST'],
          [400, 'BAD_REQUEST'],
        ]);
        for (const response of responses) {
          expect(response.headers['access-control-allow-origin']).toBe('*');
          expect(String(response.headers['access-control-expose-headers'])).toMatch(/X-Request-Id/);
        }
        const elsewhere = await ctx.app.inject({
          method: 'GET',
          url: '/no/such/page/%ZZ',
          headers: origin,
        });
        expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
      });

      it('sends no CORS headers to a client that names no origin (not a browser)', async () => {
        const f = await fixture(ctx, owner);
        const responses = [
          await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }),
          await send(ctx, f.project.apiKey, f.metric.id, { value: 'x' }),
        ];
        expect(responses.map((r) => r.statusCode)).toEqual([200, 400]);
        for (const response of responses) {
          expect(response.headers['access-control-allow-origin']).toBeUndefined();
          expect(response.headers['access-control-expose-headers']).toBeUndefined();
          expect(response.headers.ratelimit).toBeDefined();
        }
      });

      it('keeps the management API same-origin', async () => {
        const f = await fixture(ctx, owner);
        const origin = { origin: 'https://evil.example.com' };
        const responses = [
          await call(ctx.app, 'GET', `/api/projects/${f.project.id}`, {
            session: owner,
            headers: origin,
          }),
          await call(ctx.app, 'GET', `/api/projects/${f.project.id}/metrics/${f.metric.id}`, {
            session: owner,
            headers: origin,
          }),
          await call(ctx.app, 'GET', '/api/projects', { headers: origin }),
          await ctx.app.inject({
            method: 'OPTIONS',
            url: `/api/projects/${f.project.id}`,
            headers: { ...origin, 'access-control-request-method': 'DELETE' },
          }),
        ];
        expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 401, 405]);
        for (const response of responses) {
          expect(response.headers['access-control-allow-origin']).toBeUndefined();
        }
      });
    });

    describe('rate-limit headers', () => {
      it('come with every ingest answer once the key is known', async () => {
        const f = await fixture(ctx, owner);
        const { apiKey } = f.project;
        const id = f.metric.id;
        const responses = [
          await send(ctx, apiKey, id, { value: 1 }),
          await send(ctx, apiKey, id, { value: 0 }),
          await send(ctx, apiKey, id, { value: 1, timestamp: 'yesterday' }),
          await send(ctx, apiKey, 'unknown', { value: 1 }),
          await send(ctx, apiKey, id, { value: 1 }, { 'idempotency-key': 'rl-1' }),
          await send(ctx, apiKey, id, { value: 1 }, { 'idempotency-key': 'rl-1' }),
          await send(ctx, apiKey, id, { value: 2 }, { 'idempotency-key': 'rl-1' }),
          await send(ctx, apiKey, id, { value: 1 }, { 'idempotency-key': 'bad key' }),
          await sendBatch(ctx, apiKey, [{ metric: id, value: 1 }]),
          await sendBatch(ctx, apiKey, [{ metric: id, value: 1 }], { 'idempotency-key': 'rl-2' }),
          await sendBatch(ctx, apiKey, [{ metric: id, value: 1 }], { 'idempotency-key': 'rl-2' }),
          await sendBatch(ctx, apiKey, [{ metric: id, value: 2 }], { 'idempotency-key': 'rl-2' }),
          await sendBatch(ctx, apiKey, [{ metric: id, value: 2 }], {
            'idempotency-key': 'bad key',
          }),
        ];
        expect(responses.map((r) => r.statusCode)).toEqual([
          200, 400, 400, 401, 200, 200, 422, 400, 200, 200, 200, 422, 400,
        ]);
        for (const response of responses) {
          expect(rateHeaders(response).q).toBe(ctx.config.ingest.rateLimitPerSecond);
        }
      });
    });
  });

  describe(`ingest rate limit [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_RATE_LIMIT: '5' } });
      owner = await signUp(ctx.app);
    });
    afterAll(() => ctx.close());

    const view = (f: Fixture) => metricView(ctx, owner, f.project.id, f.metric.id);

    it('allows 5 events per second per key, then 429 RATE_LIMITED with Retry-After', async () => {
      const f = await fixture(ctx, owner);
      for (let i = 1; i <= 5; i++) {
        const response = await send(ctx, f.project.apiKey, f.metric.id, { value: 1 });
        expectOk(response);
        expect(rateHeaders(response)).toMatchObject({ q: 5, r: 5 - i });
        expect(rateHeaders(response).t).toBeGreaterThanOrEqual(1);
      }
      // From a browser: the 429 is readable cross-origin, Retry-After included.
      const limited = await send(
        ctx,
        f.project.apiKey,
        f.metric.id,
        { value: 1 },
        { origin: 'https://shop.example.com' },
      );
      expectProblem(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(rateHeaders(limited)).toMatchObject({ q: 5, r: 0 });
      expect(rateHeaders(limited).t).toBeGreaterThanOrEqual(1);
      expect(limited.headers['access-control-allow-origin']).toBe('*');
      expect(String(limited.headers['access-control-expose-headers'])).toMatch(/Retry-After/);
      // Refused before anything else: a bad body is not even looked at.
      expectProblem(
        await send(ctx, f.project.apiKey, f.metric.id, { value: 'x' }),
        429,
        'RATE_LIMITED',
      );
      expect((await view(f)).eventCount).toBe(5);

      ctx.clock.advance(1000);
      const allowed = await send(ctx, f.project.apiKey, f.metric.id, { value: 1 });
      expectOk(allowed);
      expect(rateHeaders(allowed).r).toBe(4);
      expect((await view(f)).eventCount).toBe(6);
    });

    it('charges once a request whose key, metric or filters must first be loaded', async () => {
      const f = await fixture(ctx, owner);
      // Each name is looked up for the first time, its filters too: nothing is cached yet.
      const names = ['loaded-1', 'loaded-2', 'loaded-3', 'loaded-4'];
      for (const name of names) {
        await createMetric(ctx.app, owner, f.project.id, { name, type: 'basic' });
      }
      for (const [i, name] of names.entries()) {
        const response = await send(ctx, f.project.apiKey, name, {
          value: 1,
          filters: { plan: `p${i}` },
        });
        expectOk(response);
        expect(rateHeaders(response).r).toBe(4 - i);
      }
      // The fifth event takes what is left; a sixth is one too many.
      const responses = [];
      for (let i = 0; i < 2; i++) {
        responses.push(await send(ctx, f.project.apiKey, f.metric.name, { value: 1 }));
      }
      expect(responses.map((r) => [r.statusCode, rateHeaders(r).r])).toEqual([
        [200, 0],
        [429, 0],
      ]);
    });

    it('charges a batch of N events N', async () => {
      const f = await fixture(ctx, owner);
      const events = (n: number) =>
        Array.from({ length: n }, () => ({ metric: f.metric.id, value: 1 }));
      const first = await sendBatch(ctx, f.project.apiKey, events(3));
      expectOk(first);
      expect(rateHeaders(first).r).toBe(2);
      const refused = await sendBatch(ctx, f.project.apiKey, events(3));
      expectProblem(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(rateHeaders(refused).r).toBe(2);
      const fits = await sendBatch(ctx, f.project.apiKey, events(2));
      expectOk(fits);
      expect(rateHeaders(fits).r).toBe(0);
      expectProblem(
        await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }),
        429,
        'RATE_LIMITED',
      );
      expect((await view(f)).eventCount).toBe(5);
      ctx.clock.advance(1000);
      expectOk(await sendBatch(ctx, f.project.apiKey, events(5)));
      expect((await view(f)).eventCount).toBe(10);
    });

    it('limits each key on its own', async () => {
      const f = await fixture(ctx, owner);
      const second = await createKey(ctx.app, owner, f.project.id, 'ingest');
      for (let i = 0; i < 5; i++)
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
      expectProblem(
        await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }),
        429,
        'RATE_LIMITED',
      );
      const other = await send(ctx, second.secret, f.metric.id, { value: 1 });
      expectOk(other);
      expect(rateHeaders(other).r).toBe(4);
      expect((await view(f)).eventCount).toBe(6);
    });

    it('does not consume an Idempotency-Key on a rate-limited request', async () => {
      const f = await fixture(ctx, owner);
      for (let i = 0; i < 5; i++)
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
      const headers = { 'idempotency-key': 'limited-1' };
      expectProblem(
        await send(ctx, f.project.apiKey, f.metric.id, { value: 7 }, headers),
        429,
        'RATE_LIMITED',
      );
      ctx.clock.advance(1000);
      const retry = await send(ctx, f.project.apiKey, f.metric.id, { value: 7 }, headers);
      expectOk(retry);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await view(f)).toMatchObject({ eventCount: 6, totalExact: '12' });
    });
  });

  describe(`ingest monthly quota [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, {
        env: {
          MEASURELY_MONTHLY_EVENT_QUOTA: '10',
          MEASURELY_RATE_LIMIT: '100000',
          // Tests move the clock month by month: the session must outlive that.
          MEASURELY_SESSION_TTL_DAYS: '3650',
        },
      });
      owner = await signUp(ctx.app);
    });
    afterAll(() => ctx.close());

    const view = (f: Fixture) => metricView(ctx, owner, f.project.id, f.metric.id);
    const month = () => new Date(ctx.clock.now()).toISOString().slice(0, 7);
    async function fill(f: Fixture, n = 10): Promise<void> {
      for (let i = 0; i < n; i++)
        expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }));
    }

    it('accepts 10 events a month, then 429 QUOTA_EXCEEDED for the whole project', async () => {
      const f = await fixture(ctx, owner);
      expect(await usageOf(ctx, owner, f.project.id)).toEqual({
        month: month(),
        events: 0,
        quota: 10,
      });
      await fill(f);
      const refused = await send(ctx, f.project.apiKey, f.metric.id, { value: 1 });
      expectProblem(refused, 429, 'QUOTA_EXCEEDED');
      // Retry-After points past the start of the next UTC month.
      const retryAfter = Number(refused.headers['retry-after']);
      expect(ctx.clock.now() + retryAfter * 1000).toBeGreaterThanOrEqual(next(ctx.clock.now()));
      expect(retryAfter).toBeLessThanOrEqual(31 * 86_400);
      rateHeaders(refused);
      const second = await createMetric(ctx.app, owner, f.project.id, {
        name: uniqueName(),
        type: 'basic',
      });
      expectProblem(
        await send(ctx, f.project.apiKey, second.id, { value: 1 }),
        429,
        'QUOTA_EXCEEDED',
      );
      const key = await createKey(ctx.app, owner, f.project.id, 'ingest');
      expectProblem(await send(ctx, key.secret, f.metric.id, { value: 1 }), 429, 'QUOTA_EXCEEDED');
      expect(await view(f)).toMatchObject({ eventCount: 10, totalExact: '10' });
      expect(await usageOf(ctx, owner, f.project.id)).toEqual({
        month: month(),
        events: 10,
        quota: 10,
      });
      // Another project has its own quota.
      const other = await fixture(ctx, owner);
      expectOk(await send(ctx, other.project.apiKey, other.metric.id, { value: 1 }));
    });

    it('refuses only the excess of a batch that crosses the quota', async () => {
      const f = await fixture(ctx, owner);
      await fill(f, 7);
      const response = await sendBatch(
        ctx,
        f.project.apiKey,
        [1, 2, 3, 4, 5].map((value) => ({ metric: f.metric.id, value })),
      );
      expectOk(response);
      const body = response.json();
      expect(body).toMatchObject({ accepted: 3, rejected: 2 });
      expect(body.results.map((r: { ok: boolean; code?: string }) => r.code ?? 'ok')).toEqual([
        'ok',
        'ok',
        'ok',
        'QUOTA_EXCEEDED',
        'QUOTA_EXCEEDED',
      ]);
      expect(await view(f)).toMatchObject({ eventCount: 10, totalExact: '13' });
      expect((await usageOf(ctx, owner, f.project.id)).events).toBe(10);
      const after = await sendBatch(ctx, f.project.apiKey, [{ metric: f.metric.id, value: 1 }]);
      expect(after.json().results[0].code).toBe('QUOTA_EXCEEDED');
      // Invalid events of a batch are not counted against the quota either.
      expect((await usageOf(ctx, owner, f.project.id)).events).toBe(10);
    });

    it('does not count refused events against the quota', async () => {
      const f = await fixture(ctx, owner);
      for (const body of [{ value: 0 }, { value: 'x' }, { value: 1, timestamp: 0 }]) {
        expect((await send(ctx, f.project.apiKey, f.metric.id, body)).statusCode).toBe(400);
      }
      expect((await usageOf(ctx, owner, f.project.id)).events).toBe(0);
      await fill(f);
    });

    it('starts again at 0 at the start of the next UTC month', async () => {
      const f = await fixture(ctx, owner);
      await fill(f);
      const boundary = next(ctx.clock.now());
      ctx.clock.set(boundary - 1);
      expectProblem(
        await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }),
        429,
        'QUOTA_EXCEEDED',
      );
      ctx.clock.set(boundary);
      const newMonth = new Date(boundary).toISOString().slice(0, 7);
      expect(await usageOf(ctx, owner, f.project.id)).toEqual({
        month: newMonth,
        events: 0,
        quota: 10,
      });
      await fill(f);
      expectProblem(
        await send(ctx, f.project.apiKey, f.metric.id, { value: 1 }),
        429,
        'QUOTA_EXCEEDED',
      );
      expect(await usageOf(ctx, owner, f.project.id)).toEqual({
        month: newMonth,
        events: 10,
        quota: 10,
      });
      expect((await view(f)).eventCount).toBe(20);
    });

    it('does not consume the Idempotency-Key of a request refused by the quota', async () => {
      const f = await fixture(ctx, owner);
      await fill(f);
      const headers = { 'idempotency-key': 'after-reset' };
      for (let i = 0; i < 2; i++) {
        expectProblem(
          await send(ctx, f.project.apiKey, f.metric.id, { value: 3 }, headers),
          429,
          'QUOTA_EXCEEDED',
        );
      }
      const batchHeaders = { 'idempotency-key': 'batch-after-reset' };
      const batch = [{ metric: f.metric.id, value: 4 }];
      expect(
        (await sendBatch(ctx, f.project.apiKey, batch, batchHeaders)).json().results[0].code,
      ).toBe('QUOTA_EXCEEDED');
      ctx.clock.set(next(ctx.clock.now()));
      const retry = await send(ctx, f.project.apiKey, f.metric.id, { value: 3 }, headers);
      expectOk(retry);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      const batchRetry = await sendBatch(ctx, f.project.apiKey, batch, batchHeaders);
      expect(batchRetry.json()).toMatchObject({ accepted: 1, rejected: 0 });
      expect(batchRetry.headers['idempotent-replayed']).toBeUndefined();
      const replay = await send(ctx, f.project.apiKey, f.metric.id, { value: 3 }, headers);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(await view(f)).toMatchObject({ eventCount: 12, totalExact: '17' });
      expect((await usageOf(ctx, owner, f.project.id)).events).toBe(2);
    });

    it('does not let filters of events refused by the quota count against the filter limits', async () => {
      const f = await fixture(ctx, owner);
      await fill(f);
      const keys = (from: number) =>
        Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`key${from + i}`, 'v']));
      const refused = await sendBatch(ctx, f.project.apiKey, [
        { metric: f.metric.id, value: 1, filters: keys(0) },
        { metric: f.metric.id, value: 1, filters: keys(10) },
      ]);
      expect(refused.json()).toMatchObject({ accepted: 0, rejected: 2 });
      ctx.clock.set(next(ctx.clock.now()));
      // No filter key was ever stored for this metric: 20 new ones still fit.
      expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters: keys(100) }));
      expectOk(await send(ctx, f.project.apiKey, f.metric.id, { value: 1, filters: keys(110) }));
      expect((await view(f)).eventCount).toBe(12);
    });
  });
}
