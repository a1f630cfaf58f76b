import fs, { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeasurelyError } from '@measurely/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ImportEvent } from './import-rows.js';
import { type ImportState, StateMismatchError } from './import-state.js';
import {
  type BatchAnswer,
  type BatchSender,
  type ImportResult,
  type ImportRun,
  MetricUnknownError,
  runImport,
} from './importer.js';
import { RejectsFile } from './rejects-file.js';
import type { RetryPolicy } from './retry.js';

const FAST_RETRY: RetryPolicy = {
  maxRetries: 3,
  initialDelayMs: 1,
  maxDelayMs: 5,
  maxRetryAfterMs: 60_000,
};
const EPOCH = 1_795_838_400_000;
const CHUNK_BYTES = 256 * 1024;

interface Call {
  readonly batch: number;
  readonly key: string;
  readonly events: ImportEvent[];
  readonly signal: AbortSignal;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function batchOf(key: string): number {
  return Number(/-(\d+)-\d+$/.exec(key)?.[1]);
}

/**
 * The batch endpoint as the importer sees it: an idempotency record per key (forgotten after
 * 24 hours), each event counted once, and a basic metric's rule (values greater than zero).
 */
class FakeServer {
  readonly records = new Map<string, BatchAnswer>();
  readonly calls: Call[] = [];
  count = 0;
  sum = 0;
  /** The project's metrics (every name exists when undefined). */
  metrics: Set<string> | undefined;
  /** Runs before a call is answered: may wait, or throw to fail the call. */
  before: (call: Call) => Promise<void> | void = () => undefined;

  readonly send: BatchSender = async (events, key, signal) => {
    const call = { batch: batchOf(key), key, events, signal };
    this.calls.push(call);
    await this.before(call);
    const known = this.records.get(key);
    if (known !== undefined) return { ...known, replayed: true };
    const exists = (event: ImportEvent): boolean => this.metrics?.has(event.metric) ?? true;
    const results = events.map((event, index) =>
      !exists(event)
        ? { index, ok: false, code: 'METRIC_UNKNOWN', detail: 'No metric with this id or name.' }
        : event.value > 0
          ? { index, ok: true }
          : { index, ok: false, code: 'VALUE_NOT_POSITIVE', detail: 'Not positive.' },
    );
    for (const event of events) {
      if (event.value <= 0 || !exists(event)) continue;
      this.count += 1;
      this.sum += event.value;
    }
    const accepted = results.filter((r) => r.ok).length;
    const answer = { accepted, rejected: events.length - accepted, results };
    // Like the server: a request that stores nothing leaves no idempotency record.
    if (accepted > 0) this.records.set(key, answer);
    return answer;
  };

  /** A day later: the server has forgotten its idempotency records. */
  forget(): void {
    this.records.clear();
  }

