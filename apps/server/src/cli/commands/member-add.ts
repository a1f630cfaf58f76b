import { OPERATOR } from '../../lib/actor.js';
import { ROLES } from '../../modules/projects/projects.schemas.js';
import { type Command, requireChoice, requireString } from '../command.js';

export const memberAdd: Command = {
  name: 'member add',
  summary: 'Add an existing user to a project with a role',
  usage: 'measurely member add --project ID --email E --role owner|admin|developer|guest',
  options: { project: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } },
  async run({ values, withServices }) {
    const projectId = requireString(values, 'project');
    const body = {
      email: requireString(values, 'email'),
      role: requireChoice(values, 'role', ROLES),
    };
    const member = await withServices((s) => s.projects.addMember(OPERATOR, projectId, body));
    return { projectId, ...member };
  },
};
