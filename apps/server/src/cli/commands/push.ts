import { parseFilters } from '../../modules/ingest/event-input.js';
import { type Command, CommandFailed, optionalString, UsageError } from '../command.js';
import { parseFilterArgs, parseTimestampText, parseValueText } from '../remote/event-fields.js';
import {
  REMOTE_OPTIONS,
  REMOTE_USAGE,
  remoteClient,
  remoteFailure,
  resolveRemote,
} from '../remote/remote-client.js';

export const push: Command = {
  name: 'push',
  summary: 'Send one value to a metric of a running server (MEASURELY_URL, MEASURELY_API_KEY)',
  usage: `measurely push <metric> <value> [--filter key=value]… [--timestamp T] [--idempotency-key K] ${REMOTE_USAGE}`,
  options: {
    ...REMOTE_OPTIONS,
    filter: { type: 'string', multiple: true },
    timestamp: { type: 'string' },
    'idempotency-key': { type: 'string' },
  },
  positionals: ['metric', 'value'],
  async run({ io, values, positionals }) {
    const [metric = '', valueText = ''] = positionals;
    if (metric.trim() === '') throw new UsageError('<metric> is empty');
    const value = parseValueText(valueText);
    if (!value.ok && value.code === 'VALUE_INVALID') {
      throw new UsageError(`<value> must be a decimal number such as 12.5, not "${valueText}"`);
    }
    // Refused here as the server would refuse it: sent as a JS number, it would be rounded first.
    if (!value.ok) throw new CommandFailed(value.code, value.detail);
    const filters = parseFilterArgs(values.filter);
    const timestampText = optionalString(values, 'timestamp');
    let timestamp: string | number | undefined;
    if (timestampText !== undefined) {
      const parsed = parseTimestampText(timestampText);
      if (!parsed.ok) throw new UsageError(`--timestamp: ${parsed.detail}`);
      timestamp = parsed.value;
    }
    const idempotencyKey = optionalString(values, 'idempotency-key');
    // The filters as the server stores them (trimmed, lower-cased), or its refusal (exit 1).
    const stored = Object.fromEntries(parseFilters(filters));

    const remote = resolveRemote(io.env, values);
    // A few retries (a few seconds in all): enough for a restart or a 429, short for a shell.
    const client = remoteClient(remote, { maxRetries: 3 });
    try {
      const result = await client.capture(
        metric,
        {
          value: value.value,
          ...(Object.keys(filters).length > 0 ? { filters } : {}),
          ...(timestamp === undefined ? {} : { timestamp }),
        },
        idempotencyKey === undefined ? {} : { idempotencyKey },
      );
      return {
        ok: true,
        metric,
        value: value.value,
        ...(Object.keys(stored).length > 0 ? { filters: stored } : {}),
        ...(timestamp === undefined ? {} : { timestamp }),
        replayed: result.replayed,
      };
    } catch (error) {
      throw remoteFailure(error, remote);
    }
  },
};
