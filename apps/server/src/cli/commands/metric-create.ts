import { OPERATOR } from '../../lib/actor.js';
import type { CreateMetricBody } from '../../modules/metrics/metrics.schemas.js';
import { type Command, optionalString, requireString, UsageError } from '../command.js';

/** `usd` (a preset) or `Requests:req` (a custom name and symbol). */
function parseUnit(text: string | undefined): CreateMetricBody['unit'] {
  if (text === undefined) return undefined;
  const colon = text.lastIndexOf(':');
  if (colon === -1) return text as CreateMetricBody['unit'];
  const name = text.slice(0, colon);
  const symbol = text.slice(colon + 1);
  if (name === '' || symbol === '') throw new UsageError('--unit takes PRESET or NAME:SYMBOL');
  return { name, symbol };
}

export const metricCreate: Command = {
  name: 'metric create',
  summary: 'Create a metric in a project',
  usage:
    'measurely metric create --project ID --name N --type basic|dual|average [--unit PRESET|NAME:SYMBOL] [--positive-name P] [--negative-name Q]',
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    unit: { type: 'string' },
    'positive-name': { type: 'string' },
    'negative-name': { type: 'string' },
  },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const input = {
      name: requireString(values, 'name'),
      type: requireString(values, 'type') as CreateMetricBody['type'],
      unit: parseUnit(optionalString(values, 'unit')),
      positiveName: optionalString(values, 'positive-name'),
      negativeName: optionalString(values, 'negative-name'),
    };
    const body = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    ) as unknown as CreateMetricBody;
    const metric = await withServices((s) => s.metrics.createMetric(OPERATOR, projectId, body));
    return { id: metric.id, name: metric.name, type: metric.type, unit: metric.unit };
  },
};
