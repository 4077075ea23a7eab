/**
 * Server-side apply machinery: fieldsV1 encoding, the typed view (field sets, comparison, merge), the
 * ownership rules of updates and applies, and managedFields entries. Expected values follow what
 * kube-apiserver 1.33 (structured-merge-diff v4/v6) produces for the same inputs.
 */
import {
  applyConfig,
  applyPatch,
  compare,
  ConflictsError,
  decodeManagedFields,
  encodeManagedFields,
  FieldSet,
  fieldPE,
  keyPE,
  kindType,
  managerFromUserAgent,
  managerIdentifier,
  merge,
  pathString,
  printManager,
  recordUpdate,
  toFieldSet,
  updateOwnership,
} from '../../src/machinery/apply/index.js';
import type { FieldManagerScope, ManagedFields, Path, StructType } from '../../src/machinery/apply/index.js';
import { StatusError } from '../../src/machinery/status.js';

const DEPLOYMENT = kindType('apps', 'v1', 'Deployment')!;
const CONFIGMAP = kindType('', 'v1', 'ConfigMap')!;
const POD = kindType('', 'v1', 'Pod')!;

const f = fieldPE;
const k = (fields: Record<string, unknown>) => keyPE(Object.entries(fields));

function deployment(replicas: number | undefined, containers: { name: string; image: string }[]) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    },
  };
}

describe('fieldsV1', () => {
  const roundTrips: [string, string][] = [
    ['leaves', '{"f:data":{"f:a":{},"f:b":{}}}'],
    ['"." marks a member with children', '{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}'],
    ['list-map keys, sorted by name', '{"f:spec":{"f:ports":{"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:port":{},"f:protocol":{}}}}}'],
    ['set values', '{"f:metadata":{"f:finalizers":{".":{},"v:\\"a\\"":{},"v:\\"b\\"":{}}}}'],
    ['indexes', '{"f:x":{"i:0":{},"i:1":{}}}'],
    ['field < key < value < index at one level', '{"f:a":{},"k:{\\"n\\":1}":{},"v:2":{},"i:3":{}}'],
  ];
  test.each(roundTrips)('round trip: %s', (_name, text) => {
    const set = FieldSet.fromFieldsV1(JSON.parse(text));
    expect(JSON.stringify(set.toFieldsV1())).toBe(text);
  });

  test('entries come out in upstream order whatever the insertion order', () => {
    const set = FieldSet.of(
      [f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'web' }), f('image')],
      [f('metadata'), f('labels'), f('b')],
      [f('spec'), f('replicas')],
      [f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'web' })],
      [f('metadata'), f('labels'), f('a')],
      [f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'api' })],
    );
    expect(JSON.stringify(set.toFieldsV1())).toBe(
      '{"f:metadata":{"f:labels":{"f:a":{},"f:b":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"api\\"}":{},"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{}}}}}}}',
    );
  });

  test('keys use Go JSON: HTML characters escaped', () => {
    const set = FieldSet.of([f('l'), { kind: 'value', value: '<a&b>' }]);
    expect(Object.keys(set.toFieldsV1()['f:l'] as object)).toEqual(['v:"\\u003ca\\u0026b\\u003e"']);
  });

  test('a key that is not a path element fails to decode', () => {
    expect(() => FieldSet.fromFieldsV1({ 'x': {} })).toThrow('key must be 2 characters long');
    expect(() => FieldSet.fromFieldsV1({ 'f-a': {} })).toThrow('missing colon');
  });

  test('path text as conflicts print it', () => {
    const p: Path = [f('spec'), f('ports'), k({ protocol: 'TCP', port: 80 }), f('name'), { kind: 'value', value: 'x' }, { kind: 'index', index: 2 }];
    expect(pathString(p)).toBe('.spec.ports[port=80,protocol="TCP"].name[="x"][2]');
  });
});

describe('set algebra', () => {
  const a = FieldSet.of([f('a')], [f('b'), f('c')], [f('b'), f('d')]);
  const b = FieldSet.of([f('b'), f('c')], [f('e')]);
  test('union, difference, intersection', () => {
    expect(a.union(b).paths().map(pathString)).toEqual(['.a', '.e', '.b.c', '.b.d']);
    expect(a.difference(b).paths().map(pathString)).toEqual(['.a', '.b.d']);
    expect(a.intersection(b).paths().map(pathString)).toEqual(['.b.c']);
  });
  test('difference is by member: a parent member keeps its children', () => {
    const s = FieldSet.of([f('m')], [f('m'), f('x')]);
    expect(s.difference(FieldSet.of([f('m')])).paths().map(pathString)).toEqual(['.m.x']);
    expect(s.recursiveDifference(FieldSet.of([f('m')])).isEmpty()).toBe(true);
  });
});

