/** Pages reachable without a session. */
export const AUTH_PATHS = ['/sign-in', '/sign-up', '/forgot-password', '/reset-password'];

export function isAuthPath(pathname: string): boolean {
  return AUTH_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
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

/** The sign-in page, coming back to `next` afterwards. */
export function signInPath(next?: string, reason?: 'expired'): string {
  const params = new URLSearchParams();
  if (next !== undefined && safeNext(next) !== '/') params.set('next', next);
  if (reason !== undefined) params.set('reason', reason);
  const search = params.toString();
  return search === '' ? '/sign-in' : `/sign-in?${search}`;
}
