import { applyMergePatch, MergePatchError } from '../../src/machinery/merge-patch.js';

describe('JSON merge patch (RFC 7386)', () => {
  const cases: [string, unknown, unknown, unknown][] = [
    ['adds and replaces keys', { a: 1, b: { c: 2 } }, { b: { d: 3 }, e: 4 }, { a: 1, b: { c: 2, d: 3 }, e: 4 }],
    ['null deletes a key', { a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: null } }, { b: { d: 3 } }],
    ['null for a missing key is nothing', { a: 1 }, { z: null }, { a: 1 }],
    ['lists are replaced', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['an object replaces a scalar, with its nulls pruned', { a: 1 }, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['nulls are pruned from added lists', {}, { a: [1, null, { b: null, c: 2 }] }, { a: [1, { c: 2 }] }],
    ['a scalar replaces an object', { a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
    ['an empty patch is nothing', { a: 1 }, {}, { a: 1 }],
    ['a list patch becomes the document', { a: 1 }, [1, null], [1]],
    ['RFC 7386 example', { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' },
      { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] },
      { title: 'Hello!', author: { givenName: 'John' }, tags: ['example'], content: 'This will be unchanged', phoneNumber: '+01-123-456-7890' }],
  ];
  test.each(cases)('%s', (_name, doc, patch, expected) => {
    const before = structuredClone(doc);
    expect(applyMergePatch(doc, patch)).toEqual(expected);
    expect(doc).toEqual(before);
  });

  test.each([[null], ['x'], [1], [true]])('%j is not a merge patch ("Invalid JSON Patch")', (patch) => {
    expect(() => applyMergePatch({}, patch)).toThrow(MergePatchError);
    expect(() => applyMergePatch({}, patch)).toThrow('Invalid JSON Patch');
  });

  test('__proto__ in a patch is data', () => {
    const out = applyMergePatch({ a: {} }, JSON.parse('{"a":{"__proto__":{"polluted":1}},"__proto__":{"x":1}}')) as Record<string, Record<string, unknown>>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(out.a)).toBe(Object.prototype);
    expect(Object.keys(out.a)).toEqual(['__proto__']);
  });
});
