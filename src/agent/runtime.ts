/**
 * What the agent needs from a container runtime (a small CRI): run a pod's containers, stop them, and say
 * how they are. Runtimes report changes through the listener; the agent turns them into pod status.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
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

  // Streaming (the kubelet API's containerLogs, exec, attach, portForward). Optional so that a runtime
  // without them still builds: the kubelet API answers a clear Status for what its runtime lacks.
  /** A container's log, as `kubectl logs` asks for it; rejects with a RuntimeStreamError. */
  logs?(uid: string, container: string, opts: LogOptions): Promise<Readable>;
  /** Runs `cmd` in a running container with the streams asked for. */
  exec?(uid: string, container: string, cmd: string[], opts: StreamOptions): Promise<ContainerStreams>;
  /** Connects to the streams of the container's main process. */
  attach?(uid: string, container: string, opts: StreamOptions): Promise<ContainerStreams>;
  /** A TCP connection to `port` in the pod's network namespace. */
  portForward?(uid: string, port: number): Promise<Duplex>;
}

/** The options of GET /containerLogs (PodLogOptions), already validated. */
export interface LogOptions {
  follow?: boolean;
  /** The previous instance of the container (after a restart). */
  previous?: boolean;
  timestamps?: boolean;
  /** Only the last n lines. */
  tailLines?: number;
  /** Only lines written at or after this time (ms since the epoch): sinceSeconds and sinceTime resolved. */
  sinceMs?: number;
  /** Stop after this many bytes. */
  limitBytes?: number;
  /** Aborted when the client went away: a follow ends. */
  signal?: AbortSignal;
}

/** Which streams an exec or attach wants, as the request's query says. */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** With a TTY, stderr is merged into stdout. */
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** The running side of an exec or attach. */
export interface ContainerStreams {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  resize(size: TerminalSize): void;
  /** The process's exit code once it ended (an attach resolves when the container's process exits). */
  exitCode: Promise<number>;
  /** Drops the connection to the process (the client went away); an exec'd process is not killed. */
  close(): void;
}

/**
 * A failure the kubelet API answers as a Status: `code` 404 for a pod or container it does not know, 400
 * for a request the container cannot serve (not running), 501 for what the runtime does not do.
 */
export class RuntimeStreamError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeStreamError';
  }
}
