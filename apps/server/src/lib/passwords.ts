import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt N=2^15, r=8, p=1 by default: 32 MiB and 50–150 ms a hash on a small server
// (MEASURELY_PASSWORD_HASH_COST sets log2 N). Parameters are stored with each hash, so changing
// them breaks nobody; a hash is remade at the new cost when its owner next signs in.
/** log2 of scrypt's N when none is configured. */
export const DEFAULT_HASH_COST = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N: n, r, p, maxmem: 256 * n * r },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64url), with N = 2^cost. */
export async function hashPassword(
  password: string,
  cost: number = DEFAULT_HASH_COST,
): Promise<string> {
  const salt = randomBytes(16);
  const n = 2 ** cost;
  const key = await derive(password, salt, n, BLOCK_SIZE, PARALLELISM);
  return [
    'scrypt',
    n,
    BLOCK_SIZE,
    PARALLELISM,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * True when a stored hash was made with other parameters than new ones would be (another cost,
 * or another scheme): the password, once verified, should be hashed again.
 */
export function needsRehash(stored: string, cost: number = DEFAULT_HASH_COST): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return (
    scheme !== 'scrypt' ||
    Number(n) !== 2 ** cost ||
    Number(r) !== BLOCK_SIZE ||
    Number(p) !== PARALLELISM
  );
}

/** One hash per cost, made once: what an unknown e-mail's sign-in is checked against. */
const dummyHashes = new Map<number, Promise<string>>();

/**
 * Spends the time of a real verification at the cost new hashes are made with, so unknown
 * e-mails cannot be told apart by timing.
 */
export async function verifyNothing(
  password: string,
  cost: number = DEFAULT_HASH_COST,
): Promise<false> {
  let dummy = dummyHashes.get(cost);
  if (dummy === undefined) {
    dummy = hashPassword('measurely-timing-equaliser', cost);
    dummyHashes.set(cost, dummy);
  }
  await verifyPassword(password, await dummy);
  return false;
}
