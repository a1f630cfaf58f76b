import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitSyncPolicy } from '../../storage/sync-policy.js';
import { createMetric, createProject, signUp, type TestProject } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { parseFilters } from './event-input.js';
import { createIngestRepo, type PendingRequest } from './ingest.repo.js';
import { filtersJson } from './write-plan.js';

// The SQLite writer remembers the filter values it has committed, to skip inserting them again.
describe.runIf(DIALECTS.includes('sqlite'))('SQLite event writer', () => {
  let ctx: TestContext;
  let project: TestProject;
  let metric: { id: string };

  beforeAll(async () => {
    ctx = await createTestApp('sqlite');
    const owner = await signUp(ctx.app);
    project = await createProject(ctx.app, owner);
    metric = await createMetric(ctx.app, owner, project.id, { name: 'plans', type: 'basic' });
  });

  afterAll(async () => {
    await ctx?.close();
  });

  function request(plan: string): PendingRequest {
    const filters = parseFilters({ plan });
    return {
      projectId: project.id,
      keyId: project.apiKeyId,
      quota: null,
      events: [
        {
          metricId: metric.id,
          micros: 1_000_000n,
          filters,
          filtersJson: filtersJson(filters),
          ts: ctx.clock.now(),
        },
      ],
    };
  }

  const storedValues = async (): Promise<string[]> =>
    (
      await ctx.storage.db
        .selectFrom('metricFilterValues')
        .select('value')
        .where('metricId', '=', metric.id)
        .orderBy('value')
        .execute()
    ).map((row) => row.value);

  it('stores a filter value whose first commit failed with the next commit', async () => {
    const sqlite = ctx.storage.sqlite;
    if (sqlite === undefined) throw new Error('not SQLite');
    // A commit that fails after its filter values were inserted (rolled back with it).
    sqlite.exec(`create table fail_totals (active integer);
      insert into fail_totals values (1);
      create trigger fail_totals before update on metrics
        when (select active from fail_totals) = 1 begin select raise(abort, 'disk full'); end;`);
    const repo = createIngestRepo(ctx.storage);
    const now = ctx.clock.now();
    expect(() => repo.writeRequests([request('pro')], now, 0)).toThrow('disk full');
    expect(await storedValues()).toEqual([]);
    sqlite.exec('update fail_totals set active = 0');
    await repo.writeRequests([request('pro')], now, 0);
    await repo.writeRequests([request('pro'), request('free')], now, 0);
    expect(await storedValues()).toEqual(['free', 'pro']);
    await repo.close();
  });

  it('waits for the disk inside fast commits, and once they are slow leaves it to durable()', async () => {
    // Every commit counts as slow: the first five sync inline, the next ones defer their sync.
    const repo = createIngestRepo(ctx.storage, {
      syncPolicy: new CommitSyncPolicy({ slowMs: -1, backgroundMs: 60_000 }),
    });
    const now = ctx.clock.now();
    const events = async (): Promise<number> =>
      Number(
        (
          await ctx.storage.db
            .selectFrom('metrics')
            .select('eventCount')
            .where('id', '=', metric.id)
            .executeTakeFirstOrThrow()
        ).eventCount,
      );
    const before = await events();
    for (let i = 0; i < 5; i++) {
      await repo.writeRequests([request('pro')], now, 0);
      expect(repo.durable?.()).toBeUndefined();
    }
    await repo.writeRequests([request('pro')], now, 0);
    const syncing = repo.durable?.();
    expect(syncing).toBeInstanceOf(Promise);
    await syncing;
    expect(await events()).toBe(before + 6);
    await repo.close();
  });
});
