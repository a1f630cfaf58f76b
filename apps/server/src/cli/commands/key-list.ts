import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString } from '../command.js';

export const keyList: Command = {
  name: 'key list',
  summary: 'List the API keys of a project (prefixes only, never secrets)',
  usage: 'measurely key list --project ID',
  options: { project: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const keys = await withServices((s) => s.keys.listKeys(OPERATOR, projectId));
    return { keys };
  },
};
