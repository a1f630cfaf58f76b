import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import { call, type Session, signUp } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { RESET_TTL_MS } from './accounts.service.js';

const ORIGIN = { origin: 'http://localhost:80' };

for (const dialect of DIALECTS) {
  describe(`profile, password and recovery [${dialect}]`, () => {
    let ctx: TestContext;
    let logs = '';
    beforeAll(async () => {
      const logStream = new Writable({
        write(chunk, _encoding, done) {
          logs += chunk.toString();
          done();
        },
      });
      ctx = await createTestApp(dialect, {
        logStream,
        env: { LOG_LEVEL: 'info', MEASURELY_PUBLIC_URL: 'https://metrics.example.com/' },
      });
    });
    afterAll(() => ctx.close());

    const me = (session: Session) => call(ctx.app, 'GET', '/api/auth/me', { session });
    const signIn = (email: string, password: string) =>
      call(ctx.app, 'POST', '/api/auth/login', { body: { email, password } });

    /** Asks for a reset link and returns the token the server logged. */
    async function resetToken(email: string): Promise<string> {
      const before = logs.length;
      const response = await call(ctx.app, 'POST', '/api/auth/forgot', {
        body: { email: email.toUpperCase() },
      });
      expect(response.statusCode).toBe(202);
      const match = /https:\/\/metrics\.example\.com\/reset-password\?token=([\w-]+)/.exec(
        logs.slice(before),
      );
      if (match?.[1] === undefined) throw new Error('no reset link logged');
      return match[1];
    }

    it('renames the signed-in user, refusing a blank name', async () => {
      const session = await signUp(ctx.app);
      const renamed = await call(ctx.app, 'PATCH', '/api/auth/me', {
        session,
        body: { name: '  Grace Hopper ' },
      });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json().user.name).toBe('Grace Hopper');
      expect((await me(session)).json().user.name).toBe('Grace Hopper');
      const blank = await call(ctx.app, 'PATCH', '/api/auth/me', { session, body: { name: ' ' } });
      expectProblem(blank, 400, 'VALIDATION_FAILED');
      expectProblem(
        await call(ctx.app, 'PATCH', '/api/auth/me', { body: { name: 'x' } }),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('changes the password after checking the current one, and signs out other sessions', async () => {
      const session = await signUp(ctx.app);
      const other = await signIn(session.user.email, session.password);
      const otherCookie = `mly_session=${other.cookies.find((c) => c.name === 'mly_session')?.value}`;

      const wrong = await call(ctx.app, 'POST', '/api/auth/password', {
        session,
        body: { currentPassword: 'not it at all', newPassword: 'a brand new one' },
      });
      expectProblem(wrong, 400, 'PASSWORD_INCORRECT');
      const short = await call(ctx.app, 'POST', '/api/auth/password', {
        session,
        body: { currentPassword: session.password, newPassword: 'short' },
      });
      expectProblem(short, 400, 'VALIDATION_FAILED');

      const changed = await call(ctx.app, 'POST', '/api/auth/password', {
        session,
        body: { currentPassword: session.password, newPassword: 'a brand new one' },
      });
      expect(changed.statusCode).toBe(204);
      expect((await me(session)).statusCode).toBe(200);
      const signedOut = await call(ctx.app, 'GET', '/api/auth/me', {
        headers: { cookie: otherCookie },
      });
      expectProblem(signedOut, 401, 'UNAUTHENTICATED');
      expectProblem(await signIn(session.user.email, session.password), 401, 'INVALID_CREDENTIALS');
      expect((await signIn(session.user.email, 'a brand new one')).statusCode).toBe(200);
    });

    it('resets a forgotten password with the logged link, once, and signs out everywhere', async () => {
      const session = await signUp(ctx.app);
      const token = await resetToken(session.user.email);
      expect(logs).not.toContain(session.password);

      const reset = await call(ctx.app, 'POST', '/api/auth/reset', {
        body: { token, password: 'remembered at last' },
        headers: ORIGIN,
      });
      expect(reset.statusCode).toBe(200);
      expect(reset.json().user.email).toBe(session.user.email);
      expect(reset.cookies.find((c) => c.name === 'mly_session')?.value).toBeTruthy();
      expectProblem(await me(session), 401, 'UNAUTHENTICATED');
      expect((await signIn(session.user.email, 'remembered at last')).statusCode).toBe(200);

      const again = await call(ctx.app, 'POST', '/api/auth/reset', {
        body: { token, password: 'a third password' },
      });
      expectProblem(again, 400, 'RESET_TOKEN_INVALID');
    });

    it('kills every pending reset link when the password is changed', async () => {
      const session = await signUp(ctx.app);
      const tokens = [await resetToken(session.user.email), await resetToken(session.user.email)];
      const changed = await call(ctx.app, 'POST', '/api/auth/password', {
        session,
        body: { currentPassword: session.password, newPassword: 'changed in a hurry' },
      });
      expect(changed.statusCode).toBe(204);
      for (const token of tokens) {
        const reset = await call(ctx.app, 'POST', '/api/auth/reset', {
          body: { token, password: 'an attacker password' },
        });
        expectProblem(reset, 400, 'RESET_TOKEN_INVALID');
      }
      expectProblem(
        await signIn(session.user.email, 'an attacker password'),
        401,
        'INVALID_CREDENTIALS',
      );
      expect((await signIn(session.user.email, 'changed in a hurry')).statusCode).toBe(200);
    });

    it('lifts the sign-in lockout of the account once its password is reset', async () => {
      const session = await signUp(ctx.app);
      for (let i = 0; i < ctx.config.login.maxFailuresPerAccount; i++) {
        expectProblem(
          await signIn(session.user.email, 'a wrong guess'),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      const locked = await signIn(session.user.email, session.password);
      expectProblem(locked, 429, 'TOO_MANY_ATTEMPTS');
      expect(locked.headers['retry-after']).toBe(String(ctx.config.login.windowMs / 1000));

      const reset = await call(ctx.app, 'POST', '/api/auth/reset', {
        body: { token: await resetToken(session.user.email), password: 'reset after lockout' },
      });
      expect(reset.statusCode).toBe(200);
      expect((await signIn(session.user.email, 'reset after lockout')).statusCode).toBe(200);
    });

    it('builds the link from the configured URL, never from the Host header', async () => {
      const session = await signUp(ctx.app);
      const before = logs.length;
      await call(ctx.app, 'POST', '/api/auth/forgot', {
        body: { email: session.user.email },
        headers: { host: 'evil.example' },
      });
      const line = logs
        .slice(before)
        .split('\n')
        .find((l) => l.includes('reset-password'));
      expect(line).toContain('https://metrics.example.com/reset-password?token=');
      expect(line).not.toContain('evil.example');
    });

    it('uses a link once even when it is sent twice at the same time', async () => {
      const session = await signUp(ctx.app);
      const token = await resetToken(session.user.email);
      const attempts = await Promise.all(
        ['first new password', 'second new password', 'third new password'].map((password) =>
          call(ctx.app, 'POST', '/api/auth/reset', { body: { token, password } }),
        ),
      );
      expect(attempts.map((r) => r.statusCode).sort()).toEqual([200, 400, 400]);
    });

    it('answers 202 even past the limit, sending nothing more', async () => {
      const session = await signUp(ctx.app);
      const before = logs.length;
      for (let i = 0; i < 8; i++) {
        const response = await call(ctx.app, 'POST', '/api/auth/forgot', {
          body: { email: session.user.email },
        });
        expect(response.statusCode).toBe(202);
      }
      expect(logs.slice(before).match(/reset-password\?token=/g)).toHaveLength(5);
    });

    it('refuses an expired or made-up link, and answers the same for an unknown e-mail', async () => {
      const session = await signUp(ctx.app);
      const token = await resetToken(session.user.email);
      ctx.clock.advance(RESET_TTL_MS + 1);
      const expired = await call(ctx.app, 'POST', '/api/auth/reset', {
        body: { token, password: 'too late for this' },
      });
      expectProblem(expired, 400, 'RESET_TOKEN_INVALID');
      const madeUp = await call(ctx.app, 'POST', '/api/auth/reset', {
        body: { token: 'x'.repeat(43), password: 'made up token here' },
      });
      expectProblem(madeUp, 400, 'RESET_TOKEN_INVALID');
      expect((await signIn(session.user.email, session.password)).statusCode).toBe(200);

      const before = logs.length;
      const unknown = await call(ctx.app, 'POST', '/api/auth/forgot', {
        body: { email: 'nobody-here@example.com' },
      });
      expect(unknown.statusCode).toBe(202);
      expect(logs.slice(before)).not.toContain('reset-password');
    });
  });
}
