/**
 * What a node running docker containers reports about itself (kubelet reads the same from cadvisor and
 * the CRI): capacity from the docker host, system info, and its address.
 */
import os from 'node:os';
import type Docker from 'dockerode';
import type { ContainerImage, NodeSystemInfo } from '../../client/index.js';

const ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', ppc64le: 'ppc64le', s390x: 's390x' };

export interface DockerHost {
  cpu: string;
  memory: string;
  nodeInfo: Partial<NodeSystemInfo>;
  images: ContainerImage[];
}

/** kubelet reports at most 50 images, largest first. */
const MAX_IMAGES = 50;

export async function dockerHost(docker: Docker): Promise<DockerHost> {
  const info = (await docker.info()) as { NCPU?: number; MemTotal?: number; KernelVersion?: string; OperatingSystem?: string; Architecture?: string; ServerVersion?: string; ID?: string };
  const version = info.ServerVersion ?? (await docker.version()).Version;
  const images = (await docker.listImages())
    .map((i) => ({ names: [...(i.RepoDigests ?? []), ...(i.RepoTags ?? [])].filter((n) => !n.startsWith('<none>')), sizeBytes: i.Size }))
    .filter((i) => i.names.length > 0)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, MAX_IMAGES);
  return {
    images,
    cpu: String(info.NCPU ?? os.cpus().length),
    memory: `${Math.floor((info.MemTotal ?? os.totalmem()) / 1024)}Ki`,
    nodeInfo: {
      kernelVersion: info.KernelVersion ?? os.release(),
      osImage: info.OperatingSystem ?? os.type(),
      containerRuntimeVersion: `docker://${version}`,
      operatingSystem: 'linux',
      architecture: ARCH[info.Architecture ?? ''] ?? info.Architecture ?? 'amd64',
    },
  };
}

/** The first non-loopback IPv4 address of this machine (kubelet's default node IP), else loopback. */
export function defaultNodeIP(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
