import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { EVENT_LIMITS } from '../ingest/event-input.js';
import { matchOrigin, normaliseAllowedOrigin } from './origins.js';
import { pagePath, referrerHost } from './page-view.js';

function refusal(text: string): string {
  try {
    normaliseAllowedOrigin(text);
  } catch (error) {
    if (error instanceof AppError && error.code === 'ORIGIN_INVALID') return error.detail;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('allowed origins', () => {
  it('are stored without a trailing dot, default port or slash, in lower case', () => {
    expect(normaliseAllowedOrigin('https://Example.com./')).toBe('https://example.com');
    expect(normaliseAllowedOrigin('https://*.Example.com.:443')).toBe('https://*.example.com');
    expect(normaliseAllowedOrigin('http://localhost.:8080')).toBe('http://localhost:8080');
    expect(normaliseAllowedOrigin('http://[::1]:3000')).toBe('http://[::1]:3000');
  });

  it('refuse a wildcard over a country’s registry, not over a domain in it', () => {
    for (const text of [
      'https://*.co.uk',
      'https://*.com.au',
      'https://*.org.br.',
      'http://*.ne.jp',
    ]) {
      expect(refusal(text), text).toContain('registry');
    }
    for (const text of [
      'https://*.example.co.uk',
      'https://*.t.co',
      'https://*.example.com',
      'https://*.shop.de',
    ]) {
      expect(normaliseAllowedOrigin(text)).toBe(text);
    }
    expect(refusal('https://*.com')).toContain('two labels');
  });

  it('match a fully qualified Origin header, answering it as sent', () => {
    const allowed = ['https://example.com', 'https://*.example.org'];
    expect(matchOrigin('https://example.com.', allowed)).toBe('https://example.com.');
    expect(matchOrigin('https://blog.example.org.', allowed)).toBe('https://blog.example.org.');
    expect(matchOrigin('https://example.com', allowed)).toBe('https://example.com');
    for (const header of ['https://example.com..', 'https://example.org.', 'https://evil.com.']) {
      expect(matchOrigin(header, allowed), header).toBeUndefined();
    }
  });
});

describe('page paths and referrers', () => {
  it('decode the path for reading, but never turn an escaped ? or # into a query or fragment', () => {
    expect(pagePath('/caf%C3%A9')).toBe('/café');
    expect(pagePath('/a%3Fb=1')).toBe('/a%3fb=1');
    expect(pagePath('/a%23b')).toBe('/a%23b');
    expect(pagePath('/a%2Fb')).toBe('/a%2fb');
    expect(pagePath('/a?b=1#c')).toBe('/a');
    expect(pagePath('/%E0%A4%A')).toBe('/%e0%a4%a');
  });

  it('keep a path of astral characters within the filter length the ingestion check counts', () => {
    const path = pagePath(`/${'😀'.repeat(80)}`);
    expect(path.length).toBeLessThanOrEqual(EVENT_LIMITS.maxFilterValueLength);
    expect(path).toBe(`/${'😀'.repeat(49)}`);
  });

  it('treat the site itself, with or without www. or a trailing dot, as no referrer', () => {
    expect(referrerHost('shop.example.', 'shop.example')).toBeUndefined();
    expect(referrerHost('www.shop.example', 'shop.example.')).toBeUndefined();
    expect(referrerHost('news.example.', 'shop.example')).toBe('news.example');
    expect(referrerHost(undefined, 'shop.example')).toBe('direct');
  });
});
