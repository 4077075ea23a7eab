/**
 * A runtime without processes, for scale tests (as KWOK's): a pod's containers are "running" after a start
 * delay; they exit only when told to by annotation, and on a stop they take the whole grace period, as
 * processes that ignore SIGTERM would. Nothing is executed and no network traffic is sent.
 *
 * Annotations read from the pod:
 * - `pgkube.io/simulate-exit-code: "<n>"`: the containers exit with code n once running for
 *   `pgkube.io/simulate-run-seconds` (default 0); honoured for restartPolicy Never and OnFailure (the
 *   simulation does not restart containers), ignored for Always.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import type { Pod } from '../../client/index.js';
import { RuntimeStreamError } from '../runtime.js';
import type { ContainerStreams, LogOptions, PodRuntime, RuntimeContainerStatus, RuntimePodStatus } from '../runtime.js';

export const EXIT_CODE_ANNOTATION = 'pgkube.io/simulate-exit-code';
export const RUN_SECONDS_ANNOTATION = 'pgkube.io/simulate-run-seconds';

/** RFC 3339 in whole seconds, as metav1.Time. */
export function metaTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The image reference a CRI runtime reports: registry and tag made explicit. */
export function normalizeImage(image: string): string {
  let ref = image;
  const lastSlash = ref.lastIndexOf('/');
  if (!ref.includes('@') && !ref.slice(lastSlash + 1).includes(':')) ref += ':latest';
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  return ref;
}

