import type { Db } from '../../storage/database.js';
import type { InvitationsTable } from '../../storage/schema.js';

export type InvitationRow = InvitationsTable;

/** An invitation with what its page shows: the project's name and who sent it. */
export interface InvitationView extends InvitationRow {
  readonly projectName: string;
  readonly invitedByName: string | null;
}

export function createInvitationsRepo(db: Db) {
  const withNames = () =>
    db
      .selectFrom('invitations')
      .innerJoin('projects', 'projects.id', 'invitations.projectId')
      .leftJoin('users', 'users.id', 'invitations.invitedBy')
      .selectAll('invitations')
      .select(['projects.name as projectName', 'users.name as invitedByName']);

  return {
    /** Stores an invitation, replacing the address's pending one for the project (its link dies). */
    async replaceInvitation(row: InvitationRow): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('invitations')
          .where('projectId', '=', row.projectId)
          .where('email', '=', row.email)
          .execute();
        await trx.deleteFrom('invitations').where('expiresAt', '<=', row.createdAt).execute();
        await trx.insertInto('invitations').values(row).execute();
      });
    },

    /** The project's pending invitations, newest first. */
    listInvitations(projectId: string, now: number): Promise<InvitationView[]> {
      return withNames()
        .where('invitations.projectId', '=', projectId)
        .where('invitations.expiresAt', '>', now)
        .orderBy('invitations.createdAt', 'desc')
        .execute();
    },

    /** The pending invitation of an address to a project, if any. */
    findPending(projectId: string, email: string, now: number): Promise<InvitationRow | undefined> {
      return db
        .selectFrom('invitations')
        .selectAll()
        .where('projectId', '=', projectId)
        .where('email', '=', email)
        .where('expiresAt', '>', now)
        .executeTakeFirst();
    },

    async findInvitation(id: string): Promise<InvitationView | undefined> {
      return withNames().where('invitations.id', '=', id).executeTakeFirst();
    },

    /** A pending invitation by the hash of its token. */
    findByToken(tokenHash: string, now: number): Promise<InvitationView | undefined> {
      return withNames()
        .where('invitations.tokenHash', '=', tokenHash)
        .where('invitations.expiresAt', '>', now)
        .executeTakeFirst();
    },

    /** Deletes an invitation of the project: false when there was none. */
    async deleteInvitation(projectId: string, id: string): Promise<boolean> {
      const result = await db
        .deleteFrom('invitations')
        .where('projectId', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /**
     * Takes an invitation by its token, once: of two simultaneous takes only the one whose delete
     * removed the row gets it.
     */
    async takeByToken(tokenHash: string, now: number): Promise<InvitationRow | undefined> {
      return db
        .deleteFrom('invitations')
        .where('tokenHash', '=', tokenHash)
        .where('expiresAt', '>', now)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type InvitationsRepo = ReturnType<typeof createInvitationsRepo>;
