export { Agent, NODE_STATUS_REPORT_MS } from './agent.js';
export type { AgentOptions } from './agent.js';
export type { PodRuntime, RuntimePodStatus, RuntimeContainerStatus, LogOptions, StreamOptions, ContainerStreams, TerminalSize } from './runtime.js';
export { RuntimeStreamError } from './runtime.js';
export { SimulatedRuntime, EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION } from './runtime/simulated.js';
export { buildNode, podCIDR } from './node-object.js';
export { buildPodStatus, podPhase } from './pod-status.js';
export { NodeLease, NODE_LEASE_NAMESPACE, LEASE_DURATION_SECONDS } from './node-lease.js';
