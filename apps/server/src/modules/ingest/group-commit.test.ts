import { describe, expect, it, vi } from 'vitest';
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

  it('waits for requests still coming in over the next turns of the event loop, up to eight', async () => {
    const writes: number[] = [];
    const committer = new GroupCommitter(async (requests) => {
      writes.push(requests.length);
      return stored(requests);
    });
    // Two requests in one turn, then one a turn, as answered clients come back one after another
    // under load (each arrives before the committer looks again, as requests read from sockets do).
    const pending = [committer.submit(request('a')), committer.submit(request('b'))];
    let arrived = 0;
    await new Promise<void>((resolve) => {
      const arrive = (): void => {
        pending.push(committer.submit(request(`p${arrived}`)));
        arrived += 1;
        if (arrived < 12) setImmediate(arrive);
        else resolve();
      };
      setImmediate(arrive);
    });
    await Promise.all(pending);
    // The first commit waited eight turns: the two, and the seven that came in the meantime.
    expect(writes[0]).toBe(9);
    expect(writes.reduce((sum, n) => sum + n, 0)).toBe(14);
  });

  it('commits a lone request after one turn of the event loop', async () => {
    const writes: number[] = [];
    const committer = new GroupCommitter(async (requests) => {
      writes.push(requests.length);
      return stored(requests);
    });
    const answered = committer.submit(request('a'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([1]);
    await answered;
  });

  it('tells the requests of a store that commits synchronously in the turn it commits', async () => {
    const log: string[] = [];
    const committer = new GroupCommitter((requests) => {
      // Runs only once the turn's synchronous work is done.
      queueMicrotask(() => log.push('microtask'));
      log.push(`commit ${requests.length}`);
      return stored(requests);
    });
    const told = (name: string) => ({
      resolve: () => log.push(`told ${name}`),
      reject: () => log.push(`failed ${name}`),
    });
    committer.enqueue(request('a'), told('a'));
    committer.enqueue(request('b'), told('b'));
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['commit 2', 'told a', 'told b', 'microtask']);
  });

  it('tells the rest of a group when a callback throws, and throws its exception afterwards', async () => {
    const thrown: Array<() => void> = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      thrown.push(task);
    });
    try {
      const committer = new GroupCommitter((requests) => stored(requests));
      const told: string[] = [];
      committer.enqueue(request('a'), {
        resolve: () => {
          throw new Error('a bug in an answer');
        },
        reject: () => told.push('failed a'),
      });
      committer.enqueue(request('b'), {
        resolve: () => told.push('told b'),
        reject: () => told.push('failed b'),
      });
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(told).toEqual(['told b']);
      expect(thrown).toHaveLength(1);
      expect(() => thrown[0]?.()).toThrow('a bug in an answer');
    } finally {
      spy.mockRestore();
    }
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

describe('GroupCommitter with a store that syncs after committing', () => {
  it('answers a group only once it is durable, and commits the next one after it', async () => {
    const log: string[] = [];
    const syncs: Array<() => void> = [];
    const committer = new GroupCommitter(
      async (requests) => {
        log.push(`commit ${requests.map((r) => r.projectId).join('')}`);
        return stored(requests);
      },
      () =>
        new Promise<void>((resolve) => {
          syncs.push(resolve);
        }),
    );
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const a = committer.submit(request('a')).then(() => log.push('answered a'));
    await turn();
    // Requests arriving while a's group reaches the disk wait for it, and then commit together.
    const b = committer.submit(request('b')).then(() => log.push('answered b'));
    await turn();
    const c = committer.submit(request('c')).then(() => log.push('answered c'));
    await turn();
    await turn();
    expect(log).toEqual(['commit a']);
    syncs[0]?.();
    await a;
    await turn();
    await turn();
    expect(log).toEqual(['commit a', 'answered a', 'commit bc']);
    syncs[1]?.();
    await Promise.all([b, c]);
    expect(log).toEqual(['commit a', 'answered a', 'commit bc', 'answered b', 'answered c']);
    await expect(committer.drain()).resolves.toBeUndefined();
  });

  it('drains what waits behind a sync', async () => {
    const committed: string[] = [];
    const committer = new GroupCommitter(
      async (requests) => {
        committed.push(...requests.map((r) => r.projectId));
        return stored(requests);
      },
      () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
    );
    const a = committer.submit(request('a'));
    await new Promise((resolve) => setImmediate(resolve));
    const b = committer.submit(request('b'));
    await committer.drain();
    expect(committed).toEqual(['a', 'b']);
    await expect(Promise.all([a, b])).resolves.toHaveLength(2);
  });

  it('fails the group whose sync fails, and drain waits for pending syncs', async () => {
    let fail: (error: Error) => void = () => undefined;
    const committer = new GroupCommitter(
      async (requests) => stored(requests),
      () =>
        new Promise<void>((_resolve, reject) => {
          fail = reject;
        }),
    );
    const submitted = committer.submit(request('a'));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    let drained = false;
    const draining = committer.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    fail(new Error('EIO'));
    await expect(submitted).rejects.toThrow('EIO');
    await draining;
    expect(drained).toBe(true);
  });

  it('answers at once a group the store made durable on the spot', async () => {
    let syncs = 0;
    const committer = new GroupCommitter(
      async (requests) => stored(requests),
      () => {
        syncs += 1;
        return undefined;
      },
    );
    await Promise.all(['a', 'b'].map((p) => committer.submit(request(p))));
    await committer.submit(request('c'));
    expect(syncs).toBe(2);
    await expect(committer.drain()).resolves.toBeUndefined();
  });

  it('fails the group whose sync on the spot throws, and goes on with the next', async () => {
    let syncs = 0;
    const committer = new GroupCommitter(
      async (requests) => stored(requests),
      () => {
        syncs += 1;
        if (syncs === 1) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return undefined;
      },
    );
    await expect(committer.submit(request('a'))).rejects.toThrow('EIO');
    await expect(committer.submit(request('b'))).resolves.toMatchObject({ duplicate: false });
  });
});
