import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { rejection } from './helpers.js';
import { DIALECTS, type LiveServer, recordingFetch, startServer, type Tenant } from './server.js';

const utcDay = () => new Date().toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  describe(`read helpers with a read key [${dialect}]`, () => {
    let server: LiveServer;
    let tenant: Tenant;
    let metric: { id: string; name: string };
    /** The UTC day of the captures, or 'midnight' if one passed while they were sent. */
    let capturedOn: string;

    beforeAll(async () => {
      server = await startServer(dialect);
      tenant = await server.createTenant();
      metric = await server.createMetric(tenant);
      const ingest = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      const day = utcDay();
      await ingest.captureBatch([
        { metric: metric.name, value: 10, filters: { plan: 'pro', country: 'fr' } },
        { metric: metric.name, value: 2.5, filters: { plan: 'free', country: 'fr' } },
        { metric: metric.name, value: 30, filters: { plan: 'pro', country: 'de' } },
        { metric: metric.name, value: 0.25 },
      ]);
      capturedOn = day === utcDay() ? day : 'midnight';
    });
    afterAll(() => server.close());

    it('identifies the key, then reuses its project id for every read', async () => {
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.readKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      await expect(client.identify()).resolves.toEqual({
        keyId: tenant.readKeyId,
        projectId: tenant.projectId,
        scope: 'read',
        name: 'read key',
        prefix: tenant.readKey.slice(0, 10),
      });
      await client.series(metric.name, { range: 'last_7_days' });
      await client.summary(metric.id, { range: 'today' });
      await client.metrics();
      await client.filters(metric.name);
      const identifications = recorder.urls.filter((url) => url.endsWith('/api/key'));
      // One explicit identify(), one for the first read; the project id is cached after that.
      expect(identifications).toHaveLength(2);
      expect(
        recorder.urls.filter((url) => url.includes(`/api/projects/${tenant.projectId}/`)),
      ).toHaveLength(4);
    });

    it('series: buckets, summary and groups, narrowed by filters', async () => {
      const client = createClient({ apiKey: tenant.readKey, baseUrl: server.url });
      const series = await client.series(metric.name, {
        range: 'last_7_days',
        granularity: 'day',
        tz: 'Europe/Paris',
      });
      expect(series.metric).toMatchObject({ id: metric.id, name: metric.name, type: 'basic' });
      expect(series.granularity).toBe('day');
      expect(series.tz).toBe('Europe/Paris');
      expect(series.buckets).toHaveLength(7);
      expect(series.buckets.reduce((sum, bucket) => sum + (bucket.sum ?? 0), 0)).toBe(42.75);
      expect(series.summary.total).toMatchObject({ sum: 42.75, count: 4, exact: { sum: '42.75' } });
      expect(series.previousBuckets).toBeUndefined();

      const pro = await client.series(metric.name, {
        range: 'last_7_days',
        filters: { plan: 'pro' },
        previous: true,
      });
      expect(pro.filters).toEqual({ plan: 'pro' });
      expect(pro.summary.total.sum).toBe(40);
      expect(pro.previousBuckets).toHaveLength(pro.buckets.length);

      const grouped = await client.series(metric.name, {
        from: new Date(Date.now() - 86_400_000),
        to: new Date(Date.now() + 60_000),
        groupBy: 'country',
        top: 1,
      });
      expect(grouped.groupBy).toBe('country');
      expect(grouped.groups?.map((group) => [group.value, group.total.sum])).toEqual([
        ['de', 30],
        [null, 12.5],
      ]);
    });

    it('summary: the totals of the window, the previous period and the change', async () => {
      const client = createClient({ apiKey: tenant.readKey, baseUrl: server.url });
      const summary = await client.summary(metric.name, { range: 'last_7_days' });
      expect(summary).toMatchObject({
        value: 42.75,
        total: { sum: 42.75, count: 4 },
        previous: { value: 0, count: 0 },
        change: null,
        allTime: { sum: 42.75, count: 4 },
        before: { value: 0, count: 0 },
      });
      const france = await client.summary(metric.name, {
        range: 'last_7_days',
        filters: { country: 'FR ' },
      });
      expect(france.value).toBe(12.5);
    });

    it('breakdown, filters and the metrics of the project', async () => {
      const client = createClient({ apiKey: tenant.readKey, baseUrl: server.url });
      const breakdown = await client.breakdown(metric.name, { by: 'plan', range: 'last_7_days' });
      expect(breakdown.values.map((v) => [v.value, v.sum])).toEqual([
        ['pro', 40],
        ['free', 2.5],
      ]);
      expect(breakdown.withoutKey).toMatchObject({ sum: 0.25, count: 1 });

      const { keys } = await client.filters(metric.name);
      expect(keys.map((key) => [key.key, [...key.values].sort()])).toEqual([
        ['country', ['de', 'fr']],
        ['plan', ['free', 'pro']],
      ]);

      const metrics = await client.metrics({ tz: 'UTC' });
      const askedOn = utcDay();
      const listed = metrics.find((m) => m.id === metric.id);
      expect(listed).toMatchObject({
        name: metric.name,
        projectId: tenant.projectId,
        totalExact: '42.75',
        eventCount: 4,
      });
      // Recorded "today" unless UTC midnight passed between the captures and this read.
      if (capturedOn === askedOn) expect(listed?.today.count).toBe(4);
      else expect((listed?.today.count ?? 0) + (listed?.yesterday.count ?? 0)).toBe(4);
      expect(listed?.sparkline).toHaveLength(15);
    });

    it('query errors carry the server code and are not retried', async () => {
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.readKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      expect(await rejection(client.series('missing-metric', { range: 'today' }))).toMatchObject({
        code: 'METRIC_NOT_FOUND',
        status: 404,
      });
      expect(
        await rejection(client.series(metric.name, { from: '2026-02-01', to: '2026-01-01' })),
      ).toMatchObject({ code: 'RANGE_INVALID', status: 400 });
      expect(
        await rejection(client.series(metric.name, { range: 'last_7_days', tz: 'Mars/Olympus' })),
      ).toMatchObject({ code: 'TIME_ZONE_INVALID' });
      expect(recorder.statuses).toEqual([200, 404, 400, 400]);
      expect(await rejection(client.breakdown(metric.name, { by: '' }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    it('every read helper takes a signal', async () => {
      const recorder = recordingFetch();
      const client = createClient({
        apiKey: tenant.readKey,
        baseUrl: server.url,
        fetch: recorder.fetch,
      });
      const aborted = new AbortController();
      aborted.abort();
      const signal = aborted.signal;
      for (const read of [
        () => client.identify({ signal }),
        () => client.series(metric.name, { range: 'today' }, { signal }),
        () => client.summary(metric.name, { range: 'today' }, { signal }),
        () => client.breakdown(metric.name, { by: 'plan' }, { signal }),
        () => client.filters(metric.name, { signal }),
        () => client.metrics({ signal }),
      ]) {
        expect(await rejection(read())).toMatchObject({ kind: 'aborted', code: 'ABORTED' });
      }
      expect(recorder.urls).toEqual([]);
      // A signal's timeout is a TIMEOUT; an unused one changes nothing.
      const live = await client.summary(
        metric.name,
        { range: 'last_7_days' },
        { signal: AbortSignal.timeout(10_000) },
      );
      expect(live.total.count).toBe(4);
      const dead = AbortSignal.timeout(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await rejection(client.metrics({ signal: dead }))).toMatchObject({
        kind: 'timeout',
        code: 'TIMEOUT',
      });
    });

    it('an ingest key is refused with KEY_SCOPE_FORBIDDEN; an unknown key with API_KEY_INVALID', async () => {
      const ingest = createClient({ apiKey: tenant.ingestKey, baseUrl: server.url });
      await expect(ingest.identify()).resolves.toMatchObject({ scope: 'ingest' });
      for (const read of [
        () => ingest.series(metric.name, { range: 'today' }),
        () => ingest.summary(metric.name, { range: 'today' }),
        () => ingest.metrics(),
      ]) {
        expect(await rejection(read())).toMatchObject({
          kind: 'http',
          code: 'KEY_SCOPE_FORBIDDEN',
          status: 403,
          retryable: false,
        });
      }
      const stranger = createClient({ apiKey: `mly_${'B'.repeat(32)}`, baseUrl: server.url });
      expect(await rejection(stranger.metrics())).toMatchObject({
        code: 'API_KEY_INVALID',
        status: 401,
      });
      // A failed identification is not cached.
      expect(await rejection(stranger.metrics())).toMatchObject({ code: 'API_KEY_INVALID' });
    });
  });
}
