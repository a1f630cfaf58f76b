import { Worker } from 'node:worker_threads';
import type { PendingEvent, PendingRequest, RequestOutcome, WriteRequests } from './ingest.repo.js';

export type WriterRequest =
  | {
      readonly type: 'write';
      readonly id: number;
      /** The requests as JSON (values as decimal strings): far cheaper to pass than a clone. */
      readonly requests: string;
      readonly now: number;
      readonly quotas: Readonly<Record<string, number | null>>;
      readonly idempotencyCutoff: number;
    }
  | { readonly type: 'close' };

export type WriterResponse =
  | { readonly type: 'written'; readonly id: number; readonly outcomes: RequestOutcome[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: string }
  | { readonly type: 'closed' };

export function encodeRequests(requests: readonly PendingRequest[]): string {
  return JSON.stringify(requests, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

export function decodeRequests(json: string): PendingRequest[] {
  const requests = JSON.parse(json) as Array<
    Omit<PendingRequest, 'events'> & { events: Array<PendingEvent & { micros: string }> }
  >;
  return requests.map((request) => ({
    ...request,
    events: request.events.map((event) => ({ ...event, micros: BigInt(event.micros) })),
  }));
}

/**
 * Compiled, the worker is the JavaScript file beside this one. Run from TypeScript sources (the
 * tests), a small bootstrap registers tsx in the thread first, then loads the TypeScript worker.
 */
function startWorker(file: string): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./sqlite-writer.worker.js', import.meta.url), {
      workerData: { file },
    });
  }
  return new Worker(new URL('./sqlite-writer.worker.dev.mjs', import.meta.url), {
    workerData: { file },
  });
}

/**
 * Runs the SQLite writer in a worker thread with its own connection to the file. A worker that
 * dies fails the commits it held (their requests get 500 and may retry) and is replaced.
 */
export function createSqliteWriterThread(file: string): {
  write: WriteRequests;
  close(): Promise<void>;
} {
  const pending = new Map<number, { resolve(o: RequestOutcome[]): void; reject(e: Error): void }>();
  let nextId = 1;
  let worker: Worker | undefined;
  let closed: (() => void) | undefined;

  function failAll(error: Error): void {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  }

  function start(): Worker {
    const thread = startWorker(file);
    thread.on('message', (message: WriterResponse) => {
      if (message.type === 'closed') {
        closed?.();
        return;
      }
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'written') waiting?.resolve(message.outcomes);
      else waiting?.reject(new Error(`event write failed: ${message.error}`));
    });
    thread.on('error', (error) => failAll(error));
    thread.on('exit', (code) => {
      if (worker === thread) worker = undefined;
      failAll(new Error(`event writer thread exited with code ${code}`));
    });
    return thread;
  }

  return {
    write: (requests, now, quotaOf, idempotencyCutoff) =>
      new Promise((resolve, reject) => {
        worker ??= start();
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const quotas: Record<string, number | null> = {};
        for (const request of requests) quotas[request.projectId] = quotaOf(request.projectId);
        worker.postMessage({
          type: 'write',
          id,
          requests: encodeRequests(requests),
          now,
          quotas,
          idempotencyCutoff,
        } satisfies WriterRequest);
      }),
    close: async () => {
      const thread = worker;
      if (thread === undefined) return;
      worker = undefined;
      await new Promise<void>((resolve) => {
        closed = resolve;
        thread.once('exit', () => resolve());
        thread.postMessage({ type: 'close' } satisfies WriterRequest);
      });
      await thread.terminate();
    },
  };
}
