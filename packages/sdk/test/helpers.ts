import { expect } from 'vitest';
import { MeasurelyError } from '../src/index.js';

/** The MeasurelyError a promise must reject with. */
export async function rejection(promise: Promise<unknown>): Promise<MeasurelyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MeasurelyError);
    return error as MeasurelyError;
  }
  throw new Error('expected a rejection');
}

export const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
