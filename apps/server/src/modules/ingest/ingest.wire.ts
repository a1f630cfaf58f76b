import { type IncomingHttpHeaders, type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { requestTimeoutAnswer } from '../../plugins/error-handler.js';
import { type IngestAnswer, type IngestExchange, recognise } from './ingest.fast-path.js';

/** The longest request head (request line and headers) read here: Node's default limit. */
const MAX_HEAD_BYTES = 16_384;
/** The most header lines a request taken here may have. */
const MAX_HEADER_LINES = 64;
/** Unread bytes a client may send ahead of its answer before reading pauses. */
const PIPELINE_BYTES = 65_536;
/** How often connections are checked against the server's timeouts, in ms. */
const SWEEP_MS = 1_000;
const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');

const REQUEST_LINE_START = 'POST /';
const REQUEST_LINE_END = ' HTTP/1.1';
/** RFC 9110 tchar: the characters of a field name. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[c.charCodeAt(0)] = 1;
}
/**
 * Field names most requests send, lower-cased: a name read from a head that spells one of them (in
 * any case) is this string, without a copy of its own.
 */
const COMMON_NAMES: ReadonlyArray<ReadonlyArray<string> | undefined> = (() => {
  const byLength: string[][] = [];
  for (const name of [
    'host',
    'content-type',
    'content-length',
    'authorization',
    'connection',
    'idempotency-key',
    'origin',
    'user-agent',
    'accept',
    'accept-encoding',
    'x-request-id',
  ]) {
    const same = byLength[name.length] ?? [];
    same.push(name);
    byLength[name.length] = same;
  }
  return byLength;
})();
const TAB = 0x09;
const SPACE = 0x20;
const COLON = 0x3a;
/** Headers whose presence needs Node's own handling (RFC 9112 §6, §9.6, §9.9; RFC 9110 §10.1.1). */
const HANDED_OFF_HEADERS: ReadonlySet<string> = new Set(['transfer-encoding', 'expect', 'upgrade']);
const DIGITS = /^\d{1,15}$/;

interface Recognised {
  readonly metric: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Bytes of the head, its blank line included. */
  readonly headBytes: number;
  readonly bodyBytes: number;
  readonly keepAlive: boolean;
}

export interface IngestWire {
  /** Ends every connection not in the middle of a request; the others end after their answer. */
  closeIdle(): void;
  /** Destroys every connection read here. */
  destroyAll(): void;
}

/**
 * Reads ingestion requests straight off the HTTP server's sockets, without Node's HTTP machinery
 * (the parser's callbacks, request and response streams, header objects and their checks), which
 * costs more per request than storing the event does. See
 * docs/decisions/0016-ingestion-read-off-the-socket.md.
 *
 * Every connection the server accepts starts here. A request is taken only when its head is
 * unremarkable — `POST` to an ingestion route over HTTP/1.1, printable ASCII only, well-formed
 * header lines, one Host, one `Content-Length` within the body limit, a JSON content type, no
 * Transfer-Encoding, Expect or Upgrade, no repeated header — and the server is not closing. At the
 * first request that is anything else, the connection is handed to Node's HTTP server with every
 * unread byte, for the rest of its life: the framework then answers it (and any error in it)
 * exactly as it would have. A connection answers its requests in order, one at a time.
 *
 * The server's `keepAliveTimeout`, `headersTimeout` and `requestTimeout` apply to connections read
 * here as Node applies them; `closeIdleConnections()` and `closeAllConnections()` reach them too.
 */
export function attachIngestWire(
  server: Server,
  options: {
    readonly exchange: IngestExchange;
    readonly bodyLimit: number;
    /** True once the server is closing: requests then go to the framework (which answers 503). */
    readonly closing: () => boolean;
  },
): IngestWire {
  const { exchange, bodyLimit, closing } = options;
  const listeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  if (listeners.length === 0) throw new Error('the HTTP server has no connection listener');
  const connections = new Set<WireConnection>();

  function handOff(socket: Socket, unread: Buffer | undefined): void {
    socket.pause();
    if (unread !== undefined) socket.unshift(unread);
    for (const listener of listeners) listener.call(server, socket);
    // Node's parser now reads the socket; the unread bytes reach it first, on the next tick,
    // before the socket is read again.
    socket.resume();
  }

  class WireConnection {
    #unread: Buffer | undefined;
    #busy = false;
    #paused = false;
    #peerEnded = false;
    #done = false;
    /** Bytes the request at the head of the unread ones needs in all, once its head is read. */
    #awaiting = 0;
    /** Bytes received since the unread ones were last joined. */
    #pieces: Buffer[] = [];
    #pieceBytes = 0;
    /** When the connection last became idle, or its current request began (performance.now()). */
    #since = performance.now();

    constructor(readonly socket: Socket) {
      connections.add(this);
      socket.on('data', this.#onData);
      socket.on('end', this.#onEnd);
      socket.on('error', this.#onError);
      socket.on('close', this.#onClose);
    }

    get idle(): boolean {
      return !this.#busy && this.#unread === undefined;
    }

    #onData = (chunk: Buffer): void => {
      if (this.#done) return;
      // Bytes are joined only when there is something to read in them: a client sending its
      // request a byte at a time costs a copy per request, not one per byte.
      // Found before the chunk joins the others; not needed while a request is being answered.
      const headEnded = !this.#busy && this.#awaiting === 0 && this.#endsHead(chunk);
      if (this.#unread === undefined) {
        this.#unread = chunk;
        this.#since = performance.now();
      } else {
        this.#pieces.push(chunk);
        this.#pieceBytes += chunk.length;
      }
      const bytes = this.#unread.length + this.#pieceBytes;
      if (this.#busy) {
        if (bytes > PIPELINE_BYTES && !this.#paused) {
          this.#paused = true;
          this.socket.pause();
        }
        return;
      }
      const ready =
        this.#awaiting > 0
          ? bytes >= this.#awaiting // the body under way is complete
          : headEnded || bytes > MAX_HEAD_BYTES; // a head is complete, or too long to be taken
      if (ready) this.#next();
    };

    /** Whether the blank line that ends a head is in `chunk` or straddles its start. */
    #endsHead(chunk: Buffer): boolean {
      if (chunk.includes(END_OF_HEAD)) return true;
      if (this.#unread === undefined) return false;
      return Buffer.concat([this.#lastBytes(3), chunk.subarray(0, 3)]).includes(END_OF_HEAD);
    }

    /** The last `count` bytes received before the chunk being read (fewer if there are not). */
    #lastBytes(count: number): Buffer {
      const parts: Buffer[] = [];
      let missing = count;
      for (let i = this.#pieces.length - 1; i >= -1 && missing > 0; i--) {
        const bytes = i >= 0 ? this.#pieces[i] : this.#unread;
        if (bytes === undefined) break;
        const part = bytes.subarray(Math.max(0, bytes.length - missing));
        parts.unshift(part);
        missing -= part.length;
      }
      return Buffer.concat(parts);
    }

    /** Joins the pieces received since the unread bytes were last joined. */
    #join(): Buffer | undefined {
      if (this.#pieces.length > 0) {
        this.#unread = Buffer.concat([this.#unread ?? Buffer.alloc(0), ...this.#pieces]);
        this.#pieces = [];
        this.#pieceBytes = 0;
      }
      return this.#unread;
    }

    #onEnd = (): void => {
      this.#peerEnded = true;
      if (!this.#busy) this.#finish();
    };

    #onError = (): void => {
      this.socket.destroy();
    };

    #onClose = (): void => {
      this.#done = true;
      this.#unread = undefined;
      this.#pieces = [];
      connections.delete(this);
    };

    /** Takes the request at the head of the unread bytes, if it is complete. */
    #next(): void {
      const unread = this.#join();
      if (unread === undefined) {
        if (this.#peerEnded) this.#finish();
        return;
      }
      const headEnd = unread.indexOf(END_OF_HEAD);
      if (headEnd < 0) {
        if (unread.length > MAX_HEAD_BYTES) this.#handOff();
        else if (this.#peerEnded) this.#finish();
        return;
      }
      const request = headEnd + 4 > MAX_HEAD_BYTES ? undefined : readHead(unread, headEnd);
      if (request === undefined || closing()) {
        this.#handOff();
        return;
      }
      const end = request.headBytes + request.bodyBytes;
      if (unread.length < end) {
        this.#awaiting = end;
        if (this.#peerEnded) this.#finish();
        return;
      }
      this.#awaiting = 0;
      const body = unread.subarray(request.headBytes, end);
      this.#unread = unread.length === end ? undefined : unread.subarray(end);
      this.#busy = true;
      exchange(request.metric, request.headers, body, (answer) =>
        this.#reply(answer, request.keepAlive),
      );
    }

    #reply(answer: IngestAnswer, keepAlive: boolean): void {
      this.#busy = false;
      if (this.#done) return;
      const close = !keepAlive || closing();
      this.socket.write(serialise(answer, close, server.keepAliveTimeout), 'utf8');
      if (close) {
        this.#done = true;
        this.socket.end();
        return;
      }
      this.#since = performance.now();
      if (this.#paused) {
        this.#paused = false;
        this.socket.resume();
      }
      this.#next();
    }

    /** The peer sent its last byte: whatever is left unanswered is incomplete. */
    #finish(): void {
      if (this.#done) return;
      this.#done = true;
      this.socket.end();
    }

    #handOff(): void {
      const { socket } = this;
      const unread = this.#join();
      this.#done = true;
      this.#unread = undefined;
      connections.delete(this);
      socket.removeListener('data', this.#onData);
      socket.removeListener('end', this.#onEnd);
      socket.removeListener('error', this.#onError);
      socket.removeListener('close', this.#onClose);
      if (this.#paused) socket.resume();
      handOff(socket, unread);
    }

    /** Applies the server's timeouts, as Node does to the connections it reads. */
    sweep(now: number): void {
      if (this.#done || this.#busy) return;
      const elapsed = now - this.#since;
      if (this.#unread === undefined) {
        if (server.keepAliveTimeout > 0 && elapsed > server.keepAliveTimeout) this.destroy();
        return;
      }
      const headComplete = this.#unread.includes(END_OF_HEAD);
      const limit = headComplete ? server.requestTimeout : server.headersTimeout;
      if (limit > 0 && elapsed > limit) {
        this.#done = true;
        this.socket.end(requestTimeoutAnswer());
      }
    }

    /** Ends the connection if it is between requests (as Node's closeIdleConnections does). */
    end(): void {
      if (this.idle) this.#finish();
    }

    destroy(): void {
      this.#done = true;
      this.socket.destroy();
    }
  }

  for (const listener of listeners) server.removeListener('connection', listener);
  server.on('connection', (socket: Socket) => {
    new WireConnection(socket);
  });

  // The timeouts are checked while the server listens.
  let sweeper: NodeJS.Timeout | undefined;
  server.on('listening', () => {
    clearInterval(sweeper);
    sweeper = setInterval(() => {
      const now = performance.now();
      for (const connection of connections) connection.sweep(now);
    }, SWEEP_MS);
    sweeper.unref();
  });
  server.on('close', () => clearInterval(sweeper));

  const wire: IngestWire = {
    closeIdle() {
      for (const connection of connections) connection.end();
    },
    destroyAll() {
      for (const connection of connections) connection.destroy();
    },
  };
  // Fastify's close() and the process's shutdown reach Node's connections through these.
  const closeIdleConnections = server.closeIdleConnections.bind(server);
  const closeAllConnections = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdleConnections();
    wire.closeIdle();
  };
  server.closeAllConnections = () => {
    closeAllConnections();
    wire.destroyAll();
  };

  /** The head of a request taken here, or undefined for one handed off. */
  function readHead(unread: Buffer, headEnd: number): Recognised | undefined {
    const head = parseHead(unread.toString('latin1', 0, headEnd));
    if (head === undefined) return undefined;
    const { url, headers } = head;
    const length = headers['content-length'];
    if (headers.host === undefined || length === undefined || !DIGITS.test(length)) {
      return undefined;
    }
    const route = recognise({ method: 'POST', url, headers }, bodyLimit);
    if (route === undefined) return undefined;
    const connection = headers.connection?.toLowerCase();
    if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') {
      return undefined;
    }
    return {
      metric: route.metric,
      headers,
      headBytes: headEnd + 4,
      bodyBytes: Number(length),
      keepAlive: connection !== 'close',
    };
  }

  return wire;
}

/**
 * A request head (without its blank line) of the form taken here: `POST` with an origin-form
 * target over HTTP/1.1, then header lines — a field name (a token), a colon, optional whitespace
 * and a value of printable ASCII and tabs, its trailing whitespace dropped — separated by CRLF, at
 * most MAX_HEADER_LINES of them, none repeated or needing Node's own handling. The names come
 * lower-cased. Undefined for anything else: a bare CR or LF, obs-fold, obs-text, a space before a
 * colon, control characters. One pass over the characters, no backtracking.
 */
export function parseHead(
  head: string,
): { readonly url: string; readonly headers: IncomingHttpHeaders } | undefined {
  if (!head.startsWith(REQUEST_LINE_START)) return undefined;
  const end = head.length;
  let lineEnd = head.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = end;
  const urlEnd = lineEnd - REQUEST_LINE_END.length;
  if (urlEnd < REQUEST_LINE_START.length - 1 || !head.startsWith(REQUEST_LINE_END, urlEnd)) {
    return undefined;
  }
  const urlStart = REQUEST_LINE_START.length - 1;
  for (let i = urlStart; i < urlEnd; i++) {
    const c = head.charCodeAt(i);
    if (c <= SPACE || c > 0x7e) return undefined;
  }
  const headers: IncomingHttpHeaders = Object.create(null);
  let lines = 0;
  // Each CRLF starts a line: an empty one (a head ending in CRLF) is no header line.
  for (let start = lineEnd + 2; lineEnd < end; start = lineEnd + 2) {
    if (++lines > MAX_HEADER_LINES) return undefined;
    lineEnd = head.indexOf('\r\n', start);
    if (lineEnd < 0) lineEnd = end;
    let i = start;
    while (i < lineEnd && TOKEN[head.charCodeAt(i)] === 1) i++;
    if (i === start || i === lineEnd || head.charCodeAt(i) !== COLON) return undefined;
    const name = fieldName(head, start, i);
    i++;
    while (i < lineEnd && (head.charCodeAt(i) === SPACE || head.charCodeAt(i) === TAB)) i++;
    let valueEnd = lineEnd;
    while (
      valueEnd > i &&
      (head.charCodeAt(valueEnd - 1) === SPACE || head.charCodeAt(valueEnd - 1) === TAB)
    ) {
      valueEnd--;
    }
    for (let j = i; j < valueEnd; j++) {
      const c = head.charCodeAt(j);
      if ((c < SPACE && c !== TAB) || c > 0x7e) return undefined;
    }
    if (headers[name] !== undefined || HANDED_OFF_HEADERS.has(name)) return undefined;
    headers[name] = head.slice(i, valueEnd);
  }
  return { url: head.slice(urlStart, urlEnd), headers };
}

/** The field name in head[start, end), lower-cased. */
function fieldName(head: string, start: number, end: number): string {
  common: for (const name of COMMON_NAMES[end - start] ?? []) {
    for (let i = 0; i < name.length; i++) {
      const c = head.charCodeAt(start + i);
      // ASCII letters lower-cased; any other character of a token stays as it is.
      if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== name.charCodeAt(i)) continue common;
    }
    return name;
  }
  return head.slice(start, end).toLowerCase();
}

let dateLine = '';
let dateUntil = 0;

/** The Date header's line, made once a second. */
function httpDateLine(): string {
  const now = Date.now();
  if (now >= dateUntil) {
    dateLine = `date: ${new Date(now).toUTCString()}\r\n`;
    dateUntil = now - (now % 1000) + 1000;
  }
  return dateLine;
}

const statusLines = new Map<number, string>();
let keepAliveLines = { timeout: -1, lines: '' };

/** An answer as HTTP/1.1 bytes, with the connection headers Node would add. */
function serialise(answer: IngestAnswer, close: boolean, keepAliveTimeout: number): string {
  let text = statusLines.get(answer.status);
  if (text === undefined) {
    text = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Unknown'}\r\n`;
    statusLines.set(answer.status, text);
  }
  text += answer.lines + httpDateLine();
  if (close) text += 'connection: close\r\n';
  else {
    if (keepAliveLines.timeout !== keepAliveTimeout) {
      keepAliveLines = {
        timeout: keepAliveTimeout,
        lines:
          keepAliveTimeout > 0
            ? `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(keepAliveTimeout / 1000)}\r\n`
            : 'connection: keep-alive\r\n',
      };
    }
    text += keepAliveLines.lines;
  }
  return `${text}\r\n${answer.body}`;
}
