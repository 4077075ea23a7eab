/**
 * The service account token authenticator (kube-apiserver's serviceaccount JWT authenticator with
 * ServiceAccountLookup): a token we signed, of an accepted issuer and audience, not expired, whose service
 * account (and bound Pod, Secret or Node) still exists with the UID the token names. The user is
 * `system:serviceaccount:<ns>:<name>` in `system:serviceaccounts` and `system:serviceaccounts:<ns>`, with
 * the credential id and the bound pod and node as extra attributes, as upstream.
 */
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import { StatusError } from '../../machinery/status.js';
import type { GenericStore } from '../../registry/generic-store.js';
import { SERVICE_ACCOUNT_USER_PREFIX, SERVICE_ACCOUNTS_GROUP } from '../../registry/serviceaccounts/token-issuer.js';
import type { ObjectRefClaim, ServiceAccountTokens } from '../../registry/serviceaccounts/token-issuer.js';
import type { AuthnResult } from './x509.js';

export type TokenAuthenticator = (token: string) => Promise<AuthnResult>;

async function lookup(store: GenericStore | undefined, namespace: string, name: string): Promise<KubeObject | undefined> {
  if (!store) return undefined;
  try {
    return (await store.get(namespace, name)).object;
  } catch (err) {
    if (err instanceof StatusError && err.status.code === 404) return undefined;
    throw err;
  }
}

function deleted(o: KubeObject, now: number): boolean {
  const ts = o.metadata.deletionTimestamp;
  return typeof ts === 'string' && Date.parse(ts) < now;
}

export function serviceAccountAuthenticator(tokens: ServiceAccountTokens, stores: Map<string, GenericStore>): TokenAuthenticator {
  return async (token) => {
    const verified = tokens.verify(token);
    if (verified === undefined || 'error' in verified) return verified;
    const k = verified.kubernetes;
    const now = Date.now();
    const check = async (store: string, namespace: string, ref: ObjectRefClaim, what: string): Promise<string | undefined> => {
      const o = await lookup(stores.get(store), namespace, ref.name);
      if (!o) return `${what} ${namespace ? `${namespace}/` : ''}${ref.name} has been deleted`;
      if (ref.uid && o.metadata.uid !== ref.uid) return `${what} UID (${ref.uid}) does not match ${what} in record (${o.metadata.uid})`;
      if (deleted(o, now)) return `${what} ${ref.name} is being deleted`;
      return undefined;
    };
    const problem =
      (await check('/v1/serviceaccounts', k.namespace, k.serviceaccount, 'service account')) ??
      (k.pod ? await check('/v1/pods', k.namespace, k.pod, 'pod') : undefined) ??
      (k.secret ? await check('/v1/secrets', k.namespace, k.secret, 'secret') : undefined) ??
      (k.node && !k.pod ? await check('/v1/nodes', '', k.node, 'node') : undefined);
    if (problem) return { error: problem };
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (isPlainObject(k.node)) {
      extra['authentication.kubernetes.io/node-name'] = [k.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
    }
    if (verified.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${verified.jti}`];
    return {
      user: {
        username: `${SERVICE_ACCOUNT_USER_PREFIX}${k.namespace}:${k.serviceaccount.name}`,
        uid: k.serviceaccount.uid,
        groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${k.namespace}`],
        extra,
      },
    };
  };
}
