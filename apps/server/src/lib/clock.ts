/** Source of the current time, injectable so tests can move through days and months. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
