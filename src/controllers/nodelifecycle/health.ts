/**
 * Whether a node still reports (upstream: tryUpdateNodeHealth of pkg/controller/nodelifecycle). The
 * controller keeps, per node, when it last saw a sign of life: a new heartbeat time on the Ready condition
 * or a later renewTime of the node's Lease in kube-node-lease. A node silent for longer than the grace
 * period (the startup grace period while it has never posted a Ready condition) gets every kubelet
 * condition set to Unknown.
 */
import type { Lease, Node, NodeCondition } from '../../client/index.js';

/** The conditions a kubelet owns; NetworkUnavailable belongs to the network plugin and is left alone. */
export const KUBELET_CONDITION_TYPES = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export const NODE_STATUS_UNKNOWN_REASON = 'NodeStatusUnknown';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';
export const NODE_STATUS_NEVER_UPDATED_REASON = 'NodeStatusNeverUpdated';
export const NODE_STATUS_NEVER_UPDATED_MESSAGE = 'Kubelet never posted node status.';

/** What the controller remembers of a node between passes (upstream: nodeHealthData). */
export interface NodeHealth {
  /** ms since the epoch: the last time a heartbeat or lease renewal was seen. */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition as last seen. */
  ready?: NodeCondition;
  /** The lease's renewTime as last seen. */
  leaseRenewTime?: string;
}

export interface HealthSettings {
  nodeMonitorGracePeriodMs: number;
  nodeStartupGracePeriodMs: number;
}

export function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

function microTimeMs(t: string | undefined): number {
  return t ? Date.parse(t) : Number.NEGATIVE_INFINITY;
}

/**
 * The node's health record after looking at it now: the probe time moves when the Ready heartbeat changed or
 * the lease was renewed since the last look.
 */
export function observeNode(saved: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const current = readyCondition(node);
  const created = Date.parse(node.metadata.creationTimestamp ?? '') || now;
  let health: NodeHealth;
  if (!saved) {
    // First look (also after a controller restart): give the node a whole grace period from now.
    health = { probeTimestamp: current ? now : created, readyTransitionTimestamp: current ? now : created, ready: current };
  } else if (!saved.ready && current) {
    health = { ...saved, probeTimestamp: now, readyTransitionTimestamp: now, ready: current };
  } else if (saved.ready && !current) {
    health = { ...saved, probeTimestamp: now, readyTransitionTimestamp: now, ready: undefined };
  } else if (saved.ready && current && saved.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
    const transition = saved.ready.lastTransitionTime !== current.lastTransitionTime ? now : saved.readyTransitionTimestamp;
    health = { ...saved, probeTimestamp: now, readyTransitionTimestamp: transition, ready: current };
  } else {
    health = { ...saved, ready: current };
  }
  const renew = lease?.spec?.renewTime;
  if (renew && (health.leaseRenewTime === undefined || microTimeMs(health.leaseRenewTime) < microTimeMs(renew))) {
    health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
  }
  return health;
}

/** The grace period that applies: the startup one while the node has never posted a Ready condition. */
export function gracePeriodFor(node: Node, s: HealthSettings): number {
  return readyCondition(node) ? s.nodeMonitorGracePeriodMs : s.nodeStartupGracePeriodMs;
}

export function isSilent(health: NodeHealth, gracePeriodMs: number, now: number): boolean {
  return now > health.probeTimestamp + gracePeriodMs;
}

/**
 * The node's conditions once it is known to be silent: each kubelet condition Unknown (added when missing),
 * the transition time now where the status changes; heartbeat times are kept. Null when nothing changes.
 */
export function unknownConditions(node: Node, nowTime: string): NodeCondition[] | null {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of KUBELET_CONDITION_TYPES) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: NODE_STATUS_NEVER_UPDATED_REASON,
        message: NODE_STATUS_NEVER_UPDATED_MESSAGE,
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: nowTime,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = NODE_STATUS_UNKNOWN_REASON;
      c.message = NODE_STATUS_UNKNOWN_MESSAGE;
      c.lastTransitionTime = nowTime;
      changed = true;
    }
  }
  return changed ? conditions : null;
}
