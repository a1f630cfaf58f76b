import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, ENV_VARS, loadConfig, type RedisConfig } from '../config.js';
import { AppError } from '../errors.js';
import { systemClock } from '../lib/clock.js';
import { createServices } from '../services.js';
import { localSharedState, openRedisSharedState, type SharedState } from '../shared-state.js';
import { openStorage } from '../storage/database.js';
import { type CliIo, type Command, CommandFailed, EXIT, UsageError } from './command.js';
import { exportEvents } from './commands/export.js';
import { importFile } from './commands/import.js';
import { keyCreate } from './commands/key-create.js';
import { keyList } from './commands/key-list.js';
import { keyRevoke } from './commands/key-revoke.js';
import { keyRotate } from './commands/key-rotate.js';
import { memberAdd } from './commands/member-add.js';
import { metricCreate } from './commands/metric-create.js';
import { metricSeries } from './commands/metric-series.js';
import { metricShow } from './commands/metric-show.js';
import { projectCreate } from './commands/project-create.js';
import { projectLimits } from './commands/project-limits.js';
import { projectShow } from './commands/project-show.js';
import { push } from './commands/push.js';
import { serve } from './commands/serve.js';
import { userCreate } from './commands/user-create.js';
import { REMOTE_ENV } from './remote/remote-client.js';

export const COMMANDS: readonly Command[] = [
  serve,
  userCreate,
  projectCreate,
  projectShow,
  projectLimits,
  memberAdd,
  metricCreate,
  metricShow,
  metricSeries,
  keyCreate,
  keyList,
  keyRotate,
  keyRevoke,
  push,
  importFile,
  exportEvents,
];

export { EXIT };

/**
 * `(default X)`; an empty default is `none`, or what the help says stands for it
 * (MEASURELY_PUBLIC_URL: `http://HOST:PORT`).
 */
function envLine(name: string, variable: { default: string; help: string }): string {
  const given = variable.default || /\(default ([^)]+)\)/.exec(variable.help)?.[1] || 'none';
  return `  ${name} (default ${given})`;
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  const env = Object.entries(ENV_VARS).map(([name, v]) => envLine(name, v));
  return [
    'Usage: measurely <command> [options] [--json]',
    '',
    'Commands:',
    ...lines,
    '',
    'Every command accepts --json (machine-readable output) and --help.',
    'Environment:',
    ...env,
    'Environment of push, import and export (they talk to a running server, not DATABASE_URL):',
    ...Object.entries(REMOTE_ENV).map(([name, v]) => envLine(name, v)),
    '',
  ].join('\n');
}

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command !== undefined) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

/** The arguments before `--`, after which every argument is an operand (POSIX). */
function beforeOperands(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
}

const NEGATIVE_NUMBER = /^-(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * parseArgs reads `-12.5` as the unknown option `-1`. For a command that takes positionals, a
 * negative number that is not an option's value is hidden from it behind a placeholder (argv
 * never holds NUL), then put back among the positionals.
 */
function parseCommandArgs(command: Command, args: readonly string[]) {
  const takesValue = (arg = ''): boolean =>
    arg.startsWith('--') && !arg.includes('=') && command.options[arg.slice(2)]?.type === 'string';
  const negatives = new Map<string, string>();
  const hidden =
    command.positionals === undefined
      ? [...args]
      : args.map((arg, i) => {
          if (!NEGATIVE_NUMBER.test(arg) || takesValue(args[i - 1])) return arg;
          const placeholder = `\u0000${i}`;
          negatives.set(placeholder, arg);
          return placeholder;
        });
  const { values, positionals } = parseArgs({
    args: hidden,
    options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
    allowPositionals: command.positionals !== undefined,
  });
  return { values, positionals: positionals.map((p) => negatives.get(p) ?? p) };
}

function render(result: Record<string, unknown>): string {
  return Object.entries(result)
    .map(
      ([key, value]) =>
        `${key}: ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
    )
    .join('\n');
}

/** Runs one CLI invocation and returns its exit code; never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = beforeOperands(argv).includes('--json');
  const fail = (code: number, errorCode: string, message: string): number => {
    io.stderr.write(
      json
        ? `${JSON.stringify({ error: { code: errorCode, message } })}\n`
        : `measurely: ${errorCode}: ${message}\n`,
    );
    return code;
  };

  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(helpText());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    return fail(EXIT.usage, 'USAGE', `unknown command "${argv.slice(0, 2).join(' ')}"; try --help`);
  }
  const { command, rest } = found;
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help === true) {
      io.stdout.write(`${command.summary}\n\nUsage: ${command.usage} [--json]\n`);
      return EXIT.ok;
    }
    const expected = command.positionals ?? [];
    if (positionals.length < expected.length) {
      throw new UsageError(`missing <${expected.slice(positionals.length).join('> <')}>`);
    }
    const extra = positionals[expected.length];
    if (extra !== undefined) {
      throw new UsageError(
        `unexpected argument "${extra}"${
          /^--?[a-z]/i.test(extra) && rest.includes('--')
            ? ' (everything after -- is an argument: put options before --)'
            : ''
        }`,
      );
    }
    const result = await command.run({
      io,
      values,
      positionals,
      withServices: async (work, options) => {
        const config = loadConfig(io.env, io.cwd);
        const { database } = config;
        if (
          database.dialect === 'sqlite' &&
          database.file !== ':memory:' &&
          options?.create !== true &&
          !fs.existsSync(database.file)
        ) {
          throw new ConfigError([
            `DATABASE_URL: ${database.file} does not exist; run the command where the server runs, give the database's absolute path, or start with \`measurely user create\` (or \`serve\`), which create it`,
          ]);
        }
        const storage = await openStorage(config.database);
        // With REDIS_URL, running servers hear of rotated keys and changed limits at once.
        const shared = await sharedStateFor(config.redis, io);
        try {
          return await work(
            createServices({ storage, config, clock: systemClock, bus: shared.bus }),
          );
        } finally {
          await shared.close();
          await storage.close();
        }
      },
    });
    if (result !== undefined) {
      io.stdout.write(`${json ? JSON.stringify(result) : render(result)}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof AppError) return fail(EXIT.failed, error.code, error.detail);
    if (error instanceof CommandFailed) {
      if (error.output !== undefined) {
        io.stdout.write(`${json ? JSON.stringify(error.output) : render(error.output)}\n`);
      }
      return fail(error.exitCode, error.code, error.message);
    }
    if (error instanceof ConfigError) {
      return fail(EXIT.config, 'CONFIG_INVALID', error.message);
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      return fail(EXIT.usage, 'USAGE', `${(error as Error).message}\nUsage: ${command.usage}`);
    }
    return fail(EXIT.failed, 'INTERNAL', error instanceof Error ? error.message : String(error));
  }
}

/**
 * The servers' Redis, or memory when there is none or it cannot be reached: the command's change
 * is in the database either way, and servers then see it within 2 s.
 */
async function sharedStateFor(redis: RedisConfig | null, io: CliIo): Promise<SharedState> {
  if (redis === null) return localSharedState(systemClock);
  const log = { error: (_details: object, message: string) => io.stderr.write(`${message}\n`) };
  try {
    return await openRedisSharedState(redis, systemClock, log);
  } catch (error) {
    io.stderr.write(
      `warning: ${error instanceof Error ? error.message : String(error)}; running servers see this change within 2 s\n`,
    );
    return localSharedState(systemClock);
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
