/**
 * A pod container as a docker container, as kubelet's docker runtime made it: in the sandbox's network
 * and IPC namespaces, command and args with `$(VAR)` expanded, the environment, mounts, resource limits
 * (memory bytes, CPU as a CFS quota per 100 ms period, shares from the request, 2 for none), the
 * security context's user, privileges and capabilities, and labels that find it again.
 */
import type Docker from 'dockerode';
import type { Container, Pod } from '../../client/index.js';
import { parseQuantity } from '../../machinery/quantity.js';
import { expand } from './expansion.js';
import { containerName, LABEL_CONTAINER_NAME, LABEL_RESTART_COUNT, LABEL_ROLE, podLabels } from './labels.js';

export interface ContainerShape {
  pod: Pod;
  container: Container;
  role: string;
  attempt: number;
  nodeName: string;
  sandboxId: string;
  env: Map<string, string>;
  binds: string[];
  mounts: Docker.MountSettings[];
  /** The image's STOPSIGNAL (docker stop sends it, then SIGKILL). */
  stopSignal?: string;
}

const CPU_PERIOD_US = 100_000;
const MIN_CPU_SHARES = 2;

function milli(q: unknown): number {
  return parseQuantity(String(q)).milliValue();
}

export function containerCreateOptions(s: ContainerShape): Docker.ContainerCreateOptions {
  const { pod, container: c, env } = s;
  const lookup = (n: string) => env.get(n);
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const host: Docker.HostConfig = {
    NetworkMode: `container:${s.sandboxId}`,
    IpcMode: `container:${s.sandboxId}`,
    Binds: s.binds,
    Mounts: s.mounts,
  };
  if (limits.memory) host.Memory = parseQuantity(String(limits.memory)).value();
  if (limits.cpu) {
    host.CpuPeriod = CPU_PERIOD_US;
    host.CpuQuota = Math.max(1000, Math.ceil((milli(limits.cpu) * CPU_PERIOD_US) / 1000));
  }
  const cpuRequest = requests.cpu ?? limits.cpu;
  host.CpuShares = cpuRequest ? Math.max(MIN_CPU_SHARES, Math.floor((milli(cpuRequest) * 1024) / 1000)) : MIN_CPU_SHARES;
  const csc = c.securityContext;
  if (csc?.privileged) host.Privileged = true;
  if (csc?.readOnlyRootFilesystem) host.ReadonlyRootfs = true;
  if (csc?.capabilities?.add) host.CapAdd = csc.capabilities.add;
  if (csc?.capabilities?.drop) host.CapDrop = csc.capabilities.drop;
  const sc = { ...pod.spec?.securityContext, ...csc };
  const namespace = pod.metadata.namespace ?? 'default';
  const opts: Docker.ContainerCreateOptions = {
    name: containerName(s.nodeName, namespace, pod.metadata.name ?? '', c.name, s.attempt),
    Image: c.image,
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...podLabels(s.nodeName, { uid: pod.metadata.uid ?? '', name: pod.metadata.name ?? '', namespace }),
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_RESTART_COUNT]: String(s.attempt),
      [LABEL_ROLE]: s.role,
    },
    Tty: c.tty === true,
    OpenStdin: c.stdin === true,
    StdinOnce: c.stdinOnce === true,
    HostConfig: host,
  };
  // Kubernetes' command replaces the image's entrypoint (and then its CMD too); args replace only CMD.
  if (c.command) {
    opts.Entrypoint = c.command.map((x) => expand(x, lookup));
    opts.Cmd = (c.args ?? []).map((x) => expand(x, lookup));
  } else if (c.args) opts.Cmd = c.args.map((x) => expand(x, lookup));
  if (c.workingDir) opts.WorkingDir = c.workingDir;
  if (sc.runAsUser !== undefined) opts.User = `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}`;
  if (s.stopSignal) opts.StopSignal = s.stopSignal;
  return opts;
}
