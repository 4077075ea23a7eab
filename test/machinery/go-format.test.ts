import { compareGoStrings, goJSON, goNumber, goQuote, parseGoInt64 } from '../../src/machinery/go-format.js';

describe('goQuote (strconv.Quote)', () => {
  const cases: [string, string][] = [
    ['plain', '"plain"'],
    ['quote"back\\slash', '"quote\\"back\\\\slash"'],
    ['tab\tnl\ncr\rbell\u0007vt\u000bff\f', '"tab\\tnl\\ncr\\rbell\\avt\\vff\\f"'],
    ['nul\u0000esc\u001bdel\u007f', '"nul\\x00esc\\x1bdel\\x7f"'],
    ['é ñ 日本', '"é ñ 日本"'],
    ['\u00ad soft hyphen', '"\\u00ad soft hyphen"'],
    ['nbsp\u00a0', '"nbsp\\u00a0"'],
    ['\u2028', '"\\u2028"'],
    ['emoji 😀', '"emoji 😀"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ['\ud800 lone surrogate', '"\uFFFD lone surrogate"'],
  ];
  it.each(cases)('%j', (input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });
});

describe('goJSON (encoding/json)', () => {
  it.each([
    [null, 'null'],
    [undefined, 'null'],
    [['a', 'b'], '["a","b"]'],
    [{ b: 1, a: [true] }, '{"b":1,"a":[true]}'],
    ['<&>\u2028', '"\\u003c\\u0026\\u003e\\u2028"'],
  ])('%j', (input, expected) => {
    expect(goJSON(input)).toBe(expected);
  });
});

describe('goNumber (%v)', () => {
  it.each([
    [42, '42'],
    [-7, '-7'],
    [1.5, '1.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123456.5, '123456.5'],
    [1234567.5, '1.2345675e+06'],
  ])('%p', (n, expected) => {
    expect(goNumber(n)).toBe(expected);
  });
});

describe('compareGoStrings', () => {
  it('orders by code point, not UTF-16 unit', () => {
    // U+FF5E sorts before U+1F600 in Go; JS's default sort puts the surrogate pair first.
    expect(['😀', '～'].sort(compareGoStrings)).toEqual(['～', '😀']);
  });
  it('orders uppercase before lowercase and prefixes first', () => {
    expect(['b', 'B', 'a', 'ab', ''].sort(compareGoStrings)).toEqual(['', 'B', 'a', 'ab', 'b']);
  });
});

describe('parseGoInt64 (strconv.ParseInt base 10)', () => {
  it.each([
    ['0', 0n],
    ['-12', -12n],
    ['+7', 7n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775808', undefined],
    ['', undefined],
    ['1_000', undefined],
    ['0x10', undefined],
    [' 1', undefined],
    ['1.0', undefined],
  ])('%j', (input, expected) => {
    expect(parseGoInt64(input)).toBe(expected);
  });
});