  batchesSent(from = 0): number[] {
    return [...new Set(this.calls.slice(from).map((c) => c.batch))].sort((a, b) => a - b);
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets the reader go as far as it would (it reads a chunk in well under this). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

const silent = () => ({ update: () => undefined, note: () => undefined, stop: () => undefined });

function rateLimited(retryAfterMs: number): MeasurelyError {
  return new MeasurelyError('RATE_LIMITED: slow down', {
    kind: 'http',
    code: 'RATE_LIMITED',
    status: 429,
    retryable: true,
    retryAfterMs,
    problem: { detail: 'This key may send 5 events per second; retry in 120 s.' },
  });
}

const revoked = (): MeasurelyError =>
  new MeasurelyError('API_KEY_INVALID: revoked', {
    kind: 'http',
    code: 'API_KEY_INVALID',
    status: 401,
    problem: { detail: 'This API key is unknown, rotated away or revoked.' },
  });

describe('runImport', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-importer-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A CSV of `rows` data rows; row i (0-based) is on line i + 2 and has value `valueAt(i)`. */
  const csv = (
    name: string,
    rows: number,
    valueAt: (i: number) => string = (i) => String(i + 1),
    { bom = false, pad = 0 } = {},
  ): string => {
    const lines = ['timestamp,value,note'];
    for (let i = 0; i < rows; i++) {
      lines.push(`${EPOCH + i},${valueAt(i)},n${String(i).padStart(pad, '0')}`);
    }
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${bom ? '\uFEFF' : ''}${lines.join('\n')}\n`);
    return file;
  };
  const state = (file: string): ImportState =>
    JSON.parse(fs.readFileSync(`${file}.state`, 'utf8')) as ImportState;
  const run = (
    file: string,
    server: FakeServer,
    overrides: Partial<ImportRun> = {},
  ): Promise<ImportResult> =>
    runImport({
      file,
      format: 'csv',
      metric: 'orders',
      batchSize: 10,
      parallel: 2,
      statePath: `${file}.state`,
      rejectsPath: undefined,
      target: 'project:test',
      keepRejects: 1000,
      send: server.send,
      retry: FAST_RETRY,
      stop: new AbortController().signal,
      cancel: new AbortController().signal,
      progress: silent,
      ...overrides,
    });
  const sumTo = (n: number): number => (n * (n + 1)) / 2;

  it('commits batches answered out of order in line order, rejects included', async () => {
    // Rows 3, 10, 17… are refused by the server, rows 5, 16, 27… by the importer.
    const valueAt = (i: number): string => (i % 11 === 5 ? 'abc' : i % 7 === 3 ? '0' : '1');
    const file = csv('out-of-order.csv', 60, valueAt);
    const rejectsPath = path.join(dir, 'out-of-order.rejects');
    const server = new FakeServer();
    const parked = new Map<number, Deferred>();
    server.before = (call) => {
      const gate = deferred();
      parked.set(call.batch, gate);
      return gate.promise;
    };
    const running = run(file, server, { parallel: 3, rejectsPath });
    for (const window of [
      [0, 1, 2],
      [3, 4, 5],
    ]) {
      await until(() => window.every((b) => parked.has(b)), `batches ${window}`);
      for (const b of [...window].reverse()) parked.get(b)?.resolve();
    }
    const result = await running;

    const expected: Array<[number, string]> = [];
    for (let i = 0; i < 60; i++) {
      if (valueAt(i) === 'abc') expected.push([i + 2, 'VALUE_INVALID']);
      else if (valueAt(i) === '0') expected.push([i + 2, 'VALUE_NOT_POSITIVE']);
    }
    expect(result).toMatchObject({
      complete: true,
      rows: 60,
      accepted: 60 - expected.length,
      rejected: expected.length,
      skipped: 0,
    });
    expect(result.rejects.map((r) => [r.line, r.code])).toEqual(expected);
    const written = fs
      .readFileSync(rejectsPath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { line: number; code: string });
    expect(written.map((r) => [r.line, r.code])).toEqual(expected);
    expect(server.count).toBe(60 - expected.length);
    expect(state(file)).toMatchObject({ complete: true, finished: [], rejected: expected.length });
  });

  it('stops at the first batch refused whole with METRIC_UNKNOWN, leaving no state file when nothing was stored', async () => {
    const file = csv('misspelt.csv', 100);
    const server = new FakeServer();
    server.metrics = new Set(['orders']);
    // Batch 1 is refused first: the failure still names the first batch of the file.
    server.before = (call) => (call.batch === 0 ? settle() : undefined);
    const misspelt = await run(file, server, { metric: 'ordres' });
    expect(misspelt.failure).toBeInstanceOf(MetricUnknownError);
    expect(misspelt.failure).toMatchObject({ metrics: ['ordres'], line: 2 });
    expect(misspelt).toMatchObject({ complete: false, rows: 0, accepted: 0, stateSaved: false });
    expect(server.batchesSent()).toEqual([0, 1]);
    server.before = () => undefined;
    expect(fs.existsSync(`${file}.state`)).toBe(false);

    const corrected = await run(file, server);
    expect(corrected).toMatchObject({ complete: true, rows: 100, accepted: 100, rejected: 0 });
    expect(server.count).toBe(100);
  });

  it('resumes at the batch refused with METRIC_UNKNOWN once the metric exists', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) {
      const metric = i >= 20 && i < 30 ? 'refunds' : 'orders';
      lines.push(JSON.stringify({ metric, timestamp: EPOCH + i, value: 1 }));
    }
    const file = path.join(dir, 'two-metrics.ndjson');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const server = new FakeServer();
    server.metrics = new Set(['orders']);
    const options = { format: 'ndjson', metric: undefined, parallel: 1 } as const;
    const stopped = await run(file, server, options);
    expect(stopped.failure).toMatchObject({ metrics: ['refunds'], line: 21 });
    expect(stopped).toMatchObject({ complete: false, rows: 20, accepted: 20, stateSaved: true });
    expect(server.batchesSent()).toEqual([0, 1, 2]);
    expect(state(file)).toMatchObject({ complete: false, next: { batch: 2, rows: 20 } });

    server.metrics.add('refunds');
    const callsBefore = server.calls.length;
    const resumed = await run(file, server, options);
    expect(server.batchesSent(callsBefore)).toEqual([2, 3, 4, 5]);
    expect(resumed).toMatchObject({ complete: true, rows: 40, accepted: 40, skipped: 20 });
    expect(server.count).toBe(60);
  });

  it('records batches answered past a stalled one, so a resume a day later sends only what is missing', async () => {
    const file = csv('stalled.csv', 100);
    const server = new FakeServer();
    const stalled = deferred();
    server.before = async (call) => {
      if (call.batch !== 0) return;
      await stalled.promise;
      throw revoked();
    };
    const running = run(file, server);
    await until(() => server.batchesSent().includes(3), 'batch 3');
    await settle();
    // Reading stops 2 × parallel batches past the oldest unfinished one.
    expect(server.batchesSent()).toEqual([0, 1, 2, 3]);
    stalled.resolve();
    const failed = await running;
    expect(failed.failure).toBeInstanceOf(MeasurelyError);
    expect((failed.failure as MeasurelyError).code).toBe('API_KEY_INVALID');
    expect(failed).toMatchObject({ complete: false, interrupted: false, rows: 0, accepted: 0 });
    const saved = state(file);
    expect(saved.next).toMatchObject({ batch: 0, rows: 0 });
    expect(saved.finished.map((b) => [b.batch, b.rows, b.accepted])).toEqual([
      [1, 10, 10],
      [2, 10, 10],
      [3, 10, 10],
    ]);

    server.forget();
    server.before = () => undefined;
    const callsBefore = server.calls.length;
    const resumed = await run(file, server);
    expect(server.batchesSent(callsBefore)).toEqual([0, 4, 5, 6, 7, 8, 9]);
    expect(resumed).toMatchObject({ complete: true, rows: 100, accepted: 70, skipped: 30 });
    expect(server.count).toBe(100);
    expect(server.sum).toBe(sumTo(100));
  });

  it('reads at most one chunk past the batches it may hold', async () => {
    const rows = 30_000;
    const file = csv('read-ahead.csv', rows, () => '1', { pad: 80 });
    const lineBytes = (fs.statSync(file).size - 'timestamp,value,note\n'.length) / rows;
    const batchBytes = lineBytes * 1000;
    let bytesRead = 0;
    const read = (name: string, start: number, end: number) =>
      (async function* () {
        for await (const chunk of createReadStream(name, {
          start,
          end,
          highWaterMark: CHUNK_BYTES,
        })) {
          bytesRead += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      })();
    const parallel = 2;

    // Every batch stalls: `parallel` in flight, one more being filled.
    const server = new FakeServer();
    const gate = deferred();
    server.before = () => gate.promise;
    const running = run(file, server, { batchSize: 1000, parallel, read });
    await until(() => server.calls.length === parallel, 'the first batches');
    await settle();
    expect(server.calls).toHaveLength(parallel);
    expect(bytesRead).toBeLessThanOrEqual((parallel + 1) * batchBytes + CHUNK_BYTES);
    gate.resolve();
    expect(await running).toMatchObject({ complete: true, accepted: rows });

    // Only the first stalls: the others are answered, up to 2 × parallel batches past it.
    fs.rmSync(`${file}.state`);
    bytesRead = 0;
    const other = new FakeServer();
    const first = deferred();
    other.before = (call) => (call.batch === 0 ? first.promise : undefined);
    const again = run(file, other, { batchSize: 1000, parallel, read });
    await until(() => other.batchesSent().length === 2 * parallel, 'the batches past it');
    await settle();
    expect(other.batchesSent()).toEqual([0, 1, 2, 3]);
    expect(bytesRead).toBeLessThanOrEqual((2 * parallel + 1) * batchBytes + CHUNK_BYTES);
    expect(bytesRead).toBeLessThan(fs.statSync(file).size / 4);
    first.resolve();
    expect(await again).toMatchObject({ complete: true, accepted: rows });
    expect(other.count).toBe(rows);
  });

  it('resumes from a state that lags behind the server, and cuts the rejects file back to it', async () => {
    const valueAt = (i: number): string => (i % 9 === 4 ? '-1' : String(i + 1));
    const file = csv('lagging.csv', 200, valueAt);
    const rejectsPath = path.join(dir, 'lagging.rejects');
    const server = new FakeServer();
    const stopAt = (batch: number) => {
      const controller = new AbortController();
      server.before = (call) => {
        if (call.batch === batch) controller.abort();
      };
      return controller.signal;
    };
    const first = await run(file, server, { rejectsPath, stop: stopAt(4) });
    expect(first.interrupted).toBe(true);
    const early = fs.readFileSync(`${file}.state`);
    const second = await run(file, server, { rejectsPath, stop: stopAt(12) });
    expect(second.interrupted).toBe(true);
    expect(state(file).next.rows).toBeGreaterThan(JSON.parse(String(early)).next.rows);
    // A hard stop: the state on disk is the early one; the rejects file went further.
    fs.writeFileSync(`${file}.state`, early);
    const earlyState = state(file);
    expect(fs.statSync(rejectsPath).size).toBeGreaterThan(earlyState.rejects?.bytes ?? 0);

    server.before = () => undefined;
    const resumed = await run(file, server, { rejectsPath });
    expect(resumed.complete).toBe(true);
    expect(resumed.startLine).toBe(earlyState.next.line);
    expect(resumed.skipped).toBeGreaterThan(earlyState.next.rows);
    expect(resumed.rejectedEarlier).toBe(earlyState.rejected);
    const positive = [...Array(200).keys()].filter((i) => valueAt(i) !== '-1');
    expect(server.count).toBe(positive.length);
    expect(server.sum).toBe(positive.reduce((sum, i) => sum + i + 1, 0));
    const lines = fs
      .readFileSync(rejectsPath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { line: number }).line);
    const expected = [...Array(200).keys()].filter((i) => valueAt(i) === '-1').map((i) => i + 2);
    expect(lines).toEqual(expected);
  });

  it('carries the rows rejected by earlier runs, through a resume and an "already imported" rerun', async () => {
    const file = csv('earlier.csv', 100, (i) => (i === 2 || i === 95 ? '0' : '1'));
    const rejectsPath = path.join(dir, 'earlier.rejects');
    const server = new FakeServer();
    const stop = new AbortController();
    server.before = (call) => {
      if (call.batch === 5) stop.abort();
    };
    const first = await run(file, server, { rejectsPath, stop: stop.signal });
    expect(first).toMatchObject({ interrupted: true, rejected: 1, rejectedEarlier: 0 });
    server.before = () => undefined;
    const resumed = await run(file, server, { rejectsPath });
    expect(resumed).toMatchObject({
      complete: true,
      rejected: 1,
      rejectedEarlier: 1,
      earlierRejectsFile: rejectsPath,
    });
    expect(resumed.rejects.map((r) => r.line)).toEqual([97]);
    const again = await run(file, server, { rejectsPath });
    expect(again).toMatchObject({ alreadyImported: true, rejected: 0, rejectedEarlier: 2 });
    expect(
      fs
        .readFileSync(rejectsPath, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { line: number }).line),
    ).toEqual([4, 97]);
    expect(server.count).toBe(98);
  });

  it('keeps only the first rejected rows in memory; the rejects file gets them all', async () => {
    const file = csv('many-rejects.csv', 300, (i) => (i % 2 === 0 ? 'x' : '1'));
    const rejectsPath = path.join(dir, 'many.rejects');
    const result = await run(file, new FakeServer(), { keepRejects: 5, rejectsPath });
    expect(result.rejected).toBe(150);
    expect(result.rejects.map((r) => r.line)).toEqual([2, 4, 6, 8, 10]);
    expect(fs.readFileSync(rejectsPath, 'utf8').trimEnd().split('\n')).toHaveLength(150);
  });

  it('on stop, lets the batches in flight finish without retrying them', async () => {
    const file = csv('stop.csv', 100);
    const server = new FakeServer();
    const stop = new AbortController();
    server.before = (call) => {
      if (call.batch !== 3) return;
      stop.abort();
      throw new MeasurelyError('The server could not be reached: reset', {
        kind: 'network',
        code: 'NETWORK_ERROR',
        retryable: true,
      });
    };
    const result = await run(file, server, { stop: stop.signal });
    expect(result).toMatchObject({ interrupted: true, failure: undefined });
    expect(server.calls.filter((c) => c.batch === 3)).toHaveLength(1);
    expect(state(file).next.batch).toBeLessThanOrEqual(3);
    expect(state(file).next.rows).toBe(state(file).next.batch * 10);
  });

  it('on cancel, abandons the batches in flight and saves what was answered', async () => {
    const file = csv('cancel.csv', 100);
    const server = new FakeServer();
    const stop = new AbortController();
    const cancel = new AbortController();
    server.before = async (call) => {
      if (call.batch !== 2) return;
      // As the SDK does: the request ends as soon as its signal fires.
      await new Promise((resolve) => call.signal.addEventListener('abort', resolve));
      throw new MeasurelyError('The request was aborted.', { kind: 'aborted', code: 'ABORTED' });
    };
    const running = run(file, server, { stop: stop.signal, cancel: cancel.signal });
    await until(() => server.batchesSent().includes(5), 'batches past the stuck one');
    await settle();
    expect(server.batchesSent()).toEqual([0, 1, 2, 3, 4, 5]);
    stop.abort();
    cancel.abort();
    const result = await running;
    expect(result).toMatchObject({ interrupted: true, failure: undefined, rows: 20 });
    const saved = state(file);
    expect(saved.next).toMatchObject({ batch: 2, rows: 20 });
    expect(saved.finished.map((b) => b.batch)).toEqual([3, 4, 5]);

    server.before = () => undefined;
    server.forget();
    const resumed = await run(file, server);
    expect(resumed).toMatchObject({ complete: true, rows: 80, accepted: 50, skipped: 50 });
    expect(server.count).toBe(100);
  });

  it('waits out RATE_LIMITED for as long as the server asks, saying so', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const file = csv('rate-limited.csv', 30);
      const server = new FakeServer();
      let refused = 0;
      server.before = (call) => {
        if (call.batch === 1 && refused < 2) {
          refused += 1;
          throw rateLimited(120_000);
        }
      };
      const notes: string[] = [];
      const running = run(file, server, {
        progress: () => ({ ...silent(), note: (text: string) => notes.push(text) }),
      });
      await until(() => refused === 1, 'the first 429');
      expect(notes).toEqual([
        expect.stringContaining(
          'rate limited by the server (This key may send 5 events per second; retry in 120 s.): waiting 120 s, then going on',
        ),
      ]);
      vi.advanceTimersByTime(119_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(refused).toBe(1);
      vi.advanceTimersByTime(2_000);
      await until(() => refused === 2, 'the second 429');
      vi.advanceTimersByTime(121_000);
      const result = await running;
      expect(result).toMatchObject({ complete: true, accepted: 30, failure: undefined });
      // Said once per 30 s at most.
      expect(notes).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after its retries on other passing failures, saying how many attempts it made', async () => {
    const file = csv('down.csv', 20);
    const server = new FakeServer();
    server.before = () => {
      throw new MeasurelyError('The server could not be reached: refused', {
        kind: 'network',
        code: 'NETWORK_ERROR',
        retryable: true,
      });
    };
    const result = await run(file, server, { parallel: 1 });
    expect((result.failure as MeasurelyError).attempts).toBe(FAST_RETRY.maxRetries + 1);
    expect(server.calls).toHaveLength(FAST_RETRY.maxRetries + 1);
  });

  it('reads a field with a stray quote as text, without swallowing the next lines', async () => {
    const file = path.join(dir, 'stray.csv');
    fs.writeFileSync(
      file,
      `timestamp,value,size\n${EPOCH},1,5" wide\n${EPOCH},2,"12"" tall"\n${EPOCH},3,plain\n`,
    );
    const server = new FakeServer();
    const result = await run(file, server);
    expect(result).toMatchObject({ complete: true, rows: 3, accepted: 3, rejected: 0 });
    expect(server.calls[0]?.events.map((e) => e.filters?.size)).toEqual([
      '5" wide',
      '12" tall',
      'plain',
    ]);
  });

