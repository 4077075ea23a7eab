/**
 * Kubernetes resource quantities (apimachinery pkg/api/resource Quantity): parsing with upstream's scanner
 * and limits, the canonical string kube-apiserver writes back (`1000m` -> `1`, `0.5` -> `500m`, `1024Mi` ->
 * `1Gi`, `1.5Gi` -> `1536Mi`, `1e3` stays `1e3`), comparison, sums and the integer accessors schedulers use.
 *
 * A value is `unscaled * 10^exponent` with a bigint mantissa, so no digits are lost and a huge exponent
 * (`1e999999`) is never expanded. Upstream keeps an int64 fast path and an inf.Dec slow path; the only
 * observable differences between them (rounding to nano, the BinarySI cap, which inputs keep their own
 * spelling) are reproduced from which path upstream would take.
 */

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** The regular expression upstream's error names (the scanner below is what decides). */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

export class QuantityError extends Error {}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** Digits an int64 always holds (upstream maxInt64Factors). */
const MAX_INT64_FACTORS = 18;
const NANO = -9;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/** Removes the factors `base` from v: v = result * base^times. */
function removeFactors(v: bigint, base: bigint): [bigint, number] {
  let times = 0;
  if (v === 0n) return [v, 0];
  while (v % base === 0n) {
    v /= base;
    times++;
  }
  return [v, times];
}

/** Ceiling division of a by a positive b. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Rounds `unscaled * 10^exponent` away from zero to at least `scale` (upstream's inf.RoundUp). */
function roundUpTo(unscaled: bigint, exponent: number, scale: number): [bigint, number, boolean] {
  if (exponent >= scale) return [unscaled, exponent, true];
  // Far below the target scale a non-zero value rounds to one unit of it (and 10^n is never built).
  if (scale - exponent > abs(unscaled).toString().length + 1) return [unscaled < 0n ? -1n : 1n, scale, false];
  const d = pow10(scale - exponent);
  const q = unscaled / d;
  if (q * d === unscaled) return [q, scale, true];
  return [unscaled < 0n ? q - 1n : q + 1n, scale, false];
}

interface Scanned {
  positive: boolean;
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

/** Upstream's parseQuantityString: sign, numerator (leading zeros dropped), denominator, suffix. */
function scan(str: string): Scanned {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end && (str[0] === '-' || str[0] === '+')) {
    positive = str[0] === '+';
    pos++;
  }
  const isDigit = (c: string) => c >= '0' && c <= '9';
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num, denom: '', suffix: '' };
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: '' };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i])) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  for (i = pos; i < end; i++) if (!isDigit(str[i])) throw new QuantityError(ERR_FORMAT_WRONG);
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

/** Upstream's suffix interpretation: base, exponent and format, or undefined for an unknown suffix. */
function interpret(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  if (Object.hasOwn(DECIMAL_SUFFIXES, suffix)) return { base: 10, exponent: DECIMAL_SUFFIXES[suffix], format: 'DecimalSI' };
  if (Object.hasOwn(BINARY_SUFFIXES, suffix)) return { base: 2, exponent: BINARY_SUFFIXES[suffix], format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    // strconv.ParseInt(.., 10, 64), then int32(): an optional sign and decimal digits.
    if (!/^[+-]?[0-9]+$/.test(suffix.slice(1))) return undefined;
    const parsed = BigInt(suffix.slice(1));
    if (parsed > INT64_MAX || parsed < INT64_MIN) return undefined;
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' };
  }
  return undefined;
}

export class Quantity {
  /** The value is unscaled * 10^exponent. */
  readonly unscaled: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
  /** The input spelling upstream keeps when it is already canonical (its `s` field). */
  private readonly spelled: string | undefined;
  /** Whether upstream holds this value as an int64Amount (its parser's fast path) rather than an inf.Dec. */
  private readonly int64Amount: boolean;

