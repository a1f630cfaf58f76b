// The SDK's built package (packages/sdk/dist), imported by a page as a browser would load it from
// a CDN or a bundle, sending events to the real server; totals are checked through the API.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Sdk from '@measurely/sdk';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { browserPerFile, makeTenant, PATIENCE } from './harness.js';

const SDK_DIST = fileURLToPath(new URL('../../../packages/sdk/dist/', import.meta.url));
const e2e = browserPerFile({ timezoneId: 'UTC' });

/** A page that imports the package as an ES module, as a site's own script would. */
function sdkPage(origin: string): string {
  return `<!doctype html><html lang="en"><head><title>SDK page</title>
<script>${FETCH_RECORDER}</script>
<script type="module">import * as sdk from '${origin}/sdk/index.js'; window.measurely = sdk;</script>
</head><body><h1>SDK page</h1></body></html>`;
}

/** One of the package's built files, by its URL path (`/sdk/client.js`), or undefined. */
function sdkFile(pathname: string): string | undefined {
  const match = /^\/sdk\/([\w-]+\.js)$/.exec(pathname);
  return match?.[1] === undefined ? undefined : readFileSync(path.join(SDK_DIST, match[1]), 'utf8');
}

/** Serves the SDK page and the package on the server's own origin, through page.route. */
async function openOnServerOrigin(page: Page): Promise<void> {
  const origin = e2e.baseUrl;
  await page.route(`${origin}/sdk/**`, async (route) => {
    const body = sdkFile(new URL(route.request().url()).pathname);
    if (body === undefined) await route.fulfill({ status: 404, body: 'not found' });
    else await route.fulfill({ status: 200, contentType: 'text/javascript', body });
  });
  await page.route(`${origin}/sdk.html`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: sdkPage(origin) }),
  );
  await page.goto(`${origin}/sdk.html`);
  await page.waitForFunction(() => 'measurely' in window);
}

/**
 * Another site on this machine (a real HTTP server on another port, so Chromium's local network
 * rules see a loopback page calling a loopback server) serving the SDK page.
 */
