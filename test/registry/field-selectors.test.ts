import pg from 'pg';
import { fieldSelectorsFor, selectableFields } from '../../src/registry/field-selectors.js';
import { compileSelectors } from '../../src/registry/selectors.js';
import { StatusError } from '../../src/machinery/status.js';
import fs from 'node:fs';
import path from 'node:path';
import { migrate, migrationsDir } from '../../src/storage/migrate.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import { createTestDatabase } from '../support/postgres.js';
import type { ApiFixture } from '../support/fixture.js';
import { request, watch } from '../support/http.js';

const POD = { group: '', version: 'v1', kind: 'Pod' };
const EVENT = { group: '', version: 'v1', kind: 'Event' };

function fieldsOf(kind: { group: string; version: string; kind: string }, obj: Record<string, unknown>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test objects
  return selectableFields(fieldSelectorsFor(kind), { metadata: { name: 'x', namespace: 'ns' }, ...obj } as any);
}

function rejection(kind: { group: string; version: string; kind: string }, selector: string): string {
  try {
    compileSelectors('', selector, fieldSelectorsFor(kind));
  } catch (err) {
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status.code).toBe(400);
    expect((err as StatusError).status.reason).toBe('BadRequest');
    return (err as StatusError).status.message!;
  }
  throw new Error(`${selector} was accepted`);
}

describe('selectable fields, rendered as upstream', () => {
  test('Pod: strings, hostNetwork as a bool, podIP from podIPs[0], missing as ""', () => {
    expect(fieldsOf(POD, {})).toEqual({
      'metadata.name': 'x',
      'metadata.namespace': 'ns',
      'spec.nodeName': '',
      'spec.restartPolicy': '',
      'spec.schedulerName': '',
      'spec.serviceAccountName': '',
      'spec.hostNetwork': 'false',
      'status.phase': '',
      'status.podIP': '',
      'status.nominatedNodeName': '',
    });
    const pod = {
      spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'sa', hostNetwork: true },
      status: { phase: 'Running', podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], nominatedNodeName: 'n2' },
    };
    expect(fieldsOf(POD, pod)).toMatchObject({
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'sa',
      'spec.hostNetwork': 'true',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.1',
      'status.nominatedNodeName': 'n2',
    });
    expect(fieldsOf(POD, { status: { podIP: '10.0.0.9' } })['status.podIP']).toBe('10.0.0.9');
  });

  test('Event (core and events.k8s.io): involvedObject, reason, reportingComponent, source falls back to reportingController', () => {
    const core = fieldsOf(EVENT, {
      involvedObject: { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'u1', apiVersion: 'v1', resourceVersion: '7', fieldPath: 'spec.containers{c}' },
      reason: 'Pulled',
      reportingComponent: 'kubelet',
      type: 'Normal',
    });
    expect(core).toMatchObject({
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'ns',
      'involvedObject.name': 'p',
      'involvedObject.uid': 'u1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '7',
      'involvedObject.fieldPath': 'spec.containers{c}',
      reason: 'Pulled',
      reportingComponent: 'kubelet',
      source: 'kubelet',
      type: 'Normal',
    });
    expect(fieldsOf(EVENT, { source: { component: 'scheduler' }, reportingComponent: 'x' }).source).toBe('scheduler');
    const v1 = fieldsOf({ group: 'events.k8s.io', version: 'v1', kind: 'Event' }, {
      regarding: { kind: 'Node', name: 'n1' },
      reportingController: 'ctrl',
      reason: 'R',
      type: 'Warning',
    });
    expect(v1).toMatchObject({ 'involvedObject.kind': 'Node', 'involvedObject.name': 'n1', reportingComponent: 'ctrl', source: 'ctrl', reason: 'R', type: 'Warning' });
  });

  test('numbers in decimal, booleans as true/false, the other kinds', () => {
    expect(fieldsOf({ group: '', version: 'v1', kind: 'Node' }, {})['spec.unschedulable']).toBe('false');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'Node' }, { spec: { unschedulable: true } })['spec.unschedulable']).toBe('true');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'ReplicationController' }, {})['status.replicas']).toBe('0');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'ReplicationController' }, { status: { replicas: 12 } })['status.replicas']).toBe('12');
    expect(fieldsOf({ group: 'batch', version: 'v1', kind: 'Job' }, { status: { succeeded: 3 } })['status.successful']).toBe('3');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'Secret' }, { type: 'Opaque' }).type).toBe('Opaque');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'Namespace' }, { status: { phase: 'Active' } })['status.phase']).toBe('Active');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'Service' }, { spec: { clusterIP: '10.96.0.1', type: 'ClusterIP' } })).toMatchObject({
      'spec.clusterIP': '10.96.0.1',
      'spec.type': 'ClusterIP',
    });
    expect(fieldsOf({ group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' }, { spec: { signerName: 'a/b' } })['spec.signerName']).toBe('a/b');
    expect(fieldsOf({ group: '', version: 'v1', kind: 'ConfigMap' }, { data: {} })).toEqual({ 'metadata.name': 'x', 'metadata.namespace': 'ns' });
  });
});

