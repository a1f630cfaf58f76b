import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import type { InvalidationBus } from '../../lib/invalidation-bus.js';
import { API_KEY_PATTERN, generateApiKey, newId, sha256Hex } from '../../lib/tokens.js';
import { SHARED_CACHE_TTL_MS, TtlCache } from '../../lib/ttl-cache.js';
import { validate, validationError } from '../../lib/validate.js';
import type { ApiKeyRow } from '../../storage/schema.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { Authorize } from '../projects/project-access.js';
import { parseAllowedOrigins } from '../tracker/origins.js';
import { ensureTrackerMetrics } from '../tracker/tracker-metrics.js';
import type { ApiKeyView, KeysRepo } from './keys.repo.js';
import { type ApiKey, CreateKeyBody, type NewApiKey, UpdateKeyBody } from './keys.schemas.js';

export type { NewApiKey } from './keys.schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function originsOf(row: Pick<ApiKeyRow, 'allowedOrigins'>): string[] {
  return row.allowedOrigins === null ? [] : (JSON.parse(row.allowedOrigins) as string[]);
}

function toApiKey(row: ApiKeyView): ApiKey {
  const key: ApiKey = {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    status: row.revokedAt === null ? 'active' : 'revoked',
    createdBy:
      row.createdBy === null || row.createdByName === null
        ? null
        : { id: row.createdBy, name: row.createdByName },
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    rotatedAt: iso(row.rotatedAt),
    revokedAt: iso(row.revokedAt),
  };
  if (row.scope !== 'public' || row.publishableKey === null) return key;
  return { ...key, origins: originsOf(row), publishableKey: row.publishableKey };
}

const notPublic = (): AppError =>
  validationError([{ pointer: '/origins', message: 'only public keys have allowed origins' }]);

/** What an API key grants, as the ingestion and query paths need it. */
export interface KeyIdentity {
  readonly keyId: string;
  readonly projectId: string;
  readonly scope: ApiKey['scope'];
  /** Public keys: the normalised origins the tracker accepts them from; empty otherwise. */
  readonly origins: readonly string[];
}

