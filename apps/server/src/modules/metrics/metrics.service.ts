import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import { formatMicros } from '../../lib/decimal.js';
import type { InvalidationBus } from '../../lib/invalidation-bus.js';
import { newId } from '../../lib/tokens.js';
import { SHARED_CACHE_TTL_MS, TtlCache } from '../../lib/ttl-cache.js';
import { validate, validationError } from '../../lib/validate.js';
import type { MetricRow, MetricUpdate, ProjectRow } from '../../storage/schema.js';
import type { Authorize } from '../projects/project-access.js';
import type { MetricsRepo } from './metrics.repo.js';
import { CreateMetricBody, type Metric, UpdateMetricBody } from './metrics.schemas.js';
import { PRESET_UNITS, type Unit } from './units.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names the ingestion routes use for themselves: `/event/v1/batch`. */
const RESERVED_NAMES = new Set(['batch']);

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

function resolveUnit(unit: CreateMetricBody['unit']): Unit | null {
  if (unit === undefined || unit === null) return null;
  if (typeof unit === 'string') return PRESET_UNITS[unit] ?? null;
  return { name: unit.name.trim(), symbol: unit.symbol.trim() };
}

export function toMetric(row: MetricRow): Metric {
  const positive = BigInt(row.totalPositive);
  const negative = BigInt(row.totalNegative);
  const totalExact = formatMicros(row.type === 'basic' ? positive : positive - negative);
  const count = Number(row.eventCount);
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    type: row.type,
    unit:
      row.unitName === null || row.unitSymbol === null
        ? null
        : { name: row.unitName, symbol: row.unitSymbol },
    positiveName: row.positiveName,
    negativeName: row.negativeName,
    total: Number(totalExact),
    totalExact,
    positive: row.type === 'dual' ? Number(formatMicros(positive)) : null,
    negative: row.type === 'dual' ? Number(formatMicros(negative)) : null,
    average: row.type === 'average' && count > 0 ? Number(totalExact) / count : null,
    eventCount: count,
    lastEventAt: row.lastEventAt === null ? null : new Date(row.lastEventAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') {
    throw validationError([{ pointer: '/name', message: 'must not be blank' }]);
  }
  if (isUuid(trimmed)) {
    throw validationError([{ pointer: '/name', message: 'must not look like a metric id (UUID)' }]);
  }
  if (RESERVED_NAMES.has(trimmed.toLowerCase())) {
    throw validationError([{ pointer: '/name', message: `"${trimmed}" is reserved` }]);
  }
  return trimmed;
}

function checkSideNames(type: Metric['type'], body: UpdateMetricBody): void {
  if (type !== 'dual' && (body.positiveName !== undefined || body.negativeName !== undefined)) {
    throw validationError([
      {
        pointer: '/positiveName',
        message: 'positiveName and negativeName apply to dual metrics only',
      },
    ]);
  }
}

function nameTaken(name: string): AppError {
  return new AppError('METRIC_NAME_TAKEN', `This project already has a metric named "${name}".`);
}

/** What ingestion needs of a metric. */
export interface IngestMetric {
  readonly id: string;
  readonly projectId: string;
  readonly type: MetricRow['type'];
}

const INGEST_CACHE_LIMIT = 50_000;

/** The cache key of a metric reference: its lower-cased id, or its trimmed name. */
function ingestCacheKey(projectId: string, ref: string): string {
  return `${projectId}\u0000${isUuid(ref) ? ref.toLowerCase() : ref.trim()}`;
}