  constructor(unscaled: bigint, exponent: number, format: QuantityFormat, spelled?: string, int64Amount = false) {
    this.unscaled = unscaled;
    this.exponent = unscaled === 0n && !int64Amount ? 0 : exponent;
    this.format = format;
    this.spelled = spelled;
    this.int64Amount = int64Amount;
  }

  /** resource.ParseQuantity: throws QuantityError with upstream's message. */
  static parse(str: string): Quantity {
    if (str.length === 0) throw new QuantityError(ERR_FORMAT_WRONG);
    if (str === '0') return new Quantity(0n, 0, 'DecimalSI', str, true);
    const { positive, value, num, denom, suffix } = scan(str);
    const kind = interpret(suffix);
    if (!kind) throw new QuantityError(ERR_SUFFIX);
    const { base, exponent } = kind;
    let format = kind.format;

    // Upstream's int64 fast path: taken when the digits surely fit; it keeps an already canonical spelling.
    let precision: number;
    let scale = 0;
    let mantissa = 1n;
    if (base === 10) {
      scale = exponent;
      precision = MAX_INT64_FACTORS - (num.length + denom.length);
    } else if (denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    } else precision = -1;
    if (precision >= 0) {
      scale -= denom.length;
      if (scale >= NANO) {
        const shifted = num + denom;
        const v = BigInt(shifted);
        if (v > INT64_MAX) throw new QuantityError(ERR_NUMERIC);
        const product = v * mantissa;
        if (product <= INT64_MAX) {
          const result = positive ? product : -product;
          const canonical =
            base === 2
              ? exponent % 10 === 0 && (v & 7n) !== 0n
              : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
          return new Quantity(result, scale, format, canonical ? str : undefined, true);
        }
      }
    }

    // The inf.Dec path: exact value, rounded up to nano, BinarySI capped at int64's maximum.
    if (!/^[+-]?[0-9]*\.?[0-9]*$/.test(value) || !/[0-9]/.test(value)) throw new QuantityError(ERR_NUMERIC);
    let unscaled = BigInt(num + denom);
    let exp = -denom.length;
    if (base === 10) exp += exponent;
    else unscaled <<= BigInt(exponent);
    if (unscaled !== 0n) [unscaled, exp] = roundUpTo(unscaled, exp, NANO);
    if (format === 'BinarySI' && compareMagnitude(unscaled, exp, INT64_MAX, 0) > 0) {
      unscaled = INT64_MAX;
      exp = 0;
    }
    if (format === 'BinarySI' && unscaled !== 0n && compareMagnitude(unscaled, exp, 1n, 0) < 0) format = 'DecimalSI';
    return new Quantity(positive ? unscaled : -unscaled, exp, format);
  }

