import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_HASH_COST } from './lib/passwords.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly database: DatabaseConfig;
  /**
   * The Redis that several server processes share (rate limits, sign-in throttle, cache
   * invalidation, live updates); null for one process, which keeps them in memory.
   */
  readonly redis: RedisConfig | null;
  readonly bodyLimitBytes: number;
  /**
   * Whom to believe about the client's address in X-Forwarded-For: false (nobody), a number of
   * proxy hops, or a comma-separated list of proxy addresses and CIDR ranges. `true` believes any
   * sender, so a client could choose its own address (and dodge the per-IP throttle).
   */
  readonly trustProxy: boolean | number | string;
  /** Where users reach the dashboard, for links the server hands out (password resets). */
  readonly publicUrl: string;
  readonly allowSignup: boolean;
  readonly cookieSecure: boolean;
  readonly sessionTtlMs: number;
  /** log2 of scrypt's N for new password hashes (older ones are remade at their next sign-in). */
  readonly passwordHashCost: number;
  readonly ingest: {
    /** Events per second per API key (token bucket refilled at this rate, burst of one second). */
    readonly rateLimitPerSecond: number;
    /** Events per project per UTC month; 0 for unlimited. */
    readonly monthlyEventQuota: number;
    /** How far back a timestamp may reach. */
    readonly backfillMs: number;
    /** Events per batch request. */
    readonly maxBatchEvents: number;
  };
  readonly query: {
    /** Longest range a query may span, in days; 0 for unlimited. A project can set its own. */
    readonly maxRangeDays: number;
    /** Most buckets one series may return (per group). */
    readonly maxBuckets: number;
  };
  readonly tracker: {
    /** Page views per second per visitor IP on `POST /track` (burst of one second). */
    readonly rateLimitPerSecond: number;
    /** `${MEASURELY_PUBLIC_URL}/track.js` when set; else snippets use the dashboard's origin. */
    readonly scriptUrl: string | null;
  };
  readonly login: {
    /** Failed sign-ins allowed per account within the window. */
    readonly maxFailuresPerAccount: number;
    /** Sign-in and sign-up attempts allowed per client IP within the window. */
    readonly maxAttemptsPerIp: number;
    readonly windowMs: number;
  };
}

