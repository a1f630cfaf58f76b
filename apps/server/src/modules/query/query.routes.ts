import { Type } from '@sinclair/typebox';
import { type App, errorResponses, ProjectParams, type RouteDeps } from '../../http.js';
import {
  BreakdownQuery,
  BreakdownResponse,
  FiltersResponse,
  OverviewQuery,
  OverviewResponse,
  SeriesQuery,
  SeriesResponse,
} from './query.schemas.js';
import {
  parseBreakdownParams,
  parseOverviewParams,
  parseSeriesParams,
  type RawQuery,
} from './query-params.js';
import { seriesCsv } from './series-csv.js';

const MetricParams = Type.Object({
  projectId: Type.String(),
  metric: Type.String({ description: 'The metric id, or its name.' }),
});

const security: Array<Record<string, string[]>> = [{ session: [] }, { apiKey: [] }];
const READERS = 'Project members (any role) or a `read` API key; an ingest key gets 403.';

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
        description: `${READERS} Buckets follow \`tz\`; empty buckets are zeros. With \`format=csv\`, the buckets as CSV.`,
        params: MetricParams,
        querystring: SeriesQuery,
        response: { 200: SeriesResponse, ...errorResponses },
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
        description: `${READERS} The buckets of the series endpoint, same parameters (no groupBy): start, the amounts of the metric type, cumulative.`,
        params: MetricParams,
        querystring: SeriesQuery,
        produces: ['text/csv'],
        response: {
          200: {
            description: 'CSV with a header row.',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const params = parseSeriesParams(request.query as RawQuery);
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
        description: `${READERS} Sorted by sum (basic), volume (dual) or count (average).`,
        params: MetricParams,
        querystring: BreakdownQuery,
        response: { 200: BreakdownResponse, ...errorResponses },
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
        description: READERS,
        params: MetricParams,
        response: { 200: FiltersResponse, ...errorResponses },
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
        description: `${READERS} One request for the whole metrics table.`,
        params: ProjectParams,
        querystring: OverviewQuery,
        response: { 200: OverviewResponse, ...errorResponses },
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
