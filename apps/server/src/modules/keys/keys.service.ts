import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import { generateApiKey, newId } from '../../lib/tokens.js';
import { validate } from '../../lib/validate.js';
import type { ApiKeyRow } from '../../storage/schema.js';
import type { Authorize } from '../projects/project-access.js';
import type { KeysRepo } from './keys.repo.js';
import { type ApiKey, CreateKeyBody, type NewApiKey } from './keys.schemas.js';

export type { NewApiKey } from './keys.schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    status: row.revokedAt === null ? 'active' : 'revoked',
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    rotatedAt: iso(row.rotatedAt),
    revokedAt: iso(row.revokedAt),
  };
}

export function createKeysService(deps: { repo: KeysRepo; authorize: Authorize; clock: Clock }) {
  const { repo, authorize, clock } = deps;

  async function findKey(projectId: string, keyId: string): Promise<ApiKeyRow> {
    const row = await repo.findKey(projectId, keyId);
    if (row === undefined)
      throw new AppError('KEY_NOT_FOUND', `No API key ${keyId} in this project.`);
    return row;
  }

  return {
    /** Creates a key; the returned secret is never retrievable again. */
    async createKey(actor: Actor, projectId: string, input: CreateKeyBody): Promise<NewApiKey> {
      await authorize(actor, projectId, 'manage');
      const body = validate(CreateKeyBody, { ...input, name: input.name?.trim() });
      const secret = generateApiKey();
      const row: ApiKeyRow = {
        id: newId(),
        projectId,
        name: body.name,
        scope: body.scope,
        prefix: secret.prefix,
        secretHash: secret.hash,
        createdBy: actor.kind === 'user' ? actor.userId : null,
        createdAt: clock.now(),
        lastUsedAt: null,
        rotatedAt: null,
        revokedAt: null,
      };
      await repo.insertKey(row);
      return { ...toApiKey(row), secret: secret.secret };
    },

    async listKeys(actor: Actor, projectId: string): Promise<ApiKey[]> {
      await authorize(actor, projectId, 'read');
      return (await repo.listKeys(projectId)).map(toApiKey);
    },

    /** Gives the key a new secret; the old one stops working with the next request. */
    async rotateKey(actor: Actor, projectId: string, keyId: string): Promise<NewApiKey> {
      await authorize(actor, projectId, 'manage');
      await findKey(projectId, keyId);
      const secret = generateApiKey();
      if (!(await repo.replaceSecret(keyId, secret, clock.now()))) {
        throw new AppError('KEY_REVOKED', 'A revoked key cannot be rotated; create a new one.');
      }
      return { ...toApiKey(await findKey(projectId, keyId)), secret: secret.secret };
    },

    /** Revokes a key for good. Revoking a revoked key changes nothing. */
    async revokeKey(actor: Actor, projectId: string, keyId: string): Promise<ApiKey> {
      await authorize(actor, projectId, 'manage');
      await findKey(projectId, keyId);
      await repo.revokeKey(keyId, clock.now());
      return toApiKey(await findKey(projectId, keyId));
    },
  };
}

export type KeysService = ReturnType<typeof createKeysService>;
