/** The part of a logger that services need; the HTTP app passes its pino logger. */
export interface Logger {
  error(details: object, message: string): void;
}
