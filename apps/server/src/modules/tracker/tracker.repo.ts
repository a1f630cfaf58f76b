import type { Db } from '../../storage/database.js';

/** The tracker's day-scoped state: one salt per UTC day, and the hashed visitors of each day. */
export function createTrackerRepo(db: Db) {
  return {
    /** The day's salt: the stored one, or `candidate`, stored now, when the day has none yet. */
    async saltOf(day: string, candidate: string, now: number): Promise<string> {
      await db
        .insertInto('trackerSalts')
        .values({ day, salt: candidate, createdAt: now })
        .onConflict((oc) => oc.column('day').doNothing())
        .execute();
      const row = await db
        .selectFrom('trackerSalts')
        .select('salt')
        .where('day', '=', day)
        .executeTakeFirstOrThrow();
      return row.salt;
    },

    /** Records a visitor of the day; false when the project already saw them that day. */
    async addVisitor(projectId: string, day: string, visitorHash: string): Promise<boolean> {
      const result = await db
        .insertInto('trackerVisitors')
        .values({ projectId, day, visitorHash })
        .onConflict((oc) => oc.columns(['projectId', 'day', 'visitorHash']).doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },

    async removeVisitor(projectId: string, day: string, visitorHash: string): Promise<void> {
      await db
        .deleteFrom('trackerVisitors')
        .where('projectId', '=', projectId)
        .where('day', '=', day)
        .where('visitorHash', '=', visitorHash)
        .execute();
    },

    /** Forgets every day before `day`: its salt and its visitors. */
    async deleteDaysBefore(day: string): Promise<void> {
      await db.deleteFrom('trackerVisitors').where('day', '<', day).execute();
      await db.deleteFrom('trackerSalts').where('day', '<', day).execute();
    },
  };
}

export type TrackerRepo = ReturnType<typeof createTrackerRepo>;
