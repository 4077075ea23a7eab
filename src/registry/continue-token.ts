import { badRequest } from '../machinery/status.js';

/**
 * Paged lists hand out an opaque token holding the snapshot revision and the last key served, in the
 * shape kube-apiserver uses (base64 JSON with v/rv/start). rv -1 means "continue from the latest state",
 * which is what the inconsistent token in a 410 answer carries.
 */
interface Token {
  v: string;
  rv: number;
  start: string;
}

export interface Continue {
  rv: bigint | 'latest';
  after: { namespace: string; name: string };
}

export function encodeContinue(rv: bigint | 'latest', after: { namespace: string; name: string }): string {
  const token: Token = { v: 'meta.k8s.io/v1', rv: rv === 'latest' ? -1 : Number(rv), start: `${after.namespace}/${after.name}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(value: string): Continue {
  let token: Token;
  try {
    token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Token;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (token?.v !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: server does not recognize this encoded key');
  if (typeof token.start !== 'string' || !token.start.endsWith('\u0000') || typeof token.rv !== 'number') {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  const key = token.start.slice(0, -1);
  const slash = key.indexOf('/');
  if (slash < 0) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  return {
    rv: token.rv === -1 ? 'latest' : BigInt(token.rv),
    after: { namespace: key.slice(0, slash), name: key.slice(slash + 1) },
  };
}
