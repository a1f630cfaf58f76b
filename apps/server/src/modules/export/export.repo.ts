import type { Storage } from '../../storage/database.js';
import { BlockReader } from '../ingest/event-block.js';
import type { EventRow } from './export-format.js';

export interface EventSelection {
  readonly metricId: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** Every one must match: the event's filters hold that key with that value. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
}

const HOUR_MS = 3_600_000;
/**
 * Blocks per database read. A block holds at most one commit's events of a metric (20,000), so
 * this bounds what a read holds while keeping round trips few for small blocks.
 */
const BLOCKS_PER_READ = 16;

interface BlockRow {
  readonly id: number;
  readonly first_ts: number;
  readonly events: string;
}

export function createExportRepo(storage: Storage) {
  const { db } = storage;

  return {
    /** Every filter key the metric has ever received, sorted by code point. */
    async listFilterKeys(metricId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('metricFilterValues')
        .select('key')
        .distinct()
        .where('metricId', '=', metricId)
        .execute();
      // Sorted here: a database collation may order punctuation otherwise, and each engine its own way.
      return rows.map((row) => row.key).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },

    /**
     * The events in ts order, pages of up to `chunkSize`, from the blocks of the range's hours
     * read in (first_ts, id) order off the (metric_id, hour, first_ts, id) index, in one snapshot.
     */
    streamEvents(selection: EventSelection, chunkSize: number): AsyncGenerator<EventRow[], void> {
      const { metricId, from, to } = selection;
      // Every event of a block lies in its hour: a block reaching `from` starts at its hour.
      const query = db
        .selectFrom('eventBlocks')
        .select(['id', 'firstTs', 'events'])
        .where('metricId', '=', metricId)
        .where('hour', '>=', from - (((from % HOUR_MS) + HOUR_MS) % HOUR_MS))
        .where('hour', '<', to)
        .where('firstTs', '<', to)
        .where('lastTs', '>=', from)
        .orderBy('hour')
        .orderBy('firstTs')
        .orderBy('id')
        .compile();
      const blocks = storage.streamRows<BlockRow>(query, BLOCKS_PER_READ);
      return mergeBlocks(blocks, selection, chunkSize);
    },
  };
}

export type ExportRepo = ReturnType<typeof createExportRepo>;

/**
 * Merges blocks read in first_ts order into one ts-ordered stream. An event can go out once the
 * next block starts after it, since no later block holds an earlier event: only the blocks that
 * overlap in time are held (at most one hour's, as every block lies within its hour). Events of
 * equal ts come out in the order they were stored: by block id, then as the block has them.
 */
async function* mergeBlocks(
  blocks: AsyncGenerator<BlockRow[], void>,
  selection: EventSelection,
  chunkSize: number,
): AsyncGenerator<EventRow[], void> {
  const { from, to } = selection;
  const members = selection.filters.map(([key, value]) => `"${key}":"${value}"`);
  const heap = new ReaderHeap();
  let page: EventRow[] = [];
  /** Moves the earliest pending event into the page if it is selected. */
  const next = (): void => {
    const reader = heap.top();
    if (reader === undefined) return;
    if (reader.ts < from || reader.ts >= to) reader.skip();
    else {
      const event = reader.take();
      if (members.every((member) => hasMember(event.filters, member))) page.push(event);
    }
    heap.settleTop();
  };
  try {
    for await (const rows of blocks) {
      for (const row of rows) {
        const reader = new BlockReader(Number(row.first_ts), row.events);
        while (!heap.empty() && (heap.top()?.ts ?? 0) < reader.ts) {
          next();
          if (page.length >= chunkSize) {
            yield page;
            page = [];
          }
        }
        heap.push(reader, Number(row.id));
      }
    }
    while (!heap.empty()) {
      next();
      if (page.length >= chunkSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  } finally {
    await blocks.return();
  }
}

/** Filters JSON holds `"key":"value"` as a whole member (keys hold no quote, comma or colon). */
function hasMember(json: string, member: string): boolean {
  for (let i = json.indexOf(member); i !== -1; i = json.indexOf(member, i + 1)) {
    const before = json[i - 1];
    const after = json[i + member.length];
    if ((before === '{' || before === ',') && (after === ',' || after === '}')) return true;
  }
  return false;
}

interface HeapItem {
  readonly reader: BlockReader;
  readonly id: number;
}

/** Block readers by (ts of their next event, block id): a binary min-heap. */
class ReaderHeap {
  readonly #items: HeapItem[] = [];

  empty(): boolean {
    return this.#items.length === 0;
  }

  top(): BlockReader | undefined {
    return this.#items[0]?.reader;
  }

  push(reader: BlockReader, id: number): void {
    if (reader.done) return;
    const items = this.#items;
    const item = { reader, id };
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent];
      if (above === undefined || !before(item, above)) break;
      items[i] = above;
      i = parent;
    }
    items[i] = item;
  }

  /** Restores the order after the top reader moved on: drops it if it is done. */
  settleTop(): void {
    const items = this.#items;
    let item = items[0];
    if (item === undefined) return;
    if (item.reader.done) {
      const last = items.pop();
      if (items.length === 0 || last === undefined) return;
      item = last;
    }
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      let child = left;
      const l = items[left];
      const r = items[right];
      if (l === undefined) break;
      let smallest = l;
      if (r !== undefined && before(r, l)) {
        child = right;
        smallest = r;
      }
      if (!before(smallest, item)) break;
      items[i] = smallest;
      i = child;
    }
    items[i] = item;
  }
}

function before(a: HeapItem, b: HeapItem): boolean {
  return a.reader.ts < b.reader.ts || (a.reader.ts === b.reader.ts && a.id < b.id);
}
