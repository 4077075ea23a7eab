import http from 'node:http';
import { apiFixture, configMap, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import type { WatchEvent } from '../support/http.js';
import { kubectlPath, runKubectl, spawnKubectl } from '../support/kubectl.js';

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const NS = 'printing';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const DEPLOY = `/apis/apps/v1/namespaces/${NS}/deployments`;

let f: ApiFixture;
let kubectlBinary: string;

/** kubectl 1.33's stdout; a non-zero exit is an error that carries its output. */
async function kubectl(...args: string[]): Promise<string> {
  const r = await runKubectl(kubectlBinary, args, { server: f.base, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function post(path: string, body: unknown): Promise<any> {
  const r = await request(f.base, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.json;
}

async function putStatus(path: string, obj: any, status: unknown): Promise<any> {
  const r = await request(f.base, 'PUT', `${path}/${obj.metadata.name}/status`, { ...obj, status });
  if (r.status !== 200) throw new Error(`PUT status ${path}: ${r.status} ${r.text}`);
  return r.json;
}

function tableWatch(path: string): Promise<{ events: WatchEvent[]; waitFor(n: number): Promise<WatchEvent[]>; close(): void; status: number; contentType?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, f.base), { headers: { Accept: TABLE_ACCEPT } }, (res) => {
      const events: WatchEvent[] = [];
      let buffer = '';
      let waiters: { n: number; done(): void }[] = [];
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
        waiters = waiters.filter((w) => (events.length >= w.n ? (w.done(), false) : true));
      });
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers['content-type'],
        events,
        waitFor: (n) =>
          events.length >= n
            ? Promise.resolve(events)
            : new Promise((ok, fail) => {
                const t = setTimeout(() => fail(new Error(`only ${events.length} of ${n} events`)), 10_000);
                waiters.push({ n, done: () => (clearTimeout(t), ok(events)) });
              }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
  await post(CM, configMap('plain', { a: '1', b: '2' }, { app: 'demo', tier: 'x' }));
  const pod = await post(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } });
  await putStatus(PODS, pod, {
    phase: 'Running',
    podIP: '10.244.0.5',
    podIPs: [{ ip: '10.244.0.5' }],
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'web',
        image: 'nginx:1.27',
        imageID: '',
        ready: true,
        restartCount: 2,
        state: { running: { startedAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z') } },
        lastState: { terminated: { exitCode: 1, finishedAt: new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z') } },
      },
    ],
  });
  const deploy = await post(DEPLOY, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  });
  await putStatus(DEPLOY, deploy, { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 });
}, 120_000);

afterAll(async () => {
  await f.close();
});

describe('Table over HTTP', () => {
  test('a list with the kubectl Accept header is a Table with metadata rows', async () => {
    const r = await request(f.base, 'GET', `${PODS}?limit=500`, undefined, { Accept: TABLE_ACCEPT });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json.kind).toBe('Table');
    expect(r.json.apiVersion).toBe('meta.k8s.io/v1');
    expect(r.json.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(r.json.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(r.json.rows).toHaveLength(1);
    const row = r.json.rows[0];
    expect(row.cells.slice(0, 4)).toEqual(['web', '1/1', 'Running', '2 (20m ago)']);
    expect(row.cells.slice(5)).toEqual(['10.244.0.5', '<none>', '<none>', '<none>']);
    expect(row.object.kind).toBe('PartialObjectMetadata');
    expect(row.object.apiVersion).toBe('meta.k8s.io/v1');
    expect(row.object.metadata.namespace).toBe(NS);
    expect(row.object.spec).toBeUndefined();
  });

  test('includeObject=Object and None; v1beta1 only; a plain request is unchanged', async () => {
    const full = await request(f.base, 'GET', `${CM}?includeObject=Object`, undefined, { Accept: TABLE_ACCEPT });
    expect(full.json.rows[0].object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', data: { a: '1', b: '2' } });
    expect(full.json.rows[0].cells.slice(0, 2)).toEqual(['plain', 2]);
    const none = await request(f.base, 'GET', `${CM}?includeObject=None`, undefined, { Accept: TABLE_ACCEPT });
    expect(none.json.rows[0].object).toBeNull();
    const bad = await request(f.base, 'GET', `${CM}?includeObject=Everything`, undefined, { Accept: TABLE_ACCEPT });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('unrecognized includeObject value: "Everything"');
    const beta = await request(f.base, 'GET', CM, undefined, { Accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' });
    expect(beta.json.apiVersion).toBe('meta.k8s.io/v1beta1');
    const plain = await request(f.base, 'GET', CM);
    expect(plain.json.kind).toBe('ConfigMapList');
    const unknown = await request(f.base, 'GET', CM, undefined, { Accept: 'application/json;as=Table;v=v9;g=meta.k8s.io' });
    expect(unknown.status).toBe(406);
    expect(unknown.json.reason).toBe('NotAcceptable');
  });

  test('a single object is a Table of one row; PartialObjectMetadata(List) forms', async () => {
    const one = await request(f.base, 'GET', `${DEPLOY}/web`, undefined, { Accept: TABLE_ACCEPT });
    expect(one.json.kind).toBe('Table');
    expect(one.json.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(one.json.rows[0].cells.slice(0, 4)).toEqual(['web', '2/3', 3, 2]);
    expect(one.json.rows[0].cells.slice(5)).toEqual(['web', 'nginx:1.27', 'app=web']);
    const meta = await request(f.base, 'GET', CM, undefined, { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json' });
    expect(meta.json.kind).toBe('PartialObjectMetadataList');
    expect(meta.json.items[0]).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'plain' }) });
  });

  test('kinds without a printer get Name and Created At', async () => {
    const r = await request(f.base, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', undefined, { Accept: TABLE_ACCEPT });
    expect(r.json.columnDefinitions.map((c: any) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
  });

  test('a Table watch: one row per event, column definitions on the first event only', async () => {
    const list = await request(f.base, 'GET', CM, undefined, { Accept: TABLE_ACCEPT });
    const w = await tableWatch(`${CM}?watch=true&resourceVersion=0`);
    expect(w.status).toBe(200);
    await w.waitFor(1);
    expect(w.events[0].type).toBe('ADDED');
    expect(w.events[0].object.kind).toBe('Table');
    expect(w.events[0].object.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(w.events[0].object.rows).toHaveLength(1);
    expect(w.events[0].object.rows[0].cells[0]).toBe('plain');
    const made = await post(CM, configMap('watched', { k: 'v' }));
    await w.waitFor(2);
    expect(w.events[1].type).toBe('ADDED');
    expect(w.events[1].object.columnDefinitions).toBeNull();
    expect(w.events[1].object.metadata.resourceVersion).toBe(made.metadata.resourceVersion);
    expect(w.events[1].object.rows[0].cells.slice(0, 2)).toEqual(['watched', 1]);
    expect(w.events[1].object.rows[0].object.kind).toBe('PartialObjectMetadata');
    await request(f.base, 'DELETE', `${CM}/watched`);
    await w.waitFor(3);
    expect(w.events[2].type).toBe('DELETED');
    expect(w.events[2].object.rows[0].cells[0]).toBe('watched');
    w.close();
    // A watch from the list's resourceVersion starts with the next change, headers on it.
    const w2 = await tableWatch(`${CM}?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
    await w2.waitFor(2);
    expect(w2.events[0].object.columnDefinitions).not.toBeNull();
    w2.close();
  });

  test('BOOKMARK events pass unchanged', async () => {
    const w = await tableWatch(`${CM}?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`);
    const events = await w.waitFor(2);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object.kind).toBe('ConfigMap');
    expect(bookmark?.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    w.close();
  });
});

describe('kubectl 1.33 prints the server columns', () => {
  beforeAll(async () => {
    kubectlBinary = await kubectlPath('1.33');
  });

  test('get pods,deploy -o wide', async () => {
    const out = await kubectl('get', 'pods,deploy', '-n', NS, '-o', 'wide');
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    expect(lines[1]).toMatch(/^pod\/web\s+1\/1\s+Running\s+2 \(20m ago\)\s+\S+\s+10\.244\.0\.5\s+<none>\s+<none>\s+<none>$/);
    const deployHeader = lines.findIndex((l) => l.startsWith('NAME') && l.includes('UP-TO-DATE'));
    expect(lines[deployHeader]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(lines[deployHeader + 1]).toMatch(/^deployment\.apps\/web\s+2\/3\s+3\s+2\s+\S+\s+web\s+nginx:1\.27\s+app=web$/);
  });

  test('get all -A', async () => {
    const out = await kubectl('get', 'all', '-A');
    expect(out).toMatch(/NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(out).toMatch(new RegExp(`${NS}\\s+pod/web\\s+1/1\\s+Running\\s+2 \\(20m ago\\)`));
    expect(out).toMatch(new RegExp(`${NS}\\s+deployment\\.apps/web\\s+2/3\\s+3\\s+2`));
  });

  test('get cm --show-labels, and a single object', async () => {
    const out = await kubectl('get', 'cm', '-n', NS, '--show-labels');
    expect(out).toMatch(/^NAME\s+DATA\s+AGE\s+LABELS\n/);
    expect(out).toMatch(/plain\s+2\s+\S+\s+app=demo,tier=x/);
    const one = await kubectl('get', 'deploy', 'web', '-n', NS);
    expect(one).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/3\s+3\s+2\s+/);
  });

  test('get cm -w prints later rows with the first event\'s columns', async () => {
    const child = spawnKubectl(kubectlBinary, ['get', 'cm', '-n', NS, '-w'], { server: f.base });
    let out = '';
    const seen = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`kubectl -w printed: ${out}`)), 15_000);
        const check = () => {
          if (re.test(out)) {
            clearTimeout(t);
            resolve();
          }
        };
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          check();
        });
        check();
      });
    try {
      await seen(/plain\s+2\s+\S+\n/);
      await post(CM, configMap('late', { x: '1', y: '2', z: '3' }));
      await seen(/late\s+3\s+\d+s\n/);
      expect(out).toMatch(/^NAME\s+DATA\s+AGE\n/);
    } finally {
      child.kill();
    }
  });
});
