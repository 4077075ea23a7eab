import { aggregateMessage, fieldErrorMessage } from '../../src/machinery/field-errors.js';
import { validateObjectMeta, validateObjectMetaUpdate, type ObjectMetaOptions } from '../../src/machinery/object-meta.js';
import { nameIsDNSLabel } from '../../src/machinery/names.js';
import { LABEL_KEY_SLASHES_MSG, LABEL_VALUE_MSG, NAME_PART_MSG, SUBDOMAIN_MSG } from './upstream-messages.js';

const messages = (meta: unknown, opts: ObjectMetaOptions) => validateObjectMeta(meta, opts).map(fieldErrorMessage);
const cluster = { namespaced: false };
const namespaced = { namespaced: true };

describe('validateObjectMeta: name, generateName, namespace', () => {
  it.each<[string, unknown, ObjectMetaOptions, string[]]>([
    ['valid namespaced', { name: 'foo', namespace: 'bar' }, namespaced, []],
    ['valid cluster-scoped', { name: 'foo' }, cluster, []],
    ['missing metadata', undefined, cluster, ['metadata.name: Required value: name or generateName is required']],
    ['empty', {}, namespaced, ['metadata.name: Required value: name or generateName is required', 'metadata.namespace: Required value']],
    ['namespace on a cluster-scoped type', { name: 'foo', namespace: 'bar' }, cluster, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['empty namespace on a cluster-scoped type is fine', { name: 'foo', namespace: '' }, cluster, []],
    ['namespaces are DNS labels', { name: 'foo', namespace: 'foo.bar' }, namespaced, ['metadata.namespace: Invalid value: "foo.bar": must not contain dots']],
    [
      'overlong namespace',
      { name: 'foo', namespace: 'a'.repeat(64) },
      namespaced,
      [`metadata.namespace: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
    ],
    ['uppercase name', { name: 'Foo' }, cluster, [`metadata.name: Invalid value: "Foo": ${SUBDOMAIN_MSG}`]],
    ['path-unsafe name', { name: 'a/b' }, cluster, [`metadata.name: Invalid value: "a/b": ${SUBDOMAIN_MSG}`]],
    ['overlong name', { name: 'a'.repeat(254) }, cluster, [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`]],
    ['generateName may end in a dash', { name: 'foo', generateName: 'foo-' }, cluster, []],
    // deviation from upstream (which validates after generation): an ungenerated name is not yet required
    ['generateName alone', { generateName: 'foo-' }, cluster, []],
    ['bad generateName', { name: 'foo', generateName: 'Foo-' }, cluster, [`metadata.generateName: Invalid value: "Foo-": ${SUBDOMAIN_MSG}`]],
    ['a lone dash is not a prefix', { generateName: '-' }, cluster, [`metadata.generateName: Invalid value: "-": ${SUBDOMAIN_MSG}`]],
    ['negative generation', { name: 'foo', generation: -1 }, cluster, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
  ])('%s', (_name, meta, opts, expected) => {
    expect(messages(meta, opts)).toEqual(expected);
  });

  it('uses a custom name validator for both name and generateName', () => {
    const seen: [string, boolean][] = [];
    const nameValidator = (name: string, prefix: boolean) => {
      seen.push([name, prefix]);
      return name === 'test' ? [] : ['wrong value'];
    };
    expect(messages({ name: 'invalid', generateName: 'invalid' }, { namespaced: false, nameValidator })).toEqual([
      'metadata.generateName: Invalid value: "invalid": wrong value',
      'metadata.name: Invalid value: "invalid": wrong value',
    ]);
    expect(seen).toEqual([
      ['invalid', true],
      ['invalid', false],
    ]);
    expect(messages({ name: 'foo.bar' }, { namespaced: false, nameValidator: nameIsDNSLabel })).toEqual([
      'metadata.name: Invalid value: "foo.bar": must not contain dots',
    ]);
  });

  it('reports wrong JSON types instead of crashing', () => {
    expect(messages({ name: 5, labels: { a: 1 }, finalizers: 'x' }, cluster)).toEqual([
      'metadata.name: Invalid value: 5: must be of type string',
      'metadata.labels.a: Invalid value: 1: must be of type string',
      'metadata.finalizers: Invalid value: "x": must be of type array',
    ]);
    expect(messages('nope', cluster)).toEqual(['metadata: Invalid value: "nope": must be of type object']);
  });
});

describe('validateObjectMeta: labels, annotations, finalizers', () => {
  it.each<[string, unknown, string[]]>([
    ['valid labels', { labels: { app: 'web', 'example.com/tier': '', 'k8s.io/v': 'V_1.0' } }, []],
    [
      'label keys then values',
      { labels: { 'a b': 'c d', ok: 'fine', 'x/y/z': 'v'.repeat(64) } },
      [
        `metadata.labels: Invalid value: "a b": ${NAME_PART_MSG}`,
        `metadata.labels: Invalid value: "c d": ${LABEL_VALUE_MSG}`,
        `metadata.labels: Invalid value: "x/y/z": ${LABEL_KEY_SLASHES_MSG}`,
        `metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 bytes`,
      ],
    ],
    ['a __proto__ key is checked like any other', { labels: JSON.parse('{"__proto__":"x"}') }, [`metadata.labels: Invalid value: "__proto__": ${NAME_PART_MSG}`]],
    ['annotation keys ignore case', { annotations: { 'Example.COM/Upper': 'x', Upper: '' } }, []],
    ['annotation key errors show the original key', { annotations: { '/x': 'y', 'a b': '' } }, [
      'metadata.annotations: Invalid value: "/x": prefix part must be non-empty',
      `metadata.annotations: Invalid value: "a b": ${NAME_PART_MSG}`,
    ]],
    ['annotations just under 256 KiB', { annotations: { a: 'b'.repeat(256 * 1024 - 1) } }, []],
    ['annotations over 256 KiB', { annotations: { a: 'b'.repeat(128 * 1024), c: 'd'.repeat(128 * 1024) } }, [
      'metadata.annotations: Too long: may not be more than 262144 bytes',
    ]],
    ['annotation size counts UTF-8 bytes', { annotations: { a: 'é'.repeat(128 * 1024) } }, [
      'metadata.annotations: Too long: may not be more than 262144 bytes',
    ]],
    ['finalizers', { finalizers: ['kubernetes', 'example.com/x', 'a b'] }, [`metadata.finalizers: Invalid value: "a b": ${NAME_PART_MSG}`]],
    ['conflicting deletion finalizers', { finalizers: ['orphan', 'foregroundDeletion'] }, [
      'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
    ]],
  ])('%s', (_name, extra, expected) => {
    expect(messages({ name: 'foo', ...(extra as object) }, cluster)).toEqual(expected);
  });
});

describe('validateObjectMeta: ownerReferences and managedFields', () => {
  const ref = (kind: string, uid: string, controller?: boolean) => ({ apiVersion: 'v', kind, name: 'n', uid, ...(controller === undefined ? {} : { controller }) });

  it.each<[string, unknown[], string[]]>([
    ['valid', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '1', controller: true, blockOwnerDeletion: true }], []],
    ['empty reference', [{}], [
      'metadata.ownerReferences[0].apiVersion: Required value: must not be empty',
      'metadata.ownerReferences[0].kind: Required value: must not be empty',
      'metadata.ownerReferences[0].name: Required value: must not be empty',
      'metadata.ownerReferences[0].uid: Required value: must not be empty',
    ]],
    ['malformed apiVersion', [
      { apiVersion: 'a/b/c', kind: 'K', name: 'n', uid: 'u' },
      { apiVersion: 'apps/', kind: 'K', name: 'n', uid: 'u' },
      { apiVersion: '/', kind: 'K', name: 'n', uid: 'u' },
    ], [
      'metadata.ownerReferences[0].apiVersion: Invalid value: "a/b/c": must be <group>/<version> or <version>',
      'metadata.ownerReferences[1].apiVersion: Invalid value: "apps/": must be <group>/<version> or <version>',
      'metadata.ownerReferences[2].apiVersion: Invalid value: "/": must be <group>/<version> or <version>',
    ]],
    ['events cannot own', [{ uid: '1', blockOwnerDeletion: true, name: 'n', kind: 'Event', apiVersion: 'v1', controller: false }], [
      'metadata.ownerReferences[0]: Invalid value: {"apiVersion":"v1","kind":"Event","name":"n","uid":"1","controller":false,"blockOwnerDeletion":true}: /v1, Kind=Event is disallowed from being an owner',
    ]],
    ['events.k8s.io events may own', [{ apiVersion: 'events.k8s.io/v1', kind: 'Event', name: 'n', uid: '1' }], []],
    ['one controller is fine', [ref('K1', '1', false), ref('K2', '2', true), ref('K3', '3')], []],
    ['each extra controller is reported against the first', [ref('K1', '1', false), ref('K2', '2', true), ref('K3', '3', true), ref('K4', '4', true)], [
      'K3/n',
      'K4/n',
    ].map(
      (other) =>
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"v","kind":"K1","name":"n","uid":"1","controller":false},{"apiVersion":"v","kind":"K2","name":"n","uid":"2","controller":true},{"apiVersion":"v","kind":"K3","name":"n","uid":"3","controller":true},{"apiVersion":"v","kind":"K4","name":"n","uid":"4","controller":true}]: ' +
        `Only one reference can have Controller set to true. Found "true" in references for K2/n and ${other}`,
    )],
  ])('%s', (_name, ownerReferences, expected) => {
    expect(messages({ name: 'foo', ownerReferences }, cluster)).toEqual(expected);
  });

  it('checks managedFields entries', () => {
    const managedFields = [
      { manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' },
      { operation: '' },
      { operation: 'Patch', fieldsType: 'FieldsV2', manager: 'a\u0007bé\u0001', subresource: 's'.repeat(257) },
      { operation: 'Update', manager: 'm'.repeat(129) },
    ];
    expect(messages({ name: 'foo', managedFields }, cluster)).toEqual([
      'metadata.managedFields[1].operation: Required value: must not be empty',
      'metadata.managedFields[2].operation: Unsupported value: "Patch": supported values: "Apply", "Update"',
      'metadata.managedFields[2].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
      // positions are byte offsets
      'metadata.managedFields[2].manager: Invalid value: "a\\abé\\x01": invalid character U+0007 (at position 1)',
      'metadata.managedFields[2].manager: Invalid value: "a\\abé\\x01": invalid character U+0001 (at position 5)',
      'metadata.managedFields[2].subresource: Too long: may not be more than 256 bytes',
      'metadata.managedFields[3].manager: Too long: may not be more than 128 bytes',
    ]);
  });
});

