import type { Granularity } from '../../api/types';

const formats = new Map<string, Intl.DateTimeFormat>();

function format(tz: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${tz}|${JSON.stringify(options)}`;
  let cached = formats.get(key);
  if (cached === undefined) {
    cached = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...options });
    formats.set(key, cached);
  }
  return cached;
}

const TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/**
 * The short label of a bucket on an axis, in `tz`: "14:00" (or "Nov 28 14:00" when the window
 * spans several days), "Nov 28", "Nov 2026".
 */
export function axisLabel(
  iso: string,
  granularity: Granularity,
  tz: string,
  severalDays: boolean,
): string {
  const date = new Date(iso);
  switch (granularity) {
    case 'minute':
    case 'hour':
      return severalDays
        ? format(tz, { month: 'short', day: 'numeric', ...TIME })
            .format(date)
            .replace(',', '')
        : format(tz, TIME).format(date);
    case 'day':
    case 'week':
      return format(tz, { month: 'short', day: 'numeric' }).format(date);
    case 'month':
      return format(tz, { month: 'short', year: 'numeric' }).format(date);
  }
}

/** The full label of a bucket, for a tooltip: "Sat, Nov 28, 2026", "Week of Nov 23, 2026". */
export function fullLabel(iso: string, granularity: Granularity, tz: string): string {
  const date = new Date(iso);
  switch (granularity) {
    case 'minute':
    case 'hour':
      return format(tz, { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' }).format(date);
    case 'day':
      return format(tz, {
        weekday: 'short',
        month: 'short',
        day: 'numeric',
        year: 'numeric',
      }).format(date);
    case 'week':
      return `Week of ${format(tz, { dateStyle: 'medium' }).format(date)}`;
    case 'month':
      return format(tz, { month: 'long', year: 'numeric' }).format(date);
  }
}

/** A window as people say it, in `tz`: "Nov 1 – Nov 30, 2026"; `to` is exclusive. */
export function formatPeriod(from: string, to: string, tz: string): string {
  const start = new Date(from);
  const end = new Date(new Date(to).getTime() - 1);
  const sameYear =
    format(tz, { year: 'numeric' }).format(start) === format(tz, { year: 'numeric' }).format(end);
  const day = format(tz, { month: 'short', day: 'numeric' });
  const full = format(tz, { month: 'short', day: 'numeric', year: 'numeric' });
  const first = sameYear ? day.format(start) : full.format(start);
  const last = full.format(end);
  return first === day.format(end) && sameYear ? last : `${first} – ${last}`;
}
