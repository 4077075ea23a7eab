/**
 * Service account tokens as kube-apiserver issues and checks them (pkg/serviceaccount): JWTs signed with
 * the --service-account-signing-key-file key, verified with the --service-account-key-file keys, issued by
 * the first --service-account-issuer and accepted from any of them, for the API audiences.
 */
import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { decodeJwt, signJwt, verifyJwtSignature } from '../../machinery/jwt.js';

export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
/** kubelet asks for this duration; the token then lives a year and warns after the asked time (upstream). */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
export const EXPIRATION_EXTENSION_SECONDS = 365 * 24 * 3600;
/** Leeway for exp and nbf, as go-jose's DefaultLeeway. */
const LEEWAY_SECONDS = 60;

export interface ObjectRefClaim {
  name: string;
  uid: string;
}

/** The private `kubernetes.io` claim. */
export interface KubernetesClaims {
  namespace: string;
  serviceaccount: ObjectRefClaim;
  pod?: ObjectRefClaim;
  secret?: ObjectRefClaim;
  node?: ObjectRefClaim;
  warnafter?: number;
}

export interface ServiceAccountTokenConfig {
  signingKey: KeyObject;
  /** Keys tokens are verified with; the signing key's public half is always among them. */
  publicKeys: KeyObject[];
  /** The first issues; all are accepted. */
  issuers: string[];
  /** --api-audiences: the default audiences of a TokenRequest and what the authenticator accepts. */
  audiences: string[];
  /** --service-account-max-token-expiration in seconds; 0: no cap. */
  maxExpirationSeconds: number;
  /** --service-account-extend-token-expiration (default true). */
  extendExpiration: boolean;
}

export interface IssueRequest {
  namespace: string;
  serviceAccount: ObjectRefClaim;
  audiences: string[];
  expirationSeconds: number;
  warnAfterSeconds?: number;
  pod?: ObjectRefClaim;
  secret?: ObjectRefClaim;
  node?: ObjectRefClaim;
}

export interface VerifiedToken {
  jti?: string;
  kubernetes: KubernetesClaims;
}

export class ServiceAccountTokens {
  readonly publicKeys: KeyObject[];

  constructor(readonly config: ServiceAccountTokenConfig) {
    this.publicKeys = [createPublicKey(config.signingKey), ...config.publicKeys];
  }

  get issuer(): string {
    return this.config.issuers[0];
  }

  issue(req: IssueRequest, now = new Date()): { token: string; expiresAt: Date } {
    const iat = Math.floor(now.getTime() / 1000);
    const kubernetes: KubernetesClaims = { namespace: req.namespace, serviceaccount: req.serviceAccount };
    if (req.pod) {
      kubernetes.pod = req.pod;
      if (req.node) kubernetes.node = req.node;
    } else if (req.secret) kubernetes.secret = req.secret;
    else if (req.node) kubernetes.node = req.node;
    if (req.warnAfterSeconds) kubernetes.warnafter = iat + req.warnAfterSeconds;
    const claims = {
      aud: req.audiences,
      exp: iat + req.expirationSeconds,
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': kubernetes,
      nbf: iat,
      sub: `${SERVICE_ACCOUNT_USER_PREFIX}${req.namespace}:${req.serviceAccount.name}`,
    };
    return { token: signJwt(claims, this.config.signingKey), expiresAt: new Date((iat + req.expirationSeconds) * 1000) };
  }

  /**
   * Checks a bearer token: undefined when it is not a service account token of ours (another authenticator
   * may know it), an error text when it is ours but invalid, else its claims. The objects it names are
   * checked by the caller.
   */
  verify(token: string, now = Date.now()): VerifiedToken | { error: string } | undefined {
    const jwt = decodeJwt(token);
    if (!jwt || typeof jwt.claims.iss !== 'string' || !this.config.issuers.includes(jwt.claims.iss)) return undefined;
    if (!verifyJwtSignature(jwt, this.publicKeys)) return { error: 'token signature is invalid' };
    const c = jwt.claims;
    const seconds = now / 1000;
    if (typeof c.exp === 'number' && seconds > c.exp + LEEWAY_SECONDS) return { error: 'service account token has expired' };
    if (typeof c.nbf === 'number' && seconds < c.nbf - LEEWAY_SECONDS) return { error: 'service account token is not valid yet' };
    const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
    if (!aud.some((a) => this.config.audiences.includes(a as string))) return { error: 'token audiences is invalid for the target audiences' };
    const k = c['kubernetes.io'] as KubernetesClaims | undefined;
    if (!k || typeof k.namespace !== 'string' || typeof k.serviceaccount?.name !== 'string') return { error: 'service account token claims are incomplete' };
    return { jti: typeof c.jti === 'string' ? c.jti : undefined, kubernetes: k };
  }
}
