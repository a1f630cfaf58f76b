import type { Readable, Writable } from 'node:stream';
import type { ParseArgsConfig } from 'node:util';
import type { Services } from '../services.js';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommandContext {
  readonly io: CliIo;
  readonly values: Values;
  /** Opens the database of DATABASE_URL (migrating it) and hands over the services. */
  readonly withServices: <T>(work: (services: Services) => Promise<T>) => Promise<T>;
}

export interface Command {
  /** The words that select it, e.g. `metric create`. */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
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