export function createMetricsService(deps: {
  repo: MetricsRepo;
  authorize: Authorize;
  clock: Clock;
  bus: InvalidationBus;
}) {
  const { repo, authorize, clock, bus } = deps;
  // (project, id or name as sent) → metric, for the ingestion hot path. Renames and deletions
  // evict through the bus, the TTL bounds changes made elsewhere. Names are not case-folded here:
  // the database decides what matches (SQLite's lower() folds ASCII only).
  const ingestCache = new TtlCache<string, IngestMetric>(
    clock,
    SHARED_CACHE_TTL_MS,
    INGEST_CACHE_LIMIT,
  );
  const evictProject = (projectId: string): void =>
    ingestCache.evictWhere((metric) => metric.projectId === projectId);
  bus.subscribe('metric', evictProject);
  bus.subscribe('project', evictProject);

  async function findMetric(projectId: string, idOrName: string): Promise<MetricRow> {
    const row = isUuid(idOrName)
      ? await repo.findMetricById(projectId, idOrName.toLowerCase())
      : await repo.findMetricByName(projectId, idOrName.trim());
    if (row === undefined) {
      throw new AppError('METRIC_NOT_FOUND', `No metric "${idOrName}" in this project.`);
    }
    return row;
  }

  return {
    async createMetric(actor: Actor, projectId: string, input: CreateMetricBody): Promise<Metric> {
      await authorize(actor, projectId, 'manage');
      const body = validate(CreateMetricBody, input);
      const name = checkName(body.name);
      checkSideNames(body.type, body);
      const dual = body.type === 'dual';
      const unit = resolveUnit(body.unit);
      const now = clock.now();
      const id = newId();
      const inserted = await repo.insertMetric({
        id,
        projectId,
        name,
        type: body.type,
        unitName: unit?.name ?? null,
        unitSymbol: unit?.symbol ?? null,
        positiveName: dual ? (body.positiveName?.trim() ?? 'positive') : null,
        negativeName: dual ? (body.negativeName?.trim() ?? 'negative') : null,
        lastEventAt: null,
        createdAt: now,
        updatedAt: now,
      });
      if (!inserted) throw nameTaken(name);
      return toMetric(await findMetric(projectId, id));
    },

    async listMetrics(actor: Actor, projectId: string): Promise<Metric[]> {
      await authorize(actor, projectId, 'read');
      return (await repo.listMetrics(projectId)).map(toMetric);
    },

    /** Finds a metric by its id or, when the argument is not a UUID, by its name. */
    async getMetric(actor: Actor, projectId: string, idOrName: string): Promise<Metric> {
      await authorize(actor, projectId, 'read');
      return toMetric(await findMetric(projectId, idOrName));
    },

    /** getMetric, with the project it belongs to (for its limits). */
    async getMetricWithProject(
      actor: Actor,
      projectId: string,
      idOrName: string,
    ): Promise<{ metric: Metric; project: ProjectRow }> {
      const { project } = await authorize(actor, projectId, 'read');
      return { metric: toMetric(await findMetric(projectId, idOrName)), project };
    },

    async updateMetric(
      actor: Actor,
      projectId: string,
      idOrName: string,
      input: UpdateMetricBody,
    ): Promise<Metric> {
      await authorize(actor, projectId, 'manage');
      const body = validate(UpdateMetricBody, input);
      const metric = await findMetric(projectId, idOrName);
      checkSideNames(metric.type, body);
      const patch: MetricUpdate = { updatedAt: clock.now() };
      if (body.name !== undefined) patch.name = checkName(body.name);
      if (body.unit !== undefined) {
        const unit = resolveUnit(body.unit);
        patch.unitName = unit?.name ?? null;
        patch.unitSymbol = unit?.symbol ?? null;
      }
      if (body.positiveName !== undefined) patch.positiveName = body.positiveName.trim();
      if (body.negativeName !== undefined) patch.negativeName = body.negativeName.trim();
      if (!(await repo.updateMetric(metric.id, patch))) throw nameTaken(patch.name ?? metric.name);
      await bus.publish('metric', projectId);
      return toMetric(await findMetric(projectId, metric.id));
    },

    /** Deletes a metric and everything recorded for it. */
    async deleteMetric(actor: Actor, projectId: string, idOrName: string): Promise<void> {
      await authorize(actor, projectId, 'manage');
      const metric = await findMetric(projectId, idOrName);
      await repo.deleteMetric(metric.id);
      await bus.publish('metric', projectId);
    },

    /** resolveForIngest's answer when it is cached, without a promise: for the hot path. */
    cachedForIngest(projectId: string, ref: string): IngestMetric | undefined {
      return ingestCache.get(ingestCacheKey(projectId, ref));
    },

    /** Resolves `/event/v1/{metric}`: a metric id, else a name, within the key's project. */
    async resolveForIngest(projectId: string, ref: string): Promise<IngestMetric | undefined> {
      const id = isUuid(ref) ? ref.toLowerCase() : undefined;
      const cacheKey = ingestCacheKey(projectId, ref);
      const cached = ingestCache.get(cacheKey);
      if (cached !== undefined) return cached;
      const generation = ingestCache.generation;
      const row =
        id === undefined
          ? await repo.findMetricByName(projectId, ref.trim())
          : await repo.findMetricById(projectId, id);
      if (row === undefined) return undefined;
      const metric: IngestMetric = { id: row.id, projectId, type: row.type };
      ingestCache.set(cacheKey, metric, generation);
      return metric;
    },
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
