/**
 * kubelet's getPhase for a runtime that restarts containers: init containers gate the pod (a failed one
 * fails it under restartPolicy Never), sidecars (restartable init containers) count as running but never
 * make the pod terminal, and a regular container waiting after a termination counts as stopped.
 */
import type { Pod } from '../../client/index.js';
import type { RuntimeContainerStatus } from '../runtime.js';

export function kubeletPhase(pod: Pod, init: RuntimeContainerStatus[], containers: RuntimeContainerStatus[], initialized: boolean, terminal: boolean): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of init.filter((s) => !s.sidecar)) {
    const s = c.state;
    if (s.running) pendingInit++;
    else if (s.terminated) {
      if (s.terminated.exitCode !== 0) failedInit++;
    } else if (c.lastState?.terminated) {
      if (c.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of init.filter((s) => s.sidecar)) {
    if (c.state.running) {
      if (!c.started) pendingInit++;
      running++;
    } else if (c.state.waiting && !c.lastState?.terminated) {
      pendingInit++;
      waiting++;
    }
  }
  for (const c of containers) {
    const s = c.state;
    if (s.running) running++;
    else if (s.terminated) {
      stopped++;
      if (s.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !initialized) || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
