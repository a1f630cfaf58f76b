import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli/main.js';
import { ConfigError, loadConfig } from './config.js';

const CWD = path.resolve('/srv/measurely');

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({}, CWD);
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      database: { dialect: 'sqlite', file: path.join(CWD, 'data', 'measurely.db') },
      redis: null,
      bodyLimitBytes: 1024 * 1024,
      trustProxy: false,
      publicUrl: 'http://127.0.0.1:3000',
      allowSignup: true,
      cookieSecure: false,
      sessionTtlMs: 30 * 86_400_000,
      passwordHashCost: 15,
      ingest: {
        rateLimitPerSecond: 1000,
        monthlyEventQuota: 0,
        backfillMs: 365 * 86_400_000,
        maxBatchEvents: 1000,
      },
      query: { maxRangeDays: 0, maxBuckets: 5000 },
      tracker: { rateLimitPerSecond: 20, scriptUrl: null },
      login: { maxFailuresPerAccount: 10, maxAttemptsPerIp: 100, windowMs: 900_000 },
    });
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '  ', DATABASE_URL: '', LOG_LEVEL: ' ' }, CWD);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('info');
    expect(config.database).toEqual({
      dialect: 'sqlite',
      file: path.join(CWD, 'data', 'measurely.db'),
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        LOG_LEVEL: 'DEBUG',
        MEASURELY_BODY_LIMIT: '4096',
        MEASURELY_TRUST_PROXY: 'yes',
        MEASURELY_ALLOW_SIGNUP: 'off',
        MEASURELY_COOKIE_SECURE: 'TRUE',
        MEASURELY_SESSION_TTL_DAYS: '7',
        MEASURELY_PASSWORD_HASH_COST: '17',
        MEASURELY_LOGIN_MAX_FAILURES: '5',
        MEASURELY_LOGIN_MAX_PER_IP: '50',
        MEASURELY_LOGIN_WINDOW_SECONDS: '60',
        MEASURELY_PUBLIC_URL: 'https://metrics.example.com/',
        MEASURELY_TRACKER_RATE_LIMIT: '5',
      },
      CWD,
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'debug',
      bodyLimitBytes: 4096,
      trustProxy: true,
      allowSignup: false,
      cookieSecure: true,
      sessionTtlMs: 7 * 86_400_000,
      passwordHashCost: 17,
      login: { maxFailuresPerAccount: 5, maxAttemptsPerIp: 50, windowMs: 60_000 },
      publicUrl: 'https://metrics.example.com',
      tracker: { rateLimitPerSecond: 5, scriptUrl: 'https://metrics.example.com/track.js' },
    });
  });

  it('takes an absolute sqlite path as it is', () => {
    const file = path.resolve('/var/lib/measurely/main.db');
    expect(loadConfig({ DATABASE_URL: `sqlite:${file}` }, CWD).database).toEqual({
      dialect: 'sqlite',
      file,
    });
  });

  it('resolves a relative sqlite path against the working directory', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:./rel.db' }, CWD).database).toEqual({
      dialect: 'sqlite',
      file: path.join(CWD, 'rel.db'),
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite:db/x.db' }, '/tmp/other').database).toEqual({
      dialect: 'sqlite',
      file: path.resolve('/tmp/other/db/x.db'),
    });
  });

  it('accepts sqlite::memory:', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, CWD).database).toEqual({
      dialect: 'sqlite',
      file: ':memory:',
    });
  });

  it('takes a postgres URL as it is', () => {
    for (const url of [
      'postgres://measurely:secret@db.internal:5432/measurely',
      'postgresql://postgres@127.0.0.1/metrics',
    ]) {
      expect(loadConfig({ DATABASE_URL: url }, CWD).database).toEqual({
        dialect: 'postgres',
        url,
      });
    }
  });

  it('reports every bad variable at once, each by name', () => {
    const error = configError({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      MEASURELY_BODY_LIMIT: '-1',
    });
    expect(error.problems).toHaveLength(4);
    for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'MEASURELY_BODY_LIMIT']) {
      expect(
        error.problems.filter((p) => p.startsWith(`${name}:`)),
        name,
      ).toHaveLength(1);
      expect(error.message).toContain(name);
    }
    expect(error.problems.find((p) => p.startsWith('PORT:'))).toContain('"abc"');
    expect(error.problems.find((p) => p.startsWith('LOG_LEVEL:'))).toContain('"loud"');
  });

  it('refuses out-of-range and non-integer numbers', () => {
    for (const [name, value] of [
      ['PORT', '65536'],
      ['PORT', '80.5'],
      ['PORT', '1e3'],
      ['MEASURELY_BODY_LIMIT', '10'],
      ['MEASURELY_SESSION_TTL_DAYS', '0'],
      ['MEASURELY_PASSWORD_HASH_COST', '11'],
      ['MEASURELY_PASSWORD_HASH_COST', '21'],
      ['MEASURELY_LOGIN_MAX_FAILURES', 'ten'],
      ['MEASURELY_LOGIN_WINDOW_SECONDS', '86401'],
      ['MEASURELY_TRACKER_RATE_LIMIT', '0'],
    ] as const) {
      const error = configError({ [name]: value });
      expect(error.problems, `${name}=${value}`).toHaveLength(1);
      expect(error.problems[0]).toMatch(new RegExp(`^${name}:`));
    }
  });

  it('refuses booleans it cannot read, a host with spaces, and an empty sqlite path', () => {
    const error = configError({
      MEASURELY_TRUST_PROXY: 'maybe',
      MEASURELY_ALLOW_SIGNUP: '2',
      HOST: 'local host',
      DATABASE_URL: 'sqlite:',
    });
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'HOST',
      'MEASURELY_ALLOW_SIGNUP',
      'MEASURELY_TRUST_PROXY',
    ]);
  });

  it('takes a Redis URL, with the prefix of its keys', () => {
    expect(loadConfig({ REDIS_URL: 'redis://:secret@cache.internal:6379/2' }, CWD).redis).toEqual({
      url: 'redis://:secret@cache.internal:6379/2',
      prefix: 'measurely:',
    });
    expect(
      loadConfig({ REDIS_URL: 'rediss://cache.internal', MEASURELY_REDIS_PREFIX: 'eu:' }, CWD)
        .redis,
    ).toEqual({ url: 'rediss://cache.internal', prefix: 'eu:' });
  });

  it('refuses a Redis URL of another scheme, and a prefix with spaces', () => {
    const error = configError({
      REDIS_URL: 'http://cache.internal:6379',
      MEASURELY_REDIS_PREFIX: 'my app:',
    });
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'MEASURELY_REDIS_PREFIX',
      'REDIS_URL',
    ]);
  });

  it('refuses a postgres URL that does not parse', () => {
    const error = configError({ DATABASE_URL: 'postgres://user@host:notaport/db' });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^DATABASE_URL:/);
  });

  it('returns a frozen config, nested objects included', () => {
    const config = loadConfig({}, CWD);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(Object.isFrozen(config.login)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.login as { windowMs: number }).windowMs = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
  });
});

