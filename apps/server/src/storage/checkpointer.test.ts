import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_INTERVAL_MS, Checkpointer } from './checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A WAL database whose writer never checkpoints by itself. */
function writer(): { database: SQLite.Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'measurely-checkpoint-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('wal_autocheckpoint = 0');
  database.exec('create table t (v text)');
  return { database, file };
}

/**
 * Whether a checkpoint has copied every frame of the WAL into the database file, read from the
 * WAL-index (https://www.sqlite.org/walformat.html, native byte order): the header's mxFrame at
 * byte 16 against the checkpoint information's nBackfill at byte 96.
 */
function everyFrameCopied(file: string): boolean {
  const index = readFileSync(`${file}-shm`);
  const u32 = (offset: number) =>
    endianness() === 'LE' ? index.readUInt32LE(offset) : index.readUInt32BE(offset);
  const mxFrame = u32(16);
  return mxFrame > 0 && u32(96) === mxFrame;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, CHECKPOINT_INTERVAL_MS / 2));
  }
}

describe('Checkpointer', () => {
  it('copies the WAL into the database file from its own thread', async () => {
    const { database, file } = writer();
    const insert = database.prepare('insert into t values (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(4_000));
    const before = statSync(file).size;
    const errors: string[] = [];
    const checkpointer = new Checkpointer(file, (message) => errors.push(message));
    // 200 rows of 4 kB: the database file grows by about 800 kB once the pages are copied.
    await until(() => statSync(file).size > before + 700_000);
    await checkpointer.close();
    expect(errors).toEqual([]);
    database.close();
    const reopened = new SQLite(file, { readonly: true });
    expect(reopened.prepare('select count(*) as n from t').get()).toEqual({ n: 200 });
    reopened.close();
  });

  it('lets the writer start the WAL over once everything is copied', async () => {
    const { database, file } = writer();
    const insert = database.prepare('insert into t values (?)');
    const checkpointer = new Checkpointer(file, () => undefined);
    let firstRound = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 100; i++) insert.run('y'.repeat(4_000));
      if (round === 0) firstRound = statSync(`${file}-wal`).size;
      // However long the worker takes to start or to get a core: every frame is copied.
      await until(() => everyFrameCopied(file));
    }
    // A restarted WAL is written from its start again: four rounds take the room of one.
    expect(statSync(`${file}-wal`).size).toBeLessThan(1.5 * firstRound);
    await checkpointer.close();
    database.close();
  });

  it('reports what it cannot do, and still closes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'measurely-checkpoint-'));
    dirs.push(dir);
    const errors: string[] = [];
    const checkpointer = new Checkpointer(path.join(dir, 'missing.db'), (m) => errors.push(m));
    await until(() => errors.length > 0);
    expect(errors[0]).toMatch(/unable to open|does not exist|SQLITE_CANTOPEN|no such file/i);
    await checkpointer.close();
  });

  it('closes twice without harm', async () => {
    const { database, file } = writer();
    const checkpointer = new Checkpointer(file, () => undefined);
    await Promise.all([checkpointer.close(), checkpointer.close()]);
    await checkpointer.close();
    database.close();
  });
});
