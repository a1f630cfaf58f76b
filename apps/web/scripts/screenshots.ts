// Screenshots of every page at 1280×800 and 390×844, light and dark, against a running server
// (with the dashboard built). Also fails on horizontal overflow and on console errors, so it is
// the seed of the browser test suite.
//
//   npm run build && DATABASE_URL=sqlite:/tmp/mly-web.db PORT=3100 node apps/server/bin/measurely.js serve
//   npx tsx apps/web/scripts/screenshots.ts            # PNGs in /tmp/measurely-screenshots
//
// MEASURELY_URL (http://127.0.0.1:3100), SCREENSHOT_DIR, CHROMIUM_PATH (/usr/bin/chromium) and
// ONLY (a substring of the scene names, or "flows") change the defaults.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  type APIRequestContext,
  type Browser,
  type Cookie,
  chromium,
  type Page,
} from 'playwright-core';

const BASE = process.env.MEASURELY_URL ?? 'http://127.0.0.1:3100';
const OUT = process.env.SCREENSHOT_DIR ?? '/tmp/measurely-screenshots';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ONLY = process.env.ONLY;
const PASSWORD = 'correct horse battery staple';

const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
type Viewport = keyof typeof VIEWPORTS;
const SCHEMES = ['light', 'dark'] as const;

/** Who is signed in: nobody, the owner of the projects, a guest of one, a user with none. */
type As = 'nobody' | 'owner' | 'guest' | 'newcomer';

interface Fixture {
  emails: Record<Exclude<As, 'nobody'>, string>;
  projectId: string;
  longProjectId: string;
  /** A project for the delete flow. */
  disposableId: string;
}

interface Scene {
  name: string;
  as: As;
  path: (f: Fixture) => string;
  /** Brings the page to the state to capture (open a menu, fill a form). */
  act?: (page: Page, viewport: Viewport) => Promise<void>;
  fullPage?: boolean;
}

async function post(request: APIRequestContext, url: string, data?: unknown) {
  const response = await request.post(`${BASE}${url}`, data === undefined ? {} : { data });
  if (!response.ok()) throw new Error(`${url}: ${response.status()} ${await response.text()}`);
  return response.status() === 204 ? undefined : response.json();
}

async function signUp(browser: Browser, role: string): Promise<[string, APIRequestContext]> {
  const context = await browser.newContext();
  const email = `shots-${role}-${Date.now()}@example.com`;
  await post(context.request, '/api/auth/signup', {
    email,
    password: PASSWORD,
    name: role === 'owner' ? 'Ada Lovelace' : `Grace ${role}`,
  });
  return [email, context.request];
}

/** Users and projects (one with a very long name, one with metrics), made through the API. */
async function makeFixture(browser: Browser): Promise<Fixture> {
  const [guest] = await signUp(browser, 'guest');
  const [newcomer] = await signUp(browser, 'newcomer');
  const [owner, request] = await signUp(browser, 'owner');
  const { project } = await post(request, '/api/projects', { name: 'Acme web' });
  await post(request, '/api/projects', { name: 'Mobile app' });
  const long = await post(request, '/api/projects', {
    name: 'Internal analytics for the very long named enterprise division of Acme Corporation',
  });
  const disposable = await post(request, '/api/projects', { name: 'Disposable' });
  for (const [name, type, unit] of [
    ['signups', 'basic', null],
    ['revenue', 'dual', 'usd'],
    ['response time', 'average', 'milliseconds'],
  ] as const) {
    await post(request, `/api/projects/${project.id}/metrics`, { name, type, unit });
  }
  await post(request, `/api/projects/${project.id}/members`, { email: guest, role: 'guest' });
  return {
    emails: { owner, guest, newcomer },
    projectId: project.id,
    longProjectId: long.project.id,
    disposableId: disposable.project.id,
  };
}

