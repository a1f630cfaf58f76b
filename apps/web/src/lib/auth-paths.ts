/** The pages that sign in (or lead to it): never where to come back to after signing in. */
export const AUTH_PATHS = ['/sign-in', '/sign-up', '/forgot-password', '/reset-password'];

/**
 * Pages that work without a session: the auth pages, and the invitation page (which works both
 * ways, and is a fine place to come back to after signing in).
 */
export const PUBLIC_PATHS = [...AUTH_PATHS, '/invite'];

function under(paths: readonly string[], pathname: string): boolean {
  return paths.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

export function isAuthPath(pathname: string): boolean {
  return under(AUTH_PATHS, pathname);
}

/** A 401 on these pages means "signed out", not "go and sign in". */
export function isPublicPath(pathname: string): boolean {
  return under(PUBLIC_PATHS, pathname);
}

/**
 * Where to go after signing in: `next` when it is a path on this site, else `/`. Refuses
 * `//host` and `/\host` (other sites) and the auth pages themselves.
 */
export function safeNext(next: string | null | undefined): string {
  if (next === null || next === undefined) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (isAuthPath(next.split(/[?#]/)[0] ?? '')) return '/';
  return next;
}

/** The sign-in page, coming back to `next` afterwards; `email` fills in the address. */
export function signInPath(next?: string, reason?: 'expired', email?: string): string {
  const params = new URLSearchParams();
  if (next !== undefined && safeNext(next) !== '/') params.set('next', next);
  if (reason !== undefined) params.set('reason', reason);
  if (email !== undefined && email !== '') params.set('email', email);
  const search = params.toString();
  return search === '' ? '/sign-in' : `/sign-in?${search}`;
}