function imageID(image: string): string {
  const ref = normalizeImage(image);
  const repo = ref.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${createHash('sha256').update(ref).digest('hex')}`;
}

interface SimPod {
  pod: Pod;
  status: RuntimePodStatus;
  timers: NodeJS.Timeout[];
  stopped?: Promise<void>;
  resolveStop?: () => void;
  /** When the containers are killed, once a stop was asked for (ms since the epoch). */
  killAt?: number;
}

export interface SimulatedRuntimeOptions {
  /** How long a pod takes from accepted to running (image pull, start), in ms. */
  podStartDelayMs?: number;
}

export class SimulatedRuntime implements PodRuntime {
  readonly name = 'simulated';
  private readonly pods = new Map<string, SimPod>();
  private readonly listeners: ((uid: string) => void)[] = [];
  private readonly startDelayMs: number;

  constructor(opts: SimulatedRuntimeOptions = {}) {
    this.startDelayMs = opts.podStartDelayMs ?? 1000;
  }

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  private changed(uid: string): void {
    for (const l of this.listeners) l(uid);
  }

  status(uid: string): RuntimePodStatus | undefined {
    return this.pods.get(uid)?.status;
  }

  runPod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    if (this.pods.has(uid)) return;
    const waiting = (name: string, image: string): RuntimeContainerStatus => ({
      name,
      image: normalizeImage(image),
      imageID: '',
      containerID: '',
      state: { waiting: { reason: 'ContainerCreating' } },
      ready: false,
      started: false,
      restartCount: 0,
    });
    const spec = pod.spec;
    const sim: SimPod = {
      pod,
      timers: [],
      status: {
        sandboxReady: false,
        initialized: (spec?.initContainers ?? []).length === 0,
        startTime: metaTime(),
        initContainers: (spec?.initContainers ?? []).map((c) => ({ ...waiting(c.name, c.image ?? ''), state: { waiting: { reason: 'PodInitializing' } } })),
        containers: (spec?.containers ?? []).map((c) => waiting(c.name, c.image ?? '')),
      },
    };
    this.pods.set(uid, sim);
    this.changed(uid);
    sim.timers.push(setTimeout(() => this.start(uid), this.startDelayMs));
  }

  /** The start delay has passed: init containers have run to completion and the containers run. */
  private start(uid: string): void {
    const sim = this.pods.get(uid);
    if (!sim || sim.stopped) return;
    const now = metaTime();
    const st = sim.status;
    st.sandboxReady = true;
    st.initialized = true;
    const newID = () => `simulated://${randomBytes(32).toString('hex')}`;
    for (const c of st.initContainers) {
      const containerID = newID();
      Object.assign(c, { containerID, imageID: imageID(c.image), ready: true, started: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID } } });
    }
    for (const c of st.containers) Object.assign(c, { containerID: newID(), imageID: imageID(c.image), ready: true, started: true, state: { running: { startedAt: now } } });
    this.changed(uid);
    const code = sim.pod.metadata.annotations?.[EXIT_CODE_ANNOTATION];
    const policy = sim.pod.spec?.restartPolicy ?? 'Always';
    if (code !== undefined && policy !== 'Always' && /^-?\d+$/.test(code)) {
      const runMs = Number(sim.pod.metadata.annotations?.[RUN_SECONDS_ANNOTATION] ?? '0') * 1000;
      sim.timers.push(setTimeout(() => this.exit(uid, Number(code)), Number.isFinite(runMs) ? runMs : 0));
    }
  }

  private exit(uid: string, exitCode: number): void {
    const sim = this.pods.get(uid);
    if (!sim) return;
    const finishedAt = metaTime();
    for (const c of sim.status.containers) {
      if (!c.state.running) continue;
      c.state = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: c.state.running.startedAt, finishedAt, containerID: c.containerID } };
      c.ready = false;
      c.started = false;
    }
    this.changed(uid);
  }

  killPod(uid: string, gracePeriodSeconds: number): Promise<void> {
    const sim = this.pods.get(uid);
    if (!sim) return Promise.resolve();
    const deadline = Date.now() + Math.max(0, gracePeriodSeconds) * 1000;
    // A second stop with a shorter grace period (a delete that shortens it) brings the kill forward.
    if (sim.stopped && sim.killAt !== undefined && deadline >= sim.killAt) return sim.stopped;
    for (const t of sim.timers) clearTimeout(t);
    sim.timers = [];
    sim.killAt = deadline;
    sim.stopped ??= new Promise<void>((resolve) => {
      sim.resolveStop = resolve;
    });
    // The containers ignore SIGTERM: they are killed (exit 137) when the grace period ends.
    sim.timers.push(
      setTimeout(() => {
        this.exit(uid, 137);
        sim.resolveStop?.();
      }, deadline - Date.now()),
    );
    return sim.stopped;
  }

  forgetPod(uid: string): void {
    const sim = this.pods.get(uid);
    if (!sim) return;
    for (const t of sim.timers) clearTimeout(t);
    this.pods.delete(uid);
  }

  close(): void {
    for (const uid of [...this.pods.keys()]) this.forgetPod(uid);
  }

  private container(uid: string, container: string): RuntimeContainerStatus {
    const sim = this.pods.get(uid);
    if (!sim) throw new RuntimeStreamError(404, `pod ${uid} is not known to the simulated runtime`);
    const c = [...sim.status.initContainers, ...sim.status.containers].find((x) => x.name === container);
    if (!c) throw new RuntimeStreamError(404, `container ${container} is not known to the simulated runtime`);
    return c;
  }

  /**
   * There is no process, so no output: the log says so, once for the container's start. With follow it
   * stays open (nothing more will come) until the client goes away.
   */
  async logs(uid: string, container: string, opts: LogOptions): Promise<Readable> {
    const c = this.container(uid, container);
    if (opts.previous) throw new RuntimeStreamError(400, `previous terminated container "${container}" in pod not found`);
    const startedAt = c.state.running?.startedAt ?? c.state.terminated?.startedAt;
    const out = new PassThrough();
    let text = '';
    if (startedAt && (opts.sinceMs === undefined || Date.parse(startedAt) >= opts.sinceMs) && opts.tailLines !== 0) {
      const line = `simulated container ${container} started: the simulated runtime runs no processes, so there is no output\n`;
      text = opts.timestamps ? `${new Date(Date.parse(startedAt)).toISOString().replace('Z', '000000Z')} ${line}` : line;
    }
    if (opts.limitBytes !== undefined) text = text.slice(0, opts.limitBytes);
    out.write(text);
    if (!opts.follow || !opts.signal) out.end();
    else if (opts.signal.aborted) out.end();
    else opts.signal.addEventListener('abort', () => out.end(), { once: true });
    return out;
  }

  async exec(uid: string, container: string): Promise<ContainerStreams> {
    this.container(uid, container);
    throw new RuntimeStreamError(400, 'the simulated runtime runs no processes: exec is not supported');
  }

  async attach(uid: string, container: string): Promise<ContainerStreams> {
    this.container(uid, container);
    throw new RuntimeStreamError(400, 'the simulated runtime runs no processes: attach is not supported');
  }

  async portForward(uid: string): Promise<Duplex> {
    if (!this.pods.has(uid)) throw new RuntimeStreamError(404, `pod ${uid} is not known to the simulated runtime`);
    throw new RuntimeStreamError(400, 'the simulated runtime has no pod network: port-forward is not supported');
  }
}
