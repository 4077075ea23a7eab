import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

/**
 * The certificates of a cluster run by `pgkube up`, kept in `<data-dir>/pki` as kubeadm and k3s keep
 * theirs: a CA, the API server's serving certificate and the administrator's client certificate.
 * Keys are ECDSA P-256 (fast to make, understood by every Kubernetes client), in PKCS#8 PEM, mode 0600.
 * Everything is made on first start and reused; a leaf certificate is made anew when it expires within
 * 90 days, when the CA changed, or (serving) when it lacks a wanted name.
 */

export interface CertificateAuthority {
  cert: string;
  key: string;
}

export interface KeyPair {
  cert: string;
  key: string;
}

export interface IssueOptions {
  commonName: string;
  organizations?: string[];
  /** 'server': serverAuth with SANs; 'client': clientAuth. */
  usage: 'server' | 'client';
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

export interface ClusterPki {
  dir: string;
  ca: CertificateAuthority;
  serving: KeyPair;
  admin: KeyPair;
  /** The service account token signing key (sa.key, PKCS#8) and its public half (sa.pub), as kubeadm names them. */
  serviceAccount: { key: string; pub: string };
  /** Which files were written this time (empty when everything was reused). */
  written: string[];
}

export const ADMIN_USER = 'pgkube-admin';
export const ADMIN_GROUP = 'system:masters';

const DAY = 24 * 3600 * 1000;
const CA_VALIDITY = 3650 * DAY;
const LEAF_VALIDITY = 365 * DAY;
const RENEW_BEFORE = 90 * DAY;
/** Tolerates clocks that are a little behind ours. */
const BACKDATE = 3600 * 1000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

// @peculiar/x509 (with tsyringe, which needs the reflect-metadata polyfill) is loaded only when a
// certificate is made: reading and checking use node:crypto.
type X509Lib = typeof import('@peculiar/x509');
let lib: Promise<X509Lib> | undefined;
function x509(): Promise<X509Lib> {
  lib ??= (async () => {
    await import('reflect-metadata');
    const mod = await import('@peculiar/x509');
    mod.cryptoProvider.set(webcrypto as unknown as Parameters<typeof mod.cryptoProvider.set>[0]);
    return mod;
  })();
  return lib;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

/** A distinguished name in RFC 4514 text with CN first, escaping what needs it. */
function distinguishedName(commonName: string, organizations: string[] = []): string {
  const esc = (v: string) => v.replace(/([\\,+"<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
  return [`CN=${esc(commonName)}`, ...organizations.map((o) => `O=${esc(o)}`)].join(', ');
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const { PemConverter } = await x509();
  return PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const { PemConverter } = await x509();
  const der = PemConverter.decode(pem)[0];
  if (!der) throw new Error('no private key in PEM');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

/** A self-signed CA, named as k3s names its CAs (`<name>@<unix seconds>`). */
export async function createCa(name = 'pgkube-ca', now = new Date()): Promise<CertificateAuthority> {
  const x = await x509();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: distinguishedName(`${name}@${Math.floor(now.getTime() / 1000)}`),
    notBefore: new Date(now.getTime() - BACKDATE),
    notAfter: new Date(now.getTime() + CA_VALIDITY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x.BasicConstraintsExtension(true, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign | x.KeyUsageFlags.digitalSignature, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A certificate signed by `ca` for a new key. */
export async function issueCertificate(ca: CertificateAuthority, opts: IssueOptions): Promise<KeyPair> {
  const x = await x509();
  const caCert = new x.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const extensions: import('@peculiar/x509').Extension[] = [
    new x.BasicConstraintsExtension(false, undefined, true),
    new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature, true),
    new x.ExtendedKeyUsageExtension([opts.usage === 'server' ? x.ExtendedKeyUsage.serverAuth : x.ExtendedKeyUsage.clientAuth]),
    await x.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const names = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x.SubjectAlternativeNameExtension(names));
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: distinguishedName(opts.commonName, opts.organizations),
    issuer: caCert.subject,
    notBefore: opts.notBefore ?? new Date(now - BACKDATE),
    notAfter: opts.notAfter ?? new Date(now + LEAF_VALIDITY),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** An IP address in one spelling, so that `::1` and `0:0:0:0:0:0:0:1` compare equal. */
function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]`).hostname.slice(1, -1);
}

/** The DNS names and IP addresses of a certificate's subjectAltName. */
export function subjectAltNames(cert: X509Certificate): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) dns.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ips.push(canonicalIp(entry.slice(11)));
  }
  return { dns, ips };
}

/** Splits --tls-san values into DNS names and IP addresses. */
export function splitSans(values: string[]): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const v of values.map((s) => s.trim()).filter(Boolean)) {
    if (isIP(v)) ips.push(canonicalIp(v));
    else dns.push(v.toLowerCase());
  }
  return { dns: [...new Set(dns)], ips: [...new Set(ips)] };
}

function readPair(dir: string, name: string): KeyPair | undefined {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** Writes through a temporary file and a rename, so a crash never leaves half a key. */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** sa.key and sa.pub: an RSA 2048 key, as kubeadm makes, kept across restarts so tokens stay valid. */
function ensureServiceAccountKey(dir: string, written: string[]): { key: string; pub: string } {
  const keyFile = path.join(dir, 'sa.key');
  const pubFile = path.join(dir, 'sa.pub');
  if (existsSync(keyFile)) {
    try {
      const key = readFileSync(keyFile, 'utf8');
      const pub = createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'pem' }).toString();
      if (!existsSync(pubFile) || readFileSync(pubFile, 'utf8') !== pub) {
        writeFileAtomic(pubFile, pub, 0o644);
        written.push('sa.pub');
      }
      return { key, pub };
    } catch {
      // unreadable: make a new one below
    }
  }
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  writeFileAtomic(keyFile, key, 0o600);
  writeFileAtomic(pubFile, pub, 0o644);
  written.push('sa.key', 'sa.pub');
  return { key, pub };
}

function writePair(dir: string, name: string, pair: KeyPair, written: string[]): void {
  writeFileAtomic(path.join(dir, `${name}.key`), pair.key, 0o600);
  writeFileAtomic(path.join(dir, `${name}.crt`), pair.cert, 0o644);
  written.push(`${name}.crt`, `${name}.key`);
}

/** Whether a leaf can be kept: signed by this CA, not near its end, and (serving) has every wanted name. */
function usable(pair: KeyPair | undefined, ca: X509Certificate, want?: { dns: string[]; ips: string[] }): boolean {
  if (!pair) return false;
  try {
    const cert = new X509Certificate(pair.cert);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE) return false;
    if (want) {
      const have = subjectAltNames(cert);
      if (!want.dns.every((d) => have.dns.includes(d)) || !want.ips.every((ip) => have.ips.includes(ip))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the cluster's certificates from `dir`, making whatever is missing or due: the CA on first
 * start, the serving certificate for `sans`, the administrator's client certificate.
 */
export async function ensureClusterPki(dir: string, sans: { dns: string[]; ips: string[] }): Promise<ClusterPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const written: string[] = [];
  let ca = readPair(dir, 'ca');
  let caCert: X509Certificate | undefined;
  try {
    if (ca) {
      caCert = new X509Certificate(ca.cert);
      if (!caCert.ca || Date.parse(caCert.validTo) < Date.now()) caCert = undefined;
    }
  } catch {
    caCert = undefined;
  }
  if (!ca || !caCert) {
    ca = await createCa();
    caCert = new X509Certificate(ca.cert);
    writePair(dir, 'ca', ca, written);
  }
  let serving = readPair(dir, 'apiserver');
  if (!usable(serving, caCert, sans)) {
    serving = await issueCertificate(ca, { commonName: 'pgkube-apiserver', usage: 'server', dnsNames: sans.dns, ipAddresses: sans.ips });
    writePair(dir, 'apiserver', serving, written);
  }
  let admin = readPair(dir, 'admin');
  if (!usable(admin, caCert)) {
    admin = await issueCertificate(ca, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP], usage: 'client' });
    writePair(dir, 'admin', admin, written);
  }
  return { dir, ca, serving: serving!, admin: admin!, serviceAccount: ensureServiceAccountKey(dir, written), written };
}
