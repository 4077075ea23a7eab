/**
 * The inside of a resource.Quantity as Go's ParseQuantity leaves it (k8s.io/apimachinery
 * pkg/api/resource), for printing it the way spew does in the pod-template-hash: the int64 amount and
 * scale, the cached string (kept only for some canonical forms), and the format; and its canonical
 * string (Quantity.String), which is what kube-apiserver stores and serves. Quantities that Go keeps as
 * an arbitrary-precision inf.Dec are not reproduced (UnsupportedForHash).
 */
export class UnsupportedForHash extends Error {}

export interface GoQuantity {
  value: bigint;
  scale: number;
  s: string;
  format: '' | 'DecimalSI' | 'BinarySI' | 'DecimalExponent';
}

const MAX_INT64 = (1n << 63n) - 1n;
const MAX_INT64_FACTORS = 18;
const NANO = -9;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

interface Parts {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** parseQuantityString: sign, integer digits (leading zeros dropped), fraction digits, suffix. */
function parts(str: string): Parts {
  const m = /^([+-]?)(0*)(\d*)(?:\.(\d*))?(.*)$/.exec(str);
  if (!m) throw new UnsupportedForHash(`quantity ${str}`);
  const [, sign, , digits, denom = '', suffix] = m;
  if (!/^([eEinumkKMGTP]*[+-]?\d*)$/.test(suffix)) throw new UnsupportedForHash(`quantity ${str}`);
  return { positive: sign !== '-', num: digits === '' ? '0' : digits, denom, suffix };
}

export function goParseQuantity(str: string): GoQuantity {
  if (str === '') throw new UnsupportedForHash('empty quantity');
  if (str === '0') return { value: 0n, scale: 0, s: '0', format: 'DecimalSI' };
  const { positive, num, denom, suffix } = parts(str);
  let exponent: number;
  let format: GoQuantity['format'];
  if (suffix in DECIMAL_SUFFIXES) {
    exponent = DECIMAL_SUFFIXES[suffix];
    format = 'DecimalSI';
  } else if (suffix in BINARY_SUFFIXES) {
    exponent = BINARY_SUFFIXES[suffix];
    format = 'BinarySI';
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    exponent = Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    throw new UnsupportedForHash(`quantity suffix ${suffix}`);
  }
  let precision: number;
  let scale: number;
  let mantissa = 1n;
  if (format === 'BinarySI') {
    scale = 0;
    if (exponent >= 0 && denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    } else {
      precision = -1;
    }
  } else {
    scale = exponent;
    precision = MAX_INT64_FACTORS - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= NANO) {
      const shifted = num + denom;
      const value = BigInt(shifted);
      if (value > MAX_INT64) throw new UnsupportedForHash(`quantity ${str}`);
      let result = value * mantissa;
      if (result <= MAX_INT64) {
        if (!positive) result = -result;
        const keepString =
          format === 'BinarySI' ? exponent % 10 === 0 && (value & 7n) !== 0n : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        return { value: result, scale, s: keepString ? str : '', format };
      }
    }
  }
  throw new UnsupportedForHash(`quantity ${str} needs inf.Dec`);
}

const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([k, v]) => [v, k]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([k, v]) => [v, k]));

/** removeInt64Factors: value = result * base^times, the sign kept on result. */
function removeFactors(value: bigint, base: bigint): [bigint, number] {
  const negative = value < 0n;
  let result = negative ? -value : value;
  let times = 0;
  while (result >= base && result % base === 0n) {
    result /= base;
    times++;
  }
  return [negative ? -result : result, times];
}

function checkedInt64(v: bigint): bigint {
  if (v > MAX_INT64 || v < -MAX_INT64 - 1n) throw new UnsupportedForHash('quantity needs inf.Dec');
  return v;
}

/** Quantity.String(): the cached string, else the canonical form (CanonicalizeBytes). */
export function goQuantityString(q: GoQuantity): string {
  if (q.s !== '') return q.s;
  if (q.value === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI' && q.value > -1024n && q.value < 1024n) format = 'DecimalSI';
  if (format === 'BinarySI') {
    // Binary quantities have scale 0 on the int64 path, so they are exact at scale 0.
    const [amount, exponent] = removeFactors(q.value, 1024n);
    return `${amount}${BINARY_BY_EXPONENT.get(exponent * 10) ?? ''}`;
  }
  let [amount, times] = removeFactors(q.value, 10n);
  let exponent = q.scale + times;
  // The exponent of a canonical decimal form is a multiple of 3.
  const rem = ((exponent % 3) + 3) % 3;
  if (rem === 1) {
    amount = checkedInt64(amount * 10n);
    exponent -= 1;
  } else if (rem === 2) {
    amount = checkedInt64(amount * 100n);
    exponent -= 2;
  }
  if (format === 'DecimalExponent' || format === '') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  return `${amount}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}

/**
 * The Quantity the controller holds for a quantity string as stored: kube-apiserver keeps the canonical
 * form, so a non-canonical string ("0.5") is read as its canonical one ("500m") would be.
 */
export function goServedQuantity(str: string): GoQuantity {
  return goParseQuantity(goQuantityString(goParseQuantity(str)));
}
