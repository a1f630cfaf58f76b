import type { Writable } from 'node:stream';

export interface ProgressSnapshot {
  /** Data rows acknowledged by the server (or refused) in this run. */
  readonly rows: number;
  /** File offset reached by those rows. */
  readonly offset: number;
}

export interface ProgressOptions {
  /** `tty`: one line redrawn in place; `lines`: a plain line every `intervalMs`; `off`. */
  readonly mode: 'tty' | 'lines' | 'off';
  readonly label: string;
  readonly totalBytes: number;
  /** Offset the run started from (a resumed import starts part-way). */
  readonly startOffset: number;
  readonly intervalMs: number;
  readonly now?: () => number;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** `412,000 rows · 81,200 rows/s · 41.2% · ETA 0:14`, from a run's elapsed time and position. */
export function describeProgress(
  snapshot: ProgressSnapshot,
  elapsedMs: number,
  totalBytes: number,
  startOffset: number,
): string {
  const seconds = elapsedMs / 1000;
  const parts = [`${integer.format(snapshot.rows)} rows`];
  if (seconds > 0) parts.push(`${integer.format(snapshot.rows / seconds)} rows/s`);
  if (totalBytes > 0) {
    parts.push(`${((snapshot.offset / totalBytes) * 100).toFixed(1)}%`);
    const done = snapshot.offset - startOffset;
    if (done > 0 && seconds > 0) {
      parts.push(`ETA ${duration(((totalBytes - snapshot.offset) / done) * seconds)}`);
    }
  }
  return parts.join(' · ');
}

/**
 * How progress is shown: off with --quiet; redrawn on a terminal; else plain lines, except with
 * --json, whose error object then shares stderr, unless --progress-every asks for them.
 */
export function progressMode(options: {
  readonly quiet: boolean;
  readonly json: boolean;
  readonly tty: boolean;
  readonly linesAsked: boolean;
}): ProgressOptions['mode'] {
  if (options.quiet) return 'off';
  if (options.tty) return 'tty';
  return options.json && !options.linesAsked ? 'off' : 'lines';
}

/** Reports an import's progress on stderr while it runs. */
export class Progress {
  private snapshot: ProgressSnapshot;
  private readonly startedAt: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly out: Writable,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.snapshot = { rows: 0, offset: options.startOffset };
    if (options.mode !== 'off') {
      this.timer = setInterval(() => this.render(), options.intervalMs);
      this.timer.unref();
    }
  }

  update(snapshot: ProgressSnapshot): void {
    this.snapshot = snapshot;
  }

  /** A line about the run (a wait for the rate limit, say), above the redrawn one on a terminal. */
  note(text: string): void {
    if (this.options.mode === 'off') return;
    this.out.write(this.options.mode === 'tty' ? `\r\x1b[K${text}\n` : `${text}\n`);
    this.drawn = false;
  }

  private render(): void {
    const text = `${this.options.label}: ${describeProgress(
      this.snapshot,
      this.now() - this.startedAt,
      this.options.totalBytes,
      this.options.startOffset,
    )}`;
    if (this.options.mode === 'tty') {
      this.out.write(`\r\x1b[K${text}`);
      this.drawn = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  /** Stops reporting and clears the redrawn line, so the summary starts on a clean line. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
