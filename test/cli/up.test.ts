/**
 * The newcomer's path: `pgkube up` (built output, as `npm start` runs it) with a fresh HOME, then the
 * real kubectl 1.33 over TLS with the kubeconfig it merged; a restart keeps the data; one `up` per data
 * directory; the scheduler and the node agent it runs (simulated here: fast, and no Docker needed) run
 * a Deployment's pods, and stop with it, even when it is killed. Then `pgkube apiserver` with a static
 * token file, and what is refused with 401.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createCa, issueCertificate } from '../../src/cli/pki.js';
import type { KeyPair } from '../../src/cli/pki.js';
import { freePort } from '../../src/embedded-postgres/server.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';
import type { KubectlResult } from '../support/kubectl.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'pgkube.js');
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const LOGGED_OUT = 'You must be logged in to the server';

const KUBECTL = await kubectlPath('1.33');

let tmp: string;
let home: string;
let dataDir: string;
let kubeconfig: string;
const children = new Set<ChildProcess>();

// runKubectl always closes stdin: with no credentials in the kubeconfig, kubectl would prompt for a user name.
function kubectl(args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<KubectlResult> {
  return runKubectl(KUBECTL, args, { kubeconfig: opts.kubeconfig ?? kubeconfig, input: opts.input, home, timeoutMs: 30_000 });
}

interface Pgkube {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` appears; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

function pgkube(args: string[], env: Record<string, string> = {}): Pgkube {
  // Restarts of up run the simulated node agent too (the first start asks for it with the flag).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', PGKUBE_NODE_RUNTIME: 'simulated', ...env };
  delete childEnv.KUBECONFIG;
  delete childEnv.PGKUBE_DATABASE_URL;
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          if (pattern.test(out)) return resolve(out);
          if (child.exitCode !== null) return reject(new Error(`pgkube exited (${child.exitCode}) before ${pattern}:\n${out}`));
          if (Date.now() > deadline) return reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`));
          setTimeout(check, 25);
        };
        check();
      });
    },
  };
}

/** Ctrl-C, and the exit code. */
async function interrupt(p: Pgkube): Promise<number | null> {
  p.child.kill('SIGINT');
  return p.exited;
}

function writeKubeconfig(file: string, opts: { server: string; ca: string; client?: KeyPair; token?: string; basic?: boolean }): string {
  const user: Record<string, string> = {};
  // kubectl prompts for a user name when the kubeconfig names no credentials at all; basic auth is what
  // comes nearest: kube-apiserver (and pgkube) has no basic authentication, so the request is anonymous.
  if (opts.basic) Object.assign(user, { username: 'someone', password: 'secret' });
  if (opts.client) {
    user['client-certificate-data'] = Buffer.from(opts.client.cert).toString('base64');
    user['client-key-data'] = Buffer.from(opts.client.key).toString('base64');
  }
  if (opts.token) user.token = opts.token;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.ca).toString('base64') } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
  fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

function httpsGet(url: string, ca: string, client?: KeyPair): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false, ...(client ? { cert: client.cert, key: client.key } : {}) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          // plain text
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
  });
}

/** The scheduler and agent processes up started on this data directory (found by their kubeconfig argument). */
function roleProcesses(): string[] {
  const admin = path.join(dataDir, 'admin.kubeconfig');
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (args.includes(admin)) found.push(`${pid}: ${args.join(' ')}`);
  }
  return found;
}

async function waitNoRoleProcesses(timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = roleProcesses();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = roleProcesses();
  }
  return left;
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;
const readCa = () => fs.readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');

