import { AppError } from '../errors.js';

/** The token of an `Authorization: Bearer …` header, or API_KEY_INVALID. */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) {
    throw new AppError('API_KEY_INVALID', 'Send the API key as "Authorization: Bearer mly_…".');
  }
  return match[1];
}
