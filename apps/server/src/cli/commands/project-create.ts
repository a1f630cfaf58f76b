import { OPERATOR } from '../../lib/actor.js';
import { type Command, requireString } from '../command.js';

export const projectCreate: Command = {
  name: 'project create',
  summary: 'Create a project owned by an existing user, with a first ingest key',
  usage: 'measurely project create --name N --owner EMAIL',
  options: { name: { type: 'string' }, owner: { type: 'string' } },
  async run({ values, withServices }) {
    const name = requireString(values, 'name');
    const ownerEmail = requireString(values, 'owner');
    const { project, apiKey } = await withServices(async (s) => {
      const owner = await s.accounts.getUserByEmail(ownerEmail);
      return s.projects.createProject(OPERATOR, { name }, owner.id);
    });
    return { id: project.id, name: project.name, apiKey: apiKey.secret, apiKeyId: apiKey.id };
  },
};
