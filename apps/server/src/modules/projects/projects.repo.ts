import type { Db } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/dialect.js';
import type { ProjectRow, Role } from '../../storage/schema.js';

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
}

export function createProjectsRepo(db: Db) {
  /** Takes the project row's write lock, so membership changes of one project run one at a time. */
  async function lockProject(trx: Db, projectId: string, now: number): Promise<void> {
    await trx.updateTable('projects').set({ updatedAt: now }).where('id', '=', projectId).execute();
  }

  async function countOtherOwners(trx: Db, projectId: string, userId: string): Promise<number> {
    const row = await trx
      .selectFrom('projectMembers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('projectId', '=', projectId)
      .where('role', '=', 'owner')
      .where('userId', '<>', userId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  return {
    async insertProject(project: ProjectRow, ownerId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values(project).execute();
        await trx
          .insertInto('projectMembers')
          .values({
            projectId: project.id,
            userId: ownerId,
            role: 'owner',
            createdAt: project.createdAt,
          })
          .execute();
      });
    },

    findProject(projectId: string): Promise<ProjectRow | undefined> {
      return db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirst();
    },

    async findRole(projectId: string, userId: string): Promise<Role | undefined> {
      const row = await db
        .selectFrom('projectMembers')
        .select('role')
        .where('projectId', '=', projectId)
        .where('userId', '=', userId)
        .executeTakeFirst();
      return row?.role;
    },

    listProjectsOfUser(userId: string): Promise<(ProjectRow & { role: Role })[]> {
      return db
        .selectFrom('projects')
        .innerJoin('projectMembers', 'projectMembers.projectId', 'projects.id')
        .selectAll('projects')
        .select('projectMembers.role')
        .where('projectMembers.userId', '=', userId)
        .orderBy('projects.createdAt')
        .orderBy('projects.id')
        .execute();
    },

    async usageOf(projectIds: readonly string[], month: string): Promise<Map<string, number>> {
      if (projectIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('projectUsage')
        .select(['projectId', 'eventCount'])
        .where('projectId', 'in', projectIds)
        .where('month', '=', month)
        .execute();
      return new Map(rows.map((r) => [r.projectId, Number(r.eventCount)]));
    },

    async updateProject(
      projectId: string,
      patch: { name?: string; honourPrivacySignals?: number },
      now: number,
    ): Promise<void> {
      await db
        .updateTable('projects')
        .set({ ...patch, updatedAt: now })
        .where('id', '=', projectId)
        .execute();
    },

    async setLimits(
      projectId: string,
      limits: {
        rateLimitPerSecond?: number | null;
        monthlyEventQuota?: number | null;
        maxQueryRangeDays?: number | null;
      },
      now: number,
    ): Promise<void> {
      await db
        .updateTable('projects')
        .set({ ...limits, updatedAt: now })
        .where('id', '=', projectId)
        .execute();
    },

    async deleteProject(projectId: string): Promise<void> {
      await db.deleteFrom('projects').where('id', '=', projectId).execute();
    },

    listMembers(projectId: string): Promise<MemberRow[]> {
      return db
        .selectFrom('projectMembers')
        .innerJoin('users', 'users.id', 'projectMembers.userId')
        .select([
          'projectMembers.userId',
          'users.email',
          'users.name',
          'projectMembers.role',
          'projectMembers.createdAt',
        ])
        .where('projectMembers.projectId', '=', projectId)
        .orderBy('projectMembers.createdAt')
        .orderBy('users.email')
        .execute();
    },

    /** Returns false when the user is already a member. */
    async insertMember(
      projectId: string,
      userId: string,
      role: Role,
      now: number,
    ): Promise<boolean> {
      try {
        await db
          .insertInto('projectMembers')
          .values({ projectId, userId, role, createdAt: now })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    /**
     * Changes a role, or removes the member when role is null, unless that would leave the
     * project without an owner. Returns 'last-owner' in that case, 'missing' for a non-member.
     */
    async changeMember(
      projectId: string,
      userId: string,
      role: Role | null,
      now: number,
    ): Promise<'ok' | 'missing' | 'last-owner'> {
      return db.transaction().execute(async (trx) => {
        await lockProject(trx, projectId, now);
        const current = await trx
          .selectFrom('projectMembers')
          .select('role')
          .where('projectId', '=', projectId)
          .where('userId', '=', userId)
          .executeTakeFirst();
        if (current === undefined) return 'missing';
        if (
          current.role === 'owner' &&
          role !== 'owner' &&
          (await countOtherOwners(trx, projectId, userId)) === 0
        ) {
          return 'last-owner';
        }
        if (role === null) {
          await trx
            .deleteFrom('projectMembers')
            .where('projectId', '=', projectId)
            .where('userId', '=', userId)
            .execute();
        } else {
          await trx
            .updateTable('projectMembers')
            .set({ role })
            .where('projectId', '=', projectId)
            .where('userId', '=', userId)
            .execute();
        }
        return 'ok';
      });
    },
  };
}

export type ProjectsRepo = ReturnType<typeof createProjectsRepo>;
