import type { FilterPlugin } from '../framework.js';
import { hostPortsOf } from '../node-info.js';
import type { HostPort } from '../node-info.js';

export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const ANY_IP = '0.0.0.0';

/** Two host ports collide on the same protocol and port when either binds every address or both bind the same one. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  return a.protocol === b.protocol && a.port === b.port && (a.ip === ANY_IP || b.ip === ANY_IP || a.ip === b.ip);
}

/** NodePorts: the host ports a pod asks for must be free on the node. */
export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  filter(state, node) {
    const wanted = state.memo('NodePorts', () => hostPortsOf(state.pod));
    if (wanted.length === 0) return undefined;
    for (const used of node.usedPorts()) {
      if (wanted.some((w) => portsConflict(w, used))) return { code: 'Unschedulable', reasons: [ERR_REASON_NODE_PORTS] };
    }
    return undefined;
  },
};
