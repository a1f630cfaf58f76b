import type { LeaveGroup } from './batcher.js';

/** The bytes of `{"events":[]}` around a batch's events. */
const ENVELOPE_BYTES = 13;

/**
 * Splits events (given by the UTF-8 size of their JSON) into batch requests for a page leave:
 * in order, at most `maxEvents` each, keepalive while their bodies fit in `budgetBytes` in all
 * (browsers refuse keepalive bodies past 64 KiB in flight). What does not fit goes out without
 * keepalive: it still leaves at once, and arrives if the page lives long enough.
 */
export function planKeepalive(
  sizes: readonly number[],
  maxEvents: number,
  budgetBytes: number,
): LeaveGroup[] {
  const groups: LeaveGroup[] = [];
  let budget = budgetBytes;
  let keepalive = true;
  let count = 0;
  let bytes = ENVELOPE_BYTES;
  const close = (): void => {
    if (count === 0) return;
    groups.push({ count, keepalive });
    if (keepalive) budget -= bytes;
    count = 0;
    bytes = ENVELOPE_BYTES;
  };
  for (const size of sizes) {
    // Every event after the first of a body adds a comma.
    const cost = (count === 0 ? 0 : 1) + size;
    if (count >= maxEvents || (keepalive && bytes + cost > budget)) close();
    if (keepalive && count === 0 && ENVELOPE_BYTES + size > budget) keepalive = false;
    bytes += (count === 0 ? 0 : 1) + size;
    count++;
  }
  close();
  return groups;
}
