import fs from 'node:fs/promises';
import path from 'node:path';
import { type MeasurelyClient, MeasurelyError } from '@measurely/sdk';
import {
  type Command,
  CommandFailed,
  EXIT,
  optionalString,
  UsageError,
  type Values,
} from '../command.js';
import { ImportFileError, type ImportFormat } from '../remote/import-rows.js';
import { StateMismatchError } from '../remote/import-state.js';
import {
  type ImportResult,
  keyFingerprint,
  MetricUnknownError,
  runImport,
} from '../remote/importer.js';
import { watchInterruptions } from '../remote/interruption.js';
import { Progress, progressMode } from '../remote/progress.js';
import { RecordTooLongError } from '../remote/record-reader.js';
import {
  REMOTE_OPTIONS,
  REMOTE_USAGE,
  type Remote,
  remoteClient,
  remoteFailure,
  resolveRemote,
} from '../remote/remote-client.js';
import { DEFAULT_RETRY, retrying } from '../remote/retry.js';

/** The server's largest batch (MEASURELY_MAX_BATCH_EVENTS, 1,000 by default). */
const MAX_BATCH_SIZE = 1000;
const REJECTS_SHOWN = 20;
/** --json lists this many rejected rows at most; --rejects FILE takes them all. */
const REJECTS_LISTED_IN_JSON = 1000;
const integer = new Intl.NumberFormat('en-US');

function wholeNumber(values: Values, name: string, fallback: number, max: number): number {
  const text = optionalString(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new UsageError(`--${name} takes a whole number from 1 to ${max}`);
  }
  return value;
}

function formatOf(values: Values, file: string): ImportFormat {
  const given = optionalString(values, 'format');
  if (given !== undefined) {
    if (given !== 'csv' && given !== 'ndjson') throw new UsageError('--format is csv or ndjson');
    return given;
  }
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (['.ndjson', '.jsonl', '.json'].includes(extension)) return 'ndjson';
  throw new UsageError(
    `cannot tell the format of "${path.basename(file)}": pass --format csv|ndjson`,
  );
}

/** Which project the key writes to, so a state file is never resumed against another one. */
async function importTarget(
  remote: Remote,
  client: MeasurelyClient,
  stop: AbortSignal,
  say: ((text: string) => void) | undefined,
): Promise<string> {
  try {
    const identity = await retrying(
      (signal) => client.identify({ signal }),
      DEFAULT_RETRY,
      stop,
      say,
    );
    return `project:${identity.projectId}`;
  } catch (error) {
    if (stop.aborted) {
      throw new CommandFailed('INTERRUPTED', 'interrupted; nothing was sent', EXIT.interrupted);
    }
    // A server from before GET /api/key: the key itself stands for its project.
    if (error instanceof MeasurelyError && error.code === 'ROUTE_NOT_FOUND') {
      return keyFingerprint(remote.apiKey);
    }
    throw remoteFailure(error, remote);
  }
}

function rowCount(rows: number): string {
  return `${integer.format(rows)} row${rows === 1 ? '' : 's'}`;
}

/** `, M of them rejected, listed in FILE`: the rows earlier runs rejected. */
function earlierPart(result: ImportResult): string {
  if (result.rejectedEarlier === 0) return '';
  const where =
    result.earlierRejectsFile === null ? '' : `, listed in ${result.earlierRejectsFile}`;
  return `, ${integer.format(result.rejectedEarlier)} of them rejected${where}`;
}