async function startOtherSite(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const script = sdkFile(pathname);
    if (pathname === '/sdk.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(sdkPage(origin));
    } else if (script !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    // The browser may hold a connection it opened ahead of a request (a preconnect): close()
    // alone would wait for it until the server's headers timeout.
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The package as the page imported it, and the fetch recorder of {@link FETCH_RECORDER}. */
declare global {
  interface Window {
    measurely: typeof Sdk;
  }
  function recordFetches(options?: { holdFirst?: boolean }): void;
  function readFetches(): SentRequest[];
  function releaseHeld(): void;
}

/** One fetch the page made, as {@link FETCH_RECORDER} saw it. */
interface SentRequest {
  url: string;
  keepalive: boolean;
  bytes: number;
  chars: number;
  /** How many of the page's earlier fetches had been answered when this one started. */
  answeredBefore: number;
}

/**
 * Wraps the page's fetch to record each request's keepalive flag and body size in
 * localStorage, which outlives the page: the requests of a page leave can be read afterwards.
 * With `holdFirst`, the first request waits until `releaseHeld()`, as on a slow network.
 */
const FETCH_RECORDER = `
window.recordFetches = ({ holdFirst = false } = {}) => {
  localStorage.setItem('sent', '[]');
  const original = window.fetch.bind(window);
  let answered = 0;
  let calls = 0;
  window.fetch = (input, init = {}) => {
    const body = typeof init.body === 'string' ? init.body : '';
    const sent = JSON.parse(localStorage.getItem('sent') ?? '[]');
    sent.push({
      url: String(input),
      keepalive: init.keepalive === true,
      bytes: new TextEncoder().encode(body).byteLength,
      chars: body.length,
      answeredBefore: answered,
    });
    localStorage.setItem('sent', JSON.stringify(sent));
    calls++;
    const response =
      holdFirst && calls === 1
        ? new Promise((resolve) => { window.releaseHeld = () => resolve(original(input, init)); })
        : original(input, init);
    response.finally(() => { answered++; }).catch(() => undefined);
    return response;
  };
};
window.readFetches = () => JSON.parse(localStorage.getItem('sent') ?? '[]');
`;

/** A filter value of 100 two-byte characters. */
const NOTE = 'é'.repeat(100);

async function metricTotals(
  metric: string,
  projectId: string,
): Promise<{ total: number; eventCount: number }> {
  const response = await e2e.request.get(
    e2e.url(`/api/projects/${projectId}/metrics/${encodeURIComponent(metric)}`),
  );
  expect(response.status()).toBe(200);
  const { total, eventCount } = (await response.json()).metric;
  return { total, eventCount };
}

/** A signed-in user (cookies are cleared before each test) with a project and its metrics. */
async function setUp(
  tag: string,
): Promise<{ projectId: string; apiKey: string; metricId: string }> {
  const tenant = await makeTenant(e2e, tag, [
    { name: 'signups', type: 'basic' },
    { name: 'clicks', type: 'basic' },
    { name: 'cart', type: 'dual' },
  ]);
  const response = await e2e.request.get(
    e2e.url(`/api/projects/${tenant.projectId}/metrics/signups`),
  );
  return { ...tenant, metricId: (await response.json()).metric.id };
}

describe('the SDK in a browser', () => {
  test('a page on the server origin captures, batches and reads back with the built package', async () => {
    const { page } = e2e;
    const tenant = await setUp('sdk-same-origin');
    const { metricId } = tenant;
    await openOnServerOrigin(page);
    const created = await e2e.request.post(e2e.url(`/api/projects/${tenant.projectId}/keys`), {
      data: { name: 'browser reads', scope: 'read' },
    });
    expect(created.status()).toBe(201);
    const readKey: string = (await created.json()).key.secret;

    const outcome = await page.evaluate(
      async ({ apiKey, readKey, metricId }) => {
        const sdk = window.measurely;
        const client = sdk.createClient({ apiKey, baseUrl: `${location.origin}/` });
        const single = await client.capture('signups', { value: 2, filters: { plan: 'pro' } });
        await client.capture(metricId, { value: 3, timestamp: new Date() });
        let refused = { code: '', isError: false, status: 0 };
        try {
          await client.capture('signups', { value: -1 });
        } catch (caught) {
          const error = caught as Sdk.MeasurelyError;
          refused = {
            code: error.code,
            isError: caught instanceof sdk.MeasurelyError,
            status: error.status ?? 0,
          };
        }
        const batched = sdk.createClient({
          apiKey,
          baseUrl: location.origin,
          batch: { maxEvents: 50, flushIntervalMs: 60_000 },
        });
        const queued = Array.from({ length: 10 }, () => batched.capture('clicks', { value: 1 }));
        const dual = batched.capture('cart', { value: -4.5 });
        await batched.close();
        const settled = await Promise.all([...queued, dual]);
        const batch = await client.captureBatch([
          { metric: 'signups', value: 5 },
          { metric: 'signups', value: 0 },
        ]);
        const reader = sdk.createClient({ apiKey: readKey, baseUrl: location.origin });
        const summary = await reader.summary('signups', { range: 'last_7_days' });
        const metrics = await reader.metrics();
        return {
          single,
          refused,
          settled: settled.length,
          batch: { accepted: batch.accepted, rejected: batch.rejected },
          summaryCount: summary.total.count,
          summarySum: summary.total.sum,
          metricNames: metrics.map((m) => m.name).sort(),
        };
      },
      { apiKey: tenant.apiKey, readKey, metricId },
    );

    expect(outcome).toEqual({
      single: { ok: true, replayed: false },
      refused: { code: 'VALUE_NOT_POSITIVE', isError: true, status: 400 },
      settled: 11,
      batch: { accepted: 1, rejected: 1 },
      summaryCount: 3,
      summarySum: 10,
      metricNames: ['cart', 'clicks', 'signups'],
    });
    expect(await metricTotals('signups', tenant.projectId)).toEqual({ total: 10, eventCount: 3 });
    expect(await metricTotals('clicks', tenant.projectId)).toEqual({ total: 10, eventCount: 10 });
    expect(await metricTotals('cart', tenant.projectId)).toEqual({ total: -4.5, eventCount: 1 });
  });

  test('a page on another origin sends events across origins (CORS, Idempotency-Key, replay)', async () => {
    const { page } = e2e;
    const tenant = await setUp('sdk-cross-origin');
    const site = await startOtherSite();
    try {
      await page.goto(`${site.origin}/sdk.html`);
      await page.waitForFunction(() => 'measurely' in window);
      const before = await metricTotals('clicks', tenant.projectId);
      const outcome = await page.evaluate(
        async ({ apiKey, baseUrl }) => {
          const sdk = window.measurely;
          const client = sdk.createClient({ apiKey, baseUrl });
          const first = await client.capture('clicks', { value: 7 }, { idempotencyKey: 'click-1' });
          const again = await client.capture('clicks', { value: 7 }, { idempotencyKey: 'click-1' });
          sdk.Measurely.init(apiKey, { baseUrl });
          const facade = await sdk.Measurely.capture('clicks', {
            value: 1,
            filters: { page: 'home' },
          });
          const facadeRefused = await sdk.Measurely.capture('nope', { value: 1 });
          return { origin: location.origin, first, again, facade, facadeRefused };
        },
        { apiKey: tenant.apiKey, baseUrl: e2e.baseUrl },
      );
      expect(outcome.origin).toBe(site.origin);
      expect(outcome.origin).not.toBe(new URL(e2e.baseUrl).origin);
      expect(outcome.first).toEqual({ ok: true, replayed: false });
      expect(outcome.again).toEqual({ ok: true, replayed: true });
      expect(outcome.facade).toEqual({ success: true, message: 'Event recorded.' });
      expect(outcome.facadeRefused.success).toBe(false);
      expect(outcome.facadeRefused.message).toMatch(/^METRIC_UNKNOWN/);
      expect(await metricTotals('clicks', tenant.projectId)).toEqual({
        total: before.total + 8,
        eventCount: before.eventCount + 2,
      });
    } finally {
      await site.close();
    }
  });
  test('leaving the page sends the whole queue at once, in keepalive requests within 64 KiB', async () => {
    const { page } = e2e;
    const tenant = await setUp('sdk-leave');
    await openOnServerOrigin(page);
    await page.evaluate(
      ({ apiKey, note }) => {
        // The first batch stays in flight (a slow network): the rest queues up behind it.
        recordFetches({ holdFirst: true });
        const client = window.measurely.createClient({
          apiKey,
          baseUrl: location.origin,
          batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        });
        for (let i = 0; i < 350; i++)
          void client.capture('clicks', { value: 1, filters: { note } });
      },
      { apiKey: tenant.apiKey, note: NOTE.slice(0, 60) },
    );
    // Leaving the page fires pagehide; the page is gone before the batches are answered.
    await page.goto('about:blank');
    await expect
      .poll(() => metricTotals('clicks', tenant.projectId), { timeout: PATIENCE })
      .toEqual({ total: 250, eventCount: 250 });

    await openOnServerOrigin(page);
    const [held, ...left] = await page.evaluate(() => readFetches());
    expect(held).toMatchObject({ keepalive: false, answeredBefore: 0 });
    // The 250 queued events, in requests of 100 at most, all sent from the pagehide handler.
    expect(left.map((request) => request.url)).toEqual(
      Array(3).fill(new URL('/event/v1/batch', e2e.baseUrl).toString()),
    );
    expect(left.map((request) => request.keepalive)).toEqual([true, true, true]);
    expect(left.map((request) => request.answeredBefore)).toEqual([0, 0, 0]);
    // "é" is two bytes: counted as characters, these bodies would look much smaller.
    const bytes = left.reduce((sum, request) => sum + request.bytes, 0);
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    expect(left.reduce((sum, request) => sum + request.chars, 0)).toBeLessThan(bytes * 0.8);
  });

  test('a queue larger than the keepalive limit: what fits goes with keepalive, the rest without', async () => {
    const { page } = e2e;
    const tenant = await setUp('sdk-leave-large');
    await openOnServerOrigin(page);
    const [held, ...left] = await page.evaluate(
      ({ apiKey, note }) => {
        recordFetches({ holdFirst: true });
        const client = window.measurely.createClient({
          apiKey,
          baseUrl: location.origin,
          batch: { maxEvents: 100, flushIntervalMs: 60_000 },
        });
        for (let i = 0; i < 400; i++)
          void client.capture('clicks', { value: 1, filters: { note } });
        // What the browser fires when the page is left; this page stays, so every request ends.
        window.dispatchEvent(new Event('pagehide'));
        return readFetches();
      },
      { apiKey: tenant.apiKey, note: NOTE },
    );
    expect(held?.keepalive).toBe(false);
    // 300 events of about 250 bytes: more than 64 KiB. All sent from the handler, side by side.
    expect(left.length).toBeGreaterThanOrEqual(4);
    expect(left.every((request) => request.answeredBefore === 0)).toBe(true);
    const kept = left.filter((request) => request.keepalive);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.reduce((sum, request) => sum + request.bytes, 0)).toBeLessThanOrEqual(64 * 1024);
    expect(left.slice(0, kept.length).every((request) => request.keepalive)).toBe(true);
    expect(left.slice(kept.length).length).toBeGreaterThan(0);
    expect(left.slice(kept.length).every((request) => !request.keepalive)).toBe(true);
    await expect
      .poll(() => metricTotals('clicks', tenant.projectId), { timeout: PATIENCE })
      .toEqual({ total: 300, eventCount: 300 });
    // The first batch, let go at last, brings the rest.
    await page.evaluate(() => releaseHeld());
    await expect
      .poll(() => metricTotals('clicks', tenant.projectId), { timeout: PATIENCE })
      .toEqual({ total: 400, eventCount: 400 });
  });
});
