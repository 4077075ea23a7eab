/**
 * The scheduler's view of the cluster (upstream's scheduler cache): nodes with the pods on them, fed by the
 * informers, plus pods "assumed" onto a node while their binding is in flight, so the next decisions count
 * them before the informer reports the bound pod.
 */
import { objectKey } from '../client/index.js';
import { NodeInfo } from './node-info.js';
import type { Node, Pod } from './types.js';

/** The pod as it will be once bound to `node`. */
export function withNodeName(pod: Pod, node: string): Pod {
  return { ...pod, spec: { containers: [], ...pod.spec, nodeName: node } };
}

interface PodState {
  node: string;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  /** Node names whose Node object the cache has (pods may arrive before their node). */
  private readonly known = new Set<string>();
  private readonly podStates = new Map<string, PodState>();
  private listCache: NodeInfo[] | undefined;

  private info(name: string): NodeInfo {
    let n = this.infos.get(name);
    if (!n) {
      n = new NodeInfo({ metadata: { name } });
      this.infos.set(name, n);
    }
    return n;
  }

  addOrUpdateNode(node: Node): void {
    const name = node.metadata.name ?? '';
    this.info(name).setNode(node);
    if (!this.known.has(name)) {
      this.known.add(name);
      this.listCache = undefined;
    }
  }

  removeNode(name: string): void {
    this.known.delete(name);
    this.listCache = undefined;
    const n = this.infos.get(name);
    // Pods still bound to a deleted node keep their entry until they go; the node is no longer offered.
    if (n && n.pods.size === 0) this.infos.delete(name);
  }

  /** The nodes pods can be placed on, in a stable order. */
  nodeInfos(): NodeInfo[] {
    this.listCache ??= [...this.known].sort().map((name) => this.infos.get(name)!);
    return this.listCache;
  }

  nodeCount(): number {
    return this.known.size;
  }

  /** A bound pod from the informer: confirms an assumed pod, or moves a pod to the node it is on now. */
  addOrUpdatePod(pod: Pod): void {
    const node = pod.spec?.nodeName;
    if (!node) return;
    const key = objectKey(pod);
    const state = this.podStates.get(key);
    if (state && state.node !== node) this.infos.get(state.node)?.removePod(key);
    this.info(node).addPod(pod);
    this.podStates.set(key, { node, assumed: false });
  }

  removePod(key: string): void {
    const state = this.podStates.get(key);
    if (!state) return;
    this.podStates.delete(key);
    const n = this.infos.get(state.node);
    n?.removePod(key);
    if (n && n.pods.size === 0 && !this.known.has(state.node)) this.infos.delete(state.node);
  }

  /** Counts `pod` on `node` until its binding is confirmed by the informer or forgotten. */
  assume(pod: Pod, node: string): void {
    const key = objectKey(pod);
    this.info(node).addPod(withNodeName(pod, node));
    this.podStates.set(key, { node, assumed: true });
  }

  /** The binding failed: the assumed pod no longer counts. */
  forget(pod: Pod): void {
    const key = objectKey(pod);
    if (this.podStates.get(key)?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed ?? false;
  }
}
