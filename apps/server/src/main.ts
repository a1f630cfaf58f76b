import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { App } from './http.js';

/** How long in-flight requests get to finish after SIGTERM before the process gives up. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly app: App;
  readonly url: string;
  /** Resolves once the server has closed, after a signal or a call to stop(). */
  readonly closed: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the server and closes it gracefully on SIGTERM or SIGINT. */
export async function startServer(config: Config): Promise<RunningServer> {
  const app = await buildApp(config);
  let url: string;
  try {
    url = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    throw error;
  }

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // Halfway through the grace period, connections still open (a keep-alive socket that
      // never sent a request keeps close() waiting) are cut; at the end, the process gives up.
      const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS / 2);
      const timer = setTimeout(() => {
        app.log.error('shutdown took too long; exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS);
      cut.unref();
      timer.unref();
      await app.close();
      clearTimeout(cut);
      clearTimeout(timer);
      resolveClosed();
    })();
    return stopping;
  };
  function onSignal(signal: NodeJS.Signals): void {
    app.log.info({ signal }, 'shutting down');
    void stop();
  }
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { app, url, closed, stop };
}
