import { OPERATOR } from '../../lib/actor.js';
import type { CreateKeyBody } from '../../modules/keys/keys.schemas.js';
import { type Command, requireString } from '../command.js';

export const keyCreate: Command = {
  name: 'key create',
  summary: 'Create an API key; its secret is printed once',
  usage: 'measurely key create --project ID --name N --scope ingest|read',
  options: { project: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const body = {
      name: requireString(values, 'name'),
      scope: requireString(values, 'scope') as CreateKeyBody['scope'],
    };
    const key = await withServices((s) => s.keys.createKey(OPERATOR, projectId, body));
    return { id: key.id, name: key.name, scope: key.scope, apiKey: key.secret };
  },
};
