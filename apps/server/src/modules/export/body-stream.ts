import { Readable } from 'node:stream';

/**
 * Starts `body` and wraps it in a byte stream that asks for the next piece only when its reader
 * has taken the last one, so a slow client slows the database read instead of filling memory.
 * The first piece is awaited here: a failure to start is still an ordinary error response.
 * Destroying the stream (Fastify does when the client goes away) returns the generator, which
 * releases the database; so does a reader that takes nothing for `stallMs`.
 */
export async function openBodyStream(
  body: AsyncGenerator<string, void>,
  stallMs: number,
): Promise<Readable> {
  const first = await body.next();
  let pending = first.done ? undefined : first.value;
  let ended = first.done === true;
  let stall: NodeJS.Timeout | undefined;

  const stream = new Readable({
    read() {
      clearTimeout(stall);
      if (pending !== undefined) {
        const piece = pending;
        pending = undefined;
        deliver(piece);
      } else if (ended) {
        this.push(null);
      } else {
        body.next().then(
          (next) => {
            if (stream.destroyed) return;
            if (next.done) {
              ended = true;
              stream.push(null);
            } else {
              deliver(next.value);
            }
          },
          (error: unknown) => stream.destroy(error as Error),
        );
      }
    },
    destroy(error, callback) {
      clearTimeout(stall);
      body.return().then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? (closeError as Error)),
      );
    },
  });

  function deliver(piece: string): void {
    // Cleared by the next read(); a reader that never asks again is let go.
    stall = setTimeout(() => {
      stream.destroy(new Error(`The client read nothing for ${stallMs} ms`));
    }, stallMs);
    stall.unref();
    stream.push(piece);
  }

  return stream;
}
