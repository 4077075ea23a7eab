import type { Client, EventRecorder, Logger, SharedInformerFactory } from '../client/index.js';

/**
 * What every controller of the controller-manager gets (upstream: ControllerContext of
 * cmd/kube-controller-manager/app): one client, one informer factory shared by all controllers of the
 * process, an event recorder per component, a logger, and a signal aborted when leadership is lost or the
 * process stops.
 */
export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory;
  recorder(component: string): EventRecorder;
  log: Logger;
  signal: AbortSignal;
}
