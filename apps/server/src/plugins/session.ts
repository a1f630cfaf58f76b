import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Actor } from '../lib/actor.js';
import type { User } from '../modules/accounts/accounts.schemas.js';
import type { AccountsService } from '../modules/accounts/accounts.service.js';

export const SESSION_COOKIE = 'mly_session';

export interface SessionHelpers {
  /** The signed-in user, or UNAUTHENTICATED. */
  requireUser(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<User & { actor: Actor & { kind: 'user' } }>;
  setSessionCookie(reply: FastifyReply, token: string): void;
  clearSessionCookie(reply: FastifyReply): void;
  sessionToken(request: FastifyRequest): string | undefined;
}

export function createSessionHelpers(accounts: AccountsService, config: Config): SessionHelpers {
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.cookieSecure,
  } as const;

  const sessionToken = (request: FastifyRequest): string | undefined => {
    const token = request.cookies[SESSION_COOKIE];
    return token === undefined || token === '' ? undefined : token;
  };

  const setSessionCookie = (reply: FastifyReply, token: string): void => {
    reply.setCookie(SESSION_COOKIE, token, {
      ...cookieOptions,
      maxAge: Math.floor(config.sessionTtlMs / 1000),
    });
  };

  return {
    sessionToken,
    async requireUser(request, reply) {
      const token = sessionToken(request);
      const session = token === undefined ? undefined : await accounts.authenticate(token);
      if (token === undefined || session === undefined) {
        // A script with an API key on a route that needs a person: say so, not "sign in".
        if (token === undefined && /^bearer\s/i.test(request.headers.authorization ?? '')) {
          throw new AppError(
            'KEY_SCOPE_FORBIDDEN',
            'API keys read metrics and their data (series, breakdowns, overview, events, live updates); this needs a signed-in member.',
          );
        }
        throw new AppError('UNAUTHENTICATED', 'Sign in first: no valid session cookie was sent.');
      }
      // The server slid the session's expiry: slide the cookie's with it.
      if (session.extended) setSessionCookie(reply, token);
      return { ...session.user, actor: { kind: 'user', userId: session.user.id } };
    },
    setSessionCookie,
    clearSessionCookie(reply) {
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
    },
  };
}
