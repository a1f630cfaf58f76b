import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../services.js';
import { expectProblem } from '../../test/assertions.js';
import {
  addMember,
  call,
  createProject,
  type Session,
  signUp,
  type TestProject,
  uniqueEmail,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { INVITATION_TTL_MS } from './invitations.service.js';

function tokenOf(response: LightMyRequestResponse): string {
  const link = new URL(response.json().link as string);
  expect(link.pathname).toBe('/invite');
  return link.searchParams.get('token') ?? '';
}

function sessionOf(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'mly_session');
  if (cookie === undefined) throw new Error('no session cookie');
  return `mly_session=${cookie.value}`;
}

for (const dialect of DIALECTS) {
  describe(`invitations [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    let project: TestProject;
    const invitationsUrl = () => `/api/projects/${project.id}/invitations`;
    const invite = (body: unknown, session: Session = owner) =>
      call(ctx.app, 'POST', invitationsUrl(), { session, body });
    const lookup = (token: string) =>
      call(ctx.app, 'POST', '/api/invitations/lookup', { body: { token } });
    const accept = (body: Record<string, unknown>, cookie?: string) =>
      call(ctx.app, 'POST', '/api/invitations/accept', {
        body,
        ...(cookie === undefined ? {} : { headers: { cookie } }),
      });
    const members = async () =>
      (await call(ctx.app, 'GET', `/api/projects/${project.id}/members`, { session: owner }))
        .json()
        .members.map((m: { email: string; role: string }) => [m.email, m.role]);

    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_ALLOW_SIGNUP: 'false' } });
      owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner, 'Invited to');
    });
    afterAll(() => ctx.close());

    it('invites an address without an account, which creates it from the link even with sign-ups closed', async () => {
      const email = uniqueEmail('newcomer');
      // Sign-ups are closed for everyone else.
      expectProblem(
        await call(ctx.app, 'POST', '/api/auth/signup', {
          body: { email, password: 'correct horse battery' },
        }),
        403,
        'SIGNUP_DISABLED',
      );
      const created = await invite({ email: email.toUpperCase(), role: 'developer' });
      expect(created.statusCode).toBe(201);
      expect(created.json().invitation).toMatchObject({
        projectId: project.id,
        email,
        role: 'developer',
        invitedBy: owner.user.name,
      });
      const token = tokenOf(created);
      const listed = await call(ctx.app, 'GET', invitationsUrl(), { session: owner });
      expect(listed.json().invitations.map((i: { email: string }) => i.email)).toEqual([email]);
      expect(listed.body).not.toContain(token);

      expect((await lookup(token)).json().invitation).toMatchObject({
        projectName: 'Invited to',
        email,
        role: 'developer',
        invitedBy: owner.user.name,
        hasAccount: false,
        // The instance's administrator invited: the link may create the account.
        canCreateAccount: true,
      });
      expectProblem(await accept({ token }), 401, 'UNAUTHENTICATED');
      const joined = await accept({ token, password: 'a new password', name: 'Newcomer' });
      expect(joined.statusCode).toBe(201);
      expect(joined.json()).toMatchObject({
        project: { id: project.id, name: 'Invited to' },
        role: 'developer',
        user: { email, name: 'Newcomer', isAdmin: false },
      });
      // Signed in as the new account, which sees the project.
      const mine = await call(ctx.app, 'GET', '/api/projects', {
        headers: { cookie: sessionOf(joined) },
      });
      expect(mine.json().projects.map((p: { id: string }) => p.id)).toEqual([project.id]);
      expect(await members()).toContainEqual([email, 'developer']);

      // The link works once.
      expectProblem(await lookup(token), 400, 'INVITATION_INVALID');
      expectProblem(
        await accept({ token, password: 'another password' }),
        400,
        'INVITATION_INVALID',
      );
      expect((await call(ctx.app, 'GET', invitationsUrl(), { session: owner })).json()).toEqual({
        invitations: [],
      });
    });

    it('lets only the invited account accept, signed in', async () => {
      const invited = await createUser(ctx, uniqueEmail('invited'));
      const stranger = await createUser(ctx, uniqueEmail('stranger'));
      const token = tokenOf(await invite({ email: invited.email, role: 'admin' }));
      expect((await lookup(token)).json().invitation.hasAccount).toBe(true);
      const refused = await accept({ token }, stranger.cookie);
      expectProblem(refused, 403, 'INVITATION_EMAIL_MISMATCH');
      expect(refused.json().detail).toContain(invited.email);
      // Signed out, an existing account is not created again: sign in first.
      expectProblem(await accept({ token, password: 'whatever it is' }), 409, 'EMAIL_TAKEN');
      const joined = await accept({ token }, invited.cookie);
      expect(joined.statusCode).toBe(200);
      expect(joined.json()).toEqual({
        project: { id: project.id, name: 'Invited to' },
        role: 'admin',
      });
      expect(await members()).toContainEqual([invited.email, 'admin']);
    });

    it('replaces, withdraws and expires links', async () => {
      const email = uniqueEmail('later');
      const first = tokenOf(await invite({ email, role: 'guest' }));
      const second = tokenOf(await invite({ email, role: 'developer' }));
      expectProblem(await lookup(first), 400, 'INVITATION_INVALID');
      expect((await lookup(second)).json().invitation.role).toBe('developer');
      const [pending] = (await call(ctx.app, 'GET', invitationsUrl(), { session: owner })).json()
        .invitations as Array<{ id: string; email: string }>;
      expect(pending?.email).toBe(email);
      const withdrawn = await call(ctx.app, 'DELETE', `${invitationsUrl()}/${pending?.id}`, {
        session: owner,
      });
      expect(withdrawn.statusCode).toBe(204);
      expectProblem(await lookup(second), 400, 'INVITATION_INVALID');
      expectProblem(
        await call(ctx.app, 'DELETE', `${invitationsUrl()}/${pending?.id}`, { session: owner }),
        404,
        'INVITATION_NOT_FOUND',
      );

      const third = tokenOf(await invite({ email, role: 'guest' }));
      ctx.clock.advance(INVITATION_TTL_MS);
      expectProblem(await lookup(third), 400, 'INVITATION_INVALID');
      expectProblem(
        await accept({ token: third, password: 'too late now' }),
        400,
        'INVITATION_INVALID',
      );
    });

    it('is for owners and admins; only an owner invites an owner; a member is not invited', async () => {
      const admin = await signUpAs(ctx);
      const developer = await signUpAs(ctx);
      await addMember(ctx.app, owner, project.id, admin, 'admin');
      await addMember(ctx.app, owner, project.id, developer, 'developer');
      const outsider = await signUpAs(ctx);
      expectProblem(
        await invite({ email: uniqueEmail(), role: 'guest' }, developer),
        403,
        'FORBIDDEN',
      );
      expectProblem(await invite({ email: uniqueEmail(), role: 'owner' }, admin), 403, 'FORBIDDEN');
      expect((await invite({ email: uniqueEmail(), role: 'admin' }, admin)).statusCode).toBe(201);
      expectProblem(
        await invite({ email: uniqueEmail(), role: 'guest' }, outsider),
        404,
        'PROJECT_NOT_FOUND',
      );
      expectProblem(
        await call(ctx.app, 'GET', invitationsUrl(), { session: developer }),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await invite({ email: developer.user.email, role: 'admin' }),
        409,
        'ALREADY_MEMBER',
      );
      expectProblem(
        await invite({ email: 'not an address', role: 'guest' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(await invite({ email: uniqueEmail(), role: 'boss' }), 400, 'VALIDATION_FAILED');
    });

    it('dies with its sender’s right to grant it', async () => {
      const admin = await signUpAs(ctx);
      await addMember(ctx.app, owner, project.id, admin, 'admin');
      const token = tokenOf(
        await invite({ email: uniqueEmail('by-admin'), role: 'developer' }, admin),
      );
      expect((await lookup(token)).statusCode).toBe(200);
      // The admin is removed: what they sent stops working.
      const removed = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${project.id}/members/${admin.user.id}`,
        { session: owner },
      );
      expect(removed.statusCode).toBe(204);
      expectProblem(await lookup(token), 400, 'INVITATION_INVALID');
      expectProblem(await accept({ token, password: 'a new password' }), 400, 'INVITATION_INVALID');
    });

    it('lets no admin replace an owner’s invitation to be an owner', async () => {
      const admin = await signUpAs(ctx);
      await addMember(ctx.app, owner, project.id, admin, 'admin');
      const email = uniqueEmail('future-owner');
      const token = tokenOf(await invite({ email, role: 'owner' }));
      expectProblem(await invite({ email, role: 'guest' }, admin), 403, 'FORBIDDEN');
      expect((await lookup(token)).json().invitation.role).toBe('owner');
    });

    it('creates no account where sign-ups are closed unless the administrator invited', async () => {
      // A member who is not the instance's administrator, owner of a project of their own.
      const someone = await signUpAs(ctx);
      const theirs = await createProject(ctx.app, someone, 'Their own');
      const created = await call(ctx.app, 'POST', `/api/projects/${theirs.id}/invitations`, {
        session: someone,
        body: { email: uniqueEmail('ceo'), role: 'guest' },
      });
      const token = tokenOf(created);
      expect((await lookup(token)).json().invitation).toMatchObject({
        hasAccount: false,
        canCreateAccount: false,
      });
      expectProblem(await accept({ token, password: 'chosen by someone' }), 403, 'SIGNUP_DISABLED');
      // The link still works for an account the administrator makes.
      expect((await lookup(token)).statusCode).toBe(200);
    });

    it('ends with its project', async () => {
      const doomed = await createProject(ctx.app, owner, 'Doomed');
      const created = await call(ctx.app, 'POST', `/api/projects/${doomed.id}/invitations`, {
        session: owner,
        body: { email: uniqueEmail(), role: 'guest' },
      });
      const token = tokenOf(created);
      expect(
        (await call(ctx.app, 'DELETE', `/api/projects/${doomed.id}`, { session: owner }))
          .statusCode,
      ).toBe(204);
      expectProblem(await lookup(token), 400, 'INVITATION_INVALID');
    });
  });
}

/** An account made by the operator (sign-ups are closed here), signed in. */
async function createUser(
  ctx: TestContext,
  email: string,
): Promise<{ email: string; cookie: string }> {
  const session = await signUpAs(ctx, email);
  return { email, cookie: session.cookie };
}

/** An account the operator made (sign-ups are closed here), signed in through the API. */
async function signUpAs(ctx: TestContext, email = uniqueEmail()): Promise<Session> {
  const password = 'correct horse battery';
  const { accounts } = createServices({
    storage: ctx.storage,
    config: ctx.config,
    clock: ctx.clock,
  });
  await accounts.createUser({ email, password });
  const login = await call(ctx.app, 'POST', '/api/auth/login', { body: { email, password } });
  if (login.statusCode !== 200) throw new Error(`sign-in failed: ${login.body}`);
  return { cookie: sessionOf(login), user: login.json().user, password };
}
