import type { FilterPlugin } from '../framework.js';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

/**
 * NodeName: a pod that names a node fits only that one. (The scheduler does not pick up pods with
 * spec.nodeName set; the filter matters for pods whose affinity names a node through matchFields.)
 */
export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(state, node) {
    const wanted = state.pod.spec?.nodeName;
    if (!wanted || wanted === node.name) return undefined;
    return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_NAME] };
  },
};
