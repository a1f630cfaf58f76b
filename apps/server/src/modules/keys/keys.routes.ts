import { Type } from '@sinclair/typebox';
import { type App, errorResponses, ProjectParams, type RouteDeps } from '../../http.js';
import { ApiKey, CreateKeyBody, NewApiKey } from './keys.schemas.js';

const KeyParams = Type.Object({ projectId: Type.String(), keyId: Type.String() });

export async function keysRoutes(app: App, { services, session }: RouteDeps): Promise<void> {
  const { keys } = services;
  const tags = ['API keys'];

  app.get(
    '/api/projects/:projectId/keys',
    {
      schema: {
        tags,
        summary: 'API keys of a project (never their secrets)',
        params: ProjectParams,
        response: { 200: Type.Object({ keys: Type.Array(ApiKey) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      return { keys: await keys.listKeys(actor, request.params.projectId) };
    },
  );

  app.post(
    '/api/projects/:projectId/keys',
    {
      schema: {
        tags,
        summary: 'Create an API key (owner, admin)',
        description: 'The response holds the secret; it is not retrievable later.',
        params: ProjectParams,
        body: CreateKeyBody,
        response: { 201: Type.Object({ key: NewApiKey }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const key = await keys.createKey(actor, request.params.projectId, request.body);
      return reply.code(201).send({ key });
    },
  );

  app.post(
    '/api/projects/:projectId/keys/:keyId/rotate',
    {
      schema: {
        tags,
        summary: 'Give a key a new secret (owner, admin)',
        description: 'The old secret is refused from the next request on.',
        params: KeyParams,
        response: { 200: Type.Object({ key: NewApiKey }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, keyId } = request.params;
      return { key: await keys.rotateKey(actor, projectId, keyId) };
    },
  );

  app.delete(
    '/api/projects/:projectId/keys/:keyId',
    {
      schema: {
        tags,
        summary: 'Revoke a key (owner, admin)',
        description: 'The key stays listed as revoked; it is refused from the next request on.',
        params: KeyParams,
        response: { 200: Type.Object({ key: ApiKey }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, keyId } = request.params;
      return { key: await keys.revokeKey(actor, projectId, keyId) };
    },
  );
}
