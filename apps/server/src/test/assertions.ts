import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** The response is an RFC 9457 problem with this status and code, and the request's id. */
export function expectProblem(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const problem = response.json();
  expect(problem).toMatchObject({ status, code });
  expect(typeof problem.requestId).toBe('string');
  expect(problem.requestId).not.toBe('');
  expect(problem.requestId).toBe(response.headers['x-request-id']);
}

/** A decimal string as micro-units, computed independently of the server's own conversion. */
export function micros(decimal: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(decimal);
  if (match === null) throw new Error(`not a decimal: ${decimal}`);
  const [, sign, whole = '0', fraction = ''] = match;
  const value = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return sign === '-' ? -value : value;
}
