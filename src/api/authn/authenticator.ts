import type { IncomingMessage } from 'node:http';
import { unauthorized } from '../../machinery/status.js';
import type { Authenticator, UserInfo } from '../http-app.js';
import type { TokenFile } from './token-file.js';
import type { TokenAuthenticator } from './service-account.js';
import { clientCertificateUser } from './x509.js';
import type { AuthnResult } from './x509.js';

export const ANONYMOUS_USER = 'system:anonymous';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const AUTHENTICATED_GROUP = 'system:authenticated';

export interface AuthenticatorOptions {
  /** Accept client certificates (the TLS server verifies them against --client-ca-file). */
  clientCertificates?: boolean;
  /** Bearer tokens from --token-auth-file. */
  tokens?: TokenFile;
  /** Service account tokens (JWTs), tried after the token file, as kube-apiserver orders them. */
  serviceAccounts?: TokenAuthenticator;
  /** Told why a request that carried credentials was refused (kube-apiserver logs these). */
  onFailure?: (reason: string, req: IncomingMessage) => void;
}

/**
 * Paths anonymous requests may reach: the health checks (with their sub-paths) and /version, what
 * kube-apiserver's system:public-info-viewer role grants (and its anonymous-auth conditions allow).
 */
export function anonymousAllowed(path: string): boolean {
  return /^\/(?:livez|readyz|healthz)(?:\/.*)?$/.test(path) || /^\/version\/?$/.test(path);
}

/**
 * The request path as the pipeline sees it (http-app.ts parses req.url the same way). Deciding on
 * the same parse matters: WHATWG URLs resolve `..` and `%2e%2e`, so `/livez/../api` is `/api`.
 */
function requestPath(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

/** `Authorization: Bearer <token>`, read as k8s.io/apiserver's bearertoken authenticator reads it. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization?.trim();
  if (!header) return undefined;
  const parts = header.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1]!;
  return token === '' ? undefined : token;
}

function tokenUser(req: IncomingMessage, tokens: TokenFile): AuthnResult {
  const token = bearerToken(req);
  if (token === undefined) return undefined;
  const user = tokens.lookup(token);
  return user ? { user } : { error: 'invalid bearer token' };
}

/** kube-apiserver's AuthenticatedGroupAdder: every authenticated user is in system:authenticated. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

/**
 * Authentication as kube-apiserver does it, for a TLS server: client certificates, then bearer tokens
 * from the token file; the first that names a user wins. Credentials that fail (a certificate the
 * client CA did not sign or that expired, an unknown token) and no other that succeeds: 401. No
 * credentials at all: `system:anonymous` in `system:unauthenticated`, allowed only on the health
 * paths and /version (kube-apiserver's anonymous authenticator with path conditions); elsewhere 401.
 * Until authorisation exists, every authenticated user may do everything.
 */
export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  return async (req) => {
    const errors: string[] = [];
    const attempts: Array<() => AuthnResult | Promise<AuthnResult>> = [];
    if (opts.clientCertificates) attempts.push(() => clientCertificateUser(req.socket));
    if (opts.tokens) {
      const tokens = opts.tokens;
      attempts.push(() => tokenUser(req, tokens));
    }
    if (opts.serviceAccounts) {
      const serviceAccounts = opts.serviceAccounts;
      attempts.push(() => {
        const token = bearerToken(req);
        return token === undefined ? undefined : serviceAccounts(token);
      });
    }
    for (const attempt of attempts) {
      const result = await attempt();
      if (result === undefined) continue;
      if ('user' in result) return withAuthenticatedGroup(result.user);
      errors.push(result.error);
    }
    // A rejected promise, not a throw: the pipeline turns a rejection into the Status response.
    if (errors.length > 0) {
      opts.onFailure?.(errors.join(', '), req);
      return Promise.reject(unauthorized('Unauthorized'));
    }
    if (anonymousAllowed(requestPath(req))) return { username: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };
    return Promise.reject(unauthorized('Unauthorized'));
  };
}
