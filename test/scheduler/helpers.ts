import { withNodeName } from '../../src/scheduler/cache.js';
import { NodeInfo } from '../../src/scheduler/node-info.js';
import type { Container, Node, Pod, PodSpec } from '../../src/scheduler/types.js';

let seq = 0;

export function makeNode(name: string, opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; spec?: Node['spec'] } = {}): Node {
  const allocatable = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110' };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: opts.spec ?? {},
    status: { capacity: allocatable, allocatable },
  };
}

export function container(requests?: Record<string, string>, extra: Partial<Container> = {}): Container {
  return { name: `c${seq++}`, image: 'busybox', ...(requests ? { resources: { requests } } : {}), ...extra };
}

export function makePod(name: string, spec: Partial<PodSpec> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...meta },
    spec: { containers: [container()], ...spec },
  };
}

export function info(node: Node, pods: Pod[] = []): NodeInfo {
  const n = new NodeInfo(node);
  for (const p of pods) n.addPod(withNodeName(p, node.metadata.name!));
  return n;
}
