import { close, fdatasync, open } from 'node:fs';

/**
 * Makes SQLite commits durable off the event loop. The ingestion writer commits with
 * `synchronous = NORMAL` — in WAL mode that appends the transaction's frames to the `-wal` file
 * without waiting for the disk — and then asks this for an `fdatasync` of that file on libuv's
 * thread pool, answering its requests only once that returns. The disk wait no longer blocks the
 * HTTP thread: requests go on being parsed while a group is being synced.
 *
 * Why it is as durable as `synchronous = FULL`: once the WAL's bytes (header and frames) are on
 * disk, recovery replays them; WAL frames carry cumulative checksums, so a crash can only lose a
 * suffix of the log, never an earlier commit while keeping a later one. A checkpoint (which
 * rewrites the WAL from its start) syncs the WAL before and the database file after, at NORMAL as
 * at FULL, so frames already checkpointed are in the database file before the WAL is reused.
 * See docs/decisions/0011-durable-commits-off-the-event-loop.md.
 *
 * The file stays open between syncs: SQLite deletes the WAL only when the database's last
 * connection closes, and the writer's connection stays open as long as this is used (close() it
 * first). The WAL is reused in place after a checkpoint, never replaced.
 */
export class WalSync {
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #fd: number | undefined;
  #closed = false;

  constructor(private readonly walFile: string) {}

  /**
   * Resolves once everything committed before the call is on disk. Calls made while a sync runs
   * share the one that follows it: a burst of commits costs two syncs, not one each.
   */
  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the WAL sync is closed'));
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

  /** Waits for the syncs under way, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await (this.#next ?? this.#running)?.catch(() => undefined);
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await new Promise<void>((resolve) => close(fd, () => resolve()));
  }

  #start(): Promise<void> {
    const running = this.#datasync().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  #datasync(): Promise<void> {
    // Plain callbacks: the calls run on the thread pool with the least work on the event loop.
    return new Promise((resolve, reject) => {
      const withFd = (fd: number): void => {
        fdatasync(fd, (error) => {
          if (error === null) {
            resolve();
            return;
          }
          // Opened again on the next sync, in case the descriptor is what failed.
          if (this.#fd === fd) this.#fd = undefined;
          close(fd, () => reject(error));
        });
      };
      if (this.#fd !== undefined) {
        withFd(this.#fd);
        return;
      }
      open(this.walFile, 'r+', (error, fd) => {
        if (error !== null) {
          reject(error);
          return;
        }
        this.#fd = fd;
        withFd(fd);
      });
    });
  }
}