describe('validateObjectMetaUpdate', () => {
  const base = { name: 'test', namespace: 'ns', uid: 'u1', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' };
  const deleting = { ...base, deletionTimestamp: '1970-01-01T00:16:40Z' };

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['unchanged', base, base, []],
    ['resourceVersion is required', { ...base, resourceVersion: '' }, base, ['metadata.resourceVersion: Invalid value: "": must be specified for an update']],
    ['identity is immutable', { ...base, name: 'other', namespace: 'ns2', uid: 'u2' }, base, [
      'metadata.name: Invalid value: "other": field is immutable',
      'metadata.namespace: Invalid value: "ns2": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]],
    ['dropping creationTimestamp', { ...base, creationTimestamp: undefined }, base, ['metadata.creationTimestamp: Invalid value: null: field is immutable']],
    ['same instant in another zone', { ...base, creationTimestamp: '2024-01-01T01:00:00+01:00' }, base, []],
    ['changed creationTimestamp', { ...base, creationTimestamp: '2024-01-02T00:00:00Z' }, base, [
      'metadata.creationTimestamp: Invalid value: "2024-01-02T00:00:00Z": field is immutable',
    ]],
    ['shown in UTC', { ...base, creationTimestamp: '2024-01-02T03:00:00+02:00' }, base, [
      'metadata.creationTimestamp: Invalid value: "2024-01-02T01:00:00Z": field is immutable',
    ]],
    ['generation may grow', { ...base, generation: 6 }, { ...base, generation: 5 }, []],
    ['generation may not shrink', { ...base, generation: 4 }, { ...base, generation: 5 }, ['metadata.generation: Invalid value: 4: must not be decremented']],
    ['negative generation', { ...base, generation: -1 }, { ...base, generation: 5 }, [
      'metadata.generation: Invalid value: -1: must be greater than or equal to 0',
      'metadata.generation: Invalid value: -1: must not be decremented',
    ]],
    ['setting deletionTimestamp', deleting, base, ['metadata.deletionTimestamp: Invalid value: "1970-01-01T00:16:40Z": field is immutable']],
    ['clearing deletionTimestamp', base, deleting, ['metadata.deletionTimestamp: Invalid value: null: field is immutable']],
    ['changing deletionTimestamp', { ...base, deletionTimestamp: '1970-01-01T00:33:20Z' }, deleting, [
      'metadata.deletionTimestamp: Invalid value: "1970-01-01T00:33:20Z": field is immutable',
    ]],
    ['setting deletionGracePeriodSeconds', { ...base, deletionGracePeriodSeconds: 30 }, base, [
      'metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable',
    ]],
    ['clearing deletionGracePeriodSeconds', base, { ...base, deletionGracePeriodSeconds: 30 }, [
      'metadata.deletionGracePeriodSeconds: Invalid value: null: field is immutable',
    ]],
    ['changing deletionGracePeriodSeconds', { ...base, deletionGracePeriodSeconds: 40 }, { ...base, deletionGracePeriodSeconds: 30 }, [
      'metadata.deletionGracePeriodSeconds: Invalid value: 40: field is immutable',
    ]],
    ['no new finalizers while deleting', { ...deleting, finalizers: ['x/a', 'z/c', 'y/b', 'y/b'] }, { ...deleting, finalizers: ['x/a'] }, [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"y/b", "z/c"}',
    ]],
    ['removing finalizers while deleting', { ...deleting, finalizers: [] }, { ...deleting, finalizers: ['x/a'] }, []],
    ['adding finalizers when not deleting', { ...base, finalizers: ['x/a', 'y/b'] }, { ...base, finalizers: ['x/a'] }, []],
    ['new labels, annotations and owners are checked', {
      ...base,
      labels: { 'a b': 'c' },
      annotations: { '/x': 'y' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'n' }],
      finalizers: ['a b'], // finalizer names are not re-checked on update
    }, base, [
      `metadata.labels: Invalid value: "a b": ${NAME_PART_MSG}`,
      'metadata.annotations: Invalid value: "/x": prefix part must be non-empty',
      'metadata.ownerReferences[0].uid: Required value: must not be empty',
    ]],
    ['managedFields are checked', { ...base, managedFields: [{ operation: 'X' }] }, base, [
      'metadata.managedFields[0].operation: Unsupported value: "X": supported values: "Apply", "Update"',
    ]],
  ])('%s', (_name, newMeta, oldMeta, expected) => {
    expect(validateObjectMetaUpdate(newMeta, oldMeta).map(fieldErrorMessage)).toEqual(expected);
  });

  it('aggregates like an apiserver Invalid status message', () => {
    const errs = validateObjectMetaUpdate({ ...base, name: 'x', resourceVersion: '' }, base);
    expect(aggregateMessage(errs)).toBe(
      '[metadata.resourceVersion: Invalid value: "": must be specified for an update, metadata.name: Invalid value: "x": field is immutable]',
    );
  });
});
