/**
 * A pod's volumes on the host, under <root>/pods/<uid>/volumes/<name>, bound into its containers:
 * emptyDir (a directory, or a tmpfs docker volume for medium Memory, shared by the pod's containers),
 * hostPath, and the projected kinds (configMap, secret, downwardAPI, projected with serviceAccountToken)
 * written by the atomic writer and refreshed on every resync so they follow updates.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, Volume } from '../../client/index.js';
import { ApiObjects, configMapData, ContainerConfigError, decodeSecretData } from './api-objects.js';
import { writeAtomically } from './atomic-writer.js';
import type { FileProjection } from './atomic-writer.js';
import { podFieldValue, resourceFieldValue } from './downward.js';
import type { PodPlacementInfo } from './downward.js';
import { LABEL_NODE, LABEL_POD_UID } from './labels.js';

const DEFAULT_MODE = 0o644;
/** The root CA config map every namespace gets; missing when no publisher runs, then left out. */
const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export class VolumeError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(message);
  }
}

interface Token {
  token: string;
  fetchedAt: number;
  expiresAt: number;
}

export interface MountSpec {
  binds: string[];
  mounts: Docker.MountSettings[];
}

export class PodVolumes {
  private readonly tokens = new Map<string, Token>();
  readonly dir: string;

  constructor(
    private readonly docker: Docker,
    private readonly api: ApiObjects,
    root: string,
    private readonly node: string,
    private readonly uid: string,
  ) {
    this.dir = path.join(root, 'pods', uid);
  }

  private volumePath(name: string): string {
    return path.join(this.dir, 'volumes', name);
  }

  private tmpfsVolumeName(name: string): string {
    return `pgkube_${this.uid}_${name}`;
  }

