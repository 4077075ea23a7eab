import type { Client, EventRecorder, Logger, SharedInformerFactory } from '../client/index.js';

export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory; // shared by all controllers of the process
  recorder(component: string): EventRecorder;
  log: Logger;
  signal: AbortSignal; // aborted when leadership is lost or the process stops
}
