import type { Config } from './config.js';
import type { Clock } from './lib/clock.js';
import { type CounterStore, MemoryCounterStore } from './lib/counter-store.js';
import { type InvalidationBus, MemoryInvalidationBus } from './lib/invalidation-bus.js';
import { createAccountsRepo } from './modules/accounts/accounts.repo.js';
import { createAccountsService } from './modules/accounts/accounts.service.js';
import { rollupFolder } from './modules/ingest/rollup-fold.js';
import { createInvitationsRepo } from './modules/invitations/invitations.repo.js';
import { createInvitationsService } from './modules/invitations/invitations.service.js';
import { createKeysRepo } from './modules/keys/keys.repo.js';
import { createKeysService } from './modules/keys/keys.service.js';
import { createMetricsRepo } from './modules/metrics/metrics.repo.js';
import { createMetricsService } from './modules/metrics/metrics.service.js';
import { createProjectAccess } from './modules/projects/project-access.js';
import { createProjectsRepo } from './modules/projects/projects.repo.js';
import { createProjectsService } from './modules/projects/projects.service.js';
import { createQueryRepo } from './modules/query/query.repo.js';
import { createQueryService } from './modules/query/query.service.js';
import type { Storage } from './storage/database.js';

export interface ServiceDeps {
  readonly storage: Storage;
  readonly config: Config;
  readonly clock: Clock;
  /** Where sign-in attempts are counted; in memory unless a shared store is given. */
  readonly attempts?: CounterStore;
  /** Cache invalidation between nodes; in memory unless a shared bus is given. */
  readonly bus?: InvalidationBus;
}

/** Wires every feature's service to its repository; shared by the HTTP app and the CLI. */
export function createServices({ storage, config, clock, attempts, bus: givenBus }: ServiceDeps) {
  const { db } = storage;
  const bus = givenBus ?? new MemoryInvalidationBus();
  const projectsRepo = createProjectsRepo(db);
  const authorize = createProjectAccess(projectsRepo);
  const accounts = createAccountsService({
    repo: createAccountsRepo(db),
    config,
    clock,
    attempts: attempts ?? new MemoryCounterStore(clock),
  });
  const metrics = createMetricsService({ repo: createMetricsRepo(db), authorize, clock, bus });
  const keys = createKeysService({ repo: createKeysRepo(db), authorize, metrics, clock, bus });
  const projects = createProjectsService({
    repo: projectsRepo,
    authorize,
    keys,
    clock,
    findUserIdByEmail: async (email) => (await accounts.getUserByEmail(email)).id,
    bus,
    defaults: { ...config.ingest, maxQueryRangeDays: config.query.maxRangeDays },
  });
  const query = createQueryService({
    repo: createQueryRepo(db, storage.dialect, settleRollups(storage)),
    metrics,
    clock,
    config,
  });
  const invitations = createInvitationsService({
    repo: createInvitationsRepo(db),
    authorize,
    projects,
    accounts,
    clock,
    allowSignup: config.allowSignup,
  });
  return { accounts, projects, keys, metrics, query, invitations };
}

export type Services = ReturnType<typeof createServices>;

/** On SQLite, what readers of the rollups call first (modules/ingest/rollup-fold.ts). */
function settleRollups(storage: Storage): (() => void) | undefined {
  const { sqlite } = storage;
  if (sqlite === undefined) return undefined;
  return () => rollupFolder(sqlite).settle();
}
