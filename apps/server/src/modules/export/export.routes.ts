import { Type } from '@sinclair/typebox';
import { type App, problems, READER_ERRORS, type RouteDeps, SECURITY } from '../../http.js';
import type { Storage } from '../../storage/database.js';
import type { RawQuery } from '../query/query-params.js';
import { openBodyStream } from './body-stream.js';
import { createExportRepo } from './export.repo.js';
import { createExportService } from './export.service.js';
import { EXPORT_FORMATS, type ExportFormat, parseExportQuery } from './export-query.js';

/** A client that takes nothing for this long is disconnected, releasing its database read. */
const STALL_MS = 60_000;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

const EventsParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
  metric: Type.String({ description: 'The metric id, or its name.', examples: ['signups'] }),
});

const EventsQuery = Type.Object({
  from: Type.Optional(
    Type.String({
      description:
        'Start, inclusive: ISO 8601 with a zone (2026-11-01T00:00:00Z), a local date or date-time in `tz`, or epoch ms. Required unless `range` is given.',
    }),
  ),
  to: Type.Optional(
    Type.String({ description: 'End, exclusive, in the same forms; default now.' }),
  ),
  range: Type.Optional(
    Type.String({
      description: 'A preset instead of from/to (today, last_7_days, …; see docs/query.md).',
    }),
  ),
  tz: Type.Optional(
    Type.String({ description: 'IANA time zone of local dates and presets (default UTC).' }),
  ),
  format: Type.Optional(
    Type.Unsafe<ExportFormat>({
      type: 'string',
      enum: [...EXPORT_FORMATS],
      default: 'csv',
      description: 'csv (default) or ndjson.',
    }),
  ),
  'filter[key]': Type.Optional(
    Type.String({
      description:
        'Only events whose filter `key` has this value (trimmed, case-insensitive): write the key in the brackets, e.g. filter[plan]=pro. Repeat with other keys; all must match.',
    }),
  ),
});

/** `attachment; filename="…"`, with the exact name in `filename*` when it is not plain ASCII. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\w .,()-]/g, '_');
  if (ascii === filename) return `attachment; filename="${filename}"`;
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export async function exportRoutes(
  app: App,
  { services, reader, storage }: RouteDeps & { storage: Storage },
): Promise<void> {
  const exporter = createExportService({
    query: services.query,
    repo: createExportRepo(storage),
  });

  app.get(
    '/api/projects/:projectId/metrics/:metric/events',
    {
      // The query string is read by parseExportQuery, which knows the error codes to answer.
      attachValidation: true,
      schema: {
        tags: ['Export'],
        summary: 'Download the raw events of a metric as CSV or NDJSON',
        description:
          'Events with from ≤ timestamp < to, in time order, streamed. CSV: `timestamp,value` and one column per filter key of the metric (sorted); NDJSON: one {"timestamp","value","filters"} object per line. Values are exact decimals. Readable by members and read keys (Bearer). At most 4 exports stream at once per server: past that, 503 OVERLOADED with Retry-After. See docs/export.md.',
        security: SECURITY.reader,
        params: EventsParams,
        querystring: EventsQuery,
        response: {
          200: {
            description: 'The events, streamed as an attachment.',
            content: {
              'text/csv': {
                schema: Type.String({
                  description: 'RFC 4180, CRLF line ends, a header row: timestamp,value,<keys…>.',
                }),
                example:
                  'timestamp,value,plan\r\n2026-11-26T11:00:00.000Z,1,pro\r\n2026-11-27T11:00:00.000Z,49.9,free\r\n',
              },
              'application/x-ndjson': {
                schema: Type.String({
                  description:
                    'One JSON object per line: {"timestamp": ISO 8601 UTC, "value": exact decimal number, "filters": {key: value}}.',
                }),
                example:
                  '{"timestamp":"2026-11-26T11:00:00.000Z","value":1,"filters":{"plan":"pro"}}\n{"timestamp":"2026-11-27T11:00:00.000Z","value":49.9,"filters":{"plan":"free"}}\n',
              },
            },
          },
          ...problems(
            READER_ERRORS,
            'PROJECT_NOT_FOUND',
            'METRIC_NOT_FOUND',
            'QUERY_INVALID',
            'FILTERS_INVALID',
            'FILTERS_LIMIT',
            'TIME_ZONE_INVALID',
            'RANGE_INVALID',
            'RANGE_TOO_LONG',
            'OVERLOADED',
          ),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const query = parseExportQuery(request.query as RawQuery);
      const { projectId, metric } = request.params;
      const found = await exporter.exportEvents(actor, projectId, metric, query);
      const headers = {
        'content-type': CONTENT_TYPES[found.format],
        'content-disposition': attachment(`${found.metricName}-events.${found.format}`),
        'cache-control': 'no-store',
      };
      // Fastify answers HEAD with this handler and would read a streamed body to its end.
      if (request.method === 'HEAD') return reply.headers(headers).send('');
      const body = await openBodyStream(found.body, STALL_MS);
      // Fastify streams a Readable; the response schema describes the text it carries.
      return reply.headers(headers).send(body as unknown as string);
    },
  );
}
