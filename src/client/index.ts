/**
 * pgkube's TypeScript client: what client-go is to Go. REST calls on typed resources, watch streams,
 * shared informers with indexed caches, a rate-limited workqueue, leader election on a Lease and an event
 * recorder. It talks to any Kubernetes apiserver (pgkube or kube-apiserver) over HTTP only.
 */
export type * from './types/index.js';
export * as types from './types/index.js';
export type { KubeObject, KubeList, WatchEvent, WatchEventType } from './object.js';
export type { ResourceRef } from './resource-ref.js';
export { resourceRef, apiVersionOf } from './resource-ref.js';
export { resources, resourcesByGroupVersion } from './generated/resources.js';
export type { RestConfig } from './kubeconfig.js';
export { loadRestConfig, inClusterConfig, restConfigFromKubeconfig } from './kubeconfig.js';
export {
  ApiError,
  isNotFound,
  isAlreadyExists,
  isConflict,
  isGone,
  isResourceExpired,
  isInvalid,
  isForbidden,
  isUnauthorized,
  isTooManyRequests,
  isTimeout,
} from './errors.js';
export { Client } from './client.js';
export type { ResourceClient, ListOptions, WriteOptions, DeleteOptions, WatchOptions, PatchType, SubresourceClient } from './client.js';
export type { RequestOptions, RawResponse } from './transport.js';
export { decodeWatchStream } from './watch/decode.js';
export { retryWatch } from './watch/retry-watch.js';
export { objectKey, splitKey, isDeletedFinalStateUnknown } from './cache/keys.js';
export type { DeletedFinalStateUnknown } from './cache/keys.js';
export { IndexedStore, NAMESPACE_INDEX, namespaceIndexFunc } from './cache/store.js';
export type { Store, IndexFunc, Indexers } from './cache/store.js';
export { SharedInformerFactory } from './informer/factory.js';
export { SharedIndexInformer } from './informer/shared-informer.js';
export type { SharedInformer, EventHandler, InformerOptions } from './informer/shared-informer.js';
export { WorkQueue } from './workqueue/queue.js';
export { runWorkers } from './workqueue/run-workers.js';
export {
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
} from './workqueue/rate-limiters.js';
export type { RateLimiter } from './workqueue/rate-limiters.js';
export { TokenBucket } from './flowcontrol/token-bucket.js';
export { runLeaderElection } from './leaderelection/leader-election.js';
export type { LeaderElectionOptions } from './leaderelection/leader-election.js';
export { EventRecorder } from './events/recorder.js';
export { EventCorrelator } from './events/correlator.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export { defaultUserAgent } from './user-agent.js';
