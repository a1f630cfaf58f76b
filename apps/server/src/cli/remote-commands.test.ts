import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { createClient } from '@measurely/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../test/factories.js';
import {
  type FaultProxy,
  type ProxiedRequest,
  type ProxyAction,
  startFaultProxy,
} from '../test/fault-proxy.js';
import { createTestApp, DIALECTS, type TestContext } from '../test/harness.js';
import { SERVER_BIN, TSX_LOADER } from '../test/processes.js';
import { runCli } from './main.js';
import { type ImportResult, runImport } from './remote/importer.js';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const DAY = 86_400_000;

/** The exact sum (as a decimal string) and count of a metric over [from, to), read with a read key. */
async function totals(
  ctx: TestContext,
  projectId: string,
  readKey: string,
  metric: string,
  from: number,
  to: number,
): Promise<{ sum: string; count: number }> {
  const query = new URLSearchParams({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    granularity: 'day',
  });
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/api/projects/${projectId}/metrics/${encodeURIComponent(metric)}/series?${query}`,
    headers: { authorization: `Bearer ${readKey}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  const total = response.json().summary.total as {
    count: number;
    exact: { sum?: string; net?: string };
  };
  return { sum: total.exact.sum ?? total.exact.net ?? '', count: total.count };
}

/** Sums decimal strings exactly, in millionths. */
function exactSum(values: readonly string[]): string {
  let micros = 0n;
  for (const value of values) {
    const [whole = '0', fraction = ''] = value.replace('-', '').split('.');
    const abs = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
    micros += value.startsWith('-') ? -abs : abs;
  }
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000n}${fraction === '' ? '' : `.${fraction}`}`;
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const dialect of DIALECTS) {
  describe(`cli push, import and export [${dialect}]`, () => {
    let ctx: TestContext;
    let baseUrl: string;
    let owner: Session;
    let project: TestProject;
    let readKey: string;
    let dir: string;
    let now: number;

    const cli = async (
      argv: readonly string[],
      options: { key?: string | null; url?: string; signal?: AbortSignal } = {},
    ): Promise<CliResult> => {
      const env: Record<string, string> = {
        MEASURELY_URL: options.url ?? baseUrl,
        // No DATABASE_URL: these commands never open the database.
      };
      const key = options.key === undefined ? project.apiKey : options.key;
      if (key !== null) env.MEASURELY_API_KEY = key;
      const io = {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env,
        cwd: dir,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      };
      const stdout = text(io.stdout);
      const stderr = text(io.stderr);
      io.stdin.end();
      const code = await runCli(argv, io);
      io.stdout.end();
      io.stderr.end();
      return { code, stdout: await stdout, stderr: await stderr };
    };
    const metric = async (type: 'basic' | 'dual' | 'average' = 'basic'): Promise<string> =>
      (
        await createMetric(ctx.app, owner, project.id, {
          name: `m-${Math.random().toString(36).slice(2, 8)}`,
          type,
        })
      ).name;
    const sumOf = (name: string) =>
      totals(ctx, project.id, readKey, name, now - 400 * DAY, now + DAY);
    const file = (name: string, content: string): string => {
      const full = path.join(dir, name);
      fs.writeFileSync(full, content);
      return full;
    };
    const iso = (offsetMs: number): string => new Date(now - offsetMs).toISOString();
    /**
     * Imports through the importer itself, with the SDK against the server: after `answers`
     * batches are answered, stops as Ctrl-C would (or runs `atLast` instead), deterministically.
     */
    const importUntil = (
      csv: string,
      name: string,
      options: {
        batchSize: number;
        answers: number;
        apiKey?: string;
        atLast?: () => Promise<void>;
      },
    ): Promise<ImportResult> => {
      const client = createClient({
        apiKey: options.apiKey ?? project.apiKey,
        baseUrl,
        maxRetries: 0,
      });
      const stop = new AbortController();
      let answered = 0;
      // Set at the last answer: batches sent after it wait for `atLast`, so at most the one
      // already in flight then can still get through, however long `atLast` takes.
      let last: Promise<void> | undefined;
      return runImport({
        file: csv,
        format: 'csv',
        metric: name,
        batchSize: options.batchSize,
        parallel: 2,
        statePath: `${csv}.measurely-import`,
        rejectsPath: undefined,
        target: `project:${project.id}`,
        keepRejects: 20,
        send: async (events, idempotencyKey, signal) => {
          if (last !== undefined) await last;
          const answer = await client.captureBatch(events, { idempotencyKey, signal });
          answered += 1;
          if (answered === options.answers) {
            if (options.atLast === undefined) stop.abort();
            else {
              last = options.atLast();
              await last;
            }
          }
          return answer;
        },
        stop: stop.signal,
        cancel: new AbortController().signal,
        progress: () => ({ update: () => undefined, note: () => undefined, stop: () => undefined }),
      });
    };

    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_RATE_LIMIT: '100000000' } });
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      const address = ctx.app.server.address();
      if (typeof address !== 'object' || address === null) throw new Error('not listening');
      baseUrl = `http://127.0.0.1:${address.port}`;
      owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner);
      readKey = (await createKey(ctx.app, owner, project.id, 'read')).secret;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-remote-'));
      now = ctx.clock.now();
    });
    afterAll(async () => {
      await ctx?.close();
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('push', () => {
      it('sends one value with filters and a timestamp, exactly', async () => {
        const name = await metric();
        const pushed = await cli([
          'push',
          name,
          '0.1',
          '--filter',
          'plan=pro',
          '--filter',
          'country=fr',
          '--timestamp',
          iso(DAY),
          '--json',
        ]);
        expect(pushed.stderr).toBe('');
        expect(pushed.code).toBe(0);
        expect(JSON.parse(pushed.stdout)).toEqual({
          ok: true,
          metric: name,
          value: 0.1,
          filters: { plan: 'pro', country: 'fr' },
          timestamp: iso(DAY),
          replayed: false,
        });
        expect((await cli(['push', name, '0.2'])).code).toBe(0);
        expect(await sumOf(name)).toEqual({ sum: '0.3', count: 2 });

        const human = await cli(['push', name, '999999999.999999']);
        expect(human.stdout).toContain('ok: true\n');
        expect(await sumOf(name)).toEqual({ sum: '1000000000.299999', count: 3 });
      });

      it('takes a negative value as it is or after --, and an Idempotency-Key that makes a repeat count once', async () => {
        const name = await metric('dual');
        expect((await cli(['push', name, '--', '-5'])).code).toBe(0);
        const negative = await cli(['push', name, '-12.5', '--json']);
        expect(negative.stderr).toBe('');
        expect(JSON.parse(negative.stdout)).toMatchObject({ ok: true, value: -12.5 });
        expect((await cli(['push', '--filter', 'plan=pro', name, '-3'])).code).toBe(0);
        expect((await cli(['push', name, '--json', '--', '-.5'])).code).toBe(0);
        expect(await sumOf(name)).toEqual({ sum: '-21', count: 4 });
        const args = ['push', name, '7', '--idempotency-key', `retry-${name}`, '--json'];
        expect(JSON.parse((await cli(args)).stdout).replayed).toBe(false);
        expect(JSON.parse((await cli(args)).stdout).replayed).toBe(true);
        expect(await sumOf(name)).toEqual({ sum: '-14', count: 5 });
      });

      it('echoes the filters as the server stores them, trimmed and lower-cased', async () => {
        const name = await metric();
        const pushed = await cli([
          'push',
          name,
          '1',
          '--filter',
          'Plan=Pro',
          '--filter',
          ' Country = FR ',
          '--json',
        ]);
        expect(pushed.stderr).toBe('');
        expect(JSON.parse(pushed.stdout).filters).toEqual({ plan: 'pro', country: 'fr' });
        const human = await cli(['push', name, '1', '--filter', 'Plan=Pro']);
        expect(human.stdout).toContain('filters: {"plan":"pro"}\n');
        const exported = await cli(
          ['export', '--metric', name, '--range', 'last_7_days', '--format', 'ndjson'],
          {
            key: readKey,
          },
        );
        const filters = exported.stdout
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line).filters);
        expect(filters).toHaveLength(2);
        expect(filters).toEqual(
          expect.arrayContaining([{ country: 'fr', plan: 'pro' }, { plan: 'pro' }]),
        );
      });

      it('exits 1 with FILTERS_INVALID for a filter the server refuses, 2 for one that is not key=value', async () => {
        const name = await metric();
        for (const filter of ['plan=say "hi"', 'pl@n=pro', 'plan= ']) {
          const refused = await cli(['push', name, '1', '--filter', filter, '--json']);
          expect(refused.code, filter).toBe(1);
          expect(refused.stdout).toBe('');
          expect(JSON.parse(refused.stderr).error.code).toBe('FILTERS_INVALID');
        }
        const twice = await cli(['push', name, '1', '--filter', 'plan=a', '--filter', 'PLAN=b']);
        expect(twice.code).toBe(1);
        expect(twice.stderr).toContain('given twice');
        const malformed = await cli(['push', name, '1', '--filter', 'plan', '--json']);
        expect(malformed.code).toBe(2);
        expect(JSON.parse(malformed.stderr).error.code).toBe('USAGE');
        expect(await sumOf(name)).toEqual({ sum: '0', count: 0 });
      });

      it("exits 1 with the server's code and detail", async () => {
        const name = await metric();
        const zero = await cli(['push', name, '0', '--json']);
        expect(zero.code).toBe(1);
        expect(zero.stdout).toBe('');
        expect(JSON.parse(zero.stderr).error).toEqual({
          code: 'VALUE_NOT_POSITIVE',
          message: 'A basic metric takes values greater than zero.',
        });
        const human = await cli(['push', name, '0']);
        expect(human.code).toBe(1);
        expect(human.stdout).toBe('');
        expect(human.stderr).toBe(
          'measurely: VALUE_NOT_POSITIVE: A basic metric takes values greater than zero.\n',
        );
        const unknown = await cli(['push', 'no-such-metric', '1', '--json']);
        expect(unknown.code).toBe(1);
        expect(JSON.parse(unknown.stderr).error.code).toBe('METRIC_UNKNOWN');
        const old = await cli(['push', name, '1', '--timestamp', iso(400 * DAY)]);
        expect(old.code).toBe(1);
        expect(old.stderr).toMatch(
          /^measurely: TIMESTAMP_OUT_OF_RANGE: "timestamp" must lie between/,
        );
        const wrongKey = await cli(['push', name, '1', '--json'], { key: readKey });
        expect(JSON.parse(wrongKey.stderr).error.code).toBe('KEY_SCOPE_FORBIDDEN');
        expect(await sumOf(name)).toEqual({ sum: '0', count: 0 });
      });

      it('refuses locally a value a float would round, so nothing rounded is stored', async () => {
        const name = await metric();
        for (const value of ['1234567890.123456', '0.1234567']) {
          const result = await cli(['push', name, value, '--json']);
          expect(result.code).toBe(1);
          expect(JSON.parse(result.stderr).error.code).toBe('VALUE_TOO_PRECISE');
        }
        expect(await sumOf(name)).toEqual({ sum: '0', count: 0 });
      });

      it('exits 2 on bad usage and 78 without an API key or with a bad MEASURELY_URL', async () => {
        const name = await metric();
        for (const argv of [
          ['push', name],
          ['push', name, 'abc'],
          ['push', name, '1', 'extra'],
          ['push', name, '1', '--filter', 'plan'],
          ['push', name, '1', '--timestamp', 'yesterday'],
          ['push', name, '1', '--url', 'ftp://example.com'],
          ['push', name, '-x'],
          ['push', name, '1', '--nope'],
          ['push', name, '1', '-x'],
          ['push', name, '-1.2.3'],
        ]) {
          const result = await cli([...argv, '--json']);
          expect(result.code, argv.join(' ')).toBe(2);
          expect(JSON.parse(result.stderr).error.code).toBe('USAGE');
        }
        // Everything after -- is an argument (POSIX), options too.
        const notANumber = await cli(['push', name, '--json', '--', '-x']);
        expect(notANumber.code).toBe(2);
        expect(JSON.parse(notANumber.stderr).error.message).toContain('not "-x"');
        const afterDashes = await cli(['push', name, '--', '-12.5', '--json']);
        expect(afterDashes.code).toBe(2);
        expect(afterDashes.stdout).toBe('');
        expect(afterDashes.stderr).toMatch(
          /^measurely: USAGE: unexpected argument "--json" \(everything after -- is an argument: put options before --\)/,
        );
        const noKey = await cli(['push', name, '1', '--json'], { key: null });
        expect(noKey.code).toBe(78);
        expect(JSON.parse(noKey.stderr).error).toMatchObject({ code: 'CONFIG_INVALID' });
        expect(JSON.parse(noKey.stderr).error.message).toContain('MEASURELY_API_KEY');
        const badUrl = await cli(['push', name, '1', '--json'], { url: 'not a url' });
        expect(badUrl.code).toBe(78);
        // --key overrides the environment.
        expect((await cli(['push', name, '1', '--key', project.apiKey], { key: null })).code).toBe(
          0,
        );
        expect(await sumOf(name)).toEqual({ sum: '1', count: 1 });
      });

      it('exits 1 with NETWORK_ERROR when no server answers', async () => {
        const result = await cli(['push', 'x', '1', '--json'], { url: 'http://127.0.0.1:9' });
        expect(result.code).toBe(1);
        const error = JSON.parse(result.stderr).error;
        expect(error.code).toBe('NETWORK_ERROR');
        expect(error.message).toContain('http://127.0.0.1:9');
        const human = await cli(['push', 'x', '1'], { url: 'http://127.0.0.1:9' });
        expect(human.stderr).toMatch(/^measurely: NETWORK_ERROR: http:\/\/127\.0\.0\.1:9: /);
      });
    });

    describe('import', () => {
      it('imports a CSV, rejecting bad rows with their line numbers; a rerun sends nothing and reports them again', async () => {
        const name = await metric();
        const csv = file(
          'orders.csv',
          [
            'timestamp,value,plan,note',
            `${iso(DAY)},10.5,pro,`, // line 2
            `${iso(DAY)},abc,pro,`, // 3: not a number
            `${iso(DAY)},0,pro,`, // 4: refused by the server (basic metric)
            '',
            `2026-11-01 10:00,1,pro,`, // 6: no zone
            `${iso(DAY)},2,free`, // 7: a column short
            `${iso(2 * DAY)},"3.25",free,"a, b"`, // 8
            `${iso(DAY)},1,"bad""quote",`, // 9: refused by the server (filter value)
            `${now - 3 * DAY},0.000001,,'=1+2`, // 10: epoch ms, formula guard
          ].join('\r\n'),
        );
        const rejects = path.join(dir, 'orders.rejects.ndjson');
        const result = await cli(['import', csv, '--metric', name, '--rejects', rejects, '--json']);
        expect(result.code).toBe(1);
        const summary = JSON.parse(result.stdout);
        expect(summary).toMatchObject({
          metric: name,
          format: 'csv',
          rows: 8,
          accepted: 3,
          rejected: 5,
          skipped: 0,
          complete: true,
          startLine: 1,
          stateFile: `${csv}.measurely-import`,
        });
        expect(
          summary.rejects.map((r: { line: number; code: string }) => [r.line, r.code]),
        ).toEqual([
          [3, 'VALUE_INVALID'],
          [4, 'VALUE_NOT_POSITIVE'],
          [6, 'TIMESTAMP_INVALID'],
          [7, 'VALIDATION_FAILED'],
          [9, 'FILTERS_INVALID'],
        ]);
        expect(JSON.parse(result.stderr).error).toMatchObject({ code: 'ROWS_REJECTED' });
        const written = fs
          .readFileSync(rejects, 'utf8')
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line));
        expect(written).toEqual(summary.rejects);
        expect(await sumOf(name)).toEqual({ sum: '13.750001', count: 3 });

        // The import as a whole has rejected rows: a rerun says so, and exits 1 again.
        const again = await cli(['import', csv, '--metric', name]);
        expect(again.code).toBe(1);
        expect(again.stdout).toBe(
          `orders.csv was already imported (8 rows, 5 of them rejected, listed in ${rejects}; state in ${csv}.measurely-import): nothing sent. Delete the state file to import it again.\n`,
        );
        expect(again.stderr).toBe(
          `measurely: ROWS_REJECTED: 5 rows were rejected, 5 of them reported by an earlier run (in ${rejects}) (see the summary for their line numbers and codes)\n`,
        );
        expect(await sumOf(name)).toEqual({ sum: '13.750001', count: 3 });
      });

      it('prints a readable summary with the first rejected rows', async () => {
        const name = await metric();
        const lines = ['timestamp,value'];
        for (let i = 0; i < 50; i++) lines.push(`${iso(DAY)},${i % 2 === 0 ? 1 : -1}`);
        const csv = file('mixed.csv', `${lines.join('\n')}\n`);
        const result = await cli(['import', csv, '--metric', name, '--quiet']);
        expect(result.code).toBe(1);
        const out = result.stdout.split('\n');
        expect(out[0]).toBe(
          `mixed.csv → ${name}: 50 rows read, 25 accepted, 25 rejected, 0 skipped as already imported (${
            /\((\d+\.\d) s/.exec(out[0] ?? '')?.[1]
          } s, ${/s, ([\d,]+) rows\/s\)/.exec(out[0] ?? '')?.[1]} rows/s).`,
        );
        expect(out[1]).toBe('Rejected rows:');
        expect(out[2]).toBe(
          '  line 3: VALUE_NOT_POSITIVE A basic metric takes values greater than zero.',
        );
        expect(out[21]).toMatch(/^ {2}line 41: VALUE_NOT_POSITIVE/);
        expect(out[22]).toBe('  … and 5 more: rerun with --rejects FILE to list them all.');
        expect(result.stderr).toBe(
          'measurely: ROWS_REJECTED: 25 rows were rejected (see the summary for their line numbers and codes)\n',
        );
      });

      it('lists at most 1,000 rejected rows with --json, pointing to --rejects for all of them', async () => {
        const name = await metric();
        const lines = ['timestamp,value'];
        for (let i = 0; i < 1500; i++) lines.push(`${iso(DAY)},not-a-number`);
        const csv = file('rejects-cap.csv', `${lines.join('\n')}\n`);
        const result = await cli(['import', csv, '--metric', name, '--json']);
        expect(result.code).toBe(1);
        const summary = JSON.parse(result.stdout);
        expect(summary).toMatchObject({ rejected: 1500, rejectsTruncated: true });
        expect(summary.rejects).toHaveLength(1000);
        expect(JSON.parse(result.stderr).error.message).toBe(
          '1,500 rows were rejected (see the summary for their line numbers and codes; it lists the first 1,000: --rejects FILE writes them all)',
        );
      });

      it('imports NDJSON with exact sums and a metric per line', async () => {
        const cents = await metric('average');
        const other = await metric('dual');
        const lines: string[] = [];
        for (let i = 0; i < 2500; i++) {
          lines.push(
            JSON.stringify({
              timestamp: now - (i % 50) * 3_600_000,
              value: 0.01,
              filters: { n: String(i % 7) },
            }),
          );
        }
        lines.push(`{"timestamp":"${iso(DAY)}","value":-2.5,"metric":"${other}"}`);
        lines.push(`{"timestamp":"${iso(DAY)}","value":"4","metric":"${other}","filters":null}`);
        lines.push('{"timestamp":1,"value":99999999999.999999}');
        const ndjson = file('events.ndjson', `${lines.join('\n')}\n`);
        const result = await cli([
          'import',
          ndjson,
          '--metric',
          cents,
          '--batch-size',
          '300',
          '--json',
          '--quiet',
        ]);
        const summary = JSON.parse(result.stdout);
        expect(summary).toMatchObject({
          format: 'ndjson',
          rows: 2503,
          accepted: 2502,
          rejected: 1,
          batches: 9,
        });
        expect(summary.rejects).toEqual([
          {
            line: 2503,
            code: 'VALUE_TOO_PRECISE',
            detail: expect.stringContaining('99999999999.999999'),
          },
        ]);
        expect(await sumOf(cents)).toEqual({ sum: '25', count: 2500 });
        expect(await sumOf(other)).toEqual({ sum: '1.5', count: 2 });
      });

      it('refuses a file it cannot read as CSV, and usage mistakes', async () => {
        const name = await metric();
        const bad = file('bad-header.csv', 'when,amount\n1,2\n');
        const result = await cli(['import', bad, '--metric', name, '--json']);
        expect(result.code).toBe(1);
        expect(JSON.parse(result.stderr).error).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(fs.existsSync(`${bad}.measurely-import`)).toBe(false);
        for (const argv of [
          ['import', bad],
          ['import', path.join(dir, 'missing.csv'), '--metric', name],
          ['import', file('data.txt', ''), '--metric', name],
          ['import', bad, '--metric', name, '--batch-size', '1001'],
          ['import', bad, '--metric', name, '--format', 'xml'],
          ['import', bad, '--metric', name, '--rejects', path.join(dir, 'no', 'such', 'r.ndjson')],
        ]) {
          expect((await cli([...argv, '--json'])).code, argv.join(' ')).toBe(2);
        }
        const wrongKey = await cli(['import', bad, '--metric', name, '--json'], {
          key: 'mly_nope',
        });
        expect(JSON.parse(wrongKey.stderr).error.code).toBe('API_KEY_INVALID');
      });

      it('resumes an interrupted import from its state file without counting twice, and reports earlier rejects', async () => {
        const name = await metric();
        const rows = 12_000;
        const values: string[] = [];
        const lines = ['timestamp,value,shard'];
        for (let i = 0; i < rows; i++) {
          // Two rows the server refuses: one before the interruption, one after.
          const value =
            i === 150 || i === 11_000
              ? '0'
              : `${(i % 997) + 1}.${String(i % 100).padStart(2, '0')}`;
          if (value !== '0') values.push(value);
          lines.push(`${now - (i % 300) * DAY},${value},s${i % 5}`);
        }
        const csv = file('interrupted.csv', `${lines.join('\n')}\n`);
        const statePath = `${csv}.measurely-import`;
        const stopped = await importUntil(csv, name, { batchSize: 100, answers: 20 });
        expect(stopped).toMatchObject({ interrupted: true, complete: false, rejected: 1 });
        const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
        expect(state).toMatchObject({ complete: false, rejected: 1 });
        expect(state.next.rows).toBeGreaterThanOrEqual(2000);
        expect(state.next.rows).toBeLessThan(rows);
        const between = await sumOf(name);
        expect(between.count).toBeGreaterThanOrEqual(state.next.rows - 1);

        const resumed = await cli([
          'import',
          csv,
          '--metric',
          name,
          '--batch-size',
          '100',
          '--parallel',
          '2',
          '--json',
        ]);
        expect(resumed.code).toBe(1);
        expect(JSON.parse(resumed.stderr).error).toEqual({
          code: 'ROWS_REJECTED',
          message:
            '2 rows were rejected, 1 of them reported by an earlier run (see the summary for their line numbers and codes)',
        });
        const summary = JSON.parse(resumed.stdout);
        expect(summary).toMatchObject({
          startLine: state.next.rows + 2,
          rows: rows - state.next.rows,
          rejected: 1,
          rejectedEarlier: 1,
          complete: true,
        });
        expect(summary.rejects).toEqual([expect.objectContaining({ line: 11_002 })]);
        expect(summary.skipped).toBe(between.count + 1);
        expect(summary.accepted).toBe(rows - 2 - between.count);
        expect(await sumOf(name)).toEqual({ sum: exactSum(values), count: rows - 2 });

        const human = await cli(['import', csv, '--metric', name, '--batch-size', '100']);
        expect(human.code).toBe(1);
        expect(human.stdout).toBe(
          `interrupted.csv was already imported (12,000 rows, 2 of them rejected; state in ${statePath}): nothing sent. Delete the state file to import it again.\n`,
        );
      });

      it('counts nothing twice when the state file is lost: the server replays committed batches', async () => {
        const name = await metric();
        const lines = ['timestamp,value'];
        for (let i = 0; i < 10_000; i++) lines.push(`${now - (i % 100) * 60_000},1`);
        const csv = file('lost-state.csv', `${lines.join('\n')}\n`);
        expect((await importUntil(csv, name, { batchSize: 100, answers: 20 })).interrupted).toBe(
          true,
        );
        const before = (await sumOf(name)).count;
        expect(before).toBeGreaterThanOrEqual(2000);
        fs.rmSync(`${csv}.measurely-import`);

        const args = ['import', csv, '--metric', name, '--batch-size', '100', '--json', '--quiet'];
        const rerun = await cli(args);
        expect(rerun.code).toBe(0);
        const summary = JSON.parse(rerun.stdout);
        expect(summary).toMatchObject({ rows: 10_000, startLine: 1, complete: true });
        expect(summary.skipped).toBe(before);
        expect(summary.accepted).toBe(10_000 - before);
        expect(await sumOf(name)).toEqual({ sum: '10000', count: 10_000 });
      });

      it('stops when the server refuses a batch whole, and resumes with another key of the project', async () => {
        const name = await metric();
        const key = await createKey(ctx.app, owner, project.id, 'ingest');
        const lines = ['timestamp,value'];
        for (let i = 0; i < 10_000; i++) lines.push(`${now - (i % 100) * 60_000},0.5`);
        const csv = file('revoked.csv', `${lines.join('\n')}\n`);
        const failed = await importUntil(csv, name, {
          batchSize: 100,
          answers: 10,
          apiKey: key.secret,
          // The key is revoked once 10 batches are stored: the next ones are refused.
          atLast: async () => {
            const revoked = await ctx.app.inject({
              method: 'DELETE',
              url: `/api/projects/${project.id}/keys/${key.id}`,
              headers: { cookie: owner.cookie },
            });
            expect(revoked.statusCode, revoked.body).toBeLessThan(300);
          },
        });
        expect(failed.failure).toMatchObject({ code: 'API_KEY_INVALID' });
        expect(failed.complete).toBe(false);
        // The batch in flight with the tenth may have gone through too.
        const stored = (await sumOf(name)).count;
        expect([1000, 1100]).toContain(stored);
        expect(failed.accepted).toBeGreaterThanOrEqual(900);

        const resumed = await cli([
          'import',
          csv,
          '--metric',
          name,
          '--batch-size',
          '100',
          '--parallel',
          '2',
          '--json',
          '--quiet',
        ]);
        expect(resumed.code, resumed.stderr).toBe(0);
        const summary = JSON.parse(resumed.stdout);
        expect(summary.startLine).toBe(failed.accepted + 2);
        expect(summary.skipped).toBe(stored);
        expect(summary.accepted).toBe(10_000 - stored);
        expect(await sumOf(name)).toEqual({ sum: '5000', count: 10_000 });
      });

      it('refuses to resume a state file of another import', async () => {
        const name = await metric();
        const csv = file('reused.csv', `timestamp,value\n${iso(DAY)},1\n`);
        expect((await cli(['import', csv, '--metric', name, '--quiet'])).code).toBe(0);
        const other = await cli(['import', csv, '--metric', name, '--batch-size', '10', '--json']);
        expect(other.code).toBe(2);
        expect(JSON.parse(other.stderr).error.message).toContain('the batch size was 1000');
        fs.appendFileSync(csv, `${iso(DAY)},2\n`);
        const changed = await cli(['import', csv, '--metric', name, '--json']);
        expect(changed.code).toBe(2);
        expect(JSON.parse(changed.stderr).error.message).toContain('the file changed');
        // The same size, the same time: the content still tells.
        const { mtime, size } = fs.statSync(csv);
        fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace(/,2\n$/, ',3\n'));
        fs.utimesSync(csv, mtime, mtime);
        expect(fs.statSync(csv).size).toBe(size);
        const edited = await cli(['import', csv, '--metric', name, '--json']);
        expect(edited.code).toBe(2);
        expect(JSON.parse(edited.stderr).error.message).toContain('the file changed');
        const elsewhere = path.join(dir, 'reused.state');
        expect(
          (await cli(['import', csv, '--metric', name, '--state', elsewhere, '--quiet'])).code,
        ).toBe(0);
        // A fresh state starts over: the whole changed file is imported again.
        expect(await sumOf(name)).toEqual({ sum: '5', count: 3 });
      });

      it('stops at the first batch when the metric does not exist, and the corrected rerun imports', async () => {
        const name = await metric();
        const lines = ['timestamp,value'];
        for (let i = 0; i < 5000; i++) lines.push(`${now - (i % 100) * 60_000},1`);
        const csv = file('misspelt.csv', `${lines.join('\n')}\n`);
        const args = ['import', csv, '--batch-size', '100', '--parallel', '2', '--quiet'];
        const misspelt = await cli([...args, '--metric', `${name}-typo`, '--json']);
        expect(misspelt.code).toBe(1);
        expect(JSON.parse(misspelt.stderr).error).toEqual({
          code: 'METRIC_UNKNOWN',
          message: `no metric "${name}-typo" in the API key's project: every row of the batch from line 2 was refused, so the import stopped with nothing stored. Check --metric, or create the metric (measurely metric create), then run the command again`,
        });
        const summary = JSON.parse(misspelt.stdout);
        expect(summary).toMatchObject({ rows: 0, accepted: 0, rejected: 0, complete: false });
        expect(summary.batches).toBeLessThanOrEqual(2);
        expect(fs.existsSync(`${csv}.measurely-import`)).toBe(false);
        const human = await cli([...args, '--metric', `${name}-typo`]);
        expect(human.stderr).toMatch(/^measurely: METRIC_UNKNOWN: no metric "/);

        const corrected = await cli([...args, '--metric', name, '--json']);
        expect(corrected.code, corrected.stderr).toBe(0);
        expect(JSON.parse(corrected.stdout)).toMatchObject({ rows: 5000, accepted: 5000 });
        expect(await sumOf(name)).toEqual({ sum: '5000', count: 5000 });
      });

      describe('in a real process', () => {
        let held: ReturnType<typeof deferred>;
        let batchesSeen = 0;
        let holdAfter = Number.POSITIVE_INFINITY;
        let proxy: FaultProxy;
        beforeAll(async () => {
          proxy = await startFaultProxy(baseUrl, async (request) => {
            if (request.path === '/event/v1/batch') {
              batchesSeen += 1;
              if (batchesSeen > holdAfter) await held.promise;
            }
            return { kind: 'forward' };
          });
        });
        afterAll(async () => proxy?.close());

        const spawnImport = (
          csv: string,
          name: string,
        ): ChildProcess & { output: () => string[] } => {
          const env: NodeJS.ProcessEnv = {
            ...process.env,
            MEASURELY_URL: proxy.url,
            MEASURELY_API_KEY: project.apiKey,
          };
          delete env.DATABASE_URL;
          const proc = spawn(
            process.execPath,
            [
              '--import',
              TSX_LOADER,
              SERVER_BIN,
              'import',
              csv,
              '--metric',
              name,
              '--batch-size',
              '200',
              '--parallel',
              '2',
              '--quiet',
            ],
            { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let stdout = '';
          let stderr = '';
          proc.stdout?.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
          });
          proc.stderr?.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
          });
          return Object.assign(proc, { output: () => [stdout, stderr] });
        };
        const exitOf = (proc: ChildProcess): Promise<number | null> =>
          new Promise((resolve) => {
            if (proc.exitCode !== null) resolve(proc.exitCode);
            else proc.once('exit', (code) => resolve(code));
          });

        it('stops on Ctrl-C after the batches in flight, saves its state and resumes', async () => {
          const name = await metric();
          const lines = ['timestamp,value'];
          for (let i = 0; i < 10_000; i++) lines.push(`${now - (i % 1000) * 60_000},2`);
          const csv = file('sigint.csv', `${lines.join('\n')}\n`);
          held = deferred();
          batchesSeen = 0;
          holdAfter = 3;
          const proc = spawnImport(csv, name);
          try {
            // Batches 4 and 5 wait at the proxy: the import cannot end before the signal.
            await waitFor(async () => batchesSeen >= 5, 'two batches held', 30_000);
            proc.kill('SIGINT');
            await waitFor(
              async () => (proc.output()[1] ?? '').includes('stopping after the batches in flight'),
              'the message',
            );
            held.resolve();
            expect(await exitOf(proc), proc.output()[1]).toBe(130);
            const [stdout = '', stderr = ''] = proc.output();
            expect(stderr).toContain('run the same command again to resume');
            expect(stdout).toMatch(/^sigint\.csv → /);
          } finally {
            held.resolve();
            if (proc.exitCode === null) proc.kill('SIGKILL');
          }
          const state = JSON.parse(fs.readFileSync(`${csv}.measurely-import`, 'utf8'));
          expect(state.complete).toBe(false);
          // The held batches were let through: they are part of what was acknowledged.
          expect(state.next.rows).toBe(5 * 200);
          expect(await sumOf(name)).toEqual({ sum: '2000', count: 1000 });
          const resumed = await cli([
            'import',
            csv,
            '--metric',
            name,
            '--batch-size',
            '200',
            '--parallel',
            '2',
            '--json',
            '--quiet',
          ]);
          expect(resumed.code).toBe(0);
          expect(JSON.parse(resumed.stdout).startLine).toBe(1002);
          expect(await sumOf(name)).toEqual({ sum: '20000', count: 10_000 });
        }, 90_000);

        it('takes SIGTERM like Ctrl-C, and abandons the batches in flight on the second', async () => {
          const name = await metric();
          const lines = ['timestamp,value'];
          for (let i = 0; i < 5_000; i++) lines.push(`${now - (i % 1000) * 60_000},1`);
          const csv = file('sigterm.csv', `${lines.join('\n')}\n`);
          held = deferred();
          batchesSeen = 0;
          holdAfter = 2;
          const proc = spawnImport(csv, name);
          try {
            await waitFor(async () => batchesSeen >= 4, 'two batches held', 30_000);
            proc.kill('SIGTERM');
            await waitFor(
              async () => (proc.output()[1] ?? '').includes('stopping after the batches in flight'),
              'the first message',
            );
            // The held batches never finish: the second signal gives up on them.
            proc.kill('SIGTERM');
            expect(await exitOf(proc), proc.output()[1]).toBe(130);
            expect(proc.output()[1]).toContain('abandoning the batches in flight');
          } finally {
            held.resolve();
            if (proc.exitCode === null) proc.kill('SIGKILL');
          }
          const state = JSON.parse(fs.readFileSync(`${csv}.measurely-import`, 'utf8'));
          expect(state.next.rows).toBe(400);
          const resumed = await cli([
            'import',
            csv,
            '--metric',
            name,
            '--batch-size',
            '200',
            '--json',
          ]);
          expect(resumed.code, resumed.stderr).toBe(0);
          expect(resumed.stderr).toBe('');
          expect(await sumOf(name)).toEqual({ sum: '5000', count: 5_000 });
        }, 90_000);
      });
    });

    describe('import into a server with small limits', () => {
      let strict: TestContext;
      let strictUrl: string;
      let strictProject: TestProject;
      let strictOwner: Session;
      let clockTicker: NodeJS.Timeout | undefined;
      beforeAll(async () => {
        strict = await createTestApp(dialect, {
          env: { MEASURELY_RATE_LIMIT: '100', MEASURELY_MAX_BATCH_EVENTS: '50' },
        });
        await strict.app.listen({ port: 0, host: '127.0.0.1' });
        const address = strict.app.server.address();
        if (typeof address !== 'object' || address === null) throw new Error('not listening');
        strictUrl = `http://127.0.0.1:${address.port}`;
        strictOwner = await signUp(strict.app);
        strictProject = await createProject(strict.app, strictOwner);
        // The rate limiter reads the test clock: let it follow real time.
        clockTicker = setInterval(() => strict.clock.advance(50), 50);
      });
      afterAll(async () => {
        clearInterval(clockTicker);
        await strict?.close();
      });

      it('says to lower --batch-size when the server takes smaller batches, then waits out its rate limit', async () => {
        const { name } = await createMetric(strict.app, strictOwner, strictProject.id, {
          name: 'strict',
          type: 'basic',
        });
        const at = strict.clock.now();
        const rows = (count: number): string => {
          const lines = ['timestamp,value'];
          for (let i = 0; i < count; i++) lines.push(`${at - (i + 1) * 60_000},1`);
          return `${lines.join('\n')}\n`;
        };
        const options = { key: strictProject.apiKey, url: strictUrl };
        const csv = file('strict.csv', rows(300));
        const refused = await cli(['import', csv, '--metric', name, '--json'], options);
        expect(refused.code).toBe(1);
        const error = JSON.parse(refused.stderr).error;
        expect(error.code).toBe('BATCH_INVALID');
        expect(error.message).toBe(
          'A batch holds 1 to 50 events. The server takes at most 50 events per batch (its MEASURELY_MAX_BATCH_EVENTS): rerun with --batch-size 50.',
        );

        // 100 events/s with a second of burst: of 6 batches of 50 sent 3 at a time, some get 429.
        const human = await cli(
          ['import', csv, '--metric', name, '--batch-size', '50', '--progress-every', '3600'],
          options,
        );
        expect(human.code, human.stderr).toBe(0);
        expect(human.stderr).toMatch(
          /^measurely: rate limited by the server \(This key may send 100 events per second; retry in \d+ s\.\): waiting \d+ s, then going on\./,
        );
        const quiet = file('strict-json.csv', rows(250));
        const json = await cli(
          ['import', quiet, '--metric', name, '--batch-size', '50', '--json'],
          options,
        );
        expect(json.code).toBe(0);
        // With --json, stderr is kept for the error object: no progress, no notes.
        expect(json.stderr).toBe('');
        expect(JSON.parse(json.stdout)).toMatchObject({ accepted: 250, complete: true });
      });
    });

    describe('export', () => {
      let source: string;
      const values: string[] = [];

      beforeAll(async () => {
        source = await metric('dual');
        const lines = ['timestamp,value,country,plan,note'];
        for (let i = 0; i < 3000; i++) {
          const value = `${i % 2 === 0 ? '' : '-'}${(i % 41) + 1}.${String(i % 1000).padStart(3, '0')}`;
          values.push(value);
          // `''=x` is the value `'=x`, which the export must write so that it reads back.
          const note = i % 3 === 0 ? '-minus' : i % 3 === 1 ? '"x, y"' : i % 5 === 2 ? "''=x" : '';
          lines.push(
            `${now - (i % 200) * 3_600_000 - i},${value},${['fr', 'de', ''][i % 3]},p${i % 4},${note}`,
          );
        }
        const csv = file('source.csv', `${lines.join('\n')}\n`);
        expect((await cli(['import', csv, '--metric', source, '--quiet'])).code).toBe(0);
        expect(await sumOf(source)).toEqual({ sum: exactSum(values), count: 3000 });
      });

      const window = () => ['--from', iso(30 * DAY), '--to', iso(-DAY)];

      for (const format of ['csv', 'ndjson'] as const) {
        it(`round-trips through ${format}: export, import into another metric, same totals`, async () => {
          const output = path.join(dir, `export.${format}`);
          const exported = await cli(
            ['export', '--metric', source, ...window(), '--output', output, '--json'],
            { key: readKey },
          );
          expect(exported.stderr).toBe('');
          expect(exported.code).toBe(0);
          expect(JSON.parse(exported.stdout)).toEqual({
            output,
            format,
            events: 3000,
            bytes: fs.statSync(output).size,
          });
          expect(fs.existsSync(`${output}.partial`)).toBe(false);

          const copy = await metric('dual');
          const imported = await cli(['import', output, '--metric', copy, '--json', '--quiet']);
          expect(imported.code, imported.stderr).toBe(0);
          expect(JSON.parse(imported.stdout)).toMatchObject({
            rows: 3000,
            accepted: 3000,
            rejected: 0,
          });
          expect(await sumOf(copy)).toEqual(await sumOf(source));
          for (const filter of ['plan=p1', 'country=fr', 'note=-minus', 'note=x, y', "note='=x"]) {
            const key = filter.slice(0, filter.indexOf('='));
            const value = filter.slice(filter.indexOf('=') + 1);
            const query = new URLSearchParams({
              from: iso(30 * DAY),
              to: iso(-DAY),
              granularity: 'day',
              [`filter[${key}]`]: value,
            });
            const series = async (m: string) =>
              (
                await ctx.app.inject({
                  url: `/api/projects/${project.id}/metrics/${m}/series?${query}`,
                  headers: { authorization: `Bearer ${readKey}` },
                })
              ).json().summary.total;
            const original = await series(source);
            expect(original.count, filter).toBeGreaterThan(0);
            expect(await series(copy), filter).toEqual(original);
          }
        });
      }

      it('streams to stdout, with filters and a preset range', async () => {
        const result = await cli(
          [
            'export',
            '--metric',
            source,
            '--range',
            'last_7_days',
            '--format',
            'ndjson',
            '--filter',
            'plan=p2',
          ],
          { key: readKey },
        );
        expect(result.code).toBe(0);
        expect(result.stderr).toBe('');
        const lines = result.stdout
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line));
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line.filters.plan).toBe('p2');
        const csv = await cli(
          ['export', '--metric', source, ...window(), '--project', project.id],
          {
            key: readKey,
          },
        );
        expect(csv.stdout.split('\r\n')[0]).toBe('timestamp,value,country,note,plan');
        expect(csv.stdout.split('\r\n')).toHaveLength(3002);
      });

      it("exits 1 with the server's code, 2 on bad usage", async () => {
        const ingest = await cli(['export', '--metric', source, ...window(), '--json']);
        expect(ingest.code).toBe(1);
        expect(JSON.parse(ingest.stderr).error.code).toBe('KEY_SCOPE_FORBIDDEN');
        const missing = await cli(['export', '--metric', 'nope', ...window(), '--json'], {
          key: readKey,
        });
        expect(JSON.parse(missing.stderr).error.code).toBe('METRIC_NOT_FOUND');
        const zone = await cli(
          ['export', '--metric', source, '--range', 'today', '--tz', 'Mars/Base', '--json'],
          {
            key: readKey,
          },
        );
        expect(JSON.parse(zone.stderr).error.code).toBe('TIME_ZONE_INVALID');
        const output = path.join(dir, 'never.csv');
        const reversed = await cli(
          [
            'export',
            '--metric',
            source,
            '--from',
            iso(0),
            '--to',
            iso(DAY),
            '--output',
            output,
            '--json',
          ],
          { key: readKey },
        );
        expect(JSON.parse(reversed.stderr).error.code).toBe('RANGE_INVALID');
        expect(fs.existsSync(output) || fs.existsSync(`${output}.partial`)).toBe(false);
        for (const argv of [
          ['export', '--metric', source],
          ['export', '--metric', source, '--range', 'today', '--from', iso(DAY)],
          ['export', '--metric', source, '--range', 'today', '--format', 'xlsx'],
          ['export', ...window()],
        ]) {
          expect((await cli([...argv, '--json'], { key: readKey })).code, argv.join(' ')).toBe(2);
        }
      });

      describe('through a faulty network', () => {
        let proxy: FaultProxy;
        let fault: (request: ProxiedRequest) => ProxyAction = () => ({ kind: 'forward' });
        let exportRequests = 0;
        let keyFault: (request: ProxiedRequest) => ProxyAction = () => ({ kind: 'forward' });
        let keyRequests = 0;
        beforeAll(async () => {
          proxy = await startFaultProxy(baseUrl, (request) => {
            if (request.path === '/api/key') {
              keyRequests += 1;
              return keyFault(request);
            }
            if (!request.path.includes('/events?')) return { kind: 'forward' };
            exportRequests += 1;
            return fault(request);
          });
        });
        afterAll(async () => proxy?.close());
        const exportVia = (output: string, extra: string[] = [], signal?: AbortSignal) =>
          cli(['export', '--metric', source, ...window(), '--output', output, '--json', ...extra], {
            key: readKey,
            url: proxy.url,
            ...(signal === undefined ? {} : { signal }),
          });
        const busy = (retryAfter: string): ProxyAction => ({
          kind: 'reply',
          status: 503,
          headers: { 'content-type': 'application/problem+json', 'retry-after': retryAfter },
          body: JSON.stringify({ code: 'OVERLOADED', detail: 'Too many exports at once.' }),
        });
        const leftBehind = (output: string): boolean =>
          fs.existsSync(output) || fs.existsSync(`${output}.partial`);

        it('retries a busy server after its Retry-After', async () => {
          exportRequests = 0;
          fault = () => (exportRequests === 1 ? busy('1') : { kind: 'forward' });
          const output = path.join(dir, 'export-busy.csv');
          const startedAt = Date.now();
          const result = await exportVia(output);
          expect(result.stderr).toBe('');
          expect(result.code).toBe(0);
          expect(exportRequests).toBe(2);
          expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
          expect(JSON.parse(result.stdout).events).toBe(3000);
        });

        it("retries the lookup of the key's project as the export itself, saying so", async () => {
          keyRequests = 0;
          keyFault = () => (keyRequests <= 3 ? busy('1') : { kind: 'forward' });
          const output = path.join(dir, 'export-key-busy.csv');
          const result = await cli(
            ['export', '--metric', source, ...window(), '--output', output],
            { key: readKey, url: proxy.url },
          );
          expect(result.code, result.stderr).toBe(0);
          expect(keyRequests).toBe(4);
          expect(result.stderr.match(/^measurely: OVERLOADED: retrying in \d+ s$/gm)).toHaveLength(
            3,
          );
          expect(fs.readFileSync(output, 'utf8').split('\r\n')).toHaveLength(3002);

          keyRequests = 0;
          keyFault = () => busy('120');
          const tooBusy = await cli(['export', '--metric', source, ...window(), '--json'], {
            key: readKey,
            url: proxy.url,
          });
          expect(tooBusy.code).toBe(1);
          expect(JSON.parse(tooBusy.stderr).error.code).toBe('OVERLOADED');
          expect(keyRequests).toBe(1);
          keyFault = () => ({ kind: 'forward' });
        });

        it('gives up at once when the server asks to wait more than a minute', async () => {
          exportRequests = 0;
          fault = () => busy('120');
          const output = path.join(dir, 'export-too-busy.csv');
          const result = await exportVia(output);
          expect(result.code).toBe(1);
          expect(JSON.parse(result.stderr).error).toEqual({
            code: 'OVERLOADED',
            message: 'Too many exports at once. (after 1 attempt)',
          });
          expect(exportRequests).toBe(1);
          expect(leftBehind(output)).toBe(false);
        });

        it('leaves no file when the download is cut', async () => {
          fault = () => ({ kind: 'cut', afterBytes: 2000 });
          const output = path.join(dir, 'export-cut.csv');
          const result = await exportVia(output);
          expect(result.code).toBe(1);
          const error = JSON.parse(result.stderr).error;
          expect(error.code).toBe('DOWNLOAD_INCOMPLETE');
          expect(error.message).toMatch(
            /^the export was cut after \d+ bytes \(.+\); no file was written/,
          );
          expect(leftBehind(output)).toBe(false);
        });

        it('gives up on a download that stalls for --timeout seconds', async () => {
          fault = () => ({ kind: 'stall', afterBytes: 2000 });
          const output = path.join(dir, 'export-stalled.csv');
          const result = await exportVia(output, ['--timeout', '1']);
          expect(result.code).toBe(1);
          const error = JSON.parse(result.stderr).error;
          expect(error.code).toBe('DOWNLOAD_INCOMPLETE');
          expect(error.message).toContain('(no data for 1 s)');
          expect(leftBehind(output)).toBe(false);
        });

        it('leaves no file when interrupted', async () => {
          fault = () => ({ kind: 'stall', afterBytes: 2000 });
          const output = path.join(dir, 'export-interrupted.csv');
          const controller = new AbortController();
          const running = exportVia(output, [], controller.signal);
          const partial = `${output}.partial`;
          await waitFor(
            async () => fs.existsSync(partial) && fs.statSync(partial).size > 0,
            'the first bytes',
          );
          controller.abort();
          const result = await running;
          expect(result.code).toBe(130);
          expect(JSON.parse(result.stderr).error.code).toBe('INTERRUPTED');
          expect(leftBehind(output)).toBe(false);
        });

        it('checks the output directory before asking the server', async () => {
          exportRequests = 0;
          const output = path.join(dir, 'no', 'such', 'dir.csv');
          const result = await exportVia(output);
          expect(result.code).toBe(2);
          expect(JSON.parse(result.stderr).error.message).toMatch(
            /^--output: no directory .*no[/\\]such\n/,
          );
          const isDirectory = await exportVia(dir);
          expect(JSON.parse(isDirectory.stderr).error.message).toContain('is a directory');
          expect(exportRequests).toBe(0);
        });
      });
    });
  });
}
