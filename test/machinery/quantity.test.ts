/**
 * Quantity parsing and canonical form, with the tables of apimachinery's pkg/api/resource/quantity_test.go
 * (TestQuantityParse, TestQuantityString, TestQuantityParseEmit, TestParseQuantity).
 */
import { ERR_FORMAT_WRONG, ERR_SUFFIX, Quantity, QuantityError, quantityFromJSON, type QuantityFormat } from '../../src/machinery/quantity.js';

const parse = (s: string) => Quantity.parse(s);

// input, expected value as unscaled * 10^exponent, expected format
const PARSE: [string, bigint, number, QuantityFormat][] = [
  ['0', 0n, 0, 'DecimalSI'],
  ['0n', 0n, 0, 'DecimalSI'],
  ['0u', 0n, 0, 'DecimalSI'],
  ['0m', 0n, 0, 'DecimalSI'],
  ['0Ki', 0n, 0, 'BinarySI'],
  ['0k', 0n, 0, 'DecimalSI'],
  ['0Mi', 0n, 0, 'BinarySI'],
  ['0M', 0n, 0, 'DecimalSI'],
  ['0Gi', 0n, 0, 'BinarySI'],
  ['0G', 0n, 0, 'DecimalSI'],
  ['0Ti', 0n, 0, 'BinarySI'],
  ['0T', 0n, 0, 'DecimalSI'],
  ['1', 1n, 0, 'DecimalSI'],
  ['1Ki', 1024n, 0, 'BinarySI'],
  ['8Ki', 8192n, 0, 'BinarySI'],
  ['7Mi', 7340032n, 0, 'BinarySI'],
  ['6Gi', 6442450944n, 0, 'BinarySI'],
  ['5Ti', 5497558138880n, 0, 'BinarySI'],
  ['4Pi', 4503599627370496n, 0, 'BinarySI'],
  ['3Ei', 3458764513820540928n, 0, 'BinarySI'],
  ['10Ti', 10995116277760n, 0, 'BinarySI'],
  ['100Ti', 109951162777600n, 0, 'BinarySI'],
  ['5n', 5n, -9, 'DecimalSI'],
  ['4u', 4n, -6, 'DecimalSI'],
  ['3m', 3n, -3, 'DecimalSI'],
  ['9', 9n, 0, 'DecimalSI'],
  ['8k', 8n, 3, 'DecimalSI'],
  ['50k', 5n, 4, 'DecimalSI'],
  ['7M', 7n, 6, 'DecimalSI'],
  ['6G', 6n, 9, 'DecimalSI'],
  ['5T', 5n, 12, 'DecimalSI'],
  ['40T', 4n, 13, 'DecimalSI'],
  ['300T', 3n, 14, 'DecimalSI'],
  ['2P', 2n, 15, 'DecimalSI'],
  ['1E', 1n, 18, 'DecimalSI'],
  ['1E-3', 1n, -3, 'DecimalExponent'],
  ['1e3', 1n, 3, 'DecimalExponent'],
  ['1E6', 1n, 6, 'DecimalExponent'],
  ['1e9', 1n, 9, 'DecimalExponent'],
  ['1E12', 1n, 12, 'DecimalExponent'],
  ['1e15', 1n, 15, 'DecimalExponent'],
  ['1E18', 1n, 18, 'DecimalExponent'],
  ['1e14', 1n, 14, 'DecimalExponent'],
  ['1e13', 1n, 13, 'DecimalExponent'],
  ['1e3', 1n, 3, 'DecimalExponent'],
  ['100.035k', 100035n, 0, 'DecimalSI'],
  ['0.001', 1n, -3, 'DecimalSI'],
  ['0.0005k', 5n, -1, 'DecimalSI'],
  ['0.005', 5n, -3, 'DecimalSI'],
  ['0.05', 5n, -2, 'DecimalSI'],
  ['0.5', 5n, -1, 'DecimalSI'],
  ['0.00050k', 5n, -1, 'DecimalSI'],
  ['0.00500', 5n, -3, 'DecimalSI'],
  ['0.05000', 5n, -2, 'DecimalSI'],
  ['0.50000', 5n, -1, 'DecimalSI'],
  ['0.5e0', 5n, -1, 'DecimalExponent'],
  ['0.5e-1', 5n, -2, 'DecimalExponent'],
  ['0.5e-2', 5n, -3, 'DecimalExponent'],
  ['0.5e0', 5n, -1, 'DecimalExponent'],
  ['10.035M', 10035n, 3, 'DecimalSI'],
  ['1.2e3', 12n, 2, 'DecimalExponent'],
  ['1.3E+6', 13n, 5, 'DecimalExponent'],
  ['1.40e9', 14n, 8, 'DecimalExponent'],
  ['1.53E12', 153n, 10, 'DecimalExponent'],
  ['1.6e15', 16n, 14, 'DecimalExponent'],
  ['1.7E18', 17n, 17, 'DecimalExponent'],
  ['9.01', 901n, -2, 'DecimalSI'],
  ['8.1k', 81n, 2, 'DecimalSI'],
  ['7.123456M', 7123456n, 0, 'DecimalSI'],
  ['6.987654321G', 6987654321n, 0, 'DecimalSI'],
  ['5.444T', 5444n, 9, 'DecimalSI'],
  ['40.1T', 401n, 11, 'DecimalSI'],
  ['300.2T', 3002n, 11, 'DecimalSI'],
  ['2.5P', 25n, 14, 'DecimalSI'],
  ['1.01E', 101n, 16, 'DecimalSI'],
  ['3.001n', 4n, -9, 'DecimalSI'],
  ['1.1E-9', 2n, -9, 'DecimalExponent'],
  ['0.0000000001', 1n, -9, 'DecimalSI'],
  ['0.0000000005', 1n, -9, 'DecimalSI'],
  ['0.00000000050', 1n, -9, 'DecimalSI'],
  ['0.5e-9', 1n, -9, 'DecimalExponent'],
  ['0.9n', 1n, -9, 'DecimalSI'],
  ['0.00000012345', 124n, -9, 'DecimalSI'],
  ['0.00000012354', 124n, -9, 'DecimalSI'],
  ['9Ei', 9223372036854775807n, 0, 'BinarySI'],
  ['9223372036854775807Ki', 9223372036854775807n, 0, 'BinarySI'],
  ['12E', 12n, 18, 'DecimalSI'],
  ['100.035Ki', 10243584n, -2, 'BinarySI'],
  ['0.5Mi', 524288n, 0, 'BinarySI'],
  ['0.05Gi', 536870912n, -1, 'BinarySI'],
  ['0.025Ti', 274877906944n, -1, 'BinarySI'],
  ['0.000000000001Ki', 2n, -9, 'DecimalSI'],
  ['.001', 1n, -3, 'DecimalSI'],
  ['.0001k', 100n, -3, 'DecimalSI'],
  ['1.', 1n, 0, 'DecimalSI'],
  ['1.G', 1n, 9, 'DecimalSI'],
];

