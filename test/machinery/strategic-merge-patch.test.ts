import { SchemaPatchMeta, strategicMergePatch, StrategicMergePatchError } from '../../src/machinery/strategic-merge-patch.js';
import type { PatchMetaDefinitions } from '../../src/machinery/strategic-merge-patch.js';
import { patchMetaFor } from '../../src/registry/patch.js';

type Obj = Record<string, unknown>;

// The shape of upstream's test type (strategicpatch patch_test.go MergeItem), in our derived format.
const TEST_DEFS: PatchMetaDefinitions = {
  MergeItem: {
    name: { type: 'string' },
    value: { type: 'string' },
    other: { type: 'string' },
    mergingList: { list: { ref: 'MergeItem' }, strategy: 'merge', mergeKey: 'name' },
    nonMergingList: { list: { ref: 'MergeItem' } },
    mergingIntList: { list: { type: 'integer' }, strategy: 'merge' },
    nonMergingIntList: { list: { type: 'integer' } },
    simpleMap: { map: { type: 'string' } },
    replacingItem: { strategy: 'replace' },
    retainKeysMap: { ref: 'RetainKeysMergeItem', strategy: 'retainKeys' },
    retainKeysMergingList: { list: { ref: 'MergeItem' }, strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
  RetainKeysMergeItem: {
    name: { type: 'string' },
    value: { type: 'string' },
    other: { type: 'string' },
    simpleMap: { map: { type: 'string' } },
    mergingIntList: { list: { type: 'integer' }, strategy: 'merge' },
    mergingList: { list: { ref: 'MergeItem' }, strategy: 'merge', mergeKey: 'name' },
  },
};
const MERGE_ITEM = SchemaPatchMeta.forDefinition(TEST_DEFS, 'MergeItem');

// Cases re-expressed from upstream's table (original + two-way patch = modified).
const GENERIC: [string, Obj, Obj, Obj][] = [
  ['add a key to a map', { name: 1 }, { value: 1 }, { name: 1, value: 1 }],
  ['null deletes a key', { name: 1, value: 1 }, { value: null }, { name: 1 }],
  ['a null for a missing key is ignored', { name: 1 }, { other: null }, { name: 1 }],
  ['nulls inside an added map are dropped', {}, { simpleMap: { a: '1', b: null } }, { simpleMap: { a: '1' } }],
  ['$patch: replace replaces the whole map', { name: 1, value: 1 }, { other: 'a', $patch: 'replace' }, { other: 'a' }],
  ['$patch: delete on a nested map empties it', { simpleMap: { key1: '1', key2: '1' } }, { simpleMap: { $patch: 'delete' } }, { simpleMap: {} }],
  ['merging int list is a union', { mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, { mergingIntList: [1, 2, 3] }],
  ['non-merging list is replaced', { nonMergingIntList: [1, 2] }, { nonMergingIntList: [3] }, { nonMergingIntList: [3] }],
  [
    'merging list merges by key',
    { mergingList: [{ name: '1', value: 'a' }, { name: '2', value: 'b' }] },
    { mergingList: [{ name: '2', other: 'x' }, { name: '3' }] },
    { mergingList: [{ name: '1', value: 'a' }, { name: '2', value: 'b', other: 'x' }, { name: '3' }] },
  ],
  [
    'the patch order wins in a merging list',
    { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
    { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }, { name: 2, other: 'x' }] },
    { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }, { name: 2, value: 'b', other: 'x' }] },
  ],
  [
    'server-only items keep their place',
    { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
    { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }] },
    { mergingList: [{ name: 2, value: 'b' }, { name: 3, value: 'c' }, { name: 1, value: 'a' }] },
  ],
  ['$patch: replace in a merging list replaces it', { mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [{ $patch: 'replace' }] }, { mergingList: [] }],
  [
    '$patch: delete removes every matching element',
    { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] },
    { mergingList: [{ name: 1, $patch: 'delete' }, { name: 3, $patch: 'delete' }] },
    { mergingList: [{ name: 2, value: 'a' }] },
  ],
  [
    '$patch: delete of a missing element changes nothing',
    { mergingList: [{ name: 'hello' }] },
    { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
    { mergingList: [{ name: 'hello' }] },
  ],
  [
    '$deleteFromPrimitiveList removes scalars',
    { mergingIntList: [1, 2, 3] },
    { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
    { mergingIntList: [1, 2] },
  ],
  [
    '$setElementOrder orders a merging list',
    { mergingList: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }, { name: 'c' }] },
    { '$setElementOrder/mergingList': [{ name: 'c' }, { name: 'b' }, { name: 'a' }], mergingList: [{ name: 'b', value: '3' }] },
    { mergingList: [{ name: 'c' }, { name: 'b', value: '3' }, { name: 'a', value: '1' }] },
  ],
  [
    '$setElementOrder with $patch: delete',
    { mergingList: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    { '$setElementOrder/mergingList': [{ name: 'c' }, { name: 'a' }], mergingList: [{ name: 'b', $patch: 'delete' }] },
    { mergingList: [{ name: 'c' }, { name: 'a' }] },
  ],
  [
    '$setElementOrder of an int list',
    { mergingIntList: [1, 2, 3] },
    { '$setElementOrder/mergingIntList': [3, 1, 2, 4], mergingIntList: [4] },
    { mergingIntList: [3, 1, 2, 4] },
  ],
  [
    'a retainKeys map without the directive merges',
    { retainKeysMap: { name: 'foo' } },
    { retainKeysMap: { value: 'bar' } },
    { retainKeysMap: { name: 'foo', value: 'bar' } },
  ],
  [
    '$retainKeys clears the keys it does not list',
    { retainKeysMap: { name: 'foo', value: 'v', other: 'o' } },
    { retainKeysMap: { $retainKeys: ['name', 'other'], other: 'p' } },
    { retainKeysMap: { name: 'foo', other: 'p' } },
  ],
  [
    '$retainKeys in a merging list element',
    { retainKeysMergingList: [{ name: 'a', value: 'v', other: 'o' }, { name: 'b', value: 'w' }] },
    { retainKeysMergingList: [{ name: 'a', $retainKeys: ['name', 'other'] }] },
    { retainKeysMergingList: [{ name: 'a', other: 'o' }, { name: 'b', value: 'w' }] },
  ],
  [
    '$setElementOrder with an addition and a deletion keeps server-only items in place',
    { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] },
    { '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }], mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }] },
    { mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }] },
  ],
  ['a replace-strategy field is replaced', { replacingItem: { a: 1, b: 2 } }, { replacingItem: { c: 3 } }, { replacingItem: { c: 3 } }],
  ['a key missing from the original takes the patch without directives', {}, { mergingList: [{ name: 'a' }, { name: 'b', $patch: 'delete' }] }, { mergingList: [{ name: 'a' }] }],
  ['a changed type takes the patch value', { value: 'x' }, { value: { a: 1 } }, { value: { a: 1 } }],
];

