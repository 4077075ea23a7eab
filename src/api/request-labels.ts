import type { IncomingMessage } from 'node:http';
import type { Catalog } from '../registry/catalog.js';
import type { RequestContext } from './http-app.js';

/**
 * How metrics and request logs name a request, as kube-apiserver's endpoints/metrics package does
 * (MonitorRequest, CleanScope, CanonicalVerb, CleanVerb, cleanDryRun):
 *
 * - verb: from the HTTP method, uppercase. GET and HEAD are LIST on a collection; a watch (`?watch=1`
 *   or the `/watch/` path prefix) is WATCH; a PATCH with an apply body is APPLY; connect subresources
 *   are CONNECT. Anything else is "other", so odd methods do not grow the label set.
 * - scope: "resource" when the path names an object or the request creates one, "namespace" for a
 *   collection in a namespace, "cluster" for a cluster-wide collection, "" for non-resource paths.
 * - component: "apiserver" for resource requests, "" for non-resource ones, whose path goes in the
 *   subresource label (as kube-apiserver's /healthz, /livez and /readyz handlers record themselves).
 *
 * Labels only ever take values the server serves: a request for a resource or subresource the catalog
 * lacks, or a non-resource path that answered 404, is counted with empty group, resource and path
 * labels, so a client cannot grow the label set by asking for made-up paths (see finalLabels).
 */
export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

export interface ClassifiedRequest {
  labels: RequestLabels;
  /** Resource requests the catalog serves (the request log names their resource). */
  served: boolean;
  /** Watches and connections (log, exec, proxy, ...): they hold their connection and are counted in apiserver_longrunning_requests. */
  longRunning: boolean;
  /** GET, HEAD, LIST and WATCH (apiserver_current_inflight_requests request_kind="readOnly"). */
  readOnly: boolean;
  /** Health probes and metric scrapes: logged at debug level rather than info. */
  probe: boolean;
  /** For logs: "deployments.apps", "pods/status"; empty for non-resource paths. */
  resourceName: string;
  namespace: string;
  name: string;
}

const VALID_VERBS = new Set(['APPLY', 'CONNECT', 'CREATE', 'DELETE', 'DELETECOLLECTION', 'GET', 'LIST', 'PATCH', 'POST', 'PROXY', 'PUT', 'UPDATE', 'WATCH', 'WATCHLIST']);
const CONNECT_SUBRESOURCES = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);
const PROBE_PATH = /^\/(livez|readyz|healthz)(\/|$)|^\/metrics$/;

function cleanDryRun(query: URLSearchParams): string {
  const values = query.getAll('dryRun');
  if (values.length === 0) return '';
  if (values.some((v) => v !== 'All')) return 'invalid';
  return 'All';
}

export type RequestClassifier = (req: IncomingMessage, ctx: RequestContext) => ClassifiedRequest;

/**
 * Returns the classifier for a server's catalog. The answer for a request is computed once and shared
 * by every observer (metrics, request log, shutdown tracking).
 */
export function requestClassifier(catalog: Catalog): RequestClassifier {
  const cache = new WeakMap<IncomingMessage, ClassifiedRequest>();
  return (req, ctx) => {
    let c = cache.get(req);
    if (!c) {
      c = classify(catalog, req, ctx);
      cache.set(req, c);
    }
    return c;
  };
}

function classify(catalog: Catalog, req: IncomingMessage, ctx: RequestContext): ClassifiedRequest {
  const method = (req.method ?? 'GET').toUpperCase();
  const query = ctx.url.searchParams;
  // A path the resolver refuses is answered with a plain 500 upstream; it counts as non-resource.
  const info = ctx.info instanceof Error ? undefined : ctx.info;
  const probe = PROBE_PATH.test(ctx.path);
  const readOnlyMethod = method === 'GET' || method === 'HEAD';

  if (info?.isResourceRequest) {
    const def = catalog.find(info.apiGroup, info.apiVersion, info.resource);
    const subresourceServed = !info.subresource || (def?.subresources as string[] | undefined)?.includes(info.subresource) === true;
    const served = def !== undefined && subresourceServed;
    const scope = info.name !== '' || method === 'POST' ? 'resource' : info.namespace !== '' ? 'namespace' : 'cluster';
    let verb: string;
    if (info.verb === 'watch') verb = 'WATCH';
    else if (readOnlyMethod) verb = scope === 'resource' ? 'GET' : 'LIST';
    else if (method === 'PATCH' && (req.headers['content-type'] ?? '').split(';')[0].trim() === 'application/apply-patch+yaml') verb = 'APPLY';
    else verb = method;
    if (info.subresource && CONNECT_SUBRESOURCES.has(info.subresource)) verb = 'CONNECT';
    if (!VALID_VERBS.has(verb)) verb = 'other';
    const labels: RequestLabels = served
      ? { verb, dry_run: cleanDryRun(query), group: info.apiGroup, version: info.apiVersion, resource: info.resource, subresource: info.subresource, scope, component: 'apiserver' }
      : { verb, dry_run: cleanDryRun(query), group: '', version: '', resource: '', subresource: '', scope: '', component: 'apiserver' };
    const gr = def ? (def.group ? `${def.plural}.${def.group}` : def.plural) : info.apiGroup ? `${info.resource}.${info.apiGroup}` : info.resource;
    return {
      labels,
      served,
      longRunning: verb === 'WATCH' || verb === 'CONNECT',
      readOnly: readOnlyMethod,
      probe: false,
      resourceName: info.subresource ? `${gr}/${info.subresource}` : gr,
      namespace: info.namespace,
      name: info.name,
    };
  }

  let verb = readOnlyMethod ? 'GET' : method;
  if (!VALID_VERBS.has(verb)) verb = 'other';
  return {
    labels: { verb, dry_run: '', group: '', version: '', resource: '', subresource: ctx.path, scope: '', component: '' },
    served: false,
    longRunning: false,
    readOnly: readOnlyMethod,
    probe,
    resourceName: '',
    namespace: '',
    name: '',
  };
}

/**
 * The labels to record once the response is known. A non-resource path keeps its path only if it was
 * served: not 404, nor refused before routing (401, 403), which any client could make up.
 */
export function finalLabels(c: ClassifiedRequest, statusCode: number): RequestLabels {
  if (c.labels.component === '' && (statusCode === 404 || statusCode === 401 || statusCode === 403)) return { ...c.labels, subresource: '' };
  return c.labels;
}
