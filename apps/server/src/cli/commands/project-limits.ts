import { OPERATOR } from '../../lib/actor.js';
import { type Command, optionalString, requireString, UsageError } from '../command.js';

/** A whole number, or `default` (null: back to the instance-wide setting). */
function parseLimit(name: string, text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return null;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} takes a whole number or "default"`);
  return Number(text);
}

export const projectLimits: Command = {
  name: 'project limits',
  summary:
    "Set a project's own rate limit (events/s per key), monthly event quota and longest query range in days (0: none)",
  usage:
    'measurely project limits --project ID [--rate-limit N|default] [--quota N|default] [--max-query-days N|default]',
  options: {
    project: { type: 'string' },
    'rate-limit': { type: 'string' },
    quota: { type: 'string' },
    'max-query-days': { type: 'string' },
  },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const rateLimitPerSecond = parseLimit('rate-limit', optionalString(values, 'rate-limit'));
    const monthlyEventQuota = parseLimit('quota', optionalString(values, 'quota'));
    const maxQueryRangeDays = parseLimit(
      'max-query-days',
      optionalString(values, 'max-query-days'),
    );
    if (rateLimitPerSecond === 0) throw new UsageError('--rate-limit must be at least 1');
    const project = await withServices((s) =>
      s.projects.setLimits(OPERATOR, projectId, {
        ...(rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond }),
        ...(monthlyEventQuota === undefined ? {} : { monthlyEventQuota }),
        ...(maxQueryRangeDays === undefined ? {} : { maxQueryRangeDays }),
      }),
    );
    return { id: project.id, ...project.limits, usage: project.usage };
  },
};
