import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAuthenticator } from '../../src/api/authn/authenticator.js';
import { TokenFile } from '../../src/api/authn/token-file.js';
import type { UserInfo } from '../../src/api/http-app.js';
import { createCa, issueCertificate } from '../../src/cli/pki.js';
import { Client, inClusterConfig, isUnauthorized, loadRestConfig, resources } from '../../src/client/index.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
let f: ApiFixture;
let dir: string;
const seen: { user: UserInfo; agent: string | undefined }[] = [];
let caCert: string;

beforeAll(async () => {
  const ca = await createCa('client-test-ca');
  caCert = ca.cert;
  const serving = await issueCertificate(ca, { commonName: 'apiserver', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const alice = await issueCertificate(ca, { commonName: 'alice', organizations: ['system:masters'], usage: 'client' });
  const authenticate = createAuthenticator({ clientCertificates: true, tokens: TokenFile.parse('tok3n,bob,1002,system:masters\n') });
  f = await apiFixture({
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    authenticate: async (req) => {
      const user = await authenticate(req);
      if (user) seen.push({ user, agent: req.headers['user-agent'] });
      return user;
    },
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'pgkube-client-kubeconfig-'));
  // one file with inline data (cert user), one with a file path and a token user, merged through KUBECONFIG
  writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
  writeFileSync(
    path.join(dir, 'a.yaml'),
    `apiVersion: v1
kind: Config
current-context: alice
clusters:
- name: test
  cluster: { server: "${f.base}", certificate-authority-data: ${b64(ca.cert)} }
users:
- name: alice
  user: { client-certificate-data: ${b64(alice.cert)}, client-key-data: ${b64(alice.key)} }
contexts:
- name: alice
  context: { cluster: test, user: alice, namespace: team-a }
`,
  );
  writeFileSync(
    path.join(dir, 'b.yaml'),
    `apiVersion: v1
kind: Config
current-context: bob
clusters:
- name: test
  cluster: { server: "https://127.0.0.1:1" }
- name: by-file
  cluster: { server: "${f.base}", certificate-authority: ca.crt }
users:
- name: bob
  user: { token: tok3n }
contexts:
- name: bob
  context: { cluster: by-file, user: bob }
- name: wrong-cluster
  context: { cluster: test, user: bob }
`,
  );
});
afterAll(async () => {
  await f?.close();
});

test('a kubeconfig with a client certificate: TLS verified against its CA, the user agent sent', async () => {
  const cfg = loadRestConfig({ kubeconfig: path.join(dir, 'a.yaml') });
  expect(cfg).toMatchObject({ server: f.base, namespace: 'team-a' });
  expect(cfg.ca).toBe(caCert);
  const client = new Client({ ...cfg, userAgent: undefined });
  seen.length = 0;
  const list = await client.resource(resources.namespaces).list();
  expect(list.items.map((n) => n.metadata.name)).toContain('default');
  expect(seen[0]!.user.username).toBe('alice');
  expect(seen[0]!.agent).toMatch(/^pgkube\/v\d+\.\d+\.\d+\S* \(linux\/(amd64|arm64)\) pgkube-client$/);
  await client.close();
});

test('KUBECONFIG lists files: the first file naming an entry or current-context wins; tokens, CA files relative to the file', async () => {
  const env = { KUBECONFIG: [path.join(dir, 'b.yaml'), path.join(dir, 'a.yaml')].join(path.delimiter), HOME: dir };
  const cfg = loadRestConfig({ env });
  expect(cfg).toMatchObject({ server: f.base, token: 'tok3n' });
  const client = new Client(cfg);
  seen.length = 0;
  await client.resource(resources.namespaces).get('default');
  expect(seen[0]!.user.username).toBe('bob');
  await client.close();
  // "test" is named first by b.yaml, so that cluster wins for the alice context of a.yaml
  expect(loadRestConfig({ env, context: 'alice' }).server).toBe('https://127.0.0.1:1');
  expect(() => loadRestConfig({ env, context: 'nope' })).toThrow(/context "nope" does not exist/);
});

test('a wrong token is a 401 ApiError', async () => {
  const client = new Client({ server: f.base, ca: caCert, token: 'wrong' });
  const err = await client.resource(resources.namespaces).list().catch((e: unknown) => e);
  expect(isUnauthorized(err)).toBe(true);
  await client.close();
});

test('in-cluster: service account token, CA and namespace, host and port from the environment', () => {
  const sa = path.join(dir, 'sa');
  mkdirSync(sa);
  writeFileSync(path.join(sa, 'token'), 'sa-token\n');
  writeFileSync(path.join(sa, 'ca.crt'), caCert);
  writeFileSync(path.join(sa, 'namespace'), 'kube-system');
  expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa)).toEqual({
    server: 'https://[fd00::1]:443',
    token: 'sa-token',
    ca: caCert,
    namespace: 'kube-system',
  });
  expect(inClusterConfig({}, sa)).toBeUndefined();
});
