/**
 * What the agent needs from a container runtime (a small CRI): run a pod's containers, stop them, and say
 * how they are. Runtimes report changes through the listener; the agent turns them into pod status.
 */
import type { ContainerState, Pod } from '../client/index.js';

export interface RuntimeContainerStatus {
  name: string;
  /** The image as the runtime resolved it (docker.io/library/busybox:latest). */
  image: string;
  imageID: string;
  containerID: string;
  state: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** The previous instance's end, once the container restarted (kubelet's lastState). */
  lastState?: ContainerState;
  /** An init container with restartPolicy Always: counted with the app containers for readiness. */
  sidecar?: boolean;
}

export interface RuntimePodStatus {
  /** The sandbox exists and has its IP (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /** Every init container has completed. */
  initialized: boolean;
  /** When the agent accepted the pod (status.startTime). */
  startTime: string;
  initContainers: RuntimeContainerStatus[];
  containers: RuntimeContainerStatus[];
  /** The pod's IP when the runtime assigns it (else the agent takes one from the node's pool). */
  podIP?: string;
  /** The phase when the runtime restarts containers and computes it as kubelet's getPhase does. */
  phase?: string;
}

export interface PodRuntime {
  readonly name: string;
  /** Starts the pod's sandbox and containers; returns at once, progress comes through `onChange`. */
  runPod(pod: Pod): void;
  /**
   * Stops the pod's containers, giving them `gracePeriodSeconds` to exit; resolves once they all have.
   * The pod's status stays readable until `forgetPod`.
   */
  killPod(uid: string, gracePeriodSeconds: number): Promise<void>;
  /** Drops everything the runtime keeps for the pod. */
  forgetPod(uid: string): void;
  status(uid: string): RuntimePodStatus | undefined;
  /** Called with the pod's uid whenever its status changed. */
  onChange(listener: (uid: string) => void): void;
  close(): void;
  /**
   * Called once the agent knows every pod bound to its nodes: a runtime that found containers of earlier
   * runs removes those of pods that are gone.
   */
  removeOrphans?(liveUids: Set<string>): void;
}
