/** The ReplicaSet controller (kube-controller-manager's "replicaset"). */
import { resources } from '../../client/index.js';
import type { ReplicaSet } from '../../client/index.js';
import { labelSelectorFromObject } from '../../machinery/labels.js';
import type { ControllerContext } from '../context.js';
import { ReplicaController } from './replica-controller.js';
import type { ReplicaControllerOptions } from './replica-controller.js';
import type { ReplicaKind } from './replica-kind.js';

export const name = 'replicaset';

export const replicaSetKind: ReplicaKind<ReplicaSet> = {
  name,
  ref: resources.replicasets,
  ownerKind: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  component: 'replicaset-controller',
  selector: (rs) => labelSelectorFromObject(rs.spec?.selector),
};

/** Runs until ctx.signal aborts; 5 workers by default, as --concurrent-replicaset-syncs. */
export function start(ctx: ControllerContext, opts: ReplicaControllerOptions = {}): Promise<void> {
  return new ReplicaController(ctx, replicaSetKind, opts).run();
}
