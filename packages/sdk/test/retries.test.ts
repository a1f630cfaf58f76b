import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { parseRetryAfter, retryDelay } from '../src/transport.js';
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

/** Quick retries, so the tests stay short; the defaults are exercised by the timing tests. */
const FAST = { backoff: { initialDelayMs: 20, maxDelayMs: 200 } } as const;

for (const dialect of DIALECTS) {
  describe(`retries against a real server [${dialect}]`, () => {
    let server: LiveServer;
    let tenant: Tenant;

    beforeAll(async () => {
      server = await startServer(dialect);
      tenant = await server.createTenant();
    });
    afterAll(() => server.close());

    it('survives a server restart mid-run with the default options; each capture counts once', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      // Default retries and backoff: they must outlast a restart of a few seconds.
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      const total = 40;
      let done = 0;
      const run = (async () => {
        for (let i = 0; i < total; i++) {
          await client.capture(metric.name, { value: 1 });
          done++;
        }
      })();
      while (done < 10) await delay(5);
      const port = server.port;
      await server.stop();
      // Down for 3 s, twice what the first retries waited in all with the old defaults.
      await delay(3000);
      const doneWhileDown = done;
      await server.start();
      expect(server.port).toBe(port);
      await run;
      expect(done).toBe(total);
      expect(doneWhileDown).toBeLessThan(total);
      expect(
        recorder.statuses.filter((status) => status === 0 || status >= 500).length,
      ).toBeGreaterThan(0);
      expect(await server.totals(tenant, metric.id)).toEqual({ total, eventCount: total });
    });

    it('a capture started while the server is down succeeds once it is back (defaults)', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      await server.stop();
      let settled = false;
      const pending = client.capture(metric.name, { value: 7 }).finally(() => {
        settled = true;
      });
      await delay(2000);
      expect(settled).toBe(false);
      await server.start();
      await expect(pending).resolves.toEqual({ ok: true, replayed: false });
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 7, eventCount: 1 });
    });

    it('gives up on a refused connection after 1 + maxRetries attempts', async () => {
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: 'http://127.0.0.1:9',
        maxRetries: 2,
        ...FAST,
      });
      const error = await rejection(client.capture('anything', { value: 1 }));
      expect(error).toMatchObject({
        kind: 'network',
        code: 'NETWORK_ERROR',
        retryable: true,
        attempts: 3,
      });
      expect(error.status).toBeUndefined();
    });

    it('stops retrying as soon as the caller aborts', async () => {
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: 'http://127.0.0.1:9',
        maxRetries: 50,
        backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
      });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 150);
      const error = await rejection(
        client.capture('anything', { value: 1 }, { signal: controller.signal }),
      );
      expect(error).toMatchObject({ kind: 'aborted', code: 'ABORTED' });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('never counts twice when the answer is lost after the commit', async () => {
      const metric = await server.createMetric(tenant);
      // The first connection forwards the request, then is reset as the server answers.
      const proxy = await startProxy(server, (n) => (n === 1 ? 'reset-after-response' : 'pass'));
      try {
        const recorder = recordingFetch();
        const client = createClient({
          apiKey: tenant.ingestKey,
          baseUrl: proxy.url,
          fetch: recorder.fetch,
          ...FAST,
        });
        await expect(client.capture(metric.name, { value: 3 })).resolves.toEqual({
          ok: true,
          replayed: true,
        });
        expect(recorder.statuses).toEqual([0, 200]);
        expect(proxy.connections).toBe(2);
        expect(await server.totals(tenant, metric.id)).toEqual({ total: 3, eventCount: 1 });
      } finally {
        await proxy.close();
      }
    });

    it('never counts a batch twice when its answer is lost after the commit', async () => {
      const metric = await server.createMetric(tenant);
      const proxy = await startProxy(server, (n) => (n === 1 ? 'reset-after-response' : 'pass'));
      try {
        const client = createClient({ apiKey: tenant.ingestKey, baseUrl: proxy.url, ...FAST });
        const result = await client.captureBatch(
          Array.from({ length: 50 }, (_, i) => ({ metric: metric.name, value: i + 1 })),
        );
        expect(result).toMatchObject({ accepted: 50, rejected: 0, replayed: true });
        expect(await server.totals(tenant, metric.id)).toEqual({ total: 1275, eventCount: 50 });
      } finally {
        await proxy.close();
      }
    });

    it('never counts twice when the first attempt times out after reaching the server', async () => {
      const metric = await server.createMetric(tenant);
      // The first connection's answer is held forever: the client times out and retries.
      const proxy = await startProxy(server, (n) => (n === 1 ? 'hold' : 'pass'));
      try {
        const recorder = recordingFetch();
        const client = createClient({
          apiKey: tenant.ingestKey,
          baseUrl: proxy.url,
          timeoutMs: 400,
          fetch: recorder.fetch,
          ...FAST,
        });
        const result = await client.capture(metric.name, { value: 9 });
        expect(result.replayed).toBe(true);
        expect(recorder.statuses[0]).toBe(0);
        expect(recorder.statuses.at(-1)).toBe(200);
        expect(await server.totals(tenant, metric.id)).toEqual({ total: 9, eventCount: 1 });
      } finally {
        await proxy.close();
      }
    });
  });

  describe(`429 and Retry-After [${dialect}]`, () => {
    let server: LiveServer;
    let tenant: Tenant;

    beforeAll(async () => {
      // One event per second per key, with a burst of one.
      server = await startServer(dialect, { MEASURELY_RATE_LIMIT: '1' });
      tenant = await server.createTenant();
    });
    afterAll(() => server.close());

    it('waits at least Retry-After, then succeeds; the event counts once', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      await client.capture(metric.name, { value: 1 });
      const started = performance.now();
      await client.capture(metric.name, { value: 1 });
      const waited = performance.now() - started;
      expect(recorder.statuses).toEqual([200, 429, 200]);
      expect(waited).toBeGreaterThanOrEqual(1000);
      // Retry-After is 1 s, plus at most a quarter of the 500 ms backoff: far below 10 s even on
      // a busy machine, far above it if Retry-After were ignored for the default backoff.
      expect(waited).toBeLessThan(10_000);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 2, eventCount: 2 });
    });

    it('without retries, rejects with RATE_LIMITED and the Retry-After delay', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url, maxRetries: 0 });
      await delay(1100);
      await client.capture(metric.name, { value: 1 });
      const error = await rejection(client.capture(metric.name, { value: 1 }));
      expect(error).toMatchObject({
        kind: 'http',
        code: 'RATE_LIMITED',
        status: 429,
        retryable: true,
        retryAfterMs: 1000,
        attempts: 1,
      });
    });

    it('fails at once when Retry-After is longer than maxRetryAfterMs', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        maxRetryAfterMs: 500,
        fetch: recorder.fetch,
      });
      await delay(1100);
      await client.capture(metric.name, { value: 1 });
      const started = performance.now();
      const error = await rejection(client.capture(metric.name, { value: 1 }));
      // Not waited for: a retry would wait at least the 1 s of Retry-After.
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1000, attempts: 1 });
      expect(recorder.statuses).toEqual([200, 429]);
    });
  });
}

