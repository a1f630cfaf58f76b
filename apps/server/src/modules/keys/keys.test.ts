import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import {
  call,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

const SECRET = /^mly_[0-9A-Za-z]{32}$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Key {
  id: string;
  projectId: string;
  name: string;
  scope: string;
  prefix: string;
  status: string;
  createdAt: string;
  lastUsedAt: string | null;
  rotatedAt: string | null;
  revokedAt: string | null;
  secret?: string;
}

/** Only the id of a project matters to the URLs. */
type ProjectRef = Pick<TestProject, 'id'>;

const keysUrl = (project: ProjectRef): string => `/api/projects/${project.id}/keys`;
const keyUrl = (project: ProjectRef, keyId: string): string => `${keysUrl(project)}/${keyId}`;

async function listKeys(
  ctx: TestContext,
  session: Session,
  project: ProjectRef,
): Promise<{ keys: Key[]; body: string }> {
  const response = await call(ctx.app, 'GET', keysUrl(project), { session });
  expect(response.statusCode).toBe(200);
  return { keys: response.json().keys, body: response.body };
}

async function newKey(
  ctx: TestContext,
  session: Session,
  project: ProjectRef,
  scope: 'ingest' | 'read' = 'read',
): Promise<Key & { secret: string }> {
  const response = await call(ctx.app, 'POST', keysUrl(project), {
    session,
    body: { name: `${scope} key`, scope },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().key;
}

async function rotate(
  ctx: TestContext,
  session: Session,
  project: ProjectRef,
  keyId: string,
): Promise<LightMyRequestResponse> {
  return call(ctx.app, 'POST', `${keyUrl(project, keyId)}/rotate`, { session });
}

for (const dialect of DIALECTS) {
  describe(`api keys [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    const nowIso = (): string => new Date(ctx.clock.now()).toISOString();

    it('gives a new project one active ingest key, its secret shown once', async () => {
      const owner = await signUp(ctx.app);
      const response = await call(ctx.app, 'POST', '/api/projects', {
        session: owner,
        body: { name: 'Keyed' },
      });
      expect(response.statusCode).toBe(201);
      const { project, apiKey } = response.json();
      expect(apiKey.secret).toMatch(SECRET);
      expect(apiKey).toEqual({
        id: expect.any(String),
        projectId: project.id,
        name: expect.any(String),
        scope: 'ingest',
        prefix: apiKey.secret.slice(0, 10),
        status: 'active',
        // Keys outlive their creator's membership: the list says whose to rotate.
        createdBy: { id: owner.user.id, name: owner.user.name },
        createdAt: nowIso(),
        lastUsedAt: null,
        rotatedAt: null,
        revokedAt: null,
        secret: apiKey.secret,
      });

      const { keys } = await listKeys(ctx, owner, project);
      const { secret: _secret, ...listed } = apiKey;
      expect(keys).toEqual([listed]);
    });

    it('creates ingest and read keys, each with its own secret', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      // A second apart: keys are listed oldest first.
      ctx.clock.advance(1000);
      const ingest = await newKey(ctx, owner, project, 'ingest');
      ctx.clock.advance(1000);
      const read = await newKey(ctx, owner, project, 'read');
      for (const [key, scope] of [
        [ingest, 'ingest'],
        [read, 'read'],
      ] as const) {
        expect(key).toMatchObject({
          projectId: project.id,
          name: `${scope} key`,
          scope,
          status: 'active',
          rotatedAt: null,
          revokedAt: null,
        });
        expect(key.secret).toMatch(SECRET);
        expect(key.prefix).toBe(key.secret.slice(0, 10));
      }
      expect(new Set([project.apiKey, ingest.secret, read.secret]).size).toBe(3);

      const { keys } = await listKeys(ctx, owner, project);
      expect(keys.map((k) => [k.id, k.scope])).toEqual([
        [project.apiKeyId, 'ingest'],
        [ingest.id, 'ingest'],
        [read.id, 'read'],
      ]);
    });

    it('records when a read key was last used to read', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const read = await newKey(ctx, owner, project, 'read');
      const response = await call(ctx.app, 'GET', `/api/projects/${project.id}/overview`, {
        headers: { authorization: `Bearer ${read.secret}` },
      });
      expect(response.statusCode).toBe(200);
      await expect
        .poll(async () => (await listKeys(ctx, owner, project)).keys.find((k) => k.id === read.id))
        .toMatchObject({ lastUsedAt: new Date(ctx.clock.now()).toISOString() });
    });

    it('validates the scope and the name of a new key', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const badScope = await call(ctx.app, 'POST', keysUrl(project), {
        session: owner,
        body: { name: 'Admin key', scope: 'admin' },
      });
      expectProblem(badScope, 400, 'VALIDATION_FAILED');
      expect(badScope.json().errors.map((e: { pointer: string }) => e.pointer)).toContain('/scope');
      for (const body of [{ scope: 'read' }, { name: '   ', scope: 'read' }, { name: 'x' }]) {
        const response = await call(ctx.app, 'POST', keysUrl(project), { session: owner, body });
        expectProblem(response, 400, 'VALIDATION_FAILED');
      }
      expect((await listKeys(ctx, owner, project)).keys).toHaveLength(1);
    });

    it('lists keys without their secrets', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const created = [await newKey(ctx, owner, project), await newKey(ctx, owner, project)];
      const rotated = (await rotate(ctx, owner, project, project.apiKeyId)).json().key;
      const secrets = [project.apiKey, rotated.secret, ...created.map((k) => k.secret)];

      const { keys, body } = await listKeys(ctx, owner, project);
      expect(keys).toHaveLength(3);
      for (const key of keys) {
        expect(key).not.toHaveProperty('secret');
        expect(key.prefix).toMatch(/^mly_[0-9A-Za-z]{6}$/);
      }
      for (const secret of secrets) {
        expect(secret).toMatch(SECRET);
        expect(body).not.toContain(secret);
        // Not even the random part without its recognisable prefix.
        expect(body).not.toContain(secret.slice(4));
      }
    });

    it('rotates a key: same key, new secret, rotatedAt set', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      ctx.clock.advance(5000);
      const response = await rotate(ctx, owner, project, project.apiKeyId);
      expect(response.statusCode).toBe(200);
      const key = response.json().key;
      expect(key.id).toBe(project.apiKeyId);
      expect(key.secret).toMatch(SECRET);
      expect(key.secret).not.toBe(project.apiKey);
      expect(key.prefix).toBe(key.secret.slice(0, 10));
      expect(key).toMatchObject({ status: 'active', scope: 'ingest', rotatedAt: nowIso() });
      expect(response.body).not.toContain(project.apiKey);

      const { keys } = await listKeys(ctx, owner, project);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({
        id: project.apiKeyId,
        prefix: key.prefix,
        rotatedAt: nowIso(),
      });

      const again = (await rotate(ctx, owner, project, project.apiKeyId)).json().key;
      expect(again.secret).toMatch(SECRET);
      expect(again.secret).not.toBe(key.secret);
    });

    it('revokes a key: still listed as revoked, no longer rotatable, revoking again is fine', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      ctx.clock.advance(1000);
      const other = await newKey(ctx, owner, project);
      ctx.clock.advance(5000);
      const revokedAt = nowIso();
      const response = await call(ctx.app, 'DELETE', keyUrl(project, project.apiKeyId), {
        session: owner,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().key).toMatchObject({
        id: project.apiKeyId,
        status: 'revoked',
        revokedAt,
      });
      expect(response.json().key).not.toHaveProperty('secret');
      expect(response.body).not.toContain(project.apiKey);

      const { keys } = await listKeys(ctx, owner, project);
      expect(keys.map((k) => [k.id, k.status])).toEqual([
        [project.apiKeyId, 'revoked'],
        [other.id, 'active'],
      ]);

      expectProblem(await rotate(ctx, owner, project, project.apiKeyId), 409, 'KEY_REVOKED');

      ctx.clock.advance(5000);
      const twice = await call(ctx.app, 'DELETE', keyUrl(project, project.apiKeyId), {
        session: owner,
      });
      expect(twice.statusCode).toBe(200);
      // The first revocation stands.
      expect(twice.json().key).toMatchObject({ status: 'revoked', revokedAt, rotatedAt: null });
      const after = await listKeys(ctx, owner, project);
      expect(after.keys[0]).toMatchObject({
        status: 'revoked',
        revokedAt,
        prefix: keys[0]?.prefix,
      });
    });

    it('answers KEY_NOT_FOUND for an unknown key', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      for (const keyId of ['00000000-0000-4000-8000-000000000000', 'no-such-key']) {
        expectProblem(await rotate(ctx, owner, project, keyId), 404, 'KEY_NOT_FOUND');
        const revoked = await call(ctx.app, 'DELETE', keyUrl(project, keyId), { session: owner });
        expectProblem(revoked, 404, 'KEY_NOT_FOUND');
      }
    });

    it('does not reach another project’s key through this project', async () => {
      const owner = await signUp(ctx.app);
      const mine = await createProject(ctx.app, owner, 'Mine');
      const other = await createProject(ctx.app, owner, 'Other');
      const before = await listKeys(ctx, owner, other);

      expectProblem(await rotate(ctx, owner, mine, other.apiKeyId), 404, 'KEY_NOT_FOUND');
      const revoked = await call(ctx.app, 'DELETE', keyUrl(mine, other.apiKeyId), {
        session: owner,
      });
      expectProblem(revoked, 404, 'KEY_NOT_FOUND');

      // The other project's key is untouched.
      expect((await listKeys(ctx, owner, other)).keys).toEqual(before.keys);
      expect(before.keys[0]).toMatchObject({ status: 'active', rotatedAt: null });

      // Even by someone who manages the first project but is a stranger to the second.
      const stranger = await signUp(ctx.app);
      const theirs = await createProject(ctx.app, stranger, 'Theirs');
      expectProblem(await rotate(ctx, stranger, theirs, mine.apiKeyId), 404, 'KEY_NOT_FOUND');
      expectProblem(await rotate(ctx, stranger, mine, mine.apiKeyId), 404, 'PROJECT_NOT_FOUND');
      expect((await listKeys(ctx, owner, mine)).keys[0]).toMatchObject({
        status: 'active',
        rotatedAt: null,
      });
    });

    it('stores only the hash of a key: no secret in any row of any table', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      await createMetric(ctx.app, owner, project.id);
      const read = await newKey(ctx, owner, project, 'read');
      const ingest = await newKey(ctx, owner, project, 'ingest');
      const rotated = (await rotate(ctx, owner, project, read.id)).json().key;
      const revoked = await call(ctx.app, 'DELETE', keyUrl(project, ingest.id), {
        session: owner,
      });
      expect(revoked.statusCode).toBe(200);

      // Every response after creation, none of which may carry a secret.
      const later = [
        revoked.body,
        (await listKeys(ctx, owner, project)).body,
        (await call(ctx.app, 'GET', `/api/projects/${project.id}`, { session: owner })).body,
        (await call(ctx.app, 'GET', '/api/projects', { session: owner })).body,
        (await call(ctx.app, 'GET', `/api/projects/${project.id}/members`, { session: owner }))
          .body,
        (await call(ctx.app, 'GET', `/api/projects/${project.id}/metrics`, { session: owner }))
          .body,
      ].join('\n');

      const live = [project.apiKey, rotated.secret, ingest.secret];
      const replaced = read.secret;
      const secrets = [...live, replaced];
      for (const secret of secrets) expect(secret).toMatch(SECRET);

      const { db } = ctx.storage;
      const tables = (await db.introspection.getTables({ withInternalKyselyTables: true })).map(
        (t) => t.name,
      );
      expect(tables).toEqual(
        expect.arrayContaining([
          'users',
          'sessions',
          'projects',
          'project_members',
          'project_usage',
          'api_keys',
          'metrics',
        ]),
      );
      // Every table there is, including any added later, dumped row by row.
      const anyDb = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const dump: Record<string, unknown[]> = {};
      for (const table of tables) dump[table] = await anyDb.selectFrom(table).selectAll().execute();
      expect(dump.api_keys?.length).toBeGreaterThanOrEqual(3);
      const text = JSON.stringify(dump);

      for (const secret of secrets) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(4));
        expect(later).not.toContain(secret);
      }

      const hashes = (
        await db
          .selectFrom('apiKeys')
          .select('secretHash')
          .where('projectId', '=', project.id)
          .execute()
      ).map((r) => r.secretHash);
      expect(hashes.sort()).toEqual(live.map(sha256).sort());
      // The rotated-away secret is gone, hash and all.
      expect(text).not.toContain(sha256(replaced));
    });
  });

  describe(`api keys in the logs [${dialect}]`, () => {
    let ctx: TestContext;
    const chunks: string[] = [];
    beforeAll(async () => {
      const logStream = new Writable({
        write(chunk, _encoding, done) {
          chunks.push(String(chunk));
          done();
        },
      });
      ctx = await createTestApp(dialect, { logStream, env: { LOG_LEVEL: 'info' } });
    });
    afterAll(() => ctx.close());

    it('never logs a key or a session cookie, even when sent as credentials', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const created = await newKey(ctx, owner, project, 'read');
      const rotated = (await rotate(ctx, owner, project, created.id)).json().key;
      await listKeys(ctx, owner, project);
      const secrets = [project.apiKey, created.secret, rotated.secret];
      const cookieValue = owner.cookie.slice(owner.cookie.indexOf('=') + 1);
      expect(cookieValue.length).toBeGreaterThan(20);

      // A key presented as a bearer token, alongside the session cookie, on routes that
      // succeed and fail.
      const requests = [
        { url: keysUrl(project), id: 'leak-check-ok', status: 200 },
        {
          url: '/api/projects/00000000-0000-4000-8000-000000000000',
          id: 'leak-check-404',
          status: 404,
        },
        { url: '/api/no-such-route', id: 'leak-check-route', status: 404 },
      ];
      for (const request of requests) {
        const response = await call(ctx.app, 'GET', request.url, {
          headers: {
            authorization: `Bearer ${rotated.secret}`,
            cookie: owner.cookie,
            'x-request-id': request.id,
          },
        });
        expect(response.statusCode).toBe(request.status);
      }
      const anonymous = await call(ctx.app, 'GET', keysUrl(project), {
        headers: { authorization: `Bearer ${project.apiKey}`, 'x-request-id': 'leak-check-403' },
      });
      // A key on a route for members: refused as a key (KEY_SCOPE_FORBIDDEN).
      expect(anonymous.statusCode).toBe(403);

      const logs = chunks.join('');
      // The logs were captured, these very requests included.
      for (const id of [...requests.map((r) => r.id), 'leak-check-403']) {
        expect(logs).toContain(`"requestId":"${id}"`);
      }
      for (const secret of secrets) {
        expect(logs).not.toContain(secret);
        expect(logs).not.toContain(secret.slice(4));
      }
      expect(logs).not.toContain(cookieValue);
    });
  });
}
