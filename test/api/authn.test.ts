import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { Socket } from 'node:net';
import { anonymousAllowed, bearerToken, createAuthenticator } from '../../src/api/authn/authenticator.js';
import { readCsv, TokenFile } from '../../src/api/authn/token-file.js';
import type { Authenticator, UserInfo } from '../../src/api/http-app.js';
import { createCa, issueCertificate } from '../../src/cli/pki.js';
import type { CertificateAuthority, KeyPair } from '../../src/cli/pki.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

/** A request as the authenticator sees it: a URL, headers, and a plain (non-TLS) socket. */
function fakeRequest(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers, socket: new Socket() } as unknown as IncomingMessage;
}

async function outcome(auth: Authenticator, req: IncomingMessage): Promise<UserInfo | { code: number; body: unknown }> {
  try {
    return (await auth(req))!;
  } catch (err) {
    const status = (err as { status: { code: number } }).status;
    return { code: status.code, body: status };
  }
}

describe('CSV as Go encoding/csv reads it', () => {
  test.each([
    ['a,b,c', [['a', 'b', 'c']]],
    ['a,b,c\n', [['a', 'b', 'c']]],
    ['a,b,c\r\nd,e,f\r\n', [['a', 'b', 'c'], ['d', 'e', 'f']]],
    ['\n\na,b\n\n', [['a', 'b']]],
    ['t,u,1,"g1,g2"', [['t', 'u', '1', 'g1,g2']]],
    ['"a ""quoted"" x",b', [['a "quoted" x', 'b']]],
    ['"multi\nline",b\nc,d', [['multi\nline', 'b'], ['c', 'd']]],
    ['a,,c,', [['a', '', 'c', '']]],
    [' a , b', [[' a ', ' b']]],
    ['', []],
  ])('%j', (text, records) => {
    expect(readCsv(text)).toEqual(records);
  });

  test.each([
    ['a,b"c', 'parse error on line 1, column 4: bare " in non-quoted-field'],
    ['a,"b', 'extraneous or missing " in quoted-field'],
    ['a,"b"c', 'extraneous or missing " in quoted-field'],
    ['ok,1\nx,"y\nz', 'record on line 2; parse error on line 3'],
  ])('%j is an error', (text, message) => {
    expect(() => readCsv(text)).toThrow(message);
  });
});

describe('static token file (kube-apiserver --token-auth-file)', () => {
  test('token,user,uid and optional comma-separated groups', () => {
    const file = TokenFile.parse('tok1,alice,1001,"dev,ops"\ntok2,bob,1002\n', 'tokens.csv');
    expect(file.size).toBe(2);
    expect(file.lookup('tok1')).toEqual({ username: 'alice', uid: '1001', groups: ['dev', 'ops'] });
    expect(file.lookup('tok2')).toEqual({ username: 'bob', uid: '1002', groups: [] });
    expect(file.lookup('tok3')).toBeUndefined();
    expect(file.lookup('')).toBeUndefined();
  });

  test('fewer than three columns is an error, worded as kube-apiserver words it', () => {
    expect(() => TokenFile.parse('tok1,alice\n', '/etc/tokens.csv')).toThrow(
      "token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2",
    );
  });

  test('an empty token is skipped and a duplicate replaces the earlier record, each with a warning', () => {
    const file = TokenFile.parse(',nobody,0\ntok,first,1\ntok,second,2\n', 'f');
    expect(file.lookup('tok')?.username).toBe('second');
    expect(file.warnings).toEqual([
      "empty token has been found in token file 'f', record number '1'",
      "duplicate token has been found in token file 'f', record number '3'",
    ]);
  });

  test('a missing file says which', () => {
    expect(() => TokenFile.load('/nonexistent/tokens.csv')).toThrow(/cannot read token file: .*\/nonexistent\/tokens.csv/);
  });
});

