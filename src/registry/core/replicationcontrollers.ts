import type { Strategy } from '../resource.js';

/**
 * ReplicationControllers: a v1 delete without propagation options orphans the pods, as before the
 * garbage collector existed (upstream rcStrategy.DefaultGarbageCollectionPolicy).
 */
export const replicationControllerStrategy: Strategy = {
  defaultGarbageCollectionPolicy: 'OrphanDependents',
};
