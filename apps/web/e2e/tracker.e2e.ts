// The website tracker end to end: a public key created in the dashboard, a site on another origin
// embedding `<script defer src="…/track.js" data-key=…>`, page views and visitors checked through
// the query API, a disallowed origin refused, Global Privacy Control honoured while the project
// says so, and the key rotated.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIResponse, BrowserContext, Page, Request, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  browserPerFile,
  makeTenant,
  PASSWORD,
  PATIENCE,
  PHONE,
  SCREENSHOT_DIR,
  seriousA11yViolations,
  settle,
} from './harness.js';

const e2e = browserPerFile({ timezoneId: 'UTC' });

/** A small website on its own port, embedding the tracker with the key it is given. */
interface Site {
  /** http://127.0.0.1:PORT: the origin allowed on the key. */
  readonly origin: string;
  /** The same site as http://localhost:PORT: another origin, not allowed. */
  readonly otherOrigin: string;
  key: string;
  close(): Promise<void>;
}

function sitePage(baseUrl: string, key: string, title: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<script defer src="${baseUrl}/track.js" data-key="${key}"></script>
</head><body><h1>${title}</h1><a href="/pricing?coupon=SECRET#plans">Pricing</a>
<button id="spa" type="button" onclick="history.pushState({}, '', '/app/settings?tab=1')">Open settings</button>
</body></html>`;
}

async function startSite(baseUrl: string): Promise<Site> {
  const site = { key: '' } as Site;
  const server = http.createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(sitePage(baseUrl, site.key, pathname === '/' ? 'Home' : pathname.slice(1)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(site, {
    origin: `http://127.0.0.1:${port}`,
    otherOrigin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The next POST /track the page sends, with the server's answer. */
function nextPageView(page: Page): Promise<Response> {
  return page.waitForResponse(
    (response) => response.url() === e2e.url('/track') && response.request().method() === 'POST',
    { timeout: PATIENCE },
  );
}

/** Records the POST /track requests a page sends. */
function pageViewsOf(page: Page): Request[] {
  const sent: Request[] = [];
  page.on('request', (request) => {
    if (request.url() === e2e.url('/track') && request.method() === 'POST') sent.push(request);
  });
  return sent;
}

/**
 * Opens a site page whose page view the server refuses. The refusal carries no CORS header, so
 * the browser blocks it (the request fails, which proves that much); the server's answer to that
 * very request (body and Origin) is then read by sending it again from outside the browser.
 */
async function openRefusedSitePage(page: Page, url: string): Promise<APIResponse> {
  const isView = (request: Request) =>
    request.url() === e2e.url('/track') && request.method() === 'POST';
  const failed = page.waitForEvent('requestfailed', { predicate: isView, timeout: PATIENCE });
  await page.goto(url);
  const request = await failed;
  const contentType = request.headers()['content-type'] ?? '';
  expect(contentType).toMatch(/^text\/plain/);
  return e2e.request.post(e2e.url('/track'), {
    data: request.postData() ?? '',
    headers: { origin: new URL(url).origin, 'content-type': contentType },
  });
}

async function openSitePage(page: Page, url: string): Promise<Response> {
  const sent = nextPageView(page);
  await page.goto(url);
  return sent;
}

interface Totals {
  pageviews: number;
  visitors: number;
}

async function totals(projectId: string): Promise<Totals> {
  const read = async (metric: string): Promise<number> => {
    const response = await e2e.request.get(e2e.url(`/api/projects/${projectId}/metrics/${metric}`));
    expect(response.status(), await response.text()).toBe(200);
    return ((await response.json()) as { metric: { total: number } }).metric.total;
  };
  return { pageviews: await read('pageviews'), visitors: await read('visitors') };
}

async function setHonourPrivacySignals(projectId: string, honour: boolean): Promise<void> {
  const response = await e2e.request.patch(e2e.url(`/api/projects/${projectId}`), {
    data: { honourPrivacySignals: honour },
  });
  expect(response.status(), await response.text()).toBe(200);
}

async function pathsRecorded(projectId: string): Promise<string[]> {
  const response = await e2e.request.get(
    e2e.url(`/api/projects/${projectId}/metrics/pageviews/breakdown?by=path&range=today`),
  );
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { values: Array<{ value: string }> };
  return body.values.map((v) => v.value).sort();
}

describe('website tracker', () => {
  let site: Site;
  let projectId = '';
  let keysUrl = '';
  let email = '';

  /** Each test starts without cookies: sign the owner in again. */
  async function signIn(): Promise<void> {
    const response = await e2e.request.post(e2e.url('/api/auth/login'), {
      data: { email, password: PASSWORD },
    });
    expect(response.status(), await response.text()).toBe(200);
  }

  beforeAll(async () => {
    site = await startSite(e2e.baseUrl);
  });
  afterAll(() => site.close());

  test('an owner creates a public key for a site and gets its snippet', async () => {
    const { page } = e2e;
    const tenant = await makeTenant(e2e, 'tracker');
    projectId = tenant.projectId;
    email = tenant.email;
    keysUrl = e2e.url(`/projects/${projectId}/keys`);
    await page.goto(keysUrl);
    await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill('Marketing site');
    await dialog.getByRole('radio', { name: 'Public' }).check();
    // No origin: refused before anything is sent.
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByText('Add the site the tracker runs on').waitFor();
    await dialog.getByLabel('Allowed origins').fill(`${site.origin}/`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'tracker--create-public-key.png') });
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const created = page.getByRole('dialog', { name: 'Your new API key' });
    const snippet = (await created.locator('pre').textContent()) ?? '';
    expect(snippet).toBe(
      `<script defer src="${e2e.baseUrl}/track.js" data-key="${/data-key="([^"]+)"/.exec(snippet)?.[1]}"></script>`,
    );
    site.key = /data-key="(mly_[0-9A-Za-z]{32})"/.exec(snippet)?.[1] ?? '';
    expect(site.key).not.toBe('');
    await created.getByText(`Allowed from ${site.origin}`).waitFor();
    await settle(page);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'tracker--new-public-key.png') });
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'hidden' });

    // The row keeps the origins and the snippet: the key is publishable.
    const row = page.getByRole('row', { name: /Marketing site/ });
    await row.getByText('Public').waitFor();
    await page.getByText(`Allowed from ${site.origin}`).filter({ visible: true }).waitFor();
    await page.getByText(`data-key="${site.key}"`).filter({ visible: true }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test('two page loads are two page views of one visitor; an SPA navigation is a page view', async () => {
    const { page } = e2e;
    expect(site.key).not.toBe('');
    await signIn();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const views = pageViewsOf(page);

    const first = await openSitePage(page, `${site.origin}/`);
    expect(first.status()).toBe(202);
    const second = await openSitePage(page, `${site.origin}/pricing?coupon=SECRET#plans`);
    expect(second.status()).toBe(202);
    await expect.poll(() => totals(projectId)).toEqual({ pageviews: 2, visitors: 1 });

    const spa = nextPageView(page);
    await page.getByRole('button', { name: 'Open settings' }).click();
    expect((await spa).status()).toBe(202);
    await expect.poll(() => totals(projectId)).toEqual({ pageviews: 3, visitors: 1 });
    expect(await pathsRecorded(projectId)).toEqual(['/', '/app/settings', '/pricing']);

    // Nothing but the site itself, the script and its page views.
    for (const url of requested) {
      expect(
        url.startsWith(`${site.origin}/`) ||
          url === e2e.url('/track.js') ||
          url === e2e.url('/track'),
        url,
      ).toBe(true);
    }
    // What left the page: the paths only, never the query string or the fragment.
    const bodies = views.map((request) => request.postData() ?? '');
    expect(bodies.map((body) => JSON.parse(body).path)).toEqual(['/', '/pricing', '/app/settings']);
    for (const body of bodies) {
      for (const secret of ['SECRET', 'coupon', 'plans', 'tab=1', '?', '#']) {
        expect(body, body).not.toContain(secret);
      }
      expect(JSON.parse(body)).not.toHaveProperty('gpc');
    }
    // A CORS request with a text/plain body: the browser names the page's origin, sends no cookie.
    const headers = await views[0]?.allHeaders();
    expect(headers?.origin).toBe(site.origin);
    expect(headers?.['content-type']).toMatch(/^text\/plain/);
    expect(headers?.cookie).toBeUndefined();
  });

  test('a page on an origin the key does not allow is refused', async () => {
    const { page } = e2e;
    await signIn();
    const before = await totals(projectId);
    const refused = await openRefusedSitePage(page, `${site.otherOrigin}/`);
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('ORIGIN_NOT_ALLOWED');
    expect(refused.headers()['access-control-allow-origin']).toBeUndefined();
    expect(await totals(projectId)).toEqual(before);
  });

  describe('with Global Privacy Control on', () => {
    let context: BrowserContext;
    beforeAll(async () => {
      context = await e2e.browser.newContext({ extraHTTPHeaders: { 'Sec-GPC': '1' } });
      await context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
      });
    });
    afterAll(() => context.close());

    /** A page load in the GPC browser: the page view it sends, flagged, and the answer. */
    async function visitWithGpc(): Promise<number> {
      const page = await context.newPage();
      try {
        const views = pageViewsOf(page);
        const answer = nextPageView(page);
        await page.goto(`${site.origin}/`);
        const status = (await answer).status();
        expect(views.map((request) => JSON.parse(request.postData() ?? '{}').gpc)).toEqual([true]);
        return status;
      } finally {
        await page.close();
      }
    }

    test('nothing is recorded while the project honours it', async () => {
      await signIn();
      const before = await totals(projectId);
      expect(await visitWithGpc()).toBe(204);
      expect(await totals(projectId)).toEqual(before);
    });

    test('page views are recorded once the project stops honouring it', async () => {
      await signIn();
      const before = await totals(projectId);
      await setHonourPrivacySignals(projectId, false);
      try {
        expect(await visitWithGpc()).toBe(202);
        // The same browser as before (address and user agent): a page view, not a new visitor.
        await expect
          .poll(() => totals(projectId))
          .toEqual({ pageviews: before.pageviews + 1, visitors: before.visitors });
      } finally {
        await setHonourPrivacySignals(projectId, true);
      }
    });
  });

  test('the keys page with a public key, on a phone and in the settings', async () => {
    const { page } = e2e;
    await signIn();
    await page.goto(keysUrl);
    await page.getByText(`data-key="${site.key}"`).filter({ visible: true }).waitFor();
    await settle(page);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'tracker--keys-page.png') });
    await page.setViewportSize(PHONE);
    await settle(page);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'tracker--keys-page-phone.png') });
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);

    await page.goto(e2e.url(`/projects/${projectId}/settings`));
    const toggle = page.getByRole('switch', {
      name: 'Honour Global Privacy Control and Do Not Track',
    });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click({ force: true });
    await page.getByText('Privacy setting saved').waitFor();
    const project = await e2e.request.get(e2e.url(`/api/projects/${projectId}`));
    expect(
      ((await project.json()) as { project: { honourPrivacySignals: boolean } }).project,
    ).toMatchObject({ honourPrivacySignals: false });
    await toggle.click({ force: true });
    await expect.poll(() => toggle.isChecked()).toBe(true);
    // Checked once the confirmations are gone: they are the notification system's, not this page's.
    await page.getByText('Privacy setting saved').first().waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Website tracker' }).scrollIntoViewIfNeeded();
    await settle(page);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test('rotating the public key gives a new snippet; pages with the old one are refused', async () => {
    const { page } = e2e;
    await signIn();
    await page.goto(keysUrl);
    await page
      .getByRole('button', { name: 'Actions for Marketing site' })
      .filter({ visible: true })
      .click();
    await page.getByRole('menuitem', { name: 'Rotate secret…' }).click();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    const dialog = page.getByRole('dialog', { name: 'The new snippet' });
    const snippet = (await dialog.locator('pre').textContent()) ?? '';
    const rotated = /data-key="(mly_[0-9A-Za-z]{32})"/.exec(snippet)?.[1] ?? '';
    expect(rotated).not.toBe('');
    expect(rotated).not.toBe(site.key);
    // The snippet stays on the keys page: nothing to copy away before closing.
    expect(await dialog.getByRole('button', { name: 'I have copied it' }).count()).toBe(0);
    await settle(page);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'tracker--rotated-public-key.png') });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const old = await openRefusedSitePage(page, `${site.origin}/`);
    expect(old.status()).toBe(401);
    site.key = rotated;
    const fresh = await openSitePage(page, `${site.origin}/rotated`);
    expect(fresh.status()).toBe(202);
    expect(await pathsRecorded(projectId)).toContain('/rotated');
  });
});
