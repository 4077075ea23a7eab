import { managerFromUserAgent } from '../machinery/apply/index.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyJSONPatch, decodeJSONPatch, JSONPatchApplyError, JSONPatchDecodeError } from '../machinery/json-patch.js';
import { applyMergePatch, MergePatchError } from '../machinery/merge-patch.js';
import type { KubeObject } from '../machinery/object.js';
import { badRequest, failureStatus, methodNotSupported, routeMethodNotAllowed, routeNotFound, unsupportedMediaType } from '../machinery/status.js';
import type { GenericStore } from '../registry/generic-store.js';
import { apiVersionOf } from '../registry/resource.js';
import type { RequestUser, ResourceDefinition, SpecialHandler, SpecialRequest } from '../registry/resource.js';
import { notSupportedYet } from '../registry/special.js';
import type { ServiceAccountTokens } from '../registry/serviceaccounts/token-issuer.js';
import { checkObjectTarget, decodeObject, readBody } from './body.js';
import { isUpgrade, proxyRequest, proxyUpgrade } from './kubelet-proxy.js';
import type { KubeletClientConfig } from './kubelet-proxy.js';
import type { RequestInfo } from './request-info.js';
import { sendJson } from './respond.js';

/**
 * Routes the requests the generic store does not serve as stored CRUD: kinds that are not stored objects
 * (reviews, bindings, component statuses), subresources other than status (scale, eviction, binding, and
 * the ones not implemented yet: log, exec, attach, portforward, proxy, token, ...), and resources listed
 * but not served yet. Each gets its handler's answer, or a clear 405 Status; a subresource the kind does
 * not have is 404, as kube-apiserver's router answers.
 */


function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

