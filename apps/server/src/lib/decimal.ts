/** Values are stored as integers of micro-units: 6 decimal places, exact, 64-bit. */
export const DECIMAL_PLACES = 6;
export const SCALE = 10n ** BigInt(DECIMAL_PLACES);
export const MAX_STORED = 2n ** 63n - 1n;

/** Renders micro-units as a plain decimal string: 10000530000n → "10000.53". */
export function formatMicros(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const whole = abs / SCALE;
  const fraction = (abs % SCALE).toString().padStart(DECIMAL_PLACES, '0').replace(/0+$/, '');
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}
