import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, toProblem } from './errors.js';

describe('error codes', () => {
  it('are all documented in docs/errors.md with their status', () => {
    const doc = fs.readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(doc, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
    }
  });

  it('render as RFC 9457 problems whose code and status cannot be overridden by extensions', () => {
    const error = new AppError('LAST_OWNER', 'Make someone else owner first.', {
      extensions: { code: 'SPOOFED', status: 200, hint: 'kept' },
    });
    expect(toProblem(error, 'req-1')).toEqual({
      type: 'urn:measurely:error:last-owner',
      title: 'A project needs an owner',
      status: 409,
      detail: 'Make someone else owner first.',
      code: 'LAST_OWNER',
      requestId: 'req-1',
      hint: 'kept',
    });
  });
});
