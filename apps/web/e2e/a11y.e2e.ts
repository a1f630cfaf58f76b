import { describe, expect, test } from 'vitest';
import { browserPerFile, seriousA11yViolations } from './harness.js';
import { MAIN_PAGES, makeFilledTenant } from './main-pages.js';

// axe-core on each main page, light and dark: no serious or critical violation.
for (const colorScheme of ['light', 'dark'] as const) {
  describe(`accessibility, ${colorScheme}`, () => {
    const e2e = browserPerFile({ colorScheme });
    for (const mainPage of MAIN_PAGES) {
      test(mainPage.name, async () => {
        const tenant = await makeFilledTenant(e2e, `a11y-${colorScheme}`);
        if (!mainPage.signedIn) await e2e.context.clearCookies();
        await mainPage.open(e2e, tenant);
        expect(
          await e2e.page.evaluate(() => document.documentElement.dataset.mantineColorScheme),
        ).toBe(colorScheme);
        expect(await seriousA11yViolations(e2e.page)).toEqual([]);
      });
    }
  });
}
