import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import type { App } from '../../http.js';
import { openStorage, type Storage } from '../../storage/database.js';
import { call, createMetric, createProject, type Session, signUp } from '../../test/factories.js';
import {
  createTestDatabase,
  DIALECTS,
  TestClock,
  type TestDatabase,
  testConfig,
} from '../../test/harness.js';

/** Two server processes on one database (each its own app and connections), no Redis. */
for (const dialect of DIALECTS) {
  describe(`[${dialect}] two server processes committing to one metric`, () => {
    let database: TestDatabase;
    const nodes: Array<{ app: App; storage: Storage }> = [];
    let owner: Session;
    let apiKey: string;
    let projectId: string;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      const clock = new TestClock();
      for (let i = 0; i < 2; i++) {
        const config = testConfig(database.url);
        const storage = await openStorage(config.database, { checkpointer: true });
        const app = await buildApp(config, { storage, clock });
        await app.ready();
        nodes.push({ app, storage });
      }
      const first = nodes[0]?.app as App;
      owner = await signUp(first);
      const project = await createProject(first, owner);
      apiKey = project.apiKey;
      projectId = project.id;
    });

    afterAll(async () => {
      for (const { app, storage } of nodes) {
        await app.close();
        await storage.close();
      }
      await database?.drop();
    });

    it('refuses the event that would pass the largest total with 400, never a 500, whoever commits first', async () => {
      const [a, b] = nodes.map((node) => node.app) as [App, App];
      const send = (app: App, metric: string, value: number) =>
        call(app, 'POST', `/event/v1/${metric}`, {
          headers: { authorization: `Bearer ${apiKey}` },
          body: { value },
        });
      for (let round = 0; round < 6; round++) {
        const metric = await createMetric(a, owner, projectId, {
          name: `nearly-full-${round}`,
          type: 'basic',
        });
        const nine = Array.from({ length: 9 }, () => ({ metric: metric.id, value: 999999999999 }));
        const filled = await call(a, 'POST', '/event/v1/batch', {
          headers: { authorization: `Bearer ${apiKey}` },
          body: { events: nine },
        });
        expect(filled.json().accepted).toBe(9);
        // Each fits on its own; both together pass 9,223,372,036,854.775807.
        const answers = await Promise.all([
          send(a, metric.id, 200_000_000_000),
          send(b, metric.id, 200_000_000_000),
        ]);
        expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 400]);
        expect(answers.find((r) => r.statusCode === 400)?.json().code).toBe('VALUE_OUT_OF_RANGE');
        const shown = await call(b, 'GET', `/api/projects/${projectId}/metrics/${metric.id}`, {
          session: owner,
        });
        expect(shown.json().metric).toMatchObject({
          totalExact: '9199999999991',
          eventCount: 10,
        });
      }
    });
  });
}
