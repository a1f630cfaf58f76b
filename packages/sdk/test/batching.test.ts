import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type BatchEvent,
  type CaptureResult,
  createClient,
  type FetchLike,
  type MeasurelyError,
} from '../src/index.js';
import { delay, rejection } from './helpers.js';
import {
  DIALECTS,
  type LiveServer,
  recordingFetch,
  startProxy,
  startServer,
  startSilentServer,
  type Tenant,
} from './server.js';

/** Captures made while this device's clock reads `offsetMs` more than it should. */
function withClockOffset<T>(offsetMs: number, capture: () => T): T {
  const now = Date.now();
  const clock = vi.spyOn(Date, 'now').mockImplementation(() => now + offsetMs);
  try {
    return capture();
  } finally {
    clock.mockRestore();
  }
}

/** A fetch that keeps every request body, parsed. */
function bodyRecorder(): { fetch: FetchLike; bodies: unknown[] } {
  const bodies: unknown[] = [];
  return {
    bodies,
    fetch: (input, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      return fetch(input, init as RequestInit);
    },
  };
}

/** Collects what onError receives. */
function errorLog() {
  const calls: Array<{ code: string; events: readonly BatchEvent[] }> = [];
  return {
    calls,
    onError: (error: MeasurelyError, events: readonly BatchEvent[]) => {
      calls.push({ code: error.code, events });
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`batching against a real server [${dialect}]`, () => {
    let server: LiveServer;
    let tenant: Tenant;

    beforeAll(async () => {
      server = await startServer(dialect);
      tenant = await server.createTenant();
    });
    afterAll(() => server.close());

    it('sends nothing before maxEvents, then one batch; each capture resolves', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 5, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
      });
      const first = [1, 2, 3, 4].map((value) => client.capture(metric.name, { value }));
      await delay(300);
      expect(recorder.urls).toEqual([]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 0, eventCount: 0 });
      const fifth = client.capture(metric.id, { value: 5, filters: { plan: 'pro' } });
      await expect(Promise.all([...first, fifth])).resolves.toEqual(
        Array(5).fill({ ok: true, replayed: false }),
      );
      expect(recorder.urls).toEqual([`${server.url}/event/v1/batch`]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 15, eventCount: 5 });
      await client.close();
      expect(recorder.urls).toHaveLength(1);
    });

    it('splits a large queue into batches of maxEvents', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
      });
      const captures = Array.from({ length: 250 }, () => client.capture(metric.name, { value: 2 }));
      await client.flush();
      await Promise.all(captures);
      expect(recorder.urls).toHaveLength(3);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 500, eventCount: 250 });
    });

    it('sends what waits after flushIntervalMs', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 250 },
        fetch: recorder.fetch,
      });
      const started = performance.now();
      await Promise.all([
        client.capture(metric.name, { value: 1 }),
        client.capture(metric.name, { value: 1 }),
      ]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(240);
      expect(recorder.urls).toHaveLength(1);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 2, eventCount: 2 });
    });

    it('close() flushes what is queued, then refuses new events', async () => {
      const metric = await server.createMetric(tenant);
      const errors = errorLog();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        onError: errors.onError,
      });
      const captures = [1.5, 2.5, 3].map((value) => client.capture(metric.name, { value }));
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 0, eventCount: 0 });
      await client.close();
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 7, eventCount: 3 });
      await expect(Promise.all(captures)).resolves.toHaveLength(3);
      const closed = await rejection(client.capture(metric.name, { value: 1 }));
      expect(closed).toMatchObject({ kind: 'client', code: 'CLIENT_CLOSED' });
      const batch = await rejection(client.captureBatch([{ metric: metric.name, value: 1 }]));
      expect(batch.code).toBe('CLIENT_CLOSED');
      expect(errors.calls).toEqual([
        { code: 'CLIENT_CLOSED', events: [{ metric: metric.name, value: 1 }] },
      ]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 7, eventCount: 3 });
    });

    it("rejects only the refused event's promise, and tells onError", async () => {
      const metric = await server.createMetric(tenant);
      const errors = errorLog();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 3, flushIntervalMs: 60_000 },
        onError: errors.onError,
      });
      const good = client.capture(metric.name, { value: 4 });
      const bad = client.capture(metric.name, { value: 0 });
      const unknown = client.capture('no-such-metric', { value: 1 });
      await expect(good).resolves.toEqual({ ok: true, replayed: false });
      expect(await rejection(bad)).toMatchObject({ kind: 'http', code: 'VALUE_NOT_POSITIVE' });
      expect(await rejection(unknown)).toMatchObject({ code: 'METRIC_UNKNOWN' });
      expect(errors.calls).toEqual([
        {
          code: 'VALUE_NOT_POSITIVE',
          events: [{ metric: metric.name, value: 0, timestamp: expect.any(Number) }],
        },
        {
          code: 'METRIC_UNKNOWN',
          events: [{ metric: 'no-such-metric', value: 1, timestamp: expect.any(Number) }],
        },
      ]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 4, eventCount: 1 });
    });

    it('a refusal in a batch has the status a capture sent alone gets, and the batch request id', async () => {
      const metric = await server.createMetric(tenant);
      const batched = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        onError: () => undefined,
      });
      const alone = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const zero = rejection(batched.capture(metric.name, { value: 0 }));
      const unknown = rejection(batched.capture('no-such-metric', { value: 1 }));
      await batched.flush();
      const inBatch = await zero;
      const single = await rejection(alone.capture(metric.name, { value: 0 }));
      for (const error of [inBatch, single]) {
        expect(error).toMatchObject({
          kind: 'http',
          code: 'VALUE_NOT_POSITIVE',
          status: 400,
          retryable: false,
        });
        expect(error.message).toMatch(/^VALUE_NOT_POSITIVE: \S/);
        expect(error.requestId).toMatch(/\S/);
      }
      // The batch answered 200 and sent no problem document for the event.
      expect(inBatch.problem).toBeUndefined();
      expect(await unknown).toMatchObject({
        code: 'METRIC_UNKNOWN',
        status: 401,
        requestId: inBatch.requestId,
      });
    });

    it('stamps a queued event with the time of its capture, not of its batch', async () => {
      const metric = await server.createMetric(tenant);
      const reader = createClient({ apiKey: tenant.readKey, baseUrl: server.url });
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
      });
      const now = Date.now();
      // As if captured ten minutes ago and held back since (a server down, a queue behind).
      const late = withClockOffset(-10 * 60_000, () => client.capture(metric.name, { value: 3 }));
      const recent = client.capture(metric.name, { value: 4 });
      await client.flush();
      await expect(Promise.all([late, recent])).resolves.toHaveLength(2);
      const sum = async (from: number, to: number) =>
        (await reader.series(metric.name, { from, to })).summary.total.sum;
      expect(await sum(now - 11 * 60_000, now - 9 * 60_000)).toBe(3);
      expect(await sum(now - 60_000, now + 60_000)).toBe(4);
    });

    it('sends an event as it was captured, whatever the caller changes afterwards', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = bodyRecorder();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
      });
      const filters: Record<string, string> = { plan: 'pro' };
      const when = new Date(Date.now() - 60_000);
      const capturedAt = when.toISOString();
      const captured = client.capture(metric.name, { value: 1, filters, timestamp: when });
      filters.plan = 'free';
      filters.country = 'fr';
      when.setTime(Date.now() - 3_600_000);
      await client.flush();
      await captured;
      expect(recorder.bodies).toEqual([
        {
          events: [
            { metric: metric.name, value: 1, filters: { plan: 'pro' }, timestamp: capturedAt },
          ],
        },
      ]);
    });

    it("a clock off by more than the server takes: the event gets the server's time, not lost", async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const errors = errorLog();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
        onError: errors.onError,
      });
      const ahead = withClockOffset(60 * 60_000, () => client.capture(metric.name, { value: 1 }));
      const behind = withClockOffset(-400 * 86_400_000, () =>
        client.capture(metric.name, { value: 2 }),
      );
      const onTime: Promise<CaptureResult> = client.capture(metric.name, { value: 4 });
      // A timestamp the caller chose is never replaced.
      const chosen = client.capture(metric.name, { value: 8, timestamp: Date.now() + 3_600_000 });
      await client.flush();
      await expect(Promise.all([ahead, behind, onTime])).resolves.toEqual(
        Array(3).fill({ ok: true, replayed: false }),
      );
      expect(await rejection(chosen)).toMatchObject({
        code: 'TIMESTAMP_OUT_OF_RANGE',
        status: 400,
      });
      expect(errors.calls.map((call) => call.code)).toEqual(['TIMESTAMP_OUT_OF_RANGE']);
      // The refused ones went again, without a timestamp, in a second batch.
      expect(recorder.statuses).toEqual([200, 200]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 7, eventCount: 3 });
    });

    it('the default onError line names the code once', async () => {
      const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const client = createClient({
          apiKey: tenant.ingestKey,
          baseUrl: server.url,
          batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        });
        client.capture('no-such-metric', { value: 1 });
        await client.flush();
        await rejection(client.capture('no-such-metric', { value: Number.NaN }));
        expect(logged.mock.calls).toEqual([
          [expect.stringMatching(/^\[measurely\] 1 event\(s\) not recorded: METRIC_UNKNOWN: No /)],
          [
            '[measurely] 1 event(s) not recorded: INVALID_ARGUMENT: input.value must be a finite number.',
          ],
        ]);
      } finally {
        logged.mockRestore();
      }
    });

    it('a batch refused whole rejects every event once; fire-and-forget never crashes', async () => {
      const metric = await server.createMetric(tenant);
      const errors = errorLog();
      const client = createClient({
        apiKey: `mly_${'Q'.repeat(32)}`,
        baseUrl: server.url,
        batch: { maxEvents: 10, flushIntervalMs: 60_000 },
        onError: errors.onError,
      });
      // Not awaited, as fire-and-forget code does: an unhandled rejection would fail the run.
      client.capture(metric.name, { value: 1 });
      client.capture(metric.name, { value: 2 });
      client.capture(metric.name, { value: Number.NaN });
      await client.flush();
      expect(errors.calls).toEqual([
        { code: 'INVALID_ARGUMENT', events: [{ metric: metric.name, value: Number.NaN }] },
        {
          code: 'API_KEY_INVALID',
          events: [
            { metric: metric.name, value: 1, timestamp: expect.any(Number) },
            { metric: metric.name, value: 2, timestamp: expect.any(Number) },
          ],
        },
      ]);
    });

    it('retries a batch whose answer was lost, and counts its events once', async () => {
      const metric = await server.createMetric(tenant);
      const proxy = await startProxy(server, (n) => (n === 1 ? 'reset-after-response' : 'pass'));
      try {
        const client = createClient({
          apiKey: tenant.ingestKey,
          baseUrl: proxy.url,
          batch: { maxEvents: 4, flushIntervalMs: 60_000 },
          backoff: { initialDelayMs: 20, maxDelayMs: 100 },
        });
        const results = await Promise.all(
          [1, 2, 3, 4].map((value) => client.capture(metric.name, { value })),
        );
        expect(results).toEqual(Array(4).fill({ ok: true, replayed: true }));
        expect(await server.totals(tenant, metric.id)).toEqual({ total: 10, eventCount: 4 });
      } finally {
        await proxy.close();
      }
    });

    it('an event with its own idempotencyKey skips the queue', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
      });
      await client.capture(metric.name, { value: 1 }, { idempotencyKey: 'payment-991' });
      expect(recorder.urls).toEqual([`${server.url}/event/v1/${metric.name}`]);
      await client.close();
    });

    it('an aborted queued event is taken out of the queue', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        onError: () => undefined,
      });
      const controller = new AbortController();
      const kept = client.capture(metric.name, { value: 1 });
      const dropped = client.capture(metric.name, { value: 50 }, { signal: controller.signal });
      controller.abort();
      expect(await rejection(dropped)).toMatchObject({ kind: 'aborted', code: 'ABORTED' });
      await client.close();
      await kept;
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 1, eventCount: 1 });
    });

    it('flush() waits for what was queued when it was called, not for later captures', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
      });
      const before = [1, 2, 3, 4, 5].map((value) => client.capture(metric.name, { value }));
      const flushed = client.flush();
      const during = [10, 20, 30].map((value) => client.capture(metric.name, { value }));
      await flushed;
      await expect(Promise.all(before)).resolves.toHaveLength(5);
      expect(recorder.urls).toHaveLength(1);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 15, eventCount: 5 });
      // The later ones wait for their own turn (here: close).
      await client.close();
      await expect(Promise.all(during)).resolves.toHaveLength(3);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 75, eventCount: 8 });
    });

    it('flush() finishes while captures keep coming', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 10, flushIntervalMs: 60_000 },
      });
      const first = Array.from({ length: 25 }, () => client.capture(metric.name, { value: 1 }));
      let produced = first.length;
      // Always more waiting than one batch takes away: a flush that also sends what arrives
      // meanwhile never ends.
      const producer = setInterval(() => {
        for (let i = 0; i < 20; i++) client.capture(metric.name, { value: 1 });
        produced += 20;
      }, 2);
      try {
        const outcome = await Promise.race([
          client.flush().then(() => 'flushed'),
          delay(15_000).then(() => 'still flushing'),
        ]);
        expect(outcome).toBe('flushed');
        await expect(Promise.all(first)).resolves.toHaveLength(25);
      } finally {
        clearInterval(producer);
      }
      await client.close();
      expect(await server.totals(tenant, metric.id)).toEqual({
        total: produced,
        eventCount: produced,
      });
    });

    it('two flush() at once send each event once', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        fetch: recorder.fetch,
      });
      const captures = [1, 2, 3].map((value) => client.capture(metric.name, { value }));
      await Promise.all([client.flush(), client.flush()]);
      await Promise.all(captures);
      await client.flush();
      expect(recorder.urls).toHaveLength(1);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 6, eventCount: 3 });
    });

    it('onError hears of every failed capture: sent alone, not awaited, with or without batch', async () => {
      const metric = await server.createMetric(tenant);
      const batched = errorLog();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        onError: batched.onError,
      });
      // Its own idempotency key sends it alone, outside the queue: not awaited on purpose.
      client.capture(metric.name, { value: -1 }, { idempotencyKey: 'refund-1' });
      client.capture(metric.name, { value: 0 });
      await client.flush();
      // Two requests side by side: either may fail first.
      const byValue = [...batched.calls].sort(
        (a, b) => (a.events[0]?.value ?? 0) - (b.events[0]?.value ?? 0),
      );
      expect(byValue).toEqual([
        { code: 'VALUE_NOT_POSITIVE', events: [{ metric: metric.name, value: -1 }] },
        {
          code: 'VALUE_NOT_POSITIVE',
          events: [{ metric: metric.name, value: 0, timestamp: expect.any(Number) }],
        },
      ]);

      const alone = errorLog();
      const unbatched = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        onError: alone.onError,
      });
      unbatched.capture('no-such-metric', { value: 1 });
      const awaited = await rejection(unbatched.capture(metric.name, { value: 0 }));
      expect(awaited.code).toBe('VALUE_NOT_POSITIVE');
      // The caller's own abort is its decision: not reported.
      const controller = new AbortController();
      controller.abort();
      await rejection(unbatched.capture(metric.name, { value: 1 }, { signal: controller.signal }));
      await unbatched.flush();
      expect(alone.calls.map((call) => call.code).sort()).toEqual([
        'METRIC_UNKNOWN',
        'VALUE_NOT_POSITIVE',
      ]);
    });

    it('flushes queued events when a Node process ends without close()', async () => {
      const metric = await server.createMetric(tenant);
      const script = fileURLToPath(new URL('./fixtures/exit-without-close.ts', import.meta.url));
      const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
      const started = performance.now();
      const { stdout } = await promisify(execFile)(tsx, [script], {
        env: {
          ...process.env,
          MEASURELY_URL: server.url,
          MEASURELY_API_KEY: tenant.ingestKey,
          METRIC: metric.name,
        },
        timeout: 20_000,
      });
      // The 60 s flush timer did not hold the process.
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(stdout.trim().split('\n').sort()).toEqual(['recorded 1', 'recorded 2', 'recorded 3']);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 6, eventCount: 3 });
    });
  });
}

