import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.js';
import type { PendingRequest, RequestOutcome } from './ingest.repo.js';

function request(projectId: string, events = 1): PendingRequest {
  return {
    projectId,
    keyId: 'key',
    quota: null,
    events: Array.from({ length: events }, () => ({
      metricId: 'metric',
      micros: 1n,
      filters: [],
      filtersJson: '{}',
      ts: 0,
    })),
  };
}

const stored = (requests: readonly PendingRequest[]): RequestOutcome[] =>
  requests.map((r) => ({ duplicate: false, events: r.events.map(() => ({ ok: true })) }));

describe('GroupCommitter', () => {
  it('commits requests submitted together in one write', async () => {
    const writes: number[] = [];
    const committer = new GroupCommitter(async (requests) => {
      writes.push(requests.length);
      return stored(requests);
    });
    await Promise.all(['a', 'b', 'c'].map((p) => committer.submit(request(p))));
    expect(writes).toEqual([3]);
  });

  it('fails only the request that cannot be stored, and stores the others', async () => {
    const committed: string[] = [];
    const committer = new GroupCommitter(async (requests) => {
      if (requests.some((r) => r.projectId === 'poison')) throw new Error('constraint');
      committed.push(...requests.map((r) => r.projectId));
      return stored(requests);
    });
    const results = await Promise.allSettled(
      ['a', 'b', 'poison', 'c', 'd'].map((p) => committer.submit(request(p))),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(committed.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('turns requests away with OVERLOADED once too many events wait', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const committer = new GroupCommitter(async (requests) => {
      await gate;
      return stored(requests);
    });
    const first = committer.submit(request('a', 20_000));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = Array.from({ length: 10 }, () => committer.submit(request('b', 20_000)));
    await expect(committer.submit(request('c', 1))).rejects.toMatchObject({ code: 'OVERLOADED' });
    release();
    await Promise.all([first, ...waiting]);
    await expect(committer.submit(request('d', 1))).resolves.toMatchObject({ duplicate: false });
  });
});
