/**
 * The docker runtime: one node's pods as real Docker containers (a kubelet with the Docker Engine as its
 * CRI). Each pod gets a PodWorker; container exits arrive through docker's event stream (kubelet's PLEG),
 * and containers of an earlier agent run, found by label, are adopted instead of started twice.
 */
import Docker from 'dockerode';
import { EventRecorder, silentLogger } from '../../client/index.js';
import type { Client, Logger, Pod } from '../../client/index.js';
import { ApiObjects } from '../docker/api-objects.js';
import { readHostResolvConf } from '../docker/dns.js';
import { ensurePodNetwork } from '../docker/engine.js';
import { LABEL_NODE, LABEL_POD_UID } from '../docker/labels.js';
import { PodWorker } from '../docker/pod-worker.js';
import type { FoundContainer, WorkerEnv } from '../docker/pod-worker.js';
import { PodIPPool } from '../ip-pool.js';
import { RuntimeStreamError } from '../runtime.js';
import type { ContainerStreams, LogOptions, PodRuntime, RuntimePodStatus, StreamOptions } from '../runtime.js';
import { connectToPod, dockerAttach, dockerExec, dockerLogs } from '../docker/streams.js';
import type { Duplex, Readable } from 'node:stream';

export const DEFAULT_INFRA_IMAGE = 'local/busybox:1';
const RELIST_MS = 5000;
/** What the sandbox runs when it is the default busybox image: nothing but a long sleep that stops on TERM. */
const INFRA_COMMAND = ['sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

export interface DockerRuntimeOptions {
  client: Client;
  nodeName: string;
  podCIDR: string;
  hostIP: string;
  rootDir: string;
  docker?: Docker;
  infraImage?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** The first wait of the crash-loop back-off (kubelet: 10 s); the longest is 30 times it (300 s). */
  backoffBaseMs?: number;
  syncFrequencyMs?: number;
  allocatable?: Record<string, string>;
  log?: Logger;
}

export class DockerRuntime implements PodRuntime {
  readonly name = 'docker';
  readonly docker: Docker;
  private readonly workers = new Map<string, PodWorker>();
  private readonly found = new Map<string, FoundContainer[]>();
  private readonly listeners: ((uid: string) => void)[] = [];
  private readonly ips: PodIPPool;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private events?: NodeJS.ReadableStream;
  private relistTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.docker = opts.docker ?? new Docker();
    this.ips = new PodIPPool(opts.podCIDR);
    this.log = opts.log ?? silentLogger;
    this.recorder = new EventRecorder(opts.client, { component: 'kubelet', host: opts.nodeName }, { log: this.log });
  }

  /** Makes the pod network, finds this node's containers from an earlier run and follows docker's events. */
  async start(): Promise<void> {
    await ensurePodNetwork(this.docker);
    const list = await this.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_NODE}=${this.opts.nodeName}`] }) });
    for (const c of list) {
      const uid = c.Labels[LABEL_POD_UID];
      if (!uid) continue;
      const arr = this.found.get(uid) ?? [];
      arr.push({ id: c.Id, labels: c.Labels, running: c.State === 'running' });
      this.found.set(uid, arr);
    }
    if (list.length > 0) this.log.info({ containers: list.length, pods: this.found.size }, 'found containers of an earlier run');
    await this.followEvents();
    this.relistTimer = setInterval(() => void this.relist().catch((e: unknown) => this.log.warn({ err: String(e) }, 'relist failed')), RELIST_MS);
    this.relistTimer.unref();
  }

  /**
   * kubelet's PLEG relist, as a safety net under the event stream: a container a worker thinks is running
   * but docker has stopped (an event missed while the stream reconnected) is handled as exited.
   */
  private async relist(): Promise<void> {
    const list = await this.docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL_NODE}=${this.opts.nodeName}`], status: ['running'] }) });
    const running = new Set(list.map((c) => c.Id));
    for (const w of this.workers.values()) {
      for (const id of w.runningIds()) if (!running.has(id)) await w.onContainerExit(id);
    }
  }

  private async followEvents(): Promise<void> {
    const stream = await this.docker.getEvents({
      filters: JSON.stringify({ type: ['container'], event: ['die'], label: [`${LABEL_NODE}=${this.opts.nodeName}`] }) as unknown as Record<string, string[]>,
    });
    this.events = stream;
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          const ev = JSON.parse(line) as { id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
          const uid = ev.Actor?.Attributes?.[LABEL_POD_UID];
          const id = ev.id ?? ev.Actor?.ID;
          const w = uid ? this.workers.get(uid) : undefined;
          if (w && id) void w.onContainerExit(id).catch((e: unknown) => this.log.warn({ err: String(e) }, 'container exit handling failed'));
        } catch {
          // a partial or foreign line: skip it
        }
      }
    });
    const again = () => {
      if (this.closed) return;
      this.log.warn({}, 'docker event stream ended; following it again');
      setTimeout(() => void this.followEvents().catch((e: unknown) => this.log.error({ err: String(e) }, 'docker events unavailable')), 1000);
    };
    stream.on('end', again);
    stream.on('error', () => undefined);
  }

  private workerEnv(): WorkerEnv {
    const o = this.opts;
    const base = o.backoffBaseMs ?? 10_000;
    return {
      docker: this.docker,
      api: new ApiObjects(o.client),
      recorder: this.recorder,
      log: this.log,
      nodeName: o.nodeName,
      hostIP: o.hostIP,
      ips: this.ips,
      rootDir: o.rootDir,
      infraImage: o.infraImage ?? DEFAULT_INFRA_IMAGE,
      infraCommand: (o.infraImage ?? DEFAULT_INFRA_IMAGE) === DEFAULT_INFRA_IMAGE ? INFRA_COMMAND : undefined,
      dns: { clusterDNS: o.clusterDNS ?? [], clusterDomain: o.clusterDomain ?? 'cluster.local', hostResolvConf: readHostResolvConf() },
      allocatable: o.allocatable ?? {},
      backoffBaseMs: base,
      backoffMaxMs: base * 30,
      syncFrequencyMs: o.syncFrequencyMs ?? 60_000,
      changed: () => undefined,
    };
  }

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  runPod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    const have = this.workers.get(uid);
    if (have) {
      have.update(pod);
      return;
    }
    const env = this.workerEnv();
    env.changed = () => {
      for (const l of this.listeners) l(uid);
    };
    const w = new PodWorker(pod, env, this.found.get(uid) ?? []);
    this.found.delete(uid);
    this.workers.set(uid, w);
    w.start();
  }

  killPod(uid: string, gracePeriodSeconds: number): Promise<void> {
    return this.workers.get(uid)?.kill(gracePeriodSeconds) ?? Promise.resolve();
  }

  forgetPod(uid: string): void {
    const w = this.workers.get(uid);
    this.workers.delete(uid);
    if (w) void w.remove().catch((e: unknown) => this.log.warn({ uid, err: String(e) }, 'removing pod containers failed'));
  }

  status(uid: string): RuntimePodStatus | undefined {
    return this.workers.get(uid)?.status();
  }

  removeOrphans(liveUids: Set<string>): void {
    for (const [uid, found] of this.found) {
      if (liveUids.has(uid)) continue;
      this.found.delete(uid);
      this.log.info({ uid, containers: found.length }, 'removing containers of a pod that is gone');
      for (const f of found) void this.docker.getContainer(f.id).remove({ force: true }).catch(() => undefined);
    }
  }

  private worker(uid: string): PodWorker {
    const w = this.workers.get(uid);
    if (!w) throw new RuntimeStreamError(404, `pod ${uid} is not running on node ${this.opts.nodeName}`);
    return w;
  }

  private containerOf(uid: string, container: string) {
    const w = this.worker(uid);
    const c = w.container(container);
    if (!c) throw new RuntimeStreamError(404, `container ${container} is not valid for pod ${w.description}`);
    return { w, c };
  }

  async logs(uid: string, container: string, opts: LogOptions): Promise<Readable> {
    const { w, c } = this.containerOf(uid, container);
    const id = opts.previous ? c.previousId : c.id;
    if (!id) {
      if (opts.previous) throw new RuntimeStreamError(400, `previous terminated container "${container}" in pod "${w.description}" not found`);
      throw new RuntimeStreamError(400, `container "${container}" in pod "${w.description}" is waiting to start: no log yet`);
    }
    return dockerLogs(this.docker, id, c.tty, opts);
  }

  async exec(uid: string, container: string, cmd: string[], opts: StreamOptions): Promise<ContainerStreams> {
    const { c } = this.containerOf(uid, container);
    if (!c.id || !c.running) throw new RuntimeStreamError(400, `container not found ("${container}")`);
    return dockerExec(this.docker, c.id, cmd, opts);
  }

  async attach(uid: string, container: string, opts: StreamOptions): Promise<ContainerStreams> {
    const { c } = this.containerOf(uid, container);
    if (!c.id || !c.running) throw new RuntimeStreamError(400, `container not found ("${container}")`);
    return dockerAttach(this.docker, c.id, c.tty, opts);
  }

  async portForward(uid: string, port: number): Promise<Duplex> {
    const w = this.worker(uid);
    if (!w.ip) throw new RuntimeStreamError(400, `pod ${w.description} has no IP yet`);
    return connectToPod(w.ip, port, w.description);
  }

  close(): void {
    this.closed = true;
    if (this.relistTimer) clearInterval(this.relistTimer);
    for (const w of this.workers.values()) w.detach();
    (this.events as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    void this.recorder.shutdown();
  }
}
