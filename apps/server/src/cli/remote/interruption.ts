import type { CliIo } from '../command.js';

export interface Interruption {
  /** Fires on the first SIGINT (Ctrl-C) or SIGTERM: finish what is in flight, start nothing. */
  readonly stop: AbortSignal;
  /** Fires on the second, when a `cancel` message is given: abandon what is in flight. */
  readonly cancel: AbortSignal;
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Turns SIGINT and SIGTERM into the steps of a graceful stop, writing each step's message through
 * `say` (when given); the signal after the last step ends the process at once. With `io.signal`
 * (a caller running the CLI in-process), that signal is `stop` and the process's signals are
 * left alone.
 */
export function watchInterruptions(
  io: CliIo,
  messages: { readonly stop: string; readonly cancel?: string },
  say: ((text: string) => void) | undefined,
): Interruption {
  const stop = new AbortController();
  const cancel = new AbortController();
  if (io.signal !== undefined) {
    return { stop: io.signal, cancel: cancel.signal, dispose: () => undefined };
  }
  const steps: Array<[AbortController, string]> = [[stop, messages.stop]];
  if (messages.cancel !== undefined) steps.push([cancel, messages.cancel]);
  const dispose = (): void => {
    for (const name of SIGNALS) process.removeListener(name, onSignal);
  };
  function onSignal(name: NodeJS.Signals): void {
    const step = steps.find(([controller]) => !controller.signal.aborted);
    if (step === undefined) {
      dispose();
      process.kill(process.pid, name);
      return;
    }
    say?.(`\n${step[1]}\n`);
    step[0].abort();
  }
  for (const name of SIGNALS) process.on(name, onSignal);
  return { stop: stop.signal, cancel: cancel.signal, dispose };
}
