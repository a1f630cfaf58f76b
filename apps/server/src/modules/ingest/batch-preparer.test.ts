import { afterEach, describe, expect, it } from 'vitest';
import { type BatchParams, prepareBatchText } from './batch-input.js';
import { type BatchPreparer, createBatchPreparer, WORKER_MIN_BYTES } from './batch-preparer.js';

const PARAMS: BatchParams = {
  now: Date.UTC(2026, 10, 28, 12, 0, 0),
  backfillMs: 365 * 86_400_000,
  maxEvents: 1_000,
  fingerprint: true,
};

/** A batch of `count` events, one in seven refused for its own fields. */
function batchText(count: number, salt = 0): string {
  const events = Array.from({ length: count }, (_, i) =>
    i % 7 === 3
      ? { metric: 'signups', value: 'many' }
      : {
          metric: i % 2 === 0 ? 'signups' : 'revenue',
          value: ((i + salt) % 50) + 0.25,
          filters: {
            country: ['FR', 'us', 'Réunion'][i % 3] ?? 'fr',
            plan: i % 5 === 0 ? 'pro' : 'free',
          },
        },
  );
  return JSON.stringify({ events });
}

let preparer: BatchPreparer | undefined;
afterEach(async () => {
  await preparer?.close();
  preparer = undefined;
});

describe('createBatchPreparer', () => {
  it('prepares long batches on its worker exactly as inline, in any number at once', async () => {
    const errors: string[] = [];
    const started = createBatchPreparer((message) => errors.push(message));
    preparer = started;
    const texts = Array.from({ length: 12 }, (_, i) => batchText(1_000, i));
    expect(texts.every((text) => text.length >= WORKER_MIN_BYTES)).toBe(true);
    const prepared = await Promise.all(
      texts.map((text) => started.prepare(Buffer.from(text), PARAMS)),
    );
    prepared.forEach((batch, i) => {
      expect(batch).toEqual(prepareBatchText(texts[i] ?? '', PARAMS));
      expect(batch.count).toBe(1_000);
      expect(batch.rejected.length).toBe(143);
    });
    expect(errors).toEqual([]);
    expect(started.stats()).toEqual({ onWorker: 12, inline: 0 });
  });

  it('prepares only the bytes of a view into a larger buffer', async () => {
    preparer = createBatchPreparer(() => {});
    const text = batchText(1_000, 5);
    const body = Buffer.from(text);
    const around = Buffer.concat([Buffer.from('{"events": ['), body, Buffer.from(']}')]);
    const view = around.subarray(12, 12 + body.length);
    expect(await preparer.prepare(view, PARAMS)).toEqual(prepareBatchText(text, PARAMS));
    expect(preparer.stats()).toEqual({ onWorker: 1, inline: 0 });
  });

  it('prepares short batches inline', async () => {
    preparer = createBatchPreparer(() => {});
    const text = batchText(10);
    expect(await preparer.prepare(Buffer.from(text), PARAMS)).toEqual(
      prepareBatchText(text, PARAMS),
    );
    expect(preparer.stats()).toEqual({ onWorker: 0, inline: 1 });
  });

  it('refuses a long body that is not JSON as inline', async () => {
    preparer = createBatchPreparer(() => {});
    const text = `${batchText(1_000).slice(0, -2)}!`;
    expect((await preparer.prepare(Buffer.from(text), PARAMS)).refused?.code).toBe('INVALID_JSON');
  });

  it('falls back to inline preparation, the batches it held included, if the worker fails', async () => {
    const errors: string[] = [];
    const broken = createBatchPreparer((message) => errors.push(message), {
      module: new URL('./no-such-module.js', import.meta.url).href,
    });
    preparer = broken;
    const texts = [batchText(1_000, 1), batchText(1_000, 2), batchText(1_000, 3)];
    const prepared = await Promise.all(
      texts.map((text) => broken.prepare(Buffer.from(text), PARAMS)),
    );
    prepared.forEach((batch, i) => {
      expect(batch).toEqual(prepareBatchText(texts[i] ?? '', PARAMS));
    });
    expect(errors).toEqual([expect.stringContaining('batch preparation falls back')]);
    expect(broken.stats()).toEqual({ onWorker: 0, inline: 3 });
  });

  it('prepares inline once closed', async () => {
    preparer = createBatchPreparer(() => {});
    await preparer.close();
    const text = batchText(1_000);
    expect(await preparer.prepare(Buffer.from(text), PARAMS)).toEqual(
      prepareBatchText(text, PARAMS),
    );
    expect(preparer.stats()).toEqual({ onWorker: 0, inline: 1 });
  });
});
