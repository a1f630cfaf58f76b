import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { parseTimestampText, parseValueText } from './event-fields.js';
import { csvRowParser, ImportFileError, ndjsonRowParser } from './import-rows.js';
import { describeProgress, Progress, progressMode } from './progress.js';
import {
  type RawRecord,
  RecordTooLongError,
  readRecords,
  splitCsvRecord,
} from './record-reader.js';

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function records(
  text: string | Buffer,
  { quotes = true, chunk = 7, offset = 0, line = 1 } = {},
): Promise<RawRecord[]> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const all: RawRecord[] = [];
  const options = { quotes, start: { offset, line }, maxRecordBytes: 1024 };
  for await (const batch of readRecords(chunked(bytes.subarray(offset), chunk), options)) {
    all.push(...batch);
  }
  return all;
}

describe('parseValueText', () => {
  it('reads decimals into numbers that serialise back to the same decimal', () => {
    for (const [text, value] of [
      ['0.1', 0.1],
      ['0.53', 0.53],
      ['-42.5', -42.5],
      ['999999999.999999', 999999999.999999],
      ['+7', 7],
      ['.5', 0.5],
      ['5.', 5],
      ['1.5e3', 1500],
      ['1.2500000', 1.25],
      ['0.000001', 0.000001],
      ['-0', 0],
      [' 12 ', 12],
    ] as const) {
      const parsed = parseValueText(text);
      expect(parsed, text).toEqual({ ok: true, value });
      if (parsed.ok) expect(JSON.stringify(parsed.value)).toBe(String(value));
    }
  });

  it('refuses what the server would refuse, before a float could round it', () => {
    expect(parseValueText('0.1234567')).toMatchObject({ ok: false, code: 'VALUE_TOO_PRECISE' });
    // 16 significant digits: Number() would silently give 1234567890.123457.
    expect(parseValueText('1234567890.123456')).toMatchObject({
      ok: false,
      code: 'VALUE_TOO_PRECISE',
    });
    expect(parseValueText('1e-7')).toMatchObject({ ok: false, code: 'VALUE_TOO_PRECISE' });
    expect(parseValueText('1000000000000')).toMatchObject({
      ok: false,
      code: 'VALUE_OUT_OF_RANGE',
    });
    expect(parseValueText('1e400')).toMatchObject({ ok: false, code: 'VALUE_OUT_OF_RANGE' });
    for (const text of ['', 'abc', '1,5', '0x10', '1e', '--1', 'NaN', 'Infinity', '.']) {
      expect(parseValueText(text), text).toMatchObject({ ok: false, code: 'VALUE_INVALID' });
    }
  });
});

describe('parseTimestampText', () => {
  it('keeps ISO 8601 with a zone as text and reads epoch milliseconds as a number', () => {
    expect(parseTimestampText('2026-11-01T10:00:00.123Z')).toEqual({
      ok: true,
      value: '2026-11-01T10:00:00.123Z',
    });
    expect(parseTimestampText('2026-11-01T10:00+01:00')).toEqual({
      ok: true,
      value: '2026-11-01T10:00+01:00',
    });
    expect(parseTimestampText('1795838400000')).toEqual({ ok: true, value: 1795838400000 });
  });

  it('refuses a date without a zone, an empty cell and garbage', () => {
    for (const text of ['2026-11-01 10:00:00', '2026-11-01', '', 'yesterday', '-5', '1.5']) {
      expect(parseTimestampText(text), text).toMatchObject({
        ok: false,
        code: 'TIMESTAMP_INVALID',
      });
    }
  });
});

