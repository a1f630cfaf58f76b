import { Type } from '@sinclair/typebox';
import { type App, errorResponses, ProjectParams, type RouteDeps } from '../../http.js';
import { CreateMetricBody, Metric, UpdateMetricBody } from './metrics.schemas.js';
import { PRESET_UNITS } from './units.js';

const MetricParams = Type.Object({
  projectId: Type.String(),
  metric: Type.String({ description: 'The metric id, or its name.' }),
});

export async function metricsRoutes(app: App, { services, session }: RouteDeps): Promise<void> {
  const { metrics } = services;
  const tags = ['Metrics'];

  app.get(
    '/api/units',
    {
      schema: {
        tags,
        summary: 'Preset units',
        response: {
          200: Type.Object({
            units: Type.Array(
              Type.Object({ id: Type.String(), name: Type.String(), symbol: Type.String() }),
            ),
          }),
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
        params: ProjectParams,
        response: { 200: Type.Object({ metrics: Type.Array(Metric) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      return { metrics: await metrics.listMetrics(actor, request.params.projectId) };
    },
  );

  app.post(
    '/api/projects/:projectId/metrics',
    {
      schema: {
        tags,
        summary: 'Create a metric (owner, admin)',
        description: 'Names are unique per project regardless of case (409 METRIC_NAME_TAKEN).',
        params: ProjectParams,
        body: CreateMetricBody,
        response: { 201: Type.Object({ metric: Metric }), ...errorResponses },
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
        params: MetricParams,
        response: { 200: Type.Object({ metric: Metric }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
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
        description: 'The type of a metric cannot change.',
        params: MetricParams,
        body: UpdateMetricBody,
        response: { 200: Type.Object({ metric: Metric }), ...errorResponses },
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
        params: MetricParams,
        response: { 204: Type.Null(), ...errorResponses },
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
