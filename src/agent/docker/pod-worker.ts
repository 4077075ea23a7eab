/**
 * One pod on a docker node, as kubelet's pod worker runs it: the sandbox holding the pod's network and IPC
 * namespaces (the pause role), volumes and the kubelet-managed /etc/hosts and resolv.conf, init containers
 * in order (sidecars, restartable init containers, started and kept running), then the app containers,
 * restarted by restartPolicy with the crash-loop back-off; probes and lifecycle hooks; the graceful stop.
 * Everything is driven by `sync()`, called on start, on container exits, on probe changes and on timers,
 * and never run twice at once.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Container, ContainerState, Lifecycle, LifecycleHandler, Logger, ObjectReference, Pod } from '../../client/index.js';
import type { EventRecorder } from '../../client/index.js';
import type { PodIPPool } from '../ip-pool.js';
import type { RuntimeContainerStatus, RuntimePodStatus } from '../runtime.js';
import { metaTime, normalizeImage } from '../runtime/simulated.js';
import { ApiObjects, ContainerConfigError } from './api-objects.js';
import { Backoff, goDuration } from './backoff.js';
import { hostsFile, podHostname, resolvConf } from './dns.js';
import type { DnsSettings } from './dns.js';
import type { PodPlacementInfo } from './downward.js';
import { ensurePodNetwork, execIn, localImage, offlinePullError, reportedImageID, terminatedState, toMetaTime } from './engine.js';
import type { LocalImage } from './engine.js';
import { containerCreateOptions } from './container-config.js';
import { containerEnv } from './env.js';
import { runHook } from './hooks.js';
import { containerName, LABEL_CONTAINER_NAME, LABEL_POD_IP, LABEL_RESTART_COUNT, LABEL_ROLE, NETWORK_NAME, podLabels, SANDBOX_NAME } from './labels.js';
import { kubeletPhase } from './phase.js';
import { ProbeWorker } from './probes.js';
import type { ProbeKind } from './probes.js';
import { PodVolumes } from './volumes.js';

export interface WorkerEnv {
  docker: Docker;
  api: ApiObjects;
  recorder: EventRecorder;
  log: Logger;
  nodeName: string;
  hostIP: string;
  ips: PodIPPool;
  rootDir: string;
  infraImage: string;
  /** The command the sandbox runs; undefined: the infra image's own. */
  infraCommand?: string[];
  dns: DnsSettings;
  allocatable: Record<string, string>;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often projected volumes are rewritten from the API (kubelet's sync frequency). */
  syncFrequencyMs: number;
  changed(): void;
}

type Role = 'init' | 'sidecar' | 'app';

interface Rec {
  spec: Container;
  role: Role;
  restartCount: number;
  id?: string;
  state: ContainerState;
  lastState?: ContainerState;
  /** When the current (stopped) instance finished, ms: the back-off counts from it. */
  finishedAt?: number;
  image?: string;
  imageID?: string;
  started: boolean;
  ready: boolean;
  /** An init container that completed: not run again. */
  done: boolean;
  probes: ProbeWorker[];
  /** The instance before the current one (logs --previous). */
  previousId?: string;
  /** Killed by this worker for a failed probe or hook: its exit is a restart, not the app's choice. */
  killing?: boolean;
  /** The back-off was reported (event once per wait). */
  backoffReported?: number;
  /** When the last (offline) pull of its image failed. */
  pullFailedAt?: number;
}

/** An adopted container from an earlier run of the agent. */
export interface FoundContainer {
  id: string;
  labels: Record<string, string>;
  running: boolean;
}

const MIN_GRACE_SECONDS = 2;
const RETRY_MS = 2000;

function podRef(pod: Pod, container?: string, role?: Role): ObjectReference {
  const ref: ObjectReference = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid };
  if (container) ref.fieldPath = role === 'app' ? `spec.containers{${container}}` : `spec.initContainers{${container}}`;
  return ref;
}

