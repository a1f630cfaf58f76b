import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeError, formErrors } from '../lib/describe-error';
import { ApiError, api, buildUrl, setUnauthenticatedHandler } from './client';

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  const fetch = vi.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(body === undefined ? null : JSON.stringify(body), { status, headers }),
  );
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const problem = (code: string, status: number, extra: Record<string, unknown> = {}) => ({
  type: `urn:measurely:error:${code.toLowerCase()}`,
  title: 'A title',
  status,
  detail: 'What happened.',
  code,
  requestId: 'req-1',
  ...extra,
});
const PROBLEM_JSON = { 'content-type': 'application/problem+json; charset=utf-8' };

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthenticatedHandler(undefined);
});

describe('api client', () => {
  it('sends JSON with the session cookie and reads JSON back', async () => {
    const fetch = respond(201, { project: { id: 'p' } }, { 'content-type': 'application/json' });
    await expect(api.post('/api/projects', { name: 'A' })).resolves.toEqual({
      project: { id: 'p' },
    });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/projects');
    expect(init).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      body: '{"name":"A"}',
    });
    expect(init?.headers).toMatchObject({ 'content-type': 'application/json' });
  });

  it('resolves a 204 to undefined and sends no content type without a body', async () => {
    const fetch = respond(204, undefined);
    await expect(api.delete('/api/projects/p')).resolves.toBeUndefined();
    expect(fetch.mock.calls[0]?.[1]?.headers).not.toHaveProperty('content-type');
  });

  it('turns a problem document into an ApiError with its code and detail', async () => {
    respond(409, problem('METRIC_NAME_TAKEN', 409), PROBLEM_JSON);
    const error = await api.post('/api/x', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: 'METRIC_NAME_TAKEN',
      title: 'A title',
      detail: 'What happened.',
      requestId: 'req-1',
    });
  });

  it('keeps the field errors and Retry-After', async () => {
    respond(
      400,
      problem('VALIDATION_FAILED', 400, {
        errors: [{ pointer: '/currentPassword', message: 'must be a string' }],
      }),
      PROBLEM_JSON,
    );
    const invalid = await api.post('/api/x', {}).catch((e: unknown) => e);
    expect(formErrors(invalid)).toEqual({ currentPassword: 'must be a string' });
    expect(describeError(invalid).fields).toEqual(['Current password: must be a string']);

    respond(429, problem('TOO_MANY_ATTEMPTS', 429), { ...PROBLEM_JSON, 'retry-after': '600' });
    const throttled = await api.post('/api/auth/login', {}).catch((e: unknown) => e);
    expect(throttled).toMatchObject({ retryAfterSeconds: 600 });
    expect(describeError(throttled).detail).toBe('What happened. Try again in 10 minutes.');
  });

  it('explains an answer that is not a problem document, and no answer at all', async () => {
    respond(502, undefined, { 'content-type': 'text/html' });
    const proxied = await api.get('/api/x').catch((e: unknown) => e);
    expect(proxied).toMatchObject({ status: 502, code: 'HTTP_ERROR' });
    expect(describeError(proxied).title).toBe('The server is unavailable');

    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const offline = await api.get('/api/x').catch((e: unknown) => e);
    expect(offline).toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
    expect(describeError(offline).title).toBe('Cannot reach the server');
  });

  it('tells the app when the session is gone, and only then', async () => {
    const lost = vi.fn();
    setUnauthenticatedHandler(lost);
    respond(401, problem('INVALID_CREDENTIALS', 401), PROBLEM_JSON);
    await api.post('/api/auth/login', {}).catch(() => undefined);
    expect(lost).not.toHaveBeenCalled();

    respond(401, problem('UNAUTHENTICATED', 401), PROBLEM_JSON);
    await expect(api.get('/api/projects')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('builds query strings, leaving out empty values and repeating lists', () => {
    expect(buildUrl('/s', { range: 'today', tz: undefined, top: 5, f: ['a', 'b'] })).toBe(
      '/s?range=today&top=5&f=a&f=b',
    );
    expect(buildUrl('/s', {})).toBe('/s');
  });
});

describe('describeError', () => {
  it('says something readable for anything thrown', () => {
    expect(describeError(new Error('boom'))).toMatchObject({
      title: 'Something went wrong',
      detail: 'boom',
    });
    expect(describeError('weird').detail).toMatch(/unexpected error/);
  });

  it('gives a reference only for faults on the server side', () => {
    const server = new ApiError({
      status: 500,
      code: 'INTERNAL',
      title: 'Internal server error',
      detail: 'Something went wrong on our side.',
      requestId: 'abc',
    });
    expect(describeError(server).reference).toBe('abc');
    const client = new ApiError({
      status: 404,
      code: 'X',
      title: 't',
      detail: 'd',
      requestId: 'r',
    });
    expect(describeError(client).reference).toBeUndefined();
  });
});