describe('strategic merge patch (upstream cases)', () => {
  test.each(GENERIC)('%s', (_name, original, patch, expected) => {
    const before = structuredClone(original);
    expect(strategicMergePatch(original, patch, MERGE_ITEM)).toEqual(expected);
    expect(original).toEqual(before);
  });

  test('a null patch changes nothing', () => {
    expect(strategicMergePatch({ name: 1 }, null, MERGE_ITEM)).toEqual({ name: 1 });
  });
});

describe('strategic merge patch errors', () => {
  const cases: [string, Obj, Obj, string, string][] = [
    ['a key in the patch not listed in $retainKeys', { retainKeysMap: {} }, { retainKeysMap: { $retainKeys: ['name'], value: 'x' } }, 'BadRequest', 'invalid patch format of retainKeys'],
    ['$retainKeys that is not a list', { retainKeysMap: {} }, { retainKeysMap: { $retainKeys: 'name' } }, 'BadRequest', 'invalid patch format of retainKeys'],
    ['$setElementOrder that is not a list', { mergingList: [{ name: 'a' }] }, { '$setElementOrder/mergingList': 'a', mergingList: [{ name: 'a' }] }, 'Internal', 'expected a []interface {}, but received a string'],
    ['$deleteFromPrimitiveList without a field', { mergingIntList: [1] }, { $deleteFromPrimitiveList: [1] }, 'BadRequest', 'invalid patch format of primitive list'],
    ['a list of lists', { mergingIntList: [[1]] }, { mergingIntList: [[2]] }, 'Invalid', 'lists of lists are not supported'],
    ['an element without the merge key', { mergingList: [{ name: 'a' }] }, { mergingList: [{ value: 'x' }] }, 'Internal', 'map: map[value:x] does not contain declared merge key: name'],
    ['$patch: merge in a list', { mergingList: [{ name: 'a' }] }, { mergingList: [{ $patch: 'merge' }] }, 'Internal', 'merging lists cannot yet be specified in the patch'],
    ['an unknown $patch in a map', { simpleMap: { a: '1' } }, { simpleMap: { $patch: 'bogus' } }, 'Internal', 'unknown patch type: bogus in map: map[$patch:bogus]'],
  ];
  test.each(cases)('%s', (_name, original, patch, kind, message) => {
    let caught: unknown;
    try {
      strategicMergePatch(original, patch, MERGE_ITEM);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StrategicMergePatchError);
    expect((caught as StrategicMergePatchError).kind).toBe(kind);
    expect((caught as StrategicMergePatchError).message).toBe(message);
  });
});

