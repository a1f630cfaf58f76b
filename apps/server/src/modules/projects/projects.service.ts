import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import type { InvalidationBus } from '../../lib/invalidation-bus.js';
import { utcMonth } from '../../lib/time.js';
import { newId } from '../../lib/tokens.js';
import { SHARED_CACHE_TTL_MS, TtlCache } from '../../lib/ttl-cache.js';
import { validate } from '../../lib/validate.js';
import type { ProjectRow, Role } from '../../storage/schema.js';
import type { KeysService, NewApiKey } from '../keys/keys.service.js';
import type { Authorize } from './project-access.js';
import type { MemberRow, ProjectsRepo } from './projects.repo.js';
import {
  AddMemberBody,
  CreateProjectBody,
  type Limits,
  type Member,
  type Project,
  UpdateProjectBody,
} from './projects.schemas.js';

function toMember(row: MemberRow): Member {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    joinedAt: new Date(row.createdAt).toISOString(),
  };
}

export function createProjectsService(deps: {
  repo: ProjectsRepo;
  authorize: Authorize;
  keys: KeysService;
  clock: Clock;
  findUserIdByEmail: (email: string) => Promise<string>;
  bus: InvalidationBus;
  /** Instance-wide limits; a project's own setting wins. 0 quota means unlimited. */
  defaults: { rateLimitPerSecond: number; monthlyEventQuota: number; maxQueryRangeDays: number };
}) {
  const { repo, authorize, keys, clock, bus, defaults } = deps;
  const limitsCache = new TtlCache<string, Limits>(clock, SHARED_CACHE_TTL_MS, 100_000);
  const privacyCache = new TtlCache<string, boolean>(clock, SHARED_CACHE_TTL_MS, 100_000);
  bus.subscribe('project', (projectId) => {
    limitsCache.evictWhere((_, id) => id === projectId);
    privacyCache.evictWhere((_, id) => id === projectId);
  });

  function limitsOf(row: ProjectRow): Limits {
    const quota = row.monthlyEventQuota ?? defaults.monthlyEventQuota;
    const maxDays = row.maxQueryRangeDays ?? defaults.maxQueryRangeDays;
    return {
      rateLimitPerSecond: row.rateLimitPerSecond ?? defaults.rateLimitPerSecond,
      monthlyEventQuota: quota === 0 ? null : quota,
      maxQueryRangeDays: maxDays === 0 ? null : maxDays,
    };
  }

  async function present(rows: readonly (ProjectRow & { role: Role })[]): Promise<Project[]> {
    const month = utcMonth(clock.now());
    const usage = await repo.usageOf(
      rows.map((r) => r.id),
      month,
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      role: row.role,
      usage: {
        month,
        events: usage.get(row.id) ?? 0,
        quota: limitsOf(row).monthlyEventQuota,
      },
      limits: limitsOf(row),
      honourPrivacySignals: row.honourPrivacySignals === 1,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    }));
  }

  async function presentOne(row: ProjectRow, role: Role): Promise<Project> {
    const [project] = await present([{ ...row, role }]);
    if (project === undefined) throw new Error('unreachable: present() lost a row');
    return project;
  }

  /** Only an owner may make or unmake owners; an admin manages everyone else. */
  function checkRoleChange(actorRole: Role, from: Role | undefined, to: Role | null): void {
    if (actorRole === 'owner') return;
    if (from === 'owner' || to === 'owner') {
      throw new AppError('FORBIDDEN', 'Only an owner can grant, change or remove the owner role.');
    }
  }

  async function changeMember(
    actor: Actor,
    projectId: string,
    userId: string,
    role: Role | null,
  ): Promise<void> {
    const leaving = role === null && actor.kind === 'user' && actor.userId === userId;
    const access = await authorize(actor, projectId, leaving ? 'read' : 'manage');
    if (!leaving) checkRoleChange(access.role, await repo.findRole(projectId, userId), role);
    const result = await repo.changeMember(projectId, userId, role, clock.now());
    if (result === 'missing') {
      throw new AppError('MEMBER_NOT_FOUND', `User ${userId} is not a member of this project.`);
    }
    if (result === 'last-owner') {
      throw new AppError(
        'LAST_OWNER',
        'This is the last owner of the project: make someone else owner first.',
      );
    }
  }

  const service = {
    /** Creates a project owned by `ownerId`, with a first ingest key whose secret is returned once. */
    async createProject(
      actor: Actor,
      input: CreateProjectBody,
      ownerId: string,
    ): Promise<{ project: Project; apiKey: NewApiKey }> {
      if (actor.kind === 'user' && actor.userId !== ownerId) {
        throw new AppError('FORBIDDEN', 'You can only create projects you own.');
      }
      const body = validate(CreateProjectBody, { ...input, name: input.name?.trim() });
      const now = clock.now();
      const row: ProjectRow = {
        id: newId(),
        name: body.name,
        rateLimitPerSecond: null,
        monthlyEventQuota: null,
        maxQueryRangeDays: null,
        honourPrivacySignals: 1,
        createdAt: now,
        updatedAt: now,
      };
      await repo.insertProject(row, ownerId);
      const apiKey = await keys.createKey(actor, row.id, {
        name: 'Default ingest key',
        scope: 'ingest',
      });
      return { project: await presentOne(row, 'owner'), apiKey };
    },

    async listProjects(actor: Actor & { kind: 'user' }): Promise<Project[]> {
      return present(await repo.listProjectsOfUser(actor.userId));
    },

    async getProject(actor: Actor, projectId: string): Promise<Project> {
      const { project, role } = await authorize(actor, projectId, 'read');
      return presentOne(project, role);
    },

    /** Renames a project or changes its settings (owner, admin). */
    async updateProject(
      actor: Actor,
      projectId: string,
      input: UpdateProjectBody,
    ): Promise<Project> {
      const { role } = await authorize(actor, projectId, 'manage');
      const body = validate(
        UpdateProjectBody,
        input.name === undefined ? input : { ...input, name: input.name.trim() },
      );
      await repo.updateProject(
        projectId,
        {
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.honourPrivacySignals === undefined
            ? {}
            : { honourPrivacySignals: body.honourPrivacySignals ? 1 : 0 }),
        },
        clock.now(),
      );
      if (body.honourPrivacySignals !== undefined) await bus.publish('project', projectId);
      const row = await repo.findProject(projectId);
      if (row === undefined)
        throw new AppError('PROJECT_NOT_FOUND', `Project ${projectId} is gone.`);
      return presentOne(row, role);
    },

    /** Deletes the project with its members, keys, metrics and data. Owners only. */
    async deleteProject(actor: Actor, projectId: string): Promise<void> {
      await authorize(actor, projectId, 'own');
      await repo.deleteProject(projectId);
      await bus.publish('project', projectId);
    },

    /**
     * Sets a project's own rate limit, monthly quota and longest query range (null: back to the
     * instance default; 0: unlimited). Limits are the operator's to set, not the project owners'.
     */
    async setLimits(
      actor: Actor,
      projectId: string,
      limits: {
        rateLimitPerSecond?: number | null;
        monthlyEventQuota?: number | null;
        maxQueryRangeDays?: number | null;
      },
    ): Promise<Project> {
      if (actor.kind !== 'operator') {
        throw new AppError('FORBIDDEN', 'Limits are set by the operator of the instance.');
      }
      for (const [name, value] of Object.entries(limits)) {
        const least = name === 'rateLimitPerSecond' ? 1 : 0;
        if (
          value !== null &&
          value !== undefined &&
          (!Number.isSafeInteger(value) || value < least)
        ) {
          throw new AppError(
            'VALIDATION_FAILED',
            `${name} must be a whole number ≥ ${least}, or null.`,
          );
        }
      }
      await authorize(actor, projectId, 'own');
      await repo.setLimits(projectId, limits, clock.now());
      await bus.publish('project', projectId);
      return service.getProject(actor, projectId);
    },

    /**
     * Whether the website tracker drops a project's page views carrying a privacy signal;
     * undefined for a project that is gone. Cached until the setting changes.
     */
    async honoursPrivacySignals(projectId: string): Promise<boolean | undefined> {
      const cached = privacyCache.get(projectId);
      if (cached !== undefined) return cached;
      const generation = privacyCache.generation;
      const row = await repo.findProject(projectId);
      if (row === undefined) return undefined;
      const honours = row.honourPrivacySignals === 1;
      privacyCache.set(projectId, honours, generation);
      return honours;
    },

    /** ingestLimits' answer when it is cached, without a promise: for ingestion's hot path. */
    cachedIngestLimits(projectId: string): Limits | undefined {
      return limitsCache.get(projectId);
    },

    /** The limits ingestion enforces for a project, cached until they change. */
    async ingestLimits(projectId: string): Promise<Limits | undefined> {
      const cached = limitsCache.get(projectId);
      if (cached !== undefined) return cached;
      const generation = limitsCache.generation;
      const row = await repo.findProject(projectId);
      if (row === undefined) return undefined;
      const limits = limitsOf(row);
      limitsCache.set(projectId, limits, generation);
      return limits;
    },

    async listMembers(actor: Actor, projectId: string): Promise<Member[]> {
      await authorize(actor, projectId, 'read');
      return (await repo.listMembers(projectId)).map(toMember);
    },

    async addMember(actor: Actor, projectId: string, input: AddMemberBody): Promise<Member> {
      const access = await authorize(actor, projectId, 'manage');
      const body = validate(AddMemberBody, input);
      checkRoleChange(access.role, undefined, body.role);
      const userId = await deps.findUserIdByEmail(body.email);
      if (!(await repo.insertMember(projectId, userId, body.role, clock.now()))) {
        throw new AppError('ALREADY_MEMBER', `${body.email} is already a member of this project.`);
      }
      const member = (await repo.listMembers(projectId)).find((m) => m.userId === userId);
      if (member === undefined)
        throw new AppError('MEMBER_NOT_FOUND', 'The member was removed meanwhile.');
      return toMember(member);
    },

    /**
     * Adds the user who accepted an invitation (the invitations service checked it): false when
     * they were a member already (their role stays).
     */
    async addInvitedMember(projectId: string, userId: string, role: Role): Promise<boolean> {
      return repo.insertMember(projectId, userId, role, clock.now());
    },

    /** A user's role in a project, or undefined: for a caller that has authorised itself. */
    roleOf(projectId: string, userId: string): Promise<Role | undefined> {
      return repo.findRole(projectId, userId);
    },

    async changeRole(actor: Actor, projectId: string, userId: string, role: Role): Promise<Member> {
      await changeMember(actor, projectId, userId, role);
      const member = (await repo.listMembers(projectId)).find((m) => m.userId === userId);
      if (member === undefined)
        throw new AppError('MEMBER_NOT_FOUND', 'The member was removed meanwhile.');
      return toMember(member);
    },

    /** Removes a member; any member may remove themselves (leave), except the last owner. */
    async removeMember(actor: Actor, projectId: string, userId: string): Promise<void> {
      await changeMember(actor, projectId, userId, null);
    },
  };
  return service;
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
