// npm run bench: ingestion throughput and latency of the real server on SQLite (every commit on disk
// before its answer), as ratios of a bare Node HTTP baseline measured in the same run. Results:
// bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cli,
  combineLoads,
  diskSyncMicros,
  type LoadResult,
  load,
  median,
  peakRssMb,
  ROOT,
  type Server,
  startMeasurely,
  startReference,
} from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/**
 * Single events: a run gives each server SECONDS in slices of this length, interleaved (baseline,
 * Measurely, Measurely, baseline, …), so that both see the same moments of a host whose speed
 * drifts within seconds.
 */
const SLICE_SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 2);
/** Loads of the warm-up (2 s each) after which the write-ahead log must not have grown. */
const STEADY_LOADS = 3;
const MAX_WARM_UP_LOADS = 20;
const CONNECTIONS = 32;
const BATCH_SIZE = 1000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-bench-'));
const databaseFile = path.join(dir, 'bench.db');
const env = {
  ...process.env,
  DATABASE_URL: `sqlite:${databaseFile}`,
  LOG_LEVEL: 'warn',
  MEASURELY_RATE_LIMIT: '100000000',
  MEASURELY_MAX_BATCH_EVENTS: String(BATCH_SIZE),
};

await cli(
  ['user', 'create', '--email', 'bench@example.com', '--password-stdin'],
  env,
  'bench password\n',
);
const project = await cli(
  ['project', 'create', '--name', 'Bench', '--owner', 'bench@example.com'],
  env,
);
await cli(
  ['metric', 'create', '--project', String(project.id), '--name', 'requests', '--type', 'basic'],
  env,
);
const auth = { authorization: `Bearer ${String(project.apiKey)}` };

const single = JSON.stringify({ value: 1.25, filters: { country: 'fr', plan: 'pro' } });
const batch = JSON.stringify({
  events: Array.from({ length: BATCH_SIZE }, (_, i) => ({
    metric: 'requests',
    value: 1 + (i % 7),
    filters: { country: ['fr', 'us', 'de', 'jp'][i % 4], plan: i % 3 === 0 ? 'pro' : 'free' },
  })),
});