describe('Quantity.parse (TestQuantityParse)', () => {
  it.each(PARSE)('%s', (input, unscaled, exponent, format) => {
    const want = new Quantity(unscaled, exponent, format);
    for (const [prefix, sign] of [['', 1], ['-', -1], ['+', 1]] as const) {
      const got = parse(prefix + input);
      expect(got.cmp(sign === 1 ? want : want.neg())).toBe(0);
      expect(got.format).toBe(format);
    }
  });

  it.each(['', '1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', ' 1', '1 '])('rejects %j', (input) => {
    expect(() => parse(input)).toThrow(QuantityError);
  });

  it('names the regular expression or the suffix as upstream does', () => {
    expect(() => parse('aoeu')).toThrow(ERR_FORMAT_WRONG);
    expect(ERR_FORMAT_WRONG).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect(() => parse('1i')).toThrow(ERR_SUFFIX);
    expect(() => parse('5Qi')).toThrow(QuantityError);
  });
});

// value as unscaled * 10^exponent with a format, its canonical string, and another spelling of it
const STRING: [bigint, number, QuantityFormat, string, string][] = [
  [1073741824n, 0, 'BinarySI', '1Gi', '1024Mi'],
  [314572800n, 0, 'BinarySI', '300Mi', '307200Ki'],
  [6144n, 0, 'BinarySI', '6Ki', ''],
  [1074815565824n, 0, 'BinarySI', '1001Gi', '1025024Mi'],
  [1099511627776n, 0, 'BinarySI', '1Ti', '1024Gi'],
  [5n, 0, 'BinarySI', '5', '5000m'],
  [500n, -3, 'BinarySI', '500m', '0.5'],
  [1n, 9, 'DecimalSI', '1G', '1000M'],
  [1000n, 6, 'DecimalSI', '1G', '0.001T'],
  [1000000n, 3, 'DecimalSI', '1G', ''],
  [1000000000n, 0, 'DecimalSI', '1G', ''],
  [1n, -3, 'DecimalSI', '1m', '1000u'],
  [80n, -3, 'DecimalSI', '80m', ''],
  [1080n, -3, 'DecimalSI', '1080m', '1.08'],
  [108n, -2, 'DecimalSI', '1080m', '1080000000n'],
  [10800n, -4, 'DecimalSI', '1080m', ''],
  [300n, 6, 'DecimalSI', '300M', ''],
  [1n, 12, 'DecimalSI', '1T', ''],
  [1234567n, 6, 'DecimalSI', '1234567M', ''],
  [1234567n, -3, 'BinarySI', '1234567m', ''],
  [3n, 3, 'DecimalSI', '3k', ''],
  [1025n, 0, 'BinarySI', '1025', ''],
  [0n, 0, 'DecimalSI', '0', ''],
  [0n, 0, 'BinarySI', '0', ''],
  [1n, 9, 'DecimalExponent', '1e9', '.001e12'],
  [1n, -3, 'DecimalExponent', '1e-3', '0.001e0'],
  [1n, -9, 'DecimalExponent', '1e-9', '1000e-12'],
  [80n, -3, 'DecimalExponent', '80e-3', ''],
  [300n, 6, 'DecimalExponent', '300e6', ''],
  [1n, 12, 'DecimalExponent', '1e12', ''],
  [1n, 3, 'DecimalExponent', '1e3', ''],
  [3n, 3, 'DecimalExponent', '3e3', ''],
  [3n, 3, 'DecimalSI', '3k', ''],
  [0n, 0, 'DecimalExponent', '0', '00'],
  [1n, -9, 'DecimalSI', '1n', ''],
  [80n, -9, 'DecimalSI', '80n', ''],
  [1080n, -9, 'DecimalSI', '1080n', ''],
  [108n, -8, 'DecimalSI', '1080n', ''],
  [10800n, -10, 'DecimalSI', '1080n', ''],
  [1n, -6, 'DecimalSI', '1u', ''],
  [80n, -6, 'DecimalSI', '80u', ''],
  [1080n, -6, 'DecimalSI', '1080u', ''],
];

