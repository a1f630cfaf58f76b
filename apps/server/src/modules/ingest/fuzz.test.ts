import type { LightMyRequestResponse as LightResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../errors.js';
import { micros } from '../../test/assertions.js';
import { call, createMetric, createProject, type Session, signUp } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { Rng } from '../../test/rng.js';

/**
 * Hostile-input fuzzing of the event API, in-process. Every request is built from components
 * (method, path, Authorization, Content-Type, Idempotency-Key, body), each either valid or
 * carrying a defect that must get it refused; a request is valid only when all of them are.
 * Valid events are mixed in and counted, so the totals must reflect exactly those.
 *
 * Deterministic: MEASURELY_FUZZ_SEED=<integer> replays a run; the seed is in the test name.
 */

const SEED = Number(process.env.MEASURELY_FUZZ_SEED ?? 0x6d6c7921) >>> 0;
/** Requests with a defect to send on each dialect; valid ones and retries come on top. */
const HOSTILE = 10_000;
/** Requests in flight together: concurrent requests share commits, as in production. */
const WINDOW = 16;
const DAY = 86_400_000;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Spliced into a body in place of this marker: bytes that are not UTF-8. */
const BAD_UTF8_MARKER = '\u0001BAD\u0001';
const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf], // overlong "/"
  [0xe2, 0x82], // truncated sequence
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded as UTF-8
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0x80],
];

function withBadUtf8(rng: Rng, text: string): Buffer {
  return Buffer.concat(
    text.split(BAD_UTF8_MARKER).flatMap((part, i) => {
      const chunk = Buffer.from(part, 'utf8');
      return i === 0 ? [chunk] : [Buffer.from(rng.pick(BAD_UTF8)), chunk];
    }),
  );
}

/** "12.01" → 12010000n. */
interface FuzzMetric {
  readonly id: string;
  readonly name: string;
  readonly type: 'basic' | 'dual';
  /** What the valid events sent so far add up to. */
  expected: { micros: bigint; count: number };
}

/** What one event in a request is expected to do. */
type EventExpectation =
  | { readonly ok: true; readonly metric: FuzzMetric; readonly micros: bigint }
  | { readonly ok: false };

type Expectation =
  | { readonly kind: 'reject' }
  /** A batch whose body is broken: refused, or answered with every event refused. */
  | { readonly kind: 'nothing stored' }
  | { readonly kind: 'accept'; readonly event: EventExpectation & { ok: true } }
  | { readonly kind: 'batch'; readonly events: readonly EventExpectation[] }
  | { readonly kind: 'replay'; readonly body: string }
  | { readonly kind: 'reused' };

type Method = 'POST' | 'GET' | 'PUT' | 'PATCH' | 'DELETE';

interface Probe {
  readonly label: string;
  readonly method: Method;
  readonly url: string;
  readonly headers: Record<string, string | string[]>;
  readonly payload: string | Buffer | undefined;
  readonly expect: Expectation;
  /** The Idempotency-Key of a request expected to be stored, for replays later. */
  readonly idempotencyKey?: string | string[];
}

interface Fixture {
  readonly ctx: TestContext;
  readonly owner: Session;
  readonly projectId: string;
  readonly apiKey: string;
  readonly readKey: string;
  readonly revokedKey: string;
  readonly otherKey: string;
  readonly otherMetricId: string;
  readonly basic: FuzzMetric;
  readonly dual: FuzzMetric;
}

/** Components a request is made of; `defect` names what makes it invalid, if anything. */
interface Part<T> {
  readonly value: T;
  readonly defect?: string;
}