export interface RedisConfig {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** Put before every key and channel name, so that deployments can share one Redis. */
  readonly prefix: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/measurely.db';

type Env = Readonly<Record<string, string | undefined>>;

/** Every environment variable the server reads, with its default, for the README and `--help`. */
export const ENV_VARS = {
  PORT: { default: '3000', help: 'TCP port to listen on.' },
  HOST: { default: '127.0.0.1', help: 'Interface to bind; 0.0.0.0 to accept remote connections.' },
  DATABASE_URL: {
    default: DEFAULT_DATABASE_URL,
    help: 'sqlite:PATH (file created on demand) or postgres://user@host:port/db.',
  },
  REDIS_URL: {
    default: '',
    help: 'redis://[:password@]host:port[/db] shared by several server processes (rate limits, cache invalidation, live updates); none for one process.',
  },
  MEASURELY_REDIS_PREFIX: {
    default: 'measurely:',
    help: 'Prefix of every Redis key and channel, so that deployments can share one Redis.',
  },
  LOG_LEVEL: { default: 'info', help: 'fatal, error, warn, info, debug, trace or silent.' },
  MEASURELY_BODY_LIMIT: { default: '1048576', help: 'Largest accepted request body, in bytes.' },
  MEASURELY_TRUST_PROXY: {
    default: 'false',
    help: 'Behind a reverse proxy: its address or CIDR range (comma-separated), or the number of proxy hops.',
  },
  MEASURELY_PUBLIC_URL: {
    default: '',
    help: 'The URL users reach the dashboard at, for links in messages (default http://HOST:PORT).',
  },
  MEASURELY_ALLOW_SIGNUP: {
    default: 'true',
    help: 'false to refuse sign-ups after the first (admin) account.',
  },
  MEASURELY_COOKIE_SECURE: {
    default: 'false',
    help: 'true to mark the session cookie Secure (serve over HTTPS).',
  },
  MEASURELY_SESSION_TTL_DAYS: { default: '30', help: 'Days a session lasts without use.' },
  MEASURELY_PASSWORD_HASH_COST: {
    default: String(DEFAULT_HASH_COST),
    help: 'log2 of scrypt N for new password hashes (12–20; each step doubles time and memory: 15 is 32 MiB). Older hashes are remade at the next sign-in.',
  },
  MEASURELY_RATE_LIMIT: {
    default: '1000',
    help: 'Events per second per API key (burst of one second); a project can set its own.',
  },
  MEASURELY_MONTHLY_EVENT_QUOTA: {
    default: '0',
    help: 'Events per project per UTC month, 0 for unlimited; a project can set its own.',
  },
  MEASURELY_BACKFILL_DAYS: {
    default: '365',
    help: 'How many days back an event timestamp may reach.',
  },
  MEASURELY_MAX_BATCH_EVENTS: { default: '1000', help: 'Events per batch request.' },
  MEASURELY_MAX_QUERY_DAYS: {
    default: '0',
    help: 'Longest range a chart or export may span, in days, 0 for unlimited; a project can set its own.',
  },
  MEASURELY_MAX_BUCKETS: {
    default: '5000',
    help: 'Most buckets one series may return; a longer one must use a coarser granularity.',
  },
  MEASURELY_TRACKER_RATE_LIMIT: {
    default: '20',
    help: 'Page views per second per visitor IP accepted by the website tracker (burst of one second).',
  },
  MEASURELY_LOGIN_MAX_FAILURES: {
    default: '10',
    help: 'Failed sign-ins per account per window before 429.',
  },
  MEASURELY_LOGIN_MAX_PER_IP: {
    default: '100',
    help: 'Sign-in and sign-up attempts per client IP per window before 429.',
  },
  MEASURELY_LOGIN_WINDOW_SECONDS: { default: '900', help: 'Window of the sign-in throttle.' },
} as const;

type EnvName = keyof typeof ENV_VARS;

/** The process's environment: read here only, as everything that comes from it. */
export function processEnvironment(): Env {
  return process.env;
}

/**
 * Parses the environment once. Every bad variable is reported together, so one restart fixes
 * them all. This module is the only reader of `process.env`.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const raw = (name: EnvName): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? ENV_VARS[name].default : value;
  };
  const int = (name: EnvName, min: number, max: number): number => {
    const text = raw(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name}: expected an integer from ${min} to ${max}, got "${text}"`);
      return Number(ENV_VARS[name].default);
    }
    return value;
  };
  const bool = (name: EnvName): boolean => {
    const text = raw(name).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    problems.push(`${name}: expected true or false, got "${text}"`);
    return ENV_VARS[name].default === 'true';
  };

  const logLevels: readonly LogLevel[] = [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ];
  let logLevel = raw('LOG_LEVEL').toLowerCase() as LogLevel;
  if (!logLevels.includes(logLevel)) {
    problems.push(`LOG_LEVEL: expected one of ${logLevels.join(', ')}, got "${logLevel}"`);
    logLevel = 'info';
  }

  const host = raw('HOST');
  if (/\s/.test(host)) problems.push(`HOST: must not contain spaces, got "${host}"`);

  const database = parseDatabaseUrl(raw('DATABASE_URL'), cwd, problems);
  const redis = parseRedis(raw('REDIS_URL'), raw('MEASURELY_REDIS_PREFIX'), problems);
  const port = int('PORT', 0, 65535);
  const publicUrl = parsePublicUrl(raw('MEASURELY_PUBLIC_URL'), host, port, problems);

  const config: Config = {
    port,
    publicUrl,
    host,
    logLevel,
    database,
    redis,
    bodyLimitBytes: int('MEASURELY_BODY_LIMIT', 1024, 1024 * 1024 * 1024),
    trustProxy: trustProxy(raw('MEASURELY_TRUST_PROXY'), problems),
    allowSignup: bool('MEASURELY_ALLOW_SIGNUP'),
    cookieSecure: bool('MEASURELY_COOKIE_SECURE'),
    sessionTtlMs: int('MEASURELY_SESSION_TTL_DAYS', 1, 3650) * 86_400_000,
    passwordHashCost: int('MEASURELY_PASSWORD_HASH_COST', 12, 20),
    ingest: {
      rateLimitPerSecond: int('MEASURELY_RATE_LIMIT', 1, 100_000_000),
      monthlyEventQuota: int('MEASURELY_MONTHLY_EVENT_QUOTA', 0, Number.MAX_SAFE_INTEGER),
      backfillMs: int('MEASURELY_BACKFILL_DAYS', 0, 36_500) * 86_400_000,
      maxBatchEvents: int('MEASURELY_MAX_BATCH_EVENTS', 1, 100_000),
    },
    query: {
      maxRangeDays: int('MEASURELY_MAX_QUERY_DAYS', 0, 36_500),
      maxBuckets: int('MEASURELY_MAX_BUCKETS', 1, 1_000_000),
    },
    tracker: {
      rateLimitPerSecond: int('MEASURELY_TRACKER_RATE_LIMIT', 1, 1_000_000),
      scriptUrl: raw('MEASURELY_PUBLIC_URL') === '' ? null : `${publicUrl}/track.js`,
    },
    login: {
      maxFailuresPerAccount: int('MEASURELY_LOGIN_MAX_FAILURES', 1, 1_000_000),
      maxAttemptsPerIp: int('MEASURELY_LOGIN_MAX_PER_IP', 1, 1_000_000),
      windowMs: int('MEASURELY_LOGIN_WINDOW_SECONDS', 1, 86_400) * 1000,
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function trustProxy(text: string, problems: string[]): boolean | number | string {
  const lower = text.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  const valid = entries.every((entry) => {
    const [address = '', bits] = entry.split('/');
    const version = isIP(address);
    const max = version === 4 ? 32 : 128;
    return version !== 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max));
  });
  if (!valid) {
    problems.push(
      `MEASURELY_TRUST_PROXY: expected false, a hop count, or proxy addresses/CIDR ranges, got "${text}"`,
    );
    return false;
  }
  return entries.join(',');
}

/** An http(s) origin (and optional path prefix), without a trailing slash. */
function parsePublicUrl(text: string, host: string, port: number, problems: string[]): string {
  if (text === '') {
    const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
  }
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text.replace(/\/+$/, '');
  } catch {
    // Reported below.
  }
  problems.push(`MEASURELY_PUBLIC_URL: expected an http:// or https:// URL, got "${text}"`);
  return text;
}

function parseDatabaseUrl(url: string, cwd: string, problems: string[]): DatabaseConfig {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
      return { dialect: 'postgres', url };
    } catch {
      problems.push('DATABASE_URL: not a valid postgres:// URL');
      return { dialect: 'postgres', url };
    }
  }
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') {
      problems.push('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/measurely.db');
    }
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  problems.push(`DATABASE_URL: expected sqlite:PATH or postgres://…, got "${url.split(':')[0]}:…"`);
  return { dialect: 'sqlite', file: path.resolve(cwd, DEFAULT_DATABASE_URL.slice(7)) };
}

function parseRedis(url: string, prefix: string, problems: string[]): RedisConfig | null {
  if (/\s/.test(prefix)) {
    problems.push(`MEASURELY_REDIS_PREFIX: must not contain spaces, got "${prefix}"`);
  }
  if (url === '') return null;
  try {
    const { protocol } = new URL(url);
    if (protocol === 'redis:' || protocol === 'rediss:') return { url, prefix };
  } catch {
    // Reported below.
  }
  problems.push(
    `REDIS_URL: expected redis://host:port or rediss://host:port, got "${url.split(':')[0]}:…"`,
  );
  return null;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
