/**
 * The subresources kube-apiserver serves by connecting to a kubelet (pods/log, exec, attach, portforward;
 * nodes/proxy) or to a pod or a Service's endpoints (pods/proxy, services/proxy). After upstream's own
 * checks (the object exists, the container is valid, the pod has a node, the node exists) the kubelet ones
 * answer where the node's agent serves its kubelet API (its InternalIP and daemonEndpoints port), and the
 * HTTP layer proxies the request there. A node that reports no kubelet endpoint, and the pod and service
 * proxies (nothing routes to pod IPs yet), answer what kube-apiserver answers when it cannot reach the
 * backend: 503 with a message that says why.
 */
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import { badRequest, failureStatus } from '../../machinery/status.js';
import type { StatusError } from '../../machinery/status.js';
import type { KubeletTarget, SpecialHandler, SpecialRequest, SpecialResponse } from '../resource.js';

const NO_KUBELET = 'pgkube runs no kubelet API for the API server to connect to';
const NO_ENDPOINT = 'the node reports no kubelet endpoint (an address and status.daemonEndpoints.kubeletEndpoint.Port)';
/** Address types tried in order (kube-apiserver's --kubelet-preferred-address-types, InternalIP first). */
const ADDRESS_TYPES = ['InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS', 'Hostname'];

function containerNames(pod: KubeObject): string[] {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const names: string[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isPlainObject(c) && typeof c.name === 'string') names.push(c.name);
  }
  return names;
}

