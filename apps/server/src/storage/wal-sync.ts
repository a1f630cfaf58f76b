import { close, fdatasync, open } from 'node:fs';

/**
 * Makes SQLite commits durable off the event loop. The ingestion writer commits with
 * `synchronous = NORMAL` — in WAL mode that appends the transaction's frames to the `-wal` file
 * without waiting for the disk — and then asks this for an `fdatasync` of that file on libuv's
 * thread pool, answering its requests only once that returns. The disk wait no longer blocks the
 * HTTP thread, and the next group can commit while the previous one is being synced.
 *
 * Why it is as durable as `synchronous = FULL`: once the WAL's bytes (header and frames) are on
 * disk, recovery replays them; WAL frames carry cumulative checksums, so a crash can only lose a
 * suffix of the log, never an earlier commit while keeping a later one. A checkpoint (which
 * rewrites the WAL from its start) syncs the WAL before and the database file after, at NORMAL as
 * at FULL, so frames already checkpointed are in the database file before the WAL is reused.
 * See docs/decisions/0011-durable-commits-off-the-event-loop.md.
 */
export class WalSync {
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(private readonly walFile: string) {}

  /**
   * Resolves once everything committed before the call is on disk. Calls made while a sync runs
   * share the one that follows it: a burst of commits costs two syncs, not one each.
   */
  sync(): Promise<void> {
    if (this.#running === undefined) return this.#start();
    if (this.#next === undefined) {
      const after = this.#running;
      this.#next = after
        .catch(() => undefined)
        .then(() => {
          this.#next = undefined;
          return this.#start();
        });
    }
    return this.#next;
  }

  #start(): Promise<void> {
    const running = this.#datasync().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  #datasync(): Promise<void> {
    // Opened for each sync: SQLite may delete and recreate the file, and fdatasync applies to
    // the file itself, whichever descriptor asks. Plain callbacks: the three calls run on the
    // thread pool with the least work on the event loop.
    return new Promise((resolve, reject) => {
      open(this.walFile, 'r+', (openError, fd) => {
        if (openError !== null) {
          reject(openError);
          return;
        }
        fdatasync(fd, (syncError) => {
          close(fd, (closeError) => {
            const error = syncError ?? closeError;
            if (error === null) resolve();
            else reject(error);
          });
        });
      });
    });
  }
}
