import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Actor } from '../lib/actor.js';
import { bearerToken } from '../lib/bearer.js';
import type { KeysService } from '../modules/keys/keys.service.js';
import type { SessionHelpers } from './session.js';

/** Who may read a project's data: a signed-in member, or a `read` API key of the project. */
export type ReaderAuth = (request: FastifyRequest, reply: FastifyReply) => Promise<Actor>;

/**
 * A request with `Authorization: Bearer` is judged by its key alone (an ingest key cannot read:
 * KEY_SCOPE_FORBIDDEN); without one, by its session cookie. The project check itself is the
 * services' `authorize`, as for every other actor.
 */
export function createReaderAuth(keys: KeysService, session: SessionHelpers): ReaderAuth {
  return async (request, reply) => {
    const { authorization } = request.headers;
    if (authorization === undefined) return (await session.requireUser(request, reply)).actor;
    const identity = await keys.identifyKey(bearerToken(authorization));
    if (identity === undefined) {
      throw new AppError('API_KEY_INVALID', 'The API key is unknown, rotated away or revoked.');
    }
    if (identity.scope !== 'read') {
      const article = /^[aeiou]/.test(identity.scope) ? 'an' : 'a';
      throw new AppError(
        'KEY_SCOPE_FORBIDDEN',
        `This is ${article} ${identity.scope} key; reading needs a read key.`,
      );
    }
    // Off the response path; written at most once a minute per key.
    keys.markUsed([identity.keyId]).catch((error: unknown) => {
      request.log.error({ err: error }, 'could not record API key use');
    });
    return { kind: 'key', keyId: identity.keyId, projectId: identity.projectId };
  };
}
