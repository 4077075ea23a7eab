/**
 * A deliberately small Docker pod runner for the streaming tests, until the docker runtime (branch
 * docker-runtime) lands: one container per app container on the default bridge, command and args as
 * given, no init containers, volumes, probes, restarts or sandbox. Streaming goes through the product's
 * src/agent/runtime/docker-streams.ts, which is what these tests are about.
 */
import Docker from 'dockerode';
import type { Pod } from '../../src/client/index.js';
import { dockerAttach, dockerExec, dockerLogs, dockerPortForward } from '../../src/agent/runtime/docker-streams.js';
import { RuntimeStreamError } from '../../src/agent/runtime.js';
import type { ContainerStreams, LogOptions, PodRuntime, RuntimePodStatus, StreamOptions } from '../../src/agent/runtime.js';
import type { Duplex, Readable } from 'node:stream';

/** Every container these tests make carries this label (value: the test's run id), for clean-up. */
export const TEST_LABEL = 'pgkube.test';

interface RunningPod {
  status: RuntimePodStatus;
  containers: Map<string, string>; // container name -> docker id
  ip?: string;
}

export class DockerPodRuntime implements PodRuntime {
  readonly name = 'docker-test';
  readonly docker = new Docker();
  private readonly pods = new Map<string, RunningPod>();
  private readonly listeners: ((uid: string) => void)[] = [];

  constructor(private readonly runId: string) {}

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  status(uid: string): RuntimePodStatus | undefined {
    return this.pods.get(uid)?.status;
  }

  runPod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    if (this.pods.has(uid)) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const running: RunningPod = {
      containers: new Map(),
      status: {
        sandboxReady: false,
        initialized: true,
        startTime: now,
        initContainers: [],
        containers: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name, image: c.image ?? '', imageID: '', containerID: '', state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false, restartCount: 0,
        })),
      },
    };
    this.pods.set(uid, running);
    void this.start(pod, running).catch((err: unknown) => {
      for (const c of running.status.containers) c.state = { waiting: { reason: 'CreateContainerError', message: (err as Error).message } };
      this.changed(uid);
    });
  }

  private changed(uid: string): void {
    for (const l of this.listeners) l(uid);
  }

  private async start(pod: Pod, running: RunningPod): Promise<void> {
    const uid = pod.metadata.uid!;
    const ns = pod.metadata.namespace ?? 'default';
    for (const c of pod.spec?.containers ?? []) {
      const container = await this.docker.createContainer({
        name: `pgkube_${pod.spec?.nodeName}_${ns}_${pod.metadata.name}_${c.name}_0`,
        Image: c.image,
        ...(c.command ? { Entrypoint: c.command } : {}),
        ...(c.args ? { Cmd: c.args } : {}),
        Tty: c.tty ?? false,
        OpenStdin: c.stdin ?? false,
        Labels: {
          [TEST_LABEL]: this.runId,
          'io.kubernetes.pod.uid': uid,
          'io.kubernetes.pod.name': pod.metadata.name!,
          'io.kubernetes.pod.namespace': ns,
          'io.kubernetes.container.name': c.name,
          'pgkube.node': pod.spec?.nodeName ?? '',
        },
      });
      await container.start();
      const info = await container.inspect();
      running.containers.set(c.name, container.id);
      running.ip ??= Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
      const st = running.status.containers.find((x) => x.name === c.name)!;
      Object.assign(st, { containerID: `docker://${container.id}`, imageID: info.Image, state: { running: { startedAt: info.State.StartedAt.replace(/\.\d+Z$/, 'Z') } }, ready: true, started: true });
    }
    running.status.sandboxReady = true;
    this.changed(uid);
  }

  private containerId(uid: string, name: string): string {
    const id = this.pods.get(uid)?.containers.get(name);
    if (!id) throw new RuntimeStreamError(404, `container ${name} of pod ${uid} is not running`);
    return id;
  }

  async killPod(uid: string): Promise<void> {
    const p = this.pods.get(uid);
    if (!p) return;
    await Promise.all([...p.containers.values()].map((id) => this.docker.getContainer(id).stop({ t: 0 }).catch(() => {})));
    for (const c of p.status.containers) c.state = { terminated: { exitCode: 137, reason: 'Error' } };
    this.changed(uid);
  }

  forgetPod(uid: string): void {
    const p = this.pods.get(uid);
    this.pods.delete(uid);
    for (const id of p?.containers.values() ?? []) void this.docker.getContainer(id).remove({ force: true }).catch(() => {});
  }

  close(): void {}

  /** Removes every container of this run (or of every run: stale ones from killed test processes). */
  async removeAll(allRuns = false): Promise<void> {
    const filters = { label: [allRuns ? TEST_LABEL : `${TEST_LABEL}=${this.runId}`] };
    const list = await this.docker.listContainers({ all: true, filters });
    await Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  }

  logs(uid: string, container: string, opts: LogOptions): Promise<Readable> {
    if (opts.previous) return Promise.reject(new RuntimeStreamError(400, `previous terminated container "${container}" not found: this test runner never restarts containers`));
    return dockerLogs(this.docker, this.containerId(uid, container), opts);
  }

  exec(uid: string, container: string, cmd: string[], opts: StreamOptions): Promise<ContainerStreams> {
    return dockerExec(this.docker, this.containerId(uid, container), cmd, opts);
  }

  attach(uid: string, container: string, opts: StreamOptions): Promise<ContainerStreams> {
    return dockerAttach(this.docker, this.containerId(uid, container), opts);
  }

  portForward(uid: string, port: number): Promise<Duplex> {
    const ip = this.pods.get(uid)?.ip;
    if (!ip) return Promise.reject(new RuntimeStreamError(404, `pod ${uid} has no IP`));
    return dockerPortForward(ip, port);
  }
}