let port: number;
let server: string;
let up: Pgkube | undefined;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-up-test-'));
  // As root the embedded PostgreSQL runs as the postgres user, which must reach the data directory.
  fs.chmodSync(tmp, 0o755);
  home = path.join(tmp, 'home');
  dataDir = path.join(tmp, 'data');
  kubeconfig = path.join(home, '.kube', 'config');
  // A kubeconfig the user already has: its entries must survive the merge.
  fs.mkdirSync(path.dirname(kubeconfig), { recursive: true });
  fs.writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- cluster:',
      '    server: https://203.0.113.1:6443',
      '  name: other',
      'contexts:',
      '- context:',
      '    cluster: other',
      '    namespace: "on"',
      '    user: other',
      '  name: other',
      'current-context: other',
      'users:',
      '- name: other',
      '  user:',
      '    token: abc',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
});

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
  // Let PostgreSQL go with its parent (it gets SIGQUIT through --pdeathsig) before removing its files.
  await new Promise((r) => setTimeout(r, 500));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('first start: certificates, embedded PostgreSQL, TLS, and a kubeconfig merged into ~/.kube/config', async () => {
  port = await freePort();
  server = `https://127.0.0.1:${port}`;
  up = pgkube(['up', '--data-dir', dataDir, '--port', String(port), '--node-runtime', 'simulated']);
  const out = await up.waitFor(/kubectl --context pgkube get ns/);
  expect(out).toContain(`Starting pgkube in ${dataDir}`);
  expect(out).toMatch(/^ ✓ Created certificates$/m);
  expect(out).toMatch(/^ ✓ Created and started PostgreSQL \(embedded\)$/m);
  expect(out).toMatch(/^ ✓ Waiting for the API server to be ready$/m);
  expect(out).toContain(`Writing kubeconfig to ${kubeconfig}`);
  expect(out).toContain('Set kubectl context to "pgkube"');
  expect(out).toMatch(/^ ✓ Started the controller-manager \(garbage collector, namespace and pod GC controllers\)$/m);
  expect(out).toContain(` ✓ Started the scheduler (log: ${path.join(dataDir, 'scheduler.log')})\n`);
  expect(out).toContain(` ✓ Started a node agent (simulated: as --node-runtime asks); node sim-node-0 is Ready (log: ${path.join(dataDir, 'agent.log')})\n`);
  expect(out).not.toMatch(/\x1b\[/); // no colour off a terminal

  // Keys and kubeconfigs are private.
  for (const key of ['ca.key', 'apiserver.key', 'admin.key', 'sa.key']) expect(mode(path.join(dataDir, 'pki', key))).toBe(0o600);
  expect(mode(path.join(dataDir, 'pki', 'sa.pub'))).toBe(0o644);
  expect(mode(path.join(dataDir, 'pki', 'kubelet-client.token'))).toBe(0o600);
  expect(mode(path.join(dataDir, 'admin.kubeconfig'))).toBe(0o600);
  expect(mode(kubeconfig)).toBe(0o600);

  // Merged, not clobbered: the user's own entries stay, ours are added, current-context is ours.
  const config = parse(fs.readFileSync(kubeconfig, 'utf8'), { version: '1.1' });
  expect(config['current-context']).toBe('pgkube');
  expect(config.clusters.map((c: { name: string }) => c.name)).toEqual(['other', 'pgkube']);
  expect(config.users.map((c: { name: string }) => c.name)).toEqual(['other', 'pgkube']);
  expect(config.contexts.map((c: { name: string }) => c.name)).toEqual(['other', 'pgkube']);
  expect(config.contexts[0].context.namespace).toBe('on'); // still a string for kubectl's YAML 1.1
  expect(config.clusters[1].cluster.server).toBe(server);
});

test('kubectl --context pgkube get ns works over TLS as the administrator', async () => {
  const r = await kubectl(['--context', 'pgkube', 'get', 'ns']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^default\s+Active\s+\d+s/m); // the server's Table: NAME STATUS AGE
  expect(r.stdout).toMatch(/^kube-system\s/m);
  // The user's other context is untouched and still selectable.
  expect((await kubectl(['config', 'get-contexts', '-o', 'name'])).stdout.split('\n').sort()).toEqual(['', 'other', 'pgkube']);
});

test('kubectl get nodes: the node agent that up runs registered one Ready node', async () => {
  const r = await kubectl(['--context', 'pgkube', 'get', 'nodes', '--no-headers']);
  expect(r.stderr).toBe('');
  expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^sim-node-0\s+Ready\s/)]);
});

