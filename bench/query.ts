// npm run bench:query: latency of the query API over a year of events (10,000,000 by default) on
// the real server, against the naive alternative — reading and summing every raw event of the
// same range from its blocks — on the same database. Options: --events N, --sqlite-only,
// --postgres URL.
// Results: bench/results/query-*.json.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { decodeBlock } from '../apps/server/dist/modules/ingest/event-block.js';
import { ROOT, startMeasurely } from './lib.js';
import {
  COUNTRIES,
  type Dataset,
  DEFAULT_EVENTS,
  type DialectName,
  ensureDataset,
  postgresReachable,
} from './query-data.js';

const WARMUP_CALLS = 10;
const CALLS = 200;
const MAX_SECONDS_PER_QUERY = 20;
const NAIVE_RUNS = 5;
const MAX_NAIVE_SECONDS = 60;
const SEED = 20_261_128;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: String(DEFAULT_EVENTS) },
    'sqlite-only': { type: 'boolean', default: false },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const EVENTS = Number(args.events);
if (!Number.isSafeInteger(EVENTS) || EVENTS < 1_000) {
  throw new Error(`--events must be an integer of at least 1000, got ${args.events}`);
}

/** How the naive alternative groups the raw events of the API's range. */
type Naive =
  | {
      readonly kind: 'series';
      readonly bucket: 'day' | 'minute';
      readonly tz: string;
      readonly filter?: readonly [string, string];
    }
  | { readonly kind: 'breakdown'; readonly by: string };

interface QuerySpec {
  readonly name: string;
  readonly path: 'series' | 'breakdown';
  readonly params: Record<string, string>;
  /** p50 target, ms. */
  readonly target: number;
  readonly naive: Naive;
}

function queriesAsOf(asOf: number): QuerySpec[] {
  const to = new Date(asOf).toISOString();
  const ago = (ms: number) => new Date(asOf - ms).toISOString();
  const country = COUNTRIES[2];
  return [
    {
      name: 'year by day (UTC)',
      path: 'series',
      params: { from: ago(365 * DAY_MS), to, granularity: 'day', tz: 'UTC' },
      target: 10,
      naive: { kind: 'series', bucket: 'day', tz: 'UTC' },
    },
    {
      name: 'year by day (Europe/Paris)',
      path: 'series',
      params: { from: ago(365 * DAY_MS), to, granularity: 'day', tz: 'Europe/Paris' },
      target: 10,
      naive: { kind: 'series', bucket: 'day', tz: 'Europe/Paris' },
    },
    {
      name: 'last 24 h by minute',
      path: 'series',
      params: { from: ago(DAY_MS), to, granularity: 'minute' },
      target: 10,
      naive: { kind: 'series', bucket: 'minute', tz: 'UTC' },
    },
    {
      name: `30 days by day, country=${country}`,
      path: 'series',
      params: { from: ago(30 * DAY_MS), to, granularity: 'day', 'filter[country]': country },
      target: 20,
      naive: { kind: 'series', bucket: 'day', tz: 'UTC', filter: ['country', country] },
    },
    {
      name: '30 days breakdown by page',
      path: 'breakdown',
      params: { by: 'page', from: ago(30 * DAY_MS), to },
      target: 20,
      naive: { kind: 'breakdown', by: 'page' },
    },
  ];
}

// ---- HTTP: one keep-alive connection, calls one after the other ----

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, headers: http.OutgoingHttpHeaders): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve([res.statusCode ?? 0, body]));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

