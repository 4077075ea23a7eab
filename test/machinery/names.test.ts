import {
  generateName,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validatePathSegmentName,
} from '../../src/machinery/names.js';
import { DNS1035_MSG, LABEL_KEY_SLASHES_MSG, LABEL_MSG, LABEL_VALUE_MSG, NAME_PART_MSG, SUBDOMAIN_MSG } from './upstream-messages.js';

const a = (n: number) => 'a'.repeat(n);
const PREFIX_SUBDOMAIN_MSG = 'prefix part ' + SUBDOMAIN_MSG;

describe('isDNS1123Subdomain', () => {
  it.each([
    ['a'], ['ab'], ['abc'], ['a1'], ['a-1'], ['a--1--2--b'], ['0'], ['01'], ['1.2.3.4'], ['a.b.c'], ['a.1'], ['my.name'],
    [a(253)], [`${a(63)}.${'b'.repeat(63)}`],
  ])('accepts %j', (v) => {
    expect(isDNS1123Subdomain(v)).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['', [SUBDOMAIN_MSG]],
    ['A', [SUBDOMAIN_MSG]],
    ['aB', [SUBDOMAIN_MSG]],
    ['-a', [SUBDOMAIN_MSG]],
    ['a-', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    ['.a', [SUBDOMAIN_MSG]],
    ['a.', [SUBDOMAIN_MSG]],
    ['a_b', [SUBDOMAIN_MSG]],
    ['a b', [SUBDOMAIN_MSG]],
    ['é', [SUBDOMAIN_MSG]],
    ['a/b', [SUBDOMAIN_MSG]],
    ['*.example.com', [SUBDOMAIN_MSG]],
    [a(254), ['must be no more than 253 characters']],
    ['A' + a(253), ['must be no more than 253 characters', SUBDOMAIN_MSG]],
  ])('rejects %j', (v, msgs) => {
    expect(isDNS1123Subdomain(v)).toEqual(msgs);
  });
});

describe('isDNS1123Label', () => {
  it.each([['a'], ['abc'], ['a-1'], ['1'], ['123-abc'], [a(63)]])('accepts %j', (v) => {
    expect(isDNS1123Label(v)).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['', [LABEL_MSG]],
    ['A', [LABEL_MSG]],
    ['-a', [LABEL_MSG]],
    ['a-', [LABEL_MSG]],
    ['a_b', [LABEL_MSG]],
    // a valid subdomain that is not a label gets the shorter message
    ['a.b', ['must not contain dots']],
    ['foo.bar', ['must not contain dots']],
    ['a..b', [LABEL_MSG]],
    [a(64), ['must be no more than 63 characters']],
    [`${a(64)}.b`, ['must be no more than 63 characters', 'must not contain dots']],
  ])('rejects %j', (v, msgs) => {
    expect(isDNS1123Label(v)).toEqual(msgs);
  });
});

describe('isDNS1035Label', () => {
  it.each([['a'], ['abc'], ['a-1'], [a(63)]])('accepts %j', (v) => {
    expect(isDNS1035Label(v)).toEqual([]);
  });
  it.each<[string, string[]]>([
    ['1', [DNS1035_MSG]],
    ['1abc', [DNS1035_MSG]],
    ['a.b', [DNS1035_MSG]],
    [a(64), ['must be no more than 63 characters']],
  ])('rejects %j', (v, msgs) => {
    expect(isDNS1035Label(v)).toEqual(msgs);
  });
});

describe('isQualifiedName (label and annotation keys)', () => {
  it.each([
    ['simple'], ['now-with-dashes'], ['1-starts-with-num'], ['1234'], ['simple/simple'], ['now.with.dots/simple'],
    ['1.2.3.4/5678'], ['UpperCase123'], ['Uppercase_Is_OK_123'], ['example.com/Uppercase_Is_OK_123'],
    ['kubernetes.io/metadata.name'], [a(63)], [`${a(253)}/${'b'.repeat(63)}`],
  ])('accepts %j', (v) => {
    expect(isQualifiedName(v)).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['nospecialchars%^=@', [NAME_PART_MSG]],
    ['cantendwithadash-', [NAME_PART_MSG]],
    ['-cantstartwithadash-', [NAME_PART_MSG]],
    ['only/one/slash', [LABEL_KEY_SLASHES_MSG]],
    ['a/b/c/d', [LABEL_KEY_SLASHES_MSG]],
    ['Example.com/abc', [PREFIX_SUBDOMAIN_MSG]],
    ['example_com/abc', [PREFIX_SUBDOMAIN_MSG]],
    ['example.com/', ['name part must be non-empty', NAME_PART_MSG]],
    ['/simple', ['prefix part must be non-empty']],
    ['/', ['prefix part must be non-empty', 'name part must be non-empty', NAME_PART_MSG]],
    ['', ['name part must be non-empty', NAME_PART_MSG]],
    // the newer content package says "bytes" where the DNS checkers say "characters"
    [a(64), ['name part must be no more than 63 bytes']],
    [`${a(254)}/abc`, ['prefix part must be no more than 253 bytes']],
    [`${a(254)}/${'b'.repeat(64)}`, ['prefix part must be no more than 253 bytes', 'name part must be no more than 63 bytes']],
    ['a/é', [NAME_PART_MSG]],
  ])('rejects %j', (v, msgs) => {
    expect(isQualifiedName(v)).toEqual(msgs);
  });
});

describe('isValidLabelValue', () => {
  it.each([['simple'], ['now-with-dashes'], ['1-starts-with-num'], ['end-with-num-1'], ['1234'], [''], ['My_Value'], [a(63)]])(
    'accepts %j',
    (v) => {
      expect(isValidLabelValue(v)).toEqual([]);
    },
  );

  it.each<[string, string[]]>([
    ['nospecialchars%^=@', [LABEL_VALUE_MSG]],
    ['Tama-nui-te-rā.is.Māori.sun', [LABEL_VALUE_MSG]],
    ['\\backslashes\\are\\bad', [LABEL_VALUE_MSG]],
    ['-starts-with-dash', [LABEL_VALUE_MSG]],
    ['ends-with-dash-', [LABEL_VALUE_MSG]],
    ['.starts.with.dot', [LABEL_VALUE_MSG]],
    ['ends.with.dot.', [LABEL_VALUE_MSG]],
    ['a b', [LABEL_VALUE_MSG]],
    [a(64), ['must be no more than 63 bytes']],
    ['-'.repeat(64), ['must be no more than 63 bytes', LABEL_VALUE_MSG]],
  ])('rejects %j', (v, msgs) => {
    expect(isValidLabelValue(v)).toEqual(msgs);
  });
});

describe('validatePathSegmentName', () => {
  it.each<[string, boolean, string[]]>([
    ['a', false, []],
    ['', false, []],
    ['...', false, []],
    ['..a', false, []],
    ['.', false, ["may not be '.'"]],
    ['..', false, ["may not be '..'"]],
    ['.', true, []],
    ['..', true, []],
    ['a/b', false, ["may not contain '/'"]],
    ['a%b', true, ["may not contain '%'"]],
    ['/%', false, ["may not contain '/'", "may not contain '%'"]],
  ])('%j prefix=%p', (name, prefix, msgs) => {
    expect(validatePathSegmentName(name, prefix)).toEqual(msgs);
  });
});

describe('name validators for generateName prefixes', () => {
  it.each<[string, string[]]>([
    ['foo-', []],
    ['a-', []],
    ['abc-', []],
    // upstream replaces the last two characters with "a", so "x.-" passes as "xa"
    ['x.-', []],
    ['-', [SUBDOMAIN_MSG]],
    ['Foo-', [SUBDOMAIN_MSG]],
    ['Ab-', [SUBDOMAIN_MSG]],
  ])('nameIsDNSSubdomain(%j, true)', (name, msgs) => {
    expect(nameIsDNSSubdomain(name, true)).toEqual(msgs);
  });

  it('trailing dash is only forgiven for prefixes', () => {
    expect(nameIsDNSSubdomain('foo-', false)).toEqual([SUBDOMAIN_MSG]);
    expect(nameIsDNSLabel('foo-', false)).toEqual([LABEL_MSG]);
    expect(nameIsDNSLabel('foo-', true)).toEqual([]);
    expect(nameIsDNSLabel('a.b-', true)).toEqual(['must not contain dots']);
  });
});

describe('generateName', () => {
  const suffix = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/;

  it('appends five characters from the vowel-free alphabet', () => {
    const name = generateName('web-');
    expect(name.startsWith('web-')).toBe(true);
    expect(name.slice(4)).toMatch(suffix);
  });

  it('cuts the base to 58 characters so the result fits in 63', () => {
    const name = generateName('x'.repeat(100));
    expect(name).toHaveLength(63);
    expect(name.slice(0, 58)).toBe('x'.repeat(58));
    expect(name.slice(58)).toMatch(suffix);
  });

  it('keeps a 58-character base whole', () => {
    expect(generateName('y'.repeat(58)).slice(0, 58)).toBe('y'.repeat(58));
  });

  it('is random', () => {
    const names = new Set(Array.from({ length: 20 }, () => generateName('a-')));
    expect(names.size).toBeGreaterThan(15);
  });

  it('generated names from a valid prefix are valid', () => {
    for (let i = 0; i < 50; i++) expect(isDNS1123Subdomain(generateName('pod-'))).toEqual([]);
  });
});
