/**
 * Small helpers that reproduce how Go formats and orders strings, so that our
 * messages and orderings are byte-for-byte what a real apiserver would produce.
 */

// Lone UTF-16 surrogates cannot exist in a Go string decoded from JSON; Go
// substitutes U+FFFD, so we do the same before formatting.
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;

function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** UTF-8 length of a string: Go's len(s), used by every length limit. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function isGoPrintable(ch: string): boolean {
  return PRINTABLE.test(ch);
}

const SHORT_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's strconv.Quote / fmt "%q" for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of wellFormed(s)) {
    if (ch === '"' || ch === '\\') {
      out += '\\' + ch;
    } else if (isGoPrintable(ch)) {
      out += ch;
    } else if (SHORT_ESCAPES[ch] !== undefined) {
      out += SHORT_ESCAPES[ch];
    } else {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
      else if (cp < 0x10000) out += '\\u' + hex(cp, 4);
      else out += '\\U' + hex(cp, 8);
    }
  }
  return out + '"';
}

/** Go's fmt "%#v" for a []string, e.g. []string{"a", "b"}. */
export function goStringSliceLiteral(values: string[]): string {
  return '[]string{' + values.map(goQuote).join(', ') + '}';
}

// encoding/json escapes these even inside strings (HTML safety), JSON.stringify does not.
const JSON_HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Go's json.Marshal for plain JSON-like data. Object keys keep insertion order
 * (Go sorts map keys but keeps struct field order; callers pick the order).
 */
export function goJSON(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? wellFormed(v) : v));
  if (text === undefined) return 'null';
  // The escaped characters can only occur inside string literals of the output.
  return text.replace(/[<>&\u2028\u2029]/g, (c) => JSON_HTML_ESCAPES[c]);
}

/** Go's `a < b` on strings: byte-wise UTF-8 order, i.e. code point order. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/**
 * Go's fmt "%v" for a number. Integers print plainly (Go's typed int fields);
 * other values follow float64's %v: shortest digits, exponent form when the
 * exponent is below -4 or at least 6, written with two or more digits.
 */
export function goNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n);
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < 6) return String(n);
  const sign = exp < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range. */
export function parseGoInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}
