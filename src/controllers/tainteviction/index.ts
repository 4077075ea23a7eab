/** The taint eviction controller (kube-controller-manager's "taint-eviction-controller", alias "tainteviction"). */
import type { ControllerContext } from '../context.js';
import { TaintEvictionController } from './controller.js';

export const name = 'tainteviction';
export { TaintEvictionController } from './controller.js';

/** Runs until ctx.signal aborts. */
export function start(ctx: ControllerContext): Promise<void> {
  return new TaintEvictionController(ctx).run();
}
