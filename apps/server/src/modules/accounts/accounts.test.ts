import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCounterStore } from '../../lib/counter-store.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import { call, signUp, uniqueEmail } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { createAccountsRepo } from './accounts.repo.js';
import { createAccountsService } from './accounts.service.js';

async function hashOf(ctx: TestContext, userId: string): Promise<string> {
  const row = await ctx.storage.db
    .selectFrom('users')
    .select('passwordHash')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.passwordHash;
}

for (const dialect of DIALECTS) {
  describe(`accounts [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_LOGIN_MAX_FAILURES: '3' } });
    });
    afterAll(() => ctx.close());

    it('makes exactly one administrator of simultaneous first sign-ups', async () => {
      const fresh = await createTestApp(dialect);
      try {
        const sessions = await Promise.all(Array.from({ length: 5 }, () => signUp(fresh.app)));
        expect(sessions.filter((s) => s.user.isAdmin)).toHaveLength(1);
      } finally {
        await fresh.close();
      }
    });

    it('hashes passwords at the configured scrypt cost', async () => {
      const dearer = await createTestApp(dialect, { env: { MEASURELY_PASSWORD_HASH_COST: '13' } });
      try {
        const { user } = await signUp(dearer.app, { password: 'long enough pw' });
        expect((await hashOf(dearer, user.id)).split('$').slice(0, 4)).toEqual([
          'scrypt',
          '8192',
          '8',
          '1',
        ]);
        const login = await call(dearer.app, 'POST', '/api/auth/login', {
          body: { email: user.email, password: 'long enough pw' },
        });
        expect(login.statusCode, login.body).toBe(200);

        // A hash made at another cost (before the setting changed) still signs in, and is
        // remade at the configured cost; a failed sign-in leaves it as it is.
        const older = await hashPassword('long enough pw', 12);
        const users = dearer.storage.db.updateTable('users').where('id', '=', user.id);
        await users.set({ passwordHash: older }).execute();
        const wrong = await call(dearer.app, 'POST', '/api/auth/login', {
          body: { email: user.email, password: 'not the password' },
        });
        expect(wrong.statusCode).toBe(401);
        expect(await hashOf(dearer, user.id)).toBe(older);
        const again = await call(dearer.app, 'POST', '/api/auth/login', {
          body: { email: user.email, password: 'long enough pw' },
        });
        expect(again.statusCode, again.body).toBe(200);
        const remade = await hashOf(dearer, user.id);
        expect(remade.split('$').slice(0, 4)).toEqual(['scrypt', '8192', '8', '1']);
        expect(await verifyPassword('long enough pw', remade)).toBe(true);
      } finally {
        await dearer.close();
      }
    });

    it('makes the first account the instance admin and no other', async () => {
      const first = await signUp(ctx.app);
      const second = await signUp(ctx.app);
      expect(first.user.isAdmin).toBe(true);
      expect(second.user.isAdmin).toBe(false);
    });

    it('never puts back an old password when a sign-in remakes its hash during a change', async () => {
      const session = await signUp(ctx.app, { password: 'the old password' });
      const older = await hashPassword('the old password', ctx.config.passwordHashCost - 1);
      await ctx.storage.db
        .updateTable('users')
        .set({ passwordHash: older })
        .where('id', '=', session.user.id)
        .execute();
      // The sign-in reads the old hash, then the password changes before it remakes that hash.
      const repo = createAccountsRepo(ctx.storage.db);
      const accounts = createAccountsService({
        repo: {
          ...repo,
          async findUserByEmail(email) {
            const row = await repo.findUserByEmail(email);
            const changed = await call(ctx.app, 'POST', '/api/auth/password', {
              session,
              body: { currentPassword: 'the old password', newPassword: 'the new password' },
            });
            expect(changed.statusCode, changed.body).toBe(204);
            return row;
          },
        },
        config: ctx.config,
        clock: ctx.clock,
        attempts: new MemoryCounterStore(ctx.clock),
      });
      await accounts.signIn({ email: session.user.email, password: 'the old password' }, '::1');

      const login = (password: string) =>
        call(ctx.app, 'POST', '/api/auth/login', { body: { email: session.user.email, password } });
      expect((await login('the old password')).statusCode).toBe(401);
      expect((await login('the new password')).statusCode).toBe(200);
    });

    it('counts parallel failed sign-ins exactly, even with a store that answers over the network', async () => {
      const session = await signUp(ctx.app);
      // A shared store (Redis) answers each call after a round trip: parallel attempts then
      // interleave, and a check made before counting would let them all through.
      const memory = new MemoryCounterStore(ctx.clock);
      const later = <T>(value: Promise<T>) =>
        new Promise<T>((resolve) => setTimeout(() => resolve(value), 5));
      const accounts = createAccountsService({
        repo: createAccountsRepo(ctx.storage.db),
        config: ctx.config,
        clock: ctx.clock,
        attempts: {
          get: (key) => later(memory.get(key)),
          increment: (key, windowMs) => later(memory.increment(key, windowMs)),
          reset: (key) => later(memory.reset(key)),
        },
      });
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () =>
          accounts.signIn({ email: session.user.email, password: 'not the password' }, '::2').then(
            () => 'in',
            (error: { code?: string }) => error.code,
          ),
        ),
      );
      const max = ctx.config.login.maxFailuresPerAccount;
      expect(outcomes.filter((o) => o === 'INVALID_CREDENTIALS')).toHaveLength(max);
      expect(outcomes.filter((o) => o === 'TOO_MANY_ATTEMPTS')).toHaveLength(30 - max);
    });

    it('signs up with an HttpOnly, SameSite=Lax session cookie and answers who am I', async () => {
      const email = uniqueEmail('cookie');
      const response = await call(ctx.app, 'POST', '/api/auth/signup', {
        body: { email: email.toUpperCase(), password: 'long enough pw', name: 'Ada' },
      });
      expect(response.statusCode).toBe(201);
      const cookie = response.cookies.find((c) => c.name === 'mly_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(response.json().user).toMatchObject({ email, name: 'Ada' });

      const me = await call(ctx.app, 'GET', '/api/auth/me', {
        headers: { cookie: `mly_session=${cookie?.value}` },
      });
      expect(me.statusCode).toBe(200);
      expect(me.json().user.email).toBe(email);
    });

    it('refuses a second account with the same e-mail, whatever its case', async () => {
      const session = await signUp(ctx.app);
      const response = await call(ctx.app, 'POST', '/api/auth/signup', {
        body: { email: session.user.email.toUpperCase(), password: 'another password' },
      });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('EMAIL_TAKEN');
    });

    it('validates e-mail and password with every bad field listed', async () => {
      const response = await call(ctx.app, 'POST', '/api/auth/signup', {
        body: { email: 'not-an-email', password: 'short' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      const problem = response.json();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
        '/email',
        '/password',
      ]);
    });

    it('signs in with the right password only', async () => {
      const session = await signUp(ctx.app);
      const wrong = await call(ctx.app, 'POST', '/api/auth/login', {
        body: { email: session.user.email, password: 'not the password' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().code).toBe('INVALID_CREDENTIALS');

      const unknown = await call(ctx.app, 'POST', '/api/auth/login', {
        body: { email: uniqueEmail(), password: session.password },
      });
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json().code).toBe('INVALID_CREDENTIALS');

      const right = await call(ctx.app, 'POST', '/api/auth/login', {
        body: { email: session.user.email, password: session.password },
      });
      expect(right.statusCode).toBe(200);
      expect(right.cookies.find((c) => c.name === 'mly_session')?.value).toBeTruthy();
    });

    it('throttles failed sign-ins per account, with Retry-After, even for the right password', async () => {
      const session = await signUp(ctx.app);
      for (let i = 0; i < 3; i++) {
        const failed = await call(ctx.app, 'POST', '/api/auth/login', {
          body: { email: session.user.email, password: 'wrong password' },
        });
        expect(failed.statusCode).toBe(401);
      }
      const blocked = await call(ctx.app, 'POST', '/api/auth/login', {
        body: { email: session.user.email, password: session.password },
      });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().code).toBe('TOO_MANY_ATTEMPTS');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

      ctx.clock.advance(ctx.config.login.windowMs);
      const after = await call(ctx.app, 'POST', '/api/auth/login', {
        body: { email: session.user.email, password: session.password },
      });
      expect(after.statusCode).toBe(200);
    });

    it('signs out: the old cookie no longer authenticates', async () => {
      const session = await signUp(ctx.app);
      const out = await call(ctx.app, 'POST', '/api/auth/logout', { session });
      expect(out.statusCode).toBe(204);
      const me = await call(ctx.app, 'GET', '/api/auth/me', { session });
      expect(me.statusCode).toBe(401);
      expect(me.json().code).toBe('UNAUTHENTICATED');
    });

    it('expires sessions after the configured time without use', async () => {
      const session = await signUp(ctx.app);
      ctx.clock.advance(ctx.config.sessionTtlMs - 1000);
      expect((await call(ctx.app, 'GET', '/api/auth/me', { session })).statusCode).toBe(200);
      // That use slid the expiry forward: a full TTL later it has lapsed.
      ctx.clock.advance(ctx.config.sessionTtlMs + 1000);
      expect((await call(ctx.app, 'GET', '/api/auth/me', { session })).statusCode).toBe(401);
    });

    it('rejects a forged cookie', async () => {
      const me = await call(ctx.app, 'GET', '/api/auth/me', {
        headers: { cookie: 'mly_session=forged' },
      });
      expect(me.statusCode).toBe(401);
    });
  });

  describe(`sign-up closed [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_ALLOW_SIGNUP: 'false' } });
    });
    afterAll(() => ctx.close());

    it('still lets the first (admin) account in, then refuses sign-ups', async () => {
      const admin = await signUp(ctx.app);
      expect(admin.user.isAdmin).toBe(true);
      const refused = await call(ctx.app, 'POST', '/api/auth/signup', {
        body: { email: uniqueEmail(), password: 'long enough pw' },
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('SIGNUP_DISABLED');
    });
  });
}
