import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { MeasurelyError } from '@measurely/sdk';
import {
  csvRowParser,
  type ImportEvent,
  ImportFileError,
  type ImportFormat,
  ndjsonRowParser,
  type RowParser,
} from './import-rows.js';
import {
  batchKeyPrefix,
  checkState,
  type FinishedBatch,
  fileIdentity,
  type ImportCheckpoint,
  type ImportPlan,
  type ImportState,
  loadState,
  type RowReject,
  saveState,
} from './import-state.js';
import type { ProgressSnapshot } from './progress.js';
import { type RawRecord, readRecords } from './record-reader.js';
import { RejectsFile } from './rejects-file.js';
import { afterAttempts, DEFAULT_RETRY, pause, type RetryPolicy, retryDelay } from './retry.js';

export type { RowReject } from './import-state.js';

/** The server's answer to one batch request (the SDK's `captureBatch`). */
export interface BatchAnswer {
  readonly accepted: number;
  readonly rejected: number;
  readonly results: ReadonlyArray<{ index: number; ok: boolean; code?: string; detail?: string }>;
  /** The server had already committed this request (same Idempotency-Key): nothing counted again. */
  readonly replayed?: boolean;
}

/**
 * Sends one batch request, once: the importer retries. Rejects with a `MeasurelyError` (the SDK's)
 * whose `retryable` and `retryAfterMs` say whether and when to try again.
 */
export type BatchSender = (
  events: ImportEvent[],
  idempotencyKey: string,
  signal: AbortSignal,
) => Promise<BatchAnswer>;

export interface ImportRun {
  readonly file: string;
  readonly format: ImportFormat;
  /** Required for CSV; for NDJSON, the metric of lines without their own. */
  readonly metric: string | undefined;
  /** Data rows per batch; the same on every run of an import, so its batches (and keys) match. */
  readonly batchSize: number;
  /** Batches sent at once. */
  readonly parallel: number;
  readonly statePath: string;
  /** Every rejected row, one JSON object per line, in line order. */
  readonly rejectsPath: string | undefined;
  /** Which server and project the rows go to, so a state file is never resumed elsewhere. */
  readonly target: string;
  /** How many rejected rows to keep for the summary (all of them go to `rejectsPath`). */
  readonly keepRejects: number;
  readonly send: BatchSender;
  readonly retry?: RetryPolicy;
  /** Stops reading and retrying; the batches in flight are waited for and the state saved. */
  readonly stop: AbortSignal;
  /** Abandons the batches in flight at once (their requests are aborted); the state is saved. */
  readonly cancel: AbortSignal;
  readonly progress: (start: { totalBytes: number; startOffset: number }) => {
    update(snapshot: ProgressSnapshot): void;
    note(text: string): void;
    stop(): void;
  };
  /** Reads the file's bytes from `start` to `end` inclusive (a file stream unless given). */
  readonly read?: (file: string, start: number, end: number) => AsyncIterable<Buffer>;
}

export interface ImportResult {
  readonly file: string;
  readonly format: ImportFormat;
  readonly metric: string | null;
  /** Data rows this run got an answer for: accepted, rejected, or found already imported. */
  readonly rows: number;
  readonly accepted: number;
  /** Rows rejected in this run's part of the file (`rejects` lists the first of them). */
  readonly rejected: number;
  /** Rows rejected in the part of the file earlier runs reported. */
  readonly rejectedEarlier: number;
  /** Where earlier runs wrote their rejected rows, if they did. */
  readonly earlierRejectsFile: string | null;
  /** Rows imported by an earlier run: not read again (state file) or not counted again (server). */
  readonly skipped: number;
  readonly batches: number;
  readonly elapsedMs: number;
  readonly rowsPerSecond: number;
  /** Every row of the file was acknowledged. */
  readonly complete: boolean;
  readonly interrupted: boolean;
  /** A previous run had imported the whole file: nothing was read or sent. */
  readonly alreadyImported: boolean;
  /** What stopped the import (a batch the server refused whole, or the network), if anything. */
  readonly failure: unknown;
  /** The line this run started reading at (1 unless resumed). */
  readonly startLine: number;
  readonly rejects: readonly RowReject[];
  readonly stateFile: string;
  /** Whether the state file holds this import (false when nothing was worth resuming). */
  readonly stateSaved: boolean;
}

