import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the WAL back into the database file. */
export const CHECKPOINT_INTERVAL_MS = 100;
/**
 * WAL frames (pages) past which the worker also makes sure the log starts over (RESTART): it
 * waits for the writer between two commits. Passive checkpoints usually keep the WAL far smaller.
 */
export const RESTART_FRAMES = 8_192;
/**
 * The writer's own automatic checkpoint, a safety net should the worker fall behind: in frames,
 * ten times SQLite's default, so in normal operation the writer never checkpoints itself.
 */
export const WRITER_AUTOCHECKPOINT_FRAMES = 10_000;

// CommonJS, run as an eval'd worker so that the same code serves the built server and the tests
// (which run the TypeScript sources). The driver is loaded by absolute path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const messageOf = (error) => String(error && error.message ? error.message : error);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = FULL');
} catch (error) {
  parentPort.postMessage({ error: messageOf(error) });
  db = undefined;
}
let timer;
let closed = db === undefined;
function checkpoint() {
  if (closed) return;
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive !== undefined && passive.log > workerData.restartFrames) {
      db.pragma('wal_checkpoint(RESTART)');
    }
  } catch (error) {
    parentPort.postMessage({ error: messageOf(error) });
  }
  timer = setTimeout(checkpoint, workerData.intervalMs);
}
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  closed = true;
  clearTimeout(timer);
  if (db !== undefined) db.close();
  parentPort.postMessage({ closed: true });
});
timer = setTimeout(checkpoint, workerData.intervalMs);
`;

/**
 * Checkpoints a SQLite database in WAL mode from a thread of its own. A checkpoint copies the
 * WAL's pages into the database file and syncs both: run by the writer's connection (SQLite's
 * default, after a commit that takes the WAL past 1,000 pages), those syncs stop the HTTP thread
 * for milliseconds under load. Here a worker's connection checkpoints every
 * CHECKPOINT_INTERVAL_MS without blocking the writer (PASSIVE), and the writer's own automatic
 * checkpoint is only a safety net (WRITER_AUTOCHECKPOINT_FRAMES).
 * See docs/decisions/0015-checkpoints-off-the-event-loop.md.
 */
export class Checkpointer {
  readonly #worker: Worker;
  #exited = false;
  #closing: Promise<void> | undefined;

  constructor(file: string, onError: (message: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        file,
        intervalMs: CHECKPOINT_INTERVAL_MS,
        restartFrames: RESTART_FRAMES,
      },
    });
    // Never what keeps a process alive: a CLI command that forgets to close still exits.
    this.#worker.unref();
    this.#worker.on('message', (message: { error?: string }) => {
      if (message.error !== undefined) onError(message.error);
    });
    // An error thrown in the worker arrives cloned, not always as an Error.
    this.#worker.on('error', (error: unknown) => {
      const message = (error as { message?: unknown } | null)?.message;
      onError(typeof message === 'string' ? message : String(error));
    });
    this.#worker.once('exit', () => {
      this.#exited = true;
    });
  }

  /** Stops checkpointing and closes the worker's connection. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const worker = this.#worker;
      if (this.#exited) {
        resolve();
        return;
      }
      const done = (): void => {
        void worker.terminate().then(() => resolve());
      };
      worker.once('exit', () => resolve());
      worker.on('message', (message: { closed?: boolean }) => {
        if (message.closed === true) done();
      });
      worker.postMessage('close');
    });
    return this.#closing;
  }
}