  it('resumes a file that starts with a byte order mark, with the right line numbers', async () => {
    const file = csv('bom.csv', 50, (i) => (i === 33 ? '0' : '1'), { bom: true });
    const server = new FakeServer();
    const stop = new AbortController();
    server.before = (call) => {
      if (call.batch === 1) stop.abort();
    };
    const first = await run(file, server, { stop: stop.signal, parallel: 1 });
    expect(first).toMatchObject({ interrupted: true, rows: 20 });
    server.before = () => undefined;
    const resumed = await run(file, server);
    expect(resumed).toMatchObject({ complete: true, startLine: 22, rows: 30, rejected: 1 });
    expect(resumed.rejects).toEqual([expect.objectContaining({ line: 35 })]);
    expect(server.count).toBe(49);
  });

  it('refuses to resume when the file was edited in place, even keeping its size and time', async () => {
    const file = csv('edited.csv', 20_000);
    const server = new FakeServer();
    expect((await run(file, server, { batchSize: 1000 })).complete).toBe(true);
    const { mtime, size } = fs.statSync(file);
    const handle = fs.openSync(file, 'r+');
    const middle = Buffer.alloc(1);
    fs.readSync(handle, middle, 0, 1, Math.floor(size / 2));
    fs.writeSync(handle, middle[0] === 0x31 ? '2' : '1', Math.floor(size / 2));
    fs.closeSync(handle);
    fs.utimesSync(file, mtime, mtime);
    expect(fs.statSync(file).size).toBe(size);
    await expect(run(file, server, { batchSize: 1000 })).rejects.toThrow(StateMismatchError);
    await expect(run(file, server, { batchSize: 1000 })).rejects.toThrow(/the file changed/);
  });

