import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PassThrough, Writable } from 'node:stream';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type App, ProblemSchema } from '../../http.js';
import { errorHandlerPlugin } from '../../plugins/error-handler.js';
import { createReaderAuth } from '../../plugins/reader.js';
import { createSessionHelpers } from '../../plugins/session.js';
import { createServices, type Services } from '../../services.js';
import { expectProblem } from '../../test/assertions.js';
import {
  addMember,
  call,
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { liveRoutes } from './live.routes.js';
import { LiveHub, type LiveHubOptions } from './live-hub.js';

interface SseMessage {
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
  readonly retry?: number;
  /** performance.now() when the message was parsed. */
  readonly at: number;
}

interface MetricView {
  id: string;
  projectId: string;
  total: number;
  totalExact: string;
  eventCount: number;
}

function parseBlock(block: string): SseMessage {
  const fields: { event?: string; data?: string; comment?: string; retry?: number } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) fields.comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) fields.event = line.slice(7);
    else if (line.startsWith('data: ')) fields.data = line.slice(6);
    else if (line.startsWith('retry: ')) fields.retry = Number(line.slice(7));
  }
  return { ...fields, at: performance.now() };
}

/** Reads Server-Sent Events frames from a text stream as they arrive. */
class SseReader {
  readonly messages: SseMessage[] = [];
  ended = false;
  #cursor = 0;
  #wake: () => void = () => undefined;

  push(block: string): void {
    this.messages.push(parseBlock(block));
    this.#wake();
  }

  end(): void {
    this.ended = true;
    this.#wake();
  }

