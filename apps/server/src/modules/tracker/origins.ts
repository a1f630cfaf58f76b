import { isIP } from 'node:net';
import { AppError } from '../../errors.js';

/** Most origins one public key may list. */
export const MAX_ORIGINS = 50;

const SHAPE = /^(https?):\/\/(\*\.)?([^/?#@\\\s*]+)\/?$/i;

function invalid(text: string, why: string): AppError {
  return new AppError(
    'ORIGIN_INVALID',
    `"${text.slice(0, 100)}" is not an allowed origin: ${why}. Write scheme://host[:port], e.g. https://example.com or https://*.example.com.`,
  );
}

/**
 * Second-level labels under which country codes sell domains (co.uk, com.au, org.br, ne.jp…):
 * `*.co.uk` would allow every British company's site. Not the whole public suffix list: suffixes
 * such as github.io are not recognised.
 */
const REGISTRY_LABELS = new Set(
  'ac co com edu go gob gov gv ltd me mil ne net nhs nic nom or org plc sch'.split(' '),
);

/** `example.com.` (a fully qualified name) → `example.com`. */
function withoutTrailingDot(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

/**
 * An allowed origin as it is stored and compared: lower-case scheme and host (IDN in punycode),
 * no trailing dot, no default port, no trailing slash. `https://*.example.com` allows every
 * subdomain of example.com (not example.com itself). Paths, queries, credentials, a bare `*` and
 * a wildcard over a country's registry (`https://*.co.uk`) are refused.
 */
export function normaliseAllowedOrigin(text: string): string {
  const trimmed = text.trim();
  const match = SHAPE.exec(trimmed);
  if (match === null) {
    if (/^\*$|^https?:\/\/\*\/?$/i.test(trimmed))
      throw invalid(trimmed, 'any origin (*) is not allowed');
    if (!/^https?:\/\//i.test(trimmed)) throw invalid(trimmed, 'it needs http:// or https://');
    if (trimmed.includes('*')) {
      throw invalid(
        trimmed,
        'a wildcard may only stand for subdomains, as in https://*.example.com',
      );
    }
    throw invalid(trimmed, 'only a scheme, a host and a port are allowed (no path, query or user)');
  }
  const [, scheme = '', wildcard, hostPort = ''] = match;
  let url: URL;
  try {
    url = new URL(`${scheme.toLowerCase()}://${hostPort}`);
  } catch {
    throw invalid(trimmed, 'the host or the port is not valid');
  }
  const host = withoutTrailingDot(url.hostname);
  if (host === '' || url.pathname !== '/' || url.username !== '' || url.password !== '') {
    throw invalid(trimmed, 'the host or the port is not valid');
  }
  if (wildcard !== undefined) {
    const labels = host.split('.');
    if (isIP(host.replace(/^\[|\]$/g, '')) !== 0 || labels.length < 2) {
      throw invalid(trimmed, 'a wildcard needs a domain of at least two labels after "*."');
    }
    const [second = '', top = ''] = labels;
    if (labels.length === 2 && top.length === 2 && REGISTRY_LABELS.has(second)) {
      throw invalid(
        trimmed,
        `${host} is a registry where anyone can get a domain, so "*." would allow other people's sites; list your own domain, e.g. https://*.example.${host}`,
      );
    }
  }
  const port = url.port === '' ? '' : `:${url.port}`;
  return `${url.protocol}//${wildcard === undefined ? '' : '*.'}${host}${port}`;
}

/**
 * The allowed origins of a public key: at least one, each normalised, duplicates dropped.
 * Throws ORIGINS_REQUIRED or ORIGIN_INVALID.
 */
export function parseAllowedOrigins(list: readonly string[] | undefined): string[] {
  if (list === undefined || list.length === 0) {
    throw new AppError(
      'ORIGINS_REQUIRED',
      'A public key needs at least one allowed origin, e.g. https://example.com: the tracker accepts page views only from there.',
    );
  }
  if (list.length > MAX_ORIGINS) {
    throw new AppError('ORIGIN_INVALID', `A public key lists at most ${MAX_ORIGINS} origins.`);
  }
  return [...new Set(list.map(normaliseAllowedOrigin))];
}

/**
 * The Origin header as the browser sent it when the list allows it (it is what
 * Access-Control-Allow-Origin must repeat), else undefined. A fully qualified host
 * (`https://example.com.`) matches as `https://example.com`. `null` (sandboxed frames, file:
 * pages) and anything but http(s) never match.
 */
export function matchOrigin(
  header: string | undefined,
  allowed: readonly string[],
): string | undefined {
  if (header === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = withoutTrailingDot(url.hostname);
  const origin = `${url.protocol}//${host}${url.port === '' ? '' : `:${url.port}`}`;
  for (const entry of allowed) {
    if (entry === origin) return url.origin;
    const star = entry.indexOf('//*.');
    if (star === -1) continue;
    // https://*.example.com[:port]: same scheme and port, a host ending in .example.com.
    const pattern = new URL(`${entry.slice(0, star)}//${entry.slice(star + 4)}`);
    if (
      pattern.protocol === url.protocol &&
      pattern.port === url.port &&
      host.endsWith(`.${pattern.hostname}`)
    ) {
      return url.origin;
    }
  }
  return undefined;
}
