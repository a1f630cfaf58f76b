import { createWriteStream, constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  type Command,
  CommandFailed,
  EXIT,
  optionalString,
  requireString,
  UsageError,
} from '../command.js';
import { parseFilterArgs } from '../remote/event-fields.js';
import { watchInterruptions } from '../remote/interruption.js';
import {
  REMOTE_OPTIONS,
  REMOTE_USAGE,
  type Remote,
  remoteClient,
  remoteFailure,
  resolveRemote,
} from '../remote/remote-client.js';
import {
  DEFAULT_RETRY,
  parseRetryAfter,
  pause,
  type RetryPolicy,
  retryDelay,
  retrying,
} from '../remote/retry.js';

const LF = 0x0a;
const DEFAULT_TIMEOUT_SECONDS = 60;
/** Before the first byte only: a body cut half-way is not resumed. */
const EXPORT_RETRY: RetryPolicy = { ...DEFAULT_RETRY, maxRetries: 5 };

/** Counts line ends as the body passes through: one per event, plus the header in CSV. */
class LineCounter extends Transform {
  lines = 0;
  bytes = 0;
  /** Called on every chunk (restarts the idle timeout). */
  onChunk: () => void = () => undefined;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.onChunk();
    this.bytes += chunk.length;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) this.lines += 1;
    this.push(chunk);
    done();
  }
}

function formatOf(given: string | undefined, output: string | undefined): 'csv' | 'ndjson' {
  if (given !== undefined) {
    if (given !== 'csv' && given !== 'ndjson') throw new UsageError('--format is csv or ndjson');
    return given;
  }
  const extension = output === undefined ? '' : path.extname(output).toLowerCase();
  return extension === '.ndjson' || extension === '.jsonl' ? 'ndjson' : 'csv';
}

/** The key's own project (`GET /api/key`), retried as the export itself is. */
async function projectOf(
  remote: Remote,
  timeoutMs: number,
  stop: AbortSignal,
  say: ((text: string) => void) | undefined,
): Promise<string> {
  const client = remoteClient(remote, { timeoutMs, maxRetries: 0 });
  try {
    const identity = await retrying(
      (signal) => client.identify({ signal }),
      EXPORT_RETRY,
      stop,
      say,
    );
    return identity.projectId;
  } catch (error) {
    if (stop.aborted) throw interrupted('; nothing was downloaded');
    const failure = remoteFailure(error, remote);
    if (failure.code === 'ROUTE_NOT_FOUND') {
      throw new UsageError('this server cannot tell the project of an API key: pass --project ID');
    }
    throw failure;
  }
}

async function problemOf(response: Response): Promise<{ code: string; detail: string }> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { code?: unknown; detail?: unknown };
    if (typeof problem.code === 'string') {
      return {
        code: problem.code,
        detail: typeof problem.detail === 'string' ? problem.detail : text,
      };
    }
  } catch {
    // Not a problem document: a proxy's error page, say.
  }
  return { code: `HTTP_${response.status}`, detail: `The server answered ${response.status}.` };
}

/** Failed before the body started, for a passing reason: worth another attempt. */
class Retryable extends Error {
  override name = 'Retryable';
  constructor(
    readonly failure: CommandFailed,
    readonly retryAfterMs?: number,
  ) {
    super(failure.message);
  }
}

/** A response whose body is still to read; Ctrl-C, or no byte for the timeout, aborts it. */
interface Download {
  readonly response: Response & { body: NonNullable<Response['body']> };
  /** Restarts the timeout: called on every piece of the body. */
  idle(): void;
  readonly timedOut: () => boolean;
  /** Stops the timer and the Ctrl-C watch once the body is read. */
  release(): void;
}