const CACHE_LIMIT = 10_000;
/** last_used_at is written at most this often per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function createKeysService(deps: {
  repo: KeysRepo;
  authorize: Authorize;
  /** For the metrics a public key feeds (the website tracker's). */
  metrics: MetricsService;
  clock: Clock;
  bus: InvalidationBus;
}) {
  const { repo, authorize, metrics, clock, bus } = deps;
  // Active keys by their secret. Rotation and revocation evict by key id through the bus, so the
  // key stops working on the next request here; the TTL bounds it for changes made elsewhere.
  const cache = new TtlCache<string, KeyIdentity>(clock, SHARED_CACHE_TTL_MS, CACHE_LIMIT);
  const lastMarked = new Map<string, number>();
  bus.subscribe('api-key', (keyId) => cache.evictWhere((identity) => identity.keyId === keyId));
  bus.subscribe('project', (projectId) =>
    cache.evictWhere((identity) => identity.projectId === projectId),
  );

  async function evict(keyId: string): Promise<void> {
    await bus.publish('api-key', keyId);
  }

  async function findKey(projectId: string, keyId: string): Promise<ApiKeyView> {
    const row = await repo.findKey(projectId, keyId);
    if (row === undefined)
      throw new AppError('KEY_NOT_FOUND', `No API key ${keyId} in this project.`);
    return row;
  }

  return {
    /**
     * Creates a key; the returned secret is never retrievable again, except a public key's, which
     * is publishable. A public key needs its allowed origins and brings the tracker's metrics.
     */
    async createKey(actor: Actor, projectId: string, input: CreateKeyBody): Promise<NewApiKey> {
      await authorize(actor, projectId, 'manage');
      const body = validate(CreateKeyBody, { ...input, name: input.name?.trim() });
      let origins: string[] | null = null;
      if (body.scope === 'public') {
        origins = parseAllowedOrigins(body.origins);
        await ensureTrackerMetrics(metrics, actor, projectId);
      } else if (body.origins !== undefined) {
        throw notPublic();
      }
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
        allowedOrigins: origins === null ? null : JSON.stringify(origins),
        publishableKey: origins === null ? null : secret.secret,
      };
      await repo.insertKey(row);
      return { ...toApiKey(await findKey(projectId, row.id)), secret: secret.secret };
    },

    async listKeys(actor: Actor, projectId: string): Promise<ApiKey[]> {
      await authorize(actor, projectId, 'read');
      return (await repo.listKeys(projectId)).map(toApiKey);
    },

    /** One key of the project, as the keys list shows it; KEY_NOT_FOUND otherwise. */
    async getKey(actor: Actor, projectId: string, keyId: string): Promise<ApiKey> {
      await authorize(actor, projectId, 'read');
      return toApiKey(await findKey(projectId, keyId));
    },

    /** Gives the key a new secret; the old one stops working with the next request. */
    async rotateKey(actor: Actor, projectId: string, keyId: string): Promise<NewApiKey> {
      await authorize(actor, projectId, 'manage');
      const { scope } = await findKey(projectId, keyId);
      const secret = generateApiKey();
      const publishable = scope === 'public' ? secret.secret : null;
      if (!(await repo.replaceSecret(keyId, { ...secret, publishable }, clock.now()))) {
        throw new AppError('KEY_REVOKED', 'A revoked key cannot be rotated; create a new one.');
      }
      await evict(keyId);
      return { ...toApiKey(await findKey(projectId, keyId)), secret: secret.secret };
    },

    /** Renames an active key, or changes the allowed origins of a public key. */
    async updateKey(
      actor: Actor,
      projectId: string,
      keyId: string,
      input: UpdateKeyBody,
    ): Promise<ApiKey> {
      await authorize(actor, projectId, 'manage');
      const body = validate(
        UpdateKeyBody,
        input.name === undefined ? input : { ...input, name: input.name.trim() },
      );
      const key = await findKey(projectId, keyId);
      if (body.origins !== undefined && key.scope !== 'public') throw notPublic();
      const patch: Parameters<KeysRepo['updateKey']>[1] = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.origins !== undefined) {
        patch.allowedOrigins = JSON.stringify(parseAllowedOrigins(body.origins));
      }
      if (!(await repo.updateKey(keyId, patch))) {
        throw new AppError('KEY_REVOKED', 'A revoked key cannot be changed; create a new one.');
      }
      await evict(keyId);
      return toApiKey(await findKey(projectId, keyId));
    },

    /** Revokes a key for good. Revoking a revoked key changes nothing. */
    async revokeKey(actor: Actor, projectId: string, keyId: string): Promise<ApiKey> {
      await authorize(actor, projectId, 'manage');
      await findKey(projectId, keyId);
      await repo.revokeKey(keyId, clock.now());
      await evict(keyId);
      return toApiKey(await findKey(projectId, keyId));
    },

    /** identifyKey's answer when it is cached, without a promise: for ingestion's hot path. */
    cachedIdentity(secret: string): KeyIdentity | undefined {
      return cache.get(secret);
    },

    /** The project and scope of an active key, or undefined for anything else. */
    async identifyKey(secret: string): Promise<KeyIdentity | undefined> {
      if (!API_KEY_PATTERN.test(secret)) return undefined;
      // Keyed by the secret itself, so a cached key costs no hashing; only misses hash it.
      const cached = cache.get(secret);
      if (cached !== undefined) return cached;
      const generation = cache.generation;
      const row = await repo.findActiveKeyByHash(sha256Hex(secret));
      if (row === undefined) return undefined;
      const identity: KeyIdentity = {
        keyId: row.id,
        projectId: row.projectId,
        scope: row.scope,
        origins: originsOf(row),
      };
      cache.set(secret, identity, generation);
      return identity;
    },

    /** Records that keys were used; writes at most once a minute per key. */
    async markUsed(keyIds: Iterable<string>): Promise<void> {
      const now = clock.now();
      const due = [...new Set(keyIds)].filter(
        (id) => now - (lastMarked.get(id) ?? 0) >= LAST_USED_RESOLUTION_MS,
      );
      for (const id of due) lastMarked.set(id, now);
      await repo.markUsed(due, now);
    },
  };
}

export type KeysService = ReturnType<typeof createKeysService>;