describe('canonical string (TestQuantityString)', () => {
  it.each(STRING)('%s e%s %s is %s', (unscaled, exponent, format, expected, alternate) => {
    expect(new Quantity(unscaled, exponent, format).toString()).toBe(expected);
    expect(parse(expected).toString()).toBe(expected);
    if (alternate !== '') expect(parse(alternate).toString()).toBe(expected);
    if (unscaled !== 0n) expect(new Quantity(-unscaled, exponent, format).toString()).toBe('-' + expected);
  });
});

describe('parse then emit (TestQuantityParseEmit and the brief)', () => {
  it.each([
    ['1Ki', '1Ki'], ['1Mi', '1Mi'], ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1000M', '1G'], ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'], ['.000000001Ki', '1024n'], ['.000000000001Ki', '2n'],
    ['1000m', '1'], ['0.5', '500m'], ['1e3', '1e3'], ['1.5Gi', '1536Mi'], ['100m', '100m'], ['0.1', '100m'],
    ['2048Ki', '2Mi'], ['1.500', '1.500'], ['+1', '+1'], ['00', '0'], ['0.0', '0'], ['-0', '0'], ['1E3', '1E3'],
    ['12E', '12E'], ['1000E', '1'], ['1e999999999', '1e999999999'], ['1e-999999999', '1e-9'], ['3.001n', '4n'],
  ])('%s -> %s', (input, expected) => {
    expect(parse(input).toString()).toBe(expected);
    if (!['0', '+1', '1'].includes(expected) && !input.startsWith('-') && parse(input).sign() !== 0) {
      expect(parse('-' + input).toString()).toBe('-' + expected.replace(/^\+/, ''));
    }
  });
});

