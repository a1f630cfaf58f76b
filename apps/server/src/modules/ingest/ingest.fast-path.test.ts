import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { WORKER_MIN_BYTES } from './batch-preparer.js';
import { recognise } from './ingest.fast-path.js';

/** The rate limit of every key here: small, so a burst reaches 429. */
const RATE = 4;
const BODY_LIMIT = 1_048_576;

interface Sent {
  readonly method?: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Headers of the connection rather than of the answer. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

function comparable(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => !TRANSPORT_HEADERS.has(name))
      .map(([name, value]) => [name, String(value)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** Over a real socket, through the socket reader (ingest.wire.ts) for what it takes. */
function overNetwork(port: number, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: sent.method ?? 'POST',
        path: sent.url,
        headers: {
          ...sent.headers,
          ...(sent.body === undefined ? {} : { 'content-length': Buffer.byteLength(sent.body) }),
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: comparable(response.headers),
            body,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(sent.body);
  });
}

/** In-process, through Fastify's routes. */
async function injected(ctx: TestContext, sent: Sent): Promise<Answer> {
  const response = await ctx.app.inject({
    method: (sent.method ?? 'POST') as 'POST',
    url: sent.url,
    headers: sent.headers,
    ...(sent.body === undefined ? {} : { payload: sent.body }),
  });
  return {
    status: response.statusCode,
    headers: comparable(response.headers),
    body: response.body,
  };
}

describe.each(DIALECTS)('ingestion fast path (%s)', (dialect) => {
  let ctx: TestContext;
  let owner: Session;
  let project: TestProject;
  let metric: { id: string; name: string };
  let dual: { id: string; name: string };
  let port: number;
  let caseNumber = 0;

  beforeAll(async () => {
    ctx = await createTestApp(dialect, { env: { MEASURELY_RATE_LIMIT: String(RATE) } });
    owner = await signUp(ctx.app);
    project = await createProject(ctx.app, owner);
    metric = await createMetric(ctx.app, owner, project.id, { name: 'signups', type: 'basic' });
    dual = await createMetric(ctx.app, owner, project.id, { name: 'balance', type: 'dual' });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    port = (ctx.app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await ctx?.close();
  });

  /** A metric of the project as the management API shows it (totals, event count). */
  async function metricOf(metricId: string): Promise<{ eventCount: number; negative: number }> {
    const response = await ctx.app.inject({
      method: 'GET',
      url: `/api/projects/${project.id}/metrics/${metricId}`,
      headers: { cookie: owner.cookie },
    });
    return response.json().metric;
  }

  /**
   * Sends the same requests in-process and over the network, each way with a fresh key of its
   * own (rate limits are per key), and expects the same answers, header for header.
   */
  async function expectSameBothWays(
    requests: (key: string) => Sent[],
    fast: boolean,
  ): Promise<Answer[]> {
    caseNumber += 1;
    const viaInject = await createKey(ctx.app, owner, project.id, 'ingest');
    const viaNetwork = await createKey(ctx.app, owner, project.id, 'ingest');
    const inProcess: Answer[] = [];
    const network: Answer[] = [];
    for (const [i, sent] of requests(viaInject.secret).entries()) {
      const id = { 'x-request-id': `case-${caseNumber}-${i}` };
      inProcess.push(await injected(ctx, { ...sent, headers: { ...sent.headers, ...id } }));
    }
    for (const [i, sent] of requests(viaNetwork.secret).entries()) {
      const withId = {
        ...sent,
        headers: { ...sent.headers, 'x-request-id': `case-${caseNumber}-${i}` },
      };
      const length =
        sent.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(sent.body)) };
      expect(
        recognise(
          { ...withId, method: sent.method ?? 'POST', headers: { ...withId.headers, ...length } },
          BODY_LIMIT,
        ) !== undefined,
      ).toBe(fast);
      network.push(await overNetwork(port, withId));
    }
    expect(network).toEqual(inProcess);
    return network;
  }

  const json = (key: string | undefined, body: unknown, type = 'application/json') => ({
    ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    'content-type': type,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const single = (url: string, key: string | undefined, body: unknown, type?: string): Sent => {
    const { body: text, ...headers } = json(key, body, type);
    return { url, headers, body: text };
  };

  it('answers a stored event the same way, by name and by id, on both paths', async () => {
    const answers = await expectSameBothWays(
      (key) => [
        single('/event/v1/signups', key, { value: 1.25, filters: { Plan: ' Pro ' } }),
        single(`/event/v1/${metric.id}`, key, { value: 2 }),
        single('/v1/signups', key, { value: 3 }, 'text/plain;charset=UTF-8'),
        single('/event/v1/signups/', key, { value: 0.5 }, 'application/json; charset=utf-8'),
      ],
      true,
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(JSON.parse(answers[0]?.body ?? '')).toEqual({ ok: true, metricId: metric.id });
  });

  it('answers a browser (with its Origin) the same way, CORS headers included', async () => {
    const answers = await expectSameBothWays((key) => {
      const ok = single('/event/v1/signups', key, { value: 1 });
      const refused = single('/event/v1/signups', key, { value: 0 });
      const origin = { origin: 'https://shop.example.com' };
      return [
        { ...ok, headers: { ...ok.headers, ...origin } },
        { ...refused, headers: { ...refused.headers, ...origin } },
      ];
    }, true);
    expect(answers.map((a) => a.headers['access-control-allow-origin'])).toEqual(['*', '*']);
  });

  it('answers a batch the same way, with per-event results', async () => {
    const events = [
      { metric: 'signups', value: 1 },
      { metric: 'signups', value: 0 },
      { metric: 'balance', value: -2 },
      { metric: 'nope', value: 1 },
      { metric: 'balance', value: 1.1234567 },
    ];
    const answers = await expectSameBothWays(
      (key) => [single('/event/v1/batch', key, { events })],
      true,
    );
    expect(JSON.parse(answers[0]?.body ?? '')).toMatchObject({ accepted: 2, rejected: 3 });
  });

  it('answers a batch whose every event is stored the same way, whatever its size', async () => {
    const batch = (count: number) => ({
      events: Array.from({ length: count }, (_, i) => ({ metric: 'signups', value: i + 1 })),
    });
    const answers = await expectSameBothWays(
      (key) => [
        single('/event/v1/batch', key, batch(3)),
        single('/event/v1/batch', key, batch(2)),
        single('/event/v1/batch', key, batch(3)),
      ],
      true,
    );
    expect(answers.map((a) => a.status)).toEqual([200, 429, 429]);
    expect(JSON.parse(answers[0]?.body ?? '')).toEqual({
      accepted: 3,
      rejected: 0,
      results: [0, 1, 2].map((index) => ({ index, ok: true })),
    });
  });

  it('answers a long batch, prepared off the HTTP thread, the same way', async () => {
    const kinds: unknown[] = [
      { metric: 'signups', value: 1.5, filters: { Plan: ' Pro ', country: 'FR' } },
      { metric: 'signups', value: 0 },
      { metric: dual.id, value: -2, filters: { country: 'fr' } },
      { metric: 'nope', value: 'x' },
      { metric: 'balance', value: 1.1234567 },
      7,
      { metric: 'signups', value: 2, filters: { 'a"b': 'c' } },
      { metric: 'signups', value: 3, colour: 'red' },
      { metric: 'balance', value: 4, timestamp: 0 },
      { metric: 42, value: 1 },
    ];
    const events = Array.from({ length: 400 }, (_, i) => kinds[i % kinds.length]);
    const body = JSON.stringify({ events });
    expect(body.length).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);
    const before = await metricOf(dual.id);
    const answers = await expectSameBothWays((key) => [single('/event/v1/batch', key, body)], true);
    expect(JSON.parse(answers[0]?.body ?? '')).toMatchObject({ accepted: 80, rejected: 320 });
    const after = await metricOf(dual.id);
    expect(after.eventCount - before.eventCount).toBe(80);
    expect(after.negative - before.negative).toBe(160);
  });

  it.each([
    ['no key', (_key: string) => single('/event/v1/signups', undefined, { value: 1 })],
    ['an unknown metric', (key: string) => single('/event/v1/unknown', key, { value: 1 })],
    ['invalid JSON', (key: string) => single('/event/v1/signups', key, '{"value": 1,')],
    ['an empty body', (key: string) => single('/event/v1/signups', key, '')],
    ['a blank body', (key: string) => single('/event/v1/signups', key, '  \n')],
    ['a JSON array', (key: string) => single('/event/v1/signups', key, [1])],
    ['zero on a basic metric', (key: string) => single('/event/v1/signups', key, { value: 0 })],
    ['zero on a dual metric', (key: string) => single('/event/v1/balance', key, { value: 0 })],
    [
      'an over-long number',
      (key: string) => single('/event/v1/signups', key, '{"value": 99999999999.9999999}'),
    ],
    [
      'a __proto__ key',
      (key: string) => single('/event/v1/signups', key, '{"value": 1, "__proto__": {"x": 1}}'),
    ],
    ['an unknown field', (key: string) => single('/event/v1/signups', key, { value: 1, x: 2 })],
    [
      'bad filters',
      (key: string) => single('/event/v1/signups', key, { value: 1, filters: { 'a"b': 'c' } }),
    ],
    [
      'a timestamp out of range',
      (key: string) => single('/event/v1/signups', key, { value: 1, timestamp: 0 }),
    ],
    ['a batch that is no batch', (key: string) => single('/event/v1/batch', key, { value: 1 })],
    ['a batch without events', (key: string) => single('/event/v1/batch', key, { events: [] })],
    [
      'an invalid Idempotency-Key',
      (key: string) => ({
        ...single('/event/v1/signups', key, { value: 1 }),
        headers: {
          ...single('/event/v1/signups', key, { value: 1 }).headers,
          'idempotency-key': 'has space',
        },
      }),
    ],
    [
      'a metric named past the length limit',
      (key: string) => single(`/event/v1/${'m'.repeat(100)}`, key, { value: 1 }),
    ],
  ])('refuses %s the same way', async (_name, request) => {
    const [answer] = await expectSameBothWays((key) => [request(key)], true);
    expect(answer?.status).toBeGreaterThanOrEqual(400);
    expect(answer?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  });

  it('replays and refuses Idempotency-Keys the same way', async () => {
    const withKey = (key: string, value: number): Sent => {
      const sent = single('/event/v1/signups', key, { value });
      return { ...sent, headers: { ...sent.headers, 'idempotency-key': `retry-${key}` } };
    };
    const answers = await expectSameBothWays(
      (key) => [withKey(key, 5), withKey(key, 5), withKey(key, 6)],
      true,
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 422]);
    expect(answers[1]?.headers['idempotent-replayed']).toBe('true');
  });

  it('answers past the rate limit the same way (429, Retry-After)', async () => {
    const answers = await expectSameBothWays(
      (key) =>
        Array.from({ length: RATE + 1 }, () => single('/event/v1/signups', key, { value: 1 })),
      true,
    );
    expect(answers.at(-1)?.status).toBe(429);
    expect(answers.at(-1)?.headers['retry-after']).toBeDefined();
  });

  it.each([
    ['a query string', (key: string) => single('/event/v1/signups?x=1', key, { value: 1 })],
    ['a percent-encoded name', (key: string) => single('/event/v1/sign%75ps', key, { value: 1 })],
    [
      'another content type',
      (key: string) =>
        single('/event/v1/signups', key, { value: 1 }, 'application/x-www-form-urlencoded'),
    ],
    [
      'an unusual JSON media type',
      (key: string) =>
        single('/event/v1/signups', key, { value: 1 }, 'Application/JSON; Charset="utf-8"'),
    ],
    ['a path of another case', (key: string) => single('/Event/v1/signups', key, { value: 1 })],
    ['a nested path', (key: string) => single('/event/v1/signups/more', key, { value: 1 })],
    [
      'a metric named past the router limit',
      (key: string) => single(`/event/v1/${'m'.repeat(101)}`, key, { value: 1 }),
    ],
    [
      'another method',
      (key: string) => ({
        ...single('/event/v1/signups', key, undefined),
        method: 'GET',
        body: undefined,
      }),
    ],
  ])('leaves %s to the framework, which answers as before', async (_name, request) => {
    await expectSameBothWays((key) => [request(key)], false);
  });

  it('leaves bodies over the limit to the framework (413)', async () => {
    const big = JSON.stringify({ value: 1, filters: { pad: 'x'.repeat(BODY_LIMIT) } });
    const [answer] = await expectSameBothWays(
      (key) => [single('/event/v1/signups', key, big)],
      false,
    );
    expect(answer?.status).toBe(413);
  });

  it('survives clients that hang up halfway through a body, and stores nothing of it', async () => {
    const key = await createKey(ctx.app, owner, project.id, 'ingest');
    const before = (await metricOf(metric.id)).eventCount;
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /event/v1/signups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"value": 1',
      );
      if (i % 2 === 0) socket.destroy();
      else socket.resetAndDestroy();
    }
    const [answer] = await expectSameBothWays(
      (k) => [single('/event/v1/signups', k, { value: 1 })],
      true,
    );
    expect(answer?.status).toBe(200);
    const after = (await metricOf(metric.id)).eventCount;
    expect(after - before).toBe(2);
  });

  it('stores what both paths acknowledged', async () => {
    const before = await metricOf(dual.id);
    await expectSameBothWays((key) => [single('/event/v1/balance', key, { value: -1.5 })], true);
    const after = await metricOf(dual.id);
    expect(after.eventCount - before.eventCount).toBe(2);
    expect(after.negative - before.negative).toBe(3);
  });
});
