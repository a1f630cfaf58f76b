import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import {
  call,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import type { TestContext } from '../../test/harness.js';

// What the tracker's and the public keys' tests share: a page view sent as a browser would, and a
// tenant with a public key.

export const SITE = 'https://shop.example';
export const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
export const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

export interface PageView {
  key: string;
  path?: unknown;
  referrer?: unknown;
  width?: unknown;
  [extra: string]: unknown;
}

export interface TrackOptions {
  /** The Origin header; SITE unless given, none when null. */
  readonly origin?: string | null;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly headers?: Record<string, string>;
  /** The body as sent, instead of JSON.stringify(view). */
  readonly raw?: string;
  readonly contentType?: string;
}

let ipCounter = 0;
/** A visitor address no other test uses, so per-IP limits never leak between tests. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

/** `POST /track` as /track.js sends it: text/plain JSON, from a page of SITE. */
export function track(
  ctx: TestContext,
  view: PageView | undefined,
  options: TrackOptions = {},
): Promise<LightMyRequestResponse> {
  const origin = options.origin === undefined ? SITE : options.origin;
  return ctx.app.inject({
    method: 'POST',
    url: '/track',
    remoteAddress: options.ip ?? '192.0.2.10',
    headers: {
      'content-type': options.contentType ?? 'text/plain;charset=UTF-8',
      'user-agent': options.userAgent ?? CHROME,
      ...(origin === null ? {} : { origin }),
      ...options.headers,
    },
    payload: options.raw ?? JSON.stringify(view),
  });
}

export function createPublicKey(
  ctx: TestContext,
  owner: Session,
  projectId: string,
  origins: unknown,
): Promise<LightMyRequestResponse> {
  return call(ctx.app, 'POST', `/api/projects/${projectId}/keys`, {
    session: owner,
    body: { name: 'Website', scope: 'public', origins },
  });
}

export interface TrackerFixture {
  readonly owner: Session;
  readonly project: TestProject;
  readonly key: { id: string; secret: string; publishableKey: string; origins: string[] };
}

/** A new owner, project and public key allowed from `origins`. */
export async function trackerFixture(
  ctx: TestContext,
  origins: string[] = [SITE],
): Promise<TrackerFixture> {
  const owner = await signUp(ctx.app);
  const project = await createProject(ctx.app, owner);
  const response = await createPublicKey(ctx, owner, project.id, origins);
  expect(response.statusCode, response.body).toBe(201);
  return { owner, project, key: response.json().key };
}

export async function metricOf(
  ctx: TestContext,
  f: TrackerFixture,
  name: string,
): Promise<{ id: string; total: number; eventCount: number; type: string }> {
  const response = await call(ctx.app, 'GET', `/api/projects/${f.project.id}/metrics/${name}`, {
    session: f.owner,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().metric;
}

/** The all-time totals of the tracker's two metrics. */
export async function trackerTotals(
  ctx: TestContext,
  f: TrackerFixture,
): Promise<{ pageviews: number; visitors: number }> {
  return {
    pageviews: (await metricOf(ctx, f, 'pageviews')).total,
    visitors: (await metricOf(ctx, f, 'visitors')).total,
  };
}
