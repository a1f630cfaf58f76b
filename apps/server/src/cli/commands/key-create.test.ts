import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../../test/factories.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/harness.js';
import { runCli } from '../main.js';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

for (const dialect of DIALECTS) {
  describe(`measurely key create --scope public [${dialect}]`, () => {
    let database: TestDatabase;
    let cwd: string;
    let projectId: string;

    async function cli(
      argv: readonly string[],
      env: Record<string, string> = {},
      stdin = '',
    ): Promise<CliResult> {
      const io = {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env },
        cwd,
      };
      const stdout = text(io.stdout);
      const stderr = text(io.stderr);
      io.stdin.end(stdin);
      const code = await runCli(argv, io);
      io.stdout.end();
      io.stderr.end();
      return { code, stdout: await stdout, stderr: await stderr };
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-cli-'));
      const email = uniqueEmail('cli');
      const user = await cli(
        ['user', 'create', '--email', email, '--password-stdin', '--json'],
        {},
        'correct horse battery',
      );
      expect(user.code, user.stderr).toBe(0);
      const project = await cli([
        'project',
        'create',
        '--name',
        'Site',
        '--owner',
        email,
        '--json',
      ]);
      expect(project.code, project.stderr).toBe(0);
      projectId = JSON.parse(project.stdout).id;
    });
    afterAll(async () => {
      await database.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('creates a public key with its origins and prints the snippet', async () => {
      const result = await cli(
        [
          'key',
          'create',
          '--project',
          projectId,
          '--name',
          'Website',
          '--scope',
          'public',
          '--origin',
          'https://Shop.example/',
          '--origin',
          'https://*.shop.example,http://localhost:8080',
          '--json',
        ],
        { MEASURELY_PUBLIC_URL: 'https://metrics.example.net' },
      );
      expect(result.code, result.stderr).toBe(0);
      const key = JSON.parse(result.stdout);
      expect(key).toMatchObject({
        scope: 'public',
        origins: ['https://shop.example', 'https://*.shop.example', 'http://localhost:8080'],
        snippet: `<script defer src="https://metrics.example.net/track.js" data-key="${key.apiKey}"></script>`,
      });

      const plain = await cli([
        'key',
        'create',
        '--project',
        projectId,
        '--name',
        'Blog',
        '--scope',
        'public',
        '--origin',
        'https://blog.example',
      ]);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stdout).toMatch(
        /^snippet: <script defer src="http:\/\/127\.0\.0\.1:3000\/track\.js"/m,
      );
    });

    it('refuses a public key without origins, or with a bad one', async () => {
      const base = ['key', 'create', '--project', projectId, '--name', 'W', '--scope', 'public'];
      const none = await cli([...base, '--json']);
      expect(none.code).toBe(1);
      expect(JSON.parse(none.stderr).error.code).toBe('ORIGINS_REQUIRED');
      const bad = await cli([...base, '--origin', 'https://shop.example/path', '--json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stderr).error.code).toBe('ORIGIN_INVALID');
      const empty = await cli([...base, '--origin', ' , ', '--json']);
      expect(empty.code).toBe(2);
    });
  });
}
