import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http.js';
import { expectProblem } from '../../test/assertions.js';
import {
  addMember,
  call,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
  uniqueEmail,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

type Role = 'owner' | 'admin' | 'developer' | 'guest';
/** Who sends a request: nobody, a signed-in user outside the project, or a member. */
type Actor = 'anonymous' | 'outsider' | Role;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const ACTORS: readonly Actor[] = ['anonymous', 'outsider', 'guest', 'developer', 'admin', 'owner'];
const EVERY_ROLE: readonly Role[] = ['owner', 'admin', 'developer', 'guest'];
const MANAGERS: readonly Role[] = ['owner', 'admin'];

/** An error answer: problem+json with a stable code, its status and the request id. */
/** A fresh project owned by a fresh user. */
interface Scene {
  readonly app: App;
  readonly owner: Session;
  readonly project: TestProject;
}

async function newScene(app: App): Promise<Scene> {
  const owner = await signUp(app);
  return { app, owner, project: await createProject(app, owner) };
}

async function newMember(scene: Scene, role: Role): Promise<Session> {
  const member = await signUp(scene.app);
  await addMember(scene.app, scene.owner, scene.project.id, member, role);
  return member;
}

async function sessionOf(scene: Scene, actor: Actor): Promise<Session | undefined> {
  switch (actor) {
    case 'anonymous':
      return undefined;
    case 'outsider':
      return signUp(scene.app);
    case 'owner':
      return scene.owner;
    default:
      return newMember(scene, actor);
  }
}

interface Prepared {
  /** Path parameters besides projectId. */
  readonly params?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One route of the API, as its OpenAPI document names it, and who may use it. */
interface RouteCase {
  readonly method: Method;
  readonly path: string;
  /** Roles that succeed; any other member gets 403 FORBIDDEN. */
  readonly allowed: readonly Role[];
  readonly status: number;
  /** A read (as the owner) that shows what the route changes: unchanged when it is refused. */
  readonly observe?: string;
  /** Creates what the request acts on and returns its parameters and body. */
  readonly prepare?: (scene: Scene) => Promise<Prepared>;
  /** A query string the request needs, e.g. `?range=today`. */
  readonly query?: string;
}

const withMetric = async (scene: Scene): Promise<Prepared> => {
  const metric = await createMetric(scene.app, scene.owner, scene.project.id);
  return { params: { metric: metric.id } };
};

const withInvitation = async (scene: Scene): Promise<Prepared> => {
  const response = await call(scene.app, 'POST', `/api/projects/${scene.project.id}/invitations`, {
    session: scene.owner,
    body: { email: uniqueEmail('invited'), role: 'guest' },
  });
  if (response.statusCode !== 201) throw new Error(`invitation failed: ${response.body}`);
  return { params: { invitationId: response.json().invitation.id } };
};

const withDeveloper = async (scene: Scene): Promise<Readonly<Record<string, string>>> => ({
  userId: (await newMember(scene, 'developer')).user.id,
});

const PROJECT = '/api/projects/{projectId}';
const MEMBERS = `${PROJECT}/members`;
const KEYS = `${PROJECT}/keys`;
const METRICS = `${PROJECT}/metrics`;
const INVITATIONS = `${PROJECT}/invitations`;

/** Every POST, PATCH and DELETE under a project (checked against the OpenAPI document below). */
const MUTATING_ROUTES: readonly RouteCase[] = [
  {
    method: 'PATCH',
    path: PROJECT,
    allowed: MANAGERS,
    status: 200,
    observe: PROJECT,
    prepare: async () => ({ body: { name: 'Renamed project' } }),
  },
  { method: 'DELETE', path: PROJECT, allowed: ['owner'], status: 204, observe: PROJECT },
  {
    method: 'POST',
    path: MEMBERS,
    allowed: MANAGERS,
    status: 201,
    observe: MEMBERS,
    prepare: async (scene) => {
      const newcomer = await signUp(scene.app);
      return { body: { email: newcomer.user.email, role: 'developer' } };
    },
  },
  {
    method: 'PATCH',
    path: `${MEMBERS}/{userId}`,
    allowed: MANAGERS,
    status: 200,
    observe: MEMBERS,
    prepare: async (scene) => ({ params: await withDeveloper(scene), body: { role: 'guest' } }),
  },
  {
    method: 'DELETE',
    path: `${MEMBERS}/{userId}`,
    allowed: MANAGERS,
    status: 204,
    observe: MEMBERS,
    prepare: async (scene) => ({ params: await withDeveloper(scene) }),
  },
  {
    method: 'POST',
    path: INVITATIONS,
    allowed: MANAGERS,
    status: 201,
    observe: INVITATIONS,
    prepare: async () => ({ body: { email: uniqueEmail('invited'), role: 'developer' } }),
  },
  {
    method: 'DELETE',
    path: `${INVITATIONS}/{invitationId}`,
    allowed: MANAGERS,
    status: 204,
    observe: INVITATIONS,
    prepare: withInvitation,
  },
  {
    method: 'POST',
    path: KEYS,
    allowed: MANAGERS,
    status: 201,
    observe: KEYS,
    prepare: async () => ({ body: { name: 'CI key', scope: 'read' } }),
  },
  {
    method: 'POST',
    path: `${KEYS}/{keyId}/rotate`,
    allowed: MANAGERS,
    status: 200,
    observe: KEYS,
    prepare: async (scene) => ({ params: { keyId: scene.project.apiKeyId } }),
  },
  {
    method: 'PATCH',
    path: `${KEYS}/{keyId}`,
    allowed: MANAGERS,
    status: 200,
    observe: KEYS,
    prepare: async (scene) => ({
      params: { keyId: scene.project.apiKeyId },
      body: { name: 'Renamed key' },
    }),
  },
  {
    method: 'DELETE',
    path: `${KEYS}/{keyId}`,
    allowed: MANAGERS,
    status: 200,
    observe: KEYS,
    prepare: async (scene) => ({ params: { keyId: scene.project.apiKeyId } }),
  },
  {
    method: 'POST',
    path: METRICS,
    allowed: MANAGERS,
    status: 201,
    observe: METRICS,
    prepare: async () => ({ body: { name: 'signups', type: 'basic' } }),
  },
  {
    method: 'PATCH',
    path: `${METRICS}/{metric}`,
    allowed: MANAGERS,
    status: 200,
    observe: METRICS,
    prepare: async (scene) => ({ ...(await withMetric(scene)), body: { name: 'renamed' } }),
  },
  {
    method: 'DELETE',
    path: `${METRICS}/{metric}`,
    allowed: MANAGERS,
    status: 204,
    observe: METRICS,
    prepare: withMetric,
  },
];

/** Every GET under a project: any member reads, but for pending invitations. */
const READ_ROUTES: readonly RouteCase[] = [
  { method: 'GET', path: PROJECT, allowed: EVERY_ROLE, status: 200 },
  { method: 'GET', path: MEMBERS, allowed: EVERY_ROLE, status: 200 },
  { method: 'GET', path: KEYS, allowed: EVERY_ROLE, status: 200 },
  // Pending invitations are the managers' business.
  { method: 'GET', path: INVITATIONS, allowed: MANAGERS, status: 200 },
  { method: 'GET', path: METRICS, allowed: EVERY_ROLE, status: 200 },
  {
    method: 'GET',
    path: `${METRICS}/{metric}`,
    allowed: EVERY_ROLE,
    status: 200,
    prepare: withMetric,
  },
  ...['series', 'series.csv'].map(
    (view): RouteCase => ({
      method: 'GET',
      path: `${METRICS}/{metric}/${view}`,
      query: '?range=today',
      allowed: EVERY_ROLE,
      status: 200,
      prepare: withMetric,
    }),
  ),
  {
    method: 'GET',
    path: `${METRICS}/{metric}/breakdown`,
    query: '?range=today&by=country',
    allowed: EVERY_ROLE,
    status: 200,
    prepare: withMetric,
  },
  {
    method: 'GET',
    path: `${METRICS}/{metric}/events`,
    query: '?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z',
    allowed: EVERY_ROLE,
    status: 200,
    prepare: withMetric,
  },
  {
    method: 'GET',
    path: `${METRICS}/{metric}/filters`,
    allowed: EVERY_ROLE,
    status: 200,
    prepare: withMetric,
  },
  { method: 'GET', path: `${PROJECT}/overview`, allowed: EVERY_ROLE, status: 200 },
];

/** Streams never end, so the live route's access is tested by the live module's own tests. */
const STREAMED_ROUTES = ['GET /api/projects/{projectId}/live'];

const routeKey = (route: { method: string; path: string }): string =>
  `${route.method} ${route.path}`;

function fill(path: string, params: Readonly<Record<string, string>>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${path}`);
    return value;
  });
}

function expectedOutcome(route: RouteCase, actor: Actor): { status: number; code?: string } {
  if (actor === 'anonymous') return { status: 401, code: 'UNAUTHENTICATED' };
  if (actor === 'outsider') return { status: 404, code: 'PROJECT_NOT_FOUND' };
  return route.allowed.includes(actor)
    ? { status: route.status }
    : { status: 403, code: 'FORBIDDEN' };
}

/** What the owner sees at a URL, without the parts that differ on every request. */
async function snapshot(scene: Scene, url: string): Promise<string> {
  const response = await call(scene.app, 'GET', url, { session: scene.owner });
  return response.statusCode === 200
    ? `200 ${response.body}`
    : `${response.statusCode} ${response.json().code}`;
}

for (const dialect of DIALECTS) {
  describe(`projects [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      // Many sign-ups from one address: lift the per-IP sign-up throttle out of the way.
      ctx = await createTestApp(dialect, { env: { MEASURELY_LOGIN_MAX_PER_IP: '1000000' } });
    });
    afterAll(() => ctx.close());

    const month = (): string => new Date(ctx.clock.now()).toISOString().slice(0, 7);

    describe('projects', () => {
      it('creates a project I own, with a trimmed name, no usage yet and an ingest key', async () => {
        const owner = await signUp(ctx.app);
        const response = await call(ctx.app, 'POST', '/api/projects', {
          session: owner,
          body: { name: '  Acme web  ' },
        });
        expect(response.statusCode).toBe(201);
        const { project, apiKey } = response.json();
        const now = new Date(ctx.clock.now()).toISOString();
        expect(project).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'Acme web',
          role: 'owner',
          usage: { month: month(), events: 0, quota: null },
          limits: { rateLimitPerSecond: 1000, monthlyEventQuota: null, maxQueryRangeDays: null },
          honourPrivacySignals: true,
          createdAt: now,
          updatedAt: now,
        });
        expect(apiKey).toMatchObject({ projectId: project.id, scope: 'ingest', status: 'active' });

        const got = await call(ctx.app, 'GET', `/api/projects/${project.id}`, { session: owner });
        expect(got.statusCode).toBe(200);
        expect(got.json().project).toEqual(project);
      });

      it('refuses to create a project without a session', async () => {
        const response = await call(ctx.app, 'POST', '/api/projects', { body: { name: 'Nope' } });
        expectProblem(response, 401, 'UNAUTHENTICATED');
      });

      it('turns the privacy-signal setting of the website tracker off and on (owner, admin)', async () => {
        const scene = await newScene(ctx.app);
        const url = `/api/projects/${scene.project.id}`;
        for (const value of [false, true]) {
          const response = await call(ctx.app, 'PATCH', url, {
            session: scene.owner,
            body: { honourPrivacySignals: value },
          });
          expect(response.statusCode, response.body).toBe(200);
          expect(response.json().project).toMatchObject({
            name: scene.project.name,
            honourPrivacySignals: value,
          });
          const got = await call(ctx.app, 'GET', url, { session: scene.owner });
          expect(got.json().project.honourPrivacySignals).toBe(value);
        }
        const both = await call(ctx.app, 'PATCH', url, {
          session: scene.owner,
          body: { name: 'Both at once', honourPrivacySignals: false },
        });
        expect(both.json().project).toMatchObject({
          name: 'Both at once',
          honourPrivacySignals: false,
        });
        const notBoolean = await call(ctx.app, 'PATCH', url, {
          session: scene.owner,
          body: { honourPrivacySignals: 'no' },
        });
        expectProblem(notBoolean, 400, 'VALIDATION_FAILED');
      });

      it('validates the project name on create and rename', async () => {
        const scene = await newScene(ctx.app);
        for (const body of [{ name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, {}]) {
          const created = await call(ctx.app, 'POST', '/api/projects', {
            session: scene.owner,
            body,
          });
          expectProblem(created, 400, 'VALIDATION_FAILED');
          const renamed = await call(ctx.app, 'PATCH', `/api/projects/${scene.project.id}`, {
            session: scene.owner,
            body,
          });
          expectProblem(renamed, 400, 'VALIDATION_FAILED');
        }
        const extra = await call(ctx.app, 'POST', '/api/projects', {
          session: scene.owner,
          body: { name: 'Fine', role: 'guest' },
        });
        expectProblem(extra, 400, 'VALIDATION_FAILED');
        const list = await call(ctx.app, 'GET', '/api/projects', { session: scene.owner });
        expect(list.json().projects.map((p: { id: string }) => p.id)).toEqual([scene.project.id]);
      });

      it('lists only the projects I am a member of, each with my role and usage', async () => {
        const me = await signUp(ctx.app);
        const other = await signUp(ctx.app);
        // Oldest first: a second apart, so the order is the creation order.
        const mine = await createProject(ctx.app, me, 'Mine');
        ctx.clock.advance(1000);
        const theirs = await createProject(ctx.app, other, 'Theirs');
        ctx.clock.advance(1000);
        const shared = await createProject(ctx.app, other, 'Shared');
        await createProject(ctx.app, other, 'Not shared');
        await addMember(ctx.app, other, shared.id, me, 'guest');

        const response = await call(ctx.app, 'GET', '/api/projects', { session: me });
        expect(response.statusCode).toBe(200);
        const projects = response.json().projects;
        expect(
          projects.map((p: { id: string; name: string; role: string; usage: unknown }) => ({
            id: p.id,
            name: p.name,
            role: p.role,
            usage: p.usage,
          })),
        ).toEqual([
          {
            id: mine.id,
            name: 'Mine',
            role: 'owner',
            usage: { month: month(), events: 0, quota: null },
          },
          {
            id: shared.id,
            name: 'Shared',
            role: 'guest',
            usage: { month: month(), events: 0, quota: null },
          },
        ]);
        expect(projects.map((p: { id: string }) => p.id)).not.toContain(theirs.id);

        const fresh = await signUp(ctx.app);
        const empty = await call(ctx.app, 'GET', '/api/projects', { session: fresh });
        expect(empty.statusCode).toBe(200);
        expect(empty.json()).toEqual({ projects: [] });
      });

      it('refuses the list without a session', async () => {
        expectProblem(await call(ctx.app, 'GET', '/api/projects'), 401, 'UNAUTHENTICATED');
      });

      it('gets a project with my role; an unknown project is not found', async () => {
        const scene = await newScene(ctx.app);
        const dev = await newMember(scene, 'developer');
        const got = await call(ctx.app, 'GET', `/api/projects/${scene.project.id}`, {
          session: dev,
        });
        expect(got.statusCode).toBe(200);
        expect(got.json().project).toMatchObject({
          id: scene.project.id,
          name: scene.project.name,
          role: 'developer',
          usage: { month: month(), events: 0, quota: null },
        });
        for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
          const missing = await call(ctx.app, 'GET', `/api/projects/${id}`, {
            session: scene.owner,
          });
          expectProblem(missing, 404, 'PROJECT_NOT_FOUND');
        }
      });

      it('renames a project and moves updatedAt', async () => {
        const scene = await newScene(ctx.app);
        const before = (
          await call(ctx.app, 'GET', `/api/projects/${scene.project.id}`, {
            session: scene.owner,
          })
        ).json().project;
        ctx.clock.advance(60_000);
        const response = await call(ctx.app, 'PATCH', `/api/projects/${scene.project.id}`, {
          session: scene.owner,
          body: { name: ' Renamed ' },
        });
        expect(response.statusCode).toBe(200);
        expect(response.json().project).toEqual({
          ...before,
          name: 'Renamed',
          updatedAt: new Date(ctx.clock.now()).toISOString(),
        });
        const list = await call(ctx.app, 'GET', '/api/projects', { session: scene.owner });
        expect(list.json().projects[0].name).toBe('Renamed');
      });

      it('deletes a project with its members, keys and metrics (owner only)', async () => {
        const scene = await newScene(ctx.app);
        const admin = await newMember(scene, 'admin');
        const metric = await createMetric(ctx.app, scene.owner, scene.project.id);
        const url = `/api/projects/${scene.project.id}`;

        expectProblem(await call(ctx.app, 'DELETE', url, { session: admin }), 403, 'FORBIDDEN');
        expect((await call(ctx.app, 'GET', url, { session: admin })).statusCode).toBe(200);

        const deleted = await call(ctx.app, 'DELETE', url, { session: scene.owner });
        expect(deleted.statusCode).toBe(204);
        expect(deleted.body).toBe('');

        for (const session of [scene.owner, admin]) {
          expectProblem(await call(ctx.app, 'GET', url, { session }), 404, 'PROJECT_NOT_FOUND');
          const list = await call(ctx.app, 'GET', '/api/projects', { session });
          expect(list.json().projects).toEqual([]);
        }
        for (const sub of ['members', 'keys', 'metrics', `metrics/${metric.id}`]) {
          const response = await call(ctx.app, 'GET', `${url}/${sub}`, { session: scene.owner });
          expectProblem(response, 404, 'PROJECT_NOT_FOUND');
        }
        expectProblem(
          await call(ctx.app, 'DELETE', url, { session: scene.owner }),
          404,
          'PROJECT_NOT_FOUND',
        );

        // Nothing of the project is left behind in the database.
        const { db } = ctx.storage;
        for (const table of ['projectMembers', 'apiKeys', 'metrics', 'projectUsage'] as const) {
          const rows = await db
            .selectFrom(table)
            .select('projectId')
            .where('projectId', '=', scene.project.id)
            .execute();
          expect(rows, table).toEqual([]);
        }
      });
    });

    describe('members', () => {
      const membersUrl = (scene: Scene): string => `/api/projects/${scene.project.id}/members`;
      const memberUrl = (scene: Scene, member: Session): string =>
        `${membersUrl(scene)}/${member.user.id}`;

      async function rolesOf(scene: Scene): Promise<Record<string, string>> {
        const response = await call(ctx.app, 'GET', membersUrl(scene), { session: scene.owner });
        expect(response.statusCode).toBe(200);
        return Object.fromEntries(
          response.json().members.map((m: { userId: string; role: string }) => [m.userId, m.role]),
        );
      }

      it('adds an existing user by e-mail, whatever its case, with a role', async () => {
        const scene = await newScene(ctx.app);
        const user = await signUp(ctx.app, { name: 'Grace' });
        ctx.clock.advance(1000);
        const response = await call(ctx.app, 'POST', membersUrl(scene), {
          session: scene.owner,
          body: { email: user.user.email.toUpperCase(), role: 'developer' },
        });
        expect(response.statusCode).toBe(201);
        expect(response.json().member).toEqual({
          userId: user.user.id,
          email: user.user.email,
          name: 'Grace',
          role: 'developer',
          joinedAt: new Date(ctx.clock.now()).toISOString(),
        });

        const list = await call(ctx.app, 'GET', membersUrl(scene), { session: user });
        expect(list.statusCode).toBe(200);
        expect(
          list.json().members.map((m: { email: string; role: string }) => [m.email, m.role]),
        ).toEqual([
          [scene.owner.user.email, 'owner'],
          [user.user.email, 'developer'],
        ]);
        const projects = await call(ctx.app, 'GET', '/api/projects', { session: user });
        expect(projects.json().projects).toMatchObject([
          { id: scene.project.id, role: 'developer' },
        ]);
      });

      it('refuses an unknown e-mail, an existing member and a bad role', async () => {
        const scene = await newScene(ctx.app);
        const dev = await newMember(scene, 'developer');

        const unknown = await call(ctx.app, 'POST', membersUrl(scene), {
          session: scene.owner,
          body: { email: uniqueEmail('nobody'), role: 'guest' },
        });
        expectProblem(unknown, 404, 'USER_NOT_FOUND');

        for (const member of [dev, scene.owner]) {
          const again = await call(ctx.app, 'POST', membersUrl(scene), {
            session: scene.owner,
            body: { email: member.user.email, role: 'guest' },
          });
          expectProblem(again, 409, 'ALREADY_MEMBER');
        }

        const outsider = await signUp(ctx.app);
        const badRole = await call(ctx.app, 'POST', membersUrl(scene), {
          session: scene.owner,
          body: { email: outsider.user.email, role: 'superuser' },
        });
        expectProblem(badRole, 400, 'VALIDATION_FAILED');

        // Nothing changed: the developer kept their role, nobody was added.
        expect(await rolesOf(scene)).toEqual({
          [scene.owner.user.id]: 'owner',
          [dev.user.id]: 'developer',
        });
      });

      it('changes a member’s role', async () => {
        const scene = await newScene(ctx.app);
        const member = await newMember(scene, 'guest');
        const response = await call(ctx.app, 'PATCH', memberUrl(scene, member), {
          session: scene.owner,
          body: { role: 'admin' },
        });
        expect(response.statusCode).toBe(200);
        expect(response.json().member).toMatchObject({ userId: member.user.id, role: 'admin' });
        expect((await rolesOf(scene))[member.user.id]).toBe('admin');
        const got = await call(ctx.app, 'GET', `/api/projects/${scene.project.id}`, {
          session: member,
        });
        expect(got.json().project.role).toBe('admin');
        // The new role works: an admin may rename the project.
        const renamed = await call(ctx.app, 'PATCH', `/api/projects/${scene.project.id}`, {
          session: member,
          body: { name: 'By the new admin' },
        });
        expect(renamed.statusCode).toBe(200);
      });

      it('refuses to change or remove someone who is not a member', async () => {
        const scene = await newScene(ctx.app);
        const stranger = await signUp(ctx.app);
        const patched = await call(ctx.app, 'PATCH', memberUrl(scene, stranger), {
          session: scene.owner,
          body: { role: 'guest' },
        });
        expectProblem(patched, 404, 'MEMBER_NOT_FOUND');
        const removed = await call(ctx.app, 'DELETE', memberUrl(scene, stranger), {
          session: scene.owner,
        });
        expectProblem(removed, 404, 'MEMBER_NOT_FOUND');
        const projects = await call(ctx.app, 'GET', '/api/projects', { session: stranger });
        expect(projects.json().projects).toEqual([]);
      });

      it('removes a member, who then no longer sees the project', async () => {
        const scene = await newScene(ctx.app);
        const member = await newMember(scene, 'developer');
        const response = await call(ctx.app, 'DELETE', memberUrl(scene, member), {
          session: scene.owner,
        });
        expect(response.statusCode).toBe(204);
        expect(await rolesOf(scene)).toEqual({ [scene.owner.user.id]: 'owner' });
        const got = await call(ctx.app, 'GET', `/api/projects/${scene.project.id}`, {
          session: member,
        });
        expectProblem(got, 404, 'PROJECT_NOT_FOUND');
        const projects = await call(ctx.app, 'GET', '/api/projects', { session: member });
        expect(projects.json().projects).toEqual([]);
      });

      for (const role of ['guest', 'developer', 'admin'] as const) {
        it(`lets a ${role} leave the project`, async () => {
          const scene = await newScene(ctx.app);
          const member = await newMember(scene, role);
          const left = await call(ctx.app, 'DELETE', memberUrl(scene, member), {
            session: member,
          });
          expect(left.statusCode).toBe(204);
          expect(await rolesOf(scene)).toEqual({ [scene.owner.user.id]: 'owner' });
          const got = await call(ctx.app, 'GET', `/api/projects/${scene.project.id}`, {
            session: member,
          });
          expectProblem(got, 404, 'PROJECT_NOT_FOUND');
        });
      }

      it('never leaves a project without an owner', async () => {
        const scene = await newScene(ctx.app);
        const self = memberUrl(scene, scene.owner);

        for (const role of ['admin', 'developer', 'guest']) {
          const demoted = await call(ctx.app, 'PATCH', self, {
            session: scene.owner,
            body: { role },
          });
          expectProblem(demoted, 409, 'LAST_OWNER');
        }
        const left = await call(ctx.app, 'DELETE', self, { session: scene.owner });
        expectProblem(left, 409, 'LAST_OWNER');
        // Promoting oneself to what one already is changes nothing and is fine.
        const same = await call(ctx.app, 'PATCH', self, {
          session: scene.owner,
          body: { role: 'owner' },
        });
        expect(same.statusCode).toBe(200);
        expect(await rolesOf(scene)).toEqual({ [scene.owner.user.id]: 'owner' });

        // With a second owner, the first may step down and the second may then remove them.
        const second = await newMember(scene, 'admin');
        const promoted = await call(ctx.app, 'PATCH', memberUrl(scene, second), {
          session: scene.owner,
          body: { role: 'owner' },
        });
        expect(promoted.statusCode).toBe(200);
        const stepDown = await call(ctx.app, 'PATCH', self, {
          session: scene.owner,
          body: { role: 'admin' },
        });
        expect(stepDown.statusCode).toBe(200);
        expect(stepDown.json().member.role).toBe('admin');

        // Now `second` is the last owner.
        const secondSelf = memberUrl(scene, second);
        expectProblem(
          await call(ctx.app, 'DELETE', secondSelf, { session: second }),
          409,
          'LAST_OWNER',
        );
        expectProblem(
          await call(ctx.app, 'PATCH', secondSelf, { session: second, body: { role: 'guest' } }),
          409,
          'LAST_OWNER',
        );
        const removed = await call(ctx.app, 'DELETE', self, { session: second });
        expect(removed.statusCode).toBe(204);
        expect(await rolesOf({ ...scene, owner: second })).toEqual({ [second.user.id]: 'owner' });
      });

      it('lets an owner leave once another owner exists', async () => {
        const scene = await newScene(ctx.app);
        const other = await newMember(scene, 'owner');
        const left = await call(ctx.app, 'DELETE', memberUrl(scene, scene.owner), {
          session: scene.owner,
        });
        expect(left.statusCode).toBe(204);
        expect(await rolesOf({ ...scene, owner: other })).toEqual({ [other.user.id]: 'owner' });
      });

      it('does not let an admin grant, change or remove the owner role', async () => {
        const scene = await newScene(ctx.app);
        const admin = await newMember(scene, 'admin');
        const dev = await newMember(scene, 'developer');
        const outsider = await signUp(ctx.app);

        const attempts: { method: Method; url: string; body?: unknown }[] = [
          {
            method: 'POST',
            url: membersUrl(scene),
            body: { email: outsider.user.email, role: 'owner' },
          },
          { method: 'PATCH', url: memberUrl(scene, dev), body: { role: 'owner' } },
          { method: 'PATCH', url: memberUrl(scene, admin), body: { role: 'owner' } },
          { method: 'PATCH', url: memberUrl(scene, scene.owner), body: { role: 'guest' } },
          { method: 'DELETE', url: memberUrl(scene, scene.owner) },
        ];
        // Even with a second owner around, so LAST_OWNER is not what stops them.
        const coOwner = await newMember(scene, 'owner');
        for (const attempt of attempts) {
          const response = await call(ctx.app, attempt.method, attempt.url, {
            session: admin,
            body: attempt.body,
          });
          expectProblem(response, 403, 'FORBIDDEN');
        }
        expect(await rolesOf(scene)).toEqual({
          [scene.owner.user.id]: 'owner',
          [admin.user.id]: 'admin',
          [dev.user.id]: 'developer',
          [coOwner.user.id]: 'owner',
        });

        // What an admin may do: manage everyone else.
        const added = await call(ctx.app, 'POST', membersUrl(scene), {
          session: admin,
          body: { email: outsider.user.email, role: 'admin' },
        });
        expect(added.statusCode).toBe(201);
        const promoted = await call(ctx.app, 'PATCH', memberUrl(scene, dev), {
          session: admin,
          body: { role: 'admin' },
        });
        expect(promoted.statusCode).toBe(200);
        const removed = await call(ctx.app, 'DELETE', memberUrl(scene, outsider), {
          session: admin,
        });
        expect(removed.statusCode).toBe(204);
      });
    });

    // Every case builds its own project and users, so they can run side by side.
    describe.concurrent('who may do what', () => {
      it('the tables below cover every route under a project', async () => {
        const response = await call(ctx.app, 'GET', '/api/openapi.json');
        expect(response.statusCode).toBe(200);
        const paths: Record<string, Record<string, unknown>> = response.json().paths;
        const documented = Object.entries(paths).flatMap(([path, operations]) =>
          path.startsWith(PROJECT)
            ? Object.keys(operations)
                .map((m) => m.toUpperCase())
                .filter((m) => ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m))
                .map((m) => `${m} ${path}`)
            : [],
        );
        expect(documented.filter((r) => !r.startsWith('GET ')).sort()).toEqual(
          MUTATING_ROUTES.map(routeKey).sort(),
        );
        expect(
          documented.filter((r) => r.startsWith('GET ') && !STREAMED_ROUTES.includes(r)).sort(),
        ).toEqual(READ_ROUTES.map(routeKey).sort());
      });

      it('creating a project needs only a session', async () => {
        const anyone = await signUp(ctx.app);
        const response = await call(ctx.app, 'POST', '/api/projects', {
          session: anyone,
          body: { name: 'Mine' },
        });
        expect(response.statusCode).toBe(201);
        expect(response.json().project.role).toBe('owner');
      });

      for (const route of [...MUTATING_ROUTES, ...READ_ROUTES]) {
        for (const actor of ACTORS) {
          const outcome = expectedOutcome(route, actor);
          it(`${routeKey(route)} as ${actor} → ${outcome.status} ${outcome.code ?? ''}`, async () => {
            const scene = await newScene(ctx.app);
            const prepared = (await route.prepare?.(scene)) ?? {};
            const session = await sessionOf(scene, actor);
            const url =
              fill(route.path, { projectId: scene.project.id, ...prepared.params }) +
              (route.query ?? '');
            const observed =
              route.observe === undefined
                ? undefined
                : fill(route.observe, { projectId: scene.project.id });
            const before = observed === undefined ? '' : await snapshot(scene, observed);

            const response = await call(ctx.app, route.method, url, {
              session,
              body: prepared.body,
            });

            if (outcome.code === undefined) {
              expect(response.statusCode, response.body).toBe(outcome.status);
            } else {
              expectProblem(response, outcome.status, outcome.code);
            }
            if (observed !== undefined) {
              const after = await snapshot(scene, observed);
              if (outcome.code === undefined) expect(after).not.toBe(before);
              else expect(after).toBe(before);
            }
          });
        }
      }
    });
  });
}