describe('typed field sets (ToFieldSet)', () => {
  test('an applied deployment: leaves, list-map items with ".", atomic selector', () => {
    const set = toFieldSet(deployment(2, [{ name: 'web', image: 'nginx' }]), DEPLOYMENT);
    expect(set.toFieldsV1()).toEqual({
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {} },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  test('ports key on containerPort and protocol, protocol defaulting to TCP', () => {
    const pod = { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } };
    expect(JSON.stringify(toFieldSet(pod, POD).toFieldsV1())).toBe(
      '{"f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}',
    );
  });

  test('an empty map or null is owned as a whole; finalizers are a set', () => {
    const set = toFieldSet({ metadata: { annotations: {}, finalizers: ['a'] }, data: null }, CONFIGMAP);
    expect(set.toFieldsV1()).toEqual({ 'f:data': {}, 'f:metadata': { 'f:annotations': {}, 'f:finalizers': { 'v:"a"': {} } } });
  });
});

describe('compare', () => {
  const cases: [string, StructType, unknown, unknown, { added: string[]; modified: string[]; removed: string[] }][] = [
    ['a changed value', CONFIGMAP, { data: { a: '1' } }, { data: { a: '2' } }, { added: [], modified: ['.data.a'], removed: [] }],
    ['a new map is added with its entries', CONFIGMAP, {}, { data: { a: '1' } }, { added: ['.data', '.data.a'], modified: [], removed: [] }],
    ['a removed key', CONFIGMAP, { data: { a: '1', b: '2' } }, { data: { a: '1' } }, { added: [], modified: [], removed: ['.data.b'] }],
    ['an atomic selector changes as a whole', DEPLOYMENT, { spec: { selector: { matchLabels: { a: '1' } } } }, { spec: { selector: { matchLabels: { a: '2' } } } }, { added: [], modified: ['.spec.selector'], removed: [] }],
    ['a list-map item', DEPLOYMENT,
      deployment(1, [{ name: 'a', image: 'x' }]), deployment(1, [{ name: 'a', image: 'y' }, { name: 'b', image: 'z' }]),
      { added: ['.spec.template.spec.containers[name="b"]', '.spec.template.spec.containers[name="b"].image', '.spec.template.spec.containers[name="b"].name'], modified: ['.spec.template.spec.containers[name="a"].image'], removed: [] }],
  ];
  test.each(cases)('%s', (_name, type, l, r, want) => {
    const c = compare(l, r, type);
    expect(c.added.paths().map(pathString)).toEqual(want.added);
    expect(c.modified.paths().map(pathString)).toEqual(want.modified);
    expect(c.removed.paths().map(pathString)).toEqual(want.removed);
  });
});

describe('merge', () => {
  test('granular maps merge, the configuration wins, atomic values are replaced', () => {
    const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { selector: { matchLabels: { x: '1', y: '2' } }, replicas: 1 } };
    const cfg = { metadata: { labels: { b: '3' } }, spec: { selector: { matchLabels: { z: '1' } } } };
    expect(merge(live, cfg, DEPLOYMENT)).toEqual({ metadata: { labels: { a: '1', b: '3' } }, spec: { selector: { matchLabels: { z: '1' } }, replicas: 1 } });
  });

  test('list-map items merge by key; live-only items keep their place; the configuration orders the rest', () => {
    const live = deployment(1, [{ name: 'a', image: '1' }, { name: 'live', image: 'l' }, { name: 'b', image: '1' }]);
    const cfg = { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }, { name: 'a', image: '2' }, { name: 'new', image: 'n' }] } } } };
    const out = merge(live, cfg, DEPLOYMENT) as ReturnType<typeof deployment>;
    expect(out.spec.template.spec.containers).toEqual([{ name: 'live', image: 'l' }, { name: 'b', image: '2' }, { name: 'a', image: '2' }, { name: 'new', image: 'n' }]);
  });

  test('a configuration naming one key twice is an error', () => {
    const cfg = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } } };
    expect(() => merge(deployment(1, [{ name: 'a', image: '1' }]), cfg, DEPLOYMENT)).toThrow('duplicate entries for key [name="a"]');
  });
});