describe(`a server that takes smaller batches than maxEvents [${DIALECTS[0]}]`, () => {
  let server: LiveServer;
  let tenant: Tenant;

  beforeAll(async () => {
    server = await startServer(DIALECTS[0] ?? 'sqlite', { MEASURELY_MAX_BATCH_EVENTS: '2' });
    tenant = await server.createTenant();
  });
  afterAll(() => server.close());

  it('says to lower batch.maxEvents when the server refuses the batch size', async () => {
    const metric = await server.createMetric(tenant);
    const errors = errorLog();
    const client = createClient({
      apiKey: tenant.ingestKey,
      baseUrl: server.url,
      batch: { maxEvents: 3, flushIntervalMs: 60_000 },
      onError: errors.onError,
    });
    const captures = [1, 2, 3].map((value) => client.capture(metric.name, { value }));
    const error = await rejection(captures[0] ?? Promise.resolve());
    expect(error).toMatchObject({ code: 'BATCH_INVALID', status: 400, retryable: false });
    expect(error.message).toContain('MEASURELY_MAX_BATCH_EVENTS is 2');
    expect(error.message).toContain('lower batch.maxEvents');
    expect(errors.calls).toHaveLength(1);

    const direct = await rejection(
      client.captureBatch([1, 2, 3].map((value) => ({ metric: metric.name, value }))),
    );
    expect(direct.message).toContain('send fewer events per captureBatch call');
    // A batch within the limit goes through.
    await expect(
      client.captureBatch([1, 2].map((value) => ({ metric: metric.name, value }))),
    ).resolves.toMatchObject({ accepted: 2 });
  });
});