describe('readRecords', () => {
  it('splits LF and CRLF lines whatever the chunk size, with line numbers and end offsets', async () => {
    const text = 'a,b\r\n1,2\n\n3,4\r\nlast';
    for (const chunk of [1, 2, 3, 64]) {
      const found = await records(text, { chunk });
      expect(found.map((r) => [r.text, r.line, r.nextLine, r.end])).toEqual([
        ['a,b', 1, 2, 5],
        ['1,2', 2, 3, 9],
        ['', 3, 4, 10],
        ['3,4', 4, 5, 15],
        ['last', 5, 6, 19],
      ]);
    }
  });

  it('keeps a quoted line break inside its record, and counts its lines', async () => {
    const text = 'h\n"multi\nline, with ""quotes""",x\nnext\n';
    for (const chunk of [1, 5, 100]) {
      const found = await records(text, { chunk });
      expect(found.map((r) => [r.text, r.line])).toEqual([
        ['h', 1],
        ['"multi\nline, with ""quotes""",x', 2],
        ['next', 4],
      ]);
    }
  });

  it('treats quotes as text in NDJSON', async () => {
    const found = await records('{"a":"x\\"y"}\n{"b":1}\n', { quotes: false, chunk: 3 });
    expect(found.map((r) => r.text)).toEqual(['{"a":"x\\"y"}', '{"b":1}']);
  });

  it('skips a UTF-8 byte order mark and keeps multi-byte characters whole across chunks', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('été,ü\n€,2\n')]);
    const found = await records(bytes, { chunk: 1 });
    expect(found.map((r) => r.text)).toEqual(['été,ü', '€,2']);
    expect(found.at(-1)?.end).toBe(bytes.length);
  });

  it('starts at a saved offset and line', async () => {
    const text = 'h\n1\n2\n3\n';
    const found = await records(text, { offset: 4, line: 3 });
    expect(found.map((r) => [r.text, r.line, r.end])).toEqual([
      ['2', 3, 6],
      ['3', 4, 8],
    ]);
  });

  it('takes a quote inside a field as text, and `""` as a quote inside a quoted field', async () => {
    const text = 'h\n1,5" wide\n2,"a ""b""\nc",x\n3,x"y"\n4,"z"\n';
    for (const chunk of [1, 2, 3, 64]) {
      const found = await records(text, { chunk });
      expect(found.map((r) => [r.text, r.line])).toEqual([
        ['h', 1],
        ['1,5" wide', 2],
        ['2,"a ""b""\nc",x', 3],
        ['3,x"y"', 5],
        ['4,"z"', 6],
      ]);
    }
  });

  it('gives up on a record longer than the limit (an unclosed quote)', async () => {
    const text = `h\n"never closed,${'x'.repeat(3000)}\n1,2\n`;
    await expect(records(text, { chunk: 256 })).rejects.toThrow(RecordTooLongError);
    await expect(records(text, { chunk: 256 })).rejects.toThrow(/line 2/);
  });
});

describe('splitCsvRecord', () => {
  it('splits fields with RFC 4180 quoting', () => {
    expect(splitCsvRecord('a,,c,')).toEqual(['a', '', 'c', '']);
    expect(splitCsvRecord('"a,b","say ""hi""",""')).toEqual(['a,b', 'say "hi"', '']);
    expect(splitCsvRecord('"line\nbreak",x')).toEqual(['line\nbreak', 'x']);
  });

  it('says what is wrong with a malformed record', () => {
    expect(splitCsvRecord('"open,x')).toEqual({ error: 'a quoted field is not closed' });
    expect(splitCsvRecord('"a"b,c')).toEqual({ error: 'field 1 has text after its closing quote' });
  });

  it('takes a quote inside an unquoted field as text', () => {
    expect(splitCsvRecord('1,5" wide,x"y"')).toEqual(['1', '5" wide', 'x"y"']);
  });
});

describe('csvRowParser', () => {
  it('reads timestamp, value and filter columns, dropping empty cells and formula guards', () => {
    const parse = csvRowParser('timestamp,value,country,filter:value,"utm.source"', 'revenue');
    expect(parse('2026-11-01T00:00:00.000Z,12.5,fr,\'=1+2,"news, letter"')).toEqual({
      ok: true,
      event: {
        metric: 'revenue',
        value: 12.5,
        timestamp: '2026-11-01T00:00:00.000Z',
        filters: { country: 'fr', value: '=1+2', 'utm.source': 'news, letter' },
      },
    });
    expect(parse('1795838400000,-3,,,')).toEqual({
      ok: true,
      event: { metric: 'revenue', value: -3, timestamp: 1795838400000 },
    });
  });

  it('finds the timestamp and value columns by name, in any order and case', () => {
    const parse = csvRowParser('Plan,Value,TIMESTAMP', 'm');
    expect(parse('pro,1,2026-11-01T00:00:00Z')).toEqual({
      ok: true,
      event: { metric: 'm', value: 1, timestamp: '2026-11-01T00:00:00Z', filters: { Plan: 'pro' } },
    });
  });

  it('rejects rows with the wrong number of columns or a bad value or timestamp', () => {
    const parse = csvRowParser('timestamp,value,plan', 'm');
    expect(parse('2026-11-01T00:00:00Z,1')).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
      detail: 'Expected 3 columns (as the header), found 2.',
    });
    expect(parse('2026-11-01T00:00:00Z,abc,pro')).toMatchObject({ code: 'VALUE_INVALID' });
    expect(parse('2026-11-01T00:00:00Z,0.0000001,pro')).toMatchObject({
      code: 'VALUE_TOO_PRECISE',
    });
    expect(parse('01/11/2026,1,pro')).toMatchObject({ code: 'TIMESTAMP_INVALID' });
    expect(parse('"2026-11-01T00:00:00Z,1,pro')).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('reads a guard the export added before a value that already looked guarded', () => {
    const parse = csvRowParser('timestamp,value,a,b,c', 'm');
    expect(parse(`1,1,''=x,'''-y,'plain`)).toMatchObject({
      ok: true,
      event: { filters: { a: "'=x", b: "''-y", c: "'plain" } },
    });
  });

  it('refuses a header without timestamp and value, or with a column twice', () => {
    expect(() => csvRowParser('time,amount', 'm')).toThrow(ImportFileError);
    expect(() => csvRowParser('time,amount', 'm', 4)).toThrow(/^line 4: the CSV header must/);
    expect(() => csvRowParser('timestamp,value,plan,Plan', 'm')).toThrow(/twice/);
    expect(() => csvRowParser('timestamp,value,timestamp', 'm')).toThrow(/twice/);
    expect(() => csvRowParser('timestamp,value,,plan', 'm')).toThrow(/column 3/);
  });
});

