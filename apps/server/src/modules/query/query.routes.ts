import { Type } from '@sinclair/typebox';
import {
  type App,
  ProjectParams,
  problems,
  READER_ERRORS,
  type RouteDeps,
  SECURITY,
} from '../../http.js';
import {
  BreakdownQuery,
  BreakdownResponse,
  FiltersResponse,
  OverviewQuery,
  OverviewResponse,
  SERIES_EXAMPLE,
  SeriesQuery,
  SeriesResponse,
} from './query.schemas.js';
import {
  parseBreakdownParams,
  parseOverviewParams,
  parseSeriesCsvParams,
  parseSeriesParams,
  type RawQuery,
} from './query-params.js';
import { seriesCsv } from './series-csv.js';

const MetricParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
  metric: Type.String({ description: 'The metric id, or its name.', examples: ['signups'] }),
});

const security = SECURITY.reader;
const READERS =
  'Project members (any role) with their session, or a `read` API key of the project (`Authorization: Bearer mly_…`); an ingest key gets 403 KEY_SCOPE_FORBIDDEN, a key of another project 404.';

/** Someone outside the project, or a key of another one, gets PROJECT_NOT_FOUND. */
const READ_ERRORS = [...READER_ERRORS, 'PROJECT_NOT_FOUND'] as const;
/** What resolving `from`/`to`/`range`/`tz` and the `filter[key]`s can refuse. */
const WINDOW_ERRORS = [
  'QUERY_INVALID',
  'FILTERS_INVALID',
  'FILTERS_LIMIT',
  'TIME_ZONE_INVALID',
  'RANGE_INVALID',
  'RANGE_TOO_LONG',
] as const;
const SERIES_ERRORS = [
  ...READ_ERRORS,
  'METRIC_NOT_FOUND',
  ...WINDOW_ERRORS,
  'TOO_MANY_BUCKETS',
  'QUERY_TOO_BROAD',
] as const;

export async function queryRoutes(app: App, { reader, services }: RouteDeps): Promise<void> {
  const { query } = services;
  const tags = ['Query'];

  app.get(
    '/api/projects/:projectId/metrics/:metric/series',
    {
      schema: {
        tags,
        security,
        summary: 'Time series of a metric, with its summary and previous period',
        description: `${READERS} Give \`range\` (a preset) or \`from\` (and \`to\`, default now). Buckets follow \`tz\`; empty buckets are zeros. \`groupBy\` splits the series by the values of a filter key. The same buckets as CSV: \`series.csv\`.`,
        params: MetricParams,
        querystring: SeriesQuery,
        response: {
          200: {
            ...SeriesResponse,
            description: 'The series: its buckets, with a summary of the range.',
            examples: [SERIES_EXAMPLE],
          },
          ...problems(SERIES_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const { projectId, metric } = request.params;
      return query.series(actor, projectId, metric, parseSeriesParams(request.query as RawQuery));
    },
  );

  app.get(
    '/api/projects/:projectId/metrics/:metric/series.csv',
    {
      schema: {
        tags,
        security,
        summary: 'Time series of a metric as CSV',
        description: `${READERS} The buckets of the series endpoint, same parameters but \`groupBy\` and \`top\` (400 QUERY_INVALID): start, the amounts of the metric type, cumulative.`,
        params: MetricParams,
        querystring: SeriesQuery,
        produces: ['text/csv'],
        response: {
          200: {
            description: 'CSV with a header row, as an attachment (`<metric>-series.csv`).',
            content: {
              'text/csv': {
                schema: { type: 'string' },
                example:
                  'start,sum,count,cumulative\n2026-11-25T23:00:00.000Z,1,1,1\n2026-11-26T23:00:00.000Z,3,2,4\n',
              },
            },
          },
          ...problems(SERIES_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const params = parseSeriesCsvParams(request.query as RawQuery);
      const { projectId, metric } = request.params;
      const series = await query.series(actor, projectId, metric, params);
      const name = series.metric.name.replace(/[^\w.-]+/g, '_');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}-series.csv"`)
        .send(seriesCsv(series));
    },
  );

  app.get(
    '/api/projects/:projectId/metrics/:metric/breakdown',
    {
      schema: {
        tags,
        security,
        summary: 'Totals of a metric per value of a filter key',
        description: `${READERS} Sorted by sum (basic), volume (dual) or count (average); the values past \`limit\` come together as \`other\`.`,
        params: MetricParams,
        querystring: BreakdownQuery,
        response: {
          200: { ...BreakdownResponse, description: 'The totals per value of the key.' },
          ...problems(READ_ERRORS, 'METRIC_NOT_FOUND', WINDOW_ERRORS, 'QUERY_TOO_BROAD'),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const params = parseBreakdownParams(request.query as RawQuery);
      const { projectId, metric } = request.params;
      return query.breakdown(actor, projectId, metric, params);
    },
  );

  app.get(
    '/api/projects/:projectId/metrics/:metric/filters',
    {
      schema: {
        tags,
        security,
        summary: 'The filter keys of a metric, with the values seen',
        description: `${READERS} What the filter pickers offer.`,
        params: MetricParams,
        response: {
          200: { ...FiltersResponse, description: 'The filter keys, each with its values.' },
          ...problems(READ_ERRORS, 'METRIC_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const { projectId, metric } = request.params;
      return query.filters(actor, projectId, metric);
    },
  );

  app.get(
    '/api/projects/:projectId/overview',
    {
      schema: {
        tags,
        security,
        summary: 'Every metric with today, yesterday, the change and a sparkline',
        description: `${READERS} One request for the whole metrics table; days follow \`tz\`.`,
        params: ProjectParams,
        querystring: OverviewQuery,
        response: {
          200: { ...OverviewResponse, description: 'Every metric of the project, oldest first.' },
          ...problems(READ_ERRORS, 'QUERY_INVALID', 'TIME_ZONE_INVALID'),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      return query.overview(
        actor,
        request.params.projectId,
        parseOverviewParams(request.query as RawQuery),
      );
    },
  );
}