test('a Deployment created with kubectl gets Running pods (controller-manager, scheduler and agent of up)', async () => {
  const created = await kubectl(['--context', 'pgkube', 'create', 'deployment', 'web', '--image=local/busybox:1', '--replicas=2']);
  expect(created.stderr).toBe('');
  const rollout = await kubectl(['--context', 'pgkube', 'rollout', 'status', 'deployment/web', '--timeout=90s']);
  expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
  const pods = await kubectl(['--context', 'pgkube', 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}']);
  expect(pods.stdout.trim().split('\n')).toEqual(['sim-node-0 Running', 'sim-node-0 Running']);
  // kubectl logs goes through the API server to the agent's kubelet API, with the token they share.
  const name = (await kubectl(['--context', 'pgkube', 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
  const logs = await kubectl(['--context', 'pgkube', 'logs', name]);
  expect(logs.stderr).toBe('');
  expect(logs.stdout).toContain('simulated container busybox started');
  expect((await kubectl(['--context', 'pgkube', 'delete', 'deployment', 'web'])).code).toBe(0);
});

test('kubectl delete namespace returns: the controller-manager inside up empties and removes it', async () => {
  expect((await kubectl(['--context', 'pgkube', 'create', 'namespace', 'short-lived'])).code).toBe(0);
  expect((await kubectl(['--context', 'pgkube', '-n', 'short-lived', 'create', 'configmap', 'c', '--from-literal=a=b'])).code).toBe(0);
  const r = await kubectl(['--context', 'pgkube', 'delete', 'namespace', 'short-lived', '--timeout=60s']);
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('namespace "short-lived" deleted');
  expect((await kubectl(['--context', 'pgkube', 'get', 'namespace', 'short-lived'])).code).toBe(1);
});

test('a ConfigMap created with kubectl', async () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', namespace: 'default' }, data: { greeting: 'hello' } };
  const r = await kubectl(['--context', 'pgkube', 'create', '-f', '-', '--validate=false'], { input: JSON.stringify(cm) });
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('configmap/kept created');
});

test('pgkube kubeconfig prints the admin kubeconfig', async () => {
  const p = pgkube(['kubeconfig', '--data-dir', dataDir]);
  expect(await p.exited).toBe(0);
  const config = parse(p.output());
  expect(config['current-context']).toBe('pgkube');
  expect(config.clusters[0].cluster.server).toBe(server);
  const file = writeKubeconfig(path.join(tmp, 'printed.json'), {
    server,
    ca: Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
    client: {
      cert: Buffer.from(config.users[0].user['client-certificate-data'], 'base64').toString(),
      key: Buffer.from(config.users[0].user['client-key-data'], 'base64').toString(),
    },
  });
  expect((await kubectl(['get', 'cm', 'kept', '-o', 'jsonpath={.data.greeting}'], { kubeconfig: file })).stdout).toBe('hello');
});

test('a second pgkube up on the same data directory fails at once, saying why', async () => {
  const secondPort = await freePort();
  const second = pgkube(['up', '--data-dir', dataDir, '--port', String(secondPort)]);
  expect(await second.exited).toBe(1);
  // At once: no step (certificates, PostgreSQL) was taken before refusing.
  expect(second.output()).not.toContain('✓');
  expect(second.output()).toContain(`pgkube: pgkube up is already running on ${dataDir} (pid ${up!.child.pid})`);
  // and the first one still serves
  expect((await kubectl(['--context', 'pgkube', 'get', 'cm', 'kept', '-o', 'name'])).stdout.trim()).toBe('configmap/kept');
});

test('no credentials: 401 Unauthorized (health and version stay open)', async () => {
  const ca = readCa();
  expect(await httpsGet(`${server}/api/v1/namespaces`, ca)).toEqual({ status: 401, json: UNAUTHORIZED });
  expect(await httpsGet(`${server}/readyz`, ca)).toEqual({ status: 200, json: 'ok' });
  const file = writeKubeconfig(path.join(tmp, 'anonymous.json'), { server, ca, basic: true });
  const r = await kubectl(['get', 'ns'], { kubeconfig: file });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(LOGGED_OUT);
});

test('a client certificate signed by another CA is refused with 401', async () => {
  const other = await createCa('pgkube-ca');
  const intruder = await issueCertificate(other, { commonName: 'pgkube-admin', organizations: ['system:masters'], usage: 'client' });
  const ca = readCa();
  // Presented (Node sends it whatever CAs the server names): refused even where anonymous may go.
  expect(await httpsGet(`${server}/livez`, ca, intruder)).toEqual({ status: 401, json: UNAUTHORIZED });
  expect(await httpsGet(`${server}/api/v1/namespaces`, ca, intruder)).toEqual({ status: 401, json: UNAUTHORIZED });
  const file = writeKubeconfig(path.join(tmp, 'intruder.json'), { server, ca, client: intruder });
  const r = await kubectl(['get', 'ns'], { kubeconfig: file });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(LOGGED_OUT);
});

test('Ctrl-C stops cleanly; the next pgkube up keeps the data and the certificates', async () => {
  const caBefore = readCa();
  expect(await interrupt(up!)).toBe(0);
  expect(up!.output()).toContain('Stopped; the data stays for the next "pgkube up"');
  expect(fs.existsSync(path.join(dataDir, 'pgkube.lock'))).toBe(false);
  expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false); // PostgreSQL shut down
  expect(roleProcesses()).toEqual([]); // the scheduler and the agent were stopped before up exited

  port = await freePort();
  server = `https://127.0.0.1:${port}`;
  up = pgkube(['up', '--data-dir', dataDir, '--port', String(port)]);
  const out = await up.waitFor(/kubectl --context pgkube get ns/);
  expect(out).toMatch(/^ ✓ Loaded certificates$/m);
  expect(out).toMatch(/^ ✓ Started PostgreSQL \(embedded\)$/m);
  expect(readCa()).toBe(caBefore);
  // The kubeconfig follows the new port.
  const r = await kubectl(['--context', 'pgkube', 'get', 'cm', 'kept', '-o', 'jsonpath={.data.greeting}']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('hello');
});

test('--kubeconfig writes only there; --tls-san names go into the serving certificate', async () => {
  expect(await interrupt(up!)).toBe(0);
  const before = fs.readFileSync(kubeconfig, 'utf8');
  const only = path.join(tmp, 'only', 'kubeconfig');
  port = await freePort();
  server = `https://127.0.0.1:${port}`;
  up = pgkube(['up', '--data-dir', dataDir, '--port', String(port), '--kubeconfig', only, '--tls-san', 'pgkube.example', '--tls-san', '192.0.2.10']);
  const out = await up.waitFor(/get ns/);
  expect(out).toMatch(/^ ✓ Renewed certificates$/m);
  expect(out).toContain(`kubectl --kubeconfig ${only} --context pgkube get ns`);
  expect(fs.readFileSync(kubeconfig, 'utf8')).toBe(before);
  expect(mode(only)).toBe(0o600);
  const cert = new (await import('node:crypto')).X509Certificate(fs.readFileSync(path.join(dataDir, 'pki', 'apiserver.crt')));
  expect(cert.subjectAltName).toContain('DNS:pgkube.example');
  expect(cert.subjectAltName).toContain('IP Address:192.0.2.10');
  expect(cert.subjectAltName).toContain('DNS:localhost');
  const r = await kubectl(['get', 'cm', 'kept', '-o', 'name'], { kubeconfig: only });
  expect(r.stdout.trim()).toBe('configmap/kept');
  expect(await interrupt(up!)).toBe(0);
  up = undefined;
});

test('killed with SIGKILL, up takes its scheduler and agent with it (--pdeathsig)', async () => {
  port = await freePort();
  up = pgkube(['up', '--data-dir', dataDir, '--port', String(port), '--kubeconfig', path.join(tmp, 'killed', 'kubeconfig')]);
  await up.waitFor(/get ns/);
  expect(roleProcesses()).toHaveLength(2);
  up.child.kill('SIGKILL');
  await up.exited;
  expect(await waitNoRoleProcesses()).toEqual([]);
  up = undefined;
});

describe('pgkube apiserver with TLS, client CA and a static token file', () => {
  let db: TestDatabase;
  let apiserver: Pgkube;
  let url: string;
  let ca: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ca = readCa();
    const tokens = path.join(tmp, 'tokens.csv');
    fs.writeFileSync(tokens, 'secret-token-1,alice,1001,"dev,ops"\n', { mode: 0o600 });
    const pki = path.join(dataDir, 'pki');
    apiserver = pgkube([
      'apiserver',
      '--database-url', db.url,
      '--port', '0',
      '--tls-cert-file', path.join(pki, 'apiserver.crt'),
      '--tls-private-key-file', path.join(pki, 'apiserver.key'),
      '--client-ca-file', path.join(pki, 'ca.crt'),
      '--token-auth-file', tokens,
      '--service-account-signing-key-file', path.join(pki, 'sa.key'),
      '--service-account-key-file', path.join(pki, 'sa.pub'),
      '--service-account-issuer', 'https://pgkube.test',
      '--log-level', 'warn',
    ]);
    url = /listening on (https:\/\/\S+)/.exec(await apiserver.waitFor(/listening on https:\/\/\S+\n/))![1]!;
  });
  afterAll(async () => {
    if (apiserver) await interrupt(apiserver);
    await db?.drop();
  });

  test('a bearer token from the token file works', async () => {
    const file = writeKubeconfig(path.join(tmp, 'token.json'), { server: url, ca, token: 'secret-token-1' });
    const r = await kubectl(['get', 'ns', '-o', 'name'], { kubeconfig: file });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('namespace/kube-system');
  });

  test('an unknown token and no credentials are 401', async () => {
    const wrong = await kubectl(['get', 'ns'], { kubeconfig: writeKubeconfig(path.join(tmp, 'wrong.json'), { server: url, ca, token: 'guess' }) });
    expect(wrong.stderr).toContain(LOGGED_OUT);
    expect(await httpsGet(`${url}/api`, ca)).toEqual({ status: 401, json: UNAUTHORIZED });
  });

  test('the admin client certificate of the same CA works here too', async () => {
    const pki = path.join(dataDir, 'pki');
    const admin = { cert: fs.readFileSync(path.join(pki, 'admin.crt'), 'utf8'), key: fs.readFileSync(path.join(pki, 'admin.key'), 'utf8') };
    const r = await kubectl(['get', 'ns', '-o', 'name'], { kubeconfig: writeKubeconfig(path.join(tmp, 'admin.json'), { server: url, ca, client: admin }) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('namespace/default');
  });

  test('kubectl create token: the token signed with pki/sa.key authenticates as the service account', async () => {
    const pki = path.join(dataDir, 'pki');
    const admin = { cert: fs.readFileSync(path.join(pki, 'admin.crt'), 'utf8'), key: fs.readFileSync(path.join(pki, 'admin.key'), 'utf8') };
    const adminConfig = writeKubeconfig(path.join(tmp, 'admin-sa.json'), { server: url, ca, client: admin });
    expect((await kubectl(['create', 'serviceaccount', 'robot', '-n', 'default'], { kubeconfig: adminConfig })).stderr).toBe('');
    const created = await kubectl(['create', 'token', 'robot', '-n', 'default'], { kubeconfig: adminConfig });
    const token = created.stdout.trim();
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iss).toBe('https://pgkube.test');
    const who = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: writeKubeconfig(path.join(tmp, 'robot.json'), { server: url, ca, token }) });
    expect(who.stdout).toBe('system:serviceaccount:default:robot');
  });
});

test('pgkube apiserver without --insecure needs a certificate and key, and says so', async () => {
  const p = pgkube(['apiserver', '--database-url', 'postgres://127.0.0.1:1/none', '--port', '0']);
  expect(await p.exited).toBe(1);
  expect(p.output()).toContain('pgkube: serving HTTPS needs --tls-cert-file and --tls-private-key-file');
  const bad = pgkube(['apiserver', '--database-url', 'postgres://127.0.0.1:1/none', '--insecure', '--service-cluster-ip-range', '10.0.0.0/8']);
  expect(await bad.exited).toBe(1);
  expect(bad.output()).toContain('specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12');
});