interface Latency {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function summarise(times: readonly number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    calls: sorted.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p90Ms: round(percentile(sorted, 0.9)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/**
 * Calls `url` until CALLS calls or MAX_SECONDS_PER_QUERY, after a warm-up; stops at the first
 * answer other than 200 and reports it.
 */
async function measureApi(
  url: string,
  readKey: string,
): Promise<{ latency: Latency; body?: unknown; error?: string }> {
  const headers = { authorization: `Bearer ${readKey}` };
  const times: number[] = [];
  let body = '';
  const call = async (): Promise<string | undefined> => {
    const start = performance.now();
    const [status, text] = await get(url, headers);
    if (status !== 200)
      return `HTTP ${status} after ${round(performance.now() - start)} ms: ${text.slice(0, 200)}`;
    body = text;
    times.push(performance.now() - start);
    return undefined;
  };
  const warmupEnd = performance.now() + (MAX_SECONDS_PER_QUERY * 1000) / 4;
  for (let i = 0; i < WARMUP_CALLS && performance.now() < warmupEnd; i++) {
    const error = await call();
    if (error !== undefined) return { latency: summarise([]), error };
  }
  times.length = 0;
  const deadline = performance.now() + MAX_SECONDS_PER_QUERY * 1000;
  while (times.length < CALLS && performance.now() < deadline) {
    const error = await call();
    if (error !== undefined) return { latency: summarise(times), error };
  }
  return { latency: summarise(times), body: JSON.parse(body) };
}

// ---- The naive alternative: every raw event of the range, decoded and summed ----

/** The UTC offset of `tz` at `ts`, in ms. */
function offsetAt(ts: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(ts);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
  );
  return local - (ts - (((ts % MINUTE_MS) + MINUTE_MS) % MINUTE_MS));
}

/**
 * The offset of `tz` from UTC over [from, to) as steps: each holds until its `until` (exclusive),
 * the last one to the end. Changes are found hour by hour, then to the minute.
 */
function offsetSteps(
  tz: string,
  from: number,
  to: number,
): Array<{ until: number; offset: number }> {
  let current = offsetAt(from, tz);
  const steps: Array<{ until: number; offset: number }> = [];
  for (let t = from; t < to; t += 3_600_000) {
    const next = offsetAt(Math.min(t + 3_600_000, to), tz);
    if (next === current) continue;
    let lo = t;
    let hi = Math.min(t + 3_600_000, to);
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
      if (offsetAt(mid, tz) === current) lo = mid;
      else hi = mid;
    }
    steps.push({ until: hi, offset: current });
    current = next;
  }
  steps.push({ until: Number.POSITIVE_INFINITY, offset: current });
  return steps;
}

/** A bucket (or a breakdown value) with its sum in micro-units and its count. */
interface NaiveRow {
  k: string;
  s: bigint;
  c: number;
}

interface Block {
  readonly first_ts: number | string;
  readonly events: string;
}

/** The blocks of a metric whose hour lies in [fromHour, to), a page at a time. */
interface BlockSource {
  blocks(metricId: string, fromHour: number, to: number): AsyncGenerator<Block[], void>;
  close(): Promise<void>;
}

const BLOCKS_PER_PAGE = 256;
/** Keyset pages over the (metric_id, hour, first_ts, id) index. */
const BLOCK_PAGE_SQL = `select hour, first_ts, id, events from event_blocks
  where metric_id = ? and hour >= ? and hour < ? and (hour, first_ts, id) > (?, ?, ?)
  order by hour, first_ts, id limit ${BLOCKS_PER_PAGE}`;

async function blockSource(dataset: Dataset): Promise<BlockSource> {
  type Page = Array<Block & { hour: number | string; id: number | string }>;
  let read: (parameters: unknown[]) => Promise<Page>;
  let close: () => Promise<void>;
  if (dataset.dialect === 'sqlite') {
    const db = new SQLite(dataset.databaseUrl.slice('sqlite:'.length), {
      readonly: true,
      fileMustExist: true,
    });
    const page = db.prepare(BLOCK_PAGE_SQL);
    read = async (parameters) => page.all(...parameters) as Page;
    close = async () => {
      db.close();
    };
  } else {
    const client = new pg.Client({ connectionString: dataset.databaseUrl });
    await client.connect();
    let n = 0;
    const text = BLOCK_PAGE_SQL.replace(/\?/g, () => `$${++n}`);
    read = async (parameters) => (await client.query(text, parameters)).rows as Page;
    close = () => client.end();
  }
  return {
    async *blocks(metricId, fromHour, to) {
      let after: unknown[] = [fromHour - 1, 0, 0];
      for (;;) {
        const rows = await read([metricId, fromHour, to, ...after]);
        if (rows.length > 0) yield rows;
        const last = rows.at(-1);
        if (last === undefined || rows.length < BLOCKS_PER_PAGE) return;
        after = [Number(last.hour), Number(last.first_ts), Number(last.id)];
      }
    },
    close,
  };
}

/** Where an event goes: its bucket (or filter value), or undefined when the query leaves it out. */
type NaiveKey = (ts: number, filters: string) => string | undefined;

/**
 * The grouping of the naive answer over [from, to): the day or minute of an event's local time,
 * shifted by the zone's offset at that instant (worked out here, before any timing), or its
 * filter value.
 */
function naiveKey(naive: Naive, from: number, to: number): NaiveKey {
  if (naive.kind === 'breakdown') {
    return (_, filters) => String((JSON.parse(filters) as Record<string, string>)[naive.by]);
  }
  const size = naive.bucket === 'day' ? DAY_MS : MINUTE_MS;
  const origin = from + offsetAt(from, naive.tz);
  const steps = offsetSteps(naive.tz, from, to);
  const { filter } = naive;
  return (ts, filters) => {
    if (
      filter !== undefined &&
      (JSON.parse(filters) as Record<string, string>)[filter[0]] !== filter[1]
    ) {
      return undefined;
    }
    const offset = steps.find((step) => ts < step.until)?.offset ?? 0;
    return String(Math.trunc((ts + offset - origin) / size));
  };
}

/** The naive answer: every block of the range's hours read and decoded, each event in range summed. */
async function naiveAggregate(
  source: BlockSource,
  keyOf: NaiveKey,
  metricId: string,
  from: number,
  to: number,
): Promise<NaiveRow[]> {
  const sums = new Map<string, NaiveRow>();
  const fromHour = from - (((from % 3_600_000) + 3_600_000) % 3_600_000);
  for await (const blocks of source.blocks(metricId, fromHour, to)) {
    for (const block of blocks) {
      for (const event of decodeBlock(Number(block.first_ts), block.events)) {
        if (event.ts < from || event.ts >= to) continue;
        const k = keyOf(event.ts, event.filters);
        if (k === undefined) continue;
        let row = sums.get(k);
        if (row === undefined) {
          row = { k, s: 0n, c: 0 };
          sums.set(k, row);
        }
        row.s += BigInt(event.value);
        row.c += 1;
      }
    }
  }
  return [...sums.values()];
}

async function measureNaive(
  run: () => Promise<NaiveRow[]>,
): Promise<{ runs: number; p50Ms: number; timesMs: number[]; rows: NaiveRow[] }> {
  const times: number[] = [];
  let rows: NaiveRow[] = [];
  const started = performance.now();
  while (times.length < NAIVE_RUNS && performance.now() - started < MAX_NAIVE_SECONDS * 1000) {
    const start = performance.now();
    rows = await run();
    times.push(performance.now() - start);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    runs: times.length,
    p50Ms: round(percentile(sorted, 0.5)),
    timesMs: times.map(round),
    rows,
  };
}

// ---- Both answers must agree: the API's buckets are the raw events' sums ----

interface Amount {
  readonly sum: number;
  readonly count: number;
}

const close = (a: number, micros: bigint) => {
  const b = Number(micros) / 1e6;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
};

/** Differences between the API's answer and the naive rows; empty when they agree. */
function compare(spec: QuerySpec, body: unknown, rows: NaiveRow[]): string[] {
  const naive = new Map(rows.map((r) => [r.k, { micros: r.s, count: r.c }]));
  const problems: string[] = [];
  const check = (key: string, api: Amount) => {
    const expected = naive.get(key) ?? { micros: 0n, count: 0 };
    naive.delete(key);
    if (api.count !== expected.count || !close(api.sum, expected.micros)) {
      problems.push(
        `${key}: API ${api.sum}/${api.count}, events ${Number(expected.micros) / 1e6}/${expected.count}`,
      );
    }
  };
  if (spec.path === 'series') {
    const { buckets } = body as { buckets: Amount[] };
    for (const [i, bucket] of buckets.entries()) check(String(i), bucket);
  } else {
    const { values } = body as { values: Array<Amount & { value: string }> };
    for (const value of values) check(value.value, value);
  }
  for (const [key, rest] of naive) problems.push(`${key}: only in the events (${rest.count})`);
  return problems;
}

// ---- The run ----

interface QueryResult extends Latency {
  readonly name: string;
  readonly url: string;
  readonly targetP50Ms: number;
  readonly met: boolean;
  readonly naive: { runs: number; p50Ms: number; timesMs: number[] };
  readonly speedUp: number | null;
  /** The API's answer equals the raw events' sums; null when the API failed. */
  readonly agrees: boolean | null;
  readonly error?: string;
}

async function benchDialect(dataset: Dataset): Promise<QueryResult[]> {
  const server = await startMeasurely({
    ...process.env,
    DATABASE_URL: dataset.databaseUrl,
    LOG_LEVEL: 'warn',
  });
  const api: Array<{
    spec: QuerySpec;
    url: string;
    latency: Latency;
    body?: unknown;
    error?: string;
  }> = [];
  try {
    for (const spec of queriesAsOf(dataset.asOf)) {
      const query = new URLSearchParams(spec.params).toString();
      const url = `${server.url}/api/projects/${dataset.projectId}/metrics/${dataset.metricId}/${spec.path}?${query}`;
      const measured = await measureApi(url, dataset.readKey);
      const { latency, error } = measured;
      console.log(
        `  API   ${spec.name.padEnd(34)} p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms (${latency.calls} calls)${error === undefined ? '' : `; FAILED: ${error}`}`,
      );
      api.push({ spec, url, ...measured });
    }
  } finally {
    await server.stop();
  }

  const source = await blockSource(dataset);
  const results: QueryResult[] = [];
  try {
    for (const { spec, url, latency, body, error } of api) {
      // The API's own range (whole buckets); the requested one, to the minute, if it failed.
      const requested = Date.parse(spec.params.from ?? '');
      const range = (body ?? {
        from: new Date(requested - (requested % MINUTE_MS)).toISOString(),
        to: spec.params.to,
      }) as { from: string; to: string };
      const [from, to] = [Date.parse(range.from), Date.parse(range.to)];
      const keyOf = naiveKey(spec.naive, from, to);
      const naive = await measureNaive(() =>
        naiveAggregate(source, keyOf, dataset.metricId, from, to),
      );
      const problems = body === undefined ? [] : compare(spec, body, naive.rows);
      console.log(
        `  naive ${spec.name.padEnd(34)} p50 ${naive.p50Ms} ms (${naive.runs} runs)${problems.length === 0 ? '' : `; DISAGREES: ${problems.slice(0, 3).join('; ')}`}`,
      );
      results.push({
        name: spec.name,
        url: url.replace(/^http:\/\/[^/]+/, ''),
        ...latency,
        targetP50Ms: spec.target,
        met: error === undefined && latency.p50Ms <= spec.target,
        naive: { runs: naive.runs, p50Ms: naive.p50Ms, timesMs: naive.timesMs },
        speedUp: error === undefined ? Number((naive.p50Ms / latency.p50Ms).toPrecision(2)) : null,
        agrees: error === undefined ? problems.length === 0 : null,
        ...(error === undefined ? {} : { error }),
      });
    }
  } finally {
    await source.close();
  }
  return results;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

const mb = (bytes: number | undefined) =>
  `${Math.round((bytes ?? 0) / 1_048_576).toLocaleString('en')} MB`;

const dialects: DialectName[] = ['sqlite'];
if (!args['sqlite-only']) {
  if (await postgresReachable(args.postgres)) dialects.push('postgres');
  else console.log(`PostgreSQL unreachable at ${args.postgres}: measuring SQLite only.`);
}

const date = new Date().toISOString();
const report: Array<{
  dataset: Omit<Dataset, 'readKey'>;
  loadAverage: number[];
  queries: QueryResult[];
}> = [];
for (const dialect of dialects) {
  const dataset = await ensureDataset({
    dialect,
    events: EVENTS,
    seed: SEED,
    postgresUrl: args.postgres,
  });
  // The machine may be shared: the load when measuring starts says how busy it was.
  const loadAverage = os.loadavg().map((l) => Number(l.toFixed(2)));
  console.log(`${dialect}: measuring (${os.cpus().length} cores, load ${loadAverage.join(' ')})…`);
  const queries = await benchDialect(dataset);
  const { readKey: _secret, ...described } = dataset;
  report.push({ dataset: described, loadAverage, queries });
}

for (const { dataset, queries } of report) {
  const { generation, rollupRows, bytes } = dataset;
  console.log(
    `\n${dataset.dialect}: ${dataset.events.toLocaleString('en')} events, generated at ${generation.eventsPerSec.toLocaleString('en')} events/s (${generation.seconds} s); database ${mb(bytes.total)} (event blocks ${mb(bytes.event_blocks)} + index ${mb(bytes.event_blocks_metric_hour)}, rollups minute ${mb(bytes.rollups_minute)}, hour ${mb(bytes.rollups_hour)}, day ${mb(bytes.rollups_day)}); rollup rows minute ${rollupRows.minute.toLocaleString('en')}, hour ${rollupRows.hour.toLocaleString('en')}, day ${rollupRows.day.toLocaleString('en')}`,
  );
  console.log(
    table([
      [
        'query',
        'calls',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'target',
        'naive p50 ms',
        'speed-up',
        'result',
      ],
      ...queries.map((q) => [
        q.name,
        String(q.calls),
        q.p50Ms.toFixed(2),
        q.p90Ms.toFixed(2),
        q.p99Ms.toFixed(2),
        q.maxMs.toFixed(2),
        `≤ ${q.targetP50Ms}`,
        q.naive.p50Ms.toFixed(q.naive.p50Ms < 10 ? 1 : 0),
        q.speedUp === null ? '-' : `${q.speedUp}×`,
        `${q.met ? 'PASS' : 'FAIL'}${q.error === undefined ? '' : ' (error)'}${q.agrees === false ? ' (answers differ)' : ''}`,
      ]),
    ]),
  );
}

fs.mkdirSync(`${ROOT}bench/results`, { recursive: true });
const file = `${ROOT}bench/results/query-${date.slice(0, 19).replaceAll(':', '-')}.json`;
const result = {
  date,
  machine: { cores: os.cpus().length, node: process.version },
  method: {
    warmupCalls: WARMUP_CALLS,
    calls: CALLS,
    maxSecondsPerQuery: MAX_SECONDS_PER_QUERY,
    naiveRuns: NAIVE_RUNS,
    maxNaiveSeconds: MAX_NAIVE_SECONDS,
  },
  dialects: report,
};
fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwritten to ${path.relative(ROOT, file)}`);
agent.destroy();
if (report.some((r) => r.queries.some((q) => q.agrees === false))) {
  throw new Error('the API and the raw events disagree: the measure is void');
}