function humanSummary(result: ImportResult, rejectsFile: string | undefined): string {
  const lines: string[] = [];
  const name = path.basename(result.file);
  if (result.alreadyImported) {
    return `${name} was already imported (${rowCount(result.skipped)}${earlierPart(result)}; state in ${result.stateFile}): nothing sent. Delete the state file to import it again.\n`;
  }
  if (result.startLine > 1) {
    lines.push(
      `Resumed ${name} at line ${integer.format(result.startLine)} (${rowCount(result.skipped)} already imported${earlierPart(result)}).`,
    );
  }
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  lines.push(
    `${name}${result.metric === null ? '' : ` → ${result.metric}`}: ${integer.format(result.rows)} rows read, ${integer.format(result.accepted)} accepted, ${integer.format(result.rejected)} rejected, ${integer.format(result.skipped)} skipped as already imported (${seconds} s, ${integer.format(result.rowsPerSecond)} rows/s).`,
  );
  if (result.rejected > 0) {
    lines.push('Rejected rows:');
    for (const reject of result.rejects.slice(0, REJECTS_SHOWN)) {
      lines.push(`  line ${reject.line}: ${reject.code} ${reject.detail}`);
    }
    const more = result.rejected - Math.min(result.rejects.length, REJECTS_SHOWN);
    if (more > 0) {
      lines.push(
        rejectsFile === undefined
          ? `  … and ${integer.format(more)} more: rerun with --rejects FILE to list them all.`
          : `  … and ${integer.format(more)} more, all in ${rejectsFile}.`,
      );
    } else if (rejectsFile !== undefined) {
      lines.push(`  (also in ${rejectsFile})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function metricUnknownMessage(failure: MetricUnknownError, result: ImportResult): string {
  const refused = `${failure.message}: every row of the batch from line ${integer.format(failure.line)} was refused, so the import stopped`;
  if (!result.stateSaved) {
    const names = result.format === 'csv' ? '--metric' : `--metric and the lines' "metric"`;
    return `${refused} with nothing stored. Check ${names}, or create the metric (measurely metric create), then run the command again`;
  }
  return `${refused} (state saved in ${result.stateFile}). Create the metric (measurely metric create), then run the same command again to resume`;
}

/** The server's BATCH_INVALID says how many events it takes; the batch size is ours to lower. */
function batchSizeAdvice(error: MeasurelyError, batchSize: number): string {
  const detail = typeof error.problem?.detail === 'string' ? error.problem.detail : error.message;
  const largest = /1 to (\d+) events/.exec(detail)?.[1];
  if (largest === undefined || Number(largest) >= batchSize) return '';
  return ` The server takes at most ${largest} events per batch (its MEASURELY_MAX_BATCH_EVENTS): rerun with --batch-size ${largest}.`;
}

export const importFile: Command = {
  name: 'import',
  summary: 'Import a CSV or NDJSON file of past values into a running server, resumably',
  usage: `measurely import <file> [--metric M (required for CSV)] [--format csv|ndjson] [--batch-size N] [--parallel N] [--state FILE] [--rejects FILE] [--quiet] [--progress-every SECONDS] ${REMOTE_USAGE}`,
  options: {
    ...REMOTE_OPTIONS,
    metric: { type: 'string' },
    format: { type: 'string' },
    'batch-size': { type: 'string' },
    parallel: { type: 'string' },
    state: { type: 'string' },
    rejects: { type: 'string' },
    quiet: { type: 'boolean' },
    'progress-every': { type: 'string' },
  },
  positionals: ['file'],
  async run({ io, values, positionals }) {
    const file = path.resolve(io.cwd, positionals[0] ?? '');
    const format = formatOf(values, file);
    const metric = optionalString(values, 'metric');
    if (metric !== undefined && metric.trim() === '') throw new UsageError('--metric is empty');
    if (format === 'csv' && metric === undefined) {
      throw new UsageError('--metric is required for a CSV file');
    }
    const batchSize = wholeNumber(values, 'batch-size', MAX_BATCH_SIZE, MAX_BATCH_SIZE);
    const parallel = wholeNumber(values, 'parallel', 3, 8);
    const progressEvery = wholeNumber(values, 'progress-every', 5, 3600);
    const stateOption = optionalString(values, 'state');
    const statePath =
      stateOption === undefined ? `${file}.measurely-import` : path.resolve(io.cwd, stateOption);
    const rejectsOption = optionalString(values, 'rejects');
    const rejectsPath =
      rejectsOption === undefined ? undefined : path.resolve(io.cwd, rejectsOption);
    const json = values.json === true;
    try {
      if (!(await fs.stat(file)).isFile()) throw new UsageError(`${file} is not a file`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    for (const [flag, written] of [
      ['--state', statePath],
      ['--rejects', rejectsPath],
    ] as const) {
      if (written === undefined) continue;
      const directory = path.dirname(written);
      if (!(await fs.stat(directory).catch(() => undefined))?.isDirectory()) {
        throw new UsageError(`${flag}: no directory ${directory}`);
      }
    }

    const remote = resolveRemote(io.env, values);
    // One attempt per call: the importer retries, and stops retrying on Ctrl-C.
    const client = remoteClient(remote, { timeoutMs: 60_000, maxRetries: 0 });
    const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
    const tty = stderr.isTTY === true;
    const mode = progressMode({
      quiet: values.quiet === true,
      json,
      tty,
      linesAsked: values['progress-every'] !== undefined,
    });
    // With --json, stderr carries the error object for a program to read: nothing else then.
    const say = json && !tty ? undefined : (text: string) => io.stderr.write(text);
    const { stop, cancel, dispose } = watchInterruptions(
      io,
      {
        stop: 'measurely: stopping after the batches in flight (Ctrl-C again to abandon them)',
        cancel: 'measurely: abandoning the batches in flight (Ctrl-C again to quit at once)',
      },
      say,
    );

    let result: ImportResult;
    try {
      const target = await importTarget(remote, client, stop, say);
      result = await runImport({
        file,
        format,
        metric,
        batchSize,
        parallel,
        statePath,
        rejectsPath,
        target,
        keepRejects: json ? REJECTS_LISTED_IN_JSON : REJECTS_SHOWN,
        stop,
        cancel,
        send: (events, idempotencyKey, signal) =>
          client.captureBatch(events, { idempotencyKey, signal }),
        progress: ({ totalBytes, startOffset }) =>
          new Progress(io.stderr, {
            mode,
            label: `importing ${path.basename(file)}`,
            totalBytes,
            startOffset,
            intervalMs: mode === 'tty' ? 250 : progressEvery * 1000,
          }),
      });
    } catch (error) {
      if (error instanceof StateMismatchError) throw new UsageError(error.message);
      if (error instanceof ImportFileError || error instanceof RecordTooLongError) {
        throw new CommandFailed('VALIDATION_FAILED', `${file}: ${error.message}`);
      }
      throw error;
    } finally {
      dispose();
    }

    const summary = {
      file: result.file,
      metric: result.metric,
      format: result.format,
      rows: result.rows,
      accepted: result.accepted,
      rejected: result.rejected,
      rejectedEarlier: result.rejectedEarlier,
      skipped: result.skipped,
      batches: result.batches,
      elapsedMs: result.elapsedMs,
      rowsPerSecond: result.rowsPerSecond,
      complete: result.complete,
      startLine: result.startLine,
      stateFile: result.stateFile,
      ...(rejectsPath === undefined ? {} : { rejectsFile: rejectsPath }),
      rejects: result.rejects,
      rejectsTruncated: result.rejects.length < result.rejected,
    };
    if (!json) io.stdout.write(humanSummary(result, rejectsPath));
    const output = json ? summary : undefined;
    const resume = `state saved in ${result.stateFile}; run the same command again to resume`;

    if (result.failure !== undefined) {
      if (result.failure instanceof MetricUnknownError) {
        throw new CommandFailed(
          'METRIC_UNKNOWN',
          metricUnknownMessage(result.failure, result),
          EXIT.failed,
          output,
        );
      }
      if (result.failure instanceof MeasurelyError) {
        const advice =
          result.failure.code === 'BATCH_INVALID' ? batchSizeAdvice(result.failure, batchSize) : '';
        // Every batch is refused the same way: nothing to resume, another batch size to use.
        const failed = remoteFailure(result.failure, remote, advice || ` (${resume})`);
        throw new CommandFailed(failed.code, failed.message, EXIT.failed, output);
      }
      const message =
        result.failure instanceof Error ? result.failure.message : String(result.failure);
      throw new CommandFailed('INTERNAL', `${message} (${resume})`, EXIT.failed, output);
    }
    if (result.interrupted) {
      throw new CommandFailed('INTERRUPTED', `interrupted; ${resume}`, EXIT.interrupted, output);
    }
    const rejected = result.rejected + result.rejectedEarlier;
    if (rejected > 0) {
      const earlier =
        result.rejectedEarlier === 0
          ? ''
          : `, ${integer.format(result.rejectedEarlier)} of them reported by an earlier run${
              result.earlierRejectsFile === null ? '' : ` (in ${result.earlierRejectsFile})`
            }`;
      const listed =
        json && rejectsPath === undefined && summary.rejectsTruncated
          ? `; it lists the first ${integer.format(result.rejects.length)}: --rejects FILE writes them all`
          : '';
      throw new CommandFailed(
        'ROWS_REJECTED',
        `${rowCount(rejected)} ${rejected === 1 ? 'was' : 'were'} rejected${earlier} (see the summary for their line numbers and codes${listed})`,
        EXIT.failed,
        output,
      );
    }
    return output;
  },
};
