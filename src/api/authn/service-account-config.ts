/**
 * The service account token settings of an API server: kube-apiserver's --service-account-signing-key-file,
 * --service-account-key-file, --service-account-issuer, --api-audiences and
 * --service-account-max-token-expiration, read from PEM text. Without a signing key the server makes one
 * for its own lifetime (tokens then stop working when it restarts, and other replicas reject them), and
 * says so.
 */
import { generateKeyPairSync } from 'node:crypto';
import { privateKeyFromPem, publicKeysFromPem } from '../../machinery/jwt.js';
import { algorithmOf } from '../../machinery/jwt.js';
import { ServiceAccountTokens } from '../../registry/serviceaccounts/token-issuer.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountOptions {
  /** PEM of the private key tokens are signed with. */
  signingKey?: string;
  /** PEM texts of the public (or private) keys tokens are verified with. */
  keys?: string[];
  issuers?: string[];
  audiences?: string[];
  maxExpirationSeconds?: number;
  extendExpiration?: boolean;
}

export function serviceAccountTokens(opts: ServiceAccountOptions = {}): { tokens: ServiceAccountTokens; ephemeral: boolean } {
  const ephemeral = opts.signingKey === undefined;
  const signingKey = ephemeral ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : privateKeyFromPem(opts.signingKey!);
  algorithmOf(signingKey);
  const issuers = opts.issuers && opts.issuers.length > 0 ? opts.issuers : [DEFAULT_ISSUER];
  const tokens = new ServiceAccountTokens({
    signingKey,
    publicKeys: (opts.keys ?? []).flatMap(publicKeysFromPem),
    issuers,
    audiences: opts.audiences && opts.audiences.length > 0 ? opts.audiences : issuers,
    maxExpirationSeconds: opts.maxExpirationSeconds ?? 0,
    extendExpiration: opts.extendExpiration ?? true,
  });
  return { tokens, ephemeral };
}
