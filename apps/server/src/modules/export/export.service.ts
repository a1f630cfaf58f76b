import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { QueryService } from '../query/query.service.js';
import type { ExportRepo } from './export.repo.js';
import { csvHeader, csvLines, ndjsonLines } from './export-format.js';
import type { ExportFormat, ExportParams, ExportQuery } from './export-query.js';

/** Exports streaming at once per process: well under the PostgreSQL pool of 10 connections. */
export const MAX_RUNNING_EXPORTS = 4;

/** Events per piece of the document: about 50 to 100 kB of text. */
const PAGE_ROWS = 1_000;

export interface EventExport {
  readonly metricName: string;
  readonly format: ExportFormat;
  /**
   * The document, a page of events per piece (never an empty one). Nothing is read before the
   * first `next()`; once started, run it to the end or call `return()` to release the database.
   */
  readonly body: AsyncGenerator<string, void>;
}

export function createExportService(deps: {
  query: Pick<QueryService, 'window'>;
  repo: ExportRepo;
}) {
  const { query: reads, repo } = deps;

  let running = 0;

  async function* render(metricId: string, query: ExportQuery): AsyncGenerator<string, void> {
    // Each running export holds a database connection (and a CSV one briefly needs a second):
    // past the cap, an export waits for a free slot rather than starving every other request.
    if (running >= MAX_RUNNING_EXPORTS) {
      throw new AppError(
        'OVERLOADED',
        `${MAX_RUNNING_EXPORTS} exports are already running on this server; retry shortly.`,
        { headers: { 'retry-after': '5' } },
      );
    }
    running += 1;
    const { from, to, filters, format } = query;
    const pages = repo.streamEvents({ metricId, from, to, filters }, PAGE_ROWS);
    try {
      const first = await pages.next();
      const rows = first.done ? [] : first.value;
      if (format === 'ndjson') {
        if (rows.length > 0) yield ndjsonLines(rows);
        for await (const page of pages) yield ndjsonLines(page);
        return;
      }
      // Read once the first page has fixed the snapshot: every key its events carry is known.
      const keys = await repo.listFilterKeys(metricId);
      yield csvHeader(keys) + csvLines(rows, keys);
      for await (const page of pages) yield csvLines(page, keys);
    } finally {
      running -= 1;
      await pages.return();
    }
  }

  return {
    /** The raw events of a metric over [from, to) matching every filter, ordered by time. */
    async exportEvents(
      actor: Actor,
      projectId: string,
      metricRef: string,
      params: ExportParams,
    ): Promise<EventExport> {
      // Resolves the metric, the access and the window, and enforces the project's range limit.
      const { metric, from, to } = await reads.window(actor, projectId, metricRef, params.window);
      const query: ExportQuery = {
        from,
        to,
        format: params.format,
        filters: params.window.filters,
      };
      return { metricName: metric.name, format: query.format, body: render(metric.id, query) };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