  it('refuses a rejects file that lost rows an earlier run wrote to it', async () => {
    const file = csv('lost-rejects.csv', 40, (i) => (i % 5 === 0 ? '0' : '1'));
    const rejectsPath = path.join(dir, 'lost.rejects');
    const server = new FakeServer();
    const stop = new AbortController();
    server.before = (call) => {
      if (call.batch === 2) stop.abort();
    };
    await run(file, server, { rejectsPath, stop: stop.signal, parallel: 1 });
    expect(state(file).rejects?.bytes).toBeGreaterThan(0);
    fs.truncateSync(rejectsPath, 5);
    await expect(run(file, server, { rejectsPath })).rejects.toThrow(/is shorter/);
    fs.rmSync(rejectsPath);
    await expect(run(file, server, { rejectsPath })).rejects.toThrow(/is missing/);
    const elsewhere = path.join(dir, 'lost-2.rejects');
    expect(await run(file, server, { rejectsPath: elsewhere })).toMatchObject({
      complete: true,
      rejectedEarlier: 6,
      earlierRejectsFile: rejectsPath,
      rejected: 2,
    });
    // The other file lists only the last run's rejects: no file has them all.
    expect(await run(file, server, { rejectsPath: elsewhere })).toMatchObject({
      alreadyImported: true,
      rejectedEarlier: 8,
      earlierRejectsFile: null,
    });
  });
});

describe('RejectsFile', () => {
  it('makes the writer wait while more than 1 MiB waits to be written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-rejects-'));
    try {
      const file = await RejectsFile.open(path.join(dir, 'r.ndjson'));
      const detail = 'x'.repeat(1000);
      const many = Array.from({ length: 3000 }, (_, i) => ({ line: i, code: 'C', detail }));
      file.write(many);
      let ready = false;
      const waiting = file.ready().then(() => {
        ready = true;
      });
      await Promise.resolve();
      expect(ready).toBe(false);
      await waiting;
      expect(fs.statSync(path.join(dir, 'r.ndjson')).size).toBe(file.bytes);
      await file.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