  static fromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli), -3, format);
  }

  static fromInt(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), 0, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than other. */
  cmp(other: Quantity): -1 | 0 | 1 {
    const a = this.sign();
    const b = other.sign();
    if (a !== b) return a < b ? -1 : 1;
    const m = compareMagnitude(this.unscaled, this.exponent, other.unscaled, other.exponent);
    return m === 0 ? 0 : a < 0 ? (-m as -1 | 1) : m;
  }

  add(other: Quantity): Quantity {
    const e = Math.min(this.exponent, other.exponent);
    const sum = this.unscaled * pow10(this.exponent - e) + other.unscaled * pow10(other.exponent - e);
    return new Quantity(sum, e, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return this.add(other.neg());
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.exponent, this.format);
  }

  /** ceil(q / 10^scale) as a bigint (upstream ScaledValue rounds up). */
  scaledValueBig(scale: number): bigint {
    // Beyond int64 upstream's result overflows; here it saturates instead of building 10^n for a huge n.
    if (this.exponent - scale > 40) return this.unscaled < 0n ? INT64_MIN : this.unscaled > 0n ? INT64_MAX : 0n;
    if (scale - this.exponent > abs(this.unscaled).toString().length + 1) return this.unscaled > 0n ? 1n : 0n;
    if (this.exponent >= scale) return this.unscaled * pow10(this.exponent - scale);
    return ceilDiv(this.unscaled, pow10(scale - this.exponent));
  }

  /** Value(): the value rounded up to an integer. */
  value(): number {
    return Number(this.scaledValueBig(0));
  }

  /** MilliValue(): the value in thousandths, rounded up (CPU in millicores). */
  milliValue(): number {
    return Number(this.scaledValueBig(-3));
  }

  asApproximateFloat64(): number {
    return Number(this.unscaled) * 10 ** this.exponent;
  }

  /** The canonical string kube-apiserver serialises (Quantity.String / MarshalJSON). */
  toString(): string {
    if (this.spelled !== undefined) return this.spelled;
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      // Small or fractional binary values print as DecimalSI, so nothing is rounded.
      if (compareMagnitude(this.unscaled, this.exponent, 1024n, 0) < 0) format = 'DecimalSI';
      else if (this.exponent < 0 && this.unscaled % pow10(-this.exponent) !== 0n) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      const integer = this.scaledValueBig(0);
      const [amount, times] = removeFactors(integer, 1024n);
      return `${amount}${BINARY_BY_EXPONENT.get(times * 10) ?? ''}`;
    }
    let [amount, exponent] = removeFactors(this.unscaled, 10n);
    exponent += this.exponent;
    while (exponent % 3 !== 0) {
      amount *= 10n;
      exponent--;
    }
    if (format === 'DecimalExponent') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
    // Upstream has no DecimalSI suffix beyond E (10^18) or below n; it then prints the digits alone.
    return `${amount}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
  }

  /**
   * Go's %#v of the parsed resource.Quantity, which some upstream validation messages print. A value upstream
   * holds as an inf.Dec prints a heap address there; a fixed stand-in is printed instead.
   */
  goString(): string {
    const i = this.int64Amount ? `value:${this.unscaled}, scale:${this.exponent}` : 'value:0, scale:0';
    const d = this.int64Amount ? '(*inf.Dec)(nil)' : '(*inf.Dec)(0xc000000000)';
    return `resource.Quantity{i:resource.int64Amount{${i}}, d:resource.infDecAmount{Dec:${d}}, s:"${this.spelled ?? ''}", Format:"${this.format}"}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** |a * 10^ea| compared with |b * 10^eb|, without expanding huge exponents. */
function compareMagnitude(a: bigint, ea: number, b: bigint, eb: number): -1 | 0 | 1 {
  a = abs(a);
  b = abs(b);
  if (a === 0n || b === 0n) return a === b ? 0 : a === 0n ? -1 : 1;
  const digitsA = a.toString().length + ea;
  const digitsB = b.toString().length + eb;
  if (digitsA !== digitsB) return digitsA < digitsB ? -1 : 1;
  const e = Math.min(ea, eb);
  const x = a * pow10(ea - e);
  const y = b * pow10(eb - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function parseQuantity(str: string): Quantity {
  return Quantity.parse(str);
}

/** The parsed quantity, or the error message upstream's decoder reports. */
export function tryParseQuantity(str: string): Quantity | QuantityError {
  try {
    return Quantity.parse(str);
  } catch (e) {
    if (e instanceof QuantityError) return e;
    throw e;
  }
}

/**
 * A JSON value where a Quantity is expected, decoded as Quantity.UnmarshalJSON does: a string (trimmed) or
 * a bare number; `null` is the zero quantity. Other JSON types are not quantities (undefined).
 */
export function quantityFromJSON(v: unknown): Quantity | QuantityError | undefined {
  if (v === null) return new Quantity(0n, 0, 'DecimalSI');
  if (typeof v === 'string') return tryParseQuantity(v.trim());
  if (typeof v === 'number' && Number.isFinite(v)) return tryParseQuantity(String(v).replace('e+', 'e'));
  return undefined;
}