const servers: Server[] = [];
try {
  const baseline = await startReference('baseline.mjs');
  servers.push(baseline);
  const floor = await startReference('fastify-floor.mjs');
  servers.push(floor);
  const server = await startMeasurely(env);
  servers.push(server);
  const storedEvents = async (): Promise<number> =>
    Number(
      (await cli(['metric', 'show', '--project', String(project.id), '--metric', 'requests'], env))
        .eventCount,
    );

  /** Single events to one of the servers, as fast as 32 keep-alive connections go (or at a rate). */
  const singles = (target: Server, seconds: number, rate?: number) =>
    load({
      url: `${target.url}/event/v1/requests`,
      body: single,
      headers: target === server ? auth : {},
      connections: CONNECTIONS,
      seconds,
      ...(rate === undefined ? {} : { rate }),
    });

  // The write-ahead log grows to its working size (the checkpointer restarts it past
  // storage/checkpointer.ts's RESTART_FRAMES) during the first seconds of load after a start;
  // until then every commit extends the file, and the disk sync of an extended file also writes
  // the file system's metadata for its new size and blocks (1 to 13 ms a commit on one host). A
  // server that has been running for more than a few seconds reuses its log: Measurely is
  // measured once the log has stopped growing.
  const walBytes = () =>
    fs.existsSync(`${databaseFile}-wal`) ? fs.statSync(`${databaseFile}-wal`).size : 0;
  console.log(`warming up (${os.cpus().length} cores)…`);
  await singles(baseline, 2);
  const walSizes = [walBytes()];
  while (walSizes.length <= MAX_WARM_UP_LOADS) {
    await singles(server, 2);
    walSizes.push(walBytes());
    const recent = walSizes.slice(-(STEADY_LOADS + 1));
    if (recent.length === STEADY_LOADS + 1 && recent.every((size) => size === recent[0])) break;
  }
  const warmUp = {
    seconds: 2 * (walSizes.length - 1),
    walMb: Number((walBytes() / 1e6).toFixed(1)),
  };
  console.log(`Measurely warmed up for ${warmUp.seconds} s (write-ahead log ${warmUp.walMb} MB)`);

  const storedBefore = await storedEvents();
  const baselineRuns = [];
  const floorRuns = [];
  const singleRuns = [];
  // Each run measures the baseline and Measurely in interleaved slices and is judged on its own
  // ratio: this shared host's speed drifts by tens of percent between runs minutes apart, and
  // within a run from one second to the next; slices seconds apart share the drift
  // (docs/benchmarks.md).
  const pairedRatios: number[] = [];
  /** The disk's sync time before each run, next to its ratio (diskSyncMicros). */
  const diskSyncs: number[] = [];
  const slices = Math.max(1, Math.round(SECONDS / SLICE_SECONDS));
  for (let run = 1; run <= RUNS; run++) {
    diskSyncs.push(diskSyncMicros(dir));
    floorRuns.push(await singles(floor, SECONDS));
    const baselineSlices: LoadResult[] = [];
    const measurelySlices: LoadResult[] = [];
    for (let slice = 0; slice < slices; slice++) {
      const measurelyFirst = (run + slice) % 2 === 0;
      if (measurelyFirst) measurelySlices.push(await singles(server, SLICE_SECONDS));
      baselineSlices.push(await singles(baseline, SLICE_SECONDS));
      if (!measurelyFirst) measurelySlices.push(await singles(server, SLICE_SECONDS));
    }
    baselineRuns.push(combineLoads(baselineSlices));
    singleRuns.push(combineLoads(measurelySlices));
    const baselineRun = baselineRuns.at(-1)?.requestsPerSec ?? 0;
    const singleRun = singleRuns.at(-1)?.requestsPerSec ?? 0;
    pairedRatios.push(singleRun / baselineRun);
    console.log(
      `run ${run}: fastify floor ${floorRuns.at(-1)?.requestsPerSec} req/s, baseline ${baselineRun} req/s, measurely ${singleRun} events/s (${(singleRun / baselineRun).toFixed(3)}); disk sync of 20 kB ${diskSyncs.at(-1)} µs`,
    );
  }
  const maxRate = median(singleRuns.map((r) => r.requestsPerSec));
  const ratio = median(pairedRatios);
  const halfRate = Math.round(maxRate / 2);
  const halfRuns = [];
  for (let run = 1; run <= RUNS; run++) halfRuns.push(await singles(server, SECONDS, halfRate));
  const rssMb = server.process.pid === undefined ? 0 : peakRssMb(server.process.pid);

  const batchRuns = [];
  for (let run = 1; run <= RUNS; run++) {
    batchRuns.push(
      await load({
        url: `${server.url}/event/v1/batch`,
        body: batch,
        headers: auth,
        connections: 4,
        seconds: SECONDS,
      }),
    );
    console.log(
      `batch run ${run}: ${(batchRuns.at(-1)?.requestsPerSec ?? 0) * BATCH_SIZE} events/s`,
    );
  }

  const baselineRps = median(baselineRuns.map((r) => r.requestsPerSec));
  const result = {
    date: new Date().toISOString(),
    machine: { cores: os.cpus().length, node: process.version },
    database: 'sqlite (WAL; every commit on disk before its answer: decisions 0011, 0015)',
    runs: RUNS,
    secondsPerRun: SECONDS,
    singleEventSliceSeconds: SLICE_SECONDS,
    measurelyWarmUp: warmUp,
    baseline: { requestsPerSec: baselineRps, runs: baselineRuns },
    fastifyFloor: {
      requestsPerSec: median(floorRuns.map((r) => r.requestsPerSec)),
      ratioToBaseline: Number(
        (median(floorRuns.map((r) => r.requestsPerSec)) / baselineRps).toFixed(3),
      ),
      runs: floorRuns,
    },
    single: {
      connections: CONNECTIONS,
      eventsPerSec: maxRate,
      /** The median of the runs' own ratios (each run's events/s over its baseline's req/s). */
      ratioToBaseline: Number(ratio.toFixed(3)),
      ratioOfMedians: Number((maxRate / baselineRps).toFixed(3)),
      runRatios: pairedRatios.map((r) => Number(r.toFixed(3))),
      /** Each run's disk: the median time (µs) to sync a 20 kB write, before the run. */
      runDiskSyncMicros: diskSyncs,
      p50Ms: median(singleRuns.map((r) => r.p50Ms)),
      p99Ms: median(singleRuns.map((r) => r.p99Ms)),
      runs: singleRuns,
    },
    halfRate: {
      requestsPerSec: halfRate,
      p50Ms: median(halfRuns.map((r) => r.p50Ms)),
      p99Ms: median(halfRuns.map((r) => r.p99Ms)),
      runs: halfRuns,
    },
    batch: {
      size: BATCH_SIZE,
      eventsPerSec: median(batchRuns.map((r) => r.requestsPerSec * BATCH_SIZE)),
      p50Ms: median(batchRuns.map((r) => r.p50Ms)),
      p99Ms: median(batchRuns.map((r) => r.p99Ms)),
      runs: batchRuns,
    },
    peakRssMbDuringSingleEvents: rssMb,
    targets: {
      singleRatio: { target: 0.6, met: ratio >= 0.6 },
      p99AtHalfRateMs: { target: 10, met: median(halfRuns.map((r) => r.p99Ms)) <= 10 },
      batchEventsPerSec: {
        target: 400_000,
        met: median(batchRuns.map((r) => r.requestsPerSec * BATCH_SIZE)) >= 400_000,
      },
      peakRssMb: { target: 250, met: rssMb <= 250 },
    },
  };

  // Every acknowledged event must be stored: a benchmark that loses data measures nothing. A few
  // more may be stored: requests still in flight when a run's clock stopped.
  const stored = (await storedEvents()) - storedBefore;
  const acknowledged =
    [...singleRuns, ...halfRuns].reduce((n, r) => n + r.ok, 0) +
    batchRuns.reduce((n, r) => n + r.ok * BATCH_SIZE, 0);
  const inFlightBound = RUNS * ((slices + 1) * CONNECTIONS + 4 * BATCH_SIZE);
  console.log(`stored events: ${stored}; acknowledged: ${acknowledged}`);
  if (stored < acknowledged || stored > acknowledged + inFlightBound) {
    throw new Error(`stored ${stored} events for ${acknowledged} acknowledged: data was lost`);
  }

  fs.mkdirSync(`${ROOT}bench/results`, { recursive: true });
  const file = `${ROOT}bench/results/ingest-${result.date.slice(0, 19).replaceAll(':', '-')}.json`;
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    JSON.stringify(
      {
        baseline: baselineRps,
        fastifyFloor: result.fastifyFloor,
        single: result.single,
        halfRate: result.halfRate,
        batch: result.batch,
        rssMb,
        targets: result.targets,
      },
      (k, v) => (k === 'runs' ? undefined : v),
      2,
    ),
  );
  console.log(`written to ${path.relative(ROOT, file)}`);
} finally {
  for (const server of servers) await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
