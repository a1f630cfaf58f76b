import fs, { type FileHandle } from 'node:fs/promises';
import { type RowReject, StateMismatchError } from './import-state.js';

/** Bytes waiting to be written past which {@link RejectsFile.ready} makes the reader wait. */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * The `--rejects` file: one JSON object per rejected row, in line order. Writes are queued in
 * order at known offsets; `bytes` is the file's length once they are done, which the state file
 * records so that a resume cuts what a stopped run wrote past its checkpoint.
 */
export class RejectsFile {
  #pending: Promise<void> = Promise.resolve();
  #waiting = 0;
  #error: unknown;
  #bytes: number;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    bytes: number,
  ) {
    this.#bytes = bytes;
  }

  /**
   * Creates (or empties) the file, or with `keepBytes` reopens the file of an earlier run and cuts
   * it to that length: rows written past it belong to batches this run sends again.
   */
  static async open(path: string, keepBytes?: number): Promise<RejectsFile> {
    if (keepBytes === undefined) return new RejectsFile(path, await fs.open(path, 'w'), 0);
    let handle: FileHandle;
    try {
      handle = await fs.open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (keepBytes === 0) return new RejectsFile(path, await fs.open(path, 'w'), 0);
      throw new StateMismatchError(
        `${path} is missing: it held the rows rejected so far by this import. Restore it, or pass another --rejects FILE (it then lists only the rows rejected from now on)`,
      );
    }
    const { size } = await handle.stat();
    if (size < keepBytes) {
      await handle.close();
      throw new StateMismatchError(
        `${path} is shorter (${size} bytes) than the ${keepBytes} bytes of rejected rows this import wrote to it. Restore it, or pass another --rejects FILE (it then lists only the rows rejected from now on)`,
      );
    }
    await handle.truncate(keepBytes);
    return new RejectsFile(path, handle, keepBytes);
  }

  /** The file's length once the writes queued so far are done. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The first write that failed, if any: nothing is written after it. */
  get error(): unknown {
    return this.#error;
  }

  write(rejects: readonly RowReject[]): void {
    if (rejects.length === 0) return;
    let text = '';
    for (const reject of rejects) text += `${JSON.stringify(reject)}\n`;
    const data = Buffer.from(text);
    const position = this.#bytes;
    this.#bytes += data.length;
    this.#waiting += data.length;
    this.#pending = this.#pending.then(async () => {
      try {
        if (this.#error !== undefined) return;
        for (let done = 0; done < data.length; ) {
          const { bytesWritten } = await this.handle.write(
            data,
            done,
            data.length - done,
            position + done,
          );
          done += bytesWritten;
        }
      } catch (error) {
        this.#error ??= error;
      } finally {
        this.#waiting -= data.length;
      }
    });
  }

  /** Resolves once the writes queued so far are done (or one failed: see `error`). */
  flushed(): Promise<void> {
    return this.#pending;
  }

  /** Waits while more than 1 MiB waits to be written, so a slow disk slows the reading down. */
  async ready(): Promise<void> {
    while (this.#waiting > HIGH_WATER_BYTES) await this.#pending;
  }

  async close(): Promise<void> {
    await this.#pending;
    await this.handle.close();
  }
}
