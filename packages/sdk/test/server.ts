// A real Measurely server for the SDK tests: built with the server's own factory on a fresh
// database of the dialect, listening on a real port, restartable on the same port and database.
import net from 'node:net';
import { buildApp } from '../../../apps/server/src/app.js';
import type { Config } from '../../../apps/server/src/config.js';
import type { App } from '../../../apps/server/src/http.js';
import { openStorage, type Storage } from '../../../apps/server/src/storage/database.js';
import {
  call,
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
} from '../../../apps/server/src/test/factories.js';
import {
  createTestDatabase,
  type TestDatabase,
  type TestDialect,
  testConfig,
} from '../../../apps/server/src/test/harness.js';

export { DIALECTS } from '../../../apps/server/src/test/harness.js';

export interface Tenant {
  readonly projectId: string;
  /** An ingest key of the project. */
  readonly ingestKey: string;
  /** A read key of the project. */
  readonly readKey: string;
  readonly readKeyId: string;
  readonly owner: Session;
}

export interface LiveServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly app: App;
  /** A new user, project, ingest key and read key. */
  createTenant(): Promise<Tenant>;
  /** A new basic (or other) metric of the tenant's project. */
  createMetric(
    tenant: Tenant,
    type?: 'basic' | 'dual' | 'average',
  ): Promise<{ id: string; name: string }>;
  /** The committed total and event count of a metric, read through the API. */
  totals(tenant: Tenant, metric: string): Promise<{ total: number; eventCount: number }>;
  /** Stops listening (in-flight requests finish, the buffers are committed), keeps the database. */
  stop(): Promise<void>;
  /** Listens again on the same port and database, as a restarted process would. */
  start(): Promise<void>;
  /** Stops and drops the database. */
  close(): Promise<void>;
}

/**
 * A server on the real clock (rate limits refill), on `port` (0: any free one).
 * `env` is the server's environment, e.g. `{ MEASURELY_RATE_LIMIT: '1' }`.
 */
export async function startServer(
  dialect: TestDialect,
  env: Record<string, string> = {},
): Promise<LiveServer> {
  const database: TestDatabase = await createTestDatabase(dialect);
  const config: Config = testConfig(database.url, env);
  let storage: Storage | undefined;
  let app: App | undefined;
  let port = 0;

  const start = async (): Promise<void> => {
    storage = await openStorage(config.database);
    app = await buildApp(config, { storage });
    await app.listen({ port, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    port = address.port;
  };
  const stop = async (): Promise<void> => {
    await app?.close();
    await storage?.close();
    app = undefined;
    storage = undefined;
  };
  const live = (): App => {
    if (app === undefined) throw new Error('the server is stopped');
    return app;
  };

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get app() {
      return live();
    },
    async createTenant() {
      const owner = await signUp(live());
      const project = await createProject(live(), owner, 'SDK');
      const read = await createKey(live(), owner, project.id, 'read');
      return {
        projectId: project.id,
        ingestKey: project.apiKey,
        readKey: read.secret,
        readKeyId: read.id,
        owner,
      };
    },
    async createMetric(tenant, type = 'basic') {
      const name = `m-${Math.random().toString(36).slice(2, 10)}`;
      return createMetric(live(), tenant.owner, tenant.projectId, { name, type });
    },
    async totals(tenant, metric) {
      const response = await call(
        live(),
        'GET',
        `/api/projects/${tenant.projectId}/metrics/${encodeURIComponent(metric)}`,
        { session: tenant.owner },
      );
      if (response.statusCode !== 200) throw new Error(`totals: ${response.body}`);
      const { total, eventCount } = response.json().metric;
      return { total, eventCount };
    },
    stop,
    start,
    async close() {
      await stop();
      await database.drop();
    },
  };
}

/** How a {@link TcpProxy} treats the responses of one connection. */
export type ProxyMode = 'pass' | 'reset-after-response' | 'hold';

export interface TcpProxy {
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target`. `modeOf(n)` decides for the n-th connection (from 1):
 * `pass` forwards both ways; `reset-after-response` forwards the request, then, as soon as the
 * server starts answering (so it has committed), destroys the client's socket unanswered;
 * `hold` forwards the request and never forwards the answer.
 */
export async function startProxy(
  target: { port: number },
  modeOf: (connection: number) => ProxyMode,
): Promise<TcpProxy> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const mode = modeOf(connections);
    const upstream = net.connect(target.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) {
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (mode === 'pass') client.destroy();
    });
    upstream.on('data', (chunk) => {
      if (mode === 'pass') client.write(chunk);
      else if (mode === 'reset-after-response') {
        client.resetAndDestroy();
        upstream.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts connections and reads requests, but never answers. */
export async function startSilentServer(): Promise<TcpProxy & { readonly requests: number }> {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      requests += chunk.toString('latin1').match(/^(GET|POST) \//gm)?.length ?? 0;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fetch that records every response status (and errors as 0), passing everything through. */
export function recordingFetch(): { fetch: typeof fetch; statuses: number[]; urls: string[] } {
  const statuses: number[] = [];
  const urls: string[] = [];
  return {
    statuses,
    urls,
    fetch: async (input, init) => {
      urls.push(String(input));
      try {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      } catch (error) {
        statuses.push(0);
        throw error;
      }
    },
  };
}
