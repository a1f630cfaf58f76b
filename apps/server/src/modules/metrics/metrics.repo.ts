import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/dialect.js';
import type { MetricRow, MetricUpdate, NewMetricRow } from '../../storage/schema.js';

export function createMetricsRepo(db: Db) {
  // Totals are 64-bit micro-units: read as text so no JS number ever rounds them.
  const selectMetric = () =>
    db
      .selectFrom('metrics')
      .select([
        'id',
        'projectId',
        'name',
        'type',
        'unitName',
        'unitSymbol',
        'positiveName',
        'negativeName',
        sql<string>`cast(total_positive as text)`.as('totalPositive'),
        sql<string>`cast(total_negative as text)`.as('totalNegative'),
        'eventCount',
        'lastEventAt',
        'createdAt',
        'updatedAt',
      ]);

  return {
    /** Returns false when the project already has a metric of that name. */
    async insertMetric(row: NewMetricRow): Promise<boolean> {
      try {
        await db.insertInto('metrics').values(row).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    listMetrics(projectId: string): Promise<MetricRow[]> {
      return selectMetric()
        .where('projectId', '=', projectId)
        .orderBy('createdAt')
        .orderBy('id')
        .execute();
    },

    findMetricById(projectId: string, metricId: string): Promise<MetricRow | undefined> {
      return selectMetric()
        .where('projectId', '=', projectId)
        .where('id', '=', metricId)
        .executeTakeFirst();
    },

    findMetricByName(projectId: string, name: string): Promise<MetricRow | undefined> {
      // The database's lower() on both sides, as the unique index uses: JS and SQLite
      // disagree on non-ASCII letters, and a name must always find its own metric.
      return selectMetric()
        .where('projectId', '=', projectId)
        .where(sql`lower(name)`, '=', sql<string>`lower(${name})`)
        .executeTakeFirst();
    },

    /** Returns false when the new name is taken by another metric of the project. */
    async updateMetric(metricId: string, patch: MetricUpdate): Promise<boolean> {
      try {
        await db.updateTable('metrics').set(patch).where('id', '=', metricId).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async deleteMetric(metricId: string): Promise<void> {
      await db.deleteFrom('metrics').where('id', '=', metricId).execute();
    },
  };
}

export type MetricsRepo = ReturnType<typeof createMetricsRepo>;
