// Starts the real server once for the whole run: `node apps/server/bin/measurely.js serve` on a
// free port, on a fresh SQLite file in a temporary directory, or on MEASURELY_E2E_DATABASE_URL
// (an empty database) when it is set. Tests read its address with `inject('baseUrl')`.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server at ${url} did not become ready:\n${readFileSync(log, 'utf8')}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  for (const built of ['apps/web/dist/index.html', 'apps/server/dist/cli/bin.js']) {
    if (!existsSync(path.join(ROOT, built))) {
      throw new Error(`${built} is missing: run \`npm run build\` (npm run test:e2e does)`);
    }
  }
  const builtAt = statSync(path.join(ROOT, 'apps/web/dist/index.html')).mtimeMs;
  const dir = mkdtempSync(path.join(tmpdir(), 'measurely-e2e-'));
  const log = path.join(dir, 'server.log');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const databaseUrl =
    process.env.MEASURELY_E2E_DATABASE_URL ?? `sqlite:${path.join(dir, 'measurely.db')}`;
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, ['apps/server/bin/measurely.js', 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TZ: 'UTC',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      // Every test signs up its own users, all from 127.0.0.1.
      MEASURELY_LOGIN_MAX_PER_IP: '100000',
      // Cheaper sign-ups and sign-ins (the default's cost is tested in the server's suite).
      MEASURELY_PASSWORD_HASH_COST: '12',
    },
    stdio: ['ignore', out, out],
  });
  await waitUntilReady(baseUrl, child, log);
  console.log(`e2e: server on ${baseUrl}, ${databaseUrl.replace(/:[^:@/]*@/, ':…@')}`);
  project.provide('baseUrl', baseUrl);

  return async () => {
    if (statSync(path.join(ROOT, 'apps/web/dist/index.html')).mtimeMs !== builtAt) {
      console.warn(
        "e2e: apps/web/dist was rebuilt during the run; the server still lists the old assets, so failures to load pages are not the tests' fault",
      );
    }
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (process.env.MEASURELY_E2E_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`e2e: server log and database kept in ${dir}`);
  };
}
