/**
 * The subresources kube-apiserver serves by connecting to a kubelet (pods/log, exec, attach, portforward,
 * proxy; nodes/proxy) or to a Service's endpoints (services/proxy). pgkube has no kubelet API to connect
 * to, so after upstream's own checks (the object exists, the container is valid, the pod has a node, the
 * node exists, the service has endpoints) each answers what kube-apiserver answers when it cannot reach
 * the backend: 503 with a message that says why.
 */
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import { badRequest, failureStatus } from '../../machinery/status.js';
import type { StatusError } from '../../machinery/status.js';
import type { SpecialHandler, SpecialRequest } from '../resource.js';

const NO_KUBELET = 'pgkube runs no kubelet API for the API server to connect to';

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

/** The node must exist (kubelet connection info comes from it); then there is no kubelet to dial. */
async function dialKubelet(req: SpecialRequest, nodeName: string): Promise<never> {
  await req.stores.get('/v1/nodes')!.get('', nodeName);
  throw unreachable(`error dialing backend: no node agent serves the kubelet API of node "${nodeName}": ${NO_KUBELET}`);
}

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
    return dialKubelet(req, node);
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
      return dialKubelet(req, node);
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

/** nodes/proxy: the node's kubelet. */
export const nodeProxyHandler: SpecialHandler = {
  verbs: PROXY_VERBS,
  connect: true,
  async handle(req) {
    return dialKubelet(req, req.name.split(':')[0] ?? req.name);
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
