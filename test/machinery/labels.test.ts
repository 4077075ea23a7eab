import {
  formatLabelSelector,
  labelSelectorFromObject,
  matchesLabels,
  newRequirement,
  parseLabelSelector,
  SelectorError,
  type LabelSelectorObject,
} from '../../src/machinery/labels.js';
import { LABEL_KEY_SLASHES_MSG, LABEL_VALUE_MSG, NAME_PART_MSG, SUBDOMAIN_MSG } from './upstream-messages.js';

const OPERATORS = 'in, notin, =, ==, !=, gt, lt';
const UNPARSEABLE = 'unable to parse requirement: ';

function parseError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(SelectorError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(s)} to fail`);
}

describe('parseLabelSelector: accepted inputs and their canonical form', () => {
  it.each<[string, string]>([
    ['', ''],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x='],
    ['x= ,z= ', 'x=,z='],
    ['a==', 'a=='],
    ['a!=', 'a!='],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x>1,z<5', 'x>1,z<5'],
    ['\rx', 'x'],
    ['a ', 'a'],
    [' a = b , c ', 'a=b,c'],
    ['this-is-a-dns.domain.com/key-with-dash', 'this-is-a-dns.domain.com/key-with-dash'],
    ['0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)', '0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)'],
    ['foo  in\t (abc)', 'foo in (abc)'],
    ['x notin\n (abc)', 'x notin (abc)'],
    // value sets are sorted and de-duplicated; empty entries mean the empty value
    ['x in (abc,abc)', 'x in (abc)'],
    ['x in (abc,)', 'x in (,abc)'],
    ['x in ()', 'x in ()'],
    ['x notin ( )', 'x notin ()'],
    ['x in (a,,,,,,)', 'x in (,a)'],
    ['x notin (, a)', 'x notin (,a)'],
    ['a in (x,y,notin, z,in)', 'a in (in,notin,x,y,z)'],
    // requirements are ordered by key
    ['x notin (abc,,def),bar,z in (),w', 'bar,w,x notin (,abc,def),z in ()'],
    ['b=2,a=1,c', 'a=1,b=2,c'],
    // keywords are ordinary words where a key or value is expected
    ['notin=in', 'notin=in'],
    ['in', 'in'],
    ['!in', '!in'],
    ['a in (b),in in (c)', 'a in (b),in in (c)'],
    // a NUL character ends the input
    ['k=v\u0000', 'k=v'],
  ])('%j -> %j', (input, canonical) => {
    expect(formatLabelSelector(parseLabelSelector(input))).toBe(canonical);
  });

  it('returns structured requirements', () => {
    expect(parseLabelSelector('x in (b,a),!y,z>3')).toEqual([
      { key: 'x', operator: 'in', values: ['a', 'b'] },
      { key: 'y', operator: '!', values: [] },
      { key: 'z', operator: 'gt', values: ['3'] },
    ]);
    expect(parseLabelSelector('a,b==c')).toEqual([
      { key: 'a', operator: 'exists', values: [] },
      { key: 'b', operator: '==', values: ['c'] },
    ]);
  });
});

describe('parseLabelSelector: rejected inputs', () => {
  it.each<[string, string]>([
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['x,,y', "found ',', expected: identifier after ','"],
    [',x,y', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a in (xyz),', "found '', expected: identifier after ','"],
    ['a in (xyz)b notin ()', "found 'b', expected: ',' or 'end of string'"],
    ['a in (b))', "found ')', expected: ',' or 'end of string'"],
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    [')', "found ')', expected: !, identifier, or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['x=a\u0000b', "found 'b', expected: ',' or 'end of string'"],
    ['x nott in (y)', `${UNPARSEABLE}found 'nott', expected: ${OPERATORS}`],
    ['a (', `${UNPARSEABLE}found '(', expected: ${OPERATORS}`],
    ['a!', `${UNPARSEABLE}found '!', expected: ${OPERATORS}`],
    ['a gt 1', `${UNPARSEABLE}found 'gt', expected: ${OPERATORS}`],
    ['a in (xyz abc)', `${UNPARSEABLE}found 'abc', expected: ',' or ')'`],
    ['a in (b', `${UNPARSEABLE}found '', expected: ',' or ')'`],
    ['a notin(', `${UNPARSEABLE}found '', expected: ',', ')' or identifier`],
    ['a in ((b))', `${UNPARSEABLE}found '(', expected: ',', ')' or identifier`],
    ['a in (b,', `${UNPARSEABLE}found '', expected: ',', or identifier`],
    ['a in', `${UNPARSEABLE}found '' expected: '('`],
    ['a=(', `${UNPARSEABLE}found '(', expected: identifier`],
    ['a>=1', `${UNPARSEABLE}found '=', expected: identifier`],
    ['a===b', `${UNPARSEABLE}found '=', expected: identifier`],
    ['!', `${UNPARSEABLE}found '', expected: identifier`],
    ['!!a', `${UNPARSEABLE}found '!', expected: identifier`],
    ['x<a', `${UNPARSEABLE}values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a>', `${UNPARSEABLE}values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a<99999999999999999999', `${UNPARSEABLE}values[0]: Invalid value: "99999999999999999999": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['x=a||y=b', `${UNPARSEABLE}values[0][x]: Invalid value: "a||y": ${LABEL_VALUE_MSG}`],
    ['a>-1', `${UNPARSEABLE}values[0][a]: Invalid value: "-1": ${LABEL_VALUE_MSG}`],
    ['a=' + 'b'.repeat(64), `${UNPARSEABLE}values[0][a]: Invalid value: "${'b'.repeat(64)}": must be no more than 63 bytes`],
    // keys are checked before the operator, with no field path ("<nil>")
    ['-a', `${UNPARSEABLE}<nil>: Invalid value: "-a": ${NAME_PART_MSG}`],
    ['é=1', `${UNPARSEABLE}<nil>: Invalid value: "é": ${NAME_PART_MSG}`],
    ['a/b/c', `${UNPARSEABLE}<nil>: Invalid value: "a/b/c": ${LABEL_KEY_SLASHES_MSG}`],
    ['a/', `${UNPARSEABLE}<nil>: Invalid value: "a/": name part must be non-empty; ${NAME_PART_MSG}`],
    ['/a', `${UNPARSEABLE}<nil>: Invalid value: "/a": prefix part must be non-empty`],
    ['Example.com/a', `${UNPARSEABLE}<nil>: Invalid value: "Example.com/a": prefix part ${SUBDOMAIN_MSG}`],
    ['a'.repeat(64), `${UNPARSEABLE}<nil>: Invalid value: "${'a'.repeat(64)}": name part must be no more than 63 bytes`],
  ])('%j', (input, message) => {
    expect(parseError(input)).toBe(message);
  });
});

describe('matchesLabels', () => {
  const cases: [string, Record<string, string> | null, boolean][] = [
    ['', { x: 'y' }, true],
    ['', null, true],
    ['x=y', { x: 'y' }, true],
    ['x=y', { x: 'z' }, false],
    ['x=y', {}, false],
    ['x==y', { x: 'y' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y', { x: 'z' }, true],
    ['x!=y', { x: 'y' }, false],
    ['x!=y', {}, true],
    ['x=', { x: '' }, true],
    ['x=', {}, false],
    ['x!=', {}, true],
    ['x', { x: '' }, true],
    ['x', { y: 'z' }, false],
    ['!x', { y: 'z' }, true],
    ['!x', { x: '' }, false],
    ['!x', null, true],
    ['x in (y,z)', { x: 'z' }, true],
    ['x in (y,z)', {}, false],
    ['x in ()', { x: '' }, true],
    ['x notin (y)', { x: 'y' }, false],
    ['x notin (y)', {}, true],
    ['x notin ()', { x: '' }, false],
    ['x>1', { x: '2' }, true],
    ['x>1', { x: '1' }, false],
    ['x>1', { x: 'v2' }, false],
    ['x>1', {}, false],
    ['x<1', { x: '0' }, true],
    ['x<1', { x: '-3' }, true],
    ['notin=in', { notin: 'in' }, true],
    ['foo=bar,foobar=bar,baz=blah', { foo: 'bar', baz: 'blah' }, false],
  ];
  it.each(cases)('%j on %j -> %p', (selector, labels, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('compares gt/lt as 64-bit integers, not strings or doubles', () => {
    const big = [{ key: 'x', operator: 'gt' as const, values: ['9007199254740992'] }];
    expect(matchesLabels(big, { x: '9007199254740993' })).toBe(true);
    expect(matchesLabels([{ key: 'x', operator: 'lt', values: ['10'] }], { x: '9' })).toBe(true);
    // built directly (the parser rejects "-4" as a label value), negative bounds still compare numerically
    expect(matchesLabels([{ key: 'x', operator: 'gt', values: ['-4'] }], { x: '-3' })).toBe(true);
    expect(matchesLabels([{ key: 'x', operator: 'gt', values: ['1', '2'] }], { x: '5' })).toBe(false);
  });

  it('does not see inherited object properties as labels', () => {
    expect(matchesLabels(parseLabelSelector('constructor'), {})).toBe(false);
    expect(matchesLabels(parseLabelSelector('!toString'), {})).toBe(true);
  });
});

describe('labelSelectorFromObject (LabelSelectorAsSelector)', () => {
  it.each<[string, LabelSelectorObject | null | undefined, string]>([
    ['null selects nothing', null, '<nothing>'],
    ['undefined selects nothing', undefined, '<nothing>'],
    ['{} selects everything', {}, ''],
    ['empty maps select everything', { matchLabels: {}, matchExpressions: [] }, ''],
    ['matchLabels', { matchLabels: { b: 'c', a: 'b' } }, 'a=b,b=c'],
    ['In', { matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x'] }] }, 'a in (x,y)'],
    [
      'NotIn, Exists, DoesNotExist',
      {
        matchExpressions: [
          { key: 'c', operator: 'DoesNotExist' },
          { key: 'a', operator: 'NotIn', values: ['x'] },
          { key: 'b', operator: 'Exists' },
        ],
      },
      'a notin (x),b,!c',
    ],
    [
      'both kinds, ordered by key',
      { matchLabels: { z: '1' }, matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'z', operator: 'NotIn', values: ['2', '1'] }] },
      'a,z=1,z notin (1,2)',
    ],
  ])('%s', (_name, sel, expected) => {
    const result = labelSelectorFromObject(sel);
    expect(result === 'nothing' ? '<nothing>' : formatLabelSelector(result)).toBe(expected);
  });

  it('keeps expression values unsorted and duplicated, like upstream', () => {
    expect(labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x', 'y'] }] })).toEqual([
      { key: 'a', operator: 'in', values: ['y', 'x', 'y'] },
    ]);
  });

  it.each<[string, LabelSelectorObject, string]>([
    ['empty In values print as null', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"],
    ['missing In values', { matchExpressions: [{ key: 'a', operator: 'NotIn' }] }, "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Foo' }] }, '"Foo" is not a valid label selector operator'],
    ['prototype names are not operators', { matchExpressions: [{ key: 'a', operator: 'constructor' }] }, '"constructor" is not a valid label selector operator'],
    ['operators are case-sensitive', { matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }, '"in" is not a valid label selector operator'],
    ['bad matchLabels value', { matchLabels: { a: 'x y' } }, `values[0][a]: Invalid value: "x y": ${LABEL_VALUE_MSG}`],
    ['bad matchLabels key', { matchLabels: { 'a/b/c': 'x' } }, `key: Invalid value: "a/b/c": ${LABEL_KEY_SLASHES_MSG}`],
    [
      'empty key',
      { matchExpressions: [{ key: '', operator: 'Exists' }] },
      `key: Invalid value: "": name part must be non-empty; ${NAME_PART_MSG}`,
    ],
    [
      'several errors are aggregated',
      { matchExpressions: [{ key: 'a b', operator: 'In', values: ['x y'] }] },
      `[key: Invalid value: "a b": ${NAME_PART_MSG}, values[0][a b]: Invalid value: "x y": ${LABEL_VALUE_MSG}]`,
    ],
  ])('%s', (_name, sel, message) => {
    expect(() => labelSelectorFromObject(sel)).toThrow(new SelectorError(message));
  });
});

describe('newRequirement', () => {
  it.each<[string, string, string[] | null, string]>([
    ['x', 'in', [], "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    ['x', '=', ['bar', 'foo'], 'values: Invalid value: ["bar","foo"]: exact-match compatibility requires one single value'],
    ['x', 'gt', [], "values: Invalid value: []: for 'Gt', 'Lt' operators, exactly one value is required"],
    ['x', 'lt', ['bar'], "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['x', 'unsupportedOp', [], 'operator: Unsupported value: "unsupportedOp": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"'],
  ])('%s %s %j', (key, op, values, message) => {
    expect(() => newRequirement(key, op, values)).toThrow(new SelectorError(message));
  });

  it('accepts valid requirements', () => {
    expect(newRequirement('x', 'gt', ['1'])).toEqual({ key: 'x', operator: 'gt', values: ['1'] });
    expect(newRequirement('x', 'notin', [''])).toEqual({ key: 'x', operator: 'notin', values: [''] });
  });
});

describe('formatLabelSelector', () => {
  it('prints values sorted without reordering the selector', () => {
    const sel = [
      { key: 'x', operator: 'in' as const, values: ['def', 'abc'] },
      { key: 'y', operator: 'notin' as const, values: ['jkl'] },
      { key: 'z', operator: 'exists' as const, values: [] },
    ];
    expect(formatLabelSelector(sel)).toBe('x in (abc,def),y notin (jkl),z');
    expect(sel[0].values).toEqual(['def', 'abc']);
  });

  it('prints every operator', () => {
    expect(
      formatLabelSelector([
        { key: 'a', operator: '=', values: ['1'] },
        { key: 'b', operator: '==', values: ['2'] },
        { key: 'c', operator: '!=', values: ['3'] },
        { key: 'd', operator: 'gt', values: ['4'] },
        { key: 'e', operator: 'lt', values: ['5'] },
        { key: 'f', operator: '!', values: [] },
      ]),
    ).toBe('a=1,b==2,c!=3,d>4,e<5,!f');
  });

  it('round-trips through the parser', () => {
    for (const s of ['a in (x,y),!b,c!=d,e>5', 'k.io/app=web,tier notin (db)']) {
      expect(formatLabelSelector(parseLabelSelector(formatLabelSelector(parseLabelSelector(s))))).toBe(
        formatLabelSelector(parseLabelSelector(s)),
      );
    }
  });
});
