import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { ImportFormat } from './import-rows.js';

const STATE_VERSION = 2;

/**
 * What a file is, whatever its name or modification time: a SHA-256 of all its bytes, read as a
 * stream. A file edited in any way (even keeping its size and modification time) or appended to
 * is another file: its batches would differ.
 */
export async function fileIdentity(file: string): Promise<{ identity: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { identity: hash.digest('hex'), size };
}

/** What an import is: the same file, metric, format and batch size give the same batches. */
export interface ImportPlan {
  readonly identity: string;
  readonly metric: string | null;
  readonly format: ImportFormat;
  readonly batchSize: number;
  /** The server and project (or key) written to. */
  readonly target: string;
}

/** The first data row not yet acknowledged, and where it starts. */
export interface ImportCheckpoint {
  /** Batches acknowledged, in order: the next one to send. */
  readonly batch: number;
  /** Data rows (accepted or rejected) up to there. */
  readonly rows: number;
  readonly offset: number;
  readonly line: number;
}

export interface RowReject {
  readonly line: number;
  readonly code: string;
  readonly detail: string;
}

/** A batch past the checkpoint that the server answered: a resume skips it. */
export interface FinishedBatch {
  readonly batch: number;
  readonly rows: number;
  /** Stored by the server (now or by an earlier request with the same key). */
  readonly accepted: number;
  /** Its rejected rows, not yet reported: they are, in line order, once the checkpoint passes it. */
  readonly rejects: readonly RowReject[];
}

export interface ImportState extends ImportPlan {
  readonly version: number;
  readonly file: string;
  readonly next: ImportCheckpoint;
  readonly finished: readonly FinishedBatch[];
  /** Rows up to the checkpoint: stored, and rejected (by the importer or the server). */
  readonly accepted: number;
  readonly rejected: number;
  /** The rejects file written by the last run, and its length up to the checkpoint. */
  readonly rejects: {
    readonly file: string;
    readonly bytes: number;
    /** It lists every row rejected up to the checkpoint, not only the last run's. */
    readonly fromStart: boolean;
  } | null;
  readonly complete: boolean;
  readonly updatedAt: string;
}

/**
 * The Idempotency-Key prefix of an import's batches: the same for every run of the same plan, so
 * the server answers a batch it already committed (within 24 hours) instead of counting it again.
 */
export function batchKeyPrefix(plan: ImportPlan): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([plan.identity, plan.metric, plan.format, plan.batchSize]))
    .digest('hex');
  return `mly-import-${digest.slice(0, 32)}`;
}

export class StateMismatchError extends Error {
  override name = 'StateMismatchError';
}

function isState(value: unknown): value is ImportState {
  const state = value as Partial<ImportState> | null;
  return (
    typeof state === 'object' &&
    state !== null &&
    state.version === STATE_VERSION &&
    typeof state.next?.offset === 'number' &&
    Array.isArray(state.finished)
  );
}

export async function loadState(path: string): Promise<ImportState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    state = undefined;
  }
  if (!isState(state)) {
    throw new StateMismatchError(
      `${path} is not an import state file of this version of measurely; move it away to start over`,
    );
  }
  return state;
}

/** Refuses to resume from the state of another import, naming what differs. */
export function checkState(state: ImportState, plan: ImportPlan, path: string): void {
  const differences: string[] = [];
  if (state.identity !== plan.identity) differences.push('the file changed');
  if (state.metric !== plan.metric) differences.push(`the metric was ${state.metric ?? 'none'}`);
  if (state.format !== plan.format) differences.push(`the format was ${state.format}`);
  if (state.batchSize !== plan.batchSize) differences.push(`the batch size was ${state.batchSize}`);
  if (state.target !== plan.target) differences.push('it went to another server or project');
  if (differences.length > 0) {
    throw new StateMismatchError(
      `${path} records another import (${differences.join(', ')}). To import this file from its first row (every row is sent again), delete that file or pass --state FILE`,
    );
  }
}

/** Written to a temporary file, then renamed: a crash leaves the old state or the new, never half. */
export async function saveState(
  path: string,
  state: Omit<ImportState, 'version' | 'updatedAt'>,
): Promise<void> {
  const full: ImportState = {
    version: STATE_VERSION,
    ...state,
    updatedAt: new Date().toISOString(),
  };
  const temporary = `${path}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(full, null, 2)}\n`);
  await fs.rename(temporary, path);
}
