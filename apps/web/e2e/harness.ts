// What every browser test uses: one Chromium and one browser context per test file, a fresh page
// per test (cookies cleared), a screenshot after each test named after it, uncaught page errors
// failing the test, and helpers that act as a user would or, for set-up only, through the API.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject } from 'vitest';

export const PASSWORD = 'correct horse battery staple';
export const SCREENSHOT_DIR = fileURLToPath(new URL('./screenshots/', import.meta.url));
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** How long a user-visible change may take on the noisy 2-core reference machine. */
export const PATIENCE = 20_000;

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

export interface E2E {
  readonly baseUrl: string;
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** The page of the running test: new for each test, screenshotted when it ends. */
  readonly page: Page;
  /** Requests sharing the page's cookies (the signed-in session). */
  readonly request: APIRequestContext;
  url(pathname: string): string;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120);
}

/**
 * Call once at the top of a test file (or of a `describe`, for one context per block).
 * `options` are the browser context's (viewport, colour scheme, time zone); each test gets a new
 * page in that context with no cookies and no local storage.
 */
export function browserPerFile(options: BrowserContextOptions = {}): E2E {
  const baseUrl = inject('baseUrl');
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let pageErrors: string[] = [];

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is used outside a test`);
    return value;
  };

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.MEASURELY_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, ...options });
    context.setDefaultTimeout(PATIENCE);
    context.setDefaultNavigationTimeout(PATIENCE * 2);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });

  beforeEach(async () => {
    const ctx = need(context, 'the browser context');
    await ctx.clearCookies();
    page = await ctx.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterEach(async ({ task }) => {
    if (page === undefined) return;
    const file = path.basename(task.file.name).replace(/\.e2e\.ts$/, '');
    const names = [];
    for (let suite = task.suite; suite !== undefined; suite = suite.suite) {
      if (suite.name !== '') names.unshift(suite.name);
    }
    names.push(task.name);
    try {
      await page.screenshot({
        path: path.join(SCREENSHOT_DIR, `${file}--${slug(names.join(' '))}.png`),
        timeout: 15_000,
      });
    } finally {
      await page.evaluate(() => window.localStorage.clear()).catch(() => undefined);
      await page.close();
      page = undefined;
    }
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  return {
    baseUrl,
    get browser() {
      return need(browser, 'the browser');
    },
    get context() {
      return need(context, 'the browser context');
    },
    get page() {
      return need(page, 'the page');
    },
    get request() {
      return need(context, 'the browser context').request;
    },
    url: (pathname) => new URL(pathname, baseUrl).toString(),
  };
}

/** An address nobody else in the run uses. */
export function uniqueEmail(tag: string): string {
  return `e2e-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

async function apiPost<T>(request: APIRequestContext, url: string, data: unknown): Promise<T> {
  const response = await request.post(url, { data });
  if (!response.ok()) throw new Error(`POST ${url}: ${response.status()} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Set-up only: a signed-in user (the context's cookie) with a project and its metrics. */
export async function makeTenant(
  e2e: E2E,
  tag: string,
  metrics: Array<{ name: string; type: 'basic' | 'dual' | 'average'; unit?: string | null }> = [],
): Promise<{ email: string; projectId: string; apiKey: string }> {
  const email = uniqueEmail(tag);
  await apiPost(e2e.request, e2e.url('/api/auth/signup'), {
    email,
    password: PASSWORD,
    name: 'Ada Lovelace',
  });
  const created = await apiPost<{ project: { id: string }; apiKey: { secret: string } }>(
    e2e.request,
    e2e.url('/api/projects'),
    { name: `Acme ${tag}` },
  );
  for (const metric of metrics) {
    await apiPost(e2e.request, e2e.url(`/api/projects/${created.project.id}/metrics`), {
      unit: null,
      ...metric,
    });
  }
  return { email, projectId: created.project.id, apiKey: created.apiKey.secret };
}

/** What a user's code does (curl -X POST …/event/v1/{metric}), from the test process. */
export async function sendEvent(
  baseUrl: string,
  apiKey: string,
  metric: string,
  event: { value: number; filters?: Record<string, string>; timestamp?: string | number },
): Promise<void> {
  const response = await fetch(new URL(`/event/v1/${encodeURIComponent(metric)}`, baseUrl), {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (response.status !== 200) {
    throw new Error(`event to ${metric}: ${response.status} ${await response.text()}`);
  }
}

/**
 * Waits until no finite animation or transition runs (menus, modals, fades), so screenshots and
 * colour-contrast checks see the settled page. Spinners (infinite) are ignored.
 */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document
        .getAnimations()
        .every(
          (animation) =>
            animation.playState !== 'running' ||
            animation.effect?.getTiming().iterations === Number.POSITIVE_INFINITY,
        ),
    undefined,
    { timeout: PATIENCE, polling: 100 },
  );
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await settle(page);
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async (): Promise<Violation[]> => {
    type Axe = {
      run(
        context: Document,
        options: object,
      ): Promise<{
        violations: Array<{
          id: string;
          impact?: string | null;
          help: string;
          nodes: Array<{ target: unknown[]; html: string; any: Array<{ message: string }> }>;
        }>;
      }>;
    };
    const axe = (window as unknown as { axe: Axe }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes
        .slice(0, 5)
        .map((n) => `${n.html.slice(0, 100)}\n      ${n.any[0]?.message ?? ''}`),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`);
}

/** Pixels the page scrolls sideways (0 when it fits its viewport). */
export async function horizontalOverflow(page: Page): Promise<number> {
  await settle(page);
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/**
 * Set-up only: an invitation to `projectId` made by its owner (signed in on a context of its
 * own, so the test's cookies stay as they are). Returns the link the owner would send.
 */
export async function makeInvitation(
  e2e: E2E,
  owner: { email: string; projectId: string },
  email: string,
  role: 'owner' | 'admin' | 'developer' | 'guest' = 'developer',
): Promise<string> {
  const context = await e2e.browser.newContext();
  try {
    await apiPost(context.request, e2e.url('/api/auth/login'), {
      email: owner.email,
      password: PASSWORD,
    });
    const created = await apiPost<{ link: string }>(
      context.request,
      e2e.url(`/api/projects/${owner.projectId}/invitations`),
      { email, role },
    );
    return created.link;
  } finally {
    await context.close();
  }
}