describe('ndjsonRowParser', () => {
  const parse = ndjsonRowParser('orders');

  it('reads the lines the export writes, and a metric per line', () => {
    expect(
      parse(
        '{"timestamp":"2026-11-01T03:00:00.000Z","value":999999999.999999,"filters":{"plan":"pro"}}',
      ),
    ).toEqual({
      ok: true,
      event: {
        metric: 'orders',
        value: 999999999.999999,
        timestamp: '2026-11-01T03:00:00.000Z',
        filters: { plan: 'pro' },
      },
    });
    expect(
      parse('{"timestamp":1795838400000,"value":"0.1","filters":{},"metric":"refunds"}'),
    ).toEqual({
      ok: true,
      event: { metric: 'refunds', value: 0.1, timestamp: 1795838400000 },
    });
  });

  it('refuses numbers JSON.parse would round, unknown fields, bad JSON and missing parts', () => {
    expect(parse('{"timestamp":1,"value":99999999999.999999}')).toMatchObject({
      code: 'VALUE_TOO_PRECISE',
    });
    expect(parse('{"timestamp":1,"value":1.1234567}')).toMatchObject({ code: 'VALUE_TOO_PRECISE' });
    expect(parse('{"timestamp":1,"value":1,"vaule":2}')).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(parse('{"timestamp":1,"value":')).toMatchObject({ code: 'INVALID_JSON' });
    expect(parse('[1,2]')).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(parse('{"value":1}')).toMatchObject({ code: 'TIMESTAMP_INVALID' });
    expect(parse('{"timestamp":1.5,"value":1}')).toMatchObject({ code: 'TIMESTAMP_INVALID' });
    expect(parse('{"timestamp":1,"value":true}')).toMatchObject({ code: 'VALUE_INVALID' });
    expect(parse('{"timestamp":1,"value":1,"filters":{"a":1}}')).toMatchObject({
      code: 'FILTERS_INVALID',
    });
    expect(ndjsonRowParser(undefined)('{"timestamp":1,"value":1}')).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'The line has no "metric" and no --metric was given.',
    });
  });
});

describe('progress', () => {
  it('is off with --quiet, and with --json off a terminal unless --progress-every asks', () => {
    const mode = (quiet: boolean, json: boolean, tty: boolean, linesAsked: boolean) =>
      progressMode({ quiet, json, tty, linesAsked });
    expect(mode(true, false, true, true)).toBe('off');
    expect(mode(false, false, true, false)).toBe('tty');
    expect(mode(false, true, true, false)).toBe('tty');
    expect(mode(false, false, false, false)).toBe('lines');
    expect(mode(false, true, false, false)).toBe('off');
    expect(mode(false, true, false, true)).toBe('lines');
  });

  it('describes rows, rate, share of the file and time left', () => {
    expect(describeProgress({ rows: 412_000, offset: 41_200 }, 5_000, 100_000, 0)).toBe(
      '412,000 rows · 82,400 rows/s · 41.2% · ETA 0:07',
    );
    // A resumed run estimates from what it did itself.
    expect(describeProgress({ rows: 10, offset: 60 }, 10_000, 100, 50)).toBe(
      '10 rows · 1 rows/s · 60.0% · ETA 0:40',
    );
    expect(describeProgress({ rows: 0, offset: 0 }, 0, 0, 0)).toBe('0 rows');
  });

  it('redraws one line on a terminal and prints plain lines otherwise', () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      for (const mode of ['tty', 'lines'] as const) {
        const out = new PassThrough();
        let written = '';
        out.on('data', (chunk: Buffer) => {
          written += chunk.toString();
        });
        const progress = new Progress(out, {
          mode,
          label: 'importing x.csv',
          totalBytes: 1000,
          startOffset: 0,
          intervalMs: 1000,
          now: () => now,
        });
        now += 1000;
        progress.update({ rows: 100, offset: 250 });
        vi.advanceTimersByTime(1000);
        now += 1000;
        progress.update({ rows: 200, offset: 500 });
        vi.advanceTimersByTime(1000);
        progress.stop();
        vi.advanceTimersByTime(5000);
        if (mode === 'tty') {
          expect(written).toBe(
            '\r\x1b[Kimporting x.csv: 100 rows · 100 rows/s · 25.0% · ETA 0:03' +
              '\r\x1b[Kimporting x.csv: 200 rows · 100 rows/s · 50.0% · ETA 0:02\r\x1b[K',
          );
        } else {
          expect(written).toBe(
            'importing x.csv: 100 rows · 100 rows/s · 25.0% · ETA 0:03\n' +
              'importing x.csv: 200 rows · 100 rows/s · 50.0% · ETA 0:02\n',
          );
        }
        now = 0;
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
