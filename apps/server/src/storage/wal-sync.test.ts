import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function walDatabase(): { database: SQLite.Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'measurely-wal-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.exec('create table t (v integer)');
  return { database, file };
}

describe('WalSync', () => {
  it('syncs the WAL of commits made without waiting for the disk', async () => {
    const { database, file } = walDatabase();
    database.prepare('insert into t values (1)').run();
    await new WalSync(`${file}-wal`).sync();
    const reopened = new SQLite(file, { readonly: true });
    expect(reopened.prepare('select count(*) as n from t').get()).toEqual({ n: 1 });
    reopened.close();
    database.close();
  });

  it('lets the calls made during a sync share the one after it', async () => {
    const { database, file } = walDatabase();
    const wal = new WalSync(`${file}-wal`);
    const first = wal.sync();
    const second = wal.sync();
    const third = wal.sync();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second, third]);
    // Idle again: a new call starts a sync of its own.
    expect(wal.sync()).not.toBe(second);
    database.close();
  });

  /** This process's descriptors open on a file. */
  function descriptorsOn(file: string): number {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    }).length;
  }

  it('keeps one descriptor for every sync, and lets it go on close', async () => {
    const { database, file } = walDatabase();
    const wal = new WalSync(`${file}-wal`);
    for (let i = 0; i < 5; i++) {
      database.prepare('insert into t values (?)').run(i);
      await wal.sync();
    }
    expect(descriptorsOn(`${file}-wal`)).toBe(2); // SQLite's and this one
    await wal.close();
    expect(descriptorsOn(`${file}-wal`)).toBe(1);
    await expect(wal.sync()).rejects.toThrow(/closed/);
    database.close();
  });

  it('waits for the sync under way before closing', async () => {
    const { database, file } = walDatabase();
    const wal = new WalSync(`${file}-wal`);
    database.prepare('insert into t values (1)').run();
    let synced = false;
    const sync = wal.sync().then(() => {
      synced = true;
    });
    await wal.close();
    expect(synced).toBe(true);
    await sync;
    database.close();
  });

  it('fails when the WAL cannot be synced', async () => {
    const wal = new WalSync(path.join(tmpdir(), 'measurely-no-such-dir', 'db-wal'));
    await expect(wal.sync()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
