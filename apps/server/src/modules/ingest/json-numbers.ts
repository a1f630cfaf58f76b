/** More significant digits than an IEEE double carries exactly (see event-input.ts). */
const MAX_SIGNIFICANT_DIGITS = 15;

/** Marks, as a JSON string, a number literal JSON.parse would have rounded. */
export const OVERLONG_NUMBER = '\u0000overlong-number:';

const CANDIDATE = new RegExp(`[0-9][0-9.]{${MAX_SIGNIFICANT_DIGITS}}`);
const ZERO = 48;
const NINE = 57;
const QUOTE = 34;
const BACKSLASH = 92;
const DOT = 46;
const MINUS = 45;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * JSON.parse silently rounds a number literal with more than 15 significant digits
 * (99999999999.999999 becomes 100000000000). This scans raw JSON text, outside strings, and
 * rewrites each such literal into a marked string, so validation refuses exactly that value, with
 * VALUE_TOO_PRECISE, instead of storing a rounded one. Returns the text unchanged (the same string)
 * when there is none, which is the common case; linear and allocation-free until then.
 */
export function markOverlongNumbers(text: string): string {
  // A literal of 16 significant digits spans at least 16 characters of digits and dots: text
  // without such a run (nearly every body) is returned after one native scan.
  if (!CANDIDATE.test(text)) return text;
  let out = '';
  let copied = 0;
  let inString = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 2;
      else {
        if (c === QUOTE) inString = false;
        i += 1;
      }
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      i += 1;
      continue;
    }
    if (!isDigit(c)) {
      i += 1;
      continue;
    }
    const start = i > 0 && text.charCodeAt(i - 1) === MINUS ? i - 1 : i;
    let first = -1;
    let last = -1;
    let digits = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isDigit(d)) {
        if (d !== ZERO) {
          if (first === -1) first = digits;
          last = digits;
        }
        digits += 1;
      } else if (d !== DOT) {
        break;
      }
      i += 1;
    }
    // An exponent carries no significant digits, but belongs to the literal.
    if (i < n && (text.charCodeAt(i) | 32) === 101) {
      i += 1;
      if (i < n && (text[i] === '+' || text[i] === '-')) i += 1;
      while (i < n && isDigit(text.charCodeAt(i))) i += 1;
    }
    if (first !== -1 && last - first + 1 > MAX_SIGNIFICANT_DIGITS) {
      out += `${text.slice(copied, start)}${JSON.stringify(OVERLONG_NUMBER + text.slice(start, i))}`;
      copied = i;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
