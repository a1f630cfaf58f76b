import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString } from '../command.js';

export const keyRevoke: Command = {
  name: 'key revoke',
  summary: 'Revoke an API key for good',
  usage: 'measurely key revoke --project ID --key KEY_ID',
  options: { project: { type: 'string' }, key: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const keyId = requireString(values, 'key');
    const key = await withServices((s) => s.keys.revokeKey(OPERATOR, projectId, keyId));
    return { id: key.id, status: key.status, revokedAt: key.revokedAt };
  },
};