  /** Makes every volume of the pod (or refreshes the projected ones); throws VolumeError naming the one that failed. */
  async setUp(pod: Pod, where: PodPlacementInfo): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'volumes'), { recursive: true });
    for (const v of pod.spec?.volumes ?? []) {
      try {
        await this.setUpOne(pod, v, where);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new VolumeError(v.name, `MountVolume.SetUp failed for volume "${v.name}" : ${msg}`);
      }
    }
  }

  private async setUpOne(pod: Pod, v: Volume, where: PodPlacementInfo): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const target = this.volumePath(v.name);
    if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory') {
        const size = v.emptyDir.sizeLimit ? String(v.emptyDir.sizeLimit) : undefined;
        const name = this.tmpfsVolumeName(v.name);
        try {
          await this.docker.getVolume(name).inspect();
        } catch {
          await this.docker.createVolume({
            Name: name,
            Driver: 'local',
            DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: size ? `size=${bytesOf(size)}` : 'mode=1777' },
            Labels: { [LABEL_NODE]: this.node, [LABEL_POD_UID]: this.uid },
          });
        }
      } else {
        await fs.mkdir(target, { recursive: true });
        await fs.chmod(target, 0o777);
      }
      return;
    }
    if (v.hostPath) {
      const p = v.hostPath.path;
      const type = v.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate') await fs.mkdir(p, { recursive: true, mode: 0o755 });
      else if (type === 'FileOrCreate') {
        await fs.mkdir(path.dirname(p), { recursive: true });
        await (await fs.open(p, 'a', 0o644)).close();
      } else if (type) {
        const st = await fs.stat(p).catch(() => undefined);
        const ok =
          st &&
          (type === 'Directory' ? st.isDirectory() : type === 'File' ? st.isFile() : type === 'Socket' ? st.isSocket() : type === 'CharDevice' ? st.isCharacterDevice() : type === 'BlockDevice' ? st.isBlockDevice() : true);
        if (!ok) throw new ContainerConfigError(`hostPath type check failed: ${p} is not a ${type}`);
      }
      return;
    }
    let payload: Map<string, FileProjection> | undefined;
    if (v.configMap) {
      const cm = await this.api.configMap(ns, v.configMap.name ?? '', v.configMap.optional === true);
      payload = project(configMapData(cm), v.configMap.items, v.configMap.defaultMode ?? DEFAULT_MODE, `configmap "${v.configMap.name}"`, !cm);
    } else if (v.secret) {
      const s = await this.api.secret(ns, v.secret.secretName ?? '', v.secret.optional === true);
      payload = project(decodeSecretData(s), v.secret.items, v.secret.defaultMode ?? DEFAULT_MODE, `secret "${v.secret.secretName}"`, !s);
    } else if (v.downwardAPI) {
      payload = downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, where);
    } else if (v.projected) {
      payload = new Map();
      const mode = v.projected.defaultMode ?? DEFAULT_MODE;
      for (const src of v.projected.sources ?? []) {
        let part: Map<string, FileProjection>;
        if (src.configMap) {
          const name = src.configMap.name ?? '';
          const optional = src.configMap.optional === true || name === ROOT_CA_CONFIGMAP;
          const cm = await this.api.configMap(ns, name, optional);
          part = project(configMapData(cm), src.configMap.items, mode, `configmap "${name}"`, !cm);
        } else if (src.secret) {
          const s = await this.api.secret(ns, src.secret.name ?? '', src.secret.optional === true);
          part = project(decodeSecretData(s), src.secret.items, mode, `secret "${src.secret.name}"`, !s);
        } else if (src.downwardAPI) {
          part = downwardFiles(pod, src.downwardAPI.items ?? [], mode, where);
        } else if (src.serviceAccountToken) {
          const t = src.serviceAccountToken;
          const token = await this.token(pod, t.audience, t.expirationSeconds ?? 3600);
          // kubelet writes tokens 0600 unless a mode was asked for explicitly.
          part = new Map([[t.path, { data: Buffer.from(token), mode: v.projected.defaultMode ?? 0o600 }]]);
        } else if (src.clusterTrustBundle) {
          throw new ContainerConfigError('clusterTrustBundle projections are not supported by the pgkube docker runtime');
        } else continue;
        for (const [k, f] of part) payload.set(k, f);
      }
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new ContainerConfigError(`volume type ${kind} is not supported by the pgkube docker runtime`);
    }
    await writeAtomically(target, payload);
  }

  /** A token from the cache, fetched again past 80% of its life (kubelet's token manager). */
  private async token(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string> {
    const key = `${audience ?? ''}/${expirationSeconds}`;
    const have = this.tokens.get(key);
    const now = Date.now();
    if (have && now < have.fetchedAt + 0.8 * (have.expiresAt - have.fetchedAt)) return have.token;
    const t = await this.api.serviceAccountToken(pod, audience, expirationSeconds);
    this.tokens.set(key, { token: t.token, fetchedAt: now, expiresAt: t.expiresAt });
    return t.token;
  }

  /** Docker binds and mounts for one container's volumeMounts. */
  mountsFor(pod: Pod, c: Container): MountSpec {
    const binds: string[] = [];
    const mounts: Docker.MountSettings[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = (pod.spec?.volumes ?? []).find((x) => x.name === m.name);
      if (!v) throw new ContainerConfigError(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
      const readOnly = m.readOnly === true || !!(v.configMap || v.secret || v.downwardAPI || v.projected);
      if (v.emptyDir?.medium === 'Memory') {
        mounts.push({ Type: 'volume', Source: this.tmpfsVolumeName(v.name), Target: m.mountPath, ReadOnly: readOnly });
        continue;
      }
      let source = v.hostPath ? v.hostPath.path : this.volumePath(v.name);
      if (m.subPath) source = path.join(source, m.subPath);
      binds.push(`${source}:${m.mountPath}${readOnly ? ':ro' : ''}`);
    }
    return { binds, mounts };
  }

  /** Sub-paths of writable volumes must exist before docker binds them. */
  async prepareSubPaths(pod: Pod, c: Container): Promise<void> {
    for (const m of c.volumeMounts ?? []) {
      if (!m.subPath) continue;
      const v = (pod.spec?.volumes ?? []).find((x) => x.name === m.name);
      if (v?.emptyDir && v.emptyDir.medium !== 'Memory') await fs.mkdir(path.join(this.volumePath(v.name), m.subPath), { recursive: true, mode: 0o777 });
      if (v?.hostPath) await fs.mkdir(path.join(v.hostPath.path, m.subPath), { recursive: true });
    }
  }

  async tearDown(): Promise<void> {
    const vols = await this.docker.listVolumes({ filters: JSON.stringify({ label: [`${LABEL_POD_UID}=${this.uid}`] }) }).catch(() => undefined);
    for (const v of vols?.Volumes ?? []) await this.docker.getVolume(v.Name).remove().catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

function bytesOf(q: string): string {
  // docker's tmpfs size takes a plain byte count; Kubernetes quantities end in Ki/Mi/Gi or k/M/G.
  const m = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return q;
  const mult: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return String(Number(m[1]) * (m[2] ? mult[m[2]] : 1));
}

/** Keys to files: every key, or only the listed items (a missing listed key fails unless the source is optional and absent). */
function project(data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number, what: string, absent: boolean): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  if (absent) return out;
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode });
    return out;
  }
  for (const it of items) {
    const v = data[it.key];
    if (!v) throw new ContainerConfigError(`configured to use key ${it.key} of ${what}, but it does not exist`);
    out.set(it.path, { data: v, mode: it.mode ?? mode });
  }
  return out;
}

function downwardFiles(pod: Pod, items: DownwardAPIVolumeFile[], mode: number, where: PodPlacementInfo): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  for (const it of items) {
    let value: string;
    if (it.fieldRef) value = podFieldValue(pod, it.fieldRef.fieldPath, where, true);
    else if (it.resourceFieldRef) {
      const c = (pod.spec?.containers ?? []).find((x) => x.name === it.resourceFieldRef!.containerName);
      value = resourceFieldValue(c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor as string | undefined, where);
    } else continue;
    out.set(it.path, { data: Buffer.from(value), mode: it.mode ?? mode });
  }
  return out;
}
