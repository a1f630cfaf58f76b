// The JSON the server sends and accepts, written from the route schemas in
// apps/server/src/modules/*/*.schemas.ts (and GET /api/openapi.json). Keep them in step.

import type { Amounts } from '@measurely/sdk';

/** ISO 8601 date-time in UTC, as the server writes it. */
export type IsoDateTime = string;

export interface User {
  id: string;
  email: string;
  name: string;
  /** Instance administrator (the first account). */
  isAdmin: boolean;
  createdAt: IsoDateTime;
}

export const ROLES = ['owner', 'admin', 'developer', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export interface Usage {
  /** UTC month, YYYY-MM. */
  month: string;
  /** Events accepted this month. */
  events: number;
  /** Events allowed per UTC month; null for unlimited. */
  quota: number | null;
}

export interface Limits {
  rateLimitPerSecond: number;
  monthlyEventQuota: number | null;
  maxQueryRangeDays: number | null;
}

export interface Project {
  id: string;
  name: string;
  /** My role in the project. */
  role: Role;
  usage: Usage;
  limits: Limits;
  /** Website tracker: page views carrying Global Privacy Control or Do Not Track are dropped. */
  honourPrivacySignals: boolean;
  createdAt: IsoDateTime;
  updatedAt: IsoDateTime;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: IsoDateTime;
}

/** A pending invitation to a project, as its owners and admins see it (never its link). */
export interface Invitation {
  id: string;
  projectId: string;
  /** The address invited: only the account with it may accept. */
  email: string;
  role: Role;
  /** The name of the member who sent it; null once their account is deleted. */
  invitedBy: string | null;
  createdAt: IsoDateTime;
  expiresAt: IsoDateTime;
}

/** POST /api/projects/{id}/invitations: the invitation and its link, shown this once. */
export interface CreatedInvitation {
  invitation: Invitation;
  /** MEASURELY_PUBLIC_URL/invite?token=…: valid 7 days, once. */
  link: string;
}

/** POST /api/invitations/lookup: what an invitation link offers, before anyone signs in. */
export interface InvitationPreview {
  projectName: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  expiresAt: IsoDateTime;
  /** The address has an account: sign in to accept; else create it from the link. */
  hasAccount: boolean;
  /** The link may create the account (sign-ups open, or the administrator invited). */
  canCreateAccount: boolean;
}

/** POST /api/invitations/accept: 200 signed in; 201 with `user` when the account was created. */
export interface AcceptedInvitation {
  project: { id: string; name: string };
  role: Role;
  user?: User;
}

export type KeyScope = 'ingest' | 'read' | 'public';

export interface ApiKey {
  id: string;
  projectId: string;
  name: string;
  scope: KeyScope;
  /** The first characters of the secret, for recognising it. */
  prefix: string;
  status: 'active' | 'revoked';
  /** The member who created it; null when the operator did (CLI). */
  createdBy: { id: string; name: string } | null;
  createdAt: IsoDateTime;
  lastUsedAt: IsoDateTime | null;
  rotatedAt: IsoDateTime | null;
  revokedAt: IsoDateTime | null;
  /** Public keys only: the origins the website tracker accepts page views from. */
  origins?: string[];
  /** Public keys only: the key itself, publishable (it goes in web pages). */
  publishableKey?: string;
  /** Public keys only: the <script> tag for every page of the site. */
  snippet?: string;
}

/** A key as created or rotated: the only time its secret is shown. */
export interface NewApiKey extends ApiKey {
  secret: string;
}

export const METRIC_TYPES = ['basic', 'dual', 'average'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export interface Unit {
  name: string;
  symbol: string;
}

/** A preset unit from GET /api/units. */
export interface PresetUnit extends Unit {
  id: string;
}

export interface Metric {
  id: string;
  projectId: string;
  name: string;
  type: MetricType;
  unit: Unit | null;
  positiveName: string | null;
  negativeName: string | null;
  /** All-time total: the sum (basic, average) or positive minus negative (dual). */
  total: number;
  /** The total as an exact decimal string. */
  totalExact: string;
  positive: number | null;
  negative: number | null;
  average: number | null;
  eventCount: number;
  lastEventAt: IsoDateTime | null;
  createdAt: IsoDateTime;
  updatedAt: IsoDateTime;
}

/** A preset unit id, a custom unit, or null for none. */
export type UnitInput = string | Unit | null;

// Request bodies.

export interface SignUpBody {
  email: string;
  password: string;
  name?: string;
}
export interface SignInBody {
  email: string;
  password: string;
}
export interface ResetPasswordBody {
  token: string;
  password: string;
}
export interface ChangePasswordBody {
  currentPassword: string;
  newPassword: string;
}
export interface CreateMetricBody {
  name: string;
  type: MetricType;
  unit?: UnitInput;
  positiveName?: string;
  negativeName?: string;
}
export type UpdateMetricBody = Partial<Omit<CreateMetricBody, 'type'>>;
export interface CreateKeyBody {
  name: string;
  scope: KeyScope;
  /** Required for a public key: scheme://host[:port], or https://*.example.com. */
  origins?: string[];
}
export interface UpdateKeyBody {
  name?: string;
  origins?: string[];
}
export interface InviteBody {
  email: string;
  role: Role;
}
/** Signed in: the token alone. Signed out: a password (and a name) create the account. */
export interface AcceptInvitationBody {
  token: string;
  password?: string;
  name?: string;
}
export interface UpdateProjectBody {
  name?: string;
  honourPrivacySignals?: boolean;
}

// Query API (docs/query.md).

export const GRANULARITIES = ['minute', 'hour', 'day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const RANGE_PRESETS = [
  'today',
  'yesterday',
  'last_7_days',
  'last_15_days',
  'last_30_days',
  'last_90_days',
  'last_12_months',
  'month_to_date',
  'year_to_date',
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

// The query answers' shapes are the SDK's (the same API, read by the same types).
export type {
  Amounts,
  BreakdownResponse,
  Bucket,
  FiltersResponse,
  MetricBrief,
  SeriesResponse,
} from '@measurely/sdk';

export interface OverviewMetric extends Metric {
  today: Amounts;
  yesterday: Amounts;
  /** Yesterday up to the same time of day: what `change` compares today so far with. */
  yesterdayAtThisTime: Amounts;
  change: number | null;
  /** The last 15 local days, today last. */
  sparkline: Array<{ start: IsoDateTime; value: number | null }>;
}

export interface OverviewResponse {
  tz: string;
  metrics: OverviewMetric[];
}

/** RFC 9457 problem document, as every error response renders it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: Array<{ pointer: string; message: string }>;
}
