import { Worker } from 'node:worker_threads';
import { type BatchParams, type PreparedBatch, prepareBatchBytes } from './batch-input.js';

/**
 * Bodies at least this long are prepared on the worker thread; shorter ones inline, where they
 * cost less than the hand-over (a batch of ten events is about 700 bytes, of 1,000 about 70 kB).
 */
export const WORKER_MIN_BYTES = 16_384;

// CommonJS, run as an eval'd worker (as the checkpointer's): it imports batch-input from where
// this module is — the built JavaScript, or the TypeScript sources under the tests, loaded then
// through tsx.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = (async () => {
  if (workerData.typescript) (await import('tsx/esm/api')).register();
  return import(workerData.module);
})();
parentPort.on('message', (message) => {
  ready.then(({ prepareBatchBytes }) => {
    let prepared;
    try {
      prepared = prepareBatchBytes(message.bytes, message.params);
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: String(error && error.stack || error) });
      return;
    }
    const transfer = [prepared.refIndex.buffer, prepared.micros.buffer, prepared.ts.buffer, prepared.filterIndex.buffer];
    parentPort.postMessage({ id: message.id, prepared }, transfer);
  }, (error) => parentPort.postMessage({ id: message.id, error: String(error && error.stack || error) }));
});
`;

export interface BatchPreparer {
  /** prepareBatchBytes(), on the worker thread for a long body. */
  prepare(bytes: Uint8Array, params: BatchParams): Promise<PreparedBatch>;
  /** How many batches were prepared on the worker and how many inline. */
  stats(): { readonly onWorker: number; readonly inline: number };
  close(): Promise<void>;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly params: BatchParams;
  readonly resolve: (prepared: PreparedBatch) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Prepares batches (parsing their JSON and checking each event's own fields) on a worker thread,
 * so that the HTTP thread, which then needs only the server's state to finish them, takes the
 * next requests meanwhile: batch ingestion uses a second core. The worker starts with the first
 * long batch. Should it fail, batches are prepared inline from then on, the ones it held
 * included, and `onError` is told. See docs/decisions/0019-batches-prepared-off-the-event-loop.md.
 */
export function createBatchPreparer(
  onError: (message: string) => void,
  options: {
    /** The module the worker prepares batches with: batch-input's prepareBatchBytes(). */
    readonly module?: string;
  } = {},
): BatchPreparer {
  let worker: Worker | undefined;
  let failed = false;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const counts = { onWorker: 0, inline: 0 };

  function inline(job: Pending): void {
    counts.inline += 1;
    try {
      job.resolve(prepareBatchBytes(job.bytes, job.params));
    } catch (error) {
      job.reject(error);
    }
  }

  function fail(message: string): void {
    if (failed) return;
    failed = true;
    onError(`batch preparation falls back to the HTTP thread: ${message}`);
    const jobs = [...pending.values()];
    pending.clear();
    void worker?.terminate();
    worker = undefined;
    for (const job of jobs) inline(job);
  }

  function start(): Worker {
    const module =
      options.module ?? import.meta.url.replace(/batch-preparer\.(ts|js)$/, 'batch-input.$1');
    const started = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, typescript: module.endsWith('.ts') },
    });
    // Idle, it never keeps a process alive; pending jobs hold a reference (see prepare()).
    started.unref();
    started.on(
      'message',
      (message: { id: number; prepared?: PreparedBatch; error?: string }): void => {
        const job = pending.get(message.id);
        if (job === undefined) return;
        // A job the worker could not do is done inline with the rest (fail() takes them all).
        if (message.prepared === undefined) {
          fail(message.error ?? 'no answer');
          return;
        }
        pending.delete(message.id);
        if (pending.size === 0) started.unref();
        counts.onWorker += 1;
        job.resolve(message.prepared);
      },
    );
    started.on('error', (error: unknown) => {
      const message = (error as { message?: unknown } | null)?.message;
      fail(typeof message === 'string' ? message : String(error));
    });
    started.on('exit', (code) => {
      if (worker === started) fail(`the worker exited with code ${code}`);
    });
    return started;
  }

  return {
    prepare(bytes, params) {
      return new Promise((resolve, reject) => {
        const job: Pending = { bytes, params, resolve, reject };
        if (failed || bytes.length < WORKER_MIN_BYTES) {
          inline(job);
          return;
        }
        worker ??= start();
        const id = nextId++;
        pending.set(id, job);
        if (pending.size === 1) worker.ref();
        // A copy of its own, handed over whole: `bytes` may be a view of a larger buffer, all of
        // which a plain postMessage would copy. The body never becomes a string on this thread.
        const own = new Uint8Array(bytes);
        worker.postMessage({ id, bytes: own, params }, [own.buffer]);
      });
    },

    stats() {
      return { ...counts };
    },

    async close() {
      const closing = worker;
      worker = undefined;
      failed = true;
      for (const job of pending.values()) inline(job);
      pending.clear();
      await closing?.terminate();
    },
  };
}
