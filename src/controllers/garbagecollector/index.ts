import type { ControllerContext } from '../context.js';
import { GarbageCollector } from './garbage-collector.js';
import type { GarbageCollectorOptions } from './garbage-collector.js';

export const name = 'garbagecollector';

/** Runs the garbage collector until ctx.signal aborts. */
export async function start(ctx: ControllerContext, opts: GarbageCollectorOptions = {}): Promise<void> {
  await new GarbageCollector(ctx, opts).run();
}
