import type { FilterPlugin } from '../framework.js';
import { tolerated } from './tolerations.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

/** The taint that stands for spec.unschedulable; a pod tolerating it may go to a cordoned node. */
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate it. */
export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(state, node) {
    if (!node.node.spec?.unschedulable) return undefined;
    if (tolerated(state.pod.spec?.tolerations, UNSCHEDULABLE_TAINT)) return undefined;
    return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_UNSCHEDULABLE] };
  },
};