describe('ownership', () => {
  const id = (manager: string, operation = 'Apply', apiVersion = 'v1') => managerIdentifier({ manager, operation, apiVersion });
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const ownerOf = (m: ManagedFields, path: string) => [...m].filter(([, vs]) => vs.set.paths().map(pathString).includes(path)).map(([i]) => JSON.parse(i).manager);

  test('an update takes the fields it changes from other managers', () => {
    const applied = applyConfig({}, cm({ a: '1', b: '2' }), CONFIGMAP, 'v1', new Map(), id('tool'), false);
    const m = updateOwnership(applied.object, cm({ a: 'x', b: '2' }), CONFIGMAP, 'v1', applied.managers, id('editor', 'Update'));
    expect(ownerOf(m, '.data.a')).toEqual(['editor']);
    expect(ownerOf(m, '.data.b')).toEqual(['tool']);
  });

  test('applying another value of a field owned by someone else conflicts; force takes it', () => {
    const first = applyConfig({}, cm({ a: '1' }), CONFIGMAP, 'v1', new Map(), id('one'), false);
    let err: unknown;
    try {
      applyConfig(first.object!, cm({ a: '2' }), CONFIGMAP, 'v1', first.managers, id('two'), false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictsError);
    expect((err as ConflictsError).conflicts.map((c) => [JSON.parse(c.manager).manager, pathString(c.path)])).toEqual([['one', '.data.a']]);
    const forced = applyConfig(first.object!, cm({ a: '2' }), CONFIGMAP, 'v1', first.managers, id('two'), true);
    expect(ownerOf(forced.managers, '.data.a')).toEqual(['two']);
  });

  test('applying the same value shares the field; the last one to stop applying it removes it', () => {
    const one = applyConfig({}, cm({ a: '1', b: '1' }), CONFIGMAP, 'v1', new Map(), id('one'), false);
    const two = applyConfig(one.object!, cm({ a: '1' }), CONFIGMAP, 'v1', one.managers, id('two'), false);
    expect(two.object).toBeUndefined(); // nothing changed
    expect(ownerOf(two.managers, '.data.a').sort()).toEqual(['one', 'two']);
    const oneStops = applyConfig(one.object!, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, CONFIGMAP, 'v1', two.managers, id('one'), false);
    expect(oneStops.object!.data).toEqual({ a: '1' });
    const twoStops = applyConfig(oneStops.object!, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, CONFIGMAP, 'v1', oneStops.managers, id('two'), false);
    expect(twoStops.object!.data).toBeUndefined();
  });

  test('a field someone else set by update survives the applier dropping it', () => {
    const applied = applyConfig({}, cm({ a: '1' }), CONFIGMAP, 'v1', new Map(), id('tool'), false);
    const m = updateOwnership(applied.object, cm({ a: '1', extra: 'e' }), CONFIGMAP, 'v1', applied.managers, id('editor', 'Update'));
    const again = applyConfig(cm({ a: '1', extra: 'e' }), cm({ b: '2' }), CONFIGMAP, 'v1', m, id('tool'), false);
    expect(again.object!.data).toEqual({ extra: 'e', b: '2' });
  });
});

describe('managedFields entries', () => {
  const scope = (type: StructType, group: string, kind: string, subresource = ''): FieldManagerScope => ({
    type, group, version: 'v1', kind, subresource, now: '2026-01-02T03:04:05Z',
  });

  test('a create records what the client set, with "." for maps and items the zero object lacks', () => {
    const obj: Record<string, unknown> = deployment(2, [{ name: 'web', image: 'nginx' }]);
    recordUpdate(undefined, obj, 'kubectl-create', scope(DEPLOYMENT, 'apps', 'Deployment'));
    expect((obj.metadata as Record<string, unknown>).managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  test('an update that changes nothing keeps the entries and their times', () => {
    const live: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    recordUpdate(undefined, live, 'maker', scope(CONFIGMAP, '', 'ConfigMap'));
    const next = structuredClone(live);
    recordUpdate(live, next, 'other', { ...scope(CONFIGMAP, '', 'ConfigMap'), now: '2030-01-01T00:00:00Z' });
    expect(next).toEqual(live);
  });

  test('more than ten update entries: the oldest merge into "ancient-changes"', () => {
    let live: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    for (let i = 0; i < 12; i++) {
      const next = structuredClone(live);
      next.data = { ...(live.data as object), [`k${i}`]: 'v' };
      recordUpdate(live, next, `m${String(i).padStart(2, '0')}`, { ...scope(CONFIGMAP, '', 'ConfigMap'), now: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` });
      live = next;
    }
    const managed = (live.metadata as { managedFields: { manager: string; time: string; fieldsV1: unknown }[] }).managedFields;
    expect(managed.map((e) => e.manager)).toEqual(['ancient-changes', 'm03', 'm04', 'm05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11']);
    expect(managed[0].time).toBe('2026-01-01T00:00:02Z');
    expect(managed[0].fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } });
  });

  test('entries sort Apply first, then by time, manager, version and subresource', () => {
    const fieldsV1 = { 'f:data': {} };
    const managed = decodeManagedFields([
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:02Z', fieldsType: 'FieldsV1', fieldsV1 },
      { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:02Z', fieldsType: 'FieldsV1', fieldsV1 },
      { manager: 'z', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1 },
      { manager: 'y', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:09Z', fieldsType: 'FieldsV1', fieldsV1, subresource: 'status' },
    ]);
    expect(encodeManagedFields(managed)!.map((e) => e.manager)).toEqual(['y', 'z', 'a', 'b']);
  });

  test.each([
    [{ operation: 'Patch', apiVersion: 'v1', fieldsType: 'FieldsV1' }, 'operation must be `Apply` or `Update`'],
    [{ operation: 'Apply', fieldsType: 'FieldsV1' }, 'apiVersion must not be empty'],
    [{ operation: 'Apply', apiVersion: 'v1' }, 'missing fieldsType in managed fields entry 0'],
    [{ operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV2' }, 'invalid fieldsType "FieldsV2" in managed fields entry 0'],
  ])('decoding %j fails: %s', (entry, message) => {
    expect(() => decodeManagedFields([entry])).toThrow(message);
  });

  test('conflict messages name updaters with their version and subresource', () => {
    expect(printManager(managerIdentifier({ manager: 'm', operation: 'Update', apiVersion: 'apps/v1' }))).toBe('"m" using apps/v1');
    expect(printManager(managerIdentifier({ manager: 'm', operation: 'Apply', apiVersion: 'apps/v1', subresource: 'status' }))).toBe('"m" with subresource "status"');
  });

  test('an apply conflict is the 409 upstream answers', () => {
    const sc = scope(DEPLOYMENT, 'apps', 'Deployment');
    const one = applyPatch({}, deployment(1, [{ name: 'web', image: 'a' }]), 'one', false, sc);
    const twoApplied = applyPatch(one, deployment(1, [{ name: 'web', image: 'a' }, { name: 'side', image: 's' }]), 'two', false, sc);
    let err: unknown;
    try {
      applyPatch(twoApplied, deployment(5, [{ name: 'web', image: 'b' }, { name: 'side', image: 't' }]), 'three', false, sc);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    const status = (err as StatusError).status;
    expect(status.code).toBe(409);
    expect(status.message).toBe(
      'Apply failed with 5 conflicts: conflicts with "one":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image\nconflicts with "two":\n- .spec.replicas\n- .spec.template.spec.containers[name="side"].image\n- .spec.template.spec.containers[name="web"].image',
    );
  });
});

test.each([
  ['kubectl/v1.33.0 (linux/amd64) kubernetes/abc', 'kubectl'],
  ['kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller', 'kube-controller-manager'],
  ['Go-http-client/1.1', 'Go-http-client'],
  ['tab\there/1', 'tabhere'],
  ['', ''],
])('the manager of User-Agent %j is %j', (ua, manager) => {
  expect(managerFromUserAgent(ua)).toBe(manager);
});

test('nulls of an apply configuration leave struct fields unset, as decoding into the Go type does', () => {
  const sc: FieldManagerScope = { type: DEPLOYMENT, group: 'apps', version: 'v1', kind: 'Deployment', subresource: '', now: '2026-01-01T00:00:00Z' };
  const cfg = { ...deployment(1, [{ name: 'web', image: 'a' }]), status: {} } as Record<string, unknown>;
  (cfg.metadata as Record<string, unknown>).creationTimestamp = null;
  (cfg.spec as Record<string, unknown>).strategy = {};
  const out = applyPatch({}, cfg, 'tool', false, sc);
  expect((out.metadata as Record<string, unknown>).creationTimestamp).toBeUndefined();
  expect((out.spec as Record<string, unknown>).strategy).toEqual({});
});

/**
 * Operation sequences after structured-merge-diff's merge tests (leaf_test, multiple_appliers_test): each
 * step applies or updates, and the end state (object, owners, conflicts) is upstream's.
 */
describe('apply and update sequences', () => {
  type Op = { op: 'apply' | 'force' | 'update'; manager: string; data: Record<string, string>; conflicts?: string[] };
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const cases: [string, Op[], Record<string, string> | undefined, Record<string, string[]>][] = [
    ['apply, update, apply: no conflict on a field only the updater added',
      [{ op: 'apply', manager: 'default', data: { numeric: '1', string: 's' } },
        { op: 'update', manager: 'controller', data: { numeric: '1', string: 's', bool: 't' } },
        { op: 'apply', manager: 'default', data: { numeric: '2', string: 's' } }],
      { numeric: '2', string: 's', bool: 't' },
      { default: ['.data.numeric', '.data.string'], controller: ['.data.bool'] }],
    ['apply, update, apply: conflict on a field the updater changed, then force',
      [{ op: 'apply', manager: 'default', data: { numeric: '1', string: 's' } },
        { op: 'update', manager: 'controller', data: { numeric: '1', string: 'controller', bool: 't' } },
        { op: 'apply', manager: 'default', data: { numeric: '2', string: 'user' }, conflicts: ['"controller" using v1: .data.string'] },
        { op: 'force', manager: 'default', data: { numeric: '2', string: 'user' } }],
      { numeric: '2', string: 'user', bool: 't' },
      { default: ['.data.numeric', '.data.string'], controller: ['.data.bool'] }],
    ['two appliers, one gives up a shared field: it stays with the other',
      [{ op: 'apply', manager: 'a', data: { x: '1', y: '1' } },
        { op: 'apply', manager: 'b', data: { y: '1' } },
        { op: 'apply', manager: 'a', data: { x: '1' } }],
      { x: '1', y: '1' },
      { a: ['.data.x'], b: ['.data.y'] }],
    ['an applier conflicts with another applier; a same-value apply does not',
      [{ op: 'apply', manager: 'a', data: { x: '1' } },
        { op: 'apply', manager: 'b', data: { x: '2' }, conflicts: ['"a": .data.x'] },
        { op: 'apply', manager: 'b', data: { x: '1' } }],
      { x: '1' },
      { a: ['.data.x'], b: ['.data.x'] }],
    ['an updater removing a field takes it from everyone',
      [{ op: 'apply', manager: 'a', data: { x: '1', y: '1' } },
        { op: 'update', manager: 'u', data: { x: '1' } }],
      { x: '1' },
      { a: ['.data.x'] }],
  ];
  test.each(cases)('%s', (_name, ops, wantData, wantOwners) => {
    const sc: FieldManagerScope = { type: CONFIGMAP, group: '', version: 'v1', kind: 'ConfigMap', subresource: '', now: '2026-01-01T00:00:00Z' };
    let live: Record<string, unknown> = {};
    for (const o of ops) {
      if (o.op === 'update') {
        const next = { ...cm(o.data), metadata: { name: 'c', managedFields: (live.metadata as Record<string, unknown>).managedFields } };
        recordUpdate(live, next, o.manager, sc);
        live = next;
        continue;
      }
      try {
        live = applyPatch(live, cm(o.data), o.manager, o.op === 'force', sc);
        expect(o.conflicts).toBeUndefined();
      } catch (err) {
        if (!o.conflicts) throw err;
        expect((err as StatusError).status.details?.causes?.map((c) => `${c.message!.replace(/^conflict with /, '')}: ${c.field}`)).toEqual(o.conflicts);
      }
    }
    expect(live.data).toEqual(wantData);
    const owners: Record<string, string[]> = {};
    for (const e of (live.metadata as { managedFields: { manager: string; fieldsV1: unknown }[] }).managedFields) {
      owners[e.manager] = FieldSet.fromFieldsV1(e.fieldsV1).paths().map(pathString);
    }
    expect(owners).toEqual(wantOwners);
  });
});