describe('timeouts', () => {
  it('a server that never answers: TIMEOUT after timeoutMs × attempts', async () => {
    const silent = await startSilentServer();
    try {
      const client = createClient({
        apiKey: `mly_${'A'.repeat(32)}`,
        baseUrl: silent.url,
        timeoutMs: 300,
        maxRetries: 2,
        backoff: { initialDelayMs: 1, maxDelayMs: 1 },
      });
      const started = performance.now();
      const error = await rejection(client.capture('signups', { value: 1 }));
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({
        kind: 'timeout',
        code: 'TIMEOUT',
        retryable: true,
        attempts: 3,
      });
      expect(error.message).toContain('300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(8000);
      expect(silent.requests).toBe(3);

      const once = createClient({
        apiKey: `mly_${'A'.repeat(32)}`,
        baseUrl: silent.url,
        timeoutMs: 200,
        maxRetries: 0,
      });
      const batchStarted = performance.now();
      const batchError = await rejection(once.captureBatch([{ metric: 'm', value: 1 }]));
      expect(batchError).toMatchObject({ code: 'TIMEOUT', attempts: 1 });
      expect(performance.now() - batchStarted).toBeGreaterThanOrEqual(200);
      expect(performance.now() - batchStarted).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });
});

describe('answers from something other than a Measurely server', () => {
  /** A plain HTTP server answering each request with the next of `answers` (the last repeats). */
  async function scripted(
    answers: Array<{ status: number; headers?: Record<string, string>; body: string }>,
  ) {
    const seen: number[] = [];
    const server = http.createServer((request, response) => {
      request.resume();
      const answer = answers[Math.min(seen.length, answers.length - 1)];
      seen.push(performance.now());
      if (answer === undefined) throw new Error('no answer');
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      seen,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('honours Retry-After given as an HTTP date', async () => {
    const until = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const upstream = await scripted([
      {
        status: 503,
        headers: { 'retry-after': until.toUTCString(), 'content-type': 'text/html' },
        body: '<h1>Maintenance</h1>',
      },
      { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' },
    ]);
    try {
      const client = createClient({ apiKey: 'mly_test', baseUrl: upstream.url });
      await expect(client.capture('m', { value: 1 })).resolves.toEqual({
        ok: true,
        replayed: false,
      });
      expect(upstream.seen).toHaveLength(2);
      expect(Date.now()).toBeGreaterThanOrEqual(until.getTime());
    } finally {
      await upstream.close();
    }
  });

  it('a gateway error without a problem document: retried, then UNEXPECTED_RESPONSE', async () => {
    const upstream = await scripted([
      { status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>Bad gateway</h1>' },
    ]);
    try {
      const client = createClient({
        apiKey: 'mly_test',
        baseUrl: upstream.url,
        maxRetries: 3,
        ...FAST,
      });
      const error = await rejection(client.capture('m', { value: 1 }));
      expect(error).toMatchObject({
        kind: 'http',
        code: 'UNEXPECTED_RESPONSE',
        status: 502,
        retryable: true,
        attempts: 4,
      });
      expect(upstream.seen).toHaveLength(4);
      // Waits of 10-20, 20-40 and 40-80 ms; the default backoff would wait 1.75 s at least.
      const spread = (upstream.seen.at(-1) ?? 0) - (upstream.seen[0] ?? 0);
      expect(spread).toBeGreaterThanOrEqual(70);
      expect(spread).toBeLessThan(1500);
    } finally {
      await upstream.close();
    }
  });

  it('retries 500, 502, 503 and 504 only: 501 and 505 are final', async () => {
    for (const [status, attempts] of [
      [500, 3],
      [501, 1],
      [503, 3],
      [504, 3],
      [505, 1],
    ] as const) {
      const upstream = await scripted([{ status, body: '' }]);
      try {
        const client = createClient({
          apiKey: 'mly_test',
          baseUrl: upstream.url,
          maxRetries: 2,
          ...FAST,
        });
        const error = await rejection(client.capture('m', { value: 1 }));
        expect({ status: error.status, attempts: error.attempts }).toEqual({ status, attempts });
        expect(error.retryable).toBe(attempts > 1);
        expect(upstream.seen).toHaveLength(attempts);
      } finally {
        await upstream.close();
      }
    }
  });

  it('odd Retry-After values: decimals are honoured, junk is ignored, huge ones fail at once', async () => {
    const busy = (retryAfter: string) => ({
      status: 503,
      headers: { 'retry-after': retryAfter },
      body: '',
    });
    const ok = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };

    // 1.5 seconds, though RFC 9110 only has whole ones: waited for, not read as 1 or ignored.
    const decimal = await scripted([busy('1.5'), ok]);
    try {
      const client = createClient({ apiKey: 'mly_test', baseUrl: decimal.url, ...FAST });
      await client.capture('m', { value: 1 });
      expect(decimal.seen).toHaveLength(2);
      expect((decimal.seen[1] ?? 0) - (decimal.seen[0] ?? 0)).toBeGreaterThanOrEqual(1490);
    } finally {
      await decimal.close();
    }

    // Neither delay-seconds nor an HTTP date: the client's own (quick) backoff applies.
    for (const junk of ['5s', 'soon', 'Sat, 31 Feb 2026 25:00:00 GMT', 'Monday 12:00', '1e3']) {
      const upstream = await scripted([busy(junk), busy(junk), ok]);
      try {
        const client = createClient({ apiKey: 'mly_test', baseUrl: upstream.url, ...FAST });
        const started = performance.now();
        await client.capture('m', { value: 1 });
        expect(upstream.seen).toHaveLength(3);
        expect(performance.now() - started).toBeLessThan(1000);
      } finally {
        await upstream.close();
      }
      const final = await scripted([busy(junk)]);
      try {
        const client = createClient({ apiKey: 'mly_test', baseUrl: final.url, maxRetries: 0 });
        const error = await rejection(client.capture('m', { value: 1 }));
        expect(error.retryAfterMs).toBeUndefined();
      } finally {
        await final.close();
      }
    }

    // Longer than maxRetryAfterMs (60 s by default), even past what a timer can hold: no wait.
    for (const huge of ['86400', '9'.repeat(400)]) {
      const upstream = await scripted([busy(huge), ok]);
      try {
        const client = createClient({ apiKey: 'mly_test', baseUrl: upstream.url });
        const started = performance.now();
        const error = await rejection(client.capture('m', { value: 1 }));
        expect(performance.now() - started).toBeLessThan(1000);
        expect(error).toMatchObject({ status: 503, attempts: 1 });
        expect(error.retryAfterMs).toBeGreaterThanOrEqual(86_400_000);
        expect(Number.isFinite(error.retryAfterMs)).toBe(true);
        expect(upstream.seen).toHaveLength(1);
      } finally {
        await upstream.close();
      }
    }
  });

  it('a success that is not JSON is UNEXPECTED_RESPONSE, not retried', async () => {
    const upstream = await scripted([{ status: 200, body: 'hello' }]);
    try {
      const client = createClient({ apiKey: 'mly_test', baseUrl: upstream.url });
      const error = await rejection(client.captureBatch([{ metric: 'm', value: 1 }]));
      expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 200, retryable: false });
      expect(upstream.seen).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);
  it('reads delay-seconds and the three HTTP date forms', () => {
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('0.0001', now)).toBe(1);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Saturday, 28-Nov-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sat Nov 28 12:00:02 2026', now)).toBe(2000);
    expect(parseRetryAfter('Sun Nov  1 12:00:00 2026', now)).toBe(0);
  });

  it('ignores anything else', () => {
    for (const junk of [
      'soon',
      '-1',
      '5s',
      '1e3',
      '1.',
      '.5',
      '',
      'Sat, 31 Feb 2026 12:00:00 GMT',
      'Sat, 28 Nov 2026 25:00:00 GMT',
      'Sat, 28 Nov 2026 12:00:00 CET',
      'Sat, 28 Nov 2026',
      '2026-11-28T12:00:30Z',
      'Monday 12:00',
    ]) {
      expect(parseRetryAfter(junk, now), junk).toBeUndefined();
    }
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('keeps huge values finite', () => {
    expect(parseRetryAfter('9'.repeat(400), now)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseRetryAfter('31536000', now)).toBe(31_536_000_000);
  });
});

describe('retryDelay', () => {
  it('waits between half and all of the exponential cap, capped at maxDelayMs', () => {
    const backoff = { initialDelayMs: 500, maxDelayMs: 10_000 };
    for (let i = 0; i < 200; i++) {
      for (const [retry, cap] of [
        [1, 500],
        [2, 1000],
        [4, 4000],
        [6, 10_000],
        [12, 10_000],
      ] as const) {
        const wait = retryDelay(backoff, retry);
        expect(wait).toBeGreaterThanOrEqual(cap / 2);
        expect(wait).toBeLessThanOrEqual(cap);
      }
      const afterRetryAfter = retryDelay(backoff, 1, 1500);
      expect(afterRetryAfter).toBeGreaterThanOrEqual(1500);
      expect(afterRetryAfter).toBeLessThanOrEqual(1500 + 125);
    }
  });
});
