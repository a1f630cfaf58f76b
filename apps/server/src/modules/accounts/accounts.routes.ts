import { Type } from '@sinclair/typebox';
import {
  type App,
  BODY_ERRORS,
  problems,
  type RouteDeps,
  SECURITY,
  SESSION_ERRORS,
  WRITE_ERRORS,
} from '../../http.js';
import {
  ChangePasswordBody,
  ForgotPasswordBody,
  ResetPasswordBody,
  SignInBody,
  SignUpBody,
  UpdateProfileBody,
  USER_EXAMPLE,
  User,
} from './accounts.schemas.js';

const tags = ['Accounts'];

/** `{user}`, as the routes that sign someone in or show them answer. */
function userResponse(description: string) {
  return Type.Object({ user: User }, { description, examples: [{ user: USER_EXAMPLE }] });
}

const SESSION_SET =
  'Sets the `mly_session` cookie (HttpOnly, SameSite=Lax; Secure with MEASURELY_COOKIE_SECURE).';

export async function accountsRoutes(
  app: App,
  { services, session, config }: RouteDeps,
): Promise<void> {
  const { accounts } = services;

  app.post(
    '/api/auth/signup',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Create an account and sign in',
        description: `The first account on an instance becomes its administrator. With MEASURELY_ALLOW_SIGNUP=false, only that first account can sign up (403 SIGNUP_DISABLED afterwards). Sign-up and sign-in attempts are throttled per client IP (429 TOO_MANY_ATTEMPTS with Retry-After). ${SESSION_SET}`,
        body: SignUpBody,
        response: {
          201: userResponse('Signed up and signed in.'),
          ...problems(
            BODY_ERRORS,
            WRITE_ERRORS,
            'TOO_MANY_ATTEMPTS',
            'SIGNUP_DISABLED',
            'EMAIL_TAKEN',
          ),
        },
      },
    },
    async (request, reply) => {
      const { user, token } = await accounts.signUp(request.body, request.ip);
      session.setSessionCookie(reply, token);
      return reply.code(201).send({ user });
    },
  );

  app.post(
    '/api/auth/login',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Sign in',
        description: `A wrong e-mail and a wrong password are not told apart (401 INVALID_CREDENTIALS). Throttled per account and per client IP: 429 TOO_MANY_ATTEMPTS with Retry-After past the limit. ${SESSION_SET}`,
        body: SignInBody,
        response: {
          200: userResponse('Signed in.'),
          ...problems(BODY_ERRORS, WRITE_ERRORS, 'TOO_MANY_ATTEMPTS', 'INVALID_CREDENTIALS'),
        },
      },
    },
    async (request, reply) => {
      const { user, token } = await accounts.signIn(request.body, request.ip);
      session.setSessionCookie(reply, token);
      return { user };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        tags,
        security: SECURITY.optionalSession,
        summary: 'Sign out',
        description:
          'Ends the session of the cookie and clears the cookie; without a session, there is nothing to end and the answer is the same.',
        response: {
          204: Type.Null({ description: 'Signed out.' }),
          ...problems(WRITE_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const token = session.sessionToken(request);
      if (token !== undefined) await accounts.signOut(token);
      session.clearSessionCookie(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      schema: {
        tags,
        summary: 'The signed-in user',
        description: 'Sessions last MEASURELY_SESSION_TTL_DAYS (30) days from their last use.',
        response: { 200: userResponse('The signed-in user.'), ...problems(SESSION_ERRORS) },
      },
    },
    async (request, reply) => {
      const { actor: _actor, ...user } = await session.requireUser(request, reply);
      return { user };
    },
  );

  app.patch(
    '/api/auth/me',
    {
      schema: {
        tags,
        summary: 'Change your name',
        description: 'The name is trimmed; a blank one is 400 VALIDATION_FAILED.',
        body: UpdateProfileBody,
        response: {
          200: userResponse('The user, renamed.'),
          ...problems(BODY_ERRORS, WRITE_ERRORS, SESSION_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { id } = await session.requireUser(request, reply);
      return { user: await accounts.updateProfile(id, request.body) };
    },
  );

  app.post(
    '/api/auth/password',
    {
      schema: {
        tags,
        summary: 'Change your password',
        description:
          'Needs the current password (400 PASSWORD_INCORRECT otherwise, not 401: the session is fine); wrong guesses count against the account’s sign-in throttle. Every other session of the account is signed out, and every reset link asked for before stops working.',
        body: ChangePasswordBody,
        response: {
          204: Type.Null({ description: 'Changed.' }),
          ...problems(
            BODY_ERRORS,
            WRITE_ERRORS,
            SESSION_ERRORS,
            'PASSWORD_INCORRECT',
            'TOO_MANY_ATTEMPTS',
          ),
        },
      },
    },
    async (request, reply) => {
      const { id } = await session.requireUser(request, reply);
      await accounts.changePassword(id, request.body, session.sessionToken(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/auth/forgot',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Ask for a password reset link',
        description:
          'Always 202, whether or not an account has the e-mail, and past the limit of links per account or IP. Until e-mail delivery exists, the link (MEASURELY_PUBLIC_URL/reset-password?token=…, valid one hour, once) is written to the server log at level warn.',
        body: ForgotPasswordBody,
        response: {
          202: Type.Null({ description: 'Accepted; a link goes to the account, if there is one.' }),
          ...problems(BODY_ERRORS, WRITE_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const token = await accounts.requestPasswordReset(request.body.email, request.ip);
      if (token !== undefined) {
        // From configuration, never from the request's Host header, which the client chooses.
        const link = `${config.publicUrl}/reset-password?token=${token}`;
        request.log.warn(
          { email: request.body.email.trim().toLowerCase() },
          `password reset requested; send this link to the user: ${link}`,
        );
      }
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/api/auth/reset',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Set a new password with a reset link',
        description: `Signs out every session of the account, lifts its sign-in lockout (the link proves control of the mailbox) and signs in here. 400 RESET_TOKEN_INVALID for an unknown, used or expired link, or one asked for before the password last changed. ${SESSION_SET}`,
        body: ResetPasswordBody,
        response: {
          200: userResponse('The password is changed; signed in.'),
          ...problems(BODY_ERRORS, WRITE_ERRORS, 'RESET_TOKEN_INVALID'),
        },
      },
    },
    async (request, reply) => {
      const { user, token } = await accounts.resetPassword(request.body);
      session.setSessionCookie(reply, token);
      return { user };
    },
  );
}