  /** The next message (after those already taken) that matches, or a timeout failure. */
  async next(match: (m: SseMessage) => boolean, timeoutMs = 2_000): Promise<SseMessage> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.messages.length) {
        const message = this.messages[this.#cursor++];
        if (message !== undefined && match(message)) return message;
      }
      const left = deadline - performance.now();
      if (this.ended || left <= 0) {
        throw new Error(`no matching message (ended: ${this.ended}, ${this.messages.length} seen)`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  event(name: string, timeoutMs?: number): Promise<SseMessage> {
    return this.next((m) => m.event === name, timeoutMs);
  }

  async waitForEnd(timeoutMs = 2_000): Promise<void> {
    await expect.poll(() => this.ended, { timeout: timeoutMs }).toBe(true);
  }
}

function pump(reader: SseReader, chunks: AsyncIterable<string>): void {
  void (async () => {
    let buffer = '';
    try {
      for await (const chunk of chunks) {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          reader.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by the test, or cut by the server.
    } finally {
      reader.end();
    }
  })();
}

interface LiveClient {
  readonly response: Response;
  readonly sse: SseReader;
  abort(): void;
}

async function connect(
  base: string,
  projectId: string,
  headers: Record<string, string>,
): Promise<LiveClient> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/projects/${projectId}/live`, {
    headers,
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const body = response.body;
  if (body === null) throw new Error('no body');
  const sse = new SseReader();
  pump(sse, body.pipeThrough(new TextDecoderStream()));
  return { response, sse, abort: () => controller.abort() };
}

function sessionHeaders(session: Session): Record<string, string> {
  return { cookie: session.cookie };
}

function bearer(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function ingest(ctx: TestContext, key: string, metricId: string, value: number) {
  const response = await call(ctx.app, 'POST', `/event/v1/${metricId}`, {
    headers: bearer(key),
    body: { value },
  });
  expect(response.statusCode, response.body).toBe(200);
}

function metricsOf(message: SseMessage): MetricView[] {
  return JSON.parse(message.data ?? '{}').metrics;
}

/**
 * After a stream is aborted, fetch (undici) opens a spare connection that never carries a
 * request; the server would wait for the client to drop it (its keep-alive timeout, over a minute).
 */
function closeSpareConnections(app: App): void {
  app.server.closeAllConnections();
}

/** The live route alone on its own server and hub, so a test can set the hub's options. */
async function serveLive(
  ctx: TestContext,
  options: LiveHubOptions,
): Promise<{ app: App; live: LiveHub; base: string }> {
  const services = createServices({ storage: ctx.storage, config: ctx.config, clock: ctx.clock });
  // forceCloseConnections: the spare connections of closeSpareConnections().
  const app: App = Fastify({
    logger: false,
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const live = new LiveHub({ services, log: app.log, ...options });
  app.addHook('preClose', async () => live.close());
  await app.register(errorHandlerPlugin);
  app.addSchema(ProblemSchema);
  await app.register(cookie);
  const session = createSessionHelpers(services.accounts, ctx.config);
  await app.register(liveRoutes, {
    services,
    session,
    reader: createReaderAuth(services.keys, session),
    config: ctx.config,
    live,
  });
  return { app, live, base: await listen(app) };
}

/** A stream that reads frames written by the hub directly. */
function memoryStream(): { stream: PassThrough; sse: SseReader } {
  const stream = new PassThrough();
  const sse = new SseReader();
  stream.setEncoding('utf8');
  pump(sse, stream);
  return { stream, sse };
}

for (const dialect of DIALECTS) {
  describe(`live updates [${dialect}]`, () => {
    let ctx: TestContext;
    let base: string;
    let owner: Session;
    let project: TestProject;
    let metric: { id: string; name: string };

    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      base = await listen(ctx.app);
      owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner);
      metric = await createMetric(ctx.app, owner, project.id);
    });
    afterAll(async () => {
      closeSpareConnections(ctx.app);
      await ctx.close();
    });

    it('opens with retry and hello, with the stream headers and the request id', async () => {
      const client = await connect(base, project.id, {
        ...sessionHeaders(owner),
        'x-request-id': 'live-test-1',
      });
      try {
        const { headers } = client.response;
        expect(headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
        expect(headers.get('cache-control')).toBe('no-cache');
        expect(headers.get('x-accel-buffering')).toBe('no');
        expect(headers.get('x-request-id')).toBe('live-test-1');
        expect((await client.sse.next(() => true)).retry).toBe(3000);
        const hello = await client.sse.next(() => true);
        expect(hello.event).toBe('hello');
        expect(JSON.parse(hello.data ?? '')).toEqual({ projectId: project.id });
      } finally {
        client.abort();
      }
    });

    it('pushes an ingested event as the committed total within a second', async () => {
      const client = await connect(base, project.id, sessionHeaders(owner));
      try {
        await client.sse.event('hello');
        const before = (
          await call(ctx.app, 'GET', `/api/projects/${project.id}/metrics/${metric.id}`, {
            session: owner,
          })
        ).json().metric as MetricView;
        const started = performance.now();
        await ingest(ctx, project.apiKey, metric.id, 12.5);
        const message = await client.sse.event('metrics');
        expect(message.at - started).toBeLessThan(1000);
        const [pushed, ...others] = metricsOf(message);
        expect(others).toEqual([]);
        expect(pushed).toMatchObject({
          id: metric.id,
          projectId: project.id,
          total: before.total + 12.5,
          eventCount: before.eventCount + 1,
        });
      } finally {
        client.abort();
      }
    });

    it('coalesces a burst into a few messages, at least 250 ms apart, ending on the final total', async () => {
      // A project of its own: its key's rate limit (1,000 events a second, on a clock that
      // stands still here) is the burst's alone.
      const busy = await createProject(ctx.app, owner);
      const burst = await createMetric(ctx.app, owner, busy.id);
      const client = await connect(base, busy.id, sessionHeaders(owner));
      try {
        await client.sse.event('hello');
        const started = performance.now();
        let sent = 0;
        while (performance.now() - started < 700 && sent < 600) {
          await Promise.all([1, 2, 3, 4, 5].map(() => ingest(ctx, busy.apiKey, burst.id, 1)));
          sent += 5;
        }
        const elapsed = performance.now() - started;
        const messages: SseMessage[] = [];
        for (;;) {
          const message = await client.sse.event('metrics');
          messages.push(message);
          const [last] = metricsOf(message);
          if (last?.eventCount === sent) {
            expect(last).toMatchObject({ id: burst.id, total: sent, totalExact: String(sent) });
            break;
          }
        }
        expect(sent).toBeGreaterThan(messages.length * 3);
        expect(messages.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
        for (let i = 1; i < messages.length; i++) {
          const gap = (messages[i]?.at ?? 0) - (messages[i - 1]?.at ?? 0);
          // 250 ms between reads; a read slower than the next one narrows the gap on arrival.
          expect(gap).toBeGreaterThan(150);
        }
      } finally {
        client.abort();
      }
    });

    it('lets a read key subscribe', async () => {
      const key = await createKey(ctx.app, owner, project.id, 'read');
      const client = await connect(base, project.id, bearer(key.secret));
      try {
        await client.sse.event('hello');
        await ingest(ctx, project.apiKey, metric.id, 1);
        expect(metricsOf(await client.sse.event('metrics'))[0]?.id).toBe(metric.id);
      } finally {
        client.abort();
      }
    });

    it('answers problems before any stream: no credentials, ingest key, bad, revoked or foreign key, outsider', async () => {
      const url = `/api/projects/${project.id}/live`;
      expectProblem(await call(ctx.app, 'GET', url), 401, 'UNAUTHENTICATED');
      expectProblem(
        await call(ctx.app, 'GET', url, { headers: bearer(project.apiKey) }),
        403,
        'KEY_SCOPE_FORBIDDEN',
      );
      expectProblem(
        await call(ctx.app, 'GET', url, { headers: bearer(`mly_${'A1b2C3d4'.repeat(4)}`) }),
        401,
        'API_KEY_INVALID',
      );
      const revoked = await createKey(ctx.app, owner, project.id, 'read');
      const revoke = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${project.id}/keys/${revoked.id}`,
        {
          session: owner,
        },
      );
      expect(revoke.statusCode).toBe(200);
      expectProblem(
        await call(ctx.app, 'GET', url, { headers: bearer(revoked.secret) }),
        401,
        'API_KEY_INVALID',
      );

      const stranger = await signUp(ctx.app);
      const theirs = await createProject(ctx.app, stranger);
      expectProblem(
        await call(ctx.app, 'GET', url, { session: stranger }),
        404,
        'PROJECT_NOT_FOUND',
      );
      const theirKey = await createKey(ctx.app, stranger, theirs.id, 'read');
      expectProblem(
        await call(ctx.app, 'GET', url, { headers: bearer(theirKey.secret) }),
        404,
        'PROJECT_NOT_FOUND',
      );
    });

    it('lets every member in, down to a guest', async () => {
      const guest = await signUp(ctx.app);
      await addMember(ctx.app, owner, project.id, guest, 'guest');
      const client = await connect(base, project.id, sessionHeaders(guest));
      try {
        await client.sse.event('hello');
      } finally {
        client.abort();
      }
    });

    it("never delivers another project's changes", async () => {
      const other = await createProject(ctx.app, owner);
      const otherMetric = await createMetric(ctx.app, owner, other.id);
      const client = await connect(base, project.id, sessionHeaders(owner));
      try {
        await client.sse.event('hello');
        await ingest(ctx, other.apiKey, otherMetric.id, 7);
        await ingest(ctx, project.apiKey, metric.id, 1);
        const pushed = metricsOf(await client.sse.event('metrics'));
        expect(pushed.map((m) => m.id)).toEqual([metric.id]);
      } finally {
        client.abort();
      }
    });

    it('sends heartbeats and forgets a client that leaves', async () => {
      const server = await serveLive(ctx, { heartbeatMs: 50 });
      try {
        const client = await connect(server.base, project.id, sessionHeaders(owner));
        await client.sse.event('hello');
        const started = performance.now();
        expect(
          (await client.sse.next((m) => m.comment === 'ping', 1_000)).at - started,
        ).toBeLessThan(500);
        await client.sse.next((m) => m.comment === 'ping', 1_000);
        expect(server.live.subscriberCount(project.id)).toBe(1);
        client.abort();
        await expect.poll(() => server.live.subscriberCount(project.id)).toBe(0);
      } finally {
        await server.app.close();
      }
    });

    it('ends a stream after its lifetime, so the client reconnects and is checked again', async () => {
      const server = await serveLive(ctx, { maxStreamMs: 200 });
      try {
        const client = await connect(server.base, project.id, sessionHeaders(owner));
        await client.sse.event('hello');
        expect(server.live.subscriberCount(project.id)).toBe(1);
        await expect.poll(() => server.live.subscriberCount(project.id)).toBe(0);
        client.abort();
      } finally {
        await server.app.close();
      }
    });

    it('ends open streams on close, promptly', async () => {
      const other = await createTestApp(dialect);
      try {
        const otherBase = await listen(other.app);
        const user = await signUp(other.app);
        const mine = await createProject(other.app, user);
        const client = await connect(otherBase, mine.id, sessionHeaders(user));
        await client.sse.event('hello');
        const started = performance.now();
        await other.app.close();
        expect(performance.now() - started).toBeLessThan(1000);
        await client.sse.waitForEnd();
      } finally {
        await other.storage.close();
        await other.database.drop();
      }
    });

    describe('hub', () => {
      let services: Services;
      const log = { error: vi.fn() };

      beforeAll(() => {
        services = createServices({ storage: ctx.storage, config: ctx.config, clock: ctx.clock });
      });

      const changed = (projectId: string, ...ids: string[]) => new Map([[projectId, new Set(ids)]]);

      it('reads a changed metric once per window for all subscribers of the project', async () => {
        const read = vi.spyOn(services.metrics, 'getMetric');
        const hub = new LiveHub({ services, log });
        try {
          const clients = [memoryStream(), memoryStream(), memoryStream()];
          for (const { stream } of clients) hub.subscribe(project.id, stream);
          expect(hub.subscriberCount(project.id)).toBe(3);
          for (let i = 0; i < 10; i++) hub.publish(changed(project.id, metric.id));
          const frames = await Promise.all(clients.map(({ sse }) => sse.event('metrics')));
          expect(new Set(frames.map((f) => f.data)).size).toBe(1);
          expect(read).toHaveBeenCalledTimes(1);
          // Nothing more happened after the read: no second message, no second read.
          await new Promise((resolve) => setTimeout(resolve, 400));
          expect(read).toHaveBeenCalledTimes(1);
          for (const { sse } of clients)
            expect(sse.messages.filter((m) => m.event === 'metrics')).toHaveLength(1);
        } finally {
          hub.close();
          read.mockRestore();
        }
      });

      it('skips a metric deleted meanwhile, and a project nobody watches costs no read', async () => {
        const read = vi.spyOn(services.metrics, 'getMetric');
        const hub = new LiveHub({ services, log, coalesceMs: 20 });
        try {
          const doomed = await createMetric(ctx.app, owner, project.id);
          const gone = await call(
            ctx.app,
            'DELETE',
            `/api/projects/${project.id}/metrics/${doomed.id}`,
            {
              session: owner,
            },
          );
          expect(gone.statusCode).toBe(204);
          hub.publish(changed('a-project-nobody-watches', metric.id));
          const { stream, sse } = memoryStream();
          hub.subscribe(project.id, stream);
          hub.publish(changed(project.id, doomed.id));
          await new Promise((resolve) => setTimeout(resolve, 100));
          hub.publish(changed(project.id, doomed.id, metric.id));
          const pushed = metricsOf(await sse.event('metrics'));
          expect(pushed.map((m) => m.id)).toEqual([metric.id]);
          expect(sse.messages.filter((m) => m.event === 'metrics')).toHaveLength(1);
          expect(read).toHaveBeenCalledTimes(3);
          expect(log.error).not.toHaveBeenCalled();
        } finally {
          hub.close();
          read.mockRestore();
        }
      });

      it('drops a client too slow to take its frames, and the project with its last subscriber', async () => {
        const hub = new LiveHub({ services, log, heartbeatMs: 5, maxBufferedBytes: 200 });
        // A client that never reads: nothing written ever leaves the buffer.
        const stuck = new Writable({ highWaterMark: 16, write: () => undefined });
        hub.subscribe(project.id, stuck);
        await expect.poll(() => stuck.destroyed).toBe(true);
        expect(stuck.writableLength).toBeLessThan(400);
        await expect.poll(() => hub.subscriberCount(project.id)).toBe(0);
        hub.close();
      });

      it('ends every stream on close and refuses new ones', async () => {
        const hub = new LiveHub({ services, log });
        const first = memoryStream();
        hub.subscribe(project.id, first.stream);
        hub.close();
        await first.sse.waitForEnd();
        expect(hub.subscriberCount(project.id)).toBe(0);
        const late = memoryStream();
        hub.subscribe(project.id, late.stream);
        await late.sse.waitForEnd();
        expect(late.sse.messages).toEqual([]);
        expect(hub.subscriberCount(project.id)).toBe(0);
      });
    });
  });
}
