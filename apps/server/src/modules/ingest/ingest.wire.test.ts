import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { RawClient } from '../../test/raw-client.js';

describe.each(DIALECTS)('ingestion read off the socket (%s)', (dialect) => {
  let ctx: TestContext;
  let owner: Session;
  let project: TestProject;
  let metric: { id: string; name: string };
  let key: string;
  let port: number;

  beforeAll(async () => {
    ctx = await createTestApp(dialect);
    owner = await signUp(ctx.app);
    project = await createProject(ctx.app, owner);
    metric = await createMetric(ctx.app, owner, project.id, { name: 'orders', type: 'basic' });
    key = (await createKey(ctx.app, owner, project.id, 'ingest')).secret;
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    port = (ctx.app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await ctx?.close();
  });

  async function eventCount(): Promise<number> {
    const response = await ctx.app.inject({
      method: 'GET',
      url: `/api/projects/${project.id}/metrics/${metric.id}`,
      headers: { cookie: owner.cookie },
    });
    return response.json().metric.eventCount;
  }

  /** An event for `orders`, as raw HTTP/1.1 with the headers given (CRLF line ends). */
  function event(value: number, extraHeaders = '', body = JSON.stringify({ value })): string {
    return (
      `POST /event/v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${extraHeaders}\r\n${body}`
    );
  }

  it('answers pipelined requests in order, each stored once', async () => {
    const before = await eventCount();
    const client = await new RawClient(port).connected();
    client.write(event(1, 'X-Request-Id: first\r\n') + event(2, 'X-Request-Id: second\r\n'));
    const answers = await client.answered(2);
    expect(answers.map((a) => [a.status, a.headers['x-request-id']])).toEqual([
      [200, 'first'],
      [200, 'second'],
    ]);
    expect(answers[0]?.headers.connection).toBe('keep-alive');
    expect(answers[0]?.headers['keep-alive']).toBe('timeout=72');
    expect(answers[0]?.headers.date).toMatch(/ GMT$/);
    expect(await eventCount()).toBe(before + 2);
    client.socket.destroy();
  });

  it.each([1, 2, 3, 7])(
    'reads requests that arrive %i bytes at a time, the blank line after the head split too',
    async (size) => {
      const before = await eventCount();
      const client = await new RawClient(port).connected();
      // Two requests, the second while the first is being answered.
      const bytes = Buffer.from(event(3) + event(4));
      for (let i = 0; i < bytes.length; i += size) {
        client.write(bytes.subarray(i, i + size));
        await sleep(1);
      }
      const answers = await client.answered(2);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(await eventCount()).toBe(before + 2);
      client.socket.destroy();
    },
  );

  it('keeps the connection for request after request, refusals included', async () => {
    const client = await new RawClient(port).connected();
    client.write(event(1));
    await client.answered(1);
    client.write(event(0));
    await client.answered(2);
    client.write(event(1, '', '{"value": 1,'));
    await client.answered(3);
    client.write(event(5));
    const answers = await client.answered(4);
    expect(answers.map((a) => a.status)).toEqual([200, 400, 400, 200]);
    expect(JSON.parse(answers[1]?.body ?? '').code).toBe('VALUE_NOT_POSITIVE');
    expect(JSON.parse(answers[2]?.body ?? '').code).toBe('INVALID_JSON');
    expect(client.closed).toBe(false);
    client.socket.destroy();
  });

  it('hands the connection to the framework at its first other request, unread bytes included', async () => {
    const before = await eventCount();
    const client = await new RawClient(port).connected();
    client.write(event(1));
    await client.answered(1);
    // A health check, then an event, in one write: both reach the framework, in order.
    client.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n${event(2)}`);
    const answers = await client.answered(3);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(JSON.parse(answers[1]?.body ?? '')).toMatchObject({ status: 'ok' });
    expect(JSON.parse(answers[2]?.body ?? '')).toEqual({ ok: true, metricId: metric.id });
    expect(await eventCount()).toBe(before + 2);
    client.socket.destroy();
  });

  it('hands over a request whose body is still arriving, which the framework then reads whole', async () => {
    const client = await new RawClient(port).connected();
    const body = JSON.stringify({ value: 1, filters: { note: 'x'.repeat(2_000) } });
    // A media type only the framework parses in full: the body goes on arriving after hand-off.
    client.write(
      `POST /event/v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: application/json; charset="utf-8"\r\nContent-Length: ${body.length}\r\n\r\n` +
        body.slice(0, 10),
    );
    await sleep(50);
    client.write(body.slice(10, 1_000));
    await sleep(50);
    client.write(body.slice(1_000));
    const [answer] = await client.answered(1);
    // Parsed whole by the framework: refused for the filter value's length, not for bad JSON.
    expect(answer?.status).toBe(400);
    expect(JSON.parse(answer?.body ?? '').code).toBe('FILTERS_INVALID');
    client.socket.destroy();
  });

  it('leaves chunked bodies, Expect, HTTP/1.0 and repeated headers to the framework', async () => {
    const before = await eventCount();
    const body = JSON.stringify({ value: 1 });
    const chunked = await new RawClient(port).connected();
    chunked.write(
      `POST /event/v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    const expecting = await new RawClient(port).connected();
    expecting.write(event(1, 'Expect: 100-continue\r\n'));
    const old = await new RawClient(port).connected();
    old.write(event(1).replace('HTTP/1.1', 'HTTP/1.0'));
    const repeated = await new RawClient(port).connected();
    repeated.write(event(1, `Authorization: Bearer ${key}\r\n`));

    expect((await chunked.answered(1))[0]?.status).toBe(200);
    const continued = await expecting.answered(2);
    expect(continued.map((a) => a.status)).toEqual([100, 200]);
    expect((await old.answered(1))[0]?.status).toBe(200);
    // Node keeps the first of two Authorization headers.
    expect((await repeated.answered(1))[0]?.status).toBe(200);
    expect(await eventCount()).toBe(before + 4);
    for (const client of [chunked, expecting, old, repeated]) client.socket.destroy();
  });

  it.each([
    ['a header line ended by a bare LF', () => event(1, 'X-Note: a\nb: c\r\n'), 400, 0],
    ['a folded header line', () => event(1, 'X-Note: a\r\n b\r\n'), 400, 0],
    ['two Content-Lengths', () => event(1, 'Content-Length: 11\r\n'), 400, 0],
    ['no Host', () => event(1).replace('Host: localhost\r\n', ''), 400, 0],
    ['a space before a colon', () => event(1, 'X-Note : a\r\n'), 400, 0],
    // obs-text in a header value is allowed (RFC 9110 §5.5): the framework takes it.
    ['a byte outside ASCII in a header', () => event(1, 'X-Note: caf\u00e9\r\n'), 200, 1],
  ])('hands %s to Node', async (_name, request, status, stored) => {
    const before = await eventCount();
    const client = await new RawClient(port).connected();
    client.write(Buffer.from(request(), 'latin1'));
    const [answer] = await client.answered(1);
    expect(answer?.status, answer?.body).toBe(status);
    expect(await eventCount()).toBe(before + stored);
    client.socket.destroy();
  });

  it('reads header values without their surrounding whitespace, however much of it', async () => {
    const client = await new RawClient(port).connected();
    const spaces = ' '.repeat(7_000);
    client.write(event(1, `X-Request-Id: \t spaced${spaces}\t\r\nX-Note: a${spaces}b\r\n`));
    const [answer] = await client.answered(1);
    expect(answer?.status).toBe(200);
    expect(answer?.headers['x-request-id']).toBe('spaced');
    client.socket.destroy();
  });

  it('answers a request too big for its head to the framework (431)', async () => {
    const client = await new RawClient(port).connected();
    client.write(event(1, `X-Padding: ${'p'.repeat(20_000)}\r\n`));
    const [answer] = await client.answered(1);
    expect(answer?.status).toBe(431);
    expect(answer?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(answer?.body ?? '')).toMatchObject({
      status: 431,
      code: 'HEADERS_TOO_LARGE',
      requestId: answer?.headers['x-request-id'],
    });
    client.socket.destroy();
  });

  it('answers a request Node cannot frame with a problem document, and closes', async () => {
    for (const bad of [
      'POST /event/v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n',
    ]) {
      const client = await new RawClient(port).connected();
      client.write(bad);
      const [answer] = await client.answered(1);
      expect(answer?.status, bad).toBe(400);
      expect(answer?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(answer?.headers.connection).toBe('close');
      expect(JSON.parse(answer?.body ?? '')).toMatchObject({
        status: 400,
        code: 'BAD_REQUEST',
        requestId: answer?.headers['x-request-id'],
      });
      await client.hungUp();
    }
  });

  it('closes the connection after answering Connection: close', async () => {
    const client = await new RawClient(port).connected();
    client.write(event(1, 'Connection: close\r\n'));
    const [answer] = await client.answered(1);
    expect(answer?.status).toBe(200);
    expect(answer?.headers.connection).toBe('close');
    await client.hungUp();
  });

  it('applies the keep-alive and headers timeouts of the server', async () => {
    const { server } = ctx.app;
    const keepAlive = server.keepAliveTimeout;
    const headers = server.headersTimeout;
    server.keepAliveTimeout = 100;
    server.headersTimeout = 100;
    try {
      const idle = await new RawClient(port).connected();
      idle.write(event(1));
      await idle.answered(1);
      const slow = await new RawClient(port).connected();
      slow.write('POST /event/v1/orders HTTP/1.1\r\nHost: localhost\r\n');
      await idle.hungUp(3_000);
      await slow.hungUp(3_000);
      expect(slow.answers.map((a) => a.status)).toEqual([408]);
      expect(JSON.parse(slow.answers[0]?.body ?? '')).toMatchObject({ code: 'REQUEST_TIMEOUT' });
    } finally {
      server.keepAliveTimeout = keepAlive;
      server.headersTimeout = headers;
    }
  });
});

describe.each(DIALECTS)('closing the server (%s)', (dialect) => {
  it('ends idle connections at once, and answers a request under way before ending its own', async () => {
    const ctx = await createTestApp(dialect);
    try {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      await createMetric(ctx.app, owner, project.id, { name: 'orders', type: 'basic' });
      const { secret } = await createKey(ctx.app, owner, project.id, 'ingest');
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = ctx.app.server.address() as AddressInfo;
      const body = '{"value": 1}';
      const request =
        `POST /event/v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${secret}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

      const idle = await new RawClient(port).connected();
      idle.write(request);
      await idle.answered(1);
      // A request halfway through its body when the close begins, then completed.
      const busy = await new RawClient(port).connected();
      busy.write(request.slice(0, -3));
      await sleep(50);
      const closed = ctx.app.close();
      await idle.hungUp();
      busy.write(request.slice(-3));
      const [answer] = await busy.answered(1);
      expect(answer?.status).toBe(503);
      await busy.hungUp();
      await closed;
    } finally {
      await ctx.close();
    }
  });
});
