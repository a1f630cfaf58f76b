// npm run bench:commit: what one group commit of single events costs on SQLite (synchronous=FULL),
// on a fresh database and on one holding 30 days of rollups for seven dimension sets — a commit
// must not grow with the rollups (docs/decisions/0017-rollups-folded-after-commits.md). The
// server's own writer (createIngestRepo), no HTTP. Results: bench/results/commit-*.json. Exits 1
// when a commit on the aged database writes more pages to the write-ahead log than on the fresh
// one (frames are counted, not timed: the count does not drift with the host's speed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../apps/server/dist/config.js';
import { systemClock } from '../apps/server/dist/lib/clock.js';
import {
  createIngestRepo,
  type PendingRequest,
} from '../apps/server/dist/modules/ingest/ingest.repo.js';
import { filtersJson } from '../apps/server/dist/modules/ingest/write-plan.js';
import { createServices } from '../apps/server/dist/services.js';
import { openStorage } from '../apps/server/dist/storage/database.js';
import { median, ROOT } from './lib.js';
import { createBenchMetric } from './setup.js';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 2_000);
const EVENTS_PER_COMMIT = 32;
const AGE_DAYS = 30;
/** More WAL frames per commit on the aged database than on the fresh one that fail the run. */
const MAX_EXTRA_FRAMES = 0.5;
const MINUTE = 60_000;
const WAL_FRAME = 4_096 + 24;
const DIMENSION_SETS = [
  '',
  '{"country":"fr"}',
  '{"plan":"pro"}',
  '{"country":"fr","plan":"pro"}',
  '{"country":"us"}',
  '{"plan":"free"}',
  '{"country":"us","plan":"free"}',
];

interface Measure {
  readonly commitP50Us: number;
  readonly commitP90Us: number;
  readonly walFramesPerCommit: number;
}

async function measure(aged: boolean): Promise<Measure> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-commit-'));
  const config = loadConfig(
    { DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`, LOG_LEVEL: 'warn' },
    ROOT,
  );
  const storage = await openStorage(config.database);
  try {
    const sqlite = storage.sqlite;
    if (sqlite === undefined) throw new Error('not SQLite');
    const services = createServices({ storage, config, clock: systemClock });
    const { project, apiKey, metric } = await createBenchMetric(services, {
      label: 'commit',
      project: 'Commit bench',
      metric: 'requests',
    });
    const now = Date.now();
    if (aged) {
      // What a month of ingestion leaves in the rollups: a row per minute, hour and day for each
      // dimension set, the older buckets first.
      const from = now - AGE_DAYS * 1_440 * MINUTE;
      for (const [level, ms] of [
        ['minute', MINUTE],
        ['hour', 60 * MINUTE],
        ['day', 1_440 * MINUTE],
      ] as const) {
        const insert = sqlite.prepare(
          `insert into rollups_${level} (metric_id, bucket, dims, pos, neg, count)
           values (?, ?, ?, 1000000, 0, 1) on conflict do nothing`,
        );
        sqlite.transaction(() => {
          for (let bucket = from - (from % ms); bucket < now - (now % ms); bucket += ms) {
            for (const dims of DIMENSION_SETS) insert.run(metric.id, bucket, dims);
          }
        })();
      }
    }
    const filters: Array<[string, string]> = [
      ['country', 'fr'],
      ['plan', 'pro'],
    ];
    const request = (ts: number): PendingRequest => ({
      projectId: project.id,
      keyId: apiKey.id,
      quota: null,
      events: [
        { metricId: metric.id, micros: 1_250_000n, filters, filtersJson: filtersJson(filters), ts },
      ],
    });
    const repo = createIngestRepo(storage);
    const commit = async (ts: number) =>
      repo.writeRequests(
        Array.from({ length: EVENTS_PER_COMMIT }, () => request(ts)),
        ts,
        ts - 86_400_000,
      );
    // Warm up, then count the write-ahead log's frames with SQLite's own checkpoints held off.
    for (let i = 0; i < 100; i++) await commit(Date.now());
    sqlite.pragma('wal_autocheckpoint = 0');
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const wal = `${sqlite.name}-wal`;
    const walBefore = fs.statSync(wal).size;
    const times: number[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const started = performance.now();
      await commit(Date.now());
      times.push((performance.now() - started) * 1_000);
    }
    const walFramesPerCommit = (fs.statSync(wal).size - walBefore) / WAL_FRAME / COMMITS;
    await repo.close();
    times.sort((a, b) => a - b);
    return {
      commitP50Us: Math.round(median(times)),
      commitP90Us: Math.round(times[Math.floor(times.length * 0.9)] ?? 0),
      walFramesPerCommit: Number(walFramesPerCommit.toFixed(2)),
    };
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Fresh and aged alternately, three times each: the host's speed drifts between minutes.
const fresh: Measure[] = [];
const aged: Measure[] = [];
for (let run = 1; run <= 3; run++) {
  fresh.push(await measure(false));
  aged.push(await measure(true));
  console.log(
    `run ${run}: fresh ${fresh.at(-1)?.commitP50Us} µs (${fresh.at(-1)?.walFramesPerCommit} frames), aged ${aged.at(-1)?.commitP50Us} µs (${aged.at(-1)?.walFramesPerCommit} frames)`,
  );
}
const summary = (runs: Measure[]) => ({
  commitP50Us: median(runs.map((r) => r.commitP50Us)),
  commitP90Us: median(runs.map((r) => r.commitP90Us)),
  walFramesPerCommit: median(runs.map((r) => r.walFramesPerCommit)),
  runs,
});
const result = {
  date: new Date().toISOString(),
  machine: { cores: os.cpus().length, node: process.version },
  commits: COMMITS,
  eventsPerCommit: EVENTS_PER_COMMIT,
  fresh: summary(fresh),
  aged: { days: AGE_DAYS, dimensionSets: DIMENSION_SETS.length, ...summary(aged) },
  growth: Number(
    (median(aged.map((r) => r.commitP50Us)) / median(fresh.map((r) => r.commitP50Us))).toFixed(3),
  ),
  extraFrames: Number(
    (
      median(aged.map((r) => r.walFramesPerCommit)) - median(fresh.map((r) => r.walFramesPerCommit))
    ).toFixed(2),
  ),
  target: { maxExtraFrames: MAX_EXTRA_FRAMES },
};
const pass = result.extraFrames <= MAX_EXTRA_FRAMES;
fs.mkdirSync(`${ROOT}bench/results`, { recursive: true });
const file = `${ROOT}bench/results/commit-${result.date.slice(0, 19).replaceAll(':', '-')}.json`;
fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `commit of ${EVENTS_PER_COMMIT} events, median: fresh ${result.fresh.commitP50Us} µs, after ${AGE_DAYS} days of rollups ${result.aged.commitP50Us} µs (× ${result.growth})`,
);
console.log(
  `write-ahead log frames per commit: fresh ${result.fresh.walFramesPerCommit}, aged ${result.aged.walFramesPerCommit} (${result.extraFrames} more; at most ${MAX_EXTRA_FRAMES}) — ${pass ? 'PASS' : 'FAIL'}`,
);
console.log(`written to ${path.relative(ROOT, file)}`);
if (!pass) process.exitCode = 1;
