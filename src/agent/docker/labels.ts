/**
 * How the docker runtime names and labels what it makes, so an agent finds its own containers after a
 * restart and tests clean up by label (kubelet's dockershim used the same label keys).
 */
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const LABEL_NODE = 'pgkube.node';
/** `sandbox` for the pause role, `init`, `sidecar` or `app` for the pod's containers. */
export const LABEL_ROLE = 'pgkube.role';
/** The pod's IP, kept on the sandbox so a restarted agent gives it back to the same pod. */
export const LABEL_POD_IP = 'pgkube.pod-ip';

export const SANDBOX_NAME = 'POD';
export const NETWORK_NAME = 'pgkube';
export const NETWORK_SUBNET = '10.244.0.0/16';
export const NETWORK_GATEWAY = '10.244.0.1';

/** Docker names allow [a-zA-Z0-9_.-]; pod and container names are DNS labels, so only the node may need it. */
function safe(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** `pgkube_<node>_<ns>_<pod>_<container>_<attempt>`. */
export function containerName(node: string, namespace: string, pod: string, container: string, attempt: number): string {
  return ['pgkube', node, namespace, pod, container, String(attempt)].map(safe).join('_');
}

export function podLabels(node: string, pod: { uid: string; name: string; namespace: string }): Record<string, string> {
  return { [LABEL_NODE]: node, [LABEL_POD_UID]: pod.uid, [LABEL_POD_NAME]: pod.name, [LABEL_POD_NAMESPACE]: pod.namespace };
}
