import { sql } from 'kysely';
import type { Storage } from '../../storage/database.js';
import { jsonTextField } from '../../storage/dialect.js';
import type { EventRow } from './export-format.js';

export interface EventSelection {
  readonly metricId: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** Every one must match: the event's filters hold that key with that value. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
}

export function createExportRepo(storage: Storage) {
  const { db, dialect } = storage;

  return {
    /** Every filter key the metric has ever received, sorted by code point. */
    async listFilterKeys(metricId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('metricFilterValues')
        .select('key')
        .distinct()
        .where('metricId', '=', metricId)
        .execute();
      // Sorted here: a database collation may order punctuation otherwise, and each engine its own way.
      return rows.map((row) => row.key).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },

    /** The events in ts order, `chunkSize` at a time, off the (metric_id, ts) index. */
    streamEvents(selection: EventSelection, chunkSize: number): AsyncGenerator<EventRow[], void> {
      let query = db
        .selectFrom('events')
        .select(['ts', sql<string>`cast(value as text)`.as('value'), 'filters'])
        .where('metricId', '=', selection.metricId)
        .where('ts', '>=', selection.from)
        .where('ts', '<', selection.to);
      for (const [key, value] of selection.filters) {
        query = query.where(jsonTextField(dialect, 'filters', key), '=', value);
      }
      return storage.streamRows<EventRow>(query.orderBy('ts').compile(), chunkSize);
    },
  };
}

export type ExportRepo = ReturnType<typeof createExportRepo>;
