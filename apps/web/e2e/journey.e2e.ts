// A new user's first session, through the UI only; the events come from the test process, as
// a user's code (or curl) would send them, with the key the user created in the dashboard.
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { browserPerFile, PASSWORD, sendEvent, settle, uniqueEmail } from './harness.js';

const e2e = browserPerFile({ timezoneId: 'UTC' });

/** The big number of the metric page ("Total · <period>" above it). */
function headline(page: Page) {
  return page
    .getByText(/^(Total|Net|Average) ·/)
    .locator('xpath=following-sibling::*[not(self::style)][1]')
    .first();
}

/** The period the headline covers, e.g. "Total · Nov 27 – Nov 28". */
function headlinePeriod(page: Page) {
  return page.getByText(/^(Total|Net|Average) ·/).first();
}

/**
 * The events chart. Its name should be "signups per <granularity>", but ECharts' aria option
 * replaces the container's label with its own description ("This is a chart…").
 */
function chart(page: Page) {
  return page.getByRole('img', { name: /^signups per |^This is a chart/ }).first();
}

async function pick(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
  await expect
    .poll(() => page.getByRole('combobox', { name: label, exact: true }).inputValue())
    .toBe(option);
}

/** Set in the page once: still there later means the page was never reloaded. */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { e2eNotReloaded: boolean }).e2eNotReloaded = true;
  });
}

async function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(
    () => (window as unknown as { e2eNotReloaded?: boolean }).e2eNotReloaded === true,
  );
}

