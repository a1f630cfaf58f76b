import { describe, expect, it } from 'vitest';
import { isAuthPath, isPublicPath, safeNext, signInPath } from './auth-paths';

describe('safeNext', () => {
  it('keeps a path of this site, with its query and hash', () => {
    expect(safeNext('/projects/a/settings?tab=x#y')).toBe('/projects/a/settings?tab=x#y');
  });

  it('refuses other sites and odd forms, going home instead', () => {
    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example', 'x', '']) {
      expect(safeNext(next), next).toBe('/');
    }
    expect(safeNext(null)).toBe('/');
  });

  it('comes back to an invitation, token and all', () => {
    expect(safeNext('/invite?token=abc')).toBe('/invite?token=abc');
  });

  it('never goes back to a sign-in page', () => {
    expect(safeNext('/sign-in?next=/x')).toBe('/');
    expect(safeNext('/reset-password?token=t')).toBe('/');
  });
});

describe('signInPath', () => {
  it('carries where to come back to and why', () => {
    expect(signInPath('/projects/a?b=1', 'expired')).toBe(
      '/sign-in?next=%2Fprojects%2Fa%3Fb%3D1&reason=expired',
    );
    expect(signInPath('/')).toBe('/sign-in');
    expect(signInPath()).toBe('/sign-in');
  });

  it('fills in the address to sign in with', () => {
    expect(signInPath('/invite?token=t', undefined, 'ada@example.com')).toBe(
      '/sign-in?next=%2Finvite%3Ftoken%3Dt&email=ada%40example.com',
    );
  });

  it('knows the pages that need no session', () => {
    expect(isAuthPath('/sign-up')).toBe(true);
    expect(isAuthPath('/sign-in-please')).toBe(false);
    expect(isAuthPath('/projects')).toBe(false);
    expect(isAuthPath('/invite')).toBe(false);
    expect(isPublicPath('/invite')).toBe(true);
    expect(isPublicPath('/reset-password')).toBe(true);
    expect(isPublicPath('/invites')).toBe(false);
    expect(isPublicPath('/projects')).toBe(false);
  });
});
