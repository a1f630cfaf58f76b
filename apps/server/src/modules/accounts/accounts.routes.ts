import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../../http.js';
import { errorResponses } from '../../http.js';
import { SignInBody, SignUpBody, User } from './accounts.schemas.js';

const tags = ['Accounts'];

export async function accountsRoutes(app: App, { services, session }: RouteDeps): Promise<void> {
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
}
