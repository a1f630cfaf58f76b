import { createClient, type MeasurelyClient, MeasurelyError } from '@measurely/sdk';
import { ConfigError } from '../../config.js';
import { CommandFailed, type OptionSpec, UsageError, type Values } from '../command.js';

/** A server on this machine on its default port, as `measurely serve` starts it. */
export const DEFAULT_SERVER_URL = 'http://localhost:3000';

/** The environment of the commands that talk to a running server, for `--help`. */
export const REMOTE_ENV = {
  MEASURELY_URL: {
    default: DEFAULT_SERVER_URL,
    help: 'The server push, import and export talk to.',
  },
  MEASURELY_API_KEY: {
    default: 'none',
    help: 'Their API key; prefer it to --key, which other users of the machine can see in `ps`.',
  },
} as const;

/** `--url` and `--key`, which override MEASURELY_URL and MEASURELY_API_KEY. */
export const REMOTE_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
} as const satisfies OptionSpec;

export const REMOTE_USAGE = '[--url URL] [--key API_KEY]';

export interface Remote {
  readonly baseUrl: string;
  readonly apiKey: string;
}

function httpUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The server and API key from the flags, else the environment; a missing key is configuration. */
export function resolveRemote(
  env: Readonly<Record<string, string | undefined>>,
  values: Values,
): Remote {
  let baseUrl: string | undefined;
  if (typeof values.url === 'string') {
    baseUrl = httpUrl(values.url);
    if (baseUrl === undefined)
      throw new UsageError(`--url takes an http(s) URL, not "${values.url}"`);
  } else {
    const fromEnv = env.MEASURELY_URL?.trim() || DEFAULT_SERVER_URL;
    baseUrl = httpUrl(fromEnv);
    if (baseUrl === undefined) {
      throw new ConfigError([`MEASURELY_URL: expected an http(s) URL, got "${fromEnv}"`]);
    }
  }
  const apiKey = (typeof values.key === 'string' ? values.key : env.MEASURELY_API_KEY)?.trim();
  if (apiKey === undefined || apiKey === '') {
    throw new ConfigError([
      'MEASURELY_API_KEY: not set; export the API key (mly_…) in it (or pass --key, visible to other users in the process list)',
    ]);
  }
  return { baseUrl, apiKey };
}

export function remoteClient(
  remote: Remote,
  options: { timeoutMs?: number; maxRetries?: number } = {},
): MeasurelyClient {
  return createClient({ apiKey: remote.apiKey, baseUrl: remote.baseUrl, ...options });
}

/**
 * The CLI error for a failed call to the server: the server's code and detail (exit 1), or what
 * kept the request from getting an answer. Anything else is rethrown as it is.
 */
export function remoteFailure(error: unknown, remote: Remote, suffix = ''): CommandFailed {
  if (!(error instanceof MeasurelyError)) throw error;
  const detail = typeof error.problem?.detail === 'string' ? error.problem.detail : error.message;
  const message =
    error.kind === 'network' || error.kind === 'timeout'
      ? `${remote.baseUrl}: ${detail} (after ${error.attempts} attempt${error.attempts === 1 ? '' : 's'}; set MEASURELY_URL or --url)`
      : detail;
  return new CommandFailed(error.code, `${message}${suffix}`, 1);
}