describe('strategic merge patch on built-in kinds (derived patch-meta.json)', () => {
  const POD = patchMetaFor({ group: '', version: 'v1', kind: 'Pod' })!;
  const DEPLOYMENT = patchMetaFor({ group: 'apps', version: 'v1', kind: 'Deployment' })!;
  const pod = (spec: Obj, metadata: Obj = { name: 'p' }): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });

  test('schemas exist for built-in kinds and not for unknown ones', () => {
    expect(POD).toBeDefined();
    expect(DEPLOYMENT).toBeDefined();
    expect(patchMetaFor({ group: 'example.com', version: 'v1', kind: 'Widget' })).toBeUndefined();
  });

  const cases: [string, Obj, Obj, Obj][] = [
    [
      'containers merge by name',
      pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] }),
      { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
      pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] }),
    ],
    [
      'env merges by name',
      pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }] }),
      { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] } },
      pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] }),
    ],
    [
      'ports merge by containerPort',
      pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] }),
      { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
      pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }] }] }),
    ],
    [
      'volumes merge by name',
      pod({ containers: [], volumes: [{ name: 'v1', emptyDir: {} }] }),
      { spec: { volumes: [{ name: 'v2', configMap: { name: 'cm' } }] } },
      // Without $setElementOrder, items new to the list come before the server's own (upstream's order).
      pod({ containers: [], volumes: [{ name: 'v2', configMap: { name: 'cm' } }, { name: 'v1', emptyDir: {} }] }),
    ],
    [
      'a volume source is switched with $retainKeys',
      pod({ volumes: [{ name: 'v1', emptyDir: {} }] }),
      { spec: { volumes: [{ name: 'v1', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } },
      pod({ volumes: [{ name: 'v1', hostPath: { path: '/x' } }] }),
    ],
    [
      'tolerations (atomic) are replaced',
      pod({ tolerations: [{ key: 'a', operator: 'Exists' }] }),
      { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
      pod({ tolerations: [{ key: 'b', operator: 'Exists' }] }),
    ],
    [
      'container args (atomic) are replaced',
      pod({ containers: [{ name: 'a', args: ['x', 'y'] }] }),
      { spec: { containers: [{ name: 'a', args: ['z'] }] } },
      pod({ containers: [{ name: 'a', args: ['z'] }] }),
    ],
    [
      '$patch: delete removes a container',
      pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
      { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
      pod({ containers: [{ name: 'b' }] }),
    ],
    [
      '$patch: replace replaces the containers',
      pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
      { spec: { containers: [{ name: 'c' }, { $patch: 'replace' }] } },
      pod({ containers: [{ name: 'c' }] }),
    ],
    [
      'finalizers merge (a set)',
      pod({}, { name: 'p', finalizers: ['a', 'b'] }),
      { metadata: { finalizers: ['b', 'c'] } },
      pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
    ],
    [
      '$deleteFromPrimitiveList removes a finalizer',
      pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      pod({}, { name: 'p', finalizers: ['a', 'c'] }),
    ],
    [
      'labels merge and null removes one',
      pod({}, { name: 'p', labels: { a: '1', b: '2' } }),
      { metadata: { labels: { b: null, c: '3' } } },
      pod({}, { name: 'p', labels: { a: '1', c: '3' } }),
    ],
    [
      'resources limits (a map) merge',
      pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }),
      { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '2' } } }] } },
      pod({ containers: [{ name: 'a', resources: { limits: { cpu: '2', memory: '1Gi' } } }] }),
    ],
  ];
  test.each(cases)('%s', (_name, original, patch, expected) => {
    expect(strategicMergePatch(original, patch, POD)).toEqual(expected);
  });

  test('kubectl set image: $setElementOrder/containers keeps the order and the other containers', () => {
    const deploy = {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'sidecar', image: 'busybox' }] } } },
    };
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }],
            containers: [{ name: 'web', image: 'nginx:2' }],
          },
        },
      },
    };
    expect(strategicMergePatch(deploy, patch, DEPLOYMENT)).toEqual({
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }, { name: 'sidecar', image: 'busybox' }] } } },
    });
  });

  test('a deployment strategy switch with $retainKeys drops rollingUpdate', () => {
    const deploy = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    expect(strategicMergePatch(deploy, patch, DEPLOYMENT)).toEqual({ spec: { strategy: { type: 'Recreate' } } });
  });

  test('fields unknown to the schema: maps merge, lists are replaced', () => {
    expect(strategicMergePatch({ spec: { extra: { a: 1 }, extraList: [1] } }, { spec: { extra: { b: 2 }, extraList: [2] } }, POD)).toEqual({
      spec: { extra: { a: 1, b: 2 }, extraList: [2] },
    });
  });

  test('a __proto__ key is data, not a prototype', () => {
    const out = strategicMergePatch({ metadata: {} }, JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"}}}}') as Obj, POD);
    expect(({} as Obj).polluted).toBeUndefined();
    const labels = (out.metadata as Obj).labels as Obj;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(labels, '__proto__')).toBe(true);
  });
});
