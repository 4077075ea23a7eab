import {
  escapeFieldValue,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  unescapeFieldValue,
} from '../../src/machinery/fields.js';
import { SelectorError } from '../../src/machinery/labels.js';

describe('parseFieldSelector: accepted inputs and their canonical form', () => {
  it.each<[string, string]>([
    ['', ''],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=a||y\\=b', 'x=a||y\\=b'],
    ['x=a\\=\\=b', 'x=a\\=\\=b'],
    // terms are sorted by their raw text
    ['x=a,a=x', 'a=x,x=a'],
    ['b=1,a=2,B=3', 'B=3,a=2,b=1'],
    ['k=\\,,k2=v2', 'k2=v2,k=\\,'],
    ['k=\\\\,k2=v2', 'k2=v2,k=\\\\'],
    ['함=수,목=록', '목=록,함=수'],
    // empty terms, and terms with neither field nor value, are dropped
    ['a=a,', 'a=a'],
    [',a=a', 'a=a'],
    ['=', ''],
    ['!=', ''],
    ['=x', '=x'],
    // '==' means '='
    ['x==', 'x='],
    ['metadata.name==foo', 'metadata.name=foo'],
    ['metadata.name!=foo,status.phase=Running', 'metadata.name!=foo,status.phase=Running'],
    // no trimming: spaces belong to the field and value
    ['a = b', 'a = b'],
    ['spec.nodeName=', 'spec.nodeName='],
  ])('%j -> %j', (input, canonical) => {
    expect(formatFieldSelector(parseFieldSelector(input))).toBe(canonical);
  });

  it('returns unescaped structured requirements', () => {
    expect(parseFieldSelector('metadata.name==a\\,b,spec.x!=\\\\')).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a,b' },
      { field: 'spec.x', operator: '!=', value: '\\' },
    ]);
  });
});

describe('parseFieldSelector: rejected inputs', () => {
  it.each<[string, string]>([
    ['x', "invalid selector: 'x'; can't understand 'x'"],
    ['x=a,b', "invalid selector: 'x=a,b'; can't understand 'b'"],
    ['x in (a)', "invalid selector: 'x in (a)'; can't understand 'x in (a)'"],
    // sorted first, so the first failing term in sort order is reported
    ['x in (a,b,c)', "invalid selector: 'x in (a,b,c)'; can't understand 'b'"],
    // upstream prints the offending rune as a number (61 is '=')
    ['x=a||y=b', 'invalid field selector: unescaped character in value: 61'],
    ['x==a==b', 'invalid field selector: unescaped character in value: 61'],
    ['a\\=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['k=\\a\\b\\', 'invalid field selector: invalid escape sequence: \\a'],
    ['k=\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('%j', (input, message) => {
    expect(() => parseFieldSelector(input)).toThrow(new SelectorError(message));
  });
});

describe('escaping', () => {
  it.each<[string, string]>([
    ['', ''],
    ['a', 'a'],
    ['=', '\\='],
    [',', '\\,'],
    ['\\', '\\\\'],
    ['\\=\\,\\', '\\\\\\=\\\\\\,\\\\'],
  ])('%j <-> %j', (raw, escaped) => {
    expect(escapeFieldValue(raw)).toBe(escaped);
    expect(unescapeFieldValue(escaped)).toBe(raw);
  });

  it.each([['\\'], ['\\\\\\'], ['\\a']])('rejects orphan or unknown escape %j', (s) => {
    expect(() => unescapeFieldValue(s)).toThrow(SelectorError);
  });
});

describe('matchesFields', () => {
  const fields = { foo: 'bar', baz: 'blah', complex: '=value\\,\\' };
  it.each<[string, Record<string, string>, boolean]>([
    ['', { x: 'y' }, true],
    ['x=y', { x: 'y' }, true],
    ['x==y', { x: 'y' }, true],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['notin=in', { notin: 'in' }, true],
    // a missing field reads as the empty string
    ['x=', {}, true],
    ['x!=', {}, false],
    ['x!=y', {}, true],
    ['x=y', {}, false],
    ['constructor=', {}, true],
    ['foo=bar,baz=blah', fields, true],
    ['foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\', fields, true],
    ['foo=blah', fields, false],
    ['foo=bar,foobar=bar,baz=blah', fields, false],
  ])('%j on %j -> %p', (selector, input, expected) => {
    expect(matchesFields(parseFieldSelector(selector), input)).toBe(expected);
  });
});