/** validateContainer / streamLocation's container check, with upstream's messages. */
function checkContainer(pod: KubeObject, container: string): void {
  const name = pod.metadata.name ?? '';
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (container === '') {
    if (containers.length === 1) return;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containerNames(pod).join(' ')}]`);
  }
  if (!containerNames(pod).includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
}

function unreachable(message: string): StatusError {
  return failureStatus({ code: 503, reason: 'ServiceUnavailable', message });
}

/** The node must exist: its kubelet's address and port come from its status (kubelet's ConnectionInfo). */
async function kubeletOf(req: SpecialRequest, nodeName: string, path: string): Promise<SpecialResponse> {
  const node = (await req.stores.get('/v1/nodes')!.get('', nodeName)).object;
  const status = isPlainObject(node.status) ? node.status : {};
  const endpoints = isPlainObject(status.daemonEndpoints) ? status.daemonEndpoints : {};
  const kubelet = isPlainObject(endpoints.kubeletEndpoint) ? endpoints.kubeletEndpoint : {};
  const port = typeof kubelet.Port === 'number' ? kubelet.Port : 0;
  const addresses = Array.isArray(status.addresses) ? status.addresses.filter(isPlainObject) : [];
  let host = '';
  for (const type of ADDRESS_TYPES) {
    const a = addresses.find((x) => x.type === type && typeof x.address === 'string' && x.address !== '');
    if (a) {
      host = a.address as string;
      break;
    }
  }
  if (port <= 0 || host === '') {
    throw unreachable(`error dialing backend: no node agent serves the kubelet API of node "${nodeName}": ${NO_ENDPOINT}`);
  }
  const proxy: KubeletTarget = { node: nodeName, host, port, path };
  return { code: 200, body: undefined, proxy };
}

/** The one container of a pod that has one, when the request names none (checkContainer allowed it). */
function containerOf(pod: KubeObject, query: URLSearchParams): string {
  return query.get('container') || containerNames(pod)[0] || '';
}

/** Copies the named query parameters (every value) for the kubelet. */
function pick(query: URLSearchParams, names: string[]): string {
  const out = new URLSearchParams();
  for (const n of names) for (const v of query.getAll(n)) out.append(n, v);
  const s = out.toString();
  return s ? `?${s}` : '';
}

const seg = encodeURIComponent;

function nodeOf(pod: KubeObject): string {
  return isPlainObject(pod.spec) && typeof pod.spec.nodeName === 'string' ? pod.spec.nodeName : '';
}

/** pods/log: an unscheduled pod has no log yet (upstream answers an empty body); else the kubelet serves it. */
export const podLogHandler: SpecialHandler = {
  verbs: ['get'],
  connect: true,
  async handle(req) {
    const pod = (await req.store.get(req.namespace, req.name)).object;
    checkContainer(pod, req.query.get('container') ?? '');
    const node = nodeOf(pod);
    if (node === '') return { code: 200, body: '', contentType: 'text/plain' };
    const container = containerOf(pod, req.query);
    const query = pick(req.query, ['follow', 'previous', 'timestamps', 'sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes']);
    return kubeletOf(req, node, `/containerLogs/${seg(req.namespace)}/${seg(req.name)}/${seg(container)}${query}`);
  },
};

/** pods/exec, attach, portforward: streams from the kubelet of the pod's node. */
export function podStreamHandler(verbs: string[], checksContainer: boolean): SpecialHandler {
  return {
    verbs,
    connect: true,
    async handle(req) {
      const pod = (await req.store.get(req.namespace, req.name)).object;
      if (checksContainer) checkContainer(pod, req.query.get('container') ?? '');
      const node = nodeOf(pod);
      if (node === '') throw badRequest(`pod ${req.name} does not have a host assigned`);
      const where = `${seg(req.namespace)}/${seg(req.name)}`;
      if (req.subresource === 'portforward') return kubeletOf(req, node, `/portForward/${where}${pick(req.query, ['ports'])}`);
      const container = seg(containerOf(pod, req.query));
      const query = pick(req.query, [...(req.subresource === 'exec' ? ['command'] : []), 'stdin', 'stdout', 'stderr', 'tty']);
      return kubeletOf(req, node, `/${req.subresource}/${where}/${container}${query}`);
    },
  };
}

const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

/** pods/proxy: to the pod's IP, which nothing here routes to. */
export const podProxyHandler: SpecialHandler = {
  verbs: PROXY_VERBS,
  connect: true,
  async handle(req) {
    const pod = (await req.store.get(req.namespace, req.name.split(':')[0] ?? req.name)).object;
    const ip = isPlainObject(pod.status) && typeof pod.status.podIP === 'string' ? pod.status.podIP : '';
    if (ip === '') throw badRequest('address not allowed');
    throw unreachable(`error trying to reach service: no node agent routes to pod IP ${ip}: ${NO_KUBELET}`);
  },
};

/** nodes/proxy: the node's kubelet API, at the path after proxy/. */
export const nodeProxyHandler: SpecialHandler = {
  verbs: PROXY_VERBS,
  connect: true,
  async handle(req) {
    const query = req.query.toString();
    return kubeletOf(req, req.name.split(':')[0] ?? req.name, `/${req.subpath ?? ''}${query ? `?${query}` : ''}`);
  },
};

/** services/proxy: to one of the service's ready endpoints. */
export const serviceProxyHandler: SpecialHandler = {
  verbs: PROXY_VERBS,
  connect: true,
  async handle(req) {
    // The name may carry a scheme and port: [scheme:]name[:port].
    const parts = req.name.split(':');
    const name = parts.length === 3 ? parts[1] : parts[0];
    await req.store.get(req.namespace, name);
    let endpoints: KubeObject | undefined;
    try {
      endpoints = (await req.stores.get('/v1/endpoints')!.get(req.namespace, name)).object;
    } catch {
      endpoints = undefined;
    }
    const subsets = endpoints && Array.isArray((endpoints as Record<string, unknown>).subsets) ? ((endpoints as Record<string, unknown>).subsets as unknown[]) : [];
    const ready = subsets.some((s) => isPlainObject(s) && Array.isArray(s.addresses) && s.addresses.length > 0);
    if (!ready) throw unreachable(`no endpoints available for service "${name}"`);
    throw unreachable(`error trying to reach service: no node agent routes to the endpoints of service "${name}": ${NO_KUBELET}`);
  },
};