test('a new user signs up, creates a project, a metric and a key, watches events arrive live, explores them, revokes the key and signs out', async () => {
  const { page } = e2e;
  const email = uniqueEmail('journey');

  // Sign up.
  await page.goto(e2e.url('/'));
  await page.waitForURL(/\/sign-in/);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: /^Welcome, Ada/ }).waitFor();

  // Create a project: its first ingest key shows once; this journey makes its own key later.
  await page.getByLabel('Project name').fill('Journey app');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('button', { name: 'Continue to the project' }).click();
  await page.waitForURL(/\/projects\/[^/]+\/metrics$/);
  const projectUrl = page.url().replace(/\/metrics$/, '');

  // Create a metric.
  await page.getByRole('heading', { name: 'Metrics', exact: true }).waitFor();
  await page.getByRole('button', { name: 'New metric' }).first().click();
  const metricDialog = page.getByRole('dialog', { name: 'New metric' });
  await metricDialog.getByRole('radio', { name: /Basic/ }).check();
  await metricDialog.getByRole('button', { name: 'Next' }).click();
  await metricDialog.getByLabel('Name').fill('signups');
  await metricDialog.getByRole('button', { name: 'Next' }).click();
  await metricDialog.getByRole('button', { name: 'Create metric' }).click();
  await metricDialog.waitFor({ state: 'hidden' });
  await page.getByRole('link', { name: 'signups' }).filter({ visible: true }).first().waitFor();

  // Create an ingest key and read its secret, shown once.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Create key' }).first().click();
  const keyDialog = page.getByRole('dialog', { name: 'Create an API key' });
  await keyDialog.getByLabel('Name').fill('Journey backend');
  await keyDialog.getByRole('radio', { name: 'Ingest' }).check();
  await keyDialog.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByRole('dialog', { name: 'Your new API key' });
  const secret = (await shown.getByText(/^mly_/).textContent())?.trim() ?? '';
  expect(secret).toMatch(/^mly_/);
  await shown.getByRole('button', { name: 'I have copied it' }).click();
  await shown.waitFor({ state: 'hidden' });
  await page
    .getByRole('row', { name: /Journey backend/ })
    .getByText('Active')
    .waitFor();
  // Who created it, so that the team knows whose keys to rotate when someone leaves.
  await page
    .getByRole('row', { name: /Journey backend/ })
    .getByText('by Ada Lovelace')
    .waitFor();

  // Open the metric: nothing yet.
  await page.getByRole('link', { name: 'Metrics', exact: true }).click();
  await page.getByRole('link', { name: 'signups' }).filter({ visible: true }).first().click();
  await page.waitForURL(new RegExp(`${projectUrl}/metrics/[^/?]+`));
  await page.getByRole('heading', { name: /^signups/ }).waitFor();
  await expect.poll(() => headline(page).textContent()).toBe('0');
  await page.getByText('No events in this range').first().waitFor();
  await markPage(page);

  // Events arrive (as `curl -X POST …/event/v1/signups`): total and chart follow, no reload.
  await sendEvent(e2e.baseUrl, secret, 'signups', { value: 3, filters: { plan: 'pro' } });
  await sendEvent(e2e.baseUrl, secret, 'signups', { value: 2, filters: { plan: 'free' } });
  await expect.poll(() => headline(page).textContent(), { timeout: 20_000 }).toBe('5');
  await chart(page).waitFor();
  await page.getByText('2 events', { exact: true }).waitFor();

  // One from yesterday noon (UTC): in the last 30 days, not in today's count.
  const startOfToday = new Date();
  startOfToday.setUTCHours(0, 0, 0, 0);
  await sendEvent(e2e.baseUrl, secret, 'signups', {
    value: 10,
    filters: { plan: 'pro' },
    timestamp: new Date(startOfToday.getTime() - 12 * 3_600_000).toISOString(),
  });
  await expect.poll(() => headline(page).textContent(), { timeout: 20_000 }).toBe('15');
  expect(await stillSamePage(page)).toBe(true);

  // Range presets.
  await pick(page, 'Range', 'Today');
  await expect.poll(() => headline(page).textContent()).toBe('5');
  await pick(page, 'Range', 'Yesterday');
  await expect.poll(() => headline(page).textContent()).toBe('10');
  await pick(page, 'Range', 'Last 7 days');
  await expect.poll(() => headline(page).textContent()).toBe('15');
  expect(page.url()).toContain('range=last_7_days');

  // Granularity: the chart says per what, and the series is asked that way.
  await pick(page, 'Granularity', 'By hour');
  await page.getByText(/^Per hour ·/).waitFor();
  expect(page.url()).toContain('granularity=hour');
  await pick(page, 'Granularity', 'By day');
  await page.getByText(/^Per day ·/).waitFor();
  expect(page.url()).toContain('granularity=day');
  await chart(page).waitFor();
  await expect.poll(() => headline(page).textContent()).toBe('15');

  // Filter plan = pro: 3 today + 10 yesterday.
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('combobox', { name: 'Key', exact: true }).click();
  await page.getByRole('option', { name: 'plan', exact: true }).click();
  await page.getByRole('combobox', { name: 'Value', exact: true }).click();
  await page.getByRole('option', { name: 'pro', exact: true }).click();
  await page.getByRole('button', { name: 'Add filter' }).click();
  await expect.poll(() => headline(page).textContent()).toBe('13');
  await page.getByText('2 events', { exact: true }).waitFor();
  // Mantine's Pill hides its remove button from assistive technology (aria-hidden, tabIndex -1).
  await page.getByRole('button', { name: 'Remove filter plan' }).click();
  await expect.poll(() => headline(page).textContent()).toBe('15');

  // Still live with a filter-free, range-changed view; then the screenshot for the README.
  await sendEvent(e2e.baseUrl, secret, 'signups', { value: 1, filters: { plan: 'free' } });
  await expect.poll(() => headline(page).textContent(), { timeout: 20_000 }).toBe('16');
  expect(await headlinePeriod(page).textContent()).toMatch(/^Total ·/);
  expect(await stillSamePage(page)).toBe(true);
  if (process.env.MEASURELY_E2E_README_SHOT !== undefined) {
    await settle(page);
    await page.screenshot({ path: process.env.MEASURELY_E2E_README_SHOT });
  }

  // The metrics list compares today with yesterday up to the same time, and says so.
  await page.goto(`${projectUrl}/metrics`);
  const listed = page.getByRole('row', { name: /signups/ });
  await listed.getByRole('cell').nth(5).locator('span').first().hover();
  await page
    .getByRole('tooltip')
    .getByText(/^Yesterday at this time: \d/)
    .waitFor();

  // Revoke the key: it is listed as revoked and the next event is refused.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('button', { name: 'Actions for Journey backend' }).click();
  await page.getByRole('menuitem', { name: 'Revoke…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke this key?' });
  await confirm.getByRole('button', { name: 'Revoke key' }).click();
  await confirm.waitFor({ state: 'hidden' });
  await page
    .getByRole('row', { name: /Journey backend/ })
    .getByText('Revoked')
    .waitFor();
  await expect(
    sendEvent(e2e.baseUrl, secret, 'signups', { value: 1 }),
    'an event with the revoked key',
  ).rejects.toThrow(/401/);

  // Sign out: the session is over.
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.waitForURL(e2e.url('/sign-in'));
  await page.goto(`${projectUrl}/metrics`);
  await page.waitForURL(/\/sign-in\?next=/);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

// The welcome page's wizard must outlive the refresh of the project list that creating the
// project causes: it still has to show the new key, shown only once.
test('the first project made from the welcome page keeps its key on screen', async () => {
  const { page } = e2e;
  await page.goto(e2e.url('/sign-up'));
  await page.getByLabel('E-mail').fill(uniqueEmail('welcome'));
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: /^Welcome/ }).waitFor();
  await page.getByLabel('Project name').fill('First project');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByText('shown only this once').waitFor();
  await page.getByRole('button', { name: 'Continue to the project' }).waitFor({ timeout: 3_000 });
});
