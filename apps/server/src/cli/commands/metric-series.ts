import { OPERATOR } from '../../lib/actor.js';
import { parseSeriesParams, type RawQuery } from '../../modules/query/query-params.js';
import { GRANULARITIES, PRESETS } from '../../modules/query/time-buckets.js';
import {
  type Command,
  optionalChoice,
  optionalString,
  requireString,
  tableLines,
  UsageError,
} from '../command.js';

/** `key=value` pairs as the query API's `filter[key]` parameters. */
function filterParams(values: unknown): Record<string, string> {
  const list = Array.isArray(values) ? (values as string[]) : [];
  const params: Record<string, string> = {};
  for (const pair of list) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError('--filter takes key=value');
    params[`filter[${pair.slice(0, eq)}]`] = pair.slice(eq + 1);
  }
  return params;
}

export const metricSeries: Command = {
  name: 'metric series',
  summary: "A metric's time series from its rollups, as a table or --json",
  usage:
    'measurely metric series --project ID --metric ID|NAME (--range PRESET | --from T [--to T]) [--granularity auto|minute|hour|day|week|month] [--tz ZONE] [--filter key=value]…',
  options: {
    project: { type: 'string' },
    metric: { type: 'string' },
    range: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    granularity: { type: 'string' },
    tz: { type: 'string' },
    filter: { type: 'string', multiple: true },
  },
  async run({ io, values, withServices }) {
    const projectId = requireString(values, 'project');
    const metric = requireString(values, 'metric');
    const range = optionalChoice(values, 'range', PRESETS);
    if ((range === undefined) === (optionalString(values, 'from') === undefined)) {
      throw new UsageError('give either --from (with an optional --to) or --range');
    }
    if (range !== undefined && optionalString(values, 'to') !== undefined) {
      throw new UsageError('--to goes with --from, not with --range');
    }
    optionalChoice(values, 'granularity', ['auto', ...GRANULARITIES]);
    const query: RawQuery = {
      ...Object.fromEntries(
        ['range', 'from', 'to', 'granularity', 'tz'].flatMap((name) => {
          const value = optionalString(values, name);
          return value === undefined ? [] : [[name, value]];
        }),
      ),
      ...filterParams(values.filter),
    };
    const params = parseSeriesParams(query);
    const series = await withServices((s) => s.query.series(OPERATOR, projectId, metric, params));
    if (values.json === true) return series;

    const columns =
      series.metric.type === 'dual'
        ? ['positive', 'negative', 'net', 'count']
        : series.metric.type === 'average'
          ? ['mean', 'count']
          : ['sum', 'count'];
    const local = localTime(series.tz);
    const rows = series.buckets.map((b) => [
      local(b.start),
      ...columns.map((c) => String((b as Record<string, unknown>)[c] ?? '')),
    ]);
    const header = ['start', ...columns];
    const { summary } = series;
    io.stdout.write(
      [
        `${series.metric.name} (${series.metric.type}) · ${local(series.from)} → ${local(series.to)} · ${series.granularity} · ${series.tz}`,
        ...tableLines(header, rows, 'numbers'),
        `total: ${summary.value ?? '–'}  previous: ${summary.previous.value ?? '–'}  change: ${
          summary.change === null ? '–' : `${summary.change.toFixed(1)}%`
        }`,
        '',
      ].join('\n'),
    );
    return undefined;
  },
};

/** `2026-11-23 00:00 +01:00`: an instant on the wall clock of `tz`, with its offset. */
function localTime(tz: string): (iso: string) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  });
  return (iso) => {
    const part: Record<string, string> = {};
    for (const { type, value } of format.formatToParts(new Date(iso))) part[type] = value;
    const offset = (part.timeZoneName ?? '').replace(/^GMT$/, 'GMT+00:00').replace('GMT', '');
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${offset}`;
  };
}
