/**
 * Compact JWS tokens (RFC 7515/7519) signed and verified with node:crypto, as kube-apiserver's service
 * account tokens use them: RS256 for RSA keys, ES256/ES384/ES512 for ECDSA keys, a `kid` header naming the
 * key (base64url of the SHA-256 of the public key's PKIX DER, upstream's keyIDFromPublicKey).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512';

const HASH: Record<JwtAlgorithm, string> = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
const CURVES: Record<string, JwtAlgorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** The JWS algorithm a key signs with; throws for key types service account tokens do not use. */
export function algorithmOf(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve && Object.hasOwn(CURVES, curve)) return CURVES[curve];
  throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''}: use RSA or ECDSA P-256/P-384/P-521`);
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

/** Every key of a PEM file: private keys give their public half (upstream's keyutil.ParsePublicKeysPEM). */
export function publicKeysFromPem(pem: string): KeyObject[] {
  const blocks = pem.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
  const keys: KeyObject[] = [];
  for (const block of blocks) {
    if (/BEGIN CERTIFICATE/.test(block)) continue;
    keys.push(/PRIVATE KEY/.test(block) ? createPublicKey(createPrivateKey(block)) : createPublicKey(block));
  }
  return keys;
}

export function privateKeyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Signs claims (keys sorted, as go-jose marshals its merged claim map). */
export function signJwt(claims: Record<string, unknown>, privateKey: KeyObject): string {
  const alg = algorithmOf(privateKey);
  const header = { alg, kid: keyIdOf(createPublicKey(privateKey)) };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(sortKeys(claims)))}`;
  const signature = sign(HASH[alg], Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWS, or undefined when the text is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (header === null || typeof header !== 'object' || claims === null || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    return { header: header as Record<string, unknown>, claims: claims as Record<string, unknown>, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

/** Whether one of the keys (of the header's algorithm, and its kid when given) signed the token. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKeys: KeyObject[]): boolean {
  const alg = jwt.header.alg;
  if (typeof alg !== 'string' || !Object.hasOwn(HASH, alg)) return false;
  for (const key of publicKeys) {
    let keyAlg: JwtAlgorithm;
    try {
      keyAlg = algorithmOf(key);
    } catch {
      continue;
    }
    if (keyAlg !== alg) continue;
    if (typeof jwt.header.kid === 'string' && jwt.header.kid !== '' && jwt.header.kid !== keyIdOf(key)) continue;
    if (verify(HASH[keyAlg], Buffer.from(jwt.signingInput), { key, dsaEncoding: 'ieee-p1363' }, jwt.signature)) return true;
  }
  return false;
}
