import { applyJSONPatch, decodeJSONPatch, JSONPatchApplyError, JSONPatchDecodeError } from '../../src/machinery/json-patch.js';
import type { JSONPatchOperation } from '../../src/machinery/json-patch.js';

type Ops = JSONPatchOperation[];
const doc = () => ({ metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3] } });

describe('JSON patch (RFC 6902) operations', () => {
  const cases: [string, Ops, unknown][] = [
    ['add a key', [{ op: 'add', path: '/metadata/labels/b', value: '2' }], { metadata: { name: 'x', labels: { a: '1', b: '2' } }, spec: { list: [1, 2, 3] } }],
    ['add replaces an existing key', [{ op: 'add', path: '/metadata/labels/a', value: '9' }], { metadata: { name: 'x', labels: { a: '9' } }, spec: { list: [1, 2, 3] } }],
    ['add inserts into a list', [{ op: 'add', path: '/spec/list/1', value: 7 }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 7, 2, 3] } }],
    ['add appends with -', [{ op: 'add', path: '/spec/list/-', value: 4 }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3, 4] } }],
    ['add at the list end index', [{ op: 'add', path: '/spec/list/3', value: 4 }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3, 4] } }],
    ['remove a key', [{ op: 'remove', path: '/metadata/labels/a' }], { metadata: { name: 'x', labels: {} }, spec: { list: [1, 2, 3] } }],
    ['remove a list item', [{ op: 'remove', path: '/spec/list/0' }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [2, 3] } }],
    ['remove with a negative index', [{ op: 'remove', path: '/spec/list/-1' }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2] } }],
    ['replace a value', [{ op: 'replace', path: '/spec/list', value: [] }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [] } }],
    ['replace of a missing object key adds it (evanphx v4)', [{ op: 'replace', path: '/metadata/labels/z', value: 'z' }], { metadata: { name: 'x', labels: { a: '1', z: 'z' } }, spec: { list: [1, 2, 3] } }],
    ['move', [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/b' }], { metadata: { name: 'x', labels: { b: '1' } }, spec: { list: [1, 2, 3] } }],
    ['copy', [{ op: 'copy', from: '/spec/list/0', path: '/spec/list/-' }], { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3, 1] } }],
    ['test then replace', [{ op: 'test', path: '/metadata/labels/a', value: '1' }, { op: 'replace', path: '/metadata/labels/a', value: '2' }], { metadata: { name: 'x', labels: { a: '2' } }, spec: { list: [1, 2, 3] } }],
    ['test of a missing key against null passes', [{ op: 'test', path: '/metadata/labels/zz', value: null }], doc()],
    ['escaped keys ~1 and ~0', [{ op: 'add', path: '/metadata/labels/example.com~1a~0b', value: 'v' }], { metadata: { name: 'x', labels: { a: '1', 'example.com/a~b': 'v' } }, spec: { list: [1, 2, 3] } }],
  ];
  test.each(cases)('%s', (_name, ops, expected) => {
    const d = doc();
    expect(applyJSONPatch(d, ops)).toEqual(expected);
    expect(d).toEqual(doc());
  });

  const failures: [string, Ops, string][] = [
    ['a failing test', [{ op: 'test', path: '/metadata/labels/a', value: '2' }], 'testing value /metadata/labels/a failed: test failed'],
    ['add under a missing parent', [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }], 'add operation does not apply: doc is missing path: "/metadata/annotations/x": missing value'],
    ['remove of a missing key', [{ op: 'remove', path: '/metadata/labels/zz' }], 'error in remove for path: \'/metadata/labels/zz\': Unable to remove nonexistent key: zz: missing value'],
    ['replace out of range', [{ op: 'replace', path: '/spec/list/5', value: 1 }], 'replace operation does not apply: doc is missing key: /spec/list/5: missing value'],
    ['add past the end', [{ op: 'add', path: '/spec/list/9', value: 1 }], "error in add for path: '/spec/list/9': Unable to access invalid index: 9: invalid index referenced"],
    ['an unknown op', [{ op: 'frobnicate', path: '/x' }], 'Unexpected kind: frobnicate'],
    ['a missing op', [{ path: '/x' }], 'Unexpected kind: unknown'],
    ['the whole document', [{ op: 'replace', path: '', value: {} }], 'replace operation does not apply: doc is missing path: : missing value'],
  ];
  test.each(failures)('%s fails', (_name, ops, message) => {
    expect(() => applyJSONPatch(doc(), ops)).toThrow(JSONPatchApplyError);
    expect(() => applyJSONPatch(doc(), ops)).toThrow(message);
  });

  test('a later failure leaves the input untouched', () => {
    const d = doc();
    expect(() => applyJSONPatch(d, [{ op: 'add', path: '/metadata/labels/b', value: '2' }, { op: 'test', path: '/spec/list/0', value: 9 }])).toThrow(JSONPatchApplyError);
    expect(d).toEqual(doc());
  });

  test('__proto__ is an ordinary key', () => {
    const out = applyJSONPatch({ a: {} }, [{ op: 'add', path: '/a/__proto__', value: { polluted: true } }]) as { a: Record<string, unknown> };
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out.a)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out.a, '__proto__')).toBe(true);
    expect(() => applyJSONPatch({ a: {} }, [{ op: 'test', path: '/a/constructor', value: 1 }])).toThrow('testing value /a/constructor failed');
  });
});

describe('decodeJSONPatch', () => {
  test('a list of operations, or null', () => {
    expect(decodeJSONPatch([{ op: 'add' }])).toEqual([{ op: 'add' }]);
    expect(decodeJSONPatch(null)).toEqual([]);
  });
  test.each([
    [{ op: 'add' }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['x', 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    [['x'], 'json: cannot unmarshal string into Go value of type jsonpatch.Operation'],
    [[1], 'json: cannot unmarshal number into Go value of type jsonpatch.Operation'],
  ])('%j is not a JSON patch', (value, message) => {
    expect(() => decodeJSONPatch(value)).toThrow(JSONPatchDecodeError);
    expect(() => decodeJSONPatch(value)).toThrow(message);
  });
});
