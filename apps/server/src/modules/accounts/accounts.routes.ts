import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../../http.js';
import { errorResponses } from '../../http.js';
import {
  ChangePasswordBody,
  ForgotPasswordBody,
  ResetPasswordBody,
  SignInBody,
  SignUpBody,
  UpdateProfileBody,
  User,
} from './accounts.schemas.js';

const tags = ['Accounts'];

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
        summary: 'Create an account and sign in',
        description: 'The first account on an instance becomes its administrator.',
        body: SignUpBody,
        response: { 201: Type.Object({ user: User }), ...errorResponses },
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
        summary: 'Sign in',
        description:
          'Throttled per account and per client IP; 429 with Retry-After past the limit.',
        body: SignInBody,
        response: { 200: Type.Object({ user: User }), ...errorResponses },
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
    { schema: { tags, summary: 'Sign out', response: { 204: Type.Null(), ...errorResponses } } },
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
        response: { 200: Type.Object({ user: User }), ...errorResponses },
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
        body: UpdateProfileBody,
        response: { 200: Type.Object({ user: User }), ...errorResponses },
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
          'Needs the current password (400 PASSWORD_INCORRECT otherwise); every other session is signed out.',
        body: ChangePasswordBody,
        response: { 204: Type.Null(), ...errorResponses },
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
        summary: 'Ask for a password reset link',
        description:
          'Always 202, whether or not an account has the e-mail. Until e-mail delivery exists, the link (valid one hour, once) is written to the server log.',
        body: ForgotPasswordBody,
        response: { 202: Type.Null(), ...errorResponses },
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
        summary: 'Set a new password with a reset link',
        description:
          'Signs out every session of the account and signs in here. 400 RESET_TOKEN_INVALID for an unknown, used or expired link.',
        body: ResetPasswordBody,
        response: { 200: Type.Object({ user: User }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user, token } = await accounts.resetPassword(request.body);
      session.setSessionCookie(reply, token);
      return { user };
    },
  );
}