const SCENES: Scene[] = [
  { name: 'sign-in', as: 'nobody', path: () => '/sign-in' },
  {
    name: 'sign-in-error',
    as: 'nobody',
    path: () => '/sign-in',
    act: async (page) => {
      await page.getByLabel('E-mail').fill('nobody@example.com');
      await page.getByLabel(/^Password/).fill('wrong password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
    },
  },
  { name: 'sign-in-expired', as: 'nobody', path: () => '/sign-in?next=%2Fx&reason=expired' },
  { name: 'sign-up', as: 'nobody', path: () => '/sign-up' },
  {
    name: 'sign-up-invalid',
    as: 'nobody',
    path: () => '/sign-up',
    act: async (page) => {
      await page.getByLabel('E-mail').fill('not-an-email');
      await page.getByLabel(/^Password/).fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
    },
  },
  { name: 'forgot-password', as: 'nobody', path: () => '/forgot-password' },
  {
    name: 'forgot-password-sent',
    as: 'nobody',
    path: () => '/forgot-password',
    act: async (page) => {
      await page.getByLabel('E-mail').fill('someone@example.com');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByText('Check your e-mail').waitFor();
    },
  },
  {
    name: 'reset-password-bad-token',
    as: 'nobody',
    path: () => '/reset-password?token=expired-token',
    act: async (page) => {
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Repeat it', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.getByRole('alert').waitFor();
    },
  },
  { name: 'not-found', as: 'nobody', path: () => '/no/such/page' },
  { name: 'projects', as: 'owner', path: () => '/', fullPage: true },
  { name: 'welcome', as: 'newcomer', path: () => '/' },
  { name: 'settings-guest', as: 'guest', path: (f) => `/projects/${f.projectId}/settings` },
  {
    name: 'project-switcher',
    as: 'owner',
    path: (f) => `/projects/${f.projectId}/metrics`,
    act: async (page) => {
      await page.getByRole('button', { name: 'Switch project' }).click();
      await page.getByRole('menu').waitFor();
    },
  },
  {
    name: 'user-menu',
    as: 'owner',
    path: () => '/',
    act: async (page) => {
      await page.getByRole('button', { name: 'Account menu' }).click();
      await page.getByRole('menu').waitFor();
    },
  },
  {
    name: 'theme-menu',
    as: 'owner',
    path: () => '/',
    act: async (page) => {
      await page.getByRole('button', { name: 'Color theme' }).click();
      await page.getByRole('menu').waitFor();
    },
  },
  { name: 'new-project', as: 'owner', path: () => '/projects/new' },
  {
    name: 'new-project-key',
    as: 'owner',
    path: () => '/projects/new',
    act: async (page) => {
      await page.getByLabel('Project name').fill('Screenshot project');
      await page.getByRole('button', { name: 'Create project' }).click();
      await page.getByText('shown only this once').waitFor();
    },
    fullPage: true,
  },
  { name: 'metrics', as: 'owner', path: (f) => `/projects/${f.projectId}/metrics` },
  {
    name: 'navbar-open',
    as: 'owner',
    path: (f) => `/projects/${f.projectId}/metrics`,
    act: async (page, viewport) => {
      if (viewport === 'phone') await page.getByRole('button', { name: 'Open navigation' }).click();
    },
  },
  { name: 'keys', as: 'owner', path: (f) => `/projects/${f.projectId}/keys` },
  {
    name: 'settings',
    as: 'owner',
    path: (f) => `/projects/${f.projectId}/settings`,
    fullPage: true,
  },
  {
    name: 'settings-long-name',
    as: 'owner',
    path: (f) => `/projects/${f.longProjectId}/settings`,
    fullPage: true,
  },
  {
    name: 'delete-project',
    as: 'owner',
    path: (f) => `/projects/${f.projectId}/settings`,
    act: async (page) => {
      await page.getByRole('button', { name: 'Delete project' }).click();
      await page.getByRole('dialog').waitFor();
      await page.getByLabel(/to confirm/).fill('Acme');
    },
  },
  { name: 'account', as: 'owner', path: () => '/account', fullPage: true },
  {
    name: 'project-not-found',
    as: 'owner',
    path: () => '/projects/00000000-0000-4000-8000-000000000000/metrics',
  },
];

async function signInThroughForm(page: Page, email: string): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** At `url`, with every request it started answered. */
async function arrive(page: Page, url: string | RegExp): Promise<void> {
  await page.waitForURL(url);
  await page.waitForLoadState('networkidle');
}

/** What a user does, end to end; each broken expectation is reported as a problem. */
async function checkFlows(browser: Browser, fixture: Fixture, problems: string[]): Promise<void> {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const check = async (what: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      problems.push(
        `flow: ${what}: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
      );
    }
  };
  const settings = `${BASE}/projects/${fixture.projectId}/settings`;

  await check('a deep link while signed out comes back after signing in', async () => {
    await page.goto(settings);
    await page.waitForURL(/\/sign-in\?next=%2Fprojects%2F/);
    await signInThroughForm(page, fixture.emails.owner);
    await arrive(page, settings);
  });

  await check('an expired session goes to sign-in, says so, and comes back', async () => {
    await context.clearCookies();
    await page.getByLabel('Project name').fill('Acme web (renamed)');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/sign-in\?.*reason=expired/);
    await page.getByText('Your session has ended').waitFor();
    await signInThroughForm(page, fixture.emails.owner);
    await arrive(page, settings);
  });

  await check('renaming shows the new name in the top bar', async () => {
    await page.getByLabel('Project name').fill('Acme website');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Project renamed').waitFor();
    await page.getByRole('button', { name: 'Switch project' }).getByText('Acme website').waitFor();
  });

  await check('deleting asks for the name, then the project is gone', async () => {
    await page.goto(`${BASE}/projects/${fixture.disposableId}/settings`);
    await page.getByRole('button', { name: 'Delete project' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete project' });
    if (await confirm.isEnabled()) throw new Error('the delete button works before typing');
    await dialog.getByLabel(/to confirm/).fill('Disposable');
    await confirm.click();
    await page.waitForURL(`${BASE}/`);
    await page.getByText('Project deleted').waitFor();
    if ((await page.getByRole('link', { name: /Disposable/ }).count()) > 0) {
      throw new Error('the deleted project is still listed');
    }
  });

  await check('signing out ends the session', async () => {
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(`${BASE}/sign-in`);
    await page.goto(`${BASE}/`);
    await page.waitForURL(/\/sign-in/);
  });

  await context.close();
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems: string[] = [];
  try {
    const fixture = await makeFixture(browser);
    if (ONLY === undefined || 'flows'.includes(ONLY)) await checkFlows(browser, fixture, problems);
    for (const viewport of Object.keys(VIEWPORTS) as Viewport[]) {
      for (const scheme of SCHEMES) {
        const context = await browser.newContext({
          viewport: VIEWPORTS[viewport],
          colorScheme: scheme,
          deviceScaleFactor: 1,
          ...(viewport === 'phone' ? { isMobile: true, hasTouch: true } : {}),
        });
        const cookies: Partial<Record<As, Cookie[]>> = {};
        for (const as of ['owner', 'guest', 'newcomer'] as const) {
          await context.clearCookies();
          await post(context.request, '/api/auth/login', {
            email: fixture.emails[as],
            password: PASSWORD,
          });
          cookies[as] = (await context.storageState()).cookies;
        }
        for (const scene of SCENES) {
          if (ONLY !== undefined && !scene.name.includes(ONLY)) continue;
          const name = `${scene.name}-${viewport}-${scheme}`;
          await context.clearCookies();
          const signedIn = cookies[scene.as];
          if (signedIn !== undefined) await context.addCookies(signedIn);
          const page = await context.newPage();
          page.on('console', (message) => {
            if (message.type() === 'error') problems.push(`${name}: console: ${message.text()}`);
          });
          page.on('pageerror', (error) => problems.push(`${name}: page error: ${error.message}`));
          await page.goto(`${BASE}${scene.path(fixture)}`, { waitUntil: 'networkidle' });
          await scene.act?.(page, viewport);
          await page.waitForLoadState('networkidle');
          await page.waitForTimeout(350); // transitions of menus and modals
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
          );
          if (overflow > 0) problems.push(`${name}: ${overflow}px of horizontal overflow`);
          await page.screenshot({
            path: path.join(OUT, `${name}.png`),
            fullPage: scene.fullPage ?? false,
          });
          await page.close();
        }
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  // A wrong password answers 401 on purpose; the browser logs every failed request.
  const real = problems.filter(
    (p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p),
  );
  console.log(`screenshots in ${OUT}`);
  for (const problem of real) console.log(`PROBLEM ${problem}`);
  if (real.length > 0) process.exitCode = 1;
}

await main();
