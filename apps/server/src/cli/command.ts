import type { Readable, Writable } from 'node:stream';
import type { ParseArgsConfig } from 'node:util';
import type { Services } from '../services.js';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Stops a long command (an import, an export) as Ctrl-C would; without it, such a command
   * handles SIGINT and SIGTERM.
   */
  readonly signal?: AbortSignal;
}

/**
 * Exit codes: 0 success, 1 refused by the server's rules, 2 bad usage, 78 bad configuration,
 * 130 interrupted (Ctrl-C or SIGTERM; an import saves where it stopped).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78, interrupted: 130 } as const;

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Ends a command with a non-zero exit code and an error `code`, after printing `output` (e.g. the
 * summary of an import that had rejected rows) as a successful result would be printed.
 */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
    readonly output?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface CommandContext {
  readonly io: CliIo;
  readonly values: Values;
  /** The words after the command's name and options, for commands that declare `positionals`. */
  readonly positionals: readonly string[];
  /**
   * Opens the database of DATABASE_URL (migrating it) and hands over the services. A SQLite
   * file that does not exist is a configuration error (exit 78) unless `create` is set: a
   * command that reads or changes data would otherwise act on a new, empty database.
   */
  readonly withServices: <T>(
    work: (services: Services) => Promise<T>,
    options?: { readonly create?: boolean },
  ) => Promise<T>;
}

export interface Command {
  /** The words that select it, e.g. `metric create`. */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
  /** Names of the positional arguments it takes, all required (e.g. `push <metric> <value>`). */
  readonly positionals?: readonly string[];
  /** Returns what to print: an object for --json, rendered as `key: value` lines otherwise. */
  run(context: CommandContext): Promise<Record<string, unknown> | undefined>;
}

export function requireString(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`--${name} is required`);
  }
  return value;
}

export function optionalString(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** An option that takes one of a fixed list of values; anything else is a usage error. */
export function optionalChoice<T extends string>(
  values: Values,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = optionalString(values, name);
  if (value === undefined || (choices as readonly string[]).includes(value)) {
    return value as T | undefined;
  }
  throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got "${value}")`);
}

export function requireChoice<T extends string>(
  values: Values,
  name: string,
  choices: readonly T[],
): T {
  requireString(values, name);
  return optionalChoice(values, name, choices) as T;
}

/**
 * A table as lines of text: the header, then a line per row, columns two spaces apart. Columns
 * are left-aligned, or, with `numbers`, every column after the first right-aligned.
 */
export function tableLines(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  align: 'left' | 'numbers' = 'left',
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        align === 'numbers' && i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
