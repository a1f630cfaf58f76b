import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { CounterStore } from '../../lib/counter-store.js';
import { hashPassword, needsRehash, verifyNothing, verifyPassword } from '../../lib/passwords.js';
import { generateSessionToken, newId, sha256Hex } from '../../lib/tokens.js';
import { validate } from '../../lib/validate.js';
import type { UserRow } from '../../storage/schema.js';
import type { AccountsRepo } from './accounts.repo.js';
import {
  ChangePasswordBody,
  ResetPasswordBody,
  SignUpBody,
  UpdateProfileBody,
  type User,
} from './accounts.schemas.js';

/** How long a password reset link works. */
export const RESET_TTL_MS = 60 * 60 * 1000;
/** Reset links sent per account per sign-in throttle window. */
const RESETS_PER_WINDOW = 5;

/** A session is extended at most this often, so most requests do not write. */
const SESSION_TOUCH_INTERVAL_MS = 60 * 60 * 1000;

export interface SignedIn {
  readonly user: User;
  /** The cookie value; only its hash is stored. */
  readonly token: string;
  readonly expiresAt: number;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The key of an account's failed sign-ins in the CounterStore, from its normalised e-mail. */
function loginAccountKey(email: string): string {
  return `login:account:${sha256Hex(email)}`;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isAdmin: row.isAdmin === 1,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

export function createAccountsService(deps: {
  repo: AccountsRepo;
  config: Config;
  clock: Clock;
  attempts: CounterStore;
}) {
  const { repo, config, clock, attempts } = deps;
  const { login, passwordHashCost } = config;
  /** A new hash of a password, at the configured cost. */
  const hash = (password: string): Promise<string> => hashPassword(password, passwordHashCost);

  /**
   * Counts an attempt, then refuses it past `limit` in the window. Counting first, in one step
   * of the store, is what keeps parallel attempts from all passing a check made before any of
   * them is counted (a shared store answers over the network).
   */
  async function countAttempt(key: string, limit: number): Promise<void> {
    const window = await attempts.increment(key, login.windowMs);
    if (window.count > limit) {
      const retryAfter = Math.max(1, Math.ceil((window.resetAt - clock.now()) / 1000));
      throw new AppError('TOO_MANY_ATTEMPTS', `Too many attempts; try again in ${retryAfter} s.`, {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
  }

  async function startSession(row: UserRow): Promise<SignedIn> {
    const now = clock.now();
    const { token, id } = generateSessionToken();
    const expiresAt = now + config.sessionTtlMs;
    await repo.deleteExpiredSessions(row.id, now);
    await repo.insertSession({ id, userId: row.id, now, expiresAt });
    return { user: toUser(row), token, expiresAt };
  }

  const service = {
    /** Creates an account. The first account on an instance is its administrator. */
    async createUser(input: SignUpBody): Promise<User> {
      const body = validate(SignUpBody, { ...input, email: normaliseEmail(input.email ?? '') });
      if ((await repo.findUserByEmail(body.email)) !== undefined) {
        throw emailTaken(body.email);
      }
      const now = clock.now();
      const row = await repo.insertUser({
        id: newId(),
        email: body.email,
        name: body.name?.trim() || body.email.split('@')[0] || body.email,
        passwordHash: await hash(body.password),
        createdAt: now,
        updatedAt: now,
      });
      if (row === undefined) throw emailTaken(body.email);
      return toUser(row);
    },

    /**
     * Self-service sign-up from the web: throttled per IP, and closable by configuration — but
     * for someone `invited` to a project (the invitation checked the address).
     */
    async signUp(
      input: SignUpBody,
      ip: string,
      options: { invited?: boolean } = {},
    ): Promise<SignedIn> {
      await countAttempt(`login:ip:${ip}`, login.maxAttemptsPerIp);
      if (!config.allowSignup && options.invited !== true && (await service.hasUsers())) {
        throw new AppError(
          'SIGNUP_DISABLED',
          'Ask an administrator of this instance for an account.',
        );
      }
      const user = await service.createUser(input);
      const row = await repo.findUserById(user.id);
      if (row === undefined) throw new Error('user vanished after sign-up');
      return startSession(row);
    },

    async signIn(input: { email: string; password: string }, ip: string): Promise<SignedIn> {
      const email = normaliseEmail(input.email);
      const accountKey = loginAccountKey(email);
      await countAttempt(`login:ip:${ip}`, login.maxAttemptsPerIp);
      // Counted as a failure before the slow check, so parallel guesses cannot all slip under
      // the limit; a success takes it back.
      await countAttempt(accountKey, login.maxFailuresPerAccount);

      const row = await repo.findUserByEmail(email);
      const ok =
        row === undefined
          ? await verifyNothing(input.password, passwordHashCost)
          : await verifyPassword(input.password, row.passwordHash);
      if (row === undefined || !ok) {
        throw new AppError('INVALID_CREDENTIALS', 'The e-mail or the password is wrong.');
      }
      await attempts.reset(accountKey);
      // Made at another cost (MEASURELY_PASSWORD_HASH_COST changed since): remade at this one.
      if (needsRehash(row.passwordHash, passwordHashCost)) {
        const remade = await hash(input.password);
        await repo.rehashPassword(row.id, row.passwordHash, remade, clock.now());
      }
      return startSession(row);
    },

    /**
     * The user behind a session cookie, or undefined when it is unknown or expired. A session in
     * use is extended; `extended` says so, for the cookie to follow.
     */
    async authenticate(token: string): Promise<{ user: User; extended: boolean } | undefined> {
      const id = sha256Hex(token);
      const now = clock.now();
      const row = await repo.findSessionUser(id, now);
      if (row === undefined) return undefined;
      const extended = now - row.lastSeenAt > SESSION_TOUCH_INTERVAL_MS;
      if (extended) await repo.extendSession(id, now, now + config.sessionTtlMs);
      return { user: toUser(row), extended };
    },

    async signOut(token: string): Promise<void> {
      await repo.deleteSession(sha256Hex(token));
    },

    async hasUsers(): Promise<boolean> {
      return (await repo.findFirstUserId()) !== undefined;
    },

    /**
     * Starts a password reset: returns the token to send, or undefined when no account has the
     * e-mail or too many links were asked for (the caller answers the same either way).
     */
    async requestPasswordReset(email: string, ip: string): Promise<string | undefined> {
      const normalised = normaliseEmail(email);
      // Over a limit, nothing is sent but the answer is the same: a stranger asking for links
      // cannot lock an account's owner out of resetting, nor learn anything.
      const accountKey = `reset:account:${sha256Hex(normalised)}`;
      const ipKey = `reset:ip:${ip}`;
      // Counted first (see countAttempt), so parallel requests cannot all pass.
      const byIp = await attempts.increment(ipKey, login.windowMs);
      const byAccount = await attempts.increment(accountKey, login.windowMs);
      if (byAccount.count > RESETS_PER_WINDOW || byIp.count > login.maxAttemptsPerIp) {
        return undefined;
      }
      const row = await repo.findUserByEmail(normalised);
      if (row === undefined) return undefined;
      const { token, id } = generateSessionToken();
      const now = clock.now();
      await repo.insertPasswordReset({ id, userId: row.id, now, expiresAt: now + RESET_TTL_MS });
      return token;
    },

    /**
     * Sets a new password with a reset token, signs out every session and starts a new one. The
     * link proves control of the mailbox, so the account's sign-in lockout is lifted too.
     */
    async resetPassword(input: { token: string; password: string }): Promise<SignedIn> {
      const body = validate(ResetPasswordBody, input);
      const userId = await repo.takePasswordReset(sha256Hex(body.token), clock.now());
      const row = userId === undefined ? undefined : await repo.findUserById(userId);
      if (row === undefined) {
        throw new AppError(
          'RESET_TOKEN_INVALID',
          'This reset link is unknown, already used or expired; ask for a new one.',
        );
      }
      await repo.setPassword(row.id, await hash(body.password), clock.now());
      await attempts.reset(loginAccountKey(row.email));
      return startSession(row);
    },

    async updateProfile(userId: string, input: UpdateProfileBody): Promise<User> {
      const body = validate(UpdateProfileBody, input);
      const name = body.name.trim();
      if (name === '') {
        throw new AppError('VALIDATION_FAILED', 'The name must not be blank.', {
          extensions: { errors: [{ pointer: '/name', message: 'must not be blank' }] },
        });
      }
      await repo.updateUser(userId, { name }, clock.now());
      const row = await repo.findUserById(userId);
      if (row === undefined) throw new Error('user vanished while updating');
      return toUser(row);
    },

    /**
     * Changes the password after checking the current one; other sessions are signed out and
     * pending reset links stop working.
     */
    async changePassword(
      userId: string,
      input: ChangePasswordBody,
      currentSessionToken: string | undefined,
    ): Promise<void> {
      const body = validate(ChangePasswordBody, input);
      const row = await repo.findUserById(userId);
      if (row === undefined) throw new Error('user vanished while changing password');
      const accountKey = loginAccountKey(row.email);
      await countAttempt(accountKey, login.maxFailuresPerAccount);
      if (!(await verifyPassword(body.currentPassword, row.passwordHash))) {
        throw new AppError('PASSWORD_INCORRECT', 'The current password is wrong.');
      }
      await attempts.reset(accountKey);
      await repo.setPassword(
        userId,
        await hash(body.newPassword),
        clock.now(),
        currentSessionToken === undefined ? undefined : sha256Hex(currentSessionToken),
      );
    },

    /** Whether the account is the instance's administrator (false when there is none). */
    async isAdministrator(userId: string): Promise<boolean> {
      return (await repo.findUserById(userId))?.isAdmin === 1;
    },

    /** The account of an address, or undefined: for callers that must not throw on none. */
    async findUserByEmail(email: string): Promise<User | undefined> {
      const row = await repo.findUserByEmail(normaliseEmail(email));
      return row === undefined ? undefined : toUser(row);
    },

    async getUserByEmail(email: string): Promise<User> {
      const row = await repo.findUserByEmail(normaliseEmail(email));
      if (row === undefined) throw new AppError('USER_NOT_FOUND', `No account for ${email}.`);
      return toUser(row);
    },
  };
  return service;
}

function emailTaken(email: string): AppError {
  return new AppError('EMAIL_TAKEN', `An account already exists for ${email}.`);
}

export type AccountsService = ReturnType<typeof createAccountsService>;
