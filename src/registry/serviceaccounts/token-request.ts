/**
 * serviceaccounts/<name>/token (TokenRequest, `kubectl create token`): a signed token for an existing
 * service account, optionally bound to a Pod, Secret or Node, with upstream's defaults and limits
 * (pkg/registry/core/serviceaccount/storage/token.go, ValidateTokenRequest).
 */
import { invalid as fieldInvalid } from '../../machinery/field-errors.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import { badRequest, conflict, failureStatus, invalid } from '../../machinery/status.js';
import type { SpecialHandler, SpecialRequest } from '../resource.js';
import { EXPIRATION_EXTENSION_SECONDS, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } from './token-issuer.js';
import type { ObjectRefClaim } from './token-issuer.js';

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const TOKEN_REQUEST = { group: 'authentication.k8s.io', kind: 'TokenRequest' };

const BOUND_KINDS: Record<string, { store: string; apiVersion: string; namespaced: boolean }> = {
  Pod: { store: '/v1/pods', apiVersion: 'v1', namespaced: true },
  Secret: { store: '/v1/secrets', apiVersion: 'v1', namespaced: true },
  Node: { store: '/v1/nodes', apiVersion: 'v1', namespaced: false },
};

async function boundObject(req: SpecialRequest, ref: Record<string, unknown>): Promise<{ kind: string; object: KubeObject }> {
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
  const bound = Object.hasOwn(BOUND_KINDS, kind) ? BOUND_KINDS[kind] : undefined;
  if (!bound || (apiVersion !== '' && apiVersion !== bound.apiVersion)) {
    const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
    throw badRequest(`cannot bind token to object of type ${gv}, Kind=${kind}`);
  }
  const name = typeof ref.name === 'string' ? ref.name : '';
  const object = (await req.stores.get(bound.store)!.get(bound.namespaced ? req.namespace : '', name)).object;
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== object.metadata.uid) {
    throw conflict(
      { group: '', resource: kind },
      name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return { kind, object };
}

const refOf = (o: KubeObject): ObjectRefClaim => ({ name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });

export const tokenRequestHandler: SpecialHandler = {
  verbs: ['create'],
  bodyKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
  checksBodyTarget: true,
  async handle(req) {
    const tokens = req.serviceAccountTokens;
    if (!tokens) {
      throw failureStatus({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource', details: {} });
    }
    const body = req.body!;
    const name = req.name;
    if (body.metadata.name && body.metadata.name !== name) {
      throw invalid(TOKEN_REQUEST, name, [fieldInvalid('metadata.name', body.metadata.name, 'must match the service account name if specified')]);
    }
    if (body.metadata.namespace && body.metadata.namespace !== req.namespace) {
      throw invalid(TOKEN_REQUEST, name, [fieldInvalid('metadata.namespace', body.metadata.namespace, 'must match the service account namespace if specified')]);
    }
    // The service account first, as upstream: a missing one is 404 before the request is validated.
    const sa = (await req.store.get(req.namespace, name)).object;
    const metadata = { ...body.metadata, name: body.metadata.name || name, namespace: body.metadata.namespace || req.namespace };
    const spec = isPlainObject(body.spec) ? { ...body.spec } : {};
    if (spec.expirationSeconds === undefined || spec.expirationSeconds === null) spec.expirationSeconds = DEFAULT_EXPIRATION_SECONDS;
    const expirationSeconds = spec.expirationSeconds as number;
    const errs = [];
    if (expirationSeconds < MIN_EXPIRATION_SECONDS) errs.push(fieldInvalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'));
    if (expirationSeconds > MAX_EXPIRATION_SECONDS) errs.push(fieldInvalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
    if (errs.length > 0) throw invalid(TOKEN_REQUEST, '', errs);

    let pod: KubeObject | undefined;
    let secret: KubeObject | undefined;
    let node: KubeObject | undefined;
    if (isPlainObject(spec.boundObjectRef)) {
      const { kind, object } = await boundObject(req, spec.boundObjectRef);
      if (kind === 'Pod') {
        pod = object;
        const podSA = isPlainObject(pod.spec) && typeof pod.spec.serviceAccountName === 'string' ? pod.spec.serviceAccountName : '';
        if (podSA !== name) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        const nodeName = isPlainObject(pod.spec) && typeof pod.spec.nodeName === 'string' ? pod.spec.nodeName : '';
        if (nodeName) node = await req.stores.get('/v1/nodes')!.get('', nodeName).then((n) => n.object).catch(() => undefined);
      } else if (kind === 'Secret') secret = object;
      else node = object;
    }
    if (spec.audiences === undefined || spec.audiences === null || (Array.isArray(spec.audiences) && spec.audiences.length === 0)) {
      spec.audiences = tokens.config.audiences;
    }
    const audiences = spec.audiences as string[];

    // Limits: the configured maximum; kubelet's 3607 s on a pod-bound token becomes a year with a warning.
    let exp = expirationSeconds;
    let warnAfter: number | undefined;
    const max = tokens.config.maxExpirationSeconds;
    if (max > 0 && exp > max) {
      exp = max;
      spec.expirationSeconds = max;
    }
    const kubeAudiences = audiences.length === tokens.config.audiences.length && audiences.every((a) => tokens.config.audiences.includes(a));
    if (tokens.config.extendExpiration && pod && exp === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && kubeAudiences) {
      warnAfter = exp;
      exp = Math.max(EXPIRATION_EXTENSION_SECONDS, exp);
    }
    const issued = tokens.issue({
      namespace: req.namespace,
      serviceAccount: refOf(sa),
      audiences,
      expirationSeconds: exp,
      warnAfterSeconds: warnAfter,
      pod: pod && refOf(pod),
      secret: secret && refOf(secret),
      node: node && refOf(node),
    });
    const expiresAt = warnAfter ? new Date(issued.expiresAt.getTime() - (exp - warnAfter) * 1000) : issued.expiresAt;
    return {
      code: 201,
      body: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { ...metadata, creationTimestamp: null },
        spec,
        status: { token: issued.token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
      },
    };
  },
};
