import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Epoch milliseconds, stored as a 64-bit integer on both dialects. */
type Millis = number;

export type Role = 'owner' | 'admin' | 'developer' | 'guest';
export type KeyScope = 'ingest' | 'read' | 'public';
export type MetricType = 'basic' | 'dual' | 'average';

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  /** 1 for the instance administrator (the first account), else 0. */
  isAdmin: number;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token: a database leak does not hand out sessions. */
  id: string;
  userId: string;
  createdAt: Millis;
  lastSeenAt: Millis;
  expiresAt: Millis;
}

export interface PasswordResetsTable {
  /** SHA-256 of the token sent to the user. */
  id: string;
  userId: string;
  createdAt: Millis;
  expiresAt: Millis;
}

export interface InvitationsTable {
  id: string;
  projectId: string;
  /** Normalised (trimmed, lower-case). */
  email: string;
  role: Role;
  /** SHA-256 of the token in the invitation link. */
  tokenHash: string;
  invitedBy: string | null;
  createdAt: Millis;
  expiresAt: Millis;
}

export interface ProjectsTable {
  id: string;
  name: string;
  /** Events per second per API key; null: the instance default. */
  rateLimitPerSecond: ColumnType<number | null, number | null | undefined, number | null>;
  /** Events per UTC month; null: the instance default. */
  monthlyEventQuota: ColumnType<number | null, number | null | undefined, number | null>;
  /** Longest range a query may span, in days; null: the instance default. */
  maxQueryRangeDays: ColumnType<number | null, number | null | undefined, number | null>;
  /** 1: the website tracker drops page views carrying Global Privacy Control or Do Not Track. */
  honourPrivacySignals: ColumnType<number, number | undefined, number>;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface ProjectMembersTable {
  projectId: string;
  userId: string;
  role: Role;
  createdAt: Millis;
}

export interface ProjectUsageTable {
  projectId: string;
  /** UTC month, `YYYY-MM`. */
  month: string;
  eventCount: ColumnType<number, number | undefined, number>;
}

export interface ApiKeysTable {
  id: string;
  projectId: string;
  name: string;
  scope: KeyScope;
  /** The first characters of the secret, safe to display. */
  prefix: string;
  /** SHA-256 of the whole secret, hex. The secret itself is never stored. */
  secretHash: string;
  createdBy: string | null;
  createdAt: Millis;
  lastUsedAt: Millis | null;
  rotatedAt: Millis | null;
  revokedAt: Millis | null;
  /** Public keys only: JSON array of the normalised origins the tracker accepts it from. */
  allowedOrigins: string | null;
  /** Public keys only: the key itself, publishable (it sits in web pages' source). */
  publishableKey: string | null;
}

export interface MetricsTable {
  id: string;
  projectId: string;
  name: string;
  type: MetricType;
  unitName: string | null;
  unitSymbol: string | null;
  positiveName: string | null;
  negativeName: string | null;
  /** Fixed-point totals in micro-units (value × 10^6); read them as text, never as a JS number. */
  totalPositive: ColumnType<string, string | undefined, string>;
  totalNegative: ColumnType<string, string | undefined, string>;
  eventCount: ColumnType<number, number | undefined, number>;
  lastEventAt: Millis | null;
  createdAt: Millis;
  updatedAt: Millis;
}

/**
 * The raw events, packed: one row per (commit, metric, API key, UTC hour of the events' ts).
 * `events` is the format of modules/ingest/event-block.ts; every event lies in [hour, hour + 1 h).
 */
export interface EventBlocksTable {
  id: Generated<number>;
  metricId: string;
  projectId: string;
  keyId: string | null;
  /** When the commit stored the block (epoch ms). */
  receivedAt: Millis;
  /** Start of the UTC hour of every event of the block (epoch ms). */
  hour: Millis;
  /** The earliest and latest event ts of the block. */
  firstTs: Millis;
  lastTs: Millis;
  count: number;
  events: string;
}

export interface RollupsTable {
  metricId: string;
  /** Start of the bucket (epoch ms, UTC). */
  bucket: Millis;
  /** '' for every event; canonical JSON of one filter, or of a whole filter combination. */
  dims: string;
  /** Sums of positive and of negative values (as a positive amount), in micro-units. */
  pos: ColumnType<string, string | bigint, string | bigint>;
  neg: ColumnType<string, string | bigint, string | bigint>;
  count: number;
}

export interface MetricFilterValuesTable {
  metricId: string;
  key: string;
  value: string;
  firstSeenAt: Millis;
}

export interface IdempotencyKeysTable {
  projectId: string;
  key: string;
  requestHash: string;
  /** The JSON body answered the first time. */
  response: string;
  createdAt: Millis;
}

/** The website tracker's salt of one UTC day: deleted once the day is over. */
export interface TrackerSaltsTable {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Random, hex. */
  salt: string;
  createdAt: Millis;
}

/** The visitors a project's tracker has seen on a UTC day, as salted hashes: deleted with the day. */
export interface TrackerVisitorsTable {
  projectId: string;
  day: string;
  visitorHash: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  passwordResets: PasswordResetsTable;
  invitations: InvitationsTable;
  projects: ProjectsTable;
  projectMembers: ProjectMembersTable;
  projectUsage: ProjectUsageTable;
  apiKeys: ApiKeysTable;
  metrics: MetricsTable;
  eventBlocks: EventBlocksTable;
  rollupsMinute: RollupsTable;
  rollupsHour: RollupsTable;
  rollupsDay: RollupsTable;
  metricFilterValues: MetricFilterValuesTable;
  idempotencyKeys: IdempotencyKeysTable;
  trackerSalts: TrackerSaltsTable;
  trackerVisitors: TrackerVisitorsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type MetricRow = Selectable<MetricsTable>;
export type NewMetricRow = Insertable<MetricsTable>;
export type MetricUpdate = Updateable<MetricsTable>;
