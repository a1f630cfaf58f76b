// The metric page's controls and charts at their edges: a series of one bucket, granularities a
// range cannot take, and a metric whose name needs escaping in a URL.
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { browserPerFile, makeTenant, sendEvent, settle } from './harness.js';

const e2e = browserPerFile({ timezoneId: 'UTC' });

function granularity(page: Page) {
  return page.getByRole('combobox', { name: 'Granularity', exact: true });
}

/** Pixels of the chart in the card titled `title` that are clearly the series' blue. */
async function seriesPixels(page: Page, title: string): Promise<number> {
  const card = page.locator('.mantine-Card-root', {
    has: page.getByRole('heading', { name: title, exact: true }),
  });
  const canvas = card.locator('canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  await settle(page);
  return canvas.evaluate((node: HTMLCanvasElement) => {
    const context = node.getContext('2d');
    if (context === null) return 0;
    const { data } = context.getImageData(0, 0, node.width, node.height);
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r = 0, g = 0, b = 0, a = 0] = data.slice(i, i + 4);
      if (a > 200 && b - r > 100 && b - g > 60) blue += 1;
    }
    return blue;
  });
}

test('a series of one bucket still draws its point on the trend chart', async () => {
  const { page } = e2e;
  const { projectId, apiKey } = await makeTenant(e2e, 'one-bucket', [
    { name: 'signups', type: 'basic' },
    { name: 'latency', type: 'average' },
  ]);
  await sendEvent(e2e.baseUrl, apiKey, 'signups', { value: 4 });
  await sendEvent(e2e.baseUrl, apiKey, 'latency', { value: 120 });
  const metricUrl = (name: string, query: string) =>
    e2e.url(`/projects/${projectId}/metrics/${name}?${query}`);

  for (const name of ['signups', 'latency']) {
    await page.goto(metricUrl(name, 'range=today&granularity=day'));
    await page.getByText(/^Per day ·/).waitFor();
    await expect
      .poll(() => seriesPixels(page, 'Trend'), { message: `${name}: the trend's lone point` })
      .toBeGreaterThan(40);
  }
  // The average's own chart: its one mean among 1,440 minutes, drawn large enough to see.
  await page.goto(metricUrl('latency', 'range=today&granularity=minute'));
  await page.getByText(/^Per minute ·/).waitFor();
  await expect
    .poll(() => seriesPixels(page, 'Average'), { message: 'latency: the lone mean' })
    .toBeGreaterThan(40);
});

test('granularities the range cannot take are disabled, and the page moves off them', async () => {
  const { page } = e2e;
  const { projectId, apiKey } = await makeTenant(e2e, 'granularity', [
    { name: 'signups', type: 'basic' },
  ]);
  await sendEvent(e2e.baseUrl, apiKey, 'signups', { value: 1 });
  const metricUrl = e2e.url(`/projects/${projectId}/metrics/signups`);

  // Last 7 days: a minute is too fine (10,080 buckets), a month longer than the range.
  await page.goto(`${metricUrl}?range=last_7_days`);
  await granularity(page).click();
  const option = (name: string) => page.getByRole('option', { name: new RegExp(`^${name}`) });
  await option('By hour').waitFor();
  expect(await option('By minute').getAttribute('data-combobox-disabled')).toBe('true');
  expect(await option('By month').getAttribute('data-combobox-disabled')).toBe('true');
  expect(await option('By week').getAttribute('data-combobox-disabled')).toBeNull();
  await page.keyboard.press('Escape');

  // A link naming one of them opens on the nearest allowed granularity, without an error.
  await page.goto(`${metricUrl}?range=last_7_days&granularity=minute`);
  await page.getByText(/^Per hour ·/).waitFor();
  await expect.poll(() => granularity(page).inputValue()).toBe('By hour');
  await expect.poll(() => page.url()).toContain('granularity=hour');
  expect(await page.getByText('Could not load the chart').count()).toBe(0);

  // Today by minute, then a longer range: the granularity follows.
  await page.goto(`${metricUrl}?range=today&granularity=minute`);
  await page.getByText(/^Per minute ·/).waitFor();
  await page.getByRole('combobox', { name: 'Range', exact: true }).click();
  await page.getByRole('option', { name: 'Last 7 days', exact: true }).click();
  await page.getByText(/^Per hour ·/).waitFor();
  expect(page.url()).toContain('granularity=hour');

  // Today by month would widen the headline to the whole month: not offered.
  await page.goto(`${metricUrl}?range=today&granularity=month`);
  await page.getByText(/^Per day ·/).waitFor();
  await expect.poll(() => granularity(page).inputValue()).toBe('By day');
});

test('the metric id card gives the endpoint of a name with a space percent-encoded', async () => {
  const { page } = e2e;
  const { projectId } = await makeTenant(e2e, 'encoded', [
    { name: 'response time', type: 'average' },
  ]);
  await page.goto(e2e.url(`/projects/${projectId}/metrics`));
  await page.getByRole('link', { name: 'response time' }).filter({ visible: true }).first().click();
  await page.getByText('Metric id', { exact: true }).waitFor();
  await page.getByText('/event/v1/response%20time', { exact: true }).waitFor();
  expect(await page.getByText('/event/v1/response time').count()).toBe(0);
});