describe(`a project whose monthly quota runs out in a batch [${DIALECTS[0]}]`, () => {
  let server: LiveServer;
  let tenant: Tenant;

  beforeAll(async () => {
    server = await startServer(DIALECTS[0] ?? 'sqlite', { MEASURELY_MONTHLY_EVENT_QUOTA: '1' });
    tenant = await server.createTenant();
  });
  afterAll(() => server.close());

  it('the refused event fails as a capture sent alone would: 429, retryable', async () => {
    const metric = await server.createMetric(tenant);
    const client = createClient({
      apiKey: tenant.ingestKey,
      baseUrl: server.url,
      batch: { maxEvents: 2, flushIntervalMs: 60_000 },
      onError: () => undefined,
    });
    const [first, second] = [1, 2].map((value) => client.capture(metric.name, { value }));
    await expect(first).resolves.toEqual({ ok: true, replayed: false });
    expect(await rejection(second ?? Promise.resolve())).toMatchObject({
      kind: 'http',
      code: 'QUOTA_EXCEEDED',
      status: 429,
      retryable: true,
    });
    const alone = await rejection(
      createClient({ apiKey: tenant.ingestKey, baseUrl: server.url, maxRetries: 0 }).capture(
        metric.name,
        { value: 1 },
      ),
    );
    expect(alone).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429, retryable: true });
  });
});

