import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { runCli } from './cli/main.js';
import type { App } from './http.js';
import { openStorage, type Storage } from './storage/database.js';
import { expectProblem } from './test/assertions.js';
import {
  call,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
  uniqueEmail,
} from './test/factories.js';
import {
  createTestDatabase,
  DIALECTS,
  REDIS_URL,
  redisPrefix,
  TestClock,
  type TestDatabase,
  testConfig,
} from './test/harness.js';

/** One server process of a deployment: its own app and database handle. */
interface Node {
  readonly app: App;
  readonly storage: Storage;
}

async function startNode(
  database: TestDatabase,
  env: Record<string, string>,
  clock: TestClock,
): Promise<Node> {
  const config = testConfig(database.url, env);
  const storage = await openStorage(config.database, { checkpointer: true });
  const app = await buildApp(config, { storage, clock });
  await app.ready();
  return { app, storage };
}

function ingest(node: Node, key: string, metric: string, value = 1) {
  return call(node.app, 'POST', `/event/v1/${metric}`, {
    headers: { authorization: `Bearer ${key}` },
    body: { value },
  });
}

/**
 * Reads a Server-Sent Events stream until a `metrics` message gives the metric `totalExact` (an
 * earlier message may still bring an earlier commit's total).
 */
async function liveTotal(
  response: Response,
  metricId: string,
  totalExact: string,
  timeoutMs = 3_000,
): Promise<{ id: string; totalExact: string }> {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (reader === undefined) throw new Error('no body');
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended without that total; it said: ${text}`);
      text += value;
      for (const frame of text.split('\n\n')) {
        const data = /^event: metrics\ndata: (.*)$/m.exec(frame)?.[1];
        if (data === undefined) continue;
        const { metrics } = JSON.parse(data) as {
          metrics: Array<{ id: string; totalExact: string }>;
        };
        const metric = metrics.find((m) => m.id === metricId && m.totalExact === totalExact);
        if (metric !== undefined) return metric;
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel();
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(REDIS_URL === undefined)(
    `[${dialect}] several server processes sharing Redis`,
    () => {
      const clock = new TestClock();
      let database: TestDatabase;
      let a: Node;
      let b: Node;
      let owner: Session;
      let project: TestProject;
      let metric: { id: string; name: string };
      let env: Record<string, string>;

      beforeAll(async () => {
        database = await createTestDatabase(dialect);
        env = {
          REDIS_URL: REDIS_URL ?? '',
          MEASURELY_REDIS_PREFIX: redisPrefix(),
          MEASURELY_RATE_LIMIT: '4',
          MEASURELY_LOGIN_MAX_FAILURES: '3',
        };
        a = await startNode(database, env, clock);
        b = await startNode(database, env, clock);
        owner = await signUp(a.app);
        project = await createProject(a.app, owner);
        metric = await createMetric(a.app, owner, project.id, { name: 'signups', type: 'basic' });
      });

      afterAll(async () => {
        for (const node of [a, b]) {
          await node?.app.close();
          await node?.storage.close();
        }
        await database?.drop();
      });

      it('says in /readyz that Redis answers', async () => {
        const ready = await call(a.app, 'GET', '/readyz');
        expect(ready.json()).toEqual({ status: 'ready', database: dialect, redis: 'ok' });
      });

      it('gives a key its rate limit once across the processes, not once each', async () => {
        const accepted = [];
        for (let i = 0; i < 4; i++) {
          accepted.push((await ingest(i % 2 === 0 ? a : b, project.apiKey, 'signups')).statusCode);
        }
        expect(accepted).toEqual([200, 200, 200, 200]);
        for (const node of [a, b]) {
          const refused = await ingest(node, project.apiKey, 'signups');
          expectProblem(refused, 429, 'RATE_LIMITED');
          expect(refused.headers['retry-after']).toBe('1');
          expect(refused.headers.ratelimit).toMatch(/r=0/);
        }
        clock.advance(1_000);
        const shown = await call(b.app, 'GET', `/api/projects/${project.id}/metrics/signups`, {
          session: owner,
        });
        expect(shown.json().metric).toMatchObject({ totalExact: '4', eventCount: 4 });
      });

      it('refuses a key rotated through one process in the other, without waiting for its cache', async () => {
        clock.advance(1_000);
        // The other process has the key in its cache; its clock stands still, so the cache
        // never expires: only the message through Redis can take the key out.
        expect((await ingest(b, project.apiKey, 'signups')).statusCode).toBe(200);
        const rotated = await call(
          a.app,
          'POST',
          `/api/projects/${project.id}/keys/${project.apiKeyId}/rotate`,
          { session: owner },
        );
        expect(rotated.statusCode).toBe(200);
        const secret = rotated.json().key.secret as string;
        await expect
          .poll(async () => (await ingest(b, project.apiKey, 'signups')).statusCode, {
            timeout: 1_000,
            interval: 5,
          })
          .toBe(401);
        clock.advance(1_000);
        expect((await ingest(b, secret, 'signups')).statusCode).toBe(200);
        project = { ...project, apiKey: secret };
      });

      it('refuses a key rotated with the CLI at once, in every process', async () => {
        clock.advance(1_000);
        expect((await ingest(a, project.apiKey, 'signups')).statusCode).toBe(200);
        expect((await ingest(b, project.apiKey, 'signups')).statusCode).toBe(200);
        const io = {
          stdin: new PassThrough(),
          stdout: new PassThrough(),
          stderr: new PassThrough(),
          env: { ...env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
          cwd: os.tmpdir(),
        };
        let printed = '';
        io.stdout.on('data', (chunk) => (printed += chunk));
        io.stdin.end();
        const argv = ['key', 'rotate', '--project', project.id, '--key', project.apiKeyId];
        expect(await runCli([...argv, '--json'], io)).toBe(0);
        for (const node of [a, b]) {
          await expect
            .poll(async () => (await ingest(node, project.apiKey, 'signups')).statusCode, {
              timeout: 1_000,
              interval: 5,
            })
            .toBe(401);
        }
        project = { ...project, apiKey: JSON.parse(printed).apiKey as string };
        clock.advance(1_000);
        expect((await ingest(a, project.apiKey, 'signups')).statusCode).toBe(200);
      });

      it('shows a dashboard watching through one process the events stored through the other', async () => {
        clock.advance(1_000);
        await a.app.listen({ port: 0, host: '127.0.0.1' });
        const port = (a.app.server.address() as AddressInfo).port;
        const controller = new AbortController();
        const stream = await fetch(`http://127.0.0.1:${port}/api/projects/${project.id}/live`, {
          headers: { cookie: owner.cookie },
          signal: controller.signal,
        });
        expect(stream.status).toBe(200);
        const before = await call(b.app, 'GET', `/api/projects/${project.id}/metrics/signups`, {
          session: owner,
        });
        const total = Number(before.json().metric.totalExact);
        const seen = liveTotal(stream, metric.id, String(total + 3));
        expect((await ingest(b, project.apiKey, 'signups', 3)).statusCode).toBe(200);
        expect(await seen).toMatchObject({ id: metric.id, totalExact: String(total + 3) });
        controller.abort();
      });

      it('counts failed sign-ins once across the processes', async () => {
        const email = uniqueEmail('throttled');
        await signUp(b.app, { email });
        const attempt = (node: Node) =>
          call(node.app, 'POST', '/api/auth/login', {
            body: { email, password: 'not the password' },
          });
        expect((await attempt(a)).statusCode).toBe(401);
        expect((await attempt(b)).statusCode).toBe(401);
        expect((await attempt(a)).statusCode).toBe(401);
        expectProblem(await attempt(b), 429, 'TOO_MANY_ATTEMPTS');
      });
    },
  );
}

describe('a process whose Redis cannot be reached', () => {
  it('does not start, and says why', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const config = testConfig(database.url, { REDIS_URL: 'redis://127.0.0.1:1' });
      await expect(buildApp(config)).rejects.toThrow(/Redis at REDIS_URL cannot be reached/);
    } finally {
      await database.drop();
    }
  });
});
