import { OPERATOR } from '../../lib/actor.js';
import {
  CreateMetricBody,
  CustomUnit,
  METRIC_TYPES,
  MetricName,
} from '../../modules/metrics/metrics.schemas.js';
import { PRESET_UNITS } from '../../modules/metrics/units.js';
import {
  type Command,
  optionalString,
  requireChoice,
  requireString,
  UsageError,
  type Values,
} from '../command.js';

const hasControlCharacter = (text: string): boolean =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function tooLong(flag: string, text: string, max: number | undefined): void {
  if (max !== undefined && text.length > max) {
    throw new UsageError(`${flag} takes at most ${max} characters (got ${text.length})`);
  }
}

/** The name schema's rules, in words: the service would name the pattern that failed. */
function metricName(values: Values): string {
  const name = requireString(values, 'name');
  if (hasControlCharacter(name)) {
    throw new UsageError(
      `--name cannot contain control characters (tabs, line breaks…) (got ${JSON.stringify(name)})`,
    );
  }
  if (name.includes('/')) {
    throw new UsageError(
      `--name cannot contain "/": a metric's name is part of URLs such as /event/v1/NAME (got "${name}")`,
    );
  }
  tooLong('--name', name, MetricName.maxLength);
  return name;
}

/** `usd` (a preset) or `Requests:req` (a custom name and symbol). */
function parseUnit(text: string | undefined): CreateMetricBody['unit'] {
  if (text === undefined) return undefined;
  const colon = text.lastIndexOf(':');
  if (colon === -1) {
    if (Object.hasOwn(PRESET_UNITS, text)) return text as CreateMetricBody['unit'];
    throw new UsageError(
      `--unit must be a preset (${Object.keys(PRESET_UNITS).join(', ')}) or NAME:SYMBOL (got "${text}")`,
    );
  }
  const name = text.slice(0, colon).trim();
  const symbol = text.slice(colon + 1).trim();
  if (name === '' || symbol === '') throw new UsageError('--unit takes PRESET or NAME:SYMBOL');
  tooLong('--unit NAME', name, CustomUnit.properties.name.maxLength);
  tooLong('--unit SYMBOL', symbol, CustomUnit.properties.symbol.maxLength);
  return { name, symbol };
}

function sideName(values: Values, flag: 'positive-name' | 'negative-name'): string | undefined {
  const name = optionalString(values, flag);
  if (name === undefined) return undefined;
  if (values.type !== 'dual') throw new UsageError(`--${flag} is for --type dual only`);
  tooLong(`--${flag}`, name, CreateMetricBody.properties.positiveName.maxLength);
  return name;
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
      name: metricName(values),
      type: requireChoice(values, 'type', METRIC_TYPES),
      unit: parseUnit(optionalString(values, 'unit')),
      positiveName: sideName(values, 'positive-name'),
      negativeName: sideName(values, 'negative-name'),
    };
    const body = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    ) as unknown as CreateMetricBody;
    const metric = await withServices((s) => s.metrics.createMetric(OPERATOR, projectId, body));
    return { id: metric.id, name: metric.name, type: metric.type, unit: metric.unit };
  },
};
