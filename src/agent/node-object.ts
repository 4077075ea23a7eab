/**
 * The Node object a kubelet registers and the status it reports: capacity and allocatable, addresses,
 * system info, the four kubelet conditions with their reasons and messages, daemon endpoints.
 */
import { createHash } from 'node:crypto';
import type { Node, NodeCondition, NodeSystemInfo } from '../client/index.js';

export interface NodeShape {
  name: string;
  /** Position of the node among those of the agent: picks its pod CIDR and address. */
  index: number;
  cpu: string;
  memory: string;
  pods: string;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  kubeletVersion?: string;
  runtimeVersion?: string;
  /** A real node's values, where a simulated one derives them from its index. */
  podCIDR?: string;
  address?: string;
  hostname?: string;
  kubeletPort?: number;
  /** `simulated` unless told (the node.pgkube.io/runtime label and providerID scheme). */
  runtimeName?: string;
  nodeInfo?: Partial<NodeSystemInfo>;
}

export const KUBELET_PORT = 10250;

/** 10.244.x.0/24 style: 256 nodes per /16, starting at 10.244.0.0 (the usual cluster pod range). */
export function podCIDR(index: number): string {
  return `10.${244 + (index >> 8)}.${index & 255}.0/24`;
}

/** A documentation-style internal address per node; nothing is ever sent to it. */
export function nodeAddress(index: number): string {
  const n = index + 1;
  return `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`;
}

function hexId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

function uuidOf(seed: string): string {
  const h = hexId(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The kubelet's four node conditions, all healthy, with upstream's reasons and messages. */
export function healthyConditions(now: string, old?: NodeCondition[]): NodeCondition[] {
  const make = (type: string, status: string, reason: string, message: string): NodeCondition => {
    const prev = old?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now };
  };
  return [
    make('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    make('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    make('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    make('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function buildNode(shape: NodeShape, now: string, bootID: string): Node {
  const resources = {
    cpu: shape.cpu,
    memory: shape.memory,
    pods: shape.pods,
    'ephemeral-storage': shape.ephemeralStorage ?? '100Gi',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
  };
  const cidr = shape.podCIDR ?? podCIDR(shape.index);
  const runtimeName = shape.runtimeName ?? 'simulated';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: shape.name,
      labels: {
        'beta.kubernetes.io/arch': shape.nodeInfo?.architecture ?? 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': shape.nodeInfo?.architecture ?? 'amd64',
        'kubernetes.io/hostname': shape.name,
        'kubernetes.io/os': 'linux',
        'node.pgkube.io/runtime': runtimeName,
        ...shape.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr], providerID: `${runtimeName}://${shape.name}` },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: healthyConditions(now),
      addresses: [
        { type: 'InternalIP', address: shape.address ?? nodeAddress(shape.index) },
        { type: 'Hostname', address: shape.hostname ?? shape.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: shape.kubeletPort ?? KUBELET_PORT } },
      nodeInfo: {
        machineID: hexId(`machine/${shape.name}`),
        systemUUID: uuidOf(`system/${shape.name}`),
        bootID,
        kernelVersion: 'simulated',
        osImage: 'pgkube simulated node',
        containerRuntimeVersion: shape.runtimeVersion ?? 'simulated://0.1.0',
        kubeletVersion: shape.kubeletVersion ?? 'v1.33.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
        ...shape.nodeInfo,
      },
      images: [],
    },
  };
}
