import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';

/** Retries only what may pass on a second try: no answer, or a 5xx. Never a 4xx or a 429. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status !== 0 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 15_000, retry: shouldRetry },
      mutations: { retry: false },
    },
  });
}
