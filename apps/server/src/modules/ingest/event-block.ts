/**
 * The packed events of one row of `event_blocks`: events of one metric and API key within one UTC
 * hour, stored by one commit. Text, one event per line (`\n` between lines, none after the last),
 * in ts order (events of equal ts in the order they were received):
 *
 *     <ts − first_ts>,<value in micro-units>,<filters JSON>
 *
 * e.g. `0,1250000,{"country":"fr"}` then `317,-42500000,{}`. The ts is a delta from the row's
 * `first_ts` (so never negative, and at most 7 digits); the value a signed 64-bit integer in
 * decimal; the filters the canonical JSON of write-plan.ts `filtersJson`. Filter keys and values
 * hold no quote, backslash or control character (event-input.ts `parseFilters`), so the JSON needs
 * no escaping and a line never holds a newline (nor a NUL, which PostgreSQL text cannot store):
 * a line is cut at its first two commas, and the rest up to the newline is the filters.
 */
export interface BlockEventInput {
  readonly ts: number;
  /** Micro-units. */
  readonly micros: bigint;
  readonly filtersJson: string;
}

/** One event read back from a block. */
export interface BlockEvent {
  /** Epoch ms. */
  readonly ts: number;
  /** Micro-units as decimal text: exact beyond 2^53. */
  readonly value: string;
  /** Canonical JSON of the filters, `{}` when none. */
  readonly filters: string;
}

export interface EncodedBlock {
  readonly firstTs: number;
  readonly lastTs: number;
  readonly count: number;
  /** The packed text. */
  readonly events: string;
}

const COMMA = 44;
const ZERO = 48;
const NINE = 57;

/** Packs events (at least one) in ts order; events of equal ts keep their order. */
export function encodeBlock(events: readonly BlockEventInput[]): EncodedBlock {
  let sorted = events;
  for (let i = 1; i < events.length; i++) {
    if ((events[i]?.ts ?? 0) < (events[i - 1]?.ts ?? 0)) {
      sorted = [...events].sort((a, b) => a.ts - b.ts);
      break;
    }
  }
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('an empty event block');
  const firstTs = first.ts;
  let text = '';
  for (const event of sorted) {
    text += `${text.length === 0 ? '' : '\n'}${event.ts - firstTs},${event.micros},${event.filtersJson}`;
  }
  return { firstTs, lastTs: last.ts, count: sorted.length, events: text };
}

/** Every event of a block, in its order. */
export function decodeBlock(firstTs: number, text: string): BlockEvent[] {
  const events: BlockEvent[] = [];
  for (const reader = new BlockReader(firstTs, text); !reader.done; ) events.push(reader.take());
  return events;
}

/**
 * Reads a block one event at a time, the ts of the next event known before it is taken: what a
 * merge of several blocks in ts order needs, without decoding whole blocks ahead of time.
 */
export class BlockReader {
  /** No event is left. */
  done = false;
  /** The ts of the next event; meaningless once `done`. */
  ts = 0;
  readonly #firstTs: number;
  readonly #text: string;
  /** Where the next event's value starts. */
  #at = 0;

  constructor(firstTs: number, text: string) {
    this.#firstTs = firstTs;
    this.#text = text;
    this.#readTs(0);
  }

  /** The next event; the reader moves on to the one after it. */
  take(): BlockEvent {
    const text = this.#text;
    const comma = text.indexOf(',', this.#at);
    if (comma === -1) throw new RangeError(`malformed event block at ${this.#at}`);
    let end = text.indexOf('\n', comma + 1);
    if (end === -1) end = text.length;
    const event = {
      ts: this.ts,
      value: text.slice(this.#at, comma),
      filters: text.slice(comma + 1, end),
    };
    this.#readTs(end + 1);
    return event;
  }

  /** Moves past the next event without building it. */
  skip(): void {
    const end = this.#text.indexOf('\n', this.#at);
    this.#readTs(end === -1 ? this.#text.length + 1 : end + 1);
  }

  #readTs(from: number): void {
    const text = this.#text;
    if (from >= text.length) {
      this.done = true;
      return;
    }
    let delta = 0;
    let i = from;
    for (let c = text.charCodeAt(i); c !== COMMA; c = text.charCodeAt(++i)) {
      // NaN past the end: not a digit either.
      if (!(c >= ZERO && c <= NINE)) throw new RangeError(`malformed event block at ${i}`);
      delta = delta * 10 + (c - ZERO);
    }
    this.ts = this.#firstTs + delta;
    this.#at = i + 1;
  }
}
