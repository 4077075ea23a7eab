/**
 * Zones and their disruption states (upstream: ComputeZoneState, handleDisruption and setLimiterInZone of
 * pkg/controller/nodelifecycle). Evictions (here: NoExecute taints) go at --node-eviction-rate while a zone is
 * healthy, at --secondary-node-eviction-rate (0 in zones of at most --large-cluster-size-threshold nodes)
 * while it is partially disrupted, and stop everywhere when every zone is fully disrupted: then the control
 * plane, not the nodes, is the likelier culprit.
 */
import type { Node, NodeCondition } from '../../client/index.js';

export type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';
const LABEL_ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_REGION_BETA = 'failure-domain.beta.kubernetes.io/region';
/** Nodes with this label count toward no zone's health (upstream: LabelNodeExcludeDisruption). */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

export interface EvictionRates {
  nodeEvictionRate: number;
  secondaryNodeEvictionRate: number;
  largeClusterSizeThreshold: number;
  unhealthyZoneThreshold: number;
}

/** "region:\0:zone" as upstream's GetZoneKey; "" for a node with neither label. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region = labels[LABEL_REGION] ?? labels[LABEL_REGION_BETA] ?? '';
  const zone = labels[LABEL_ZONE] ?? labels[LABEL_ZONE_BETA] ?? '';
  if (region === '' && zone === '') return '';
  return `${region}:\x00:${zone}`;
}

export function excludedFromDisruption(node: Node): boolean {
  return node.metadata.labels?.[LABEL_EXCLUDE_DISRUPTION] !== undefined;
}

/** A zone's state from its nodes' Ready conditions (a missing one counts as not ready). */
export function computeZoneState(ready: (NodeCondition | undefined)[], unhealthyZoneThreshold: number): { notReady: number; state: ZoneState } {
  let readyNodes = 0;
  let notReady = 0;
  for (const c of ready) {
    if (c && c.status === 'True') readyNodes++;
    else notReady++;
  }
  if (readyNodes === 0 && notReady > 0) return { notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + readyNodes) >= unhealthyZoneThreshold) return { notReady, state: 'PartialDisruption' };
  return { notReady, state: 'Normal' };
}

/** The tainting rate (per second) of a zone in `state` with `zoneSize` nodes. */
export function zoneEvictionRate(state: ZoneState, zoneSize: number, r: EvictionRates): number {
  if (state === 'PartialDisruption') return zoneSize > r.largeClusterSizeThreshold ? r.secondaryNodeEvictionRate : 0;
  return r.nodeEvictionRate;
}
