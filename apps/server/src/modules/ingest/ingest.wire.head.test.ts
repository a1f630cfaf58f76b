import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../test/rng.js';
import { parseHead } from './ingest.wire.js';

/**
 * The grammar parseHead reads, written the plain way: the whole head in printable ASCII, tabs and
 * line breaks; split at CRLF; a regular expression per line. parseHead must agree with it on every
 * input (it reads the same grammar in one pass over the characters).
 */
function reference(head: string): { url: string; headers: IncomingHttpHeaders } | undefined {
  if (!/^[\t\r\n\x20-\x7e]*$/.test(head)) return undefined;
  const lines = head.split('\r\n');
  if (lines.length > 65) return undefined;
  const url = /^POST (\/[\x21-\x7e]*) HTTP\/1\.1$/.exec(lines[0] ?? '')?.[1];
  if (url === undefined) return undefined;
  const headers: IncomingHttpHeaders = Object.create(null);
  for (const line of lines.slice(1)) {
    const field = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*(.*)$/.exec(line);
    if (field === null) return undefined;
    const name = (field[1] ?? '').toLowerCase();
    if (headers[name] !== undefined || ['transfer-encoding', 'expect', 'upgrade'].includes(name)) {
      return undefined;
    }
    headers[name] = (field[2] ?? '').replace(/[\t ]+$/, '');
  }
  return { url, headers };
}

const SEED = Number(process.env.MEASURELY_FUZZ_SEED ?? 0x68656164) >>> 0;

describe('parseHead', () => {
  const typical = [
    'POST /event/v1/orders HTTP/1.1',
    'Host: 127.0.0.1:3000',
    'Content-Type: application/json',
    'Authorization: Bearer mly_jKXfEV7jRvAdL8OqHArlxWBA0ABuLnPl',
    'Content-Length: 52',
  ].join('\r\n');

  it('reads a request line and header lines, names lower-cased, values trimmed', () => {
    expect(parseHead(typical)).toEqual({
      url: '/event/v1/orders',
      headers: {
        host: '127.0.0.1:3000',
        'content-type': 'application/json',
        authorization: 'Bearer mly_jKXfEV7jRvAdL8OqHArlxWBA0ABuLnPl',
        'content-length': '52',
      },
    });
    expect(parseHead('POST / HTTP/1.1')).toEqual({ url: '/', headers: {} });
    expect(parseHead('POST /v1/a HTTP/1.1\r\nX-Empty:\r\nX-Pad: \t a b \t')?.headers).toEqual({
      'x-empty': '',
      'x-pad': 'a b',
    });
  });

  it.each([
    ['another method', typical.replace('POST', 'PUT')],
    ['HTTP/1.0', typical.replace('HTTP/1.1', 'HTTP/1.0')],
    ['an absolute target', typical.replace('/event', 'http://x/event')],
    ['a bare LF', typical.replace('\r\nHost', '\nHost')],
    ['a bare CR', typical.replace('\r\nHost', '\rHost')],
    ['obs-fold', `${typical}\r\n continued`],
    ['a space before the colon', typical.replace('Host:', 'Host :')],
    ['no colon', `${typical}\r\nX-Broken`],
    ['an empty name', `${typical}\r\n: value`],
    ['obs-text', typical.replace('application', 'applicätion')],
    ['a control character', typical.replace('Bearer', 'Bea\u0001rer')],
    ['a repeated header', `${typical}\r\nhost: other`],
    ['Transfer-Encoding', `${typical}\r\nTransfer-Encoding: chunked`],
  ])('refuses %s', (_, head) => {
    expect(parseHead(head)).toBeUndefined();
    expect(reference(head)).toBeUndefined();
  });

  it('takes 64 header lines, not 65', () => {
    const lines = Array.from({ length: 65 }, (_, i) => `x-${i}: ${i}`);
    expect(parseHead(['POST / HTTP/1.1', ...lines.slice(0, 64)].join('\r\n'))).toBeDefined();
    expect(parseHead(['POST / HTTP/1.1', ...lines].join('\r\n'))).toBeUndefined();
  });

  it(`agrees with the plain reading on 20000 bent heads (seed ${SEED})`, () => {
    const rng = new Rng(SEED);
    const pieces = ['\r\n', '\r', '\n', '\t', ' ', ':', 'POST ', ' HTTP/1.1', '/', 'é', '\u0000'];
    // Mostly well-formed lines, so that bending them finds the edges of the grammar.
    const lineOf = (i: number): string => {
      const name = rng.chance(0.9)
        ? `X-Field-${i}`
        : rng.pick(['Host', 'content-length', 'Expect', 'upgrade', 'a b', '']);
      const colon = rng.chance(0.9) ? rng.pick([':', ': ', ':\t']) : rng.pick([' :', '']);
      const pad = rng.pick(['', '', ' ', '\t', ' \t']);
      return `${name}${colon}${rng.printable(rng.int(0, 12))}${pad}`;
    };
    let taken = 0;
    for (let n = 0; n < 20_000; n++) {
      const lines = [
        rng.pick(['POST /event/v1/a HTTP/1.1', 'POST / HTTP/1.1', 'POST /v1/x HTTP/1.1']),
      ];
      for (let i = rng.int(0, rng.chance(0.05) ? 70 : 6); i > 0; i--) lines.push(lineOf(i));
      let head = lines.join('\r\n');
      // Bend it: insert, delete or replace a few characters anywhere.
      for (let edits = rng.chance(0.4) ? 0 : rng.int(1, 3); edits > 0; edits--) {
        const at = rng.int(0, head.length);
        const what = rng.chance(0.5) ? rng.pick(pieces) : String.fromCharCode(rng.int(0, 255));
        const cut = rng.int(0, 2);
        head = head.slice(0, at) + (rng.chance(0.7) ? what : '') + head.slice(at + cut);
      }
      const expected = reference(head);
      if (expected !== undefined) taken++;
      expect(parseHead(head), JSON.stringify(head)).toEqual(expected);
    }
    // Both kinds of answer were exercised.
    expect(taken).toBeGreaterThan(2_000);
    expect(taken).toBeLessThan(18_000);
  });
});
