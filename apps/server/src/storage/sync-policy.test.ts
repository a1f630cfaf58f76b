import { describe, expect, it } from 'vitest';
import { CommitSyncPolicy } from './sync-policy.js';

describe('CommitSyncPolicy', () => {
  it('syncs inside fast commits, and leaves the sync to the thread pool for a while once they are slow', () => {
    // Each commit takes `took` ms on this clock.
    let time = 0;
    let took = 0.3;
    const policy = new CommitSyncPolicy({ slowMs: 2, backgroundMs: 100, now: () => time });
    const commit = (inline: boolean) => {
      time += took;
      return inline ? 'inline' : 'deferred';
    };
    const inline = { result: 'inline', unsynced: false };
    const deferred = { result: 'deferred', unsynced: true };
    for (let i = 0; i < 10; i++) expect(policy.run(commit)).toEqual(inline);
    // A hiccup now and then is no slow disk.
    took = 50;
    expect(policy.run(commit)).toEqual(inline);
    took = 0.3;
    for (let i = 0; i < 3; i++) expect(policy.run(commit)).toEqual(inline);
    took = 50;
    expect(policy.run(commit)).toEqual(inline);
    expect(policy.run(commit)).toEqual(inline);
    // Three slow of the last five: the median is slow.
    expect(policy.run(commit)).toEqual(inline);
    took = 0.3;
    expect(policy.run(commit)).toEqual(deferred);
    time += 98;
    expect(policy.run(commit)).toEqual(deferred);
    time += 10;
    for (let i = 0; i < 10; i++) expect(policy.run(commit)).toEqual(inline);
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
