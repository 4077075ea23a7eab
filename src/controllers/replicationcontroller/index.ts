/**
 * The ReplicationController controller (kube-controller-manager's "replicationcontroller"): the
 * ReplicaSet controller run over ReplicationControllers, whose selector is a plain label map.
 */
import { resources } from '../../client/index.js';
import type { ReplicationController } from '../../client/index.js';
import { labelSelectorFromObject } from '../../machinery/labels.js';
import type { ControllerContext } from '../context.js';
import { ReplicaController } from '../replicaset/replica-controller.js';
import type { ReplicaControllerOptions } from '../replicaset/replica-controller.js';
import type { ReplicaKind } from '../replicaset/replica-kind.js';

export const name = 'replicationcontroller';

export const replicationControllerKind: ReplicaKind<ReplicationController> = {
  name,
  ref: resources.replicationcontrollers,
  ownerKind: { apiVersion: 'v1', kind: 'ReplicationController' },
  component: 'replication-controller',
  // As upstream's adapter: the map becomes matchLabels (an absent map selects everything).
  selector: (rc) => labelSelectorFromObject({ matchLabels: rc.spec?.selector ?? {} }),
};

/** Runs until ctx.signal aborts; 5 workers by default, as --concurrent-rc-syncs. */
export function start(ctx: ControllerContext, opts: ReplicaControllerOptions = {}): Promise<void> {
  return new ReplicaController(ctx, replicationControllerKind, opts).run();
}
