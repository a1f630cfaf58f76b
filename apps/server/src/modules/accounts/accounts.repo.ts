import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/dialect.js';
import type { NewUserRow, UserRow } from '../../storage/schema.js';

export function createAccountsRepo(db: Db) {
  const findUserByEmail = (email: string): Promise<UserRow | undefined> =>
    db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  const findUserById = (id: string): Promise<UserRow | undefined> =>
    db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

  return {
    /**
     * Inserts a user; the first user of the instance becomes its administrator.
     * Returns undefined when the e-mail is already registered.
     */
    async insertUser(row: Omit<NewUserRow, 'isAdmin'>): Promise<UserRow | undefined> {
      try {
        await db
          .insertInto('users')
          .values({
            ...row,
            isAdmin: sql<number>`(case when exists (select 1 from users) then 0 else 1 end)`,
          })
          .execute();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Either the e-mail is taken, or another first sign-up became the administrator meanwhile.
        if ((await findUserByEmail(row.email)) !== undefined) return undefined;
        await db
          .insertInto('users')
          .values({ ...row, isAdmin: 0 })
          .execute()
          .catch((retry: unknown) => {
            if (!isUniqueViolation(retry)) throw retry;
          });
        return findUserById(row.id);
      }
      return db.selectFrom('users').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    },

    async findFirstUserId(): Promise<string | undefined> {
      const row = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
      return row?.id;
    },

    findUserByEmail,

    findUserById,

    async insertSession(session: {
      id: string;
      userId: string;
      now: number;
      expiresAt: number;
    }): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          userId: session.userId,
          createdAt: session.now,
          lastSeenAt: session.now,
          expiresAt: session.expiresAt,
        })
        .execute();
    },

    findSessionUser(
      sessionId: string,
      now: number,
    ): Promise<(UserRow & { lastSeenAt: number }) | undefined> {
      return db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.userId')
        .selectAll('users')
        .select('sessions.lastSeenAt')
        .where('sessions.id', '=', sessionId)
        .where('sessions.expiresAt', '>', now)
        .executeTakeFirst();
    },

    async extendSession(sessionId: string, now: number, expiresAt: number): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ lastSeenAt: now, expiresAt })
        .where('id', '=', sessionId)
        .execute();
    },

    async deleteSession(sessionId: string): Promise<void> {
      await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
    },

    async updateUser(userId: string, patch: { name: string }, now: number): Promise<void> {
      await db
        .updateTable('users')
        .set({ ...patch, updatedAt: now })
        .where('id', '=', userId)
        .execute();
    },

    /**
     * Sets a new password: every pending reset link of the user dies with the old one, and every
     * session but `keepSession` (if any) is signed out.
     */
    async setPassword(
      userId: string,
      passwordHash: string,
      now: number,
      keepSession?: string,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('users')
          .set({ passwordHash, updatedAt: now })
          .where('id', '=', userId)
          .execute();
        await trx.deleteFrom('passwordResets').where('userId', '=', userId).execute();
        let sessions = trx.deleteFrom('sessions').where('userId', '=', userId);
        if (keepSession !== undefined) sessions = sessions.where('id', '!=', keepSession);
        await sessions.execute();
      });
    },

    /**
     * Replaces a hash by another of the same password, unless the password changed since `stale`
     * was read: a late rehash must never put an old password back.
     */
    async rehashPassword(
      userId: string,
      stale: string,
      passwordHash: string,
      now: number,
    ): Promise<void> {
      await db
        .updateTable('users')
        .set({ passwordHash, updatedAt: now })
        .where('id', '=', userId)
        .where('passwordHash', '=', stale)
        .execute();
    },

    async insertPasswordReset(reset: {
      id: string;
      userId: string;
      now: number;
      expiresAt: number;
    }): Promise<void> {
      await db.deleteFrom('passwordResets').where('expiresAt', '<=', reset.now).execute();
      await db
        .insertInto('passwordResets')
        .values({
          id: reset.id,
          userId: reset.userId,
          createdAt: reset.now,
          expiresAt: reset.expiresAt,
        })
        .execute();
    },

    /**
     * Takes a reset token: deletes it and returns its user, once — of two simultaneous takes,
     * only the one whose delete removed the row gets the user. The user's other tokens go too.
     */
    async takePasswordReset(id: string, now: number): Promise<string | undefined> {
      const row = await db
        .deleteFrom('passwordResets')
        .where('id', '=', id)
        .where('expiresAt', '>', now)
        .returning('userId')
        .executeTakeFirst();
      if (row === undefined) return undefined;
      await db.deleteFrom('passwordResets').where('userId', '=', row.userId).execute();
      return row.userId;
    },

    async deleteExpiredSessions(userId: string, now: number): Promise<void> {
      await db
        .deleteFrom('sessions')
        .where('userId', '=', userId)
        .where('expiresAt', '<=', now)
        .execute();
    },
  };
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
