/**
 * One "spec.nodeName" index on the shared pod informer, whichever controller asks first (upstream:
 * controller.AddPodNodeNameIndexer, which several controllers call on the same informer).
 */
import type { Pod, SharedInformer, Store } from '../../client/index.js';

export const POD_NODE_NAME_INDEX = 'spec.nodeName';

const indexed = new WeakSet<Store<Pod>>();

export function addPodNodeNameIndexer(pods: SharedInformer<Pod>): void {
  if (indexed.has(pods.store)) return;
  pods.store.addIndexers({ [POD_NODE_NAME_INDEX]: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
  indexed.add(pods.store);
}

export function podsOnNode(pods: SharedInformer<Pod>, nodeName: string): Pod[] {
  return pods.store.byIndex(POD_NODE_NAME_INDEX, nodeName);
}