describe('request authentication', () => {
  test.each([
    [undefined, undefined],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['Bearer abc def', 'abc'],
    ['Bearer  abc', undefined], // the space before the token: an empty token, ignored
    ['Bearer', undefined],
    ['Basic YWxpY2U6cHc=', undefined],
  ])('Authorization %j carries bearer token %j', (header, token) => {
    expect(bearerToken(fakeRequest('/', header === undefined ? {} : { authorization: header }))).toBe(token);
  });

  test.each([
    ['/livez', true],
    ['/livez/ping', true],
    ['/readyz', true],
    ['/readyz/postgres', true],
    ['/healthz', true],
    ['/version', true],
    ['/version/', true],
    ['/', false],
    ['/api', false],
    ['/apis', false],
    ['/livezz', false],
    ['/version/x', false],
    ['/api/v1/namespaces', false],
    ['/metrics', false],
  ])('anonymous may reach %s: %s', (path, allowed) => {
    expect(anonymousAllowed(path)).toBe(allowed);
  });

  const tokens = TokenFile.parse('good,alice,1001,"dev,ops"\nmaster,root,0,system:masters,system:authenticated\n');
  const auth = createAuthenticator({ tokens });

  test('a known token is its user, in system:authenticated', async () => {
    expect(await outcome(auth, fakeRequest('/api', { authorization: 'Bearer good' }))).toEqual({
      username: 'alice',
      uid: '1001',
      groups: ['dev', 'ops', 'system:authenticated'],
    });
    // not added twice
    expect(await outcome(auth, fakeRequest('/api', { authorization: 'Bearer master' }))).toEqual({
      username: 'root',
      uid: '0',
      groups: ['system:masters', 'system:authenticated'],
    });
  });

  test('an unknown token is 401, also where anonymous would be allowed', async () => {
    expect(await outcome(auth, fakeRequest('/livez', { authorization: 'Bearer bad' }))).toEqual({ code: 401, body: UNAUTHORIZED });
    expect(await outcome(auth, fakeRequest('/api', { authorization: 'Bearer bad' }))).toEqual({ code: 401, body: UNAUTHORIZED });
  });

  test('no credentials: system:anonymous on the health paths and /version, 401 elsewhere', async () => {
    const anonymous = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    expect(await outcome(auth, fakeRequest('/readyz?verbose'))).toEqual(anonymous);
    expect(await outcome(auth, fakeRequest('/version'))).toEqual(anonymous);
    expect(await outcome(auth, fakeRequest('/api/v1/namespaces'))).toEqual({ code: 401, body: UNAUTHORIZED });
    // Basic auth is not a credential kube-apiserver knows: anonymous.
    expect(await outcome(auth, fakeRequest('/api', { authorization: 'Basic YWxpY2U6cHc=' }))).toEqual({ code: 401, body: UNAUTHORIZED });
  });

  test('the path is decided as the pipeline parses it: dot segments do not sneak past', async () => {
    for (const path of ['/livez/../api/v1/secrets', '/livez/%2e%2e/api', '/healthz/..', '//livez']) {
      expect(await outcome(auth, fakeRequest(path))).toEqual({ code: 401, body: UNAUTHORIZED });
    }
  });

  test('failures are reported for the log, without the token', async () => {
    const reasons: string[] = [];
    const logged = createAuthenticator({ tokens, onFailure: (reason) => reasons.push(reason) });
    await outcome(logged, fakeRequest('/api', { authorization: 'Bearer s3cret' }));
    expect(reasons).toEqual(['invalid bearer token']);
  });
});

interface TlsReply {
  status: number;
  json: unknown;
}

/** One HTTPS request on a fresh connection (so every request makes its own TLS handshake). */
function get(base: string, path: string, ca: string, opts: { cert?: KeyPair; token?: string } = {}): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      new URL(path, base),
      {
        ca,
        agent: false,
        ...(opts.cert ? { cert: opts.cert.cert, key: opts.cert.key } : {}),
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // plain text (health)
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
  });
}

