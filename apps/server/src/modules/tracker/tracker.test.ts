import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import { call, createKey, createMetric } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { FILTER_LIMITS, TRACKED_NEW_VALUES_PER_DAY } from '../ingest/ingest.service.js';
import {
  CHROME,
  FIREFOX,
  freshIp,
  IPHONE,
  metricOf,
  type PageView,
  SITE,
  type TrackerFixture,
  type TrackOptions,
  track,
  trackerFixture,
  trackerTotals,
} from './tracker.fixtures.js';

const DAY = 86_400_000;
const WELL_FORMED_UNKNOWN_KEY = `mly_${'Zz9Yy8Xx'.repeat(4)}`;

/** Today's counts per value of one filter of a tracker metric. */
async function breakdown(
  ctx: TestContext,
  f: TrackerFixture,
  metric: string,
  by: string,
): Promise<Record<string, number>> {
  const response = await call(
    ctx.app,
    'GET',
    `/api/projects/${f.project.id}/metrics/${metric}/breakdown?by=${by}&range=today&limit=1000`,
    { session: f.owner },
  );
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json() as { values: Array<{ value: string; sum: number }> };
  return Object.fromEntries(body.values.map((v) => [v.value, v.sum]));
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

for (const dialect of DIALECTS) {
  describe(`website tracker: POST /track [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    it('records a page view from an allowed origin: 202 with CORS headers for that origin', async () => {
      const f = await trackerFixture(ctx);
      const response = await track(ctx, { key: f.key.secret, path: '/pricing' }, { ip: freshIp() });
      expect(response.statusCode, response.body).toBe(202);
      expect(response.body).toBe('');
      expect(response.headers['access-control-allow-origin']).toBe(SITE);
      expect(response.headers.vary).toContain('Origin');
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 1, visitors: 1 });
      // Beacons and JSON clients alike.
      const json = await track(
        ctx,
        { key: f.key.secret, path: '/pricing' },
        { ip: freshIp(), contentType: 'application/json' },
      );
      expect(json.statusCode).toBe(202);
    });

    it('refuses a malformed page view: 400, 413 and 415', async () => {
      const f = await trackerFixture(ctx);
      const ip = freshIp();
      for (const body of [
        { path: '/' },
        { key: f.key.secret },
        { key: f.key.secret, path: 42 },
        { key: f.key.secret, path: '/', width: -1 },
        { key: f.key.secret, path: '/', referrer: ['a'] },
        { key: f.key.secret, path: '/', cookie: 'x' },
      ]) {
        expectProblem(await track(ctx, body as PageView, { ip }), 400, 'VALIDATION_FAILED');
      }
      expectProblem(await track(ctx, undefined, { ip, raw: '[1,2]' }), 400, 'VALIDATION_FAILED');
      expectProblem(await track(ctx, undefined, { ip, raw: '{"key":' }), 400, 'INVALID_JSON');
      expectProblem(await track(ctx, undefined, { ip, raw: '' }), 400, 'INVALID_JSON');
      const big = await track(ctx, { key: f.key.secret, path: `/${'a'.repeat(5000)}` }, { ip });
      expectProblem(big, 413, 'PAYLOAD_TOO_LARGE');
      const form = await track(ctx, undefined, {
        ip,
        raw: 'key=x&path=/',
        contentType: 'application/x-www-form-urlencoded',
      });
      expectProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 0, visitors: 0 });
    });

    it('refuses unknown and revoked keys (401), and ingest or read keys (403)', async () => {
      const f = await trackerFixture(ctx);
      const ip = freshIp();
      for (const key of [WELL_FORMED_UNKNOWN_KEY, 'not-a-key', '']) {
        const response = await track(ctx, { key, path: '/' }, { ip });
        expectProblem(response, 401, 'API_KEY_INVALID');
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      }
      const read = await createKey(ctx.app, f.owner, f.project.id, 'read');
      for (const key of [f.project.apiKey, read.secret]) {
        expectProblem(await track(ctx, { key, path: '/' }, { ip }), 403, 'KEY_SCOPE_FORBIDDEN');
      }
      await call(ctx.app, 'DELETE', `/api/projects/${f.project.id}/keys/${f.key.id}`, {
        session: f.owner,
      });
      expectProblem(
        await track(ctx, { key: f.key.secret, path: '/' }, { ip }),
        401,
        'API_KEY_INVALID',
      );
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 0, visitors: 0 });
    });

    it('accepts only the allowed origins, subdomains through a wildcard, and needs an Origin', async () => {
      const f = await trackerFixture(ctx, [SITE, 'https://*.example.org', 'http://localhost:8080']);
      const view = { key: f.key.secret, path: '/' };
      for (const origin of [
        'https://shop.example',
        'https://SHOP.example:443',
        'https://blog.example.org',
        'https://a.b.example.org',
        'http://localhost:8080',
        'https://shop.example.',
        'https://blog.example.org.',
      ]) {
        const response = await track(ctx, view, { ip: freshIp(), origin });
        expect(response.statusCode, origin).toBe(202);
        // What the browser compares with its own origin, character for character.
        expect(response.headers['access-control-allow-origin']).toBe(new URL(origin).origin);
      }
      for (const origin of [
        null,
        'null',
        'http://shop.example',
        'https://shop.example:8443',
        'https://evil-shop.example',
        'https://shop.example.evil.test',
        'https://example.org',
        'https://evilexample.org',
        'http://blog.example.org',
        'http://localhost:3000',
        'file://',
        'not a url',
      ]) {
        const response = await track(ctx, view, { ip: freshIp(), origin });
        expectProblem(response, 403, 'ORIGIN_NOT_ALLOWED');
        expect(response.headers['access-control-allow-origin'], String(origin)).toBeUndefined();
      }
      expect((await trackerTotals(ctx, f)).pageviews).toBe(7);
    });

    it('honours Global Privacy Control and Do Not Track while the project says so', async () => {
      const f = await trackerFixture(ctx);
      const view = { key: f.key.secret, path: '/' };
      const project = await call(ctx.app, 'GET', `/api/projects/${f.project.id}`, {
        session: f.owner,
      });
      expect(project.json().project.honourPrivacySignals).toBe(true);
      for (const headers of [{ 'sec-gpc': '1' }, { dnt: '1' }] as Record<string, string>[]) {
        const response = await track(ctx, view, { ip: freshIp(), headers });
        expect(response.statusCode).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe(SITE);
      }
      // What /track.js sends when the browser exposes either signal.
      expect((await track(ctx, { ...view, gpc: true }, { ip: freshIp() })).statusCode).toBe(204);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 0, visitors: 0 });
      const db = ctx.storage.db;
      expect(
        await db
          .selectFrom('trackerVisitors')
          .selectAll()
          .where('projectId', '=', f.project.id)
          .execute(),
      ).toEqual([]);

      const off = await call(ctx.app, 'PATCH', `/api/projects/${f.project.id}`, {
        session: f.owner,
        body: { honourPrivacySignals: false },
      });
      expect(off.statusCode, off.body).toBe(200);
      expect(off.json().project).toMatchObject({
        honourPrivacySignals: false,
        name: f.project.name,
      });
      for (const headers of [
        { 'sec-gpc': '1' },
        { dnt: '1' },
        { 'sec-gpc': '0', dnt: '0' },
      ] as Record<string, string>[]) {
        expect((await track(ctx, view, { ip: freshIp(), headers })).statusCode).toBe(202);
      }
      expect((await track(ctx, { ...view, gpc: true }, { ip: freshIp() })).statusCode).toBe(202);
      expect((await track(ctx, { ...view, gpc: false }, { ip: freshIp() })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 5, visitors: 5 });
      expectProblem(
        await track(ctx, { ...view, gpc: 'yes' }, { ip: freshIp() }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('does not count robots', async () => {
      const f = await trackerFixture(ctx);
      for (const userAgent of [
        'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        'Mozilla/5.0 (Linux; Android 6.0.1) Chrome/131.0 Mobile Safari/537.36 (compatible; bingbot/2.0)',
        '',
      ]) {
        const response = await track(
          ctx,
          { key: f.key.secret, path: '/' },
          { ip: freshIp(), userAgent },
        );
        expect(response.statusCode, userAgent).toBe(204);
      }
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 0, visitors: 0 });
    });

    it('counts visitors once per UTC day, without keeping anything from the day before', async () => {
      const f = await trackerFixture(ctx);
      const view = { key: f.key.secret, path: '/' };
      const ip = freshIp();
      expect((await track(ctx, view, { ip })).statusCode).toBe(202);
      expect((await track(ctx, { ...view, path: '/about' }, { ip })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 2, visitors: 1 });
      expect((await track(ctx, view, { ip, userAgent: FIREFOX })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 3, visitors: 2 });

      const db = ctx.storage.db;
      const before = await db.selectFrom('trackerSalts').selectAll().execute();
      const today = new Date(ctx.clock.now()).toISOString().slice(0, 10);
      expect(before.map((s) => s.day)).toEqual([today]);

      // Just after midnight, UTC: the same visitor is a visitor of the new day.
      const now = ctx.clock.now();
      ctx.clock.set(Math.floor(now / DAY) * DAY + DAY + 1000);
      const tomorrow = new Date(ctx.clock.now()).toISOString().slice(0, 10);
      expect((await track(ctx, view, { ip })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 4, visitors: 3 });
      await expect
        .poll(async () =>
          (await db.selectFrom('trackerSalts').select('day').execute()).map((s) => s.day),
        )
        .toEqual([tomorrow]);
      const salts = await db.selectFrom('trackerSalts').selectAll().execute();
      expect(salts[0]?.salt).not.toBe(before[0]?.salt);
      const days = await db.selectFrom('trackerVisitors').select('day').distinct().execute();
      expect(days.map((d) => d.day)).toEqual([tomorrow]);
    });

    it('counts one visitor for first page views sent at the same time', async () => {
      const f = await trackerFixture(ctx);
      const ip = freshIp();
      const responses = await Promise.all(
        ['/', '/a', '/b', '/c'].map((path) => track(ctx, { key: f.key.secret, path }, { ip })),
      );
      expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 202]);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 4, visitors: 1 });
      expect((await track(ctx, { key: f.key.secret, path: '/' }, { ip })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 5, visitors: 1 });
    });

    it('records the path without query or fragment, the referrer host, the device and the browser', async () => {
      const f = await trackerFixture(ctx);
      const key = f.key.secret;
      const views: Array<[PageView, TrackOptions]> = [
        [{ key, path: '/Pricing?email=ada@example.com#plans', referrer: 'www.Google.com' }, {}],
        [{ key, path: '/blog/caf%C3%A9', referrer: 'https://news.ycombinator.com/item?id=1' }, {}],
        [{ key, path: '/pricing', referrer: 'shop.example' }, { userAgent: IPHONE }],
        [{ key, path: 'docs' }, { userAgent: FIREFOX }],
        [{ key, path: '/', referrer: 'www.shop.example' }, { userAgent: 'Mozilla/5.0 Unknown' }],
        // An escaped "?" belongs to the path: it stays escaped, never read as a query.
        [{ key, path: '/search%3Fq', referrer: 'shop.example.' }, {}],
      ];
      for (const [view, options] of views) {
        const response = await track(ctx, view, { ip: freshIp(), ...options });
        expect(response.statusCode, response.body).toBe(202);
      }
      expect(await breakdown(ctx, f, 'pageviews', 'path')).toEqual({
        '/pricing': 2,
        '/blog/café': 1,
        '/docs': 1,
        '/': 1,
        '/search%3fq': 1,
      });
      expect(await breakdown(ctx, f, 'pageviews', 'referrer')).toEqual({
        'google.com': 1,
        'news.ycombinator.com': 1,
        direct: 1,
      });
      expect(await breakdown(ctx, f, 'pageviews', 'device')).toEqual({ desktop: 5, mobile: 1 });
      expect(await breakdown(ctx, f, 'pageviews', 'browser')).toEqual({
        chrome: 3,
        safari: 1,
        firefox: 1,
        other: 1,
      });
      expect(await breakdown(ctx, f, 'visitors', 'browser')).toEqual({
        chrome: 3,
        safari: 1,
        firefox: 1,
        other: 1,
      });
      const filters = await call(
        ctx.app,
        'GET',
        `/api/projects/${f.project.id}/metrics/pageviews/filters`,
        {
          session: f.owner,
        },
      );
      expect(filters.body).not.toContain('ada@example.com');
      expect(filters.body).not.toContain('plans');
    });

    it('never loses a page view to the path limit: new paths past it count as (other)', async () => {
      const f = await trackerFixture(ctx);
      const pageviews = await metricOf(ctx, f, 'pageviews');
      // The metric already holds all but two of the paths it may take.
      const known = FILTER_LIMITS.maxValuesPerKey - 2;
      await ctx.storage.db
        .insertInto('metricFilterValues')
        .values(
          Array.from({ length: known }, (_, i) => ({
            metricId: pageviews.id,
            key: 'path',
            value: `/known/${i}`,
            firstSeenAt: ctx.clock.now(),
          })),
        )
        .execute();
      const key = f.key.secret;
      for (const path of ['/new/1', '/new/2', '/new/3', '/known/7', '/new/1']) {
        const response = await track(ctx, { key, path }, { ip: freshIp() });
        expect(response.statusCode, path).toBe(202);
      }
      expect(await breakdown(ctx, f, 'pageviews', 'path')).toEqual({
        '/new/1': 2,
        '(other)': 2,
        '/known/7': 1,
      });
      expect((await metricOf(ctx, f, 'pageviews')).total).toBe(5);
    });

    it('counts a page view without its path when ingest keys filled every path but (other)', async () => {
      const f = await trackerFixture(ctx);
      const pageviews = await metricOf(ctx, f, 'pageviews');
      await ctx.storage.db
        .insertInto('metricFilterValues')
        .values(
          Array.from({ length: FILTER_LIMITS.maxValuesPerKey }, (_, i) => ({
            metricId: pageviews.id,
            key: 'path',
            value: `/known/${i}`,
            firstSeenAt: ctx.clock.now(),
          })),
        )
        .execute();
      const key = f.key.secret;
      for (const path of ['/new', '/known/3']) {
        expect((await track(ctx, { key, path }, { ip: freshIp() })).statusCode, path).toBe(202);
      }
      expect(await breakdown(ctx, f, 'pageviews', 'path')).toEqual({ '/known/3': 1 });
      expect(await breakdown(ctx, f, 'pageviews', 'device')).toEqual({ desktop: 2 });
      expect((await metricOf(ctx, f, 'pageviews')).total).toBe(2);
    });

    it(`adds at most ${TRACKED_NEW_VALUES_PER_DAY} new paths a day; later new ones count as (other) until the next`, async () => {
      const f = await trackerFixture(ctx);
      const key = f.key.secret;
      const send = async (path: string, referrer?: string) => {
        const view = { key, path, ...(referrer === undefined ? {} : { referrer }) };
        const response = await track(ctx, view, { ip: freshIp() });
        expect(response.statusCode, response.body).toBe(202);
      };
      // A copied key and forged Origin headers, one new path (and referrer) per page view.
      for (let i = 0; i < TRACKED_NEW_VALUES_PER_DAY; i++)
        await send(`/spam/${i}`, `spam${i}.test`);
      await send('/spam/late', 'late.test');
      // Paths (and referrers) already known still count as themselves.
      await send('/spam/7', 'spam7.test');
      const paths = await breakdown(ctx, f, 'pageviews', 'path');
      expect(Object.keys(paths)).toHaveLength(TRACKED_NEW_VALUES_PER_DAY + 1);
      expect(paths).toMatchObject({ '(other)': 1, '/spam/7': 2 });
      const referrers = await breakdown(ctx, f, 'pageviews', 'referrer');
      expect(referrers).toMatchObject({ '(other)': 1, 'spam7.test': 2 });
      // Device and browser have their own allowance: they are still recorded.
      expect(await breakdown(ctx, f, 'pageviews', 'browser')).toEqual({
        chrome: TRACKED_NEW_VALUES_PER_DAY + 2,
      });

      ctx.clock.set(Math.floor(ctx.clock.now() / DAY) * DAY + DAY + 1000);
      await send('/tomorrow');
      const filters = await call(
        ctx.app,
        'GET',
        `/api/projects/${f.project.id}/metrics/pageviews/filters`,
        { session: f.owner },
      );
      expect(filters.body).toContain('/tomorrow');
    });

    it('counts against the monthly quota, and answers 429 when it is used up', async () => {
      const f = await trackerFixture(ctx);
      const setQuota = async (quota: number | null) => {
        await ctx.storage.db
          .updateTable('projects')
          .set({ monthlyEventQuota: quota })
          .where('id', '=', f.project.id)
          .execute();
        // Past the cache of the project's limits.
        ctx.clock.advance(5_000);
      };
      await setQuota(3);
      const key = f.key.secret;
      // A first visit is two events (a page view and a visitor).
      expect((await track(ctx, { key, path: '/' }, { ip: freshIp() })).statusCode).toBe(202);
      const ip = freshIp();
      // Only the page view fits: the visitor is not counted, and counts when they come back.
      expect((await track(ctx, { key, path: '/' }, { ip })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 2, visitors: 1 });
      const over = await track(ctx, { key, path: '/' }, { ip });
      expectProblem(over, 429, 'QUOTA_EXCEEDED');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      await setQuota(null);
      expect((await track(ctx, { key, path: '/' }, { ip })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 3, visitors: 2 });
    });

    it('creates the tracker metrics again when they were deleted', async () => {
      const f = await trackerFixture(ctx);
      const deleted = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${f.project.id}/metrics/visitors`,
        {
          session: f.owner,
        },
      );
      expect(deleted.statusCode).toBe(204);
      expect(
        (await track(ctx, { key: f.key.secret, path: '/' }, { ip: freshIp() })).statusCode,
      ).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 1, visitors: 1 });
      expect((await metricOf(ctx, f, 'visitors')).type).toBe('basic');
    });

    it('refuses page views with 409 TRACKER_METRIC_CONFLICT while a tracker metric is not basic', async () => {
      const f = await trackerFixture(ctx);
      const view = { key: f.key.secret, path: '/' };
      for (const name of ['pageviews', 'visitors']) {
        const url = `/api/projects/${f.project.id}/metrics/${name}`;
        const removed = await call(ctx.app, 'DELETE', url, { session: f.owner });
        expect(removed.statusCode, removed.body).toBe(204);
      }
      // Both gone, one of them back as a dual metric: nothing is created, nothing recorded.
      await createMetric(ctx.app, f.owner, f.project.id, { name: 'pageviews', type: 'dual' });
      const refused = await track(ctx, view, { ip: freshIp() });
      expectProblem(refused, 409, 'TRACKER_METRIC_CONFLICT');
      expect(refused.json().detail).toContain('pageviews');
      expect(refused.headers['access-control-allow-origin']).toBe(SITE);
      const visitors = await call(
        ctx.app,
        'GET',
        `/api/projects/${f.project.id}/metrics/visitors`,
        {
          session: f.owner,
        },
      );
      expect(visitors.statusCode).toBe(404);

      const renamed = await call(
        ctx.app,
        'PATCH',
        `/api/projects/${f.project.id}/metrics/pageviews`,
        {
          session: f.owner,
          body: { name: 'pageviews-old' },
        },
      );
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect((await track(ctx, view, { ip: freshIp() })).statusCode).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 1, visitors: 1 });

      // With both metrics there, one of another type is refused as well.
      const dualVisitors = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${f.project.id}/metrics/visitors`,
        {
          session: f.owner,
        },
      );
      expect(dualVisitors.statusCode).toBe(204);
      await createMetric(ctx.app, f.owner, f.project.id, { name: 'visitors', type: 'average' });
      expectProblem(await track(ctx, view, { ip: freshIp() }), 409, 'TRACKER_METRIC_CONFLICT');
      expect((await metricOf(ctx, f, 'pageviews')).total).toBe(1);
    });

    it('a public key reads nothing: export, live and /api/key answer 403', async () => {
      const f = await trackerFixture(ctx);
      const bearer = { authorization: `Bearer ${f.key.secret}` };
      for (const url of [
        `/api/projects/${f.project.id}/metrics/pageviews/events?from=2026-11-01T00:00:00Z&to=2026-11-29T00:00:00Z`,
        `/api/projects/${f.project.id}/live`,
        '/api/key',
      ]) {
        const response = await call(ctx.app, 'GET', url, { headers: bearer });
        expectProblem(response, 403, 'KEY_SCOPE_FORBIDDEN');
      }
    });

    it('stores no address and no user agent in clear, anywhere', async () => {
      const f = await trackerFixture(ctx);
      const ip = '203.0.113.77';
      const userAgent = `${CHROME} MeasurelyProbe/4.2`;
      for (const path of ['/', '/a', '/b']) {
        expect((await track(ctx, { key: f.key.secret, path }, { ip, userAgent })).statusCode).toBe(
          202,
        );
      }
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 3, visitors: 1 });
      const db = ctx.storage.db;
      const tables = (await db.introspection.getTables({ withInternalKyselyTables: true })).map(
        (t) => t.name,
      );
      expect(tables).toEqual(expect.arrayContaining(['tracker_salts', 'tracker_visitors']));
      const dump: Record<string, unknown[]> = {};
      for (const table of tables) {
        dump[table] = await (db as unknown as AnyDb).selectFrom(table).selectAll().execute();
      }
      expect(dump.tracker_visitors?.length).toBeGreaterThan(0);
      const text = JSON.stringify(dump);
      for (const needle of [ip, '203.0.113', 'MeasurelyProbe', userAgent]) {
        expect(text).not.toContain(needle);
      }
    });

    it('answers the preflight of JSON clients with *, never echoing the Origin', async () => {
      for (const origin of [SITE, 'https://evil.example']) {
        const response = await ctx.app.inject({
          method: 'OPTIONS',
          url: '/track',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        expect(response.statusCode).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe('*');
        expect(response.headers['access-control-allow-methods']).toContain('POST');
        expect(response.headers['access-control-allow-headers']).toBe('Content-Type');
        expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      }
      // The page view itself is still refused from an origin the key does not allow.
      const f = await trackerFixture(ctx);
      const json = await track(
        ctx,
        { key: f.key.secret, path: '/' },
        { ip: freshIp(), origin: 'https://evil.example', contentType: 'application/json' },
      );
      expectProblem(json, 403, 'ORIGIN_NOT_ALLOWED');
    });
  });

  describe(`website tracker: rate limit and logs [${dialect}]`, () => {
    let ctx: TestContext;
    const logs: string[] = [];
    beforeAll(async () => {
      const logStream = new Writable({
        write(chunk, _encoding, done) {
          logs.push(String(chunk));
          done();
        },
      });
      ctx = await createTestApp(dialect, {
        env: { MEASURELY_TRACKER_RATE_LIMIT: '2', LOG_LEVEL: 'info' },
        logStream,
      });
    });
    afterAll(() => ctx.close());

    it('limits page views per visitor IP with 429 and Retry-After; another IP is not limited', async () => {
      const f = await trackerFixture(ctx);
      const view = { key: f.key.secret, path: '/' };
      const ip = freshIp();
      expect((await track(ctx, view, { ip })).statusCode).toBe(202);
      expect((await track(ctx, view, { ip })).statusCode).toBe(202);
      const limited = await track(ctx, view, { ip });
      expectProblem(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.headers['ratelimit-policy']).toContain('q=2');
      // Refused before the key is even looked up: no origin is known to be allowed.
      expect(limited.headers['access-control-allow-origin']).toBeUndefined();

      const other = await track(ctx, view, { ip: freshIp() });
      expect(other.statusCode).toBe(202);
      // IPv6 visitors are limited per /64, the block one client gets.
      const v6 = ['2001:db8:7:1::1', '2001:db8:7:1:aaaa::2', '2001:0db8:0007:0001::3'];
      expect((await track(ctx, view, { ip: v6[0] })).statusCode).toBe(202);
      expect((await track(ctx, view, { ip: v6[1] })).statusCode).toBe(202);
      expectProblem(await track(ctx, view, { ip: v6[2] }), 429, 'RATE_LIMITED');
      expect((await track(ctx, view, { ip: '2001:db8:7:2::1' })).statusCode).toBe(202);

      ctx.clock.advance(Number(limited.headers['retry-after']) * 1000);
      expect((await track(ctx, view, { ip })).statusCode).toBe(202);
      expect((await trackerTotals(ctx, f)).pageviews).toBe(7);
    });

    it('limits unknown keys and foreign origins too: the visitor’s rate comes first', async () => {
      const f = await trackerFixture(ctx);
      const unknown = { key: WELL_FORMED_UNKNOWN_KEY, path: '/' };
      let ip = freshIp();
      expectProblem(await track(ctx, unknown, { ip }), 401, 'API_KEY_INVALID');
      expectProblem(await track(ctx, unknown, { ip }), 401, 'API_KEY_INVALID');
      expectProblem(await track(ctx, unknown, { ip }), 429, 'RATE_LIMITED');
      // The allowance is the visitor's, whatever they send: a real key waits as well.
      expectProblem(
        await track(ctx, { key: f.key.secret, path: '/' }, { ip }),
        429,
        'RATE_LIMITED',
      );

      ip = freshIp();
      const elsewhere = { ip, origin: 'https://elsewhere.example' };
      const view = { key: f.key.secret, path: '/' };
      expectProblem(await track(ctx, view, elsewhere), 403, 'ORIGIN_NOT_ALLOWED');
      expectProblem(await track(ctx, view, elsewhere), 403, 'ORIGIN_NOT_ALLOWED');
      expectProblem(await track(ctx, view, elsewhere), 429, 'RATE_LIMITED');
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 0, visitors: 0 });
    });

    it('logs neither the visitor’s address nor their user agent', async () => {
      const f = await trackerFixture(ctx);
      const ip = '203.0.113.99';
      const userAgent = `${CHROME} LogProbe/1.0`;
      const view = { key: f.key.secret, path: '/' };
      expect((await track(ctx, view, { ip, userAgent })).statusCode).toBe(202);
      expect((await track(ctx, view, { ip, userAgent })).statusCode).toBe(202);
      expect((await track(ctx, view, { ip, userAgent })).statusCode).toBe(429);
      const elsewhere = { ip: '203.0.113.98', userAgent, origin: 'https://elsewhere.example' };
      expect((await track(ctx, view, elsewhere)).statusCode).toBe(403);
      // The logs were captured: another route's request is in them.
      await ctx.app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': 'probe' },
      });
      const text = logs.join('');
      expect(text).toContain('"requestId":"probe"');
      expect(text).not.toContain('203.0.113.99');
      expect(text).not.toContain('203.0.113.98');
      expect(text).not.toContain('LogProbe');
    });
  });

  describe(`website tracker: /track.js [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    it('serves the script as JavaScript, cacheable, to any origin, at most 2 KB gzipped', async () => {
      const response = await ctx.app.inject({
        method: 'GET',
        url: '/track.js',
        headers: { 'accept-encoding': 'gzip', origin: 'https://anywhere.example' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
      expect(response.rawPayload.length).toBeLessThanOrEqual(2048);
      const source = gunzipSync(response.rawPayload).toString('utf8');
      expect(source).toContain('/track');
      expect(source).toContain('data-key');
      // It calls no other server: the only URL it builds is its own endpoint.
      expect(source).not.toMatch(/https?:\/\//);

      const plain = await ctx.app.inject({ method: 'GET', url: '/track.js' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body).toBe(source);

      const etag = response.headers.etag;
      expect(etag).toMatch(/^"[\w-]+"$/);
      const revalidated = await ctx.app.inject({
        method: 'GET',
        url: '/track.js',
        headers: { 'if-none-match': String(etag) },
      });
      expect(revalidated.statusCode).toBe(304);
      expect(revalidated.body).toBe('');
    });

    it('compresses as Accept-Encoding allows, never with a coding it refuses (q=0)', async () => {
      const cases: Array<[string, string | undefined]> = [
        ['gzip, deflate, br', 'br'],
        ['br;q=0, gzip', 'gzip'],
        ['br;q=0.0, gzip;q=0.5', 'gzip'],
        ['br; q=0, gzip; q=0', undefined],
        ['*', 'br'],
        ['br;q=0, *', 'gzip'],
        ['*;q=0', undefined],
        ['identity', undefined],
      ];
      for (const [accepted, expected] of cases) {
        const response = await ctx.app.inject({
          method: 'GET',
          url: '/track.js',
          headers: { 'accept-encoding': accepted },
        });
        expect(response.statusCode, accepted).toBe(200);
        expect(response.headers['content-encoding'], accepted).toBe(expected);
      }
    });
  });
}
