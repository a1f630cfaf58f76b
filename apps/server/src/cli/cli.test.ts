import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { uniqueEmail } from '../test/factories.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../test/harness.js';
import { freePort, SERVER_BIN, TSX_LOADER } from '../test/processes.js';
import { runCli } from './main.js';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const API_KEY = /^mly_[0-9A-Za-z]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASSWORD = 'correct horse battery';

/** Runs the CLI in-process against the database at `url`, feeding `stdin` to it. */
async function runWith(
  url: string,
  cwd: string,
  argv: readonly string[],
  stdin = '',
): Promise<CliResult> {
  const io = {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: { DATABASE_URL: url, LOG_LEVEL: 'silent' },
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

/** The JSON a successful `--json` run printed, after checking it succeeded quietly. */
function parsed(result: CliResult): Record<string, unknown> {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.endsWith('\n')).toBe(true);
  return JSON.parse(result.stdout);
}

/** The error code of a failed `--json` run, after checking nothing went to stdout. */
function failure(result: CliResult, exitCode: number): { code: string; message: string } {
  expect(result.code).toBe(exitCode);
  expect(result.stdout).toBe('');
  return JSON.parse(result.stderr).error;
}

for (const dialect of DIALECTS) {
  describe(`cli [${dialect}]`, () => {
    let database: TestDatabase;
    let cwd: string;
    let adminEmail: string;
    let firstUser: CliResult;

    const cli = (argv: readonly string[], stdin = ''): Promise<CliResult> =>
      runWith(database.url, cwd, argv, stdin);

    async function createUser(email = uniqueEmail()): Promise<Record<string, unknown>> {
      return parsed(
        await cli(['user', 'create', '--email', email, '--password-stdin', '--json'], PASSWORD),
      );
    }

    async function createProject(
      name = 'CLI project',
    ): Promise<{ id: string; name: string; apiKey: string; apiKeyId: string }> {
      const project = parsed(
        await cli(['project', 'create', '--name', name, '--owner', adminEmail, '--json']),
      );
      return project as { id: string; name: string; apiKey: string; apiKeyId: string };
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-cli-'));
      adminEmail = uniqueEmail('admin');
      firstUser = await cli(
        ['user', 'create', '--email', adminEmail, '--password-stdin', '--name', 'Ada', '--json'],
        `${PASSWORD}\n`,
      );
    });
    afterAll(async () => {
      await database?.drop();
      if (cwd !== undefined) fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('creates the first user as the instance admin, and later ones as plain users', async () => {
      const first = parsed(firstUser);
      expect(first).toEqual({
        id: expect.stringMatching(UUID),
        email: adminEmail,
        name: 'Ada',
        isAdmin: true,
      });

      const email = uniqueEmail('second');
      const second = await createUser(email);
      expect(second).toMatchObject({ email, isAdmin: false });
      expect(second.name).toBe(email.split('@')[0]);
    });

    it('signs the created user in over HTTP with the password given on stdin', async () => {
      const app = await buildApp(loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }));
      try {
        const login = (password: string) =>
          app.inject({
            method: 'POST',
            url: '/api/auth/login',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ email: adminEmail, password }),
          });
        const right = await login(PASSWORD);
        expect(right.statusCode).toBe(200);
        expect(right.json().user).toMatchObject({ email: adminEmail, isAdmin: true });
        // The trailing newline on stdin is not part of the password.
        expect((await login(`${PASSWORD}\n`)).statusCode).toBe(401);
      } finally {
        await app.close();
      }
    });

    it('refuses a second account with the same e-mail', async () => {
      const result = await cli(
        ['user', 'create', '--email', adminEmail.toUpperCase(), '--password-stdin', '--json'],
        PASSWORD,
      );
      expect(failure(result, 1).code).toBe('EMAIL_TAKEN');
    });

    it('creates a project with a first ingest key and shows it', async () => {
      const project = await createProject('Shop');
      expect(project).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Shop',
        apiKey: expect.stringMatching(API_KEY),
        apiKeyId: expect.stringMatching(UUID),
      });

      const shown = parsed(await cli(['project', 'show', '--project', project.id, '--json']));
      expect(shown).toMatchObject({ id: project.id, name: 'Shop', eventsThisMonth: 0 });
      expect(shown.month).toMatch(/^\d{4}-\d{2}$/);
      expect(Number.isNaN(Date.parse(String(shown.createdAt)))).toBe(false);

      const keys = parsed(await cli(['key', 'list', '--project', project.id, '--json']));
      expect(keys.keys).toEqual([
        // Made by the operator, not by a member.
        expect.objectContaining({
          id: project.apiKeyId,
          scope: 'ingest',
          status: 'active',
          createdBy: null,
        }),
      ]);
    });

    it('prints `key: value` lines without --json', async () => {
      const project = await createProject('Human readable');
      const result = await cli(['project', 'show', '--project', project.id]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toEqual([
        `id: ${project.id}`,
        'name: Human readable',
        expect.stringMatching(/^month: \d{4}-\d{2}$/),
        'eventsThisMonth: 0',
        'monthlyEventQuota: null',
        'rateLimitPerSecond: 1000',
        expect.stringMatching(/^createdAt: \d{4}-\d{2}-\d{2}T/),
      ]);
      expect(() => JSON.parse(result.stdout)).toThrow();
    });

    it("sets and resets a project's own rate limit and quota", async () => {
      const project = await createProject('Limited');
      const set = await cli([
        'project',
        'limits',
        '--project',
        project.id,
        '--rate-limit',
        '50',
        '--quota',
        '5000',
        '--json',
      ]);
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({
        rateLimitPerSecond: 50,
        monthlyEventQuota: 5000,
        usage: { events: 0, quota: 5000 },
      });
      const reset = await cli([
        'project',
        'limits',
        '--project',
        project.id,
        '--quota',
        'default',
        '--json',
      ]);
      expect(JSON.parse(reset.stdout)).toMatchObject({
        rateLimitPerSecond: 50,
        monthlyEventQuota: null,
      });
      const bad = await cli(['project', 'limits', '--project', project.id, '--quota', '-3']);
      expect(bad.code).toBe(2);
    });

    it('creates metrics of every type, with preset and custom units and side names', async () => {
      const project = await createProject();
      const create = (...flags: string[]) =>
        cli(['metric', 'create', '--project', project.id, ...flags, '--json']);

      const basic = parsed(await create('--name', 'revenue', '--type', 'basic', '--unit', 'usd'));
      expect(basic).toEqual({
        id: expect.stringMatching(UUID),
        name: 'revenue',
        type: 'basic',
        unit: { name: 'US dollar', symbol: '$' },
      });

      const dual = parsed(
        await create(
          '--name',
          'users',
          '--type',
          'dual',
          '--positive-name',
          'joined',
          '--negative-name',
          'left',
        ),
      );
      expect(dual).toMatchObject({ name: 'users', type: 'dual', unit: null });

      const average = parsed(
        await create('--name', 'latency', '--type', 'average', '--unit', 'Requests:req'),
      );
      expect(average).toMatchObject({
        name: 'latency',
        type: 'average',
        unit: { name: 'Requests', symbol: 'req' },
      });

      const shownDual = parsed(
        await cli(['metric', 'show', '--project', project.id, '--metric', 'users', '--json']),
      );
      expect(shownDual).toMatchObject({
        id: dual.id,
        type: 'dual',
        positiveName: 'joined',
        negativeName: 'left',
      });
    });

    it('shows a metric by id and by name with its zero totals', async () => {
      const project = await createProject();
      const metric = parsed(
        await cli([
          'metric',
          'create',
          '--project',
          project.id,
          '--name',
          'signups',
          '--type',
          'basic',
          '--json',
        ]),
      );
      for (const ref of [String(metric.id), 'signups']) {
        const result = await cli([
          'metric',
          'show',
          '--project',
          project.id,
          '--metric',
          ref,
          '--json',
        ]);
        expect(result.stdout).toContain('"total":0');
        expect(result.stdout).toContain('"eventCount":0');
        expect(parsed(result)).toMatchObject({
          id: metric.id,
          projectId: project.id,
          name: 'signups',
          type: 'basic',
          total: 0,
          totalExact: '0',
          eventCount: 0,
          lastEventAt: null,
          projectEventsThisMonth: 0,
        });
      }

      const missing = await cli([
        'metric',
        'show',
        '--project',
        project.id,
        '--metric',
        'nope',
        '--json',
      ]);
      expect(failure(missing, 1).code).toBe('METRIC_NOT_FOUND');
    });

    it('prints a metric series from its rollups, as a table or --json, with filters', async () => {
      const project = await createProject();
      await cli([
        'metric',
        'create',
        '--project',
        project.id,
        '--name',
        'orders',
        '--type',
        'basic',
      ]);
      const DAY = 86_400_000;
      const today = Math.floor(Date.now() / DAY) * DAY;
      const day = (offset: number) => new Date(today + offset * DAY).toISOString().slice(0, 10);
      const app = await buildApp(loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }));
      try {
        const sent = await app.inject({
          method: 'POST',
          url: '/event/v1/batch',
          headers: {
            authorization: `Bearer ${project.apiKey}`,
            'content-type': 'application/json',
          },
          payload: JSON.stringify({
            events: [
              {
                metric: 'orders',
                value: 3,
                timestamp: today - 2 * DAY + 3_600_000,
                filters: { plan: 'pro' },
              },
              { metric: 'orders', value: 2.5, timestamp: today - DAY + 3_600_000 },
            ],
          }),
        });
        expect(sent.json()).toMatchObject({ accepted: 2 });
      } finally {
        await app.close();
      }
      const window = ['--from', day(-2), '--to', day(1), '--granularity', 'day'];
      const base = ['metric', 'series', '--project', project.id, '--metric', 'orders', ...window];
      const series = parsed(await cli([...base, '--json'])) as {
        buckets: Array<{ start: string; sum: number; count: number }>;
        summary: { value: number };
      };
      expect(series.buckets.map((b) => [b.start.slice(0, 10), b.sum, b.count])).toEqual([
        [day(-2), 3, 1],
        [day(-1), 2.5, 1],
        [day(0), 0, 0],
      ]);
      expect(series.summary.value).toBe(5.5);
      const pro = parsed(await cli([...base, '--filter', 'plan=pro', '--json'])) as typeof series;
      expect(pro.buckets.map((b) => b.sum)).toEqual([3, 0, 0]);

      const table = await cli(base);
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toContain('orders (basic)');
      expect(lines[1]).toMatch(/^start\s+sum\s+count$/);
      // The wall clock of the series' zone (UTC here), with its offset.
      expect(lines[3]).toMatch(/^\d{4}-\d{2}-\d{2} 00:00 \+00:00\s+2\.5\s+1$/);
      const paris = (await cli([...base, '--tz', 'Europe/Paris'])).stdout.split('\n');
      expect(paris[2]).toMatch(/^\d{4}-\d{2}-\d{2} 00:00 \+0[12]:00\s/);
      expect(lines.at(-1)).toContain('total: 5.5');

      expect(failure(await cli([...base, '--filter', 'plan', '--json']), 2).code).toBe('USAGE');
      expect(failure(await cli([...base, '--tz', 'Mars/Base', '--json']), 1).code).toBe(
        'TIME_ZONE_INVALID',
      );
    });

    it('adds members with each role, once', async () => {
      const project = await createProject();
      for (const role of ['admin', 'developer', 'guest'] as const) {
        const user = await createUser();
        const member = parsed(
          await cli([
            'member',
            'add',
            '--project',
            project.id,
            '--email',
            String(user.email),
            '--role',
            role,
            '--json',
          ]),
        );
        expect(member).toMatchObject({
          projectId: project.id,
          userId: user.id,
          email: user.email,
          role,
        });
      }

      const again = await cli([
        'member',
        'add',
        '--project',
        project.id,
        '--email',
        adminEmail,
        '--role',
        'guest',
        '--json',
      ]);
      expect(failure(again, 1).code).toBe('ALREADY_MEMBER');
    });

    it('creates, lists, rotates and revokes API keys; secrets are printed only on creation', async () => {
      const project = await createProject();
      const created = parsed(
        await cli([
          'key',
          'create',
          '--project',
          project.id,
          '--name',
          'Dashboard reader',
          '--scope',
          'read',
          '--json',
        ]),
      );
      expect(created).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Dashboard reader',
        scope: 'read',
        apiKey: expect.stringMatching(API_KEY),
      });
      const ingest = parsed(
        await cli([
          'key',
          'create',
          '--project',
          project.id,
          '--name',
          'Backend',
          '--scope',
          'ingest',
          '--json',
        ]),
      );
      expect(ingest).toMatchObject({ scope: 'ingest', apiKey: expect.stringMatching(API_KEY) });

      const listed = await cli(['key', 'list', '--project', project.id, '--json']);
      const { keys } = parsed(listed) as { keys: Record<string, unknown>[] };
      expect(keys.map((k) => k.id).sort()).toEqual(
        [project.apiKeyId, created.id, ingest.id].sort(),
      );
      for (const secret of [project.apiKey, created.apiKey, ingest.apiKey]) {
        expect(listed.stdout).not.toContain(String(secret));
      }
      for (const key of keys) {
        expect(key).not.toHaveProperty('secret');
        expect(key).not.toHaveProperty('apiKey');
      }
      const reader = keys.find((k) => k.id === created.id);
      expect(String(created.apiKey).startsWith(String(reader?.prefix))).toBe(true);

      const human = await cli(['key', 'list', '--project', project.id]);
      expect(human.code).toBe(0);
      const [header, ...rows] = human.stdout.trimEnd().split('\n');
      expect(header?.split(/\s{2,}/)).toEqual([
        'id',
        'name',
        'scope',
        'prefix',
        'status',
        'created',
      ]);
      expect(rows).toHaveLength(3);
      const readerLine = rows.find((row) => row.startsWith(String(created.id)));
      expect(readerLine?.split(/\s{2,}/)).toEqual([
        created.id,
        'Dashboard reader',
        'read',
        reader?.prefix,
        'active',
        reader?.createdAt,
      ]);
      expect(human.stdout).not.toContain('{');
      for (const secret of [project.apiKey, created.apiKey, ingest.apiKey]) {
        expect(human.stdout).not.toContain(String(secret));
      }

      const rotated = parsed(
        await cli([
          'key',
          'rotate',
          '--project',
          project.id,
          '--key',
          String(created.id),
          '--json',
        ]),
      );
      expect(rotated).toEqual({ id: created.id, apiKey: expect.stringMatching(API_KEY) });
      expect(rotated.apiKey).not.toBe(created.apiKey);

      const revoked = parsed(
        await cli([
          'key',
          'revoke',
          '--project',
          project.id,
          '--key',
          String(created.id),
          '--json',
        ]),
      );
      expect(revoked).toEqual({
        id: created.id,
        status: 'revoked',
        revokedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      const after = parsed(await cli(['key', 'list', '--project', project.id, '--json'])) as {
        keys: Record<string, unknown>[];
      };
      expect(after.keys.find((k) => k.id === created.id)?.status).toBe('revoked');
      expect(after.keys.find((k) => k.id === ingest.id)?.status).toBe('active');
      const revokedLine = (await cli(['key', 'list', '--project', project.id])).stdout
        .split('\n')
        .find((row) => row.startsWith(String(created.id)));
      expect(revokedLine?.split(/\s{2,}/)[4]).toBe('revoked');

      const rotateRevoked = await cli([
        'key',
        'rotate',
        '--project',
        project.id,
        '--key',
        String(created.id),
        '--json',
      ]);
      expect(failure(rotateRevoked, 1).code).toBe('KEY_REVOKED');
    });

    it('fails with USER_NOT_FOUND for an unknown owner', async () => {
      const result = await cli([
        'project',
        'create',
        '--name',
        'Orphan',
        '--owner',
        'nobody@example.com',
        '--json',
      ]);
      const error = failure(result, 1);
      expect(error.code).toBe('USER_NOT_FOUND');
      expect(error.message).toContain('nobody@example.com');
    });

    it('fails with METRIC_NAME_TAKEN for a duplicate metric name, whatever its case', async () => {
      const project = await createProject();
      const create = (name: string) =>
        cli([
          'metric',
          'create',
          '--project',
          project.id,
          '--name',
          name,
          '--type',
          'basic',
          '--json',
        ]);
      parsed(await create('orders'));
      expect(failure(await create('orders'), 1).code).toBe('METRIC_NAME_TAKEN');
      expect(failure(await create('Orders'), 1).code).toBe('METRIC_NAME_TAKEN');
    });

    it('exits 2 with the choices and the usage for a bad fixed-choice option, creating nothing', async () => {
      const project = await createProject();
      const metric = (...extra: string[]) => [
        'metric',
        'create',
        '--project',
        project.id,
        '--name',
        'weird',
        '--type',
        'basic',
        ...extra,
      ];
      for (const [argv, message, usage] of [
        [
          metric('--type', 'histogram'),
          '--type must be one of basic, dual, average (got "histogram")',
          'metric create',
        ],
        [metric('--unit', 'bogusunit'), '--unit must be a preset (usd, eur, gbp,', 'metric create'],
        [
          metric('--positive-name', 'won'),
          '--positive-name is for --type dual only',
          'metric create',
        ],
        [
          ['member', 'add', '--project', project.id, '--email', adminEmail, '--role', 'king'],
          '--role must be one of owner, admin, developer, guest (got "king")',
          'member add',
        ],
        [
          ['key', 'create', '--project', project.id, '--name', 'k', '--scope', 'admin'],
          '--scope must be one of ingest, read, public (got "admin")',
          'key create',
        ],
      ] as const) {
        const error = failure(await cli([...argv, '--json']), 2);
        expect(error.code, argv.join(' ')).toBe('USAGE');
        expect(error.message).toContain(message);
        expect(error.message).toContain(`\nUsage: measurely ${usage} `);
      }
      const show = await cli([
        'metric',
        'show',
        '--project',
        project.id,
        '--metric',
        'weird',
        '--json',
      ]);
      expect(failure(show, 1).code).toBe('METRIC_NOT_FOUND');
      const keys = parsed(await cli(['key', 'list', '--project', project.id, '--json']));
      expect(keys.keys).toHaveLength(1);
    });

    it('says in words what is wrong with a metric name, exit 2 for its form and 1 for a service rule', async () => {
      const project = await createProject();
      const create = (name: string) =>
        cli(['metric', 'create', '--project', project.id, '--name', name, '--type', 'basic']);
      const slash = await create('a/b');
      expect(slash.code).toBe(2);
      expect(slash.stderr).toMatch(
        /^measurely: USAGE: --name cannot contain "\/": a metric's name is part of URLs such as \/event\/v1\/NAME \(got "a\/b"\)\nUsage: measurely metric create /,
      );
      expect((await create('tab\there')).stderr).toContain(
        '--name cannot contain control characters',
      );
      expect((await create('x'.repeat(51))).stderr).toContain(
        '--name takes at most 50 characters (got 51)',
      );
      const reserved = await create('batch');
      expect(reserved.code).toBe(1);
      expect(reserved.stderr).toMatch(/^measurely: VALIDATION_FAILED: .*"batch" is reserved\n$/);
    });

    it('exits 2 for a series without --range or --from, or with a bad granularity or preset', async () => {
      const project = await createProject();
      const series = ['metric', 'series', '--project', project.id, '--metric', 'nothing'];
      for (const [extra, message] of [
        [[], 'give either --from (with an optional --to) or --range'],
        [['--range', 'today', '--from', '2026-01-01'], 'give either --from'],
        [['--range', 'today', '--to', '2026-01-01'], '--to goes with --from, not with --range'],
        [['--range', 'tomorrow'], '--range must be one of today, yesterday, last_7_days'],
        [
          ['--range', 'today', '--granularity', 'fortnight'],
          '--granularity must be one of auto, minute, hour, day, week, month (got "fortnight")',
        ],
      ] as const) {
        const error = failure(await cli([...series, ...extra, '--json']), 2);
        expect(error.code, extra.join(' ')).toBe('USAGE');
        expect(error.message).toContain(message);
        expect(error.message).toContain('\nUsage: measurely metric series ');
      }
    });

    it('exits 2 on a missing required flag, naming it', async () => {
      const error = failure(await cli(['project', 'create', '--name', 'No owner', '--json']), 2);
      expect(error.code).toBe('USAGE');
      expect(error.message).toContain('--owner is required');
      expect(error.message).toContain('Usage: measurely project create');
    });

    it('exits 2 on an unknown flag', async () => {
      const project = await createProject();
      const error = failure(
        await cli(['project', 'show', '--project', project.id, '--colour', 'red', '--json']),
        2,
      );
      expect(error.code).toBe('USAGE');
      expect(error.message).toContain('--colour');
    });

    it('exits 2 on an unknown command', async () => {
      const error = failure(await cli(['project', 'explode', '--json']), 2);
      expect(error.code).toBe('USAGE');
      expect(error.message).toContain('project explode');
    });

    it('prints errors as `measurely: CODE: message` without --json', async () => {
      const result = await cli([
        'project',
        'create',
        '--name',
        'Orphan',
        '--owner',
        'ghost@example.com',
      ]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('measurely: USER_NOT_FOUND: No account for ghost@example.com.\n');
      const usage = await cli(['project', 'create', '--name', 'No owner']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/^measurely: USAGE: --owner is required\nUsage: /);
    });
  });
}

