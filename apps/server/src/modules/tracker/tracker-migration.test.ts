import { CamelCasePlugin, Kysely, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../lib/passwords.js';
import { generateApiKey, newId } from '../../lib/tokens.js';
import { createDialect } from '../../storage/dialect.js';
import { migrationProvider } from '../../storage/migrations/index.js';
import { expectProblem } from '../../test/assertions.js';
import { call } from '../../test/factories.js';
import {
  createAppOn,
  createTestDatabase,
  DIALECTS,
  TestClock,
  type TestContext,
  testConfig,
} from '../../test/harness.js';
import { createPublicKey, freshIp, SITE, track, trackerTotals } from './tracker.fixtures.js';

// The website tracker's migration rebuilds api_keys (on SQLite, by copying it into a new table):
// keys made before it must come through unchanged and keep working.

const BEFORE_TRACKER = '2026-11-28-04-password-resets';
const PASSWORD = 'correct horse battery';

for (const dialect of DIALECTS) {
  describe(`website tracker migration on a database with keys [${dialect}]`, () => {
    let ctx: TestContext;
    const clock = new TestClock();
    const email = `owner-${newId()}@example.com`;
    const projectId = newId();
    const keys = {
      ingest: { id: newId(), ...generateApiKey() },
      read: { id: newId(), ...generateApiKey() },
      revoked: { id: newId(), ...generateApiKey() },
    };

    beforeAll(async () => {
      const database = await createTestDatabase(dialect);
      const config = testConfig(database.url);
      // The schema as it was before the tracker, with a user, a project, a metric and three keys.
      // biome-ignore lint/suspicious/noExplicitAny: the schema of an older version
      const old = new Kysely<any>({
        dialect: createDialect(config.database).dialect,
        plugins: [new CamelCasePlugin()],
      });
      try {
        const migrated = await new Migrator({
          db: old,
          provider: migrationProvider,
        }).migrateTo(BEFORE_TRACKER);
        expect(migrated.error).toBeUndefined();
        const now = clock.now();
        const userId = newId();
        await old
          .insertInto('users')
          .values({
            id: userId,
            email,
            name: 'Owner',
            passwordHash: await hashPassword(PASSWORD),
            isAdmin: 0,
            createdAt: now,
            updatedAt: now,
          })
          .execute();
        await old
          .insertInto('projects')
          .values({ id: projectId, name: 'Before the tracker', createdAt: now, updatedAt: now })
          .execute();
        await old
          .insertInto('projectMembers')
          .values({ projectId, userId, role: 'owner', createdAt: now })
          .execute();
        await old
          .insertInto('metrics')
          .values({
            id: newId(),
            projectId,
            name: 'signups',
            type: 'basic',
            createdAt: now,
            updatedAt: now,
          })
          .execute();
        await old
          .insertInto('apiKeys')
          .values(
            Object.entries(keys).map(([name, key]) => ({
              id: key.id,
              projectId,
              name,
              scope: name === 'read' ? 'read' : 'ingest',
              prefix: key.prefix,
              secretHash: key.hash,
              createdBy: userId,
              createdAt: now,
              lastUsedAt: name === 'read' ? now : null,
              rotatedAt: null,
              revokedAt: name === 'revoked' ? now : null,
            })),
          )
          .execute();
      } finally {
        await old.destroy();
      }

      ctx = await createAppOn(database, { clock });
    });
    afterAll(() => ctx?.close());

    it('keeps every key as it was: same rows, and each still works (or not) as before', async () => {
      const { app, storage } = ctx;
      const rows = await storage.db
        .selectFrom('apiKeys')
        .select(['id', 'scope', 'secretHash', 'revokedAt', 'allowedOrigins', 'publishableKey'])
        .orderBy('id')
        .execute();
      expect(rows).toEqual(
        Object.entries(keys)
          .map(([name, key]) => ({
            id: key.id,
            scope: name === 'read' ? 'read' : 'ingest',
            secretHash: key.hash,
            revokedAt: name === 'revoked' ? clock.now() : null,
            allowedOrigins: null,
            publishableKey: null,
          }))
          .sort((a, b) => a.id.localeCompare(b.id)),
      );

      const event = await call(app, 'POST', '/event/v1/signups', {
        body: { value: 1 },
        headers: { authorization: `Bearer ${keys.ingest.secret}` },
      });
      expect(event.statusCode, event.body).toBe(200);
      const identity = await call(app, 'GET', '/api/key', {
        headers: { authorization: `Bearer ${keys.read.secret}` },
      });
      expect(identity.statusCode, identity.body).toBe(200);
      expect(identity.json()).toMatchObject({ keyId: keys.read.id, projectId, scope: 'read' });
      expectProblem(
        await call(app, 'GET', '/api/key', {
          headers: { authorization: `Bearer ${keys.revoked.secret}` },
        }),
        401,
        'API_KEY_INVALID',
      );
    });

    it('takes public keys next to them; an old key cannot become publishable', async () => {
      const { app, storage } = ctx;
      const login = await call(app, 'POST', '/api/auth/login', {
        body: { email, password: PASSWORD },
      });
      expect(login.statusCode, login.body).toBe(200);
      const cookie = login.cookies.find((c) => c.name === 'mly_session');
      const owner = {
        cookie: `mly_session=${cookie?.value}`,
        user: login.json().user,
        password: PASSWORD,
      };
      const created = await createPublicKey(ctx, owner, projectId, [SITE]);
      expect(created.statusCode, created.body).toBe(201);
      const listed = await call(app, 'GET', `/api/projects/${projectId}/keys`, { session: owner });
      expect(listed.statusCode, listed.body).toBe(200);
      const scopes = (listed.json().keys as Array<{ scope: string }>).map((k) => k.scope).sort();
      expect(scopes).toEqual(['ingest', 'ingest', 'public', 'read']);

      const key = created.json().key.secret as string;
      const view = await track(ctx, { key, path: '/' }, { ip: freshIp() });
      expect(view.statusCode, view.body).toBe(202);
      const f = {
        owner,
        project: { id: projectId, name: '', apiKey: '', apiKeyId: '' },
        key: created.json().key,
      };
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 1, visitors: 1 });

      // The constraint the migration added: an ingest key cannot become publishable.
      await expect(
        storage.db
          .updateTable('apiKeys')
          .set({ allowedOrigins: JSON.stringify([SITE]), publishableKey: keys.ingest.secret })
          .where('id', '=', keys.ingest.id)
          .execute(),
      ).rejects.toThrow();
    });
  });
}
