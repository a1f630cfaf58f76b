import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest for their size. Vitest starts the slowest files first when it has the
 * timings of an earlier run, and the largest ones when it has none (a fresh clone, as in CI):
 * these would then start last and run alone at the end.
 */
const SLOW_FIRST = [
  'apps/server/src/cli/import-million.test.ts',
  'apps/server/src/modules/ingest/fuzz.test.ts',
  'apps/server/src/modules/projects/projects.test.ts',
  'apps/server/src/cli/remote-commands.test.ts',
  'apps/server/src/modules/ingest/ingest.test.ts',
  'apps/server/src/modules/ingest/crash.test.ts',
  'packages/sdk/test/retries.test.ts',
  'apps/server/src/modules/export/export.stream.test.ts',
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((slow) => file.moduleId.endsWith(slow));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    return sorted
      .map((file, order) => ({ file, order, rank: rank(file) }))
      .sort((a, b) => a.rank - b.rank || a.order - b.order)
      .map(({ file }) => file);
  }
}

export default defineConfig({
  test: {
    include: [
      'apps/*/src/**/*.test.ts',
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
    ],
    // Files wait on I/O (databases, child processes, timers) between bursts of CPU: one worker
    // more than cores keeps them busy (vitest's default, cores - 1, is one worker on two cores).
    // More only adds contention. Capped so PostgreSQL pools stay within its max_connections.
    maxWorkers: Math.min(availableParallelism() + 1, 8),
    sequence: { sequencer: SlowFirstSequencer },
    // Every test signs users up and in: at the default scrypt cost (2^15, up to 160 ms a hash on
    // a busy 2-core machine) that was a fifth of the suite's CPU. Hashing at each cost is tested
    // on its own (lib/passwords.test.ts, accounts.test.ts).
    env: { MEASURELY_PASSWORD_HASH_COST: '12' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