describe('cli serve (a real process, SQLite)', () => {
  let cwd: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-serve-'));
  });
  afterAll(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('serves with the default database under its directory and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
    delete env.DATABASE_URL;
    delete env.LOG_LEVEL;
    const proc = spawn(process.execPath, ['--import', TSX_LOADER, SERVER_BIN, 'serve'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => {
      proc.once('exit', (code) => resolve(code));
    });

    let healthy = false;
    const deadline = Date.now() + 20_000;
    while (!healthy && Date.now() < deadline && proc.exitCode === null) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        healthy =
          response.status === 200 &&
          ((await response.json()) as { status?: string }).status === 'ok';
      } catch {
        // Not listening yet.
      }
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy, `server never became healthy; stderr: ${stderr}`).toBe(true);
    expect(fs.existsSync(path.join(cwd, 'data', 'measurely.db'))).toBe(true);

    proc.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    expect(code, `stderr: ${stderr}`).toBe(0);
    const logs = stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { msg?: string; signal?: string });
    expect(logs.some((log) => log.msg === 'shutting down' && log.signal === 'SIGTERM')).toBe(true);
  });
});

describe('cli --help', () => {
  it('lists every environment variable with a meaningful default', async () => {
    const result = await runWith('sqlite:unused.db', os.tmpdir(), ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\(default \)/);
    expect(result.stdout).toContain('  MEASURELY_PUBLIC_URL (default http://HOST:PORT)\n');
    expect(result.stdout).toContain('  REDIS_URL (default none)\n');
    expect(result.stdout).toContain('  PORT (default 3000)\n');
    expect(result.stdout).toContain('  MEASURELY_URL (default http://localhost:3000)\n');
  });
});

describe('cli on a SQLite file that does not exist', () => {
  it('refuses with exit 78 instead of creating an empty database, but for user create', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-missing-'));
    try {
      const file = path.join(dir, 'nested', 'typo.db');
      const shown = await runWith(`sqlite:${file}`, dir, [
        'project',
        'show',
        '--project',
        '00000000-0000-4000-8000-000000000000',
        '--json',
      ]);
      expect(shown.code).toBe(78);
      const { error } = JSON.parse(shown.stderr) as { error: { code: string; message: string } };
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(`${file} does not exist`);
      expect(fs.existsSync(file)).toBe(false);

      const created = await runWith(
        `sqlite:${file}`,
        dir,
        ['user', 'create', '--email', 'first@example.com', '--password-stdin', '--json'],
        'a long password\n',
      );
      expect(created.code).toBe(0);
      expect(fs.existsSync(file)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
