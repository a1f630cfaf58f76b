import type { Db } from '../../storage/database.js';
import type { ApiKeyRow, ApiKeysTable } from '../../storage/schema.js';

/** A key with the name of the member who created it (null: the operator, or an account gone). */
export type ApiKeyView = ApiKeyRow & { readonly createdByName: string | null };

export function createKeysRepo(db: Db) {
  const withCreator = () =>
    db
      .selectFrom('apiKeys')
      .leftJoin('users', 'users.id', 'apiKeys.createdBy')
      .selectAll('apiKeys')
      .select('users.name as createdByName');
  return {
    async insertKey(row: ApiKeyRow): Promise<void> {
      await db.insertInto('apiKeys').values(row).execute();
    },

    listKeys(projectId: string): Promise<ApiKeyView[]> {
      return withCreator()
        .where('apiKeys.projectId', '=', projectId)
        .orderBy('apiKeys.createdAt')
        .orderBy('apiKeys.id')
        .execute();
    },

    findKey(projectId: string, keyId: string): Promise<ApiKeyView | undefined> {
      return withCreator()
        .where('apiKeys.projectId', '=', projectId)
        .where('apiKeys.id', '=', keyId)
        .executeTakeFirst();
    },

    /**
     * Replaces the secret of an active key (and, for a public key, its publishable copy); false
     * when the key is revoked or gone.
     */
    async replaceSecret(
      keyId: string,
      secret: { hash: string; prefix: string; publishable: string | null },
      now: number,
    ): Promise<boolean> {
      const result = await db
        .updateTable('apiKeys')
        .set({
          secretHash: secret.hash,
          prefix: secret.prefix,
          publishableKey: secret.publishable,
          rotatedAt: now,
        })
        .where('id', '=', keyId)
        .where('revokedAt', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Renames an active key or changes its origins; false when the key is revoked or gone. */
    async updateKey(
      keyId: string,
      patch: Partial<Pick<ApiKeysTable, 'name' | 'allowedOrigins'>>,
    ): Promise<boolean> {
      const result = await db
        .updateTable('apiKeys')
        .set(patch)
        .where('id', '=', keyId)
        .where('revokedAt', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    findActiveKeyByHash(
      secretHash: string,
    ): Promise<Pick<ApiKeyRow, 'id' | 'projectId' | 'scope' | 'allowedOrigins'> | undefined> {
      return db
        .selectFrom('apiKeys')
        .select(['id', 'projectId', 'scope', 'allowedOrigins'])
        .where('secretHash', '=', secretHash)
        .where('revokedAt', 'is', null)
        .executeTakeFirst();
    },

    async markUsed(keyIds: readonly string[], now: number): Promise<void> {
      if (keyIds.length === 0) return;
      await db.updateTable('apiKeys').set({ lastUsedAt: now }).where('id', 'in', keyIds).execute();
    },

    async revokeKey(keyId: string, now: number): Promise<void> {
      await db
        .updateTable('apiKeys')
        .set({ revokedAt: now })
        .where('id', '=', keyId)
        .where('revokedAt', 'is', null)
        .execute();
    },
  };
}

export type KeysRepo = ReturnType<typeof createKeysRepo>;
