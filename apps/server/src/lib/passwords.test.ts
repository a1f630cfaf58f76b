import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HASH_COST,
  hashPassword,
  needsRehash,
  verifyNothing,
  verifyPassword,
} from './passwords.js';

describe('password hashes', () => {
  it('are scrypt at N = 2^15 unless told otherwise, with their parameters and a fresh salt', async () => {
    expect(DEFAULT_HASH_COST).toBe(15);
    const hash = await hashPassword('correct horse');
    const [scheme, n, r, p, salt, key] = hash.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', String(2 ** 15), '8', '1']);
    expect(Buffer.from(salt ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(key ?? '', 'base64url')).toHaveLength(32);
    expect(await hashPassword('correct horse')).not.toBe(hash);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horse!', hash)).toBe(false);
  });

  it('record the cost they were made with, and verify whatever the cost is now', async () => {
    const cheap = await hashPassword('pässword', 12);
    expect(cheap.split('$')[1]).toBe(String(2 ** 12));
    const dearer = await hashPassword('pässword', 13);
    expect(dearer.split('$')[1]).toBe(String(2 ** 13));
    for (const hash of [cheap, dearer]) {
      expect(await verifyPassword('pässword', hash)).toBe(true);
      // NFKC: the same password typed with a combining diaeresis.
      expect(await verifyPassword('pa\u0308ssword', hash)).toBe(true);
      expect(await verifyPassword('password', hash)).toBe(false);
    }
  });

  it('need remaking when made at another cost or with another scheme', async () => {
    const hash = await hashPassword('pw', 12);
    expect(needsRehash(hash, 12)).toBe(false);
    expect(needsRehash(hash, 13)).toBe(true);
    expect(needsRehash(hash)).toBe(true);
    expect(needsRehash(hash.replace('$8$1$', '$16$1$'), 12)).toBe(true);
    expect(needsRehash('bcrypt$12$abc', 12)).toBe(true);
  });

  it('refuse what is not one of their own', async () => {
    expect(await verifyPassword('x', 'bcrypt$12$abc')).toBe(false);
    expect(await verifyPassword('x', '')).toBe(false);
    expect(await verifyNothing('x', 12)).toBe(false);
  });
});