describe('flush and close when the server is down', () => {
  const FAST = { backoff: { initialDelayMs: 20, maxDelayMs: 100 } } as const;

  it('close() against a refused connection retries one batch, then fails the rest at once', async () => {
    const errors = errorLog();
    const recorder = recordingFetch();
    const client = createClient({
      apiKey: `mly_${'A'.repeat(32)}`,
      baseUrl: 'http://127.0.0.1:9',
      maxRetries: 3,
      ...FAST,
      batch: { maxEvents: 100, flushIntervalMs: 60_000, maxQueuedEvents: 1000 },
      onError: errors.onError,
      fetch: recorder.fetch,
    });
    const captures = Array.from({ length: 1000 }, (_, i) => client.capture('m', { value: i + 1 }));
    const started = performance.now();
    await client.close();
    expect(performance.now() - started).toBeLessThan(5000);
    // One batch, 1 + 3 attempts; not 10 batches of 4.
    expect(recorder.urls).toHaveLength(4);
    const outcomes = await Promise.allSettled(captures);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(
      errors.calls.map((call) => [call.code, call.events.length, call.events[0]?.value]),
    ).toEqual([
      ['NETWORK_ERROR', 100, 1],
      ['NETWORK_ERROR', 900, 101],
    ]);
    const skipped = await rejection(captures[500] ?? Promise.resolve());
    expect(skipped).toMatchObject({ kind: 'network', attempts: 0 });
    expect(skipped.message).toMatch(/^Not sent: the batch before it failed/);
  });

  it('close({ timeoutMs }) gives up on a server that never answers', async () => {
    const silent = await startSilentServer();
    const errors = errorLog();
    const client = createClient({
      apiKey: `mly_${'A'.repeat(32)}`,
      baseUrl: silent.url,
      timeoutMs: 10_000,
      batch: { maxEvents: 100, flushIntervalMs: 60_000 },
      onError: errors.onError,
    });
    try {
      const captures = Array.from({ length: 250 }, () => client.capture('m', { value: 1 }));
      const started = performance.now();
      await client.close({ timeoutMs: 300 });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(295);
      expect(elapsed).toBeLessThan(5000);
      const outcomes = await Promise.allSettled(captures);
      const reasons = outcomes.map((outcome) =>
        outcome.status === 'rejected' ? (outcome.reason as MeasurelyError).code : 'resolved',
      );
      expect(new Set(reasons)).toEqual(new Set(['TIMEOUT']));
      const error = await rejection(captures[0] ?? Promise.resolve());
      expect(error).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
      expect(error.message).toContain('close() gave up after 300 ms');
      expect(errors.calls.reduce((sum, call) => sum + call.events.length, 0)).toBe(250);
      expect(silent.requests).toBe(1);
      // Closed for good: the next capture is refused.
      expect(await rejection(client.capture('m', { value: 1 }))).toMatchObject({
        code: 'CLIENT_CLOSED',
      });
    } finally {
      await silent.close();
    }
  });

  it('flush({ signal }) gives up when the signal fires; the client stays usable', async () => {
    const silent = await startSilentServer();
    const errors = errorLog();
    const client = createClient({
      apiKey: `mly_${'A'.repeat(32)}`,
      baseUrl: silent.url,
      batch: { maxEvents: 100, flushIntervalMs: 60_000 },
      onError: errors.onError,
    });
    try {
      const timedOut = client.capture('m', { value: 1 });
      await client.flush({ signal: AbortSignal.timeout(200) });
      expect(await rejection(timedOut)).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });

      const controller = new AbortController();
      const aborted = client.capture('m', { value: 2 });
      setTimeout(() => controller.abort(), 100);
      await client.flush({ signal: controller.signal });
      expect(await rejection(aborted)).toMatchObject({ kind: 'aborted', code: 'ABORTED' });
      expect(errors.calls.map((call) => call.code)).toEqual(['TIMEOUT', 'ABORTED']);

      const invalid = await rejection(client.flush({ timeoutMs: -1 }));
      expect(invalid.code).toBe('INVALID_ARGUMENT');
    } finally {
      await silent.close();
      await client.close({ timeoutMs: 1000 });
    }
  });
});