function userOf(res: ServerResponse): RequestUser | undefined {
  return (res as ServerResponse & { locals?: { request?: { user?: RequestUser } } }).locals?.request?.user;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** True when the generic resource path (stored CRUD, or the status subresource) serves the request. */
export function servedByGenericStore(def: ResourceDefinition, info: RequestInfo): boolean {
  if (!def.stored || def.unsupported) return false;
  return info.subresource === '' || info.subresource === 'status';
}

/** Answers a request that servedByGenericStore() does not take. */
export async function serveSpecial(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  info: RequestInfo,
  def: ResourceDefinition,
  stores: Map<string, GenericStore>,
  serviceAccountTokens?: ServiceAccountTokens,
  kubeletClient: KubeletClientConfig = {},
): Promise<void> {
  const store = stores.get(`${def.group}/${def.version}/${def.plural}`)!;
  const sub = info.subresource;
  let handler: SpecialHandler | undefined;
  let kind = { group: def.group, version: def.version, kind: def.kind };
  let resource = def.plural;
  if (sub) {
    const sd = def.subresourceDefinitions.find((s) => s.name === sub);
    if (!sd || !info.name || (def.namespaced && !info.namespace)) throw routeNotFound();
    resource = `${def.plural}/${sub}`;
    if (!sd.verbs.includes(info.verb)) throw methodNotSupported({ group: def.group, resource }, info.verb);
    if (def.unsupported) throw notSupportedYet(def.group, resource, info.verb, def.unsupported);
    handler = def.subresourceHandlers[sub];
    kind = { group: sd.group, version: sd.version, kind: sd.kind };
  } else {
    if (!def.verbs.includes(info.verb)) throw methodNotSupported({ group: def.group, resource }, info.verb);
    if (def.unsupported) throw notSupportedYet(def.group, resource, info.verb, def.unsupported);
    if (info.verb === 'create' && (info.name || (def.namespaced && !info.namespace))) {
      throw routeMethodNotAllowed();
    }
    handler = def.handler;
  }
  if (handler?.bodyKind) kind = handler.bodyKind;

  const base = {
    namespace: info.namespace,
    name: info.name,
    subresource: sub,
    user: userOf(res),
    dryRun: dryRunOf(url.searchParams),
    query: url.searchParams,
    fieldManager: url.searchParams.get('fieldManager') || managerFromUserAgent(req.headers['user-agent']),
    store,
    stores,
    serviceAccountTokens,
    subpath: sub ? info.parts.slice(3).join('/') : undefined,
  };
  if (handler && info.verb === 'patch' && !handler.verbs.includes('patch') && handler.verbs.includes('get') && handler.verbs.includes('update')) {
    return patchThroughHandler(req, res, handler, base, kind);
  }
  if (!handler || !handler.verbs.includes(info.verb)) throw notSupportedYet(def.group, resource, info.verb);

  let body: KubeObject | undefined;
  if ((info.verb === 'create' || info.verb === 'update') && !handler.connect) {
    // namespaces/{name}/finalize: the request info names the namespace, but a Namespace has no namespace.
    body = handler.checksBodyTarget
      ? await readTypedBody(req, kind, undefined, undefined)
      : await readTypedBody(req, kind, info.name || undefined, def.namespaced ? info.namespace || undefined : undefined);
  }
  const out = await handler.handle({ ...base, verb: info.verb, body });
  if (out.proxy) {
    if (isUpgrade(req)) return proxyUpgrade(req, res, out.proxy, kubeletClient);
    return proxyRequest(req, res, out.proxy, kubeletClient);
  }
  if (out.contentType !== undefined) {
    res.statusCode = out.code;
    res.setHeader('Content-Type', out.contentType);
    res.end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
    return;
  }
  sendJson(res, out.code, typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
}

async function readTypedBody(
  req: IncomingMessage,
  kind: { group: string; version: string; kind: string },
  name: string | undefined,
  namespace: string | undefined,
): Promise<KubeObject> {
  const raw = await readBody(req);
  const obj = decodeObject(raw, req.headers['content-type'], kind.kind, apiVersionOf(kind));
  checkObjectTarget(obj, { apiVersion: apiVersionOf(kind), kind: kind.kind, name, namespace });
  const meta = obj.metadata;
  if (meta === undefined || meta === null) obj.metadata = {};
  else if (typeof meta !== 'object' || Array.isArray(meta)) throw badRequest('metadata must be an object');
  return obj as KubeObject;
}

/**
 * PATCH of a subresource that has get and update (scale): read it, apply the patch, write it back. The
 * Scale has no lists, so a strategic merge patch applies as a merge patch.
 */
async function patchThroughHandler(
  req: IncomingMessage,
  res: ServerResponse,
  handler: SpecialHandler,
  base: Omit<SpecialRequest, 'verb' | 'body'>,
  kind: { group: string; version: string; kind: string },
): Promise<void> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!PATCH_TYPES.includes(contentType)) throw unsupportedMediaType(contentType, PATCH_TYPES);
  const raw = await readBody(req);
  let patch: unknown;
  try {
    patch = JSON.parse(raw.toString('utf8') || 'null');
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  const current = (await handler.handle({ ...base, verb: 'get' })).body as KubeObject;
  let patched: unknown;
  try {
    patched = contentType === 'application/json-patch+json' ? applyJSONPatch(current, decodeJSONPatch(patch)) : applyMergePatch(current, patch);
  } catch (err) {
    if (err instanceof JSONPatchDecodeError || err instanceof MergePatchError) throw badRequest(err.message);
    if (err instanceof JSONPatchApplyError) {
      throw failureStatus({ code: 422, reason: 'Invalid', message: err.message, details: {} });
    }
    throw err;
  }
  if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('the patch does not result in an object');
  const obj = patched as KubeObject;
  obj.metadata = obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : {};
  obj.apiVersion = apiVersionOf(kind);
  obj.kind = kind.kind;
  // A patch that leaves the resourceVersion it read is not a precondition (the write retries on conflicts).
  if (obj.metadata.resourceVersion === current.metadata?.resourceVersion) delete obj.metadata.resourceVersion;
  const out = await handler.handle({ ...base, verb: 'update', body: obj });
  sendJson(res, out.code, typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
}
