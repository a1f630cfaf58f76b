import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type ProxyAction =
  | { readonly kind: 'forward' }
  /** Answers itself, without asking the server. */
  | {
      readonly kind: 'reply';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body: string;
    }
  /** Forwards the server's headers and the first bytes of its body, then drops the connection. */
  | { readonly kind: 'cut'; readonly afterBytes: number }
  /** Forwards the server's headers and the first bytes of its body, then sends nothing more. */
  | { readonly kind: 'stall'; readonly afterBytes: number };

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** 0 for the first request the proxy got. */
  readonly index: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real server, for tests of what clients do when the network or the
 * server misbehaves: `decide` may delay a request (by resolving later), answer it, or cut or
 * stall the server's answer.
 */
export async function startFaultProxy(
  target: string,
  decide: (request: ProxiedRequest) => ProxyAction | Promise<ProxyAction>,
): Promise<FaultProxy> {
  const requests: ProxiedRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', index: requests.length };
    requests.push(request);
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let action: ProxyAction;
    try {
      action = await decide(request);
    } catch {
      res.destroy();
      return;
    }
    // A client that gave up while the request was held: the server never sees it.
    if (gone) return;
    if (action.kind === 'reply') {
      res.writeHead(action.status, action.headers);
      res.end(action.body);
      return;
    }
    const upstream = http.request(
      new URL(request.path, target),
      { method: request.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (action.kind === 'forward') {
          answer.pipe(res);
          return;
        }
        const { afterBytes } = action;
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (sent >= afterBytes) return;
          const part = chunk.subarray(0, afterBytes - sent);
          sent += part.length;
          if (sent < afterBytes) {
            res.write(part);
            return;
          }
          answer.destroy();
          // Once the bytes are on their way, so that the client gets them before the cut.
          res.write(part, () => {
            if (action.kind === 'cut') res.socket?.destroy();
          });
        });
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