describe('runtime listeners', () => {
  it('one beforeExit listener serves every client, and only while events wait', async () => {
    const before = process.listenerCount('beforeExit');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const clients = Array.from({ length: 30 }, () =>
        createClient({
          apiKey: `mly_${'A'.repeat(32)}`,
          baseUrl: 'http://127.0.0.1:9',
          maxRetries: 0,
          batch: { maxEvents: 100, flushIntervalMs: 60_000 },
          onError: () => undefined,
        }),
      );
      for (const client of clients) client.capture('m', { value: 1 });
      expect(process.listenerCount('beforeExit')).toBe(before + 1);
      // A client whose queue is empty holds no listener, closed or not.
      await Promise.all(clients.slice(0, 29).map((client) => client.flush()));
      expect(process.listenerCount('beforeExit')).toBe(before + 1);
      await clients[29]?.close();
      expect(process.listenerCount('beforeExit')).toBe(before);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual(
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('queue bounds', () => {
  it('refuses events past maxQueuedEvents with QUEUE_FULL while a batch is stuck', async () => {
    const silent = await startSilentServer();
    const errors = errorLog();
    const client = createClient({
      apiKey: `mly_${'A'.repeat(32)}`,
      baseUrl: silent.url,
      timeoutMs: 60_000,
      maxRetries: 0,
      batch: { maxEvents: 3, flushIntervalMs: 60_000, maxQueuedEvents: 3 },
      onError: errors.onError,
    });
    try {
      for (let i = 0; i < 6; i++) client.capture('m', { value: 1 });
      const full = await rejection(client.capture('m', { value: 1 }));
      expect(full).toMatchObject({ kind: 'client', code: 'QUEUE_FULL' });
      expect(silent.requests).toBeLessThanOrEqual(1);
    } finally {
      await silent.close();
      await client.close();
    }
    expect(errors.calls.map((call) => call.code)).toEqual([
      'QUEUE_FULL',
      'NETWORK_ERROR',
      'NETWORK_ERROR',
    ]);
  });
});
