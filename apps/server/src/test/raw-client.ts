import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A client on one raw connection: writes bytes as given, reads the answers as they come (each
 * with a Content-Length, or none for interim and timeout answers), and sees the server hang up.
 */
export class RawClient {
  readonly socket: net.Socket;
  readonly answers: RawAnswer[] = [];
  closed = false;
  /** The server reset the connection (answers it had sent may never have been read). */
  reset = false;
  /** Everything the server sent, as latin1 text. */
  received = '';
  #unread = Buffer.alloc(0);
  #waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      this.#unread = Buffer.concat([this.#unread, chunk]);
      this.#read();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') this.reset = true;
    });
  }

  async connected(): Promise<this> {
    if (this.socket.readyState !== 'open') {
      await new Promise((resolve) => this.socket.once('connect', resolve));
    }
    return this;
  }

  write(text: string | Buffer): void {
    if (!this.closed) this.socket.write(text);
  }

  /** Resolves once `count` answers have come in all, or rejects when the server hangs up first. */
  async answered(count: number, timeoutMs = 5_000): Promise<RawAnswer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length < count) {
      if (this.closed) throw new Error(`closed after ${this.answers.length} answers`);
      if (Date.now() > deadline) throw new Error(`${this.answers.length} answers of ${count}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.answers.slice(0, count);
  }

  /**
   * Resolves once `count` final answers (not 1xx) have come, the server has hung up, or nothing
   * has come for
   * `quietMs` (a request it is still waiting the rest of).
   */
  async settled(count: number, quietMs: number): Promise<void> {
    let seen = this.received.length;
    let quietSince = Date.now();
    const final = (): number => this.answers.filter((answer) => answer.status >= 200).length;
    while (final() < count && !this.closed && Date.now() - quietSince < quietMs) {
      await sleep(10);
      if (this.received.length !== seen) {
        seen = this.received.length;
        quietSince = Date.now();
      }
    }
  }

  async hungUp(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server kept the connection open');
      await sleep(20);
    }
  }

  #read(): void {
    for (;;) {
      const headEnd = this.#unread.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [statusLine = '', ...lines] = this.#unread.toString('latin1', 0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const framed =
        headers['transfer-encoding'] === 'chunked'
          ? dechunk(this.#unread, headEnd + 4)
          : sized(this.#unread, headEnd + 4, Number(headers['content-length'] ?? 0));
      if (framed === undefined) return;
      const { body } = framed;
      this.#unread = this.#unread.subarray(framed.end);
      this.answers.push({ status: Number(statusLine.split(' ')[1]), headers, body });
      this.#wake();
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** A body of `length` bytes starting at `start`, or undefined while incomplete. */
function sized(
  bytes: Buffer,
  start: number,
  length: number,
): { end: number; body: string } | undefined {
  const end = start + length;
  return bytes.length < end ? undefined : { end, body: bytes.toString('utf8', start, end) };
}

/** A chunked body starting at `start`: its text and where it ends, or undefined while incomplete. */
function dechunk(bytes: Buffer, start: number): { end: number; body: string } | undefined {
  let at = start;
  let body = '';
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(bytes.toString('latin1', at, lineEnd), 16);
    if (size === 0) {
      const end = bytes.indexOf('\r\n', lineEnd + 2);
      return end < 0 ? undefined : { end: end + 2, body };
    }
    if (bytes.length < lineEnd + 2 + size + 2) return undefined;
    body += bytes.toString('utf8', lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
