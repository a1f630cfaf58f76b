import { Type } from '@sinclair/typebox';
import {
  type App,
  BODY_ERRORS,
  MANAGER_ERRORS,
  MEMBER_ERRORS,
  ProjectParams,
  problems,
  type RouteDeps,
  SESSION_ERRORS,
  WRITE_ERRORS,
} from '../../http.js';
import { KEY_EXAMPLE, NewApiKey } from '../keys/keys.schemas.js';
import {
  AddMemberBody,
  CreateProjectBody,
  MEMBER_EXAMPLE,
  Member,
  PROJECT_EXAMPLE,
  Project,
  UpdateMemberBody,
  UpdateProjectBody,
} from './projects.schemas.js';

const MemberParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
  userId: Type.String({ description: 'The member’s user id.' }),
});

const ProjectResponse = (description: string) =>
  Type.Object({ project: Project }, { description, examples: [{ project: PROJECT_EXAMPLE }] });

const MemberResponse = (description: string) =>
  Type.Object({ member: Member }, { description, examples: [{ member: MEMBER_EXAMPLE }] });

/** Changing or removing a member: who is not one, or the last owner. */
const MEMBERSHIP_ERRORS = ['MEMBER_NOT_FOUND', 'LAST_OWNER'] as const;

export async function projectsRoutes(app: App, { services, session }: RouteDeps): Promise<void> {
  const { projects } = services;
  const tags = ['Projects'];

  app.get(
    '/api/projects',
    {
      schema: {
        tags,
        summary: 'Projects I am a member of',
        description: 'Every project of the signed-in user, with their role and this month’s usage.',
        response: {
          200: Type.Object(
            { projects: Type.Array(Project) },
            { description: 'My projects.', examples: [{ projects: [PROJECT_EXAMPLE] }] },
          ),
          ...problems(SESSION_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      return { projects: await projects.listProjects(actor) };
    },
  );

  app.post(
    '/api/projects',
    {
      schema: {
        tags,
        summary: 'Create a project',
        description:
          'Any signed-in user may create one and becomes its owner. It comes with one ingest key, whose secret is in this answer only: keep it, it cannot be shown again (rotate the key to get a new one).',
        body: CreateProjectBody,
        response: {
          201: Type.Object(
            { project: Project, apiKey: NewApiKey },
            {
              description: 'The new project, and its first ingest key with its secret.',
              examples: [
                {
                  project: PROJECT_EXAMPLE,
                  apiKey: {
                    ...KEY_EXAMPLE,
                    name: 'Default ingest key',
                    secret: 'mly_3kTz9Qw0bX1c2V4n5M6a7S8d9F0g1H2j',
                  },
                },
              ],
            },
          ),
          ...problems(BODY_ERRORS, WRITE_ERRORS, SESSION_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const created = await projects.createProject(actor, request.body, actor.userId);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/projects/:projectId',
    {
      schema: {
        tags,
        summary: 'A project, with my role and this month’s usage',
        description:
          'Any member. Someone outside the project gets 404 PROJECT_NOT_FOUND, whether it exists or not.',
        params: ProjectParams,
        response: {
          200: ProjectResponse('The project.'),
          ...problems(MEMBER_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      return { project: await projects.getProject(actor, request.params.projectId) };
    },
  );

  app.patch(
    '/api/projects/:projectId',
    {
      schema: {
        tags,
        summary: 'Rename a project or change its settings (owner, admin)',
        description:
          'Send the fields to change: `name`, `honourPrivacySignals` (the website tracker drops page views carrying Global Privacy Control or Do Not Track while it is true).',
        params: ProjectParams,
        body: UpdateProjectBody,
        response: {
          200: ProjectResponse('The project, changed.'),
          ...problems(BODY_ERRORS, MANAGER_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const project = await projects.updateProject(actor, request.params.projectId, request.body);
      return { project };
    },
  );

  app.delete(
    '/api/projects/:projectId',
    {
      schema: {
        tags,
        summary: 'Delete a project and all its data (owner)',
        description:
          'Its members, API keys, metrics and events go with it, and its keys are refused from the next request on; this cannot be undone. An admin gets 403 FORBIDDEN.',
        params: ProjectParams,
        response: {
          204: Type.Null({ description: 'Deleted.' }),
          ...problems(MANAGER_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      await projects.deleteProject(actor, request.params.projectId);
      return reply.code(204).send(null);
    },
  );

  const memberTags = ['Members'];

  app.get(
    '/api/projects/:projectId/members',
    {
      schema: {
        tags: memberTags,
        summary: 'Members of a project',
        description: 'Any member, with everyone’s role.',
        params: ProjectParams,
        response: {
          200: Type.Object(
            { members: Type.Array(Member) },
            { description: 'The members.', examples: [{ members: [MEMBER_EXAMPLE] }] },
          ),
          ...problems(MEMBER_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      return { members: await projects.listMembers(actor, request.params.projectId) };
    },
  );

  app.post(
    '/api/projects/:projectId/members',
    {
      schema: {
        tags: memberTags,
        summary: 'Add an existing user to a project (owner, admin)',
        description:
          'The user needs an account on this instance (404 USER_NOT_FOUND); someone already in the project is 409 ALREADY_MEMBER. Only an owner can add another owner (403 FORBIDDEN).',
        params: ProjectParams,
        body: AddMemberBody,
        response: {
          201: MemberResponse('The new member.'),
          ...problems(
            BODY_ERRORS,
            MANAGER_ERRORS,
            'USER_NOT_FOUND',
            'ALREADY_MEMBER',
            // Removed again between the insert and the answer.
            'MEMBER_NOT_FOUND',
          ),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const member = await projects.addMember(actor, request.params.projectId, request.body);
      return reply.code(201).send({ member });
    },
  );

  app.patch(
    '/api/projects/:projectId/members/:userId',
    {
      schema: {
        tags: memberTags,
        summary: 'Change a member’s role (owner, admin)',
        description:
          'Only an owner can grant or take away the owner role (403 FORBIDDEN). The last owner cannot be demoted (409 LAST_OWNER).',
        params: MemberParams,
        body: UpdateMemberBody,
        response: {
          200: MemberResponse('The member, with the new role.'),
          ...problems(BODY_ERRORS, MANAGER_ERRORS, MEMBERSHIP_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, userId } = request.params;
      return { member: await projects.changeRole(actor, projectId, userId, request.body.role) };
    },
  );

  app.delete(
    '/api/projects/:projectId/members/:userId',
    {
      schema: {
        tags: memberTags,
        summary: 'Remove a member (owner, admin), or leave a project (anyone)',
        description:
          'Any member may remove themselves; removing someone else takes the owner or admin role, and only an owner removes an owner (403 FORBIDDEN). The last owner cannot be removed (409 LAST_OWNER).',
        params: MemberParams,
        response: {
          204: Type.Null({ description: 'Removed.' }),
          ...problems(MANAGER_ERRORS, MEMBERSHIP_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      await projects.removeMember(actor, request.params.projectId, request.params.userId);
      return reply.code(204).send(null);
    },
  );
}
