import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createMetric, createProject, signUp } from '../test/factories.js';
import { createTestApp, DIALECTS, type TestContext, type TestDialect } from '../test/harness.js';
import { runCli } from './main.js';

/**
 * The million rows test volume (streaming, batching, exact totals at scale), not SQL: they run on
 * SQLite, the default. PostgreSQL takes a smaller file through the same client and server path.
 */
const ROWS: Record<TestDialect, number> = { sqlite: 1_000_000, postgres: 200_000 };
const DAY = 86_400_000;

/**
 * Writes `rows` rows in time order over the ten days before `now`, a stream at a time (never the
 * whole file in memory), and returns the exact total of the values in millionths.
 */
async function writeCsv(file: string, now: number, rows: number): Promise<bigint> {
  const out = fs.createWriteStream(file);
  out.write('timestamp,value,plan\n');
  const start = now - 10 * DAY;
  let micros = 0n;
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const cents = (i % 10_000) + 1;
    micros += BigInt(cents) * 10_000n;
    const value = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    chunk += `${start + Math.floor((i * 10 * DAY) / rows)},${value},${i % 3 === 0 ? '' : i % 3 === 1 ? 'free' : 'pro'}\n`;
    if (chunk.length > 256 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
  return micros;
}

function decimal(micros: bigint): string {
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${micros / 1_000_000n}${fraction === '' ? '' : `.${fraction}`}`;
}

for (const dialect of DIALECTS) {
  const rows = ROWS[dialect];
  describe(`cli import of a ${rows.toLocaleString('en-US')}-row CSV [${dialect}]`, () => {
    let ctx: TestContext;
    let dir: string;

    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_RATE_LIMIT: '100000000' } });
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-million-'));
    });
    afterAll(async () => {
      await ctx?.close();
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('streams it in batches with progress lines, and the totals are exact', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const readKey = (await createKey(ctx.app, owner, project.id, 'read')).secret;
      const { name } = await createMetric(ctx.app, owner, project.id, {
        name: 'orders',
        type: 'basic',
      });
      const now = ctx.clock.now();
      const file = path.join(dir, 'orders.csv');
      const expected = await writeCsv(file, now, rows);
      const address = ctx.app.server.address();
      if (typeof address !== 'object' || address === null) throw new Error('not listening');

      const io = {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: {
          MEASURELY_URL: `http://127.0.0.1:${address.port}`,
          MEASURELY_API_KEY: project.apiKey,
        },
        cwd: dir,
      };
      const stdout = text(io.stdout);
      const stderr = text(io.stderr);
      io.stdin.end();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const sampler = setInterval(() => {
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }, 100);
      const startedAt = Date.now();
      const code = await runCli(
        ['import', 'orders.csv', '--metric', name, '--json', '--progress-every', '1'],
        io,
      );
      const seconds = (Date.now() - startedAt) / 1000;
      clearInterval(sampler);
      io.stdout.end();
      io.stderr.end();
      const progress = await stderr;
      expect(code, progress).toBe(0);
      const summary = JSON.parse(await stdout);
      expect(summary).toMatchObject({
        rows,
        accepted: rows,
        rejected: 0,
        skipped: 0,
        batches: rows / 1000,
        complete: true,
        rejects: [],
      });
      // Plain progress lines (stderr is not a terminal), then nothing else.
      const lines = progress.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(
          /^importing orders\.csv: [\d,]+ rows · [\d,]+ rows\/s · \d+\.\d%( · ETA \d+:\d\d)?$/,
        );
      }

      const query = new URLSearchParams({
        from: new Date(now - 11 * DAY).toISOString(),
        to: new Date(now + DAY).toISOString(),
        granularity: 'day',
      });
      const series = await ctx.app.inject({
        url: `/api/projects/${project.id}/metrics/${name}/series?${query}`,
        headers: { authorization: `Bearer ${readKey}` },
      });
      expect(series.json().summary.total).toMatchObject({
        count: rows,
        exact: { sum: decimal(expected) },
      });
      const pro = await ctx.app.inject({
        url: `/api/projects/${project.id}/metrics/${name}/series?${query}&filter[plan]=pro`,
        headers: { authorization: `Bearer ${readKey}` },
      });
      expect(pro.json().summary.total.count).toBe(Math.floor(rows / 3));

      const size = fs.statSync(file).size;
      console.info(
        `[${dialect}] imported ${rows.toLocaleString('en-US')} rows (${(size / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s: ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s; heap grew by at most ${Math.round((heapPeak - heapBefore) / 1e6)} MB (client and server in one process)`,
      );
    }, 300_000);
  });
}