describe('HTTPS with client certificates and tokens (in-process apiserver)', () => {
  let f: ApiFixture;
  let ca: CertificateAuthority;
  let alice: KeyPair;
  let foreign: KeyPair;
  let expired: KeyPair;
  let serverUsage: KeyPair;
  let noCommonName: KeyPair;
  const seen: UserInfo[] = [];
  const reasons: string[] = [];

  beforeAll(async () => {
    ca = await createCa('test-ca');
    const otherCa = await createCa('test-ca'); // same name, other key: only the signature tells
    const serving = await issueCertificate(ca, { commonName: 'apiserver', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    alice = await issueCertificate(ca, { commonName: 'alice', organizations: ['dev', 'ops'], usage: 'client' });
    foreign = await issueCertificate(otherCa, { commonName: 'mallory', organizations: ['system:masters'], usage: 'client' });
    expired = await issueCertificate(ca, {
      commonName: 'old',
      usage: 'client',
      notBefore: new Date(Date.now() - 10 * 86400_000),
      notAfter: new Date(Date.now() - 86400_000),
    });
    serverUsage = await issueCertificate(ca, { commonName: 'eve', usage: 'server', dnsNames: ['eve'] });
    noCommonName = await issueCertificate(ca, { commonName: '', organizations: ['dev'], usage: 'client' });
    const authenticate = createAuthenticator({
      clientCertificates: true,
      tokens: TokenFile.parse('good,bob,1002,ops\n'),
      onFailure: (reason) => reasons.push(reason),
    });
    f = await apiFixture({
      tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
      authenticate: async (req) => {
        const user = await authenticate(req);
        if (user) seen.push(user);
        return user;
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  test('serves https', () => {
    expect(f.base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('a client certificate the CA signed: CN is the user, each O a group', async () => {
    seen.length = 0;
    const r = await get(f.base, '/api/v1/namespaces', ca.cert, { cert: alice });
    expect(r.status).toBe(200);
    expect(seen).toEqual([{ username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] }]);
  });

  test('a bearer token from the token file', async () => {
    seen.length = 0;
    const r = await get(f.base, '/api/v1/namespaces', ca.cert, { token: 'good' });
    expect(r.status).toBe(200);
    expect(seen).toEqual([{ username: 'bob', uid: '1002', groups: ['ops', 'system:authenticated'] }]);
  });

  test('no credentials: health and version answer, everything else is 401 Unauthorized', async () => {
    for (const path of ['/livez', '/readyz', '/healthz', '/livez/ping', '/version']) {
      expect((await get(f.base, path, ca.cert)).status).toBe(200);
    }
    for (const path of ['/api', '/apis', '/api/v1/namespaces', '/', '/openapi/v2']) {
      expect(await get(f.base, path, ca.cert)).toEqual({ status: 401, json: UNAUTHORIZED });
    }
  });

  test.each([
    ['signed by another CA', () => foreign, 'x509: certificate signed by unknown authority'],
    ['expired', () => expired, 'x509: certificate has expired or is not yet valid'],
    ['for servers only (no clientAuth usage)', () => serverUsage, 'x509: certificate specifies an incompatible key usage'],
  ])('a client certificate %s is refused with 401, even on /livez', async (_what, cert, reason) => {
    reasons.length = 0;
    expect(await get(f.base, '/livez', ca.cert, { cert: cert() })).toEqual({ status: 401, json: UNAUTHORIZED });
    expect(reasons).toEqual([expect.stringMatching(new RegExp(`^verifying certificate SN=[0-9A-F]+ failed: ${reason}$`))]);
    expect(await get(f.base, '/api/v1/namespaces', ca.cert, { cert: cert() })).toEqual({ status: 401, json: UNAUTHORIZED });
  });

  test('a refused certificate with a good token: the token authenticates (as kube-apiserver’s union)', async () => {
    seen.length = 0;
    expect((await get(f.base, '/api/v1/namespaces', ca.cert, { cert: foreign, token: 'good' })).status).toBe(200);
    expect(seen[0]?.username).toBe('bob');
  });

  test('a good certificate comes first: an unknown token beside it does not matter', async () => {
    seen.length = 0;
    expect((await get(f.base, '/api/v1/namespaces', ca.cert, { cert: alice, token: 'bad' })).status).toBe(200);
    expect(seen[0]?.username).toBe('alice');
  });

  test('an unknown token is 401 even on /livez', async () => {
    expect(await get(f.base, '/livez', ca.cert, { token: 'bad' })).toEqual({ status: 401, json: UNAUTHORIZED });
  });

  test('a certificate without CN names nobody: anonymous', async () => {
    expect((await get(f.base, '/livez', ca.cert, { cert: noCommonName })).status).toBe(200);
    expect((await get(f.base, '/api', ca.cert, { cert: noCommonName })).status).toBe(401);
  });
});