/** One attempt: the response once its headers came, with the body still to read. */
async function attempt(
  url: string,
  remote: Remote,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<Download> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const idle = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  const onStop = (): void => controller.abort();
  stop.addEventListener('abort', onStop, { once: true });
  const release = (): void => {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  };
  idle();
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${remote.apiKey}` },
        signal: controller.signal,
      });
    } catch (error) {
      if (stop.aborted) throw error;
      const cause =
        error instanceof Error && error.cause instanceof Error
          ? error.cause.message
          : String(error);
      throw new Retryable(
        timedOut
          ? new CommandFailed(
              'TIMEOUT',
              `${remote.baseUrl}: the server did not answer within ${timeoutMs / 1000} s (--timeout)`,
            )
          : new CommandFailed(
              'NETWORK_ERROR',
              `${remote.baseUrl}: the server could not be reached (${cause}); set MEASURELY_URL or --url`,
            ),
      );
    }
    if (response.ok && response.body !== null) {
      return {
        response: response as Download['response'],
        idle,
        timedOut: () => timedOut,
        release,
      };
    }
    const { code, detail } = await problemOf(response);
    const failure = new CommandFailed(code, detail);
    if (response.status === 429 || response.status >= 500) {
      throw new Retryable(failure, parseRetryAfter(response.headers.get('retry-after')));
    }
    throw failure;
  } catch (error) {
    release();
    throw error;
  }
}

/** Retries before the first byte: network errors, timeouts, 429 and 5xx (`Retry-After` honoured). */
async function openDownload(
  url: string,
  remote: Remote,
  timeoutMs: number,
  stop: AbortSignal,
  say: ((text: string) => void) | undefined,
): Promise<Download> {
  for (let tries = 1; ; tries++) {
    let retryable: Retryable;
    try {
      return await attempt(url, remote, timeoutMs, stop);
    } catch (error) {
      if (stop.aborted) throw interrupted('; nothing was downloaded');
      if (!(error instanceof Retryable)) throw error;
      retryable = error;
    }
    const { failure, retryAfterMs } = retryable;
    if (
      tries > EXPORT_RETRY.maxRetries ||
      (retryAfterMs !== undefined && retryAfterMs > EXPORT_RETRY.maxRetryAfterMs)
    ) {
      throw new CommandFailed(
        failure.code,
        `${failure.message} (after ${tries} attempt${tries === 1 ? '' : 's'})`,
      );
    }
    const wait = retryDelay(tries, retryAfterMs, EXPORT_RETRY);
    say?.(`measurely: ${failure.code}: retrying in ${Math.ceil(wait / 1000)} s\n`);
    if (!(await pause(wait, stop))) throw interrupted('; nothing was downloaded');
  }
}

function interrupted(what: string): CommandFailed {
  return new CommandFailed('INTERRUPTED', `interrupted${what}`, EXIT.interrupted);
}

/** Where the download goes: a file in a directory that exists and can be written. */
async function checkOutput(output: string): Promise<void> {
  const directory = path.dirname(output);
  if (!(await fs.stat(directory).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`--output: no directory ${directory}`);
  }
  try {
    await fs.access(directory, fsConstants.W_OK);
  } catch {
    throw new UsageError(`--output: cannot write in ${directory}`);
  }
  if ((await fs.stat(output).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`--output: ${output} is a directory`);
  }
}

export const exportEvents: Command = {
  name: 'export',
  summary: "Download a metric's raw events as CSV or NDJSON from a running server (read key)",
  usage: `measurely export --metric M (--from T [--to T] | --range PRESET) [--format csv|ndjson] [--tz ZONE] [--filter key=value]… [--output FILE] [--project ID] [--timeout SECONDS] ${REMOTE_USAGE}`,
  options: {
    ...REMOTE_OPTIONS,
    metric: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    range: { type: 'string' },
    tz: { type: 'string' },
    format: { type: 'string' },
    filter: { type: 'string', multiple: true },
    output: { type: 'string' },
    project: { type: 'string' },
    timeout: { type: 'string' },
  },
  async run({ io, values }) {
    const metric = requireString(values, 'metric');
    const range = optionalString(values, 'range');
    const from = optionalString(values, 'from');
    if ((range === undefined) === (from === undefined)) {
      throw new UsageError('give either --from (with an optional --to) or --range');
    }
    if (range !== undefined && optionalString(values, 'to') !== undefined) {
      throw new UsageError('--to goes with --from, not with --range');
    }
    const outputOption = optionalString(values, 'output');
    const output = outputOption === undefined ? undefined : path.resolve(io.cwd, outputOption);
    const format = formatOf(optionalString(values, 'format'), output);
    const timeoutText = optionalString(values, 'timeout') ?? String(DEFAULT_TIMEOUT_SECONDS);
    const timeoutSeconds = Number(timeoutText);
    if (!/^\d+$/.test(timeoutText) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new UsageError('--timeout takes a whole number of seconds from 1 to 3600');
    }
    const params = new URLSearchParams();
    for (const name of ['from', 'to', 'range', 'tz']) {
      const value = optionalString(values, name);
      if (value !== undefined) params.set(name, value);
    }
    params.set('format', format);
    for (const [key, value] of Object.entries(parseFilterArgs(values.filter))) {
      params.set(`filter[${key}]`, value);
    }
    if (output !== undefined) await checkOutput(output);

    const remote = resolveRemote(io.env, values);
    const json = values.json === true;
    const tty = (io.stderr as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
    const say = json && !tty ? undefined : (text: string) => io.stderr.write(text);
    const { stop, dispose } = watchInterruptions(
      io,
      { stop: 'measurely: stopping the export (Ctrl-C again to quit at once)' },
      say,
    );
    const partial = output === undefined ? undefined : `${output}.partial`;
    const counter = new LineCounter();
    try {
      const projectId =
        optionalString(values, 'project') ??
        (await projectOf(remote, timeoutSeconds * 1000, stop, say));
      const url = `${remote.baseUrl}/api/projects/${encodeURIComponent(projectId)}/metrics/${encodeURIComponent(metric)}/events?${params}`;
      const download = await openDownload(url, remote, timeoutSeconds * 1000, stop, say);
      counter.onChunk = download.idle;
      try {
        const body = Readable.fromWeb(download.response.body as WebReadableStream<Uint8Array>);
        if (partial === undefined) {
          await pipeline(body, counter, io.stdout as Writable, { end: false });
        } else {
          await pipeline(body, counter, createWriteStream(partial));
        }
      } catch (error) {
        const lost =
          partial === undefined ? 'the output is incomplete' : `no file was written (${output})`;
        if (stop.aborted) throw interrupted(` after ${counter.bytes} bytes; ${lost}`);
        const reason = download.timedOut()
          ? `no data for ${timeoutSeconds} s`
          : error instanceof Error
            ? error.message
            : String(error);
        throw new CommandFailed(
          'DOWNLOAD_INCOMPLETE',
          `the export was cut after ${counter.bytes} bytes (${reason}); ${lost}: run it again`,
        );
      } finally {
        download.release();
      }
      if (output === undefined || partial === undefined) return undefined;
      // Only a complete download takes the requested name.
      await fs.rename(partial, output);
    } catch (error) {
      if (partial !== undefined) await fs.rm(partial, { force: true });
      throw error;
    } finally {
      dispose();
    }
    const events = format === 'csv' ? Math.max(0, counter.lines - 1) : counter.lines;
    return { output, format, events, bytes: counter.bytes };
  },
};
