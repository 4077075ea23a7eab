/**
 * Every kubectl this machine has (1.27…1.33 and 1.35 through ../shared/tools/clients.sh) runs the everyday
 * command list against one in-process apiserver, each version in a namespace of its own, one after the other.
 * Each command is a test of its own so a gap shows as one version × command. The server has no controllers
 * and no garbage collector: a Deployment never gets pods, and foreground/orphan deletions leave the object
 * behind with a deletionTimestamp and the finalizer the server added.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { kubectlBinaries, runKubectl, spawnKubectl } from '../support/kubectl.js';
import type { KubectlBinary, KubectlResult } from '../support/kubectl.js';

const BINARIES: KubectlBinary[] = await kubectlBinaries();

let f: ApiFixture;

beforeAll(async () => {
  f = await apiFixture();
});

afterAll(async () => {
  await f?.close();
});

/** A failed expectation shows what kubectl printed. */
function ok(r: KubectlResult, args: string[]): string {
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
  return r.stdout;
}

const deploymentYaml = (name: string, image: string, extraLabel = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}${extraLabel}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${image}
`;

const multiDoc = `apiVersion: v1
kind: ConfigMap
metadata:
  name: multi-a
  labels: {tier: front}
data:
  key: value-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: multi-b
  labels: {tier: back}
data:
  key: value-b