describe('the CLI on a bad configuration', () => {
  function io(env: Record<string, string>) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: string[] = [];
    const err: string[] = [];
    stdout.on('data', (chunk) => out.push(String(chunk)));
    stderr.on('data', (chunk) => err.push(String(chunk)));
    return {
      io: { stdin: new PassThrough(), stdout, stderr, env, cwd: CWD },
      stdout: () => out.join(''),
      stderr: () => err.join(''),
    };
  }

  it('exits with 78 and names every bad variable on stderr', async () => {
    const run = io({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'sqlite::memory:' });
    const code = await runCli(['project', 'show', '--project', 'x'], run.io);
    expect(code).toBe(78);
    expect(run.stderr()).toContain('PORT');
    expect(run.stderr()).toContain('"abc"');
    expect(run.stderr()).toContain('LOG_LEVEL');
    expect(run.stdout()).toBe('');
  });

  it('reports it as CONFIG_INVALID in --json mode', async () => {
    const run = io({ PORT: 'abc', DATABASE_URL: 'sqlite::memory:' });
    const code = await runCli(['project', 'show', '--project', 'x', '--json'], run.io);
    expect(code).toBe(78);
    const { error } = JSON.parse(run.stderr());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('PORT');
  });
});

describe('MEASURELY_TRUST_PROXY', () => {
  it('takes false, a hop count, or proxy addresses and ranges', () => {
    expect(loadConfig({}, CWD).trustProxy).toBe(false);
    expect(loadConfig({ MEASURELY_TRUST_PROXY: '2' }, CWD).trustProxy).toBe(2);
    expect(
      loadConfig({ MEASURELY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, ::1' }, CWD).trustProxy,
    ).toBe('10.0.0.0/8,127.0.0.1,::1');
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of ['proxy.local', '10.0.0.0/33', '1.2.3']) {
      expect(() => loadConfig({ MEASURELY_TRUST_PROXY: value }, CWD)).toThrow(
        /MEASURELY_TRUST_PROXY/,
      );
    }
  });
});
