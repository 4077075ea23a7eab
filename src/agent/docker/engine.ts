/**
 * Small operations on the Docker Engine (through dockerode) that the pod worker is made of: the shared
 * pod network, local image lookups (no pull ever goes to a registry), exec with a deadline, and turning a
 * container's inspect data into the kubelet's terminated state.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerStateTerminated } from '../../client/index.js';
import { metaTime } from '../runtime/simulated.js';
import { NETWORK_GATEWAY, NETWORK_NAME, NETWORK_SUBNET } from './labels.js';

/**
 * Creates the `pgkube` bridge network (10.244.0.0/16) every node's pods join, unless it exists. Agents
 * starting together race to make it (the loser sees "Pool overlaps"), and a last user may be removing
 * it: look again a few times before giving up.
 */
export async function ensurePodNetwork(docker: Docker): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getNetwork(NETWORK_NAME).inspect();
      return;
    } catch {
      // missing: create it below
    }
    try {
      await docker.createNetwork({
        Name: NETWORK_NAME,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: NETWORK_SUBNET, Gateway: NETWORK_GATEWAY }] },
        Labels: { 'pgkube.network': 'pods' },
      });
      return;
    } catch (e) {
      if (attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 500 + 100 * attempt));
    }
  }
}

export interface LocalImage {
  id: string;
  repoDigests: string[];
  stopSignal?: string;
}

export async function localImage(docker: Docker, ref: string): Promise<LocalImage | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, repoDigests: info.RepoDigests ?? [], stopSignal: (info.Config as { StopSignal?: string } | undefined)?.StopSignal };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** What kubelet reports as imageID: the repo digest when the image came from a registry, else its local ID. */
export function reportedImageID(img: LocalImage): string {
  return img.repoDigests.length > 0 ? `docker-pullable://${img.repoDigests[0]}` : `docker://${img.id}`;
}

/** The failure a pull gives with no registry reachable: this runtime never contacts one. */
export function offlinePullError(normalized: string): string {
  const registry = normalized.split('/')[0] === 'docker.io' ? 'registry-1.docker.io' : normalized.split('/')[0];
  return `failed to pull and unpack image "${normalized}": failed to resolve reference "${normalized}": failed to do request: Head "https://${registry}/v2/": dial tcp: lookup ${registry}: no such host (pgkube's docker runtime does not pull images; load them into the local docker)`;
}

export class ExecTimeout extends Error {}

/** Runs `cmd` in a container; combined output (first 10 KiB) and exit code, or ExecTimeout after `timeoutMs`. */
export async function execIn(docker: Docker, id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => {
    if (size < 10240) chunks.push(c);
    size += c.length;
  });
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as unknown as { destroy(): void }).destroy();
      reject(new ExecTimeout(`command ${JSON.stringify(cmd.join(' '))} timed out`));
    }, timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8').slice(0, 10240) };
}

interface InspectState {
  Running?: boolean;
  ExitCode?: number;
  OOMKilled?: boolean;
  StartedAt?: string;
  FinishedAt?: string;
}

/** A stopped container as kubelet reports it: reason OOMKilled, Completed (exit 0) or Error. */
export function terminatedState(id: string, state: InspectState, message?: string): ContainerStateTerminated {
  const exitCode = state.ExitCode ?? -1;
  const reason = state.OOMKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  const t: ContainerStateTerminated = {
    exitCode,
    reason,
    startedAt: toMetaTime(state.StartedAt),
    finishedAt: toMetaTime(state.FinishedAt),
    containerID: `docker://${id}`,
  };
  if (message) t.message = message;
  return t;
}

export function toMetaTime(s: string | undefined): string | undefined {
  if (!s || s.startsWith('0001-')) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : metaTime(ms);
}
