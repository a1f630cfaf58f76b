import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { parseIngestBody } from './ingest-http.js';

function codeOf(text: string): string {
  try {
    parseIngestBody(text);
    return 'parsed';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

describe('parseIngestBody', () => {
  it('parses JSON, and takes a blank body as none', () => {
    expect(parseIngestBody('{"value": 1.5, "filters": {"plan": "pro"}}')).toEqual({
      value: 1.5,
      filters: { plan: 'pro' },
    });
    expect(parseIngestBody(' \n')).toBeUndefined();
    expect(codeOf('{"value": 1,')).toBe('INVALID_JSON');
  });

  it.each([
    ['a __proto__ key', '{"value": 1, "__proto__": {"admin": true}}'],
    ['a __proto__ key spelt with escapes', '{"value": 1, "\\u005f_proto__": {"admin": true}}'],
    ['a constructor.prototype key', '{"value": 1, "constructor": {"prototype": {"x": 1}}}'],
    [
      'a constructor.prototype key spelt with escapes',
      '{"value": 1, "\\u0063onstructor": {"prototyp\\u0065": {"x": 1}}}',
    ],
  ])('refuses %s, saying why', (_name, text) => {
    expect(codeOf(text)).toBe('INVALID_JSON');
    expect(() => parseIngestBody(text)).toThrow(
      /"__proto__" key, or "constructor" with "prototype"/,
    );
  });

  it('keeps the words when they are only values', () => {
    expect(parseIngestBody('{"value": 1, "filters": {"page": "constructor"}}')).toEqual({
      value: 1,
      filters: { page: 'constructor' },
    });
    expect(parseIngestBody('{"value": 1, "filters": {"a": "say \\"hi\\""}}')).toEqual({
      value: 1,
      filters: { a: 'say "hi"' },
    });
  });

  it('marks number literals a double would round', () => {
    expect(parseIngestBody('{"value": 99999999999.9999999}')).toEqual({
      value: expect.stringMatching(/overlong-number:99999999999\.9999999$/),
    });
  });
});
