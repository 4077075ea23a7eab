import type { Profile } from './framework.js';
import { interPodAffinityFilter, interPodAffinityScore } from './plugins/inter-pod-affinity.js';
import { nodeAffinityFilter, nodeAffinityScore } from './plugins/node-affinity.js';
import { nodeName } from './plugins/node-name.js';
import { nodePorts } from './plugins/node-ports.js';
import { balancedAllocation, nodeResourcesFitFilter, nodeResourcesLeastAllocated } from './plugins/node-resources-fit.js';
import { nodeUnschedulable } from './plugins/node-unschedulable.js';
import { podTopologySpreadFilter, podTopologySpreadScore } from './plugins/pod-topology-spread.js';
import { taintTolerationFilter, taintTolerationScore } from './plugins/taint-toleration.js';

/**
 * The default-scheduler profile: upstream's default plugins in upstream's order, with their default score
 * weights (TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2, InterPodAffinity 2,
 * NodeResourcesBalancedAllocation 1). Volume plugins and ImageLocality are not here: pods with volumes
 * are placed as if they had none, and node images do not count.
 */
export const defaultProfile: Profile = {
  filters: [
    nodeUnschedulable,
    nodeName,
    taintTolerationFilter,
    nodeAffinityFilter,
    nodePorts,
    nodeResourcesFitFilter,
    podTopologySpreadFilter,
    interPodAffinityFilter,
  ],
  scores: [taintTolerationScore, nodeAffinityScore, nodeResourcesLeastAllocated, podTopologySpreadScore, interPodAffinityScore, balancedAllocation],
};
