/**
 * The node Lease a kubelet keeps in kube-node-lease (NodeLease): holder the node, 40 s duration (by
 * default), renewed every quarter of the duration with an update that carries the last resourceVersion; on a
 * conflict or a missing lease it reads or creates it again. The lease is owned by the Node, so it goes
 * when the node is deleted.
 */
import { isAlreadyExists, isConflict, isNotFound, resources } from '../client/index.js';
import type { Client, Lease } from '../client/index.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
export const RENEW_INTERVAL_MS = 10_000;

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class NodeLease {
  private lease: Lease | undefined;

  constructor(
    private readonly client: Client,
    private readonly nodeName: string,
    private readonly nodeUid: () => string | undefined,
    private readonly durationSeconds = LEASE_DURATION_SECONDS,
  ) {}

  private desired(base?: Lease): Lease {
    const uid = this.nodeUid();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...base,
      metadata: {
        ...base?.metadata,
        name: this.nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }] } : {}),
      },
      spec: { ...base?.spec, holderIdentity: this.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: microTime() },
    };
  }

  /** One renewal (creating the lease when it is missing). */
  async renew(): Promise<void> {
    const api = this.client.resource(resources.leases, NODE_LEASE_NAMESPACE);
    if (this.lease) {
      try {
        this.lease = await api.update(this.desired(this.lease));
        return;
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
        this.lease = undefined;
      }
    }
    try {
      this.lease = await api.update(this.desired(await api.get(this.nodeName)));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        this.lease = await api.create(this.desired());
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }
}