/** kubelet's format.Pod: name_namespace(uid). */
function podDesc(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

function pullPolicy(c: Container): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  const tag = image.includes('@') ? '' : (image.slice(image.lastIndexOf('/') + 1).split(':')[1] ?? 'latest');
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function shouldRestart(policy: string, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

export class PodWorker {
  private readonly recs: Rec[];
  private readonly volumes: PodVolumes;
  private readonly restartBackoff: Backoff;
  private readonly pullBackoff: Backoff;
  private sandboxId?: string;
  private podIP?: string;
  private sandboxReady = false;
  private initialized = false;
  /** No container will run again: the pod finished (or failed), sidecars were stopped. */
  private completed = false;
  private terminating?: Promise<void>;
  private disposed = false;
  private syncing = false;
  private again = false;
  private wake?: NodeJS.Timeout;
  private wakeAt = 0;
  private resync?: NodeJS.Timeout;
  private volumesReady = false;
  private readonly startTime = metaTime();
  private pod: Pod;

  constructor(
    pod: Pod,
    private readonly env: WorkerEnv,
    private readonly found: FoundContainer[] = [],
  ) {
    this.pod = pod;
    const uid = pod.metadata.uid!;
    this.volumes = new PodVolumes(env.docker, env.api, env.rootDir, env.nodeName, uid);
    this.restartBackoff = new Backoff(env.backoffBaseMs, env.backoffMaxMs);
    this.pullBackoff = new Backoff(env.backoffBaseMs, env.backoffMaxMs);
    const hasInit = (pod.spec?.initContainers ?? []).length > 0;
    const waiting: ContainerState = { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } };
    const make = (spec: Container, role: Role): Rec => ({ spec, role, restartCount: 0, state: waiting, started: false, ready: false, done: false, probes: [] });
    this.recs = [
      ...(pod.spec?.initContainers ?? []).map((c) => make(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init')),
      ...(pod.spec?.containers ?? []).map((c) => make(c, 'app')),
    ];
  }

  get uid(): string {
    return this.pod.metadata.uid!;
  }

  /** The latest pod object (labels and annotations for the downward API volumes). */
  update(pod: Pod): void {
    this.pod = pod;
  }

  start(): void {
    this.resync = setInterval(() => {
      if (this.volumesReady && !this.terminating) void this.refreshVolumes();
    }, this.env.syncFrequencyMs);
    this.resync.unref();
    void this.sync();
  }

  private placement(): PodPlacementInfo {
    return { podIP: this.podIP, hostIP: this.env.hostIP, allocatable: this.env.allocatable };
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, rec?: Rec): void {
    this.env.recorder.event(podRef(this.pod, rec?.spec.name, rec?.role), type, reason, message);
  }

  /** Runs `syncOnce` now, or once more after the running one. */
  async sync(): Promise<void> {
    if (this.disposed) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.again = false;
        try {
          await this.syncOnce();
        } catch (e) {
          this.env.log.warn({ pod: podDesc(this.pod), err: e instanceof Error ? e.message : String(e) }, 'pod sync failed; retrying');
          this.wakeIn(RETRY_MS);
        }
        this.env.changed();
      } while (this.again && !this.disposed);
    } finally {
      this.syncing = false;
    }
  }

  private wakeIn(ms: number): void {
    const at = Date.now() + ms;
    if (this.wake && this.wakeAt <= at && this.wakeAt > Date.now()) return;
    if (this.wake) clearTimeout(this.wake);
    this.wakeAt = at;
    this.wake = setTimeout(() => {
      this.wake = undefined;
      void this.sync();
    }, Math.max(0, ms));
  }

  private async syncOnce(): Promise<void> {
    if (this.terminating || this.disposed) return;
    if (this.found.length > 0) await this.adopt();
    if (!this.sandboxId) {
      await this.createSandbox();
      if (!this.sandboxId) return;
    }
    if (!this.volumesReady) {
      try {
        await this.volumes.setUp(this.pod, this.placement());
        this.volumesReady = true;
      } catch (e) {
        this.event('Warning', 'FailedMount', e instanceof Error ? e.message : String(e));
        this.wakeIn(RETRY_MS);
        return;
      }
    }
    if (this.completed) return;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    let initDone = true;
    for (const rec of this.recs.filter((r) => r.role !== 'app')) {
      if (this.terminating) return;
      if (rec.role === 'sidecar') {
        await this.ensureRunning(rec);
        if (!rec.started) {
          initDone = false;
          break;
        }
        continue;
      }
      if (rec.done) continue;
      if (rec.state.running) {
        initDone = false;
        break;
      }
      const t = rec.state.terminated ?? rec.lastState?.terminated;
      if (rec.id && rec.state.terminated && t?.exitCode === 0) {
        rec.done = true;
        continue;
      }
      if (rec.id && t && t.exitCode !== 0 && policy === 'Never') {
        // A failed init container under restartPolicy Never fails the pod.
        this.completed = true;
        await this.stopSidecars();
        initDone = false;
        break;
      }
      await this.ensureRunning(rec);
      initDone = false;
      break;
    }
    this.initialized = initDone;
    if (!initDone || this.completed) return;
    for (const rec of this.recs.filter((r) => r.role === 'app')) {
      if (this.terminating) return;
      if (rec.state.running) continue;
      const t = rec.state.terminated ?? (rec.state.waiting ? rec.lastState?.terminated : undefined);
      if (rec.id && t && !shouldRestart(policy, t.exitCode)) continue;
      await this.ensureRunning(rec);
    }
    const apps = this.recs.filter((r) => r.role === 'app');
    const finished = apps.every((r) => r.id && r.state.terminated && !shouldRestart(policy, r.state.terminated.exitCode));
    if (finished) {
      this.completed = true;
      await this.stopSidecars();
    }
  }

  /** Starts a container that is not running: at once the first time and after the first crash, then after the back-off. */
  private async ensureRunning(rec: Rec): Promise<void> {
    if (rec.state.running) return;
    const key = rec.spec.name;
    if (rec.id && rec.finishedAt !== undefined) {
      if (this.restartBackoff.inBackoffSince(key, rec.finishedAt)) {
        const delay = goDuration(this.restartBackoff.delayMs(key));
        if (rec.state.terminated) rec.lastState = { terminated: rec.state.terminated };
        rec.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay} restarting failed container=${rec.spec.name} pod=${podDesc(this.pod)}` } };
        if (rec.backoffReported !== rec.finishedAt) {
          rec.backoffReported = rec.finishedAt;
          this.event('Warning', 'BackOff', `Back-off restarting failed container ${rec.spec.name} in pod ${podDesc(this.pod)}`, rec);
        }
        this.wakeIn(this.restartBackoff.until(key, rec.finishedAt) - Date.now() + 10);
        return;
      }
      this.restartBackoff.next(key);
    }
    await this.startContainer(rec);
  }

  /** The image as the pull policy allows: a local one, or ErrImagePull / ImagePullBackOff / ErrImageNeverPull. */
  private async image(rec: Rec): Promise<LocalImage | undefined> {
    const image = rec.spec.image ?? '';
    const policy = pullPolicy(rec.spec);
    const local = policy === 'Always' ? undefined : await localImage(this.env.docker, image);
    if (local) {
      this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, rec);
      return local;
    }
    const keepLast = () => {
      if (rec.state.terminated) rec.lastState = { terminated: rec.state.terminated };
    };
    if (policy === 'Never') {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      keepLast();
      rec.state = { waiting: { reason: 'ErrImageNeverPull', message: msg } };
      this.event('Warning', 'ErrImageNeverPull', msg, rec);
      this.event('Warning', 'Failed', 'Error: ErrImageNeverPull', rec);
      this.wakeIn(this.env.backoffBaseMs);
      return undefined;
    }
    const key = `pull/${image}`;
    if (rec.pullFailedAt !== undefined && this.pullBackoff.inBackoffSince(key, rec.pullFailedAt)) {
      if (rec.state.waiting?.reason !== 'ImagePullBackOff') {
        keepLast();
        rec.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${offlinePullError(normalizeImage(image))}` } };
        this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`, rec);
      }
      this.wakeIn(this.pullBackoff.until(key, rec.pullFailedAt) - Date.now() + 10);
      return undefined;
    }
    const err = offlinePullError(normalizeImage(image));
    this.event('Normal', 'Pulling', `Pulling image "${image}"`, rec);
    this.event('Warning', 'Failed', `Failed to pull image "${image}": ${err}`, rec);
    this.event('Warning', 'Failed', 'Error: ErrImagePull', rec);
    keepLast();
    rec.state = { waiting: { reason: 'ErrImagePull', message: err } };
    this.pullBackoff.next(key);
    rec.pullFailedAt = Date.now();
    // ErrImagePull shows until the next sync, which finds the image in back-off (kubelet's ImagePullBackOff).
    this.wakeIn(Math.min(1000, this.pullBackoff.delayMs(key)));
    return undefined;
  }

  private async startContainer(rec: Rec): Promise<void> {
    const img = await this.image(rec);
    if (!img) return;
    const c = rec.spec;
    let createOpts: Docker.ContainerCreateOptions;
    const attempt = rec.id ? rec.restartCount + 1 : rec.restartCount;
    try {
      createOpts = await this.containerConfig(rec, attempt, img);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      if (rec.state.terminated) rec.lastState = { terminated: rec.state.terminated };
      rec.state = { waiting: { reason: 'CreateContainerConfigError', message: e.message } };
      this.event('Warning', 'Failed', `Error: ${e.message}`, rec);
      this.wakeIn(RETRY_MS);
      return;
    }
    // A leftover of the same name (an earlier try that failed half-way) is replaced.
    await this.env.docker
      .getContainer(createOpts.name!)
      .remove({ force: true })
      .catch(() => undefined);
    let created: Docker.Container;
    try {
      created = await this.env.docker.createContainer(createOpts);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (rec.state.terminated) rec.lastState = { terminated: rec.state.terminated };
      rec.state = { waiting: { reason: 'CreateContainerError', message: msg } };
      this.event('Warning', 'Failed', `Error: ${msg}`, rec);
      this.wakeIn(RETRY_MS);
      return;
    }
    this.event('Normal', 'Created', `Created container: ${c.name}`, rec);
    const previous = rec.id && rec.state.terminated ? { terminated: rec.state.terminated } : rec.lastState;
    if (rec.id) rec.restartCount = attempt;
    if (rec.id) {
      // kubelet's container GC keeps one dead instance per container (for logs --previous): drop the older one.
      if (rec.previousId) void this.env.docker.getContainer(rec.previousId).remove({ force: true }).catch(() => undefined);
      rec.previousId = rec.id;
    }
    rec.id = created.id;
    rec.image = normalizeImage(c.image ?? '');
    rec.imageID = reportedImageID(img);
    rec.lastState = previous;
    rec.finishedAt = undefined;
    rec.started = false;
    rec.ready = false;
    rec.killing = false;
    try {
      await created.start();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const info = await created.inspect().catch(() => undefined);
      rec.state = { terminated: { ...terminatedState(created.id, info?.State ?? { ExitCode: 128 }), reason: 'StartError', message: msg } };
      rec.finishedAt = Date.now();
      this.event('Warning', 'Failed', `Error: ${msg}`, rec);
      this.again = true;
      return;
    }
    const info = await created.inspect();
    // Its exit may already have been handled (the die event overtook this inspect).
    if (rec.id !== created.id || rec.finishedAt !== undefined) return;
    if (!info.State.Running) {
      // It already exited: the die event brings it; record what inspect says so the sync sees it now.
      rec.state = { terminated: terminatedState(created.id, info.State, await this.terminationMessage(rec, info.State.ExitCode)) };
      rec.finishedAt = Date.parse(info.State.FinishedAt) || Date.now();
      this.event('Normal', 'Started', `Started container ${c.name}`, rec);
      this.again = true;
      return;
    }
    rec.state = { running: { startedAt: toMetaTime(info.State.StartedAt) ?? metaTime() } };
    this.event('Normal', 'Started', `Started container ${c.name}`, rec);
    if (c.lifecycle?.postStart) {
      const err = await this.runHook(rec, c.lifecycle.postStart, 30_000);
      if (err) {
        this.event('Warning', 'FailedPostStartHook', err, rec);
        rec.killing = true;
        await this.stopContainer(rec, this.graceSeconds());
        return;
      }
    }
    this.startProbes(rec);
  }

  private graceSeconds(probeGrace?: number): number {
    return probeGrace ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private async containerConfig(rec: Rec, attempt: number, img: LocalImage): Promise<Docker.ContainerCreateOptions> {
    const pod = this.pod;
    const c = rec.spec;
    const { env, invalid } = await containerEnv(pod, c, this.env.api, this.placement());
    for (const i of invalid) this.event('Warning', 'InvalidEnvironmentVariableNames', `Keys [${i.keys.join(', ')}] from the EnvFrom ${i.source} were skipped since they are considered invalid environment variable names.`, rec);
    await this.volumes.prepareSubPaths(pod, c);
    const { binds, mounts } = this.volumes.mountsFor(pod, c);
    const dir = this.volumes.dir;
    binds.push(`${path.join(dir, 'etc-hosts')}:/etc/hosts`, `${path.join(dir, 'resolv.conf')}:/etc/resolv.conf`);
    const termFile = path.join(dir, 'containers', c.name, String(attempt));
    await fs.mkdir(path.dirname(termFile), { recursive: true });
    await fs.writeFile(termFile, '');
    await fs.chmod(termFile, 0o666);
    binds.push(`${termFile}:${c.terminationMessagePath ?? '/dev/termination-log'}`);
    return containerCreateOptions({
      pod,
      container: c,
      role: rec.role,
      attempt,
      nodeName: this.env.nodeName,
      sandboxId: this.sandboxId!,
      env,
      binds,
      mounts,
      stopSignal: img.stopSignal,
    });
  }

  private async writePodFiles(): Promise<void> {
    const dir = this.volumes.dir;
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'etc-hosts'), hostsFile(this.pod, this.podIP, this.env.dns.clusterDomain));
    const r = resolvConf(this.pod, this.env.dns);
    if (r.missingClusterDNS) {
      this.event('Warning', 'MissingClusterDNS', 'pod: "' + podDesc(this.pod) + '". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.');
    }
    await fs.writeFile(path.join(dir, 'resolv.conf'), r.text);
  }

  private async createSandbox(): Promise<void> {
    const pod = this.pod;
    const hostNetwork = pod.spec?.hostNetwork === true;
    const labels = { ...podLabels(this.env.nodeName, { uid: this.uid, name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? 'default' }), [LABEL_CONTAINER_NAME]: SANDBOX_NAME, [LABEL_ROLE]: 'sandbox' };
    const name = containerName(this.env.nodeName, pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', SANDBOX_NAME, 0);
    const infra = await localImage(this.env.docker, this.env.infraImage);
    if (!infra) {
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: pod infra image "${this.env.infraImage}" is not present on the node`);
      this.wakeIn(RETRY_MS * 5);
      return;
    }
    for (let tries = 0; tries < 5; tries++) {
      const ip = hostNetwork ? this.env.hostIP : this.env.ips.ipFor(this.uid);
      if (!ip) {
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: no IP addresses available in range set: ${this.env.ips.toString()}`);
        this.wakeIn(RETRY_MS * 5);
        return;
      }
      this.podIP = ip;
      await this.writePodFiles();
      await this.env.docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
      const dir = this.volumes.dir;
      const opts: Docker.ContainerCreateOptions = {
        name,
        Image: this.env.infraImage,
        Labels: { ...labels, [LABEL_POD_IP]: ip },
        HostConfig: {
          NetworkMode: hostNetwork ? 'host' : NETWORK_NAME,
          IpcMode: 'shareable',
          Binds: [`${path.join(dir, 'etc-hosts')}:/etc/hosts`, `${path.join(dir, 'resolv.conf')}:/etc/resolv.conf`],
          CpuShares: 2,
        },
      };
      if (!hostNetwork) {
        opts.Hostname = podHostname(pod);
        opts.NetworkingConfig = { EndpointsConfig: { [NETWORK_NAME]: { IPAMConfig: { IPv4Address: ip } } } };
      }
      if (this.env.infraCommand) opts.Cmd = this.env.infraCommand;
      try {
        const sb = await this.env.docker.createContainer(opts);
        await sb.start();
        this.sandboxId = sb.id;
        this.sandboxReady = true;
        return;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        await this.env.docker
          .getContainer(name)
          .remove({ force: true })
          .catch(() => undefined);
        if (/address already in use|Address already in use/.test(msg) && !hostNetwork) {
          // Another node (or a leftover) holds it: keep it out of this pool and take the next.
          this.env.ips.block(ip);
          this.env.ips.release(this.uid);
          continue;
        }
        // The shared network went away under us (its last user removed it): make it again.
        if (/network .* not found/i.test(msg)) await ensurePodNetwork(this.env.docker).catch(() => undefined);
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${msg}`);
        this.wakeIn(RETRY_MS);
        return;
      }
    }
  }

  /** Containers an earlier run of the agent made for this pod: keep using them. */
  private async adopt(): Promise<void> {
    const found = this.found.splice(0);
    const sandbox = found.find((f) => f.labels[LABEL_ROLE] === 'sandbox');
    if (!sandbox || !sandbox.running) {
      // No sandbox to join: start again from nothing, as kubelet does when the sandbox is gone.
      for (const f of found) await this.env.docker.getContainer(f.id).remove({ force: true }).catch(() => undefined);
      return;
    }
    this.sandboxId = sandbox.id;
    this.sandboxReady = true;
    this.podIP = sandbox.labels[LABEL_POD_IP];
    if (this.podIP && this.pod.spec?.hostNetwork !== true) this.env.ips.reserve(this.uid, this.podIP);
    for (const rec of this.recs) {
      const mine = found
        .filter((f) => f.labels[LABEL_CONTAINER_NAME] === rec.spec.name && f.labels[LABEL_ROLE] !== 'sandbox')
        .sort((a, b) => Number(b.labels[LABEL_RESTART_COUNT]) - Number(a.labels[LABEL_RESTART_COUNT]));
      if (mine.length === 0) continue;
      const [latest, previous] = mine;
      const info = await this.env.docker.getContainer(latest.id).inspect();
      rec.id = latest.id;
      rec.restartCount = Number(latest.labels[LABEL_RESTART_COUNT]) || 0;
      rec.image = normalizeImage(rec.spec.image ?? '');
      const img = await localImage(this.env.docker, info.Image);
      rec.imageID = img ? reportedImageID(img) : `docker://${info.Image}`;
      if (previous) {
        rec.previousId = previous.id;
        const p = await this.env.docker.getContainer(previous.id).inspect();
        rec.lastState = { terminated: terminatedState(previous.id, p.State) };
      }
      if (info.State.Running) {
        rec.state = { running: { startedAt: toMetaTime(info.State.StartedAt) } };
        this.startProbes(rec);
      } else {
        rec.state = { terminated: terminatedState(latest.id, info.State) };
        rec.finishedAt = Date.parse(info.State.FinishedAt) || Date.now();
        if (rec.role === 'init' && info.State.ExitCode === 0) rec.done = true;
      }
    }
    this.volumesReady = false;
  }

  private startProbes(rec: Rec): void {
    for (const p of rec.probes) p.stop();
    rec.probes = [];
    const c = rec.spec;
    const target = {
      podIP: this.podIP,
      container: c,
      exec: (cmd: string[], timeoutMs: number) => execIn(this.env.docker, rec.id!, cmd, timeoutMs),
    };
    const report = (kind: ProbeKind, ok: boolean, output: string, changed: boolean) => this.onProbe(rec, kind, ok, output, changed);
    const afterStarted = () => {
      rec.started = true;
      if (c.livenessProbe) rec.probes.push(new ProbeWorker('Liveness', c.livenessProbe, target, report));
      if (c.readinessProbe) rec.probes.push(new ProbeWorker('Readiness', c.readinessProbe, target, report));
      else rec.ready = true;
      for (const p of rec.probes) if (p.kind !== 'Startup') p.start();
    };
    // Regular init containers are never probed; they only have to complete.
    if (rec.role === 'init') return;
    if (c.startupProbe) {
      const w = new ProbeWorker('Startup', c.startupProbe, target, (kind, ok, output, changed) => {
        if (changed && ok && rec.state.running) {
          afterStarted();
          this.again = true;
          void this.sync();
        }
        report(kind, ok, output, changed);
      });
      rec.probes.push(w);
      w.start();
    } else afterStarted();
  }

  private onProbe(rec: Rec, kind: ProbeKind, ok: boolean, output: string, changed: boolean): void {
    if (!rec.state.running || this.terminating) return;
    if (!ok) this.event('Warning', 'Unhealthy', `${kind} probe failed: ${output}`.trimEnd(), rec);
    if (!changed) return;
    if (kind === 'Readiness') {
      rec.ready = ok && rec.started;
      this.env.changed();
      return;
    }
    if (!ok && (kind === 'Liveness' || kind === 'Startup')) {
      const probe = kind === 'Liveness' ? rec.spec.livenessProbe : rec.spec.startupProbe;
      this.event('Normal', 'Killing', `Container ${rec.spec.name} failed ${kind.toLowerCase()} probe, will be restarted`, rec);
      rec.killing = true;
      rec.ready = false;
      void this.stopContainer(rec, this.graceSeconds(probe?.terminationGracePeriodSeconds)).then(() => this.sync());
    }
  }

  /** Runs a lifecycle hook; the error message when it failed. */
  private runHook(rec: Rec, h: LifecycleHandler, timeoutMs: number): Promise<string | undefined> {
    return runHook(this.env.docker, h, { id: rec.id!, container: rec.spec, podIP: this.podIP, podDesc: podDesc(this.pod) }, timeoutMs);
  }

  /** preStop (within the grace period), then the stop signal, then SIGKILL when the grace period ends. */
  private async stopContainer(rec: Rec, graceSeconds: number): Promise<void> {
    if (!rec.id || !rec.state.running) return;
    for (const p of rec.probes) p.stop();
    rec.probes = [];
    const deadline = Date.now() + Math.max(graceSeconds, MIN_GRACE_SECONDS) * 1000;
    const lifecycle: Lifecycle | undefined = rec.spec.lifecycle;
    if (lifecycle?.preStop) {
      const err = await this.runHook(rec, lifecycle.preStop, Math.max(0, deadline - Date.now()));
      if (err) this.event('Warning', 'FailedPreStopHook', err, rec);
    }
    const remaining = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    try {
      await this.env.docker.getContainer(rec.id).stop({ t: remaining });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 304 && (e as { statusCode?: number }).statusCode !== 404) throw e;
    }
    await this.onContainerExit(rec.id);
  }

  private async stopSidecars(): Promise<void> {
    const grace = this.graceSeconds();
    for (const rec of this.recs.filter((r) => r.role === 'sidecar').reverse()) {
      if (rec.state.running) {
        this.event('Normal', 'Killing', `Stopping container ${rec.spec.name}`, rec);
        await this.stopContainer(rec, grace);
      }
    }
  }

  private async terminationMessage(rec: Rec, exitCode: number): Promise<string | undefined> {
    const file = path.join(this.volumes.dir, 'containers', rec.spec.name, String(rec.restartCount));
    let msg = await fs.readFile(file, 'utf8').catch(() => '');
    if (!msg && exitCode !== 0 && rec.spec.terminationMessagePolicy === 'FallbackToLogsOnError' && rec.id) {
      const logs = (await this.env.docker
        .getContainer(rec.id)
        .logs({ stdout: true, stderr: true, tail: 80, follow: false })
        .catch(() => Buffer.alloc(0))) as unknown as Buffer;
      msg = stripLogFrames(logs);
    }
    return msg ? msg.slice(-4096) : undefined;
  }

  /** A container of this pod stopped (a docker `die`): record how, then sync. */
  async onContainerExit(id: string): Promise<void> {
    const rec = this.recs.find((r) => r.id === id);
    if (!rec) {
      if (id === this.sandboxId && !this.terminating && !this.disposed) await this.sandboxLost(id);
      return;
    }
    if (rec.state.terminated && rec.finishedAt !== undefined) return;
    const info = await this.env.docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    if (!info || info.State.Running) return;
    for (const p of rec.probes) p.stop();
    rec.probes = [];
    rec.state = { terminated: terminatedState(id, info.State, await this.terminationMessage(rec, info.State.ExitCode)) };
    rec.finishedAt = Date.parse(info.State.FinishedAt) || Date.now();
    rec.started = false;
    rec.ready = false;
    this.env.changed();
    void this.sync();
  }

  /**
   * The sandbox exited under the pod (killed from outside): as kubelet does, stop what still runs in its
   * namespaces, make a new sandbox, and run the init containers and then the app containers again as
   * their restart policy says.
   */
  private async sandboxLost(id: string): Promise<void> {
    this.env.log.warn({ pod: podDesc(this.pod) }, 'pod sandbox exited: re-creating it');
    if (this.completed) {
      this.sandboxReady = false;
      return;
    }
    this.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    this.sandboxId = undefined;
    this.sandboxReady = false;
    this.initialized = false;
    for (const rec of this.recs) {
      if (rec.id && rec.state.running) {
        await this.env.docker.getContainer(rec.id).kill().catch(() => undefined);
        await this.onContainerExit(rec.id);
      }
      if (rec.role === 'init' && rec.state.terminated) {
        // Completed init containers run again in the new sandbox.
        rec.lastState = { terminated: rec.state.terminated };
        rec.state = { waiting: { reason: 'PodInitializing' } };
      }
      rec.done = false;
    }
    await this.env.docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    this.env.changed();
    void this.sync();
  }

  /** Stops every container (app containers together, then sidecars last to first), then the sandbox. */
  kill(gracePeriodSeconds: number): Promise<void> {
    if (this.terminating) return this.terminating;
    this.terminating = (async () => {
      if (this.wake) clearTimeout(this.wake);
      if (this.resync) clearInterval(this.resync);
      for (const r of this.recs) for (const p of r.probes) p.stop();
      const stop = (r: Rec) => {
        if (!r.state.running) return Promise.resolve();
        this.event('Normal', 'Killing', `Stopping container ${r.spec.name}`, r);
        return this.stopContainer(r, gracePeriodSeconds).catch((e: unknown) => this.env.log.warn({ err: String(e) }, 'stopping container failed'));
      };
      await Promise.all(this.recs.filter((r) => r.role === 'app' || r.role === 'init').map(stop));
      for (const r of this.recs.filter((x) => x.role === 'sidecar').reverse()) await stop(r);
      // Waiting containers never ran again: leave them as they were (kubelet reports the last state).
      this.completed = true;
      if (this.sandboxId) await this.env.docker.getContainer(this.sandboxId).kill().catch(() => undefined);
      this.sandboxReady = false;
      this.env.changed();
    })();
    return this.terminating;
  }

  /** Ids of the containers this worker believes are running (the runtime's relist checks them). */
  runningIds(): string[] {
    return this.recs.filter((r) => r.id && r.state.running).map((r) => r.id!);
  }

  /** The docker containers behind one of the pod's containers, for the streaming calls. */
  container(name: string): { id?: string; previousId?: string; running: boolean; tty: boolean } | undefined {
    const rec = this.recs.find((r) => r.spec.name === name);
    if (!rec) return undefined;
    return { id: rec.id, previousId: rec.previousId, running: !!rec.state.running, tty: rec.spec.tty === true };
  }

  get ip(): string | undefined {
    return this.sandboxReady ? this.podIP : undefined;
  }

  get description(): string {
    return podDesc(this.pod);
  }

  status(): RuntimePodStatus {
    const toStatus = (r: Rec): RuntimeContainerStatus => ({
      name: r.spec.name,
      image: r.image ?? r.spec.image ?? '',
      imageID: r.imageID ?? '',
      containerID: r.id ? `docker://${r.id}` : '',
      state: r.state,
      ready: r.ready && !!r.state.running,
      started: r.started && !!r.state.running,
      restartCount: r.restartCount,
      lastState: r.lastState ?? {},
      ...(r.role === 'sidecar' ? { sidecar: true } : {}),
    });
    const init = this.recs.filter((r) => r.role !== 'app').map(toStatus);
    const containers = this.recs.filter((r) => r.role === 'app').map(toStatus);
    const terminal = !!this.terminating && [...init, ...containers].every((c) => !c.state.running);
    return {
      sandboxReady: this.sandboxReady,
      initialized: this.initialized,
      startTime: this.startTime,
      initContainers: init,
      containers,
      podIP: this.podIP,
      phase: kubeletPhase(this.pod, init, containers, this.initialized, terminal),
    };
  }

  /** Stops timers and probes without touching the containers (the agent is stopping; they get adopted later). */
  detach(): void {
    this.disposed = true;
    if (this.wake) clearTimeout(this.wake);
    if (this.resync) clearInterval(this.resync);
    for (const r of this.recs) for (const p of r.probes) p.stop();
  }

  /** The pod is gone: remove its containers, volumes and files. */
  async remove(): Promise<void> {
    this.detach();
    const list = await this.env.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.kubernetes.pod.uid=${this.uid}`] }) });
    await Promise.all(list.map((c) => this.env.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await this.volumes.tearDown().catch(() => undefined);
    this.env.ips.release(this.uid);
  }

  private async refreshVolumes(): Promise<void> {
    try {
      await this.volumes.setUp(this.pod, this.placement());
    } catch (e) {
      this.event('Warning', 'FailedMount', e instanceof Error ? e.message : String(e));
    }
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) to text. */
function stripLogFrames(buf: Buffer): string {
  if (!Buffer.isBuffer(buf)) return String(buf);
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return parts.length > 0 ? Buffer.concat(parts).toString('utf8') : buf.toString('utf8');
}

