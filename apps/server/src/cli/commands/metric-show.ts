import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString } from '../command.js';

export const metricShow: Command = {
  name: 'metric show',
  summary: 'Show a metric with its all-time total and event count',
  usage: 'measurely metric show --project ID --metric ID_OR_NAME',
  options: { project: { type: 'string' }, metric: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const idOrName = requireString(values, 'metric');
    const { metric, project } = await withServices(async (s) => ({
      metric: await s.metrics.getMetric(OPERATOR, projectId, idOrName),
      project: await s.projects.getProject(OPERATOR, projectId),
    }));
    return {
      ...metric,
      projectEventsThisMonth: project.usage.events,
    };
  },
};
