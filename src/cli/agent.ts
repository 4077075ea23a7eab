import os from 'node:os';
import Docker from 'dockerode';
import path from 'node:path';
import { Client, isNotFound, loadRestConfig, resources } from '../client/index.js';
import type { Logger } from '../client/index.js';
import { Agent, SimulatedRuntime } from '../agent/index.js';
import { DEFAULT_INFRA_IMAGE, DockerRuntime } from '../agent/runtime/docker.js';
import { defaultNodeIP, dockerHost } from '../agent/docker/node-info.js';
import { clusterDnsIPs, startNetworking } from './agent-networking.js';
import { createLogger } from './logger.js';
import type { LogFormat } from './logger.js';
import { stopOnSignals } from './workers.js';

export interface AgentFlags {
  kubeconfig?: string;
  runtime: string;
  nodes: number;
  nodeNamePrefix: string;
  nodeName?: string;
  podStartDelay: number;
  cpu?: string;
  memory?: string;
  pods: string;
  kubeApiQps?: number;
  kubeApiBurst?: number;
  statusWorkers: number;
  logLevel: string;
  logFormat?: LogFormat;
  podCidr?: string;
  nodeIp?: string;
  kubeletPort: number;
  podInfraImage: string;
  clusterDns?: string[];
  clusterDomain: string;
  rootDir?: string;
  containerBackoffBase: number;
  syncFrequency: number;
  proxyMode?: string;
  proxyLocalhostNodeports?: boolean;
  dnsBindAddress: string;
  dnsPort: number;
}

/**
 * `pgkube agent --runtime simulated --nodes N`: N simulated nodes in this process. Each real kubelet may
 * send 50 requests/s (burst 100); unless told otherwise the process gets that budget per node.
 * `pgkube agent --runtime docker --node-name N`: one node whose pods are Docker containers.
 */
export async function runAgent(flags: AgentFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  if (flags.runtime !== 'simulated' && flags.runtime !== 'docker') throw new Error(`runtime "${flags.runtime}" is not supported: use "simulated" or "docker"`);
  const nodeCount = flags.runtime === 'docker' ? 1 : flags.nodes;
  const config = {
    ...loadRestConfig({ kubeconfig: flags.kubeconfig }),
    qps: flags.kubeApiQps ?? 50 * nodeCount,
    burst: flags.kubeApiBurst ?? 100 * nodeCount,
    userAgent: 'pgkube-agent',
  };
  const client = new Client(config);
  const stop = new AbortController();
  let agent: Agent;
  if (flags.runtime === 'docker') {
    agent = await dockerAgent(flags, client, log);
  } else {
    const runtime = new SimulatedRuntime({ podStartDelayMs: flags.podStartDelay * 1000 });
    const nodes = Array.from({ length: flags.nodes }, (_, i) => ({ name: `${flags.nodeNamePrefix}${i}`, cpu: flags.cpu ?? '32', memory: flags.memory ?? '256Gi', pods: flags.pods }));
    agent = new Agent({ client, runtime, nodes, log, statusWorkers: flags.statusWorkers });
  }
  const owner = flags.runtime === 'docker' ? (flags.nodeName ?? os.hostname().toLowerCase()) : `${flags.nodeNamePrefix}0`;
  const podCIDR = flags.runtime === 'docker' ? [...agent.nodes.values()][0]?.shape.podCIDR : undefined;
  const networking = startNetworking(flags, client, owner, podCIDR, log, stop.signal);
  const stats = setInterval(() => log.info({ ...agent.stats }, 'agent progress'), 30_000);
  stats.unref();
  stopOnSignals(async () => {
    stop.abort();
    clearInterval(stats);
    // The proxy takes its rules out before the process ends.
    await networking;
    await client.close();
  }, log);
  log.info({ server: config.server, nodes: nodeCount, runtime: flags.runtime }, 'agent starting');
  await agent.run(stop.signal);
}

/** The node's pod range: the flag, else what the Node already has, else the first 10.244.X.0/24 no node uses. */
async function choosePodCIDR(client: Client, nodeName: string, flag: string | undefined): Promise<string> {
  if (flag) return flag;
  const api = client.resource(resources.nodes);
  try {
    const existing = await api.get(nodeName);
    if (existing.spec?.podCIDR) return existing.spec.podCIDR;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const used = new Set((await api.listAll()).items.map((n) => n.spec?.podCIDR));
  for (let x = 1; x < 256; x++) {
    const cidr = `10.244.${x}.0/24`;
    if (!used.has(cidr)) return cidr;
  }
  throw new Error('no free pod CIDR in 10.244.0.0/16: give one with --pod-cidr');
}

async function dockerAgent(flags: AgentFlags, client: Client, log: Logger): Promise<Agent> {
  const nodeName = flags.nodeName ?? os.hostname().toLowerCase();
  const podCIDR = await choosePodCIDR(client, nodeName, flags.podCidr);
  if (!/^10\.244\.\d{1,3}\.0\/24$/.test(podCIDR)) throw new Error(`--pod-cidr ${podCIDR}: the docker runtime takes a /24 of the pgkube network 10.244.0.0/16`);
  const address = flags.nodeIp ?? defaultNodeIP();
  const docker = new Docker();
  const host = await dockerHost(docker);
  const cpu = flags.cpu ?? host.cpu;
  const memory = flags.memory ?? host.memory;
  const runtime = new DockerRuntime({
    client,
    docker,
    nodeName,
    podCIDR,
    hostIP: address,
    rootDir: flags.rootDir ?? path.join(os.tmpdir(), 'pgkube-agent', nodeName),
    infraImage: flags.podInfraImage,
    clusterDNS: clusterDnsIPs(flags),
    clusterDomain: flags.clusterDomain,
    backoffBaseMs: flags.containerBackoffBase * 1000,
    syncFrequencyMs: flags.syncFrequency * 1000,
    allocatable: { cpu, memory, pods: flags.pods },
    log,
  });
  await runtime.start();
  log.info({ node: nodeName, podCIDR, address, runtime: host.nodeInfo.containerRuntimeVersion }, 'docker node');
  return new Agent({
    client,
    runtime,
    log,
    statusWorkers: flags.statusWorkers,
    nodes: [
      {
        name: nodeName,
        cpu,
        memory,
        pods: flags.pods,
        podCIDR,
        address,
        hostname: nodeName,
        kubeletPort: flags.kubeletPort,
        runtimeName: 'docker',
        nodeInfo: host.nodeInfo,
      },
    ],
  });
}

export { DEFAULT_INFRA_IMAGE };
