/** One record of a CSV or NDJSON file, as found by {@link readRecords}. */
export interface RawRecord {
  /** The record's text without its line break (LF or CRLF). */
  readonly text: string;
  /** 1-based number of the line the record starts on. */
  readonly line: number;
  /** The line number just past the record (more than `line + 1` when a quoted field spans lines). */
  readonly nextLine: number;
  /** Byte offset in the file just past the record and its line break. */
  readonly end: number;
}

/** Where reading starts: a byte offset at a record boundary, and the line number found there. */
export interface ReadPosition {
  readonly offset: number;
  readonly line: number;
}

export interface ReadOptions {
  /** CSV: a line break inside double quotes belongs to the field (RFC 4180). NDJSON: false. */
  readonly quotes: boolean;
  readonly start: ReadPosition;
  /** Longest record accepted; a longer one is almost always an unclosed quote. */
  readonly maxRecordBytes: number;
}

export class RecordTooLongError extends Error {
  override name = 'RecordTooLongError';
  constructor(
    readonly line: number,
    maxBytes: number,
  ) {
    super(
      `line ${line}: a record longer than ${Math.round(maxBytes / 1024)} KiB (an unclosed quote?)`,
    );
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EMPTY = Buffer.alloc(0);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isBom(buf: Buffer): boolean {
  return buf.length >= 3 && buf.subarray(0, 3).equals(BOM);
}

/**
 * Splits a byte stream into records, a chunk at a time, without holding more than the current
 * chunk and one unfinished record. Works on bytes: the delimiters are ASCII, which never occurs
 * inside a multi-byte UTF-8 sequence, so offsets stay exact for resuming. Yields the records of
 * each chunk together (an async step per record would cost more than the parsing).
 */
export async function* readRecords(
  source: AsyncIterable<Buffer>,
  options: ReadOptions,
): AsyncGenerator<RawRecord[]> {
  const { quotes, maxRecordBytes } = options;
  let buf: Buffer = EMPTY;
  /** Absolute file offset of buf[0]. */
  let base = options.start.offset;
  let line = options.start.line;
  let recordStart = 0;
  let pos = 0;
  let inQuotes = false;
  let hasQuote = false;
  /** Absolute offset of the quote that last closed a quoted section. */
  let closedAt = -1;
  /** Position of the next quote at or after the last search, -1 for none before `noQuoteBefore`. */
  let quoteAt = -1;
  let noQuoteBefore = 0;
  let first = options.start.offset === 0;

  const nextQuote = (from: number): number => {
    if (quoteAt >= from) return quoteAt;
    const q = buf.indexOf(QUOTE, Math.max(from, noQuoteBefore));
    if (q === -1) noQuoteBefore = buf.length;
    quoteAt = q;
    return q;
  };

  const take = (endExclusive: number, next: number): RawRecord => {
    const stop =
      endExclusive > recordStart && buf[endExclusive - 1] === CR ? endExclusive - 1 : endExclusive;
    const text = buf.toString('utf8', recordStart, stop);
    const start = line;
    line += 1;
    if (hasQuote) {
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) line += 1;
    }
    const record = { text, line: start, nextLine: line, end: base + next };
    hasQuote = false;
    recordStart = next;
    pos = next;
    return record;
  };

  for await (const chunk of source) {
    if (recordStart < buf.length) {
      const shift = recordStart;
      buf = Buffer.concat([buf.subarray(shift), chunk]);
      base += shift;
      pos -= shift;
      quoteAt = quoteAt >= shift ? quoteAt - shift : -1;
      noQuoteBefore = Math.max(0, noQuoteBefore - shift);
    } else {
      base += buf.length;
      buf = chunk;
      pos = 0;
      quoteAt = -1;
      noQuoteBefore = 0;
    }
    recordStart = 0;
    // Decided once three bytes are in (or fewer, when they already differ from a BOM).
    if (first && (buf.length >= 3 || !BOM.subarray(0, buf.length).equals(buf))) {
      first = false;
      if (isBom(buf)) {
        recordStart = 3;
        pos = Math.max(pos, 3);
      }
    }

    const records: RawRecord[] = [];
    for (;;) {
      if (inQuotes) {
        const q = nextQuote(pos);
        if (q === -1) {
          pos = buf.length;
          break;
        }
        inQuotes = false;
        closedAt = base + q;
        pos = q + 1;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      const q = quotes ? nextQuote(pos) : -1;
      if (q !== -1 && (lf === -1 || q < lf)) {
        // A quote opens a quoted field only where a field starts; right after a closing quote it
        // is the second half of `""`. Elsewhere (`5" wide`) it is an ordinary character.
        if (q === recordStart || buf[q - 1] === COMMA || base + q - 1 === closedAt) {
          inQuotes = true;
          hasQuote = true;
        }
        pos = q + 1;
        continue;
      }
      if (lf === -1) {
        pos = buf.length;
        break;
      }
      records.push(take(lf, lf + 1));
    }
    if (buf.length - recordStart > maxRecordBytes) {
      throw new RecordTooLongError(line, maxRecordBytes);
    }
    if (records.length > 0) yield records;
  }
  if (recordStart < buf.length) yield [take(buf.length, buf.length)];
}

/**
 * Splits one CSV record into its fields (RFC 4180: `"…"` quotes a field, `""` is a quote inside
 * it), or says what is wrong with it. A quote inside an unquoted field is an ordinary character,
 * as {@link readRecords} reads it.
 */
export function splitCsvRecord(text: string): string[] | { error: string } {
  if (!text.includes('"')) return text.split(',');
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      let closed = false;
      i += 1;
      while (i < n) {
        const q = text.indexOf('"', i);
        if (q === -1) break;
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          closed = true;
          break;
        }
      }
      if (!closed) return { error: 'a quoted field is not closed' };
      if (i < n && text[i] !== ',') {
        return { error: `field ${fields.length + 1} has text after its closing quote` };
      }
      fields.push(value);
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      fields.push(text.slice(i, end));
      i = end;
    }
    if (i >= n) return fields;
    i += 1;
  }
}
