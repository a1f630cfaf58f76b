import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import {
  type App,
  BODY_ERRORS,
  MANAGER_ERRORS,
  MEMBER_ERRORS,
  ProjectParams,
  problems,
  type RouteDeps,
} from '../../http.js';
import {
  ApiKey,
  CreateKeyBody,
  KEY_EXAMPLE,
  NewApiKey,
  PUBLIC_KEY_EXAMPLE,
  UpdateKeyBody,
} from './keys.schemas.js';
import { withSnippet } from './tracker-snippet.js';

const KeyParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
  keyId: Type.String({ description: 'The key’s id (not its secret).' }),
});

const SECRET_EXAMPLE = 'mly_3kTz9Qw0bX1c2V4n5M6a7S8d9F0g1H2j';

/** A public key's allowed origins, as its creation or an update sends them. */
const ORIGIN_ERRORS = ['ORIGINS_REQUIRED', 'ORIGIN_INVALID'] as const;

const NewKeyResponse = (description: string) =>
  Type.Object(
    { key: NewApiKey },
    {
      description,
      'x-examples': {
        ingest: {
          summary: 'An ingest key',
          value: { key: { ...KEY_EXAMPLE, lastUsedAt: null, secret: SECRET_EXAMPLE } },
        },
        public: {
          summary: 'A public key, with its snippet',
          value: {
            key: { ...PUBLIC_KEY_EXAMPLE, secret: PUBLIC_KEY_EXAMPLE.publishableKey },
          },
        },
      },
    },
  );

export async function keysRoutes(
  app: App,
  { services, session, config }: RouteDeps,
): Promise<void> {
  const { keys } = services;
  const tags = ['API keys'];
  // MEASURELY_PUBLIC_URL when set; else where this dashboard is reached, as the browser sees it.
  const scriptUrl = (request: FastifyRequest): string =>
    config.tracker.scriptUrl ?? `${request.protocol}://${request.host}/track.js`;

  app.get(
    '/api/projects/:projectId/keys',
    {
      schema: {
        tags,
        summary: 'API keys of a project (never their secrets)',
        description:
          'Any member. Active and revoked keys, oldest first. Public keys, publishable, come with their key, their allowed origins and their snippet.',
        params: ProjectParams,
        response: {
          200: Type.Object(
            { keys: Type.Array(ApiKey) },
            {
              description: 'The project’s keys.',
              examples: [{ keys: [KEY_EXAMPLE, PUBLIC_KEY_EXAMPLE] }],
            },
          ),
          ...problems(MEMBER_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const list = await keys.listKeys(actor, request.params.projectId);
      return { keys: list.map((key) => withSnippet(key, scriptUrl(request))) };
    },
  );

  app.post(
    '/api/projects/:projectId/keys',
    {
      schema: {
        tags,
        summary: 'Create an API key (owner, admin)',
        description:
          'The response holds the secret; it is not retrievable later (except a public key’s, which is meant for web pages). A public key needs `origins` (400 ORIGINS_REQUIRED, ORIGIN_INVALID) and creates the basic metrics `pageviews` and `visitors` unless they exist (409 TRACKER_METRIC_CONFLICT when one is not basic). `origins` on another scope is 400 VALIDATION_FAILED.',
        params: ProjectParams,
        body: CreateKeyBody,
        response: {
          201: NewKeyResponse('The new key, with its secret: shown this once.'),
          ...problems(BODY_ERRORS, MANAGER_ERRORS, ORIGIN_ERRORS, 'TRACKER_METRIC_CONFLICT'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const key = await keys.createKey(actor, request.params.projectId, request.body);
      return reply.code(201).send({ key: withSnippet(key, scriptUrl(request)) });
    },
  );

  app.patch(
    '/api/projects/:projectId/keys/:keyId',
    {
      schema: {
        tags,
        summary: 'Rename a key, or change a public key’s allowed origins (owner, admin)',
        description:
          'Send the fields to change. New origins replace the old ones from the next page view on (400 ORIGINS_REQUIRED for an empty list, ORIGIN_INVALID); `origins` on a key that is not public is 400 VALIDATION_FAILED. A revoked key cannot change (409 KEY_REVOKED).',
        params: KeyParams,
        body: UpdateKeyBody,
        response: {
          200: Type.Object(
            { key: ApiKey },
            { description: 'The key, changed.', examples: [{ key: PUBLIC_KEY_EXAMPLE }] },
          ),
          ...problems(BODY_ERRORS, MANAGER_ERRORS, ORIGIN_ERRORS, 'KEY_NOT_FOUND', 'KEY_REVOKED'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, keyId } = request.params;
      const key = await keys.updateKey(actor, projectId, keyId, request.body);
      return { key: withSnippet(key, scriptUrl(request)) };
    },
  );

  app.post(
    '/api/projects/:projectId/keys/:keyId/rotate',
    {
      schema: {
        tags,
        summary: 'Give a key a new secret (owner, admin)',
        description:
          'The old secret is refused from the next request on, on every server; the key keeps its id, name, scope and origins. A public key gets a new publishable key: update the snippet on the site. A revoked key cannot be rotated (409 KEY_REVOKED).',
        params: KeyParams,
        response: {
          200: NewKeyResponse('The key with its new secret: shown this once.'),
          ...problems(MANAGER_ERRORS, 'KEY_NOT_FOUND', 'KEY_REVOKED'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, keyId } = request.params;
      return {
        key: withSnippet(await keys.rotateKey(actor, projectId, keyId), scriptUrl(request)),
      };
    },
  );

  app.delete(
    '/api/projects/:projectId/keys/:keyId',
    {
      schema: {
        tags,
        summary: 'Revoke a key (owner, admin)',
        description:
          'The key stays listed as revoked; it is refused from the next request on, on every server. Revoking a revoked key changes nothing and answers the same.',
        params: KeyParams,
        response: {
          200: Type.Object(
            { key: ApiKey },
            {
              description: 'The key, revoked.',
              examples: [
                {
                  key: {
                    ...KEY_EXAMPLE,
                    status: 'revoked',
                    revokedAt: '2026-11-28T12:00:00.000Z',
                  },
                },
              ],
            },
          ),
          ...problems(MANAGER_ERRORS, 'KEY_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, keyId } = request.params;
      return {
        key: withSnippet(await keys.revokeKey(actor, projectId, keyId), scriptUrl(request)),
      };
    },
  );
}
