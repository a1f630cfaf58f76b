import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString } from '../command.js';

export const keyRotate: Command = {
  name: 'key rotate',
  summary:
    'Give an API key a new secret; the old one stops working (on running servers: at once with REDIS_URL, else within 2 s)',
  usage: 'measurely key rotate --project ID --key KEY_ID',
  options: { project: { type: 'string' }, key: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const keyId = requireString(values, 'key');
    const key = await withServices((s) => s.keys.rotateKey(OPERATOR, projectId, keyId));
    return { id: key.id, apiKey: key.secret };
  },
};