/** Requests stay well under the server's default 1 MiB body limit, whatever the filters. */
const MAX_REQUEST_BYTES = 512 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
const SAVE_EVERY_MS = 1000;
/** A wait for the rate limit is told at most this often. */
const NOTE_EVERY_MS = 30_000;

interface Batch {
  readonly index: number;
  rows: number;
  readonly events: ImportEvent[];
  readonly lines: number[];
  readonly rejects: RowReject[];
  end: number;
  nextLine: number;
}

/** A batch the server answered (or an earlier run had), waiting for its turn to be committed. */
interface Done {
  readonly index: number;
  readonly rows: number;
  readonly end: number;
  readonly nextLine: number;
  /** Counted by this run's requests. */
  accepted: number;
  /** Stored earlier: replayed by the server, or recorded as finished in the state file. */
  replayed: number;
  readonly rejects: RowReject[];
}

/**
 * The server refused every row of a batch with METRIC_UNKNOWN: its metric does not exist (a
 * misspelt --metric, say), so the rest of the file would be refused too. Nothing of it was stored.
 */
export class MetricUnknownError extends Error {
  override name = 'MetricUnknownError';
  constructor(
    /** The metrics the batch named. */
    readonly metrics: readonly string[],
    /** The line of the batch's first row. */
    readonly line: number,
  ) {
    super(`no metric ${metrics.map((m) => `"${m}"`).join(', ')} in the API key's project`);
  }
}

/** A batch left unfinished because the import was stopped: not a failure. */
class Abandoned extends Error {
  override name = 'Abandoned';
}

function estimateBytes(event: ImportEvent): number {
  let bytes = 80 + Buffer.byteLength(JSON.stringify(event.metric));
  if (typeof event.timestamp === 'string') bytes += event.timestamp.length;
  if (event.filters !== undefined) bytes += Buffer.byteLength(JSON.stringify(event.filters));
  return bytes;
}

/** The batch's events in requests of at most MAX_REQUEST_BYTES: the same split on every run. */
function requestParts(events: readonly ImportEvent[]): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  events.forEach((event, i) => {
    const size = estimateBytes(event);
    if (i > start && bytes + size > MAX_REQUEST_BYTES) {
      parts.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  });
  if (start < events.length) parts.push([start, events.length]);
  return parts;
}

function readFile(file: string, start: number, end: number): AsyncIterable<Buffer> {
  if (end < start) return (async function* () {})();
  return createReadStream(file, { start, end, highWaterMark: READ_CHUNK_BYTES });
}

async function readHeader(file: string): Promise<RawRecord> {
  const options = { quotes: true, start: { offset: 0, line: 1 }, maxRecordBytes: MAX_RECORD_BYTES };
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  for await (const records of readRecords(stream, options)) {
    const header = records.find((r) => r.text.trim() !== '');
    if (header !== undefined) return header;
  }
  throw new ImportFileError('the file has no header row');
}

