// The interactive API reference at /docs, as a developer reads it: the operations, their
// examples and error codes, and "Try it out" against the server that serves the page.
import type { Locator, Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { browserPerFile, horizontalOverflow, makeTenant, settle } from './harness.js';

const e2e = browserPerFile({ timezoneId: 'UTC' });

/** Errors the page logs (a blocked script or style, a failed request), besides uncaught ones. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

/** An operation of the reference, e.g. operation(page, 'Ingestion', 'post_event_v1__metric_'). */
function operation(page: Page, tag: string, id: string): Locator {
  return page.locator(`#operations-${tag.replaceAll(' ', '_')}-${id}`);
}

async function expand(op: Locator): Promise<Locator> {
  await op.locator('.opblock-summary-control').click();
  const body = op.locator('.opblock-body');
  await body.waitFor();
  return body;
}

test('lists every family of operations and shows an operation’s examples and error codes', async () => {
  const { page } = e2e;
  const errors = consoleErrors(page);
  await page.goto(e2e.url('/docs'));
  expect(await page.title()).toBe('Measurely API reference');

  const single = operation(page, 'Ingestion', 'post_event_v1__metric_');
  await single.waitFor();
  for (const tag of ['Ingestion', 'Query', 'Export', 'Live', 'Metrics', 'Accounts', 'System']) {
    await page.locator(`#operations-tag-${tag}`).waitFor();
  }
  expect(await page.locator('.info .title').textContent()).toContain('Measurely API');

  const body = await expand(single);
  // The request example, chosen from the named ones.
  const request = body.locator('.opblock-section-request-body');
  await expect.poll(() => request.textContent()).toContain('"plan": "pro"');
  expect(await request.locator('.examples-select-element').inputValue()).toBe('basic');

  // Each error status lists its codes, and shows an example problem document per code.
  const responses = body.locator('.responses-table').first();
  const text = await responses.textContent();
  for (const code of [
    'VALUE_NOT_POSITIVE',
    'METRIC_UNKNOWN',
    'KEY_SCOPE_FORBIDDEN',
    'IDEMPOTENCY_KEY_REUSED',
    'RATE_LIMITED',
    'QUOTA_EXCEEDED',
    'STORAGE_FAILED',
    'OVERLOADED',
  ]) {
    expect(text).toContain(code);
  }
  expect(text).toContain('Retry-After');
  expect(text).toContain('"code": "API_KEY_INVALID"');

  // A code chosen in a status's examples shows its own document.
  const unauthorized = responses.locator('tr.response[data-code="401"]');
  await unauthorized.locator('.examples-select-element').selectOption('METRIC_UNKNOWN');
  await expect.poll(() => unauthorized.textContent()).toContain('"code": "METRIC_UNKNOWN"');

  await unauthorized.scrollIntoViewIfNeeded();
  await settle(page);
  expect(await horizontalOverflow(page)).toBe(0);
  expect(errors).toEqual([]);
});

test('"Try it out" sends an event with an ingest key to the server that serves the page', async () => {
  const { page } = e2e;
  const errors = consoleErrors(page);
  const tenant = await makeTenant(e2e, 'docs', [{ name: 'signups', type: 'basic' }]);
  await page.goto(e2e.url('/docs'));

  // Authorize with the project's ingest key (the Bearer scheme of ingestion).
  await page.locator('.auth-wrapper .btn.authorize').click();
  const scheme = page.locator('.auth-container').filter({ hasText: 'ingestKey' });
  await scheme.locator('input').fill(tenant.apiKey);
  await scheme.locator('button.authorize').click();
  await scheme.locator('.btn-done').click();

  const body = await expand(operation(page, 'Ingestion', 'post_event_v1__metric_'));
  await body.locator('.try-out__btn').click();
  await body.locator('tr[data-param-name="metric"] input').fill('signups');
  await body.locator('.execute').click();

  const live = body.locator('.live-responses-table');
  await expect
    .poll(() => live.locator('tbody .response-col_status').first().textContent())
    .toBe('200');
  const answer = await live.textContent();
  expect(answer).toContain('"ok": true');
  expect(answer).toMatch(/ratelimit-policy: "per-key";q=\d+;w=1/);
  // The curl line shows the real request, to this server.
  expect(await body.locator('.curl-command').textContent()).toContain(
    `${e2e.baseUrl}/event/v1/signups`,
  );

  // The event is really there: the metric's total counts it.
  const metric = await e2e.request.get(
    e2e.url(`/api/projects/${tenant.projectId}/metrics/signups`),
  );
  expect((await metric.json()).metric.eventCount).toBe(1);

  await live.scrollIntoViewIfNeeded();
  await settle(page);
  expect(errors).toEqual([]);
});

test('"Try it out" reads with the dashboard’s session, without any key', async () => {
  const { page } = e2e;
  const errors = consoleErrors(page);
  const tenant = await makeTenant(e2e, 'docs-session', [{ name: 'orders', type: 'basic' }]);
  await page.goto(e2e.url('/docs'));

  const body = await expand(operation(page, 'Metrics', 'get_api_projects__projectId__metrics'));
  await body.locator('.try-out__btn').click();
  await body.locator('tr[data-param-name="projectId"] input').fill(tenant.projectId);
  await body.locator('.execute').click();

  const live = body.locator('.live-responses-table');
  await expect
    .poll(() => live.locator('tbody .response-col_status').first().textContent())
    .toBe('200');
  expect(await live.textContent()).toContain('"name": "orders"');

  await live.scrollIntoViewIfNeeded();
  await settle(page);
  expect(errors).toEqual([]);
});
