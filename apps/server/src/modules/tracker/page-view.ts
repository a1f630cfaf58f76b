import { EVENT_LIMITS } from '../ingest/event-input.js';

/** Characters a filter value may not hold (quotes, backslashes, control characters). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const UNSTORABLE = /["\\\u0000-\u001f\u007f]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Lower-cased, trimmed, without unstorable characters, at most the filter value length. */
function filterValue(text: string): string {
  const clean = text.replace(UNSTORABLE, '').replace(LONE_SURROGATE, '').trim().toLowerCase();
  // The limit counts UTF-16 units, as the ingestion check does; never cut a character in two.
  let kept = '';
  for (const character of clean) {
    if (kept.length + character.length > EVENT_LIMITS.maxFilterValueLength) break;
    kept += character;
  }
  return kept.trim();
}

/**
 * The page's path as a filter value: the pathname only — a query string or a fragment may hold
 * personal data (e-mails, tokens) — decoded for reading, lower-cased like every filter value.
 * Escapes of reserved characters stay escaped: `%3F` is part of the path, not a query.
 */
export function pagePath(raw: string): string {
  let path = raw.trim();
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      path = '/';
    }
  }
  path = path.replace(/[?#].*$/s, '');
  try {
    path = decodeURI(path);
  } catch {
    // Not valid percent-encoding: kept as sent.
  }
  const value = filterValue(path.startsWith('/') ? path : `/${path}`);
  return value === '' ? '/' : value;
}

/** Referrer value of a visit that came from no other site. */
export const DIRECT = 'direct';

/** `www.example.com`, `example.com` and `example.com.` are one site. */
function siteOf(host: string): string {
  return host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');
}

/**
 * Where the visitor came from, as a host: `direct` without a referrer, undefined for the site
 * itself (a navigation inside it is no referral) or for something that is not a host.
 */
export function referrerHost(raw: string | undefined, pageHost: string): string | undefined {
  const text = raw?.trim() ?? '';
  if (text === '') return DIRECT;
  let host: string;
  try {
    host = new URL(text.includes('://') ? text : `https://${text}`).hostname;
  } catch {
    return undefined;
  }
  if (host === '' || siteOf(host) === siteOf(pageHost)) return undefined;
  const value = filterValue(siteOf(host));
  return value === '' ? undefined : value;
}