/** `key:<hash>` of an API key, when the server cannot say which project the key belongs to. */
export function keyFingerprint(apiKey: string): string {
  return `key:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}

/**
 * Streams a CSV or NDJSON file to the batch endpoint, `parallel` batches in flight. Resumable:
 * batch N always holds data rows N×size to (N+1)×size−1 and is sent with a key derived from the
 * file and N; the state file records the batches acknowledged in order (the checkpoint) and those
 * answered past it, so a rerun sends neither again.
 */
export async function runImport(run: ImportRun): Promise<ImportResult> {
  const startedAt = Date.now();
  const retry = run.retry ?? DEFAULT_RETRY;
  const { identity, size } = await fileIdentity(run.file);
  const plan: ImportPlan = {
    identity,
    metric: run.metric ?? null,
    format: run.format,
    batchSize: run.batchSize,
    target: run.target,
  };
  const saved = await loadState(run.statePath);
  // A run that had nothing answered (refused at once, say) leaves nothing to resume.
  const previous: ImportState | undefined =
    saved !== undefined && (saved.next.rows > 0 || saved.finished.length > 0 || saved.complete)
      ? saved
      : undefined;
  if (previous !== undefined) checkState(previous, plan, run.statePath);
  const start: ImportCheckpoint = previous?.next ?? { batch: 0, rows: 0, offset: 0, line: 1 };
  const finishedBefore = new Map<number, FinishedBatch>(
    (previous?.finished ?? []).map((batch) => [batch.batch, batch]),
  );
  let checkpoint = start;
  let totalAccepted = previous?.accepted ?? 0;
  let totalRejected = previous?.rejected ?? 0;

  /** Data rows read, acknowledged or not. */
  let rowsRead = 0;
  let accepted = 0;
  let rejected = 0;
  let replayed = 0;
  let batches = 0;
  const rejects: RowReject[] = [];
  const result = (
    complete: boolean,
    failure: unknown,
    { alreadyImported = false, stateSaved = true } = {},
  ): ImportResult => {
    const elapsedMs = Date.now() - startedAt;
    const rows = checkpoint.rows - start.rows;
    return {
      file: run.file,
      format: run.format,
      metric: run.metric ?? null,
      rows,
      accepted,
      rejected,
      rejectedEarlier: previous?.rejected ?? 0,
      earlierRejectsFile: previous?.rejects?.fromStart === true ? previous.rejects.file : null,
      skipped: start.rows + replayed,
      batches,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? Math.round((rows / elapsedMs) * 1000) : 0,
      complete,
      interrupted: !complete && failure === undefined,
      alreadyImported,
      failure,
      startLine: start.line,
      rejects,
      stateFile: run.statePath,
      stateSaved,
    };
  };
  if (previous?.complete === true) return result(true, undefined, { alreadyImported: true });

  let parser: RowParser | undefined;
  if (run.format === 'ndjson') parser = ndjsonRowParser(run.metric);
  else if (start.offset > 0) {
    const header = await readHeader(run.file);
    parser = csvRowParser(header.text, run.metric ?? '', header.line);
  }

  const keyPrefix = batchKeyPrefix(plan);
  const sameRejectsFile =
    run.rejectsPath !== undefined && previous?.rejects?.file === run.rejectsPath;
  const rejectsFromStart =
    (previous?.rejected ?? 0) === 0 || (sameRejectsFile && previous?.rejects?.fromStart === true);
  const rejectsFile =
    run.rejectsPath === undefined
      ? undefined
      : await RejectsFile.open(
          run.rejectsPath,
          sameRejectsFile ? (previous?.rejects?.bytes ?? 0) : undefined,
        );
  const progress = run.progress({ totalBytes: size, startOffset: start.offset });

  const completed = new Map<number, Done>();
  let nextToCommit = start.batch;
  let saving: Promise<void> = Promise.resolve();
  let dirty = false;
  const save = (complete: boolean): Promise<void> => {
    dirty = false;
    const finished: FinishedBatch[] = [...completed.values()]
      .sort((a, b) => a.index - b.index)
      .map((done) => ({
        batch: done.index,
        rows: done.rows,
        accepted: done.accepted + done.replayed,
        rejects: done.rejects,
      }));
    const snapshot = {
      ...plan,
      file: run.file,
      next: checkpoint,
      finished,
      accepted: totalAccepted,
      rejected: totalRejected,
      rejects:
        rejectsFile === undefined
          ? (previous?.rejects ?? null)
          : { file: rejectsFile.path, bytes: rejectsFile.bytes, fromStart: rejectsFromStart },
      complete,
    };
    // The rejected rows the state counts are on disk before it is. A failed periodic save must
    // not stop the next ones; the final one reports its error.
    saving = saving
      .catch(() => undefined)
      .then(async () => {
        await rejectsFile?.flushed();
        await saveState(run.statePath, snapshot);
      });
    return saving;
  };
  const saver = setInterval(() => {
    if (dirty) void save(false).catch(() => undefined);
  }, SAVE_EVERY_MS);
  saver.unref();

  const commit = (): void => {
    let advanced = false;
    for (
      let done = completed.get(nextToCommit);
      done !== undefined;
      done = completed.get(nextToCommit)
    ) {
      completed.delete(nextToCommit);
      nextToCommit += 1;
      advanced = true;
      accepted += done.accepted;
      replayed += done.replayed;
      rejected += done.rejects.length;
      totalAccepted += done.accepted + done.replayed;
      totalRejected += done.rejects.length;
      checkpoint = {
        batch: nextToCommit,
        rows: checkpoint.rows + done.rows,
        offset: done.end,
        line: done.nextLine,
      };
      for (const reject of done.rejects) {
        if (rejects.length >= run.keepRejects) break;
        rejects.push(reject);
      }
      rejectsFile?.write(done.rejects);
    }
    if (advanced)
      progress.update({ rows: checkpoint.rows - start.rows, offset: checkpoint.offset });
  };
  const finish = (done: Done): void => {
    completed.set(done.index, done);
    dirty = true;
    commit();
  };

  let notedAt = Number.NEGATIVE_INFINITY;
  const noteWait = (error: MeasurelyError, waitMs: number): void => {
    if (Date.now() - notedAt < NOTE_EVERY_MS) return;
    notedAt = Date.now();
    const detail = typeof error.problem?.detail === 'string' ? ` (${error.problem.detail})` : '';
    progress.note(
      `measurely: rate limited by the server${detail}: waiting ${Math.max(1, Math.round(waitMs / 1000))} s, then going on. \`measurely project limits --rate-limit N\` raises the project's limit.`,
    );
  };
  const stopOrCancel = AbortSignal.any([run.stop, run.cancel]);

  /** One request, retried while the failure passes: a 429 RATE_LIMITED for as long as it takes. */
  const sendPart = async (events: ImportEvent[], key: string): Promise<BatchAnswer> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run.send(events, key, run.cancel);
      } catch (error) {
        if (run.cancel.aborted) throw new Abandoned();
        if (!(error instanceof MeasurelyError) || !error.retryable) {
          throw afterAttempts(error, attempt);
        }
        const rateLimited = error.code === 'RATE_LIMITED';
        const givesUp = rateLimited
          ? false
          : attempt > retry.maxRetries ||
            (error.retryAfterMs !== undefined && error.retryAfterMs > retry.maxRetryAfterMs);
        if (givesUp) throw afterAttempts(error, attempt);
        if (run.stop.aborted) throw new Abandoned();
        const wait = retryDelay(attempt, error.retryAfterMs, retry);
        if (rateLimited) noteWait(error, wait);
        if (!(await pause(wait, stopOrCancel))) throw new Abandoned();
      }
    }
  };

  const sendBatch = async (batch: Batch): Promise<Done> => {
    const done: Done = {
      index: batch.index,
      rows: batch.rows,
      end: batch.end,
      nextLine: batch.nextLine,
      accepted: 0,
      replayed: 0,
      rejects: batch.rejects,
    };
    let metricUnknown = 0;
    for (const [part, [from, to]] of requestParts(batch.events).entries()) {
      const events = batch.events.slice(from, to);
      const answer = await sendPart(events, `${keyPrefix}-${batch.index}-${part}`);
      if (answer.replayed === true) done.replayed += answer.accepted;
      else done.accepted += answer.accepted;
      for (const r of answer.results) {
        if (r.ok) continue;
        const line = batch.lines[from + r.index];
        if (line === undefined)
          throw new Error(`the server answered for event ${r.index} of ${events.length}`);
        if (r.code === 'METRIC_UNKNOWN') metricUnknown += 1;
        done.rejects.push({ line, code: r.code ?? 'REJECTED', detail: r.detail ?? '' });
      }
    }
    if (metricUnknown > 0 && metricUnknown === batch.events.length) {
      const metrics = [...new Set(batch.events.map((event) => event.metric))];
      throw new MetricUnknownError(metrics, batch.lines[0] ?? batch.nextLine);
    }
    done.rejects.sort((a, b) => a.line - b.line);
    return done;
  };

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const halted = (): boolean =>
    failure !== undefined ||
    rejectsFile?.error !== undefined ||
    run.stop.aborted ||
    run.cancel.aborted;

  /**
   * Hands a full batch over: skipped if an earlier run had it answered, else sent once fewer than
   * `parallel` are in flight and it is less than 2 × `parallel` batches past the oldest
   * unfinished one, so reading never runs far ahead of the checkpoint. False once halted.
   */
  const dispatch = async (batch: Batch): Promise<boolean> => {
    const earlier = finishedBefore.get(batch.index);
    if (earlier !== undefined) {
      finish({
        index: batch.index,
        rows: batch.rows,
        end: batch.end,
        nextLine: batch.nextLine,
        accepted: 0,
        replayed: earlier.accepted,
        rejects: [...earlier.rejects],
      });
      return !halted();
    }
    while (
      !halted() &&
      inFlight.size > 0 &&
      (inFlight.size >= run.parallel || batch.index - nextToCommit >= 2 * run.parallel)
    ) {
      await Promise.race(inFlight);
    }
    await rejectsFile?.ready();
    if (halted()) return false;
    batches += 1;
    const task: Promise<void> = sendBatch(batch)
      .then(finish, (error: unknown) => {
        if (error instanceof Abandoned) return;
        // Batches in flight together may all name a missing metric: report the first in the file.
        const earlier =
          error instanceof MetricUnknownError &&
          failure instanceof MetricUnknownError &&
          error.line < failure.line;
        if (earlier) failure = error;
        else failure ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    return true;
  };

  const newBatch = (index: number): Batch => ({
    index,
    rows: 0,
    events: [],
    lines: [],
    rejects: [],
    end: checkpoint.offset,
    nextLine: checkpoint.line,
  });
  let batch = newBatch(start.batch);
  let readAll = false;
  let fileError: unknown;

  const take = (record: RawRecord): void => {
    if (record.text.trim() === '') return;
    if (parser === undefined) {
      parser = csvRowParser(record.text, run.metric ?? '', record.line);
      batch.end = record.end;
      batch.nextLine = record.nextLine;
      return;
    }
    rowsRead += 1;
    batch.rows += 1;
    batch.end = record.end;
    batch.nextLine = record.nextLine;
    const outcome = parser(record.text);
    if (outcome.ok) {
      batch.events.push(outcome.event);
      batch.lines.push(record.line);
    } else {
      batch.rejects.push({ line: record.line, code: outcome.code, detail: outcome.detail });
    }
  };

  try {
    const source = (run.read ?? readFile)(run.file, start.offset, size - 1);
    const options = { quotes: run.format === 'csv', start, maxRecordBytes: MAX_RECORD_BYTES };
    reading: for await (const records of readRecords(source, options)) {
      for (const record of records) {
        take(record);
        if (batch.rows === run.batchSize) {
          const full = batch;
          batch = newBatch(full.index + 1);
          if (!(await dispatch(full))) break reading;
        }
      }
      if (halted()) break;
    }
    if (!halted()) {
      if (parser === undefined) throw new ImportFileError('the file has no header row');
      readAll = batch.rows === 0 || (await dispatch(batch));
    }
  } catch (error) {
    fileError = error;
  } finally {
    while (inFlight.size > 0) await Promise.race(inFlight);
    clearInterval(saver);
    progress.stop();
  }
  failure ??= rejectsFile?.error;

  const complete =
    fileError === undefined &&
    readAll &&
    failure === undefined &&
    checkpoint.rows === start.rows + rowsRead;
  if (complete) checkpoint = { ...checkpoint, offset: size };
  const answered = previous !== undefined || checkpoint.rows > 0 || completed.size > 0;
  // An unreadable file, or a metric that does not exist, leaves nothing worth resuming unless
  // something was answered: no state file then, that the corrected rerun would have to match.
  const stateSaved =
    answered || (fileError === undefined && !(failure instanceof MetricUnknownError));
  try {
    if (stateSaved) await save(complete);
  } finally {
    await rejectsFile?.close();
  }
  if (fileError !== undefined) throw fileError;
  return result(complete, failure, { stateSaved });
}
