// Dialogs and notifications, which the main pages' checks never open: their close buttons have a
// name, their text is readable (axe, light and dark), and the sign-in page leads to /docs.
import { describe, expect, test } from 'vitest';
import { browserPerFile, makeTenant, seriousA11yViolations, settle } from './harness.js';

for (const colorScheme of ['light', 'dark'] as const) {
  describe(`dialogs and notifications, ${colorScheme}`, () => {
    const e2e = browserPerFile({ colorScheme });

    for (const [where, opener, title] of [
      ['keys', 'Create key', 'Create an API key'],
      ['metrics', 'New metric', 'New metric'],
    ] as const) {
      test(`a dialog’s close button is named, and closes it (${where})`, async () => {
        const { page } = e2e;
        const tenant = await makeTenant(e2e, `dialog-${colorScheme}`);
        await page.goto(e2e.url(`/projects/${tenant.projectId}/${where}`));
        await page.getByRole('button', { name: opener }).first().click();
        const dialog = page.getByRole('dialog', { name: title });
        await dialog.waitFor();
        await settle(page);
        expect(await seriousA11yViolations(page)).toEqual([]);
        await dialog.getByRole('button', { name: 'Close', exact: true }).click();
        await dialog.waitFor({ state: 'hidden' });
      });
    }

    test('a notification’s close button is named, and its message readable', async () => {
      const { page } = e2e;
      const tenant = await makeTenant(e2e, `notice-${colorScheme}`);
      await page.goto(e2e.url(`/projects/${tenant.projectId}/settings`));
      const name = page.getByLabel('Project name');
      await name.fill('Acme renamed');
      await page.getByRole('button', { name: 'Save' }).first().click();
      const notice = page.getByRole('alert').filter({ hasText: 'Project renamed' });
      await notice.getByText('The project is now called “Acme renamed”.').waitFor();
      await settle(page);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await notice.getByRole('button', { name: 'Close', exact: true }).click();
      await notice.waitFor({ state: 'hidden' });
    });
  });
}

describe('sign-in page', () => {
  const e2e = browserPerFile();

  test('links to the API reference', async () => {
    const { page } = e2e;
    await page.goto(e2e.url('/sign-in'));
    await page.getByRole('link', { name: 'API reference' }).click();
    await page.waitForURL(/\/docs\/?$/);
    expect(await page.title()).toBe('Measurely API reference');
    await page.locator('.swagger-ui .info .title').waitFor();
  });
});