// TestParseQuantity: numbers around the int64 limits keep every digit
const CANONICAL: [string, string][] = [
  ['-999999999999999999', '-999999999999999999'],
  ['999999999999999999', '999999999999999999'],
  ['-999999999999999999.0', '-999999999999999999'],
  ['999999999999999999.0', '999999999999999999'],
  ['-999999999999999999.1', '-999999999999999999100m'],
  ['999999999999999999.1', '999999999999999999100m'],
  ['-9999999999999999999', '-9999999999999999999'],
  ['9999999999999999999', '9999999999999999999'],
  ['-1E', '-1E'],
  ['1E', '1E'],
  ['-1000000000000000000', '-1E'],
  ['1000000000000000000', '1E'],
  ['-9999999999999999999.0', '-9999999999999999999'],
  ['9999999999999999999.0', '9999999999999999999'],
  ['-1.0E', '-1E'],
  ['1.0E', '1E'],
  ['-1000000000000000000.0', '-1E'],
  ['1000000000000000000.0', '1E'],
  ['-9999999999999999999000m', '-9999999999999999999'],
  ['9999999999999999999000m', '9999999999999999999'],
  ['-9999999999999999999.1', '-9999999999999999999100m'],
  ['9999999999999999999.1', '9999999999999999999100m'],
  ['-1.0000000000000000001E', '-1000000000000000000100m'],
  ['1.0000000000000000001E', '1000000000000000000100m'],
  ['-1000000000000000000.1', '-1000000000000000000100m'],
  ['1000000000000000000.1', '1000000000000000000100m'],
  ['-1.000000000000000001E', '-1000000000000000001'],
  ['1.000000000000000001E', '1000000000000000001'],
  ['-1000000000000000001', '-1000000000000000001'],
  ['1000000000000000001', '1000000000000000001'],
  ['-10E', '-10E'],
  ['10E', '10E'],
  ['-10000000000000000000', '-10E'],
  ['10000000000000000000', '10E'],
  ['-10.0E', '-10E'],
  ['10.0E', '10E'],
  ['-10000000000000000000.0', '-10E'],
  ['10000000000000000000.0', '10E'],
  ['-10000000000000000000000m', '-10E'],
  ['10000000000000000000000m', '10E'],
  ['-10.0000000000000000001E', '-10000000000000000000100m'],
  ['10.0000000000000000001E', '10000000000000000000100m'],
  ['-10000000000000000000.1', '-10000000000000000000100m'],
  ['10000000000000000000.1', '10000000000000000000100m'],
  ['-10.000000000000000001E', '-10000000000000000001'],
  ['10.000000000000000001E', '10000000000000000001'],
  ['-10000000000000000001', '-10000000000000000001'],
  ['10000000000000000001', '10000000000000000001'],
  ['-9223372036854775809', '-9223372036854775809'],
  ['9223372036854775806', '9223372036854775806'],
  ['-9223372036854775809.0', '-9223372036854775809'],
  ['9223372036854775806.0', '9223372036854775806'],
  ['-9223372036854775809000m', '-9223372036854775809'],
  ['9223372036854775806000m', '9223372036854775806'],
  ['-9223372036854775809.1', '-9223372036854775809100m'],
  ['9223372036854775806.1', '9223372036854775806100m'],
  ['-9223372036854775808', '-9223372036854775808'],
  ['9223372036854775807', '9223372036854775807'],
  ['-9223372036854775808.0', '-9223372036854775808'],
  ['9223372036854775807.0', '9223372036854775807'],
  ['-9223372036854775808000m', '-9223372036854775808'],
  ['9223372036854775807000m', '9223372036854775807'],
  ['-9223372036854775808.1', '-9223372036854775808100m'],
  ['9223372036854775807.1', '9223372036854775807100m'],
  ['-9223372036854775807', '-9223372036854775807'],
  ['9223372036854775808', '9223372036854775808'],
  ['-9223372036854775807.0', '-9223372036854775807'],
  ['9223372036854775808.0', '9223372036854775808'],
  ['-9223372036854775807000m', '-9223372036854775807'],
  ['9223372036854775808000m', '9223372036854775808'],
  ['-9223372036854775807.1', '-9223372036854775807100m'],
  ['9223372036854775808.1', '9223372036854775808100m'],
];

describe('limits (TestParseQuantity)', () => {
  it.each(CANONICAL)('%s serialises as %s', (input, expected) => {
    expect(parse(input).toString()).toBe(expected);
  });
  it('caps BinarySI at the int64 maximum', () => {
    expect(parse('9Ei').toString()).toBe('9223372036854775807');
    expect(parse('9Ei').format).toBe('BinarySI');
  });
});

describe('accessors', () => {
  it.each([
    ['1', 1, 1000], ['100m', 1, 100], ['1.5', 2, 1500], ['1Gi', 1073741824, 1073741824000], ['1n', 1, 1], ['0', 0, 0],
    ['-1.5', -1, -1500], ['2.0001', 3, 2001],
  ])('%s: value %d, milli %d', (input, value, milli) => {
    expect(parse(input).value()).toBe(value);
    expect(parse(input).milliValue()).toBe(milli);
  });
  it('compares and adds across scales and formats', () => {
    expect(parse('1Gi').cmp(parse('1073741824'))).toBe(0);
    expect(parse('500m').cmp(parse('1'))).toBe(-1);
    expect(parse('-2').cmp(parse('1m'))).toBe(-1);
    expect(parse('1e999999999').cmp(parse('1E'))).toBe(1);
    expect(parse('500m').add(parse('1500m')).toString()).toBe('2');
    expect(parse('1Gi').add(parse('512Mi')).toString()).toBe('1536Mi');
    expect(new Quantity(0n, 0, 'DecimalSI').add(parse('1Ki')).toString()).toBe('1Ki');
    expect(parse('1').sub(parse('250m')).toString()).toBe('750m');
  });
  it('decodes JSON values as Quantity.UnmarshalJSON does', () => {
    expect(String(quantityFromJSON(' 1000m '))).toBe('1');
    expect(String(quantityFromJSON(0.5))).toBe('500m');
    expect(String(quantityFromJSON(null))).toBe('0');
    expect(quantityFromJSON('x')).toBeInstanceOf(QuantityError);
    expect(quantityFromJSON(true)).toBeUndefined();
  });
});