describe('field label conversion', () => {
  test('accepted labels, the spec.host alias, events.k8s.io names', () => {
    expect(compileSelectors('', 'spec.host=n1', fieldSelectorsFor(POD)).fields).toEqual([{ field: 'spec.nodeName', operator: '=', value: 'n1' }]);
    expect(compileSelectors('', 'status.podIPs=', fieldSelectorsFor(POD)).fields).toHaveLength(1);
    const ev = compileSelectors('', 'regarding.name=p,reportingController=k', fieldSelectorsFor({ group: 'events.k8s.io', version: 'v1', kind: 'Event' }));
    expect(ev.columns).toEqual([
      { field: 'involvedObject.name', op: '=', value: 'p' },
      { field: 'reportingComponent', op: '=', value: 'k' },
    ]);
  });

  test('unsupported labels: each conversion words its own error', () => {
    expect(rejection(POD, 'spec.foo=1')).toBe('field label not supported: spec.foo');
    expect(rejection(EVENT, 'regarding.name=p')).toBe('field label not supported: regarding.name');
    expect(rejection({ group: 'events.k8s.io', version: 'v1', kind: 'Event' }, 'involvedObject.name=p')).toBe('field label not supported: involvedObject.name');
    expect(rejection({ group: '', version: 'v1', kind: 'Node' }, 'metadata.namespace=x')).toBe('field label not supported: metadata.namespace');
    expect(rejection({ group: '', version: 'v1', kind: 'Namespace' }, 'metadata.namespace=x')).toBe('field label not supported: metadata.namespace');
    expect(rejection({ group: 'batch', version: 'v1', kind: 'Job' }, 'status.failed=1')).toBe('field label "status.failed" not supported for batchv1.Job');
    expect(rejection({ group: '', version: 'v1', kind: 'ConfigMap' }, 'data.x=1')).toBe('"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(rejection({ group: 'apps', version: 'v1', kind: 'ReplicaSet' }, 'status.replicas=1')).toBe(
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  test('watch matching uses the same fields, missing ones as ""', () => {
    const sel = compileSelectors('', 'spec.nodeName=n1,status.podIPs=', fieldSelectorsFor(POD));
    expect(sel.matches!({ metadata: { name: 'a' }, spec: { nodeName: 'n1' } })).toBe(true);
    expect(sel.matches!({ metadata: { name: 'a' }, spec: { nodeName: 'n2' } })).toBe(false);
    const unscheduled = compileSelectors('', 'spec.nodeName=', fieldSelectorsFor(POD));
    expect(unscheduled.matches!({ metadata: { name: 'a' }, spec: {} })).toBe(true);
  });
});

describe('against a running apiserver', () => {
  let f: ApiFixture;
  const PODS = '/api/v1/namespaces/fs/pods';
  const EVENTS = '/api/v1/namespaces/fs/events';
  const pod = (name: string, nodeName?: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
  });
  const event = (name: string, involved: string, reason: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name },
    involvedObject: { kind: 'Pod', namespace: 'fs', name: involved, apiVersion: 'v1' },
    reason,
    type: 'Normal',
    source: { component: 'kubelet' },
  });
  const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);

  beforeAll(async () => {
    f = await apiFixture();
    await createNamespace(f.base, 'fs');
    for (const [name, node] of [['p1', 'n1'], ['p2', 'n2'], ['p3', 'n1'], ['p4', undefined]] as const) {
      const r = await request(f.base, 'POST', PODS, pod(name, node));
      expect(r.status).toBe(201);
    }
    for (const [name, involved, reason] of [['e1', 'p1', 'Pulled'], ['e2', 'p2', 'Pulled'], ['e3', 'p1', 'Started']]) {
      expect((await request(f.base, 'POST', EVENTS, event(name, involved, reason))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await f.close();
  });

  test('lists pods by spec.nodeName (and spec.host), events by involvedObject', async () => {
    expect(names((await request(f.base, 'GET', `${PODS}?fieldSelector=spec.nodeName%3Dn1`)).json)).toEqual(['p1', 'p3']);
    expect(names((await request(f.base, 'GET', `/api/v1/pods?fieldSelector=spec.host%3Dn2`)).json)).toEqual(['p2']);
    expect(names((await request(f.base, 'GET', `${PODS}?fieldSelector=spec.nodeName%3D`)).json)).toEqual(['p4']);
    expect(names((await request(f.base, 'GET', `${PODS}?fieldSelector=spec.nodeName!%3Dn1`)).json)).toEqual(['p2', 'p4']);
    expect(names((await request(f.base, 'GET', `${PODS}?fieldSelector=spec.hostNetwork%3Dfalse,spec.nodeName%3Dn1&limit=1`)).json)).toEqual(['p1']);
    const sel = encodeURIComponent('involvedObject.name=p1,involvedObject.namespace=fs,involvedObject.kind=Pod');
    expect(names((await request(f.base, 'GET', `${EVENTS}?fieldSelector=${sel}`)).json)).toEqual(['e1', 'e3']);
    expect(names((await request(f.base, 'GET', `${EVENTS}?fieldSelector=reason%3DPulled,source%3Dkubelet`)).json)).toEqual(['e1', 'e2']);
    const bad = await request(f.base, 'GET', `${PODS}?fieldSelector=spec.foo%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('field label not supported: spec.foo');
  });

  test('the selection filters in PostgreSQL with the index on the stored fields', async () => {
    const pool = new pg.Pool({ connectionString: f.db.url });
    try {
      const rows = (await pool.query(`SELECT name, fields FROM objects WHERE resource = 'pods' AND fields @> '{"spec.nodeName":"n1"}' ORDER BY name`)).rows;
      expect(rows.map((r) => r.name)).toEqual(['p1', 'p3']);
      expect(rows[0].fields['spec.hostNetwork']).toBe('false');
      const client = await pool.connect();
      try {
        await client.query('SET enable_seqscan = off');
        const plan = (await client.query(`EXPLAIN SELECT name FROM objects WHERE fields @> '{"spec.nodeName":"n1"}'`)).rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan).toMatch(/objects_fields/);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });

  test('a list at an older revision selects on the fields objects had then', async () => {
    const before = (await request(f.base, 'GET', `${PODS}?fieldSelector=status.phase%3DRunning`)).json;
    expect(names(before)).toEqual([]);
    const p2 = (await request(f.base, 'GET', `${PODS}/p2`)).json;
    const updated = await request(f.base, 'PUT', `${PODS}/p2/status`, { ...p2, status: { phase: 'Running' } });
    expect(updated.status).toBe(200);
    expect(names((await request(f.base, 'GET', `${PODS}?fieldSelector=status.phase%3DRunning`)).json)).toEqual(['p2']);
    const old = (await request(f.base, 'GET', `${PODS}?fieldSelector=status.phase%3DRunning&resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`)).json;
    expect(names(old)).toEqual([]);
    const oldPending = (await request(f.base, 'GET', `${PODS}?fieldSelector=status.phase!%3DRunning&resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`)).json;
    expect(names(oldPending)).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  test('watch by spec.nodeName: a pod bound to the node is ADDED; leaving spec.nodeName= is DELETED', async () => {
    const start = (await request(f.base, 'GET', PODS)).json.metadata.resourceVersion;
    const onNode = await watch(f.base, `${PODS}?watch=1&resourceVersion=${start}&fieldSelector=spec.nodeName%3Dn3`);
    const unscheduled = await watch(f.base, `${PODS}?watch=1&resourceVersion=0&fieldSelector=spec.nodeName%3D`);
    await unscheduled.waitFor(1);
    expect(unscheduled.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'p4']]);
    expect((await request(f.base, 'POST', PODS, pod('p5'))).status).toBe(201);
    await unscheduled.waitFor(2);
    expect(unscheduled.events[1].type).toBe('ADDED');
    const bound = await request(f.base, 'POST', `${PODS}/p5/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p5' }, target: { kind: 'Node', name: 'n3' } });
    expect(bound.status).toBe(201);
    await unscheduled.waitFor(3);
    // Upstream's watch cache: the previous state, with the revision of the change that moved it out.
    expect(unscheduled.events[2].type).toBe('DELETED');
    expect(unscheduled.events[2].object.metadata.name).toBe('p5');
    expect(unscheduled.events[2].object.spec.nodeName).toBeUndefined();
    await onNode.waitFor(1);
    expect(onNode.events[0].type).toBe('ADDED');
    expect(onNode.events[0].object.metadata.name).toBe('p5');
    // Nothing about pods on other nodes reaches the node's watch.
    expect((await request(f.base, 'POST', PODS, pod('p6', 'n1'))).status).toBe(201);
    // A bound pod is deleted gracefully unless the grace period is 0 (what its kubelet sends at the end).
    expect((await request(f.base, 'DELETE', `${PODS}/p5?gracePeriodSeconds=0`)).status).toBe(200);
    for (let n = 2; !onNode.events.some((e) => e.type === 'DELETED'); n++) await onNode.waitFor(n);
    // ADDED by the binding, MODIFIED by its PodScheduled condition, then DELETED; never p6.
    expect(onNode.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(new Set(onNode.events.map((e) => e.object.metadata.name))).toEqual(new Set(['p5']));
    onNode.close();
    unscheduled.close();
  });

  test('watch events by involvedObject', async () => {
    const w = await watch(f.base, `${EVENTS}?watch=1&resourceVersion=0&fieldSelector=${encodeURIComponent('involvedObject.name=p2,involvedObject.kind=Pod')}`);
    await w.waitFor(1);
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['e2']);
    expect((await request(f.base, 'POST', EVENTS, event('e4', 'p1', 'Killing'))).status).toBe(201);
    expect((await request(f.base, 'POST', EVENTS, event('e5', 'p2', 'Killing'))).status).toBe(201);
    await w.waitFor(2);
    expect(w.events[1].object.metadata.name).toBe('e5');
    const bad = await watch(f.base, `${EVENTS}?watch=1&fieldSelector=regarding.name%3Dp2`);
    expect(bad.status).toBe(400);
    bad.close();
    w.close();
  });
});

test('migration 0003 computes the stored fields of existing objects as the write path does', async () => {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const dir = await migrationsDir();
    await pool.query('CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const v of ['0001_init', '0002_lock_and_read_custom_plan']) {
      await pool.query(fs.readFileSync(path.join(dir, `${v}.sql`), 'utf8'));
      await pool.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
    }
    const objects: [string, { group: string; version: string; kind: string }, Record<string, unknown>][] = [
      ['pods', POD, { spec: { nodeName: 'n1', hostNetwork: true, restartPolicy: 'Never' }, status: { phase: 'Running', podIPs: [{ ip: '10.1.1.1' }] } }],
      ['pods', POD, { spec: {}, status: { podIP: '10.2.2.2' } }],
      ['events', EVENT, { involvedObject: { kind: 'Pod', name: 'p' }, reportingComponent: 'kubelet', reason: 'Pulled' }],
      ['events.events.k8s.io', { group: 'events.k8s.io', version: 'v1', kind: 'Event' }, { regarding: { name: 'n' }, deprecatedSource: { component: 'x' }, reportingController: 'c' }],
      ['nodes', { group: '', version: 'v1', kind: 'Node' }, { spec: { unschedulable: true } }],
      ['replicationcontrollers', { group: '', version: 'v1', kind: 'ReplicationController' }, { status: { replicas: 4 } }],
      ['jobs.batch', { group: 'batch', version: 'v1', kind: 'Job' }, {}],
      ['secrets', { group: '', version: 'v1', kind: 'Secret' }, { type: 'kubernetes.io/tls' }],
      ['services', { group: '', version: 'v1', kind: 'Service' }, { spec: { type: 'NodePort' } }],
      ['namespaces', { group: '', version: 'v1', kind: 'Namespace' }, { status: { phase: 'Terminating' } }],
      ['certificatesigningrequests.certificates.k8s.io', { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' }, { spec: { signerName: 's/n' } }],
      ['configmaps', { group: '', version: 'v1', kind: 'ConfigMap' }, { data: { a: 'b' } }],
    ];
    for (const [i, [resource, , o]] of objects.entries()) {
      await pool.query('INSERT INTO objects (resource, namespace, name, rv, value) VALUES ($1, $2, $3, $4, $5)', [resource, 'ns', `o${i}`, i + 2, JSON.stringify({ metadata: { name: `o${i}`, namespace: 'ns' }, ...o })]);
    }
    expect(await migrate(pool)).toContain('0003_selectable_fields');
    for (const [i, [resource, kind, o]] of objects.entries()) {
      const row = (await pool.query('SELECT fields FROM objects WHERE resource = $1 AND name = $2', [resource, `o${i}`])).rows[0];
      const sel = fieldSelectorsFor(kind);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test objects
      expect([resource, row.fields]).toEqual([resource, sel.compute ? sel.compute({ metadata: {}, ...o } as any) : {}]);
    }
  } finally {
    await pool.end();
    await db.drop();
  }
});
