import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString } from '../command.js';

export const projectShow: Command = {
  name: 'project show',
  summary: 'Show a project with its usage this month',
  usage: 'measurely project show --project ID',
  options: { project: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const project = await withServices((s) => s.projects.getProject(OPERATOR, projectId));
    return {
      id: project.id,
      name: project.name,
      month: project.usage.month,
      eventsThisMonth: project.usage.events,
      monthlyEventQuota: project.usage.quota,
      rateLimitPerSecond: project.limits.rateLimitPerSecond,
      createdAt: project.createdAt,
    };
  },
};
