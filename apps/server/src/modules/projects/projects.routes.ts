import { Type } from '@sinclair/typebox';
import { type App, errorResponses, ProjectParams, type RouteDeps } from '../../http.js';
import { NewApiKey } from '../keys/keys.schemas.js';
import {
  AddMemberBody,
  CreateProjectBody,
  Member,
  Project,
  UpdateMemberBody,
  UpdateProjectBody,
} from './projects.schemas.js';

const MemberParams = Type.Object({ projectId: Type.String(), userId: Type.String() });

export async function projectsRoutes(app: App, { services, session }: RouteDeps): Promise<void> {
  const { projects } = services;
  const tags = ['Projects'];

  app.get(
    '/api/projects',
    {
      schema: {
        tags,
        summary: 'Projects I am a member of',
        response: { 200: Type.Object({ projects: Type.Array(Project) }), ...errorResponses },
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
          'I become its owner. It comes with one ingest key, whose secret is shown once.',
        body: CreateProjectBody,
        response: {
          201: Type.Object({ project: Project, apiKey: NewApiKey }),
          ...errorResponses,
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
        params: ProjectParams,
        response: { 200: Type.Object({ project: Project }), ...errorResponses },
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
        summary: 'Rename a project (owner, admin)',
        params: ProjectParams,
        body: UpdateProjectBody,
        response: { 200: Type.Object({ project: Project }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const project = await projects.renameProject(actor, request.params.projectId, request.body);
      return { project };
    },
  );

  app.delete(
    '/api/projects/:projectId',
    {
      schema: {
        tags,
        summary: 'Delete a project and all its data (owner)',
        params: ProjectParams,
        response: { 204: Type.Null(), ...errorResponses },
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
        params: ProjectParams,
        response: { 200: Type.Object({ members: Type.Array(Member) }), ...errorResponses },
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
        description: 'Only an owner can add another owner.',
        params: ProjectParams,
        body: AddMemberBody,
        response: { 201: Type.Object({ member: Member }), ...errorResponses },
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
        description: 'The last owner cannot be demoted (409 LAST_OWNER).',
        params: MemberParams,
        body: UpdateMemberBody,
        response: { 200: Type.Object({ member: Member }), ...errorResponses },
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
        description: 'The last owner cannot be removed (409 LAST_OWNER).',
        params: MemberParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      await projects.removeMember(actor, request.params.projectId, request.params.userId);
      return reply.code(204).send(null);
    },
  );
}
