/** The node lifecycle controller (kube-controller-manager's "node-lifecycle-controller", alias "nodelifecycle"). */
import type { ControllerContext } from '../context.js';
import { NodeLifecycleController } from './controller.js';
import type { NodeLifecycleOptions } from './controller.js';

export const name = 'nodelifecycle';
export { NodeLifecycleController, NODE_LIFECYCLE_DEFAULTS } from './controller.js';
export type { NodeLifecycleOptions } from './controller.js';

/** Runs until ctx.signal aborts. */
export function start(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): Promise<void> {
  return new NodeLifecycleController(ctx, opts).run();
}
