import { createHash, randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The recognisable prefix of every API key, so secret scanners can find leaked ones. */
export const API_KEY_PREFIX = 'mly_';
/** 32 base62 characters carry 190 bits of randomness. */
const API_KEY_BODY_LENGTH = 32;
/** Characters of a key shown in lists: the prefix plus the first 6 of the body. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 6;

export const API_KEY_PATTERN = /^mly_[0-9A-Za-z]{32}$/;

export function newId(): string {
  return randomUUID();
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Uniform base62 string: bytes above the largest multiple of 62 are rejected, not folded. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export interface NewApiKeySecret {
  readonly secret: string;
  readonly prefix: string;
  readonly hash: string;
}

export function generateApiKey(): NewApiKeySecret {
  const secret = API_KEY_PREFIX + randomBase62(API_KEY_BODY_LENGTH);
  return { secret, prefix: secret.slice(0, DISPLAY_LENGTH), hash: sha256Hex(secret) };
}

/** A session token for the cookie; only its hash is stored. */
export function generateSessionToken(): { token: string; id: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, id: sha256Hex(token) };
}
