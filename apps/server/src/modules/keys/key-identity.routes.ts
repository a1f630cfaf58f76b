import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import { type App, problems, type RouteDeps, SECURITY } from '../../http.js';
import { bearerToken } from '../../lib/bearer.js';
import { KeyScope } from './keys.schemas.js';

export const KeyIdentityResponse = Type.Object({
  keyId: Type.String({ format: 'uuid' }),
  projectId: Type.String({ format: 'uuid' }),
  scope: KeyScope,
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, for recognising it.' }),
});

/**
 * `GET /api/key`: what the API key of the request is, so a client holding only the key (an SDK,
 * a script) learns the project it belongs to.
 */
export async function keyIdentityRoutes(app: App, { services }: RouteDeps): Promise<void> {
  const { keys } = services;
  app.get(
    '/api/key',
    {
      schema: {
        tags: ['API keys'],
        security: SECURITY.ingestOrReadKey,
        summary: 'The API key of the request: its id, project, scope, name and prefix',
        description:
          'For a client that holds only a key (an SDK, a script): which project it belongs to and what it may do. Takes an ingest or read key as `Authorization: Bearer mly_…`, never a session cookie. No key, or an unknown, rotated-away or revoked one, is 401 API_KEY_INVALID; a public key (meant for web pages) is 403 KEY_SCOPE_FORBIDDEN. Answered with `Cache-Control: no-store`.',
        response: {
          200: {
            ...KeyIdentityResponse,
            description: 'The key of the request.',
            examples: [
              {
                keyId: '0b9d6c1e-4a47-4c1e-9a55-6f1f2b6f3c10',
                projectId: '5f0c2a8e-3b1d-4e2f-8a6b-7c9d0e1f2a3b',
                scope: 'read',
                name: 'Reporting scripts',
                prefix: 'mly_3kTz9Q',
              },
            ],
          },
          ...problems('API_KEY_INVALID', 'KEY_SCOPE_FORBIDDEN'),
        },
      },
    },
    async (request, reply) => {
      const identity = await keys.identifyKey(bearerToken(request.headers.authorization));
      if (identity === undefined) {
        throw new AppError('API_KEY_INVALID', 'The API key is unknown, rotated away or revoked.');
      }
      if (identity.scope !== 'ingest' && identity.scope !== 'read') {
        throw new AppError(
          'KEY_SCOPE_FORBIDDEN',
          `A ${identity.scope} key cannot be identified; use an ingest or read key.`,
        );
      }
      const { keyId, projectId, scope } = identity;
      const actor = { kind: 'key', keyId, projectId } as const;
      const key = await keys.getKey(actor, projectId, keyId).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'KEY_NOT_FOUND') return undefined;
        throw error;
      });
      // Revoked or deleted between the two reads.
      if (key === undefined || key.status !== 'active') {
        throw new AppError('API_KEY_INVALID', 'The API key is unknown, rotated away or revoked.');
      }
      reply.header('cache-control', 'no-store');
      return { keyId, projectId, scope, name: key.name, prefix: key.prefix };
    },
  );
}
