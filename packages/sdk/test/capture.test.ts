import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import DefaultMeasurely, {
  type BatchEvent,
  type CaptureInput,
  createClient,
  Measurely,
  MeasurelyError,
  type SendOptions,
} from '../src/index.js';
import { rejection } from './helpers.js';
import { DIALECTS, type LiveServer, recordingFetch, startServer, type Tenant } from './server.js';

for (const dialect of DIALECTS) {
  describe(`capture against a real server [${dialect}]`, () => {
    let server: LiveServer;
    let tenant: Tenant;

    beforeAll(async () => {
      server = await startServer(dialect);
      tenant = await server.createTenant();
    });
    afterAll(() => server.close());

    it('records values by name and by id; the totals are exact', async () => {
      const metric = await server.createMetric(tenant);
      // A trailing slash on the base URL is tolerated.
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: `${server.url}/` });
      expect(client.baseUrl).toBe(server.url);
      await expect(client.capture(metric.name, { value: 0.1 })).resolves.toEqual({
        ok: true,
        replayed: false,
      });
      await client.capture(metric.id, { value: 0.2, filters: { plan: 'pro' } });
      await client.capture(metric.name.toUpperCase(), {
        value: 41.7,
        timestamp: new Date(Date.now() - 60_000),
      });
      await client.capture(metric.name, { value: 1, timestamp: Date.now() - 1000 });
      // Known fields given as undefined are as good as absent.
      await client.capture(metric.name, { value: 2, filters: undefined, timestamp: undefined });
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 45, eventCount: 5 });
    });

    it('sends one Idempotency-Key per call: a repeat with the same key is a replay', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const first = await client.capture(metric.name, { value: 5 }, { idempotencyKey: 'order-17' });
      const again = await client.capture(metric.name, { value: 5 }, { idempotencyKey: 'order-17' });
      expect(first.replayed).toBe(false);
      expect(again.replayed).toBe(true);
      await client.capture(metric.name, { value: 5 });
      await client.capture(metric.name, { value: 5 });
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 15, eventCount: 3 });
    });

    it('rejects a refused value with the server code, without retrying', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      const error = await rejection(client.capture(metric.name, { value: -3 }));
      expect(error).toMatchObject({
        kind: 'http',
        code: 'VALUE_NOT_POSITIVE',
        status: 400,
        retryable: false,
        attempts: 1,
      });
      expect(error.problem).toMatchObject({ code: 'VALUE_NOT_POSITIVE', status: 400 });
      expect(error.requestId).toMatch(/\S/);
      expect(error.message).toContain('VALUE_NOT_POSITIVE');
      expect(recorder.statuses).toEqual([400]);

      const tooPrecise = await rejection(client.capture(metric.name, { value: 0.1234567 }));
      expect(tooPrecise.code).toBe('VALUE_TOO_PRECISE');
      const filters = await rejection(
        client.capture(metric.name, { value: 1, filters: { 'bad"key': 'x' } }),
      );
      expect(filters.code).toBe('FILTERS_INVALID');
      expect(recorder.statuses).toEqual([400, 400, 400]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 0, eventCount: 0 });
    });

    it('rejects an unknown key with 401 API_KEY_INVALID and an unknown metric with METRIC_UNKNOWN', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const stranger = createClient({
        apiKey: `mly_${'Z'.repeat(32)}`,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      const error = await rejection(stranger.capture(metric.name, { value: 1 }));
      expect(error).toMatchObject({ code: 'API_KEY_INVALID', status: 401, retryable: false });
      expect(recorder.statuses).toEqual([401]);

      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const unknown = await rejection(client.capture('no-such-metric', { value: 1 }));
      expect(unknown).toMatchObject({ code: 'METRIC_UNKNOWN', status: 401 });

      const reader = createClient({ apiKey: tenant.readKey, baseUrl: server.url });
      const scope = await rejection(reader.capture(metric.name, { value: 1 }));
      expect(scope).toMatchObject({ code: 'KEY_SCOPE_FORBIDDEN', status: 403 });
    });

    it('refuses bad arguments before sending anything', async () => {
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      for (const call of [
        () => client.capture('', { value: 1 }),
        () => client.capture('m', { value: Number.NaN }),
        () => client.capture('m', { value: '1' as unknown as number }),
        () => client.capture('m', { value: 1, timestamp: new Date('nope') }),
        () => client.captureBatch('x' as unknown as []),
        () => client.capture('m', { value: 1 }, 'x' as unknown as SendOptions),
        () => client.capture('m', { value: 1 }, { idempotencyKey: '' }),
        () => client.capture('m', { value: 1 }, { signal: {} as AbortSignal }),
        () => client.flush({ timeoutMs: Number.NaN }),
        () => client.close({ signal: 'soon' as unknown as AbortSignal }),
      ]) {
        const error = await rejection(call());
        expect(error).toMatchObject({ kind: 'client', code: 'INVALID_ARGUMENT' });
      }
      expect(recorder.urls).toEqual([]);
      expect(() => createClient({ apiKey: '' })).toThrow(MeasurelyError);
      expect(() => createClient({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(/http/);
      expect(() => createClient({ apiKey: 'k', timeoutMs: 0 })).toThrow(/timeoutMs/);
      expect(() => createClient({ apiKey: 'k', batch: { maxEvents: 1001 } })).toThrow(/maxEvents/);
      expect(() => createClient({ apiKey: 'k', maxRetryAfterMs: 2 ** 31 })).toThrow(
        /maxRetryAfterMs/,
      );
      expect(() => createClient({ apiKey: 'k', fetch: 'x' as unknown as typeof fetch })).toThrow(
        /fetch/,
      );
      expect(() => createClient({ apiKey: 'k', onError: 'log' as unknown as () => void })).toThrow(
        /onError/,
      );
    });

    it('refuses an unknown field of an event (a typo) before sending anything', async () => {
      const metric = await server.createMetric(tenant);
      const recorder = recordingFetch();
      const reported: string[] = [];
      for (const batch of [undefined, { maxEvents: 1 }]) {
        const client = createClient({
          apiKey: tenant.ingestKey,
          baseUrl: server.url,
          fetch: recorder.fetch,
          batch,
          onError: (error) => reported.push(error.code),
        });
        const typo = await rejection(
          client.capture(metric.name, { value: 1, vaule: 2 } as CaptureInput),
        );
        expect(typo).toMatchObject({ kind: 'client', code: 'INVALID_ARGUMENT', attempts: 1 });
        expect(typo.message).toBe(
          'input has an unknown field "vaule"; an event has value, filters, timestamp.',
        );
        const filter = await rejection(
          client.capture(metric.name, { value: 1, filter: { plan: 'pro' } } as CaptureInput),
        );
        expect(filter.message).toContain('unknown field "filter"');
        const inBatch = await rejection(
          client.captureBatch([
            { metric: metric.name, value: 1 },
            { metric: metric.name, value: 1, filter: { plan: 'pro' } } as BatchEvent,
          ]),
        );
        expect(inBatch).toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(inBatch.message).toBe(
          'events[1] has an unknown field "filter"; an event has value, filters, timestamp, metric.',
        );
      }
      expect(recorder.urls).toEqual([]);
      expect(reported).toEqual(Array(4).fill('INVALID_ARGUMENT'));

      Measurely.init(tenant.ingestKey, { baseUrl: server.url });
      const legacy = await Measurely.capture(metric.name, { value: 1, vaule: 2 } as CaptureInput);
      expect(legacy).toEqual({
        success: false,
        message:
          'INVALID_ARGUMENT: input has an unknown field "vaule"; an event has value, filters, timestamp.',
      });
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 0, eventCount: 0 });
    });

    it('sends a batch in one request and reports each event', async () => {
      const metric = await server.createMetric(tenant);
      const dual = await server.createMetric(tenant, 'dual');
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      const result = await client.captureBatch([
        { metric: metric.name, value: 2 },
        { metric: metric.id, value: 0 },
        { metric: dual.name, value: -7, filters: { side: 'refund' } },
        { metric: 'missing', value: 1 },
      ]);
      expect(result).toMatchObject({
        accepted: 2,
        rejected: 2,
        replayed: false,
        results: [
          { index: 0, ok: true },
          { index: 1, ok: false, code: 'VALUE_NOT_POSITIVE' },
          { index: 2, ok: true },
          { index: 3, ok: false, code: 'METRIC_UNKNOWN' },
        ],
      });
      expect(recorder.statuses).toEqual([200]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 2, eventCount: 1 });
      expect(await server.totals(tenant, dual.id)).toEqual({ total: -7, eventCount: 1 });
    });

    it('a batch resent with the same key counts once (resumable imports)', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const events = [1, 2, 3].map((value) => ({ metric: metric.name, value }));
      const first = await client.captureBatch(events, { idempotencyKey: 'import-a-chunk-0' });
      const again = await client.captureBatch(events, { idempotencyKey: 'import-a-chunk-0' });
      expect(first.replayed).toBe(false);
      expect(again).toMatchObject({ accepted: 3, rejected: 0, replayed: true });
      const reused = await rejection(
        client.captureBatch(events.slice(1), { idempotencyKey: 'import-a-chunk-0' }),
      );
      expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 6, eventCount: 3 });
    });

    it('flush() and close() wait for captures still in flight', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const pending = [
        client.capture(metric.name, { value: 1 }),
        client.capture(metric.name, { value: 2 }),
      ];
      await client.flush();
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 3, eventCount: 2 });
      const last = client.capture(metric.name, { value: 4 });
      await client.close();
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 7, eventCount: 3 });
      await Promise.all([...pending, last]);
    });

    it('an aborted call rejects with ABORTED', async () => {
      const metric = await server.createMetric(tenant);
      const client = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(
        client.capture(metric.name, { value: 1 }, { signal: controller.signal }),
      );
      expect(error).toMatchObject({ kind: 'aborted', code: 'ABORTED' });
    });

    describe('the Measurely-compatible facade', () => {
      it('is the default export too, as in the original package', () => {
        expect(DefaultMeasurely).toBe(Measurely);
      });

      it('answers { success, message } and never throws', async () => {
        const metric = await server.createMetric(tenant);
        Measurely.init(tenant.ingestKey, { baseUrl: server.url });
        await expect(Measurely.capture(metric.name, { value: 2 })).resolves.toEqual({
          success: true,
          message: 'Event recorded.',
        });
        const byId = await Measurely.capture(metric.id, { value: 3, filters: { plan: 'pro' } });
        expect(byId.success).toBe(true);
        const refused = await Measurely.capture(metric.name, { value: -1 });
        expect(refused.success).toBe(false);
        expect(refused.message).toMatch(/^VALUE_NOT_POSITIVE: /);
        const unknown = await Measurely.capture('nope', { value: 1 });
        expect(unknown).toMatchObject({ success: false, message: /^METRIC_UNKNOWN/ });
        const garbage = await Measurely.capture(metric.name, null as unknown as { value: number });
        expect(garbage.success).toBe(false);
        expect(await server.totals(tenant, metric.id)).toEqual({ total: 5, eventCount: 2 });

        // The default base URL, where no server listens here.
        Measurely.init('mly_wrong', { maxRetries: 0 });
        const wrongUrl = await Measurely.capture(metric.name, { value: 1 });
        expect(wrongUrl.success).toBe(false);
      });

      it('init never throws; capture then answers why, as the original did', async () => {
        const metric = await server.createMetric(tenant);
        Measurely.init(tenant.ingestKey, { baseUrl: server.url });
        expect((await Measurely.capture(metric.name, { value: 1 })).success).toBe(true);

        expect(() => Measurely.init('')).not.toThrow();
        await expect(Measurely.capture(metric.name, { value: 1 })).resolves.toEqual({
          success: false,
          message: 'Missing API KEY, please call the init function',
        });
        expect(() => Measurely.init(undefined as unknown as string)).not.toThrow();
        expect((await Measurely.capture(metric.name, { value: 1 })).message).toBe(
          'Missing API KEY, please call the init function',
        );

        expect(() => Measurely.init(tenant.ingestKey, { baseUrl: 'not a url' })).not.toThrow();
        const badUrl = await Measurely.capture(metric.name, { value: 1 });
        expect(badUrl.success).toBe(false);
        expect(badUrl.message).toMatch(
          /^INVALID_ARGUMENT: baseUrl must be an absolute http\(s\) URL/,
        );
        expect(() => Measurely.init(tenant.ingestKey, { timeoutMs: -5 })).not.toThrow();
        expect((await Measurely.capture(metric.name, { value: 1 })).message).toMatch(/timeoutMs/);

        // The failed inits did not keep the earlier client: nothing more was recorded.
        expect(await server.totals(tenant, metric.id)).toEqual({ total: 1, eventCount: 1 });
        Measurely.init(tenant.ingestKey, { baseUrl: server.url });
        expect((await Measurely.capture(metric.name, { value: 1 })).success).toBe(true);
      });
    });
  });
}

describe('the facade before init', () => {
  it("answers success: false with the original SDK's message", async () => {
    vi.resetModules();
    const fresh = await import('../src/index.js');
    await expect(fresh.Measurely.capture('signups', { value: 1 })).resolves.toEqual({
      success: false,
      message: 'Missing API KEY, please call the init function',
    });
  });
});
