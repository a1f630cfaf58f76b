import { type ChildProcess, execFile, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

export const ROOT = new URL('../', import.meta.url).pathname;
const BIN = `${ROOT}apps/server/bin/measurely.js`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Runs a CLI command of the built server and returns its parsed --json output. */
export async function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
): Promise<Record<string, unknown>> {
  const child = execFile(process.execPath, [BIN, ...args, '--json'], { env });
  if (stdin !== undefined) child.stdin?.end(stdin);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`measurely ${args.join(' ')} failed: ${err}`);
  return JSON.parse(out);
}

async function waitFor(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

export interface Server {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startMeasurely(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`);
  return { url, process: child, stop: () => stop(child) };
}

/** Starts one of the reference servers of bench/: baseline.mjs or fastify-floor.mjs. */
export async function startReference(script: string): Promise<Server> {
  const port = await freePort();
  const child = fork(`${ROOT}bench/${script}`, {
    cwd: ROOT,
    env: { PORT: String(port) },
    stdio: 'ignore',
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bench/${script} exited with code ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, process: child, stop: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A commit's write-ahead log frames: about five pages of 4 kB and their headers. */
const SYNC_PROBE_BYTES = 20_480;
/** The probe's file: its writes land inside it, as a warm log's do (no sync extends a file). */
const SYNC_PROBE_FILE_BYTES = 1_048_576;

/**
 * How long the disk under `dir` takes to sync what one group commit writes: the median, in µs, of
 * `count` fdatasyncs each after a 20 kB write at the next place in a scratch file. The host's disk
 * speed drifts on a shared machine (between runs minutes apart by up to three times here), and
 * every single-event commit waits for one sync: recorded next to each run's ratio.
 */
export function diskSyncMicros(dir: string, count = 100): number {
  const file = path.join(dir, 'sync-probe');
  const fd = fs.openSync(file, 'w+');
  try {
    fs.writeSync(fd, Buffer.alloc(SYNC_PROBE_FILE_BYTES));
    fs.fsyncSync(fd);
    const chunk = Buffer.alloc(SYNC_PROBE_BYTES, 1);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const offset = (i * SYNC_PROBE_BYTES) % (SYNC_PROBE_FILE_BYTES - SYNC_PROBE_BYTES);
      fs.writeSync(fd, chunk, 0, chunk.length, offset);
      const started = performance.now();
      fs.fdatasyncSync(fd);
      times.push((performance.now() - started) * 1_000);
    }
    return Math.round(median(times));
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

/** Peak resident set size of a process so far, in MB (Linux). */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export interface LoadResult {
  readonly requestsPerSec: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export async function load(options: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** Fixed total request rate (requests/s) instead of as fast as possible. */
  rate?: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    body: options.body,
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
  });
  const ok = result['2xx'];
  return {
    requestsPerSec: Math.round(ok / options.seconds),
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/**
 * One measurement made of several loads of the same length (slices interleaved with another
 * server's): requests per second over all of them, counts summed, the slices' median p50 and
 * their worst p99.
 */
export function combineLoads(slices: readonly LoadResult[]): LoadResult {
  const ok = slices.reduce((n, r) => n + r.ok, 0);
  return {
    requestsPerSec:
      slices.length === 0
        ? 0
        : Math.round(slices.reduce((n, r) => n + r.requestsPerSec, 0) / slices.length),
    ok,
    non2xx: slices.reduce((n, r) => n + r.non2xx, 0),
    errors: slices.reduce((n, r) => n + r.errors, 0),
    p50Ms: median(slices.map((r) => r.p50Ms)),
    p99Ms: Math.max(0, ...slices.map((r) => r.p99Ms)),
  };
}

export const execFileAsync = promisify(execFile);