function generator(rng: Rng, f: Fixture, runId: string) {
  const metrics = [f.basic, f.dual];
  const now = f.ctx.clock.now();
  const reserved = new Set(
    [f.basic.name, f.dual.name, f.basic.id, f.dual.id, 'batch'].map((s) => s.toLowerCase()),
  );
  let serial = 0;

  // ——— values ———
  function validValue(metric: FuzzMetric): string {
    const whole = rng.pick([rng.int(1, 9), rng.int(1, 1_000), rng.int(1, 999_999_999)]);
    const fraction = rng.pick([
      '',
      '',
      '.5',
      '.01',
      `.${rng.int(0, 999_999).toString().padStart(6, '0')}`,
    ]);
    const text = fraction === '.000000' ? String(whole) : `${whole}${fraction}`;
    return metric.type === 'dual' && rng.chance(0.4) ? `-${text}` : text;
  }
  function badValue(metric: FuzzMetric): string {
    const always = [
      '1e308',
      '-1e308',
      '1e-320',
      '5e-324',
      '1e400',
      '123456789012345678901234567890',
      '-123456789012345678901234567890',
      '1e12',
      '-1e12',
      '1000000000000.5',
      '0.0000001',
      '1.2345678',
      '0.1234567890123456',
      '123456789.1234567',
      '999999999999.9999',
      '0',
      '-0',
      '0.0',
      '"1"',
      '"1e3"',
      '"NaN"',
      '"Infinity"',
      '"0x10"',
      '""',
      'true',
      'false',
      'null',
      '[]',
      '[1]',
      '{}',
      '{"value":1}',
    ];
    return metric.type === 'basic' && rng.chance(0.15)
      ? rng.pick(['-5', '-0.000001', '-999999999999'])
      : rng.pick(always);
  }

  // ——— filters ———
  const FILTER_KEYS = ['plan', 'country', 'constructor', 'tostring', 'hasownproperty', 'v.1'];
  const FILTER_VALUES = ['free', 'pro', 'team', 'fr', 'de', 'a b', 'x/y', 'ünïcödé', '日本'];
  function vary(text: string): string {
    const cased = rng.chance(0.3) ? text.toUpperCase() : text;
    return rng.chance(0.2) ? ` ${cased}  ` : cased;
  }
  function validFilters(): string | undefined {
    if (rng.chance(0.4)) return undefined;
    if (rng.chance(0.05)) return rng.pick(['{}', 'null']);
    const keys = [...FILTER_KEYS].sort(() => rng.next() - 0.5).slice(0, rng.int(1, 4));
    return JSON.stringify(
      Object.fromEntries(keys.map((k) => [vary(k), vary(rng.pick(FILTER_VALUES))])),
    );
  }
  function badFilters(): string {
    const many = (n: number) =>
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])));
    return rng.pick([
      () => rng.pick(['1', '"plan"', '[]', '[["plan","pro"]]', 'true', '0']),
      () => `{"plan":${rng.pick(['1', 'null', 'true', '{}', '[]', '["pro"]', '1.5'])}}`,
      () => rng.pick(['{"":"x"}', '{"   ":"x"}', '{"plan":""}', '{"plan":"   "}']),
      () => '{"Plan":"pro","plan":"free"}',
      () => `{"${rng.pick(['bad?', 'a\\"b', 'ta\\tb', 'é', 'a+b', 'a=b', '<script>'])}":"x"}`,
      () =>
        `{"plan":"${rng.pick(['quo\\"te', 'back\\\\slash', 'ctrl\\u0001', 'new\\nline', 'del\\u007f'])}"}`,
      () => `{"${'k'.repeat(33)}":"x"}`,
      () => `{"plan":"${'v'.repeat(101)}"}`,
      () => `{"${rng.text(10_240, ALNUM).toLowerCase()}":"x"}`,
      () => `{"plan":"${rng.text(10_240, ALNUM)}"}`,
      () => many(11),
      () => many(rng.int(1_000, 5_000)),
      () => `{"k${BAD_UTF8_MARKER}":"x"}`,
    ])();
  }

  // ——— timestamps ———
  function validTimestamp(): string | undefined {
    if (rng.chance(0.6)) return undefined;
    const ts = now - rng.int(0, 300 * DAY) + (rng.chance(0.1) ? rng.int(0, 4 * 60_000) : 0);
    return rng.pick([JSON.stringify(new Date(ts).toISOString()), String(ts), 'null']);
  }
  function badTimestamp(): string {
    return rng.pick([
      '1.5',
      '-1',
      '0',
      '1e20',
      '9007199254740993',
      'true',
      '{}',
      '[]',
      '""',
      '"yesterday"',
      '"2026-11-28"',
      '"2026-11-28T12:00:00"',
      '"2026-11-28 12:00:00Z"',
      '"2026-11-28T25:00:00Z"',
      '"2026-13-01T00:00:00Z"',
      '"+275760-09-13T00:00:00Z"',
      JSON.stringify(new Date(now + 10 * 60_000).toISOString()),
      String(now + 10 * 60_000),
      String(now - 366 * DAY),
      JSON.stringify(new Date(now - 400 * DAY).toISOString()),
      `"${rng.printable(rng.int(1, 40)).replace(/["\\]/g, '')}"`,
    ]);
  }

  function eventJson(fields: Array<[string, string | undefined]>): string {
    const present = fields.filter((f): f is [string, string] => f[1] !== undefined);
    present.sort(() => rng.next() - 0.5);
    const sep = rng.pick([',', ', ', ',\n  ']);
    return `{${present.map(([k, v]) => `"${k}":${v}`).join(sep)}}`;
  }

  /** A valid event body for the metric, and what it adds. */
  function validEvent(metric: FuzzMetric, extra: Array<[string, string]> = []) {
    const value = validValue(metric);
    const text = eventJson([
      ...extra,
      ['value', value],
      ['filters', validFilters()],
      ['timestamp', validTimestamp()],
    ]);
    return { text, micros: micros(value) };
  }

  /** An event body with a defect (as text; BAD_UTF8_MARKER becomes invalid bytes). */
  function badEvent(
    metric: FuzzMetric,
    extra: Array<[string, string]> = [],
    /** Only defects that leave the JSON well-formed, for one item of a batch. */
    wellFormed = false,
  ): string {
    const valid = () => validEvent(metric, extra).text;
    const field = (name: string, value: string) =>
      eventJson([...extra, ['value', validValue(metric)], [name, value]]);
    const parsable = [
      () => eventJson([...extra, ['value', badValue(metric)], ['filters', validFilters()]]),
      () => eventJson([...extra, ['filters', validFilters()]]),
      () => field('filters', badFilters()),
      () => field('timestamp', badTimestamp()),
      () => field(rng.pick(['extra', 'Value', 'values', 'prototype', 'metricId', 'id', '']), '1'),
      () => field('constructor', rng.pick(['1', '{}', '"x"'])),
      // Duplicate members: the last one wins, and it is bad.
      () =>
        `{${extra.map(([k, v]) => `"${k}":${v},`).join('')}"value":${validValue(metric)},"value":${badValue(metric)}}`,
      () =>
        `{${extra.map(([k, v]) => `"${k}":${v},`).join('')}"val${BAD_UTF8_MARKER}ue":${validValue(metric)}}`,
    ];
    if (wellFormed) return rng.pick(parsable)();
    return rng.pick([
      ...parsable,
      // Prototype pollution attempts: the JSON parser refuses them outright.
      () => field('__proto__', rng.pick(['{"polluted":true}', '{}', 'null'])),
      () => field('constructor', '{"prototype":{"polluted":true}}'),
      () => `{"value":${validValue(metric)},"filters":{"__proto__":{"polluted":"yes"}}}`,
      () => `{"value":${validValue(metric)}${BAD_UTF8_MARKER}}`,
      () => `{"value":${BAD_UTF8_MARKER}${validValue(metric)}}`,
      () => {
        const text = valid();
        return text.slice(0, rng.int(0, text.length - 1));
      },
    ])();
  }

  // ——— whole bodies ———
  function deepJson(): string {
    const depth = rng.pick([100, 1_000, 10_000, rng.int(10_000, 200_000)]);
    return rng.pick([
      () => '['.repeat(depth),
      () => `${'['.repeat(depth)}${']'.repeat(depth)}`,
      () => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      () => `{"value":${'['.repeat(depth)}1${']'.repeat(depth)}}`,
      () => `{"value":1,"filters":{"plan":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      () => `{"events":[${'['.repeat(depth)}${']'.repeat(depth)}]}`,
      () => `{"events":[{"metric":"x","value":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`,
    ])();
  }
  function junkBody(): string | Buffer {
    return rng.pick<() => string | Buffer>([
      () => rng.bytes(rng.int(0, 2_000)),
      () => deepJson(),
      () =>
        rng.pick([
          '',
          ' ',
          '\n',
          'null',
          'true',
          '1',
          '-1',
          '"value"',
          '[]',
          '[{"value":1}]',
          '{',
          '}',
          '{}',
        ]),
      () => rng.printable(rng.int(1, 500)),
      () => `${'x'.repeat(1_048_577)}`, // over the body limit
      () => `{"value":1,"filters":{"plan":"${'p'.repeat(1_048_600)}"}}`,
    ])();
  }

  // ——— headers ———
  function auth(bad: boolean): Part<string | string[] | undefined> & { crossProject?: boolean } {
    if (!bad) {
      return {
        value: rng.pick([
          `Bearer ${f.apiKey}`,
          `bearer ${f.apiKey}`,
          `BEARER ${f.apiKey}`,
          `Bearer   ${f.apiKey}  `,
          `Bearer\t${f.apiKey}`,
        ]),
      };
    }
    return rng.pick<() => Part<string | string[] | undefined> & { crossProject?: boolean }>([
      () => ({ value: undefined, defect: 'no Authorization' }),
      () => ({
        value: rng.pick(['', 'Bearer', 'Bearer ', 'Bearer\t', 'mly_']),
        defect: 'empty key',
      }),
      () => ({ value: `Bearer mly_${rng.text(32, ALNUM)}`, defect: 'unknown key' }),
      () => {
        const i = rng.int(4, f.apiKey.length - 1);
        const swapped = f.apiKey[i] === 'A' ? 'B' : 'A';
        return {
          value: `Bearer ${f.apiKey.slice(0, i)}${swapped}${f.apiKey.slice(i + 1)}`,
          defect: 'one character off',
        };
      },
      () => ({ value: `Bearer ${f.apiKey.slice(0, -1)}`, defect: 'truncated key' }),
      () => ({ value: `Bearer ${f.apiKey}x`, defect: 'key with a suffix' }),
      () => ({ value: `Bearer ${f.apiKey} ${f.apiKey}`, defect: 'two keys' }),
      // Sent twice, Authorization keeps its first value (as Node's HTTP parser does).
      () => ({
        value: [`Bearer mly_${rng.text(32, ALNUM)}`, `Bearer ${f.apiKey}`],
        defect: 'unknown key, then the right one',
      }),
      () => ({
        value: rng.pick([`Basic ${f.apiKey}`, `Token ${f.apiKey}`, f.apiKey]),
        defect: 'scheme',
      }),
      () => ({ value: rng.printable(rng.int(1, 300)), defect: 'garbage' }),
      () => ({ value: `Bearer ${rng.text(10_240, ALNUM)}`, defect: '10 KB key' }),
      () => ({
        value: `Bearer ${String.fromCharCode(...Array.from({ length: 20 }, () => rng.int(0x80, 0xff)))}`,
        defect: 'latin-1 key',
      }),
      () => ({ value: `Bearer ${f.readKey}`, defect: 'read key' }),
      () => ({ value: `Bearer ${f.revokedKey}`, defect: 'revoked key' }),
      () => ({
        value: `Bearer ${f.otherKey}`,
        defect: 'another project’s key',
        crossProject: true,
      }),
    ])();
  }

  function contentType(bad: boolean): Part<string | undefined> {
    if (!bad) {
      return {
        value: rng.pick([
          'application/json',
          'application/json',
          'application/json; charset=utf-8',
          'Application/JSON',
          'text/plain',
          'text/plain;charset=UTF-8',
        ]),
      };
    }
    return {
      value: rng.pick([
        undefined,
        '',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----x',
        'application/xml',
        'text/html',
        'text/csv',
        'application/octet-stream',
        'image/png',
        ';;;===',
        'application/',
        '/',
        'json',
        `${rng.text(rng.int(1, 20), 'abcxyz')}/${rng.text(rng.int(1, 20), 'abcxyz')}`,
        rng.printable(rng.int(1, 80)).replace(/json|text\/plain/gi, 'x'),
      ]),
      defect: 'content type',
    };
  }

  function idempotencyKey(bad: boolean): Part<string | string[] | undefined> {
    if (!bad && rng.chance(0.5)) return { value: undefined };
    if (!bad) {
      const random = rng.printable(rng.int(0, 40)).replace(/ /g, '_');
      return { value: `${runId}-${serial}-${random}`.slice(0, 255) };
    }
    return {
      value: rng.pick([
        '',
        ' ',
        'has space',
        'x'.repeat(256),
        'é',
        'tab\there',
        'del\u007f',
        `${rng.text(300, ALNUM)}`,
        String.fromCharCode(rng.int(0x80, 0xff)),
        // Sent twice, the values are joined with ", ": a space, so not a valid key.
        [`${runId}-${serial}-a`, `${runId}-${serial}-b`],
      ]),
      defect: 'Idempotency-Key',
    };
  }

  function method(bad: boolean): Part<Method> {
    return !bad
      ? { value: 'POST' }
      : { value: rng.pick(['GET', 'PUT', 'PATCH', 'DELETE'] as const), defect: 'method' };
  }

  // ——— metric references ———
  function validRef(metric: FuzzMetric): string {
    return rng.pick([
      metric.name,
      metric.name.toUpperCase(),
      metric.id,
      metric.id.toUpperCase(),
      ` ${metric.name} `,
    ]);
  }
  /** A path segment naming no metric of this key (or no valid URL at all). */
  function badSegment(crossProject: boolean): string {
    for (;;) {
      const segment = rng.pick<() => string>([
        () => encodeURIComponent(rng.printable(rng.int(1, 60))),
        () => encodeURIComponent(rng.unicode(rng.int(1, 50))),
        () =>
          [...rng.bytes(rng.int(1, 30))].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
        () => rng.pick(['%', '%Z1', '%G0', '%%', '%E0%A4%A', 'a%2', '%C0%AF', '%ED%A0%80']),
        () => rng.pick(['.', '..', '%2e%2e', '%2E', '..%2F..%2Fetc%2Fpasswd', '%2F', '%5C']),
        () => 'a'.repeat(rng.int(101, 20_000)),
        () => encodeURIComponent('é'.repeat(rng.int(51, 200))),
        () => `${f.basic.name}${rng.pick(['%00', '%0A', '%2Fx', 'x', '-', '%20x'])}`,
        () => `${rng.pick(['%00', 'x', '%E2%80%8B'])}${f.dual.name}`,
        () => `${f.basic.name}/${rng.pick(['x', '..', 'batch', '%2F'])}`,
        () => rng.uuid(),
        () => (crossProject ? rng.uuid() : f.otherMetricId),
        () => 'BATCH',
      ])();
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return segment; // not a valid URL: refused as such
      }
      if (!reserved.has(decoded.trim().toLowerCase())) return segment;
    }
  }

  // ——— requests ———
  function withIdempotency(
    headers: Record<string, string | string[]>,
    key: Part<string | string[] | undefined>,
  ): void {
    if (key.value !== undefined) headers['idempotency-key'] = key.value;
  }

  /**
   * Which components of a request carry a defect: none for a valid request, else one chosen
   * component plus, now and then, others.
   */
  function pickDefects<K extends string>(
    valid: boolean,
    weights: Record<K, number>,
  ): Record<K, boolean> {
    const names = Object.keys(weights) as K[];
    const total = names.reduce((sum, n) => sum + weights[n], 0);
    let roll = rng.next() * total;
    let forced = names[0];
    for (const name of names) {
      forced = name;
      roll -= weights[name];
      if (roll < 0) break;
    }
    return Object.fromEntries(
      names.map((n) => [n, !valid && (n === forced || rng.chance(0.1))]),
    ) as Record<K, boolean>;
  }

  function single(): Probe {
    const metric = rng.pick(metrics);
    const bad = pickDefects(rng.chance(0.2), {
      method: 1,
      auth: 4,
      contentType: 2,
      key: 2,
      path: 4,
      body: 12,
    });
    const m = method(bad.method);
    const a = auth(bad.auth);
    const ct = contentType(bad.contentType);
    const key = idempotencyKey(bad.key);
    const badPath = bad.path;
    const prefix = rng.pick(['/event/v1/', '/v1/']);
    const segment = badPath
      ? badSegment(a.crossProject === true)
      : encodeURIComponent(validRef(metric));
    const suffix = rng.pick(['', '', '', '/', '?value=1', '?__proto__[polluted]=1']);
    const badBody = bad.body;
    const event = validEvent(metric);
    let payload: string | Buffer = badBody
      ? rng.chance(0.7)
        ? badEvent(metric)
        : junkBody()
      : event.text;
    if (typeof payload === 'string' && payload.includes(BAD_UTF8_MARKER)) {
      payload = withBadUtf8(rng, payload);
    }
    const defects = [m, a, ct, key]
      .map((p) => p.defect)
      .concat(badPath ? ['path'] : [], badBody ? ['body'] : [])
      .filter((d): d is string => d !== undefined);
    const headers: Record<string, string | string[]> = {};
    if (a.value !== undefined) headers.authorization = a.value;
    if (ct.value !== undefined) headers['content-type'] = ct.value;
    withIdempotency(headers, key);
    const valid = defects.length === 0;
    return {
      label: valid ? 'valid event' : defects.join(' + '),
      method: m.value,
      url: `${prefix}${segment}${suffix}`,
      headers,
      payload: m.value === 'GET' ? undefined : payload,
      expect: valid
        ? { kind: 'accept', event: { ok: true, metric, micros: event.micros } }
        : { kind: 'reject' },
      ...(valid && key.value !== undefined ? { idempotencyKey: key.value } : {}),
    };
  }

  function batchItem(crossProject: boolean): { text: string; expect: EventExpectation } {
    const metric = rng.pick(metrics);
    if (rng.chance(0.55)) {
      const event = validEvent(metric, [['metric', JSON.stringify(validRef(metric))]]);
      return {
        text: event.text,
        expect: crossProject ? { ok: false } : { ok: true, metric, micros: event.micros },
      };
    }
    const text = rng.pick<() => string>([
      () => rng.pick(['1', 'null', '"x"', '[]', 'true', '[{}]', '{}']),
      () => validEvent(metric).text,
      () =>
        validEvent(metric, [['metric', rng.pick(['null', '1', '{}', '[]', '""', '"   "', 'true'])]])
          .text,
      () => validEvent(metric, [['metric', JSON.stringify('m'.repeat(rng.int(101, 5_000)))]]).text,
      () => {
        let name = rng.unicode(rng.int(1, 40));
        while (reserved.has(name.trim().toLowerCase())) name += 'x';
        return validEvent(metric, [['metric', JSON.stringify(name)]]).text;
      },
      // Another project's metric (a random id when the key is that project's).
      () =>
        validEvent(metric, [
          ['metric', JSON.stringify(crossProject ? rng.uuid() : f.otherMetricId)],
        ]).text,
      () => validEvent(metric, [['metric', `"${metric.name}${BAD_UTF8_MARKER}"`]]).text,
      () => badEvent(metric, [['metric', JSON.stringify(validRef(metric))]], true),
    ])();
    return { text, expect: { ok: false } };
  }

  function batch(): Probe {
    const bad = pickDefects(rng.chance(0.5), {
      method: 1,
      auth: 3,
      contentType: 2,
      key: 2,
      shape: 6,
    });
    const m = method(bad.method);
    const a = auth(bad.auth);
    const ct = contentType(bad.contentType);
    const key = idempotencyKey(bad.key);
    const items = Array.from({ length: rng.pick([1, rng.int(1, 10), rng.int(1, 60)]) }, () =>
      batchItem(a.crossProject === true),
    );
    const badShape = bad.shape;
    let payload: string | Buffer = badShape
      ? rng.pick<() => string | Buffer>([
          () => junkBody(),
          () =>
            rng.pick([
              '{}',
              '[]',
              '{"events":{}}',
              '{"events":"x"}',
              '{"events":null}',
              '{"events":[]}',
            ]),
          () =>
            `{"events":[${items.map((i) => i.text).join(',')}],"${rng.pick(['extra', 'Events', ''])}":1}`,
          () => `{"events":[${Array.from({ length: 1_001 }, () => '1').join(',')}]}`,
          () => `{"__proto__":{"polluted":true},"events":[${items.map((i) => i.text).join(',')}]}`,
          () => {
            const text = `{"events":[${items.map((i) => i.text).join(',')}]}`;
            return text.slice(0, rng.int(0, text.length - 1));
          },
        ])()
      : `{"events":[${items.map((i) => i.text).join(',')}]}`;
    const itemsAreParsed = !badShape && Buffer.byteLength(payload) <= f.ctx.config.bodyLimitBytes;
    if (typeof payload === 'string' && payload.includes(BAD_UTF8_MARKER)) {
      payload = withBadUtf8(rng, payload);
    }
    const defects = [m, a.crossProject === true ? { defect: undefined } : a, ct, key]
      .map((p) => p.defect)
      .concat(itemsAreParsed ? [] : ['batch body'])
      .filter((d): d is string => d !== undefined);
    const headers: Record<string, string | string[]> = {};
    if (a.value !== undefined) headers.authorization = a.value;
    if (ct.value !== undefined) headers['content-type'] = ct.value;
    withIdempotency(headers, key);
    const valid = defects.length === 0;
    const anyStored = items.some((i) => i.expect.ok);
    return {
      label: valid ? `batch of ${items.length}` : `batch: ${defects.join(' + ')}`,
      method: m.value,
      url: rng.pick(['/event/v1/batch', '/event/v1/batch/']),
      headers,
      payload: m.value === 'GET' ? undefined : payload,
      expect: valid
        ? { kind: 'batch', events: items.map((i) => i.expect) }
        : defects.length === 1 && !itemsAreParsed
          ? { kind: 'nothing stored' }
          : { kind: 'reject' },
      ...(valid && anyStored && key.value !== undefined ? { idempotencyKey: key.value } : {}),
    };
  }

  return {
    next(): Probe {
      serial += 1;
      return rng.chance(0.25) ? batch() : single();
    },
    /** A different valid body for a request's key: must be refused as a reused key. */
    otherBody(probe: Probe): Probe {
      const metric = probe.url.includes('batch') ? f.basic : rng.pick(metrics);
      const body = probe.url.includes('batch')
        ? `{"events":[${validEvent(metric, [['metric', JSON.stringify(metric.id)]]).text}]}`
        : validEvent(metric).text;
      return {
        ...probe,
        label: 'same Idempotency-Key, another body',
        url: probe.url.includes('batch') ? probe.url : `/event/v1/${metric.id}`,
        payload: body,
        expect: { kind: 'reused' },
      };
    },
  };
}

const PROBLEM_TYPE = /^application\/problem\+json(;|$)/;

for (const dialect of DIALECTS) {
  describe(`ingest fuzz [${dialect}]`, () => {
    let f: Fixture;

    beforeAll(async () => {
      const ctx = await createTestApp(dialect, { env: { MEASURELY_RATE_LIMIT: '100000000' } });
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner, 'Fuzz');
      const other = await createProject(ctx.app, owner, 'Other');
      const newKey = async (scope: 'ingest' | 'read') => {
        const response = await call(ctx.app, 'POST', `/api/projects/${project.id}/keys`, {
          session: owner,
          body: { name: `fuzz ${scope}`, scope },
        });
        expect(response.statusCode).toBe(201);
        return response.json().key as { id: string; secret: string };
      };
      const readKey = await newKey('read');
      const revoked = await newKey('ingest');
      const revoke = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${project.id}/keys/${revoked.id}`,
        {
          session: owner,
        },
      );
      expect(revoke.statusCode).toBe(200);
      const metric = async (projectId: string, name: string, type: 'basic' | 'dual') =>
        createMetric(ctx.app, owner, projectId, { name, type });
      const basic = await metric(project.id, 'fuzz-orders', 'basic');
      const dual = await metric(project.id, 'fuzz-balance', 'dual');
      const otherMetric = await metric(other.id, 'other-orders', 'basic');
      f = {
        ctx,
        owner,
        projectId: project.id,
        apiKey: project.apiKey,
        readKey: readKey.secret,
        revokedKey: revoked.secret,
        otherKey: other.apiKey,
        otherMetricId: otherMetric.id,
        basic: { ...basic, type: 'basic', expected: { micros: 0n, count: 0 } },
        dual: { ...dual, type: 'dual', expected: { micros: 0n, count: 0 } },
      };
    });

    afterAll(async () => {
      await f?.ctx.close();
    });

    async function totals(metric: FuzzMetric): Promise<{ micros: bigint; count: number }> {
      const response = await call(
        f.ctx.app,
        'GET',
        `/api/projects/${f.projectId}/metrics/${metric.id}`,
        { session: f.owner },
      );
      expect(response.statusCode).toBe(200);
      const shown = response.json().metric as { totalExact: string; eventCount: number };
      return { micros: micros(shown.totalExact), count: shown.eventCount };
    }

    it(`refuses ${HOSTILE} hostile requests with 4xx problems and counts only the valid events (seed ${SEED})`, async () => {
      console.info(
        `ingest fuzz [${dialect}]: seed ${SEED} (MEASURELY_FUZZ_SEED=${SEED} to replay)`,
      );
      const rng = new Rng(SEED);
      const gen = generator(rng, f, `fz${SEED.toString(36)}`);
      const stored: Array<{ probe: Probe; body: string }> = [];
      const failures: string[] = [];
      const tally = { valid: 0, rejected: 0, batches: 0, replays: 0, reused: 0 };
      const started = Date.now();

      function check(probe: Probe, response: LightResponse, i: number): void {
        const status = response.statusCode;
        const fail = (why: string) =>
          failures.push(
            `#${i} ${probe.label}: ${why}\n  ${probe.method} ${probe.url.slice(0, 80)} ${JSON.stringify(probe.headers).slice(0, 200)}\n  ${String(probe.payload ?? '').slice(0, 200)}\n  → ${status} ${response.body.slice(0, 300)}`,
          );

        if (status >= 500) {
          fail('server error');
          return;
        }
        if (status >= 400) {
          const type = String(response.headers['content-type'] ?? '');
          let problem: { code?: unknown; status?: unknown } = {};
          try {
            problem = response.json();
          } catch {
            // reported below
          }
          const known = ERROR_CODES[problem.code as keyof typeof ERROR_CODES];
          if (
            !PROBLEM_TYPE.test(type) ||
            known === undefined ||
            known.status !== status ||
            problem.status !== status
          ) {
            fail('not a problem document with a known code of this status');
            return;
          }
        }

        const expectation = probe.expect;
        switch (expectation.kind) {
          case 'reject':
            if (status < 400) fail('a request with a defect was accepted');
            else tally.rejected += 1;
            break;
          case 'nothing stored': {
            const accepted = status === 200 ? response.json().accepted : undefined;
            if (status >= 400) tally.rejected += 1;
            else if (accepted !== 0) fail('a broken batch stored events');
            break;
          }
          case 'accept': {
            const { metric, micros: value } = expectation.event;
            if (status !== 200 || response.json().metricId !== metric.id) {
              fail('a valid event was refused');
              break;
            }
            metric.expected.micros += value;
            metric.expected.count += 1;
            tally.valid += 1;
            if (probe.idempotencyKey !== undefined) stored.push({ probe, body: response.body });
            break;
          }
          case 'batch': {
            if (status !== 200) {
              fail('a valid batch was refused');
              break;
            }
            tally.batches += 1;
            const body = response.json() as {
              accepted: number;
              rejected: number;
              results: Array<{ index: number; ok: boolean; code?: string }>;
            };
            const wanted = expectation.events;
            const okCount = wanted.filter((e) => e.ok).length;
            const resultsMatch =
              body.results.length === wanted.length &&
              body.results.every(
                (r, index) =>
                  r.index === index &&
                  r.ok === wanted[index]?.ok &&
                  (r.ok || (typeof r.code === 'string' && r.code in ERROR_CODES)),
              );
            if (
              !resultsMatch ||
              body.accepted !== okCount ||
              body.rejected !== wanted.length - okCount
            ) {
              fail(`expected ${okCount} of ${wanted.length} accepted`);
              break;
            }
            for (const event of wanted) {
              if (!event.ok) continue;
              event.metric.expected.micros += event.micros;
              event.metric.expected.count += 1;
              tally.valid += 1;
            }
            if (probe.idempotencyKey !== undefined) stored.push({ probe, body: response.body });
            break;
          }
          case 'replay':
            if (
              status !== 200 ||
              response.headers['idempotent-replayed'] !== 'true' ||
              response.body !== expectation.body
            ) {
              fail('an exact retry was not answered as the first time');
            } else {
              tally.replays += 1;
            }
            break;
          case 'reused':
            if (status !== 422 || response.json().code !== 'IDEMPOTENCY_KEY_REUSED') {
              fail('a key reused for another body was not refused');
            } else {
              tally.reused += 1;
            }
            break;
        }
      }

      /**
       * The next window of requests, sent together. A retry (exact or with another body) names
       * a request answered in an earlier window, and no two requests of a window share an
       * Idempotency-Key: a key still in flight is answered 409, by design.
       */
      const nextWindow = (): Probe[] => {
        const window: Probe[] = [];
        const keys = new Set<string>();
        while (window.length < WINDOW) {
          let probe: Probe;
          const past = stored.length > 0 ? rng.pick(stored) : undefined;
          const pastKey = past?.probe.idempotencyKey;
          const retryable = past !== undefined && typeof pastKey === 'string' && !keys.has(pastKey);
          if (retryable && rng.chance(0.03)) {
            probe = {
              ...past.probe,
              label: 'exact retry',
              expect: { kind: 'replay', body: past.body },
            };
          } else if (retryable && rng.chance(0.01)) {
            probe = gen.otherBody(past.probe);
          } else {
            probe = gen.next();
          }
          if (typeof probe.idempotencyKey === 'string') keys.add(probe.idempotencyKey);
          window.push(probe);
        }
        return window;
      };

      let i = 0;
      while (tally.rejected < HOSTILE && i < HOSTILE * 3) {
        const window = nextWindow();
        const answered = await Promise.all(
          window.map(async (probe) => ({
            probe,
            response: await f.ctx.app.inject({
              method: probe.method,
              url: probe.url,
              headers: probe.headers,
              ...(probe.payload === undefined ? {} : { payload: probe.payload }),
            }),
          })),
        );
        // Checked in the order they were made, so what is stored for retries is the same on
        // every run of a seed.
        for (const { probe, response } of answered) {
          check(probe, response, i);
          i += 1;
        }
      }
      const elapsed = Date.now() - started;
      console.info(`ingest fuzz [${dialect}]: ${i} requests in ${elapsed} ms`, tally);

      expect(failures.slice(0, 20), `${failures.length} failures, seed ${SEED}`).toEqual([]);
      // The mix exercised every path: refusals, single events, batches and retries.
      expect(tally.rejected).toBeGreaterThanOrEqual(HOSTILE);
      expect(tally.valid).toBeGreaterThan(HOSTILE / 10);
      expect(tally.batches).toBeGreaterThan(0);
      expect(tally.replays).toBeGreaterThan(0);
      expect(tally.reused).toBeGreaterThan(0);

      // Nothing leaked onto Object.prototype of the process serving the requests.
      expect(Object.keys(Object.prototype)).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      // Still healthy, and still taking events.
      const health = await f.ctx.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      for (const metric of [f.basic, f.dual]) {
        const last = await call(f.ctx.app, 'POST', `/event/v1/${metric.name}`, {
          headers: { authorization: `Bearer ${f.apiKey}` },
          body: { value: 0.01, filters: { plan: 'pro' } },
        });
        expect(last.statusCode, last.body).toBe(200);
        metric.expected.micros += 10_000n;
        metric.expected.count += 1;
      }

      // The totals are exactly the valid events: no refused request left a trace.
      expect(await totals(f.basic)).toEqual(f.basic.expected);
      expect(await totals(f.dual)).toEqual(f.dual.expected);
    }, 120_000);
  });
}
