import { describe, expect, it } from 'vitest';
import { CommitSyncPolicy } from './sync-policy.js';

describe('CommitSyncPolicy', () => {
  it('syncs inside fast commits, and leaves the sync to the thread pool for a while after a slow one', () => {
    // Each commit takes `took` ms on this clock.
    let time = 0;
    let took = 0.3;
    const policy = new CommitSyncPolicy({ slowMs: 2, backgroundMs: 100, now: () => time });
    const commit = (inline: boolean) => {
      time += took;
      return inline ? 'inline' : 'deferred';
    };
    expect(policy.run(commit)).toEqual({ result: 'inline', unsynced: false });
    took = 5;
    expect(policy.run(commit)).toEqual({ result: 'inline', unsynced: false });
    took = 0.3;
    expect(policy.run(commit)).toEqual({ result: 'deferred', unsynced: true });
    time += 99;
    expect(policy.run(commit)).toEqual({ result: 'deferred', unsynced: true });
    time += 10;
    expect(policy.run(commit)).toEqual({ result: 'inline', unsynced: false });
    expect(policy.run(commit)).toEqual({ result: 'inline', unsynced: false });
  });

  it('lets a failing commit throw, and stays inline', () => {
    let time = 0;
    const policy = new CommitSyncPolicy({ now: () => time });
    expect(() =>
      policy.run(() => {
        time += 0.1;
        throw new Error('SQLITE_FULL');
      }),
    ).toThrow('SQLITE_FULL');
    expect(policy.run((inline) => inline).result).toBe(true);
  });
});
