import { Type } from '@sinclair/typebox';
import {
  type App,
  BODY_ERRORS,
  ProjectParams,
  problems,
  READER_ERRORS,
  type RouteDeps,
  SECURITY,
  SESSION_ERRORS,
  WRITE_ERRORS,
} from '../../http.js';
import { CreateMetricBody, METRIC_EXAMPLE, Metric, UpdateMetricBody } from './metrics.schemas.js';
import { PRESET_UNITS } from './units.js';

const MetricParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
  metric: Type.String({ description: 'The metric id, or its name.', examples: ['revenue'] }),
});

const MetricResponse = (description: string) =>
  Type.Object({ metric: Metric }, { description, examples: [{ metric: METRIC_EXAMPLE }] });

/** Someone outside the project gets PROJECT_NOT_FOUND, whether it exists or not. */
const READ_ERRORS = [...SESSION_ERRORS, 'PROJECT_NOT_FOUND'] as const;
/** Reads open to a `read` key of the project too. */
const KEY_READ_ERRORS = [...READER_ERRORS, 'PROJECT_NOT_FOUND'] as const;
/** Changes need the owner or admin role. */
const MANAGE_ERRORS = [...WRITE_ERRORS, ...READ_ERRORS, 'FORBIDDEN'] as const;

export async function metricsRoutes(
  app: App,
  { services, session, reader }: RouteDeps,
): Promise<void> {
  const { metrics } = services;
  const tags = ['Metrics'];

  app.get(
    '/api/units',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'Preset units',
        description: 'The ids a metric’s `unit` may name instead of a custom {name, symbol}.',
        response: {
          200: Type.Object(
            {
              units: Type.Array(
                Type.Object({ id: Type.String(), name: Type.String(), symbol: Type.String() }),
              ),
            },
            {
              description: 'The preset units.',
              examples: [{ units: [{ id: 'usd', name: 'US dollar', symbol: '$' }] }],
            },
          ),
          ...problems(),
        },
      },
    },
    async () => ({
      units: Object.entries(PRESET_UNITS).map(([id, unit]) => ({ id, ...unit })),
    }),
  );

  app.get(
    '/api/projects/:projectId/metrics',
    {
      schema: {
        tags,
        summary: 'Metrics of a project, with their totals',
        description: 'Any member, or a `read` API key of the project. Oldest first.',
        security: SECURITY.reader,
        params: ProjectParams,
        response: {
          200: Type.Object(
            { metrics: Type.Array(Metric) },
            { description: 'The project’s metrics.', examples: [{ metrics: [METRIC_EXAMPLE] }] },
          ),
          ...problems(KEY_READ_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      return { metrics: await metrics.listMetrics(actor, request.params.projectId) };
    },
  );

  app.post(
    '/api/projects/:projectId/metrics',
    {
      schema: {
        tags,
        summary: 'Create a metric (owner, admin)',
        description:
          'Names are unique per project regardless of case (409 METRIC_NAME_TAKEN); a name that looks like a UUID, or `batch`, is 400 VALIDATION_FAILED. `positiveName` and `negativeName` are for dual metrics only.',
        params: ProjectParams,
        body: CreateMetricBody,
        response: {
          201: MetricResponse('The new metric.'),
          ...problems(BODY_ERRORS, MANAGE_ERRORS, 'METRIC_NAME_TAKEN'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const metric = await metrics.createMetric(actor, request.params.projectId, request.body);
      return reply.code(201).send({ metric });
    },
  );

  app.get(
    '/api/projects/:projectId/metrics/:metric',
    {
      schema: {
        tags,
        summary: 'A metric, by id or name',
        description: 'Any member, or a `read` API key of the project. With its all-time totals.',
        security: SECURITY.reader,
        params: MetricParams,
        response: {
          200: MetricResponse('The metric.'),
          ...problems(KEY_READ_ERRORS, 'METRIC_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const actor = await reader(request, reply);
      const { projectId, metric } = request.params;
      return { metric: await metrics.getMetric(actor, projectId, metric) };
    },
  );

  app.patch(
    '/api/projects/:projectId/metrics/:metric',
    {
      schema: {
        tags,
        summary: 'Rename or edit a metric (owner, admin)',
        description:
          'The type of a metric cannot change. Events sent to the old name are refused at once after a rename (401 METRIC_UNKNOWN).',
        params: MetricParams,
        body: UpdateMetricBody,
        response: {
          200: MetricResponse('The metric, changed.'),
          ...problems(BODY_ERRORS, MANAGE_ERRORS, 'METRIC_NOT_FOUND', 'METRIC_NAME_TAKEN'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, metric } = request.params;
      return { metric: await metrics.updateMetric(actor, projectId, metric, request.body) };
    },
  );

  app.delete(
    '/api/projects/:projectId/metrics/:metric',
    {
      schema: {
        tags,
        summary: 'Delete a metric and all its data (owner, admin)',
        description: 'Its events, rollups and filters go with it; this cannot be undone.',
        params: MetricParams,
        response: {
          204: Type.Null({ description: 'Deleted.' }),
          ...problems(MANAGE_ERRORS, 'METRIC_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, metric } = request.params;
      await metrics.deleteMetric(actor, projectId, metric);
      return reply.code(204).send(null);
    },
  );
}
