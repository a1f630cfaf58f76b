import { expect, test } from 'vitest';
import { browserPerFile, horizontalOverflow, PHONE } from './harness.js';
import { MAIN_PAGES, makeFilledTenant } from './main-pages.js';

// A 390×844 phone: every main page fits its width (no sideways scrolling).
const e2e = browserPerFile({ viewport: PHONE, isMobile: true, hasTouch: true });

for (const mainPage of MAIN_PAGES) {
  test(`phone: ${mainPage.name} fits 390 px`, async () => {
    const tenant = await makeFilledTenant(e2e, 'phone');
    if (!mainPage.signedIn) await e2e.context.clearCookies();
    await mainPage.open(e2e, tenant);
    expect(await horizontalOverflow(e2e.page), 'pixels of horizontal overflow').toBeLessThanOrEqual(
      0,
    );
  });
}
