import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString, tableLines } from '../command.js';

export const keyList: Command = {
  name: 'key list',
  summary: 'List the API keys of a project (prefixes only, never secrets)',
  usage: 'measurely key list --project ID',
  options: { project: { type: 'string' } },
  async run({ io, values, withServices }) {
    const projectId = requireString(values, 'project');
    const keys = await withServices((s) => s.keys.listKeys(OPERATOR, projectId));
    if (values.json === true) return { keys };

    const header = ['id', 'name', 'scope', 'prefix', 'status', 'created'];
    const rows = keys.map((k) => [k.id, k.name, k.scope, k.prefix, k.status, k.createdAt]);
    io.stdout.write(
      rows.length === 0 ? 'No API keys.\n' : `${tableLines(header, rows).join('\n')}\n`,
    );
    return undefined;
  },
};