---
${deploymentYaml('multi-web', 'nginx:1.25')}`;

describe.each(BINARIES.map((b) => [b.minor, b] as const))('kubectl %s', (minor, bin) => {
  const ns = `km-${minor.replace('.', '-')}`;
  let home: string;
  let dir: string;

  const run = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) =>
    runKubectl(bin.path, args, { server: f.base, home, timeoutMs: 30_000, ...opts });
  /** In the version's namespace; must exit 0; stdout. */
  const k = async (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const full = ['-n', ns, ...args];
    return ok(await run(full, opts), full);
  };
  const getJson = async (kindName: string[]) => JSON.parse(await k(['get', ...kindName, '-o', 'json']));
  /** kubectl 1.35 adds the namespace to what delete prints. */
  const deleted = (what: string) => (Number(minor.split('.')[1]) >= 35 ? `${what} deleted from ${ns} namespace` : `${what} deleted`);
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-km-home-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-km-'));
  });
  afterAll(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // ---- discovery and metadata ------------------------------------------------------------------------

  test('version prints client and server versions', async () => {
    const out = ok(await run(['version', '-o', 'json']), ['version']);
    const v = JSON.parse(out);
    expect(`${v.clientVersion.major}.${v.clientVersion.minor}`).toBe(minor);
    expect(v.serverVersion.major).toBe('1');
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.\d+/);
  });

  test('api-versions', async () => {
    const out = ok(await run(['api-versions']), ['api-versions']);
    const lines = out.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining(['v1', 'apps/v1', 'batch/v1', 'rbac.authorization.k8s.io/v1']));
  });

  test('api-resources', async () => {
    const out = ok(await run(['api-resources']), ['api-resources']);
    expect(out).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
    expect(out).toMatch(/\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\n/);
    expect(out).toMatch(/\nnamespaces\s+ns\s+v1\s+false\s+Namespace\n/);
  });

  test('explain deployment.spec.strategy', async () => {
    const out = ok(await run(['explain', 'deployment.spec.strategy']), ['explain']);
    expect(out).toMatch(/KIND:\s+Deployment/);
    expect(out).toMatch(/rollingUpdate/);
  });

  test('auth can-i', async () => {
    const r = await run(['-n', ns, 'auth', 'can-i', 'create', 'deployments']);
    expect(r.stdout.trim()).toBe('yes');
    expect(r.code).toBe(0);
  });

  // kubectl 1.27 asks only for authentication.k8s.io/v1alpha1 and v1beta1; the server serves v1 (GA in 1.28),
  // as a stock 1.33 kube-apiserver does, so 1.27 reports the API as missing (outside kubectl's version skew).
  if (minor === '1.27') {
    test('auth whoami: kubectl 1.27 finds no v1alpha1/v1beta1 selfsubjectreviews', async () => {
      const r = await run(['auth', 'whoami']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: the selfsubjectreviews API is not enabled in the cluster\n/);
    });
  } else {
    test('auth whoami', async () => {
      const out = ok(await run(['auth', 'whoami', '-o', 'json']), ['auth', 'whoami']);
      const review = JSON.parse(out);
      expect(review).toMatchObject({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      expect(typeof review.status.userInfo.username).toBe('string');
    });
  }

  // ---- create --------------------------------------------------------------------------------------

  test('create namespace', async () => {
    const out = ok(await run(['create', 'namespace', ns]), ['create', 'namespace', ns]);
    expect(out.trim()).toBe(`namespace/${ns} created`);
  });

  test('create -f with several YAML documents', async () => {
    const out = await k(['create', '-f', file('multi.yaml', multiDoc)]);
    expect(out.trim().split('\n')).toEqual(['configmap/multi-a created', 'configmap/multi-b created', 'deployment.apps/multi-web created']);
  });

  test('create deployment', async () => {
    const out = await k(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2']);
    expect(out.trim()).toBe('deployment.apps/web created');
    const d = await getJson(['deployment', 'web']);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.25');
  });

  test('create configmap --from-literal', async () => {
    expect((await k(['create', 'configmap', 'lit', '--from-literal=a=1', '--from-literal=b=two'])).trim()).toBe('configmap/lit created');
    expect((await getJson(['configmap', 'lit'])).data).toEqual({ a: '1', b: 'two' });
  });

  test('create secret generic', async () => {
    expect((await k(['create', 'secret', 'generic', 'sec', '--from-literal=password=hunter2'])).trim()).toBe('secret/sec created');
    const s = await getJson(['secret', 'sec']);
    // (kubectl sends no type; the server's default of Opaque is not there yet, so type is not asserted.)
    expect(Buffer.from(s.data.password, 'base64').toString()).toBe('hunter2');
    expect((await k(['create', 'secret', 'generic', 'typed', '--type=example.com/custom', '--from-literal=k=v'])).trim()).toBe('secret/typed created');
    expect((await getJson(['secret', 'typed'])).type).toBe('example.com/custom');
  });

  test('create service clusterip', async () => {
    expect((await k(['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'])).trim()).toBe('service/svc created');
    const s = await getJson(['service', 'svc']);
    expect(s.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080 });
    expect(s.spec.selector).toEqual({ app: 'svc' });
  });

  test('create job', async () => {
    expect((await k(['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'])).trim()).toBe('job.batch/once created');
    const j = await getJson(['job', 'once']);
    expect(j.spec.template.spec.containers[0].command).toEqual(['echo', 'hi']);
  });

  test('create cronjob', async () => {
    expect((await k(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *'])).trim()).toBe('cronjob.batch/tick created');
    expect((await getJson(['cronjob', 'tick'])).spec.schedule).toBe('*/5 * * * *');
  });

  test('create role', async () => {
    expect((await k(['create', 'role', 'reader', '--verb=get,list', '--resource=pods,deployments.apps'])).trim()).toBe('role.rbac.authorization.k8s.io/reader created');
    const r = await getJson(['role', 'reader']);
    expect(r.rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] })]),
    );
  });

  test('create token: a signed token of the service account', async () => {
    expect((await k(['create', 'serviceaccount', 'robot'])).trim()).toBe('serviceaccount/robot created');
    const token = (await k(['create', 'token', 'robot', '--duration', '20m', '--audience', 'https://kubernetes.default.svc.cluster.local'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:robot`);
    expect(claims.exp - claims.iat).toBe(1200);
    const tooShort = await run(['-n', ns, 'create', 'token', 'robot', '--duration', '1m']);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toContain('may not specify a duration less than 10 minutes');
    // kubectl sends bearer tokens only over TLS: test/cli/up.test.ts signs in with one over HTTPS.
  });

  test('logs and exec: the Status saying no node agent serves the kubelet API, and exit 1', async () => {
    const node = `node-${ns}`;
    await k(['create', '-f', file('agentless.yaml', `apiVersion: v1
kind: Node
metadata: {name: ${node}}
---
apiVersion: v1
kind: Pod
metadata: {name: placed}
spec:
  nodeName: ${node}
  containers: [{name: app, image: busybox}]
`)]);
    for (const args of [['logs', 'placed'], ['exec', 'placed', '--', 'ls']]) {
      const r = await run(['-n', ns, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`no node agent serves the kubelet API of node "${node}"`);
    }
  });

  // ---- get -----------------------------------------------------------------------------------------

  test('get prints the server columns', async () => {
    const out = await k(['get', 'deployments']);
    expect(out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    expect(out).toMatch(/\nweb\s+0\/2\s+0\s+0\s+\d+s\n/);
    expect(await k(['get', 'configmaps', 'lit'])).toMatch(/^NAME\s+DATA\s+AGE\nlit\s+2\s+\d+s\n$/);
  });

  test('get -o wide', async () => {
    const out = await k(['get', 'deployment', 'web', '-o', 'wide']);
    expect(out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    expect(out).toMatch(/\nweb\s+0\/2\s+0\s+0\s+\d+s\s+nginx\s+nginx:1\.25\s+app=web\n/);
  });

  test('get -o yaml|json|name|jsonpath', async () => {
    expect(await k(['get', 'configmap', 'lit', '-o', 'yaml'])).toMatch(/^apiVersion: v1\ndata:\n {2}a: "1"\n {2}b: two\nkind: ConfigMap\n/);
    const list = JSON.parse(await k(['get', 'configmaps', '-o', 'json']));
    expect(list.kind).toBe('List');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(expect.arrayContaining(['lit', 'multi-a', 'multi-b']));
    expect((await k(['get', 'configmaps', '-o', 'name'])).split('\n')).toEqual(expect.arrayContaining(['configmap/lit', 'configmap/multi-a']));
    expect(await k(['get', 'configmap', 'lit', '-o', 'jsonpath={.data.b}'])).toBe('two');
  });

  test('get -A', async () => {
    const out = ok(await run(['get', 'configmaps', '-A']), ['get', '-A']);
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE\n/);
    expect(out).toMatch(new RegExp(`\\n${ns}\\s+lit\\s+2\\s+`));
  });

  test('get -l', async () => {
    const out = await k(['get', 'configmaps', '-l', 'tier=front', '-o', 'name']);
    expect(out.trim()).toBe('configmap/multi-a');
  });

  test('get --field-selector', async () => {
    expect((await k(['get', 'configmaps', '--field-selector', 'metadata.name=multi-b', '-o', 'name'])).trim()).toBe('configmap/multi-b');
    expect((await k(['get', 'secrets', '--field-selector', 'type=example.com/custom', '-o', 'name'])).trim()).toBe('secret/typed');
    expect((await k(['get', 'secrets', '--field-selector', 'type!=example.com/custom', '-o', 'name'])).trim()).toBe('secret/sec');
  });

  test('get --show-labels', async () => {
    const out = await k(['get', 'configmaps', '-l', 'tier', '--show-labels']);
    expect(out).toMatch(/^NAME\s+DATA\s+AGE\s+LABELS\n/);
    expect(out).toMatch(/\nmulti-a\s+1\s+\d+s\s+tier=front\n/);
  });

  test('get --sort-by', async () => {
    const out = await k(['get', 'configmaps', '-l', 'tier', '--sort-by=.metadata.labels.tier', '-o', 'name']);
    expect(out.trim().split('\n')).toEqual(['configmap/multi-b', 'configmap/multi-a']);
  });

  test('get all', async () => {
    const out = await k(['get', 'all']);
    expect(out).toMatch(/service\/svc\s+ClusterIP/);
    expect(out).toMatch(/deployment\.apps\/web\s+0\/2/);
    expect(out).toMatch(/cronjob\.batch\/tick\s+\*\/5 \* \* \* \*/);
    expect(out).toMatch(/job\.batch\/once\s/);
  });

  test('get -w sees a change', async () => {
    const child = spawnKubectl(bin.path, ['-n', ns, 'get', 'configmap', 'lit', '-w'], { server: f.base, home });
    let out = '';
    let err = '';
    let onOutput = () => undefined as void;
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      onOutput();
    });
    const seen = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`kubectl get -w printed: ${out}\nstderr: ${err}`)), 15_000);
        onOutput = () => {
          if (re.test(out)) {
            clearTimeout(t);
            onOutput = () => undefined;
            resolve();
          }
        };
        onOutput();
      });
    try {
      await seen(/^NAME\s+DATA\s+AGE\nlit\s+2\s+\S+\n/);
      await k(['patch', 'configmap', 'lit', '--type=merge', '-p', '{"data":{"c":"3"}}']);
      await seen(/\nlit\s+3\s+\S+\n/);
    } finally {
      child.kill();
    }
  });

  // ---- apply, diff, replace, edit --------------------------------------------------------------------

  test('apply: create, modify, and a repeat that changes nothing', async () => {
    const p = file('applied.yaml', deploymentYaml('applied', 'nginx:1.25'));
    expect((await k(['apply', '-f', p])).trim()).toBe('deployment.apps/applied created');
    fs.writeFileSync(p, deploymentYaml('applied', 'nginx:1.26', ', stage: two'));
    expect((await k(['apply', '-f', p])).trim()).toBe('deployment.apps/applied configured');
    const d = await getJson(['deployment', 'applied']);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    expect(d.metadata.labels).toEqual({ app: 'applied', stage: 'two' });
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('nginx:1.26');
    expect((await k(['apply', '-f', p])).trim()).toBe('deployment.apps/applied unchanged');
    expect((await getJson(['deployment', 'applied'])).metadata.resourceVersion).toBe(d.metadata.resourceVersion);
  });

  test('diff', async () => {
    const p = path.join(dir, 'applied.yaml');
    const same = await run(['-n', ns, 'diff', '-f', p]);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
    const changed = await run(['-n', ns, 'diff', '-f', file('changed.yaml', deploymentYaml('applied', 'nginx:1.27', ', stage: two'))]);
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^-\s+- image: nginx:1\.26$/m);
    expect(changed.stdout).toMatch(/^\+\s+- image: nginx:1\.27$/m);
  });

  // ---- server-side apply -------------------------------------------------------------------------

  test('apply --server-side: create, update, and managedFields in get --show-managed-fields', async () => {
    const p = file('ssa.yaml', deploymentYaml('ssa', 'nginx:1.25'));
    expect((await k(['apply', '--server-side', '-f', p])).trim()).toBe('deployment.apps/ssa serverside-applied');
    fs.writeFileSync(p, deploymentYaml('ssa', 'nginx:1.26'));
    expect((await k(['apply', '--server-side', '-f', p])).trim()).toBe('deployment.apps/ssa serverside-applied');
    const d = await getJson(['deployment', 'ssa']);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    const yaml = await k(['get', 'deployment', 'ssa', '-o', 'yaml', '--show-managed-fields']);
    expect(yaml).toMatch(/managedFields:\n\s+- apiVersion: apps\/v1\n\s+fieldsType: FieldsV1\n\s+fieldsV1:\n/);
    expect(yaml).toMatch(/manager: kubectl\n\s+operation: Apply\n/);
    expect(yaml).toContain('k:{"name":"web"}:');
    expect(await k(['get', 'deployment', 'ssa', '-o', 'yaml'])).not.toContain('managedFields');
    fs.writeFileSync(p, deploymentYaml('ssa', 'nginx:1.27'));
    expect((await k(['apply', '--server-side', '--dry-run=server', '-f', p])).trim()).toBe('deployment.apps/ssa serverside-applied (server dry run)');
    expect((await getJson(['deployment', 'ssa'])).spec.template.spec.containers[0].image).toBe('nginx:1.26');
    fs.writeFileSync(p, deploymentYaml('ssa', 'nginx:1.26'));
  });

  test('apply --server-side: a conflict between field managers, then --force-conflicts', async () => {
    const other = file('ssa-other.yaml', deploymentYaml('ssa', 'nginx:1.26').replace('replicas: 1', 'replicas: 3'));
    const args = ['-n', ns, 'apply', '--server-side', '--field-manager=other', '-f', other];
    const conflict = await run(args);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect((await getJson(['deployment', 'ssa'])).spec.replicas).toBe(1);
    expect(ok(await run([...args, '--force-conflicts']), args).trim()).toBe('deployment.apps/ssa serverside-applied');
    // kubectl get hides managedFields; read them straight from the server.
    const d = (await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/ssa`)).json;
    expect(d.spec.replicas).toBe(3);
    const owners = (d.metadata.managedFields as { manager: string; fieldsV1: { 'f:spec'?: Record<string, unknown> } }[])
      .filter((e) => e.fieldsV1['f:spec']?.['f:replicas'] !== undefined)
      .map((e) => e.manager);
    expect(owners).toEqual(['other']);
  });

  test('apply (client-side), then apply --server-side takes over without conflicts', async () => {
    const p = file('csa.yaml', deploymentYaml('csa', 'nginx:1.25'));
    expect((await k(['apply', '-f', p])).trim()).toBe('deployment.apps/csa created');
    const before = (await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/csa`)).json;
    expect(before.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual(['kubectl-client-side-apply']);
    fs.writeFileSync(p, deploymentYaml('csa', 'nginx:1.26').replace('replicas: 1', 'replicas: 2'));
    expect((await k(['apply', '--server-side', '-f', p])).trim()).toBe('deployment.apps/csa serverside-applied');
    const d = (await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/csa`)).json;
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    const managers = d.metadata.managedFields.map((e: { manager: string; operation: string }) => `${e.manager}/${e.operation}`);
    // kubectl moves client-side apply's fields to its server-side manager, and the annotation to a manager
    // of its own (csaupgrade), as against kube-apiserver; the server keeps the annotation up to date.
    expect(managers).toEqual(['kubectl-last-applied/Apply', 'kubectl/Apply']);
    const lastApplied = JSON.parse(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    expect(lastApplied.spec.replicas).toBe(2);
    expect(lastApplied.spec.template.spec.containers[0].image).toBe('nginx:1.26');
  });

  test('replace, and a stale resourceVersion is a Conflict', async () => {
    const cm = await getJson(['configmap', 'multi-a']);
    const stale = JSON.parse(JSON.stringify(cm));
    cm.data.key = 'replaced';
    expect((await k(['replace', '-f', file('replace.json', JSON.stringify(cm))])).trim()).toBe('configmap/multi-a replaced');
    expect((await getJson(['configmap', 'multi-a'])).data.key).toBe('replaced');
    stale.data.key = 'stale';
    const r = await run(['-n', ns, 'replace', '-f', file('stale.json', JSON.stringify(stale))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Operation cannot be fulfilled on configmaps "multi-a": the object has been modified; please apply your changes to the latest version and try again/);
    expect((await getJson(['configmap', 'multi-a'])).data.key).toBe('replaced');
  });

  test('edit through EDITOR', async () => {
    const out = await k(['edit', 'configmap', 'multi-b'], { env: { EDITOR: 'sed -i s/value-b/edited-b/' } });
    expect(out.trim()).toBe('configmap/multi-b edited');
    expect((await getJson(['configmap', 'multi-b'])).data.key).toBe('edited-b');
  });

  // ---- patch and friends ---------------------------------------------------------------------------

  test('patch: strategic, merge and json', async () => {
    const strategic = '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}';
    expect((await k(['patch', 'deployment', 'web', '-p', strategic])).trim()).toBe('deployment.apps/web patched');
    let d = await getJson(['deployment', 'web']);
    const names = d.spec.template.spec.containers.map((c: { name: string }) => c.name);
    expect([...names].sort()).toEqual(['nginx', 'side']);
    expect((await k(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":3}}'])).trim()).toBe('deployment.apps/web patched');
    const remove = JSON.stringify([{ op: 'remove', path: `/spec/template/spec/containers/${names.indexOf('side')}` }]);
    expect((await k(['patch', 'deployment', 'web', '--type=json', '-p', remove])).trim()).toBe(
      'deployment.apps/web patched',
    );
    d = await getJson(['deployment', 'web']);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['nginx']);
  });

  test('label and annotate', async () => {
    expect((await k(['label', 'configmap', 'lit', 'color=blue'])).trim()).toBe('configmap/lit labeled');
    expect((await k(['label', 'configmap', 'lit', 'color=red', '--overwrite'])).trim()).toBe('configmap/lit labeled');
    // kubectl 1.27 prints "annotate" (its own wording).
    expect((await k(['annotate', 'configmap', 'lit', 'note=hello'])).trim()).toMatch(/^configmap\/lit annotated?$/);
    const cm = await getJson(['configmap', 'lit']);
    expect(cm.metadata.labels).toEqual({ color: 'red' });
    expect(cm.metadata.annotations).toEqual({ note: 'hello' });
    expect((await k(['label', 'configmap', 'lit', 'color-'])).trim()).toBe('configmap/lit unlabeled');
  });

  test('scale', async () => {
    expect((await k(['scale', 'deployment', 'web', '--replicas=5'])).trim()).toBe('deployment.apps/web scaled');
    expect((await getJson(['deployment', 'web'])).spec.replicas).toBe(5);
  });

  test('set image', async () => {
    expect((await k(['set', 'image', 'deployment/web', 'nginx=nginx:1.27'])).trim()).toBe('deployment.apps/web image updated');
    expect((await getJson(['deployment', 'web'])).spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  test('rollout restart', async () => {
    expect((await k(['rollout', 'restart', 'deployment/web'])).trim()).toBe('deployment.apps/web restarted');
    const at = (await getJson(['deployment', 'web'])).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(Date.parse(at)).toBeGreaterThan(Date.now() - 60_000);
  });

  test('describe a configmap and a deployment', async () => {
    const cm = await k(['describe', 'configmap', 'multi-a']);
    expect(cm).toMatch(/^Name:\s+multi-a\nNamespace:\s+km-/);
    expect(cm).toMatch(/\nkey:\n----\nreplaced\n/);
    const d = await k(['describe', 'deployment', 'web']);
    expect(d).toMatch(/^Name:\s+web\n/);
    expect(d).toMatch(/\nReplicas:\s+5 desired/);
    expect(d).toMatch(/\n\s+Image:\s+nginx:1\.27\n/);
  });

  test('wait --for=jsonpath after a status patch', async () => {
    const out = await k(['patch', 'deployment', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"readyReplicas":5,"replicas":5}}']);
    expect(out.trim()).toBe('deployment.apps/web patched');
    const w = await k(['wait', 'deployment/web', '--for=jsonpath={.status.readyReplicas}=5', '--timeout=10s']);
    expect(w.trim()).toBe('deployment.apps/web condition met');
  });

  // ---- delete --------------------------------------------------------------------------------------

  test('delete --cascade=background removes the object', async () => {
    expect((await k(['delete', 'configmap', 'lit', '--cascade=background', '--wait=false'])).trim()).toBe(deleted('configmap "lit"'));
    expect((await request(f.base, 'GET', `/api/v1/namespaces/${ns}/configmaps/lit`)).status).toBe(404);
  });

  test('delete --cascade=foreground leaves the object with the foregroundDeletion finalizer', async () => {
    expect((await k(['delete', 'deployment', 'multi-web', '--cascade=foreground', '--wait=false'])).trim()).toBe(deleted('deployment.apps "multi-web"'));
    const r = await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/multi-web`);
    expect(r.status).toBe(200);
    expect(r.json.metadata.deletionTimestamp).toBeDefined();
    expect(r.json.metadata.finalizers).toContain('foregroundDeletion');
  });

  test('delete --cascade=orphan leaves the object with the orphan finalizer', async () => {
    expect((await k(['delete', 'deployment', 'applied', '--cascade=orphan', '--wait=false'])).trim()).toBe(deleted('deployment.apps "applied"'));
    const r = await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/applied`);
    expect(r.status).toBe(200);
    expect(r.json.metadata.deletionTimestamp).toBeDefined();
    expect(r.json.metadata.finalizers).toContain('orphan');
  });
});
