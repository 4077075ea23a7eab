/**
 * serviceaccounts/<name>/token (TokenRequest) and the service account token authenticator, against
 * upstream's rules: signed JWTs with the issuer, audiences and lifetimes kube-apiserver 1.33 gives them,
 * bound objects, and a token that stops working when its service account (or bound pod) goes away.
 */
import { generateKeyPairSync } from 'node:crypto';
import https from 'node:https';
import { createCa, issueCertificate } from '../../src/cli/pki.js';
import type { CertificateAuthority } from '../../src/cli/pki.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

const NS = 'tokens';
const ISSUER = 'https://issuer.example.test';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SIGNING_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function claimsOf(token: string) {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString()),
  };
}

const tokenRequest = (spec: Record<string, unknown> = {}) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec });

function httpsRequest(base: string, method: string, path: string, ca: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(new URL(path, base), { method, ca, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

describe('TokenRequest', () => {
  let f: ApiFixture;
  const SA = `/api/v1/namespaces/${NS}/serviceaccounts`;

  beforeAll(async () => {
    f = await apiFixture({ serviceAccounts: { signingKey: SIGNING_KEY, issuers: [ISSUER, 'https://old.example.test'] } });
    await createNamespace(f.base, NS);
    await request(f.base, 'POST', SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot' } });
  });
  afterAll(async () => {
    await f.close();
  });

  test('issues a signed token for the API audiences, an hour by default', async () => {
    const sa = (await request(f.base, 'GET', `${SA}/bot`)).json;
    const r = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest());
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', spec: { audiences: [ISSUER, 'https://old.example.test'], expirationSeconds: 3600 } });
    const { header, claims } = claimsOf(r.json.status.token);
    expect(header.alg).toBe('RS256');
    expect(typeof header.kid).toBe('string');
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: [ISSUER, 'https://old.example.test'],
      sub: `system:serviceaccount:${NS}:bot`,
      'kubernetes.io': { namespace: NS, serviceaccount: { name: 'bot', uid: sa.metadata.uid } },
    });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);
    expect(Date.parse(r.json.status.expirationTimestamp) / 1000).toBe(claims.exp);
    expect(Object.keys(claims)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
  });

  test('audiences and expirationSeconds as asked; upstream limits on the duration', async () => {
    const r = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ audiences: ['vault'], expirationSeconds: 7200 }));
    const { claims } = claimsOf(r.json.status.token);
    expect(claims.aud).toEqual(['vault']);
    expect(claims.exp - claims.iat).toBe(7200);
    const short = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ expirationSeconds: 60 }));
    expect(short.status).toBe(422);
    expect(short.json.message).toBe('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const long = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ expirationSeconds: 2 ** 33 }));
    expect(long.json.message).toMatch(/may not specify a duration larger than 2\^32 seconds$/);
  });

  test('a missing service account is 404; a name or namespace in the body must match', async () => {
    const missing = await request(f.base, 'POST', `${SA}/nobody/token`, tokenRequest());
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('serviceaccounts "nobody" not found');
    const other = await request(f.base, 'POST', `${SA}/bot/token`, { ...tokenRequest(), metadata: { name: 'other' } });
    expect(other.status).toBe(422);
    expect(other.json.message).toMatch(/metadata\.name: Invalid value: "other": must match the service account name if specified/);
  });

  test('bound to a pod: the pod is in the claims; another service account or UID is refused', async () => {
    const pods = `/api/v1/namespaces/${NS}/pods`;
    const pod = (await request(f.base, 'POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'bot', containers: [{ name: 'c', image: 'x' }] } })).json;
    const bound = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: pod.metadata.uid } }));
    expect(bound.status).toBe(201);
    expect(claimsOf(bound.json.status.token).claims['kubernetes.io'].pod).toEqual({ name: 'p', uid: pod.metadata.uid });
    const wrongUid = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'nope' } }));
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.json.message).toMatch(/the UID in the bound object reference \(nope\) does not match the UID in record/);
    await request(f.base, 'POST', SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'other' } });
    const otherSA = await request(f.base, 'POST', `${SA}/other/token`, tokenRequest({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' } }));
    expect(otherSA.status).toBe(400);
    expect(otherSA.json.message).toBe('cannot bind token for serviceaccount "other" to pod running with different serviceaccount name.');
    const kind = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } }));
    expect(kind.status).toBe(400);
    expect(kind.json.message).toBe('cannot bind token to object of type /v1, Kind=ConfigMap');
    // kubelet's 3607 s on a pod-bound token: a year, with warnafter at the asked time.
    const kubelet = await request(f.base, 'POST', `${SA}/bot/token`, tokenRequest({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' }, expirationSeconds: 3607 }));
    const k = claimsOf(kubelet.json.status.token).claims;
    expect(k.exp - k.iat).toBe(365 * 24 * 3600);
    expect(k['kubernetes.io'].warnafter - k.iat).toBe(3607);
  });
});

describe('service account token authentication (HTTPS)', () => {
  let f: ApiFixture;
  let ca: CertificateAuthority;
  const SA = `/api/v1/namespaces/${NS}/serviceaccounts`;
  let admin: ApiFixture['base'];

  beforeAll(async () => {
    ca = await createCa('test-ca');
    const serving = await issueCertificate(ca, { commonName: 'apiserver', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    f = await apiFixture({
      tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
      authentication: { clientCertificates: true },
      serviceAccounts: { signingKey: SIGNING_KEY },
    });
    admin = f.base;
  });
  afterAll(async () => {
    await f.close();
  });

  test('a token acts as its service account until the account is deleted', async () => {
    // The administrator (a client certificate in system:masters) sets up; the token then acts alone.
    const adminCert = await issueCertificate(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
    const call = (method: string, path: string, body?: unknown) =>
      new Promise<{ status: number; json: any }>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(new URL(path, admin), { method, ca: ca.cert, cert: adminCert.cert, key: adminCert.key, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
        });
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })).status).toBe(201);
    const sa = (await call('POST', SA, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ctl' } })).json;
    const token = (await call('POST', `${SA}/ctl/token`, tokenRequest())).json.status.token as string;
    const jti = claimsOf(token).claims.jti;

    const whoami = await httpsRequest(admin, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca.cert, token, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(whoami.status).toBe(201);
    expect(whoami.json.status.userInfo).toEqual({
      username: `system:serviceaccount:${NS}:ctl`,
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
    });
    expect((await httpsRequest(admin, 'GET', `/api/v1/namespaces/${NS}/configmaps`, ca.cert, token)).status).toBe(200);

    // Another audience is not for this API.
    const vault = (await call('POST', `${SA}/ctl/token`, tokenRequest({ audiences: ['vault'] }))).json.status.token as string;
    expect((await httpsRequest(admin, 'GET', '/api/v1/namespaces', ca.cert, vault)).status).toBe(401);
    // A tampered token is refused.
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(token).claims, sub: 'system:admin' })).toString('base64url')}.${s}`;
    expect((await httpsRequest(admin, 'GET', '/api/v1/namespaces', ca.cert, forged)).status).toBe(401);

    expect((await call('DELETE', `${SA}/ctl`)).status).toBe(200);
    const after = await httpsRequest(admin, 'GET', '/api/v1/namespaces', ca.cert, token);
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });
});
