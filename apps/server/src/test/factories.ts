import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../http.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Session {
  readonly cookie: string;
  readonly user: { id: string; email: string; name: string; isAdmin: boolean };
  readonly password: string;
}

/** A JSON request on behalf of a signed-in user (or nobody, without a session). */
export function call(
  app: App,
  method: Method,
  url: string,
  options: { session?: Session | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: {
      ...(options.session === undefined ? {} : { cookie: options.session.cookie }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
  });
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.com`;
}

function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'mly_session');
  if (cookie === undefined) throw new Error(`no session cookie (status ${response.statusCode})`);
  return `mly_session=${cookie.value}`;
}

export async function signUp(
  app: App,
  input: { email?: string; password?: string; name?: string } = {},
): Promise<Session> {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? 'correct horse battery';
  const response = await call(app, 'POST', '/api/auth/signup', {
    body: { email, password, ...(input.name === undefined ? {} : { name: input.name }) },
  });
  if (response.statusCode !== 201) throw new Error(`sign-up failed: ${response.body}`);
  return { cookie: sessionCookie(response), user: response.json().user, password };
}

export interface TestProject {
  readonly id: string;
  readonly name: string;
  /** The secret of the project's first ingest key. */
  readonly apiKey: string;
  readonly apiKeyId: string;
}

export async function createProject(
  app: App,
  owner: Session,
  name = 'Test project',
): Promise<TestProject> {
  const response = await call(app, 'POST', '/api/projects', { session: owner, body: { name } });
  if (response.statusCode !== 201) throw new Error(`project creation failed: ${response.body}`);
  const { project, apiKey } = response.json();
  return { id: project.id, name: project.name, apiKey: apiKey.secret, apiKeyId: apiKey.id };
}

/** Adds a user to a project with a role, through the API, as its owner. */
export async function addMember(
  app: App,
  owner: Session,
  projectId: string,
  member: Session,
  role: 'owner' | 'admin' | 'developer' | 'guest',
): Promise<void> {
  const response = await call(app, 'POST', `/api/projects/${projectId}/members`, {
    session: owner,
    body: { email: member.user.email, role },
  });
  if (response.statusCode !== 201) throw new Error(`adding member failed: ${response.body}`);
}

export async function createMetric(
  app: App,
  session: Session,
  projectId: string,
  body: Record<string, unknown> = {
    name: `metric-${randomBytes(3).toString('hex')}`,
    type: 'basic',
  },
): Promise<{ id: string; name: string; type: string }> {
  const response = await call(app, 'POST', `/api/projects/${projectId}/metrics`, { session, body });
  if (response.statusCode !== 201) throw new Error(`metric creation failed: ${response.body}`);
  return response.json().metric;
}

/** A new API key of the project, with its secret (shown only at creation). */
export async function createKey(
  app: App,
  session: Session,
  projectId: string,
  scope: 'ingest' | 'read',
): Promise<{ id: string; secret: string }> {
  const response = await call(app, 'POST', `/api/projects/${projectId}/keys`, {
    session,
    body: { name: `${scope} key`, scope },
  });
  if (response.statusCode !== 201) throw new Error(`key creation failed: ${response.body}`);
  return response.json().key;
}
