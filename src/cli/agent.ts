import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Client, isNotFound, loadRestConfig, resources } from '../client/index.js';
import type { Logger } from '../client/index.js';
import { Agent, KubeletServer, SimulatedRuntime } from '../agent/index.js';
import type { PodRuntime } from '../agent/index.js';
import { DockerRuntime } from '../agent/runtime/docker.js';
import { dockerHost } from '../agent/docker/node-info.js';
import { clusterDnsIPs, startNetworking } from './agent-networking.js';
import { createCa, issueCertificate } from './pki.js';
import { createLogger } from './logger.js';
import type { LogFormat } from './logger.js';
import { stopOnSignals } from './workers.js';

export interface AgentFlags {
  kubeconfig?: string;
  runtime: string;
  nodes: number;
  nodeNamePrefix: string;
  podStartDelay: number;
  cpu?: string;
  memory?: string;
  pods: string;
  kubeApiQps?: number;
  kubeApiBurst?: number;
  statusWorkers: number;
  nodeLeaseDurationSeconds?: number;
  logLevel: string;
  logFormat?: LogFormat;
  /** Serve the kubelet API on this port (0: any free port); absent: no kubelet API. */
  kubeletPort?: number;
  /** The address the API server reaches the kubelet API at (reported as the nodes' InternalIP). */
  /** The nodes' InternalIP, where the API server reaches the kubelet API (absent: 127.0.0.1, this machine). */
  nodeIp?: string;
  /** Client certificates this CA signed may use the kubelet API (kubelet's --client-ca-file). */
  clientCaFile?: string;
  /** A bearer token that may use the kubelet API (the API server's --kubelet-client-token-file). */
  kubeletTokenFile?: string;
  // The docker runtime's.
  nodeName?: string;
  podCidr?: string;
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
 * The kubelet API with a self-signed serving certificate for the node address (the API server does not
 * verify it, as with --kubelet-insecure-tls).
 */
async function startKubeletServer(flags: AgentFlags & { nodeIp: string }, runtime: PodRuntime, agent: () => Agent, log: Logger): Promise<KubeletServer> {
  if (!flags.clientCaFile && !flags.kubeletTokenFile) {
    throw new Error('--kubelet-port needs --client-ca-file or --kubelet-token-file: the kubelet API runs commands in containers and must know who asks');
  }
  const ca = await createCa('pgkube-agent-ca');
  const serving = await issueCertificate(ca, { commonName: `pgkube-agent@${flags.nodeIp}`, usage: 'server', ipAddresses: [flags.nodeIp] });
  const server = new KubeletServer({
    runtime,
    pods: { get: (ns, name) => agent().podByName(ns, name), list: () => agent().boundPods() },
    cert: `${serving.cert.trim()}\n${ca.cert.trim()}\n`,
    key: serving.key,
    clientCA: flags.clientCaFile ? readFileSync(flags.clientCaFile, 'utf8') : undefined,
    tokens: flags.kubeletTokenFile ? [readFileSync(flags.kubeletTokenFile, 'utf8').trim()] : undefined,
    port: flags.kubeletPort ?? 0,
    host: flags.nodeIp,
    log,
  });
  await server.start();
  log.info({ address: flags.nodeIp, port: server.port }, 'kubelet API serving');
  return server;
}

/**
 * `pgkube agent --runtime simulated --nodes N`: N simulated nodes in this process. Each real kubelet may
 * send 50 requests/s (burst 100); unless told otherwise the process gets that budget per node.
 * `pgkube agent --runtime docker --node-name N`: one node whose pods are Docker containers.
 */
export async function runAgent(given: AgentFlags): Promise<void> {
  const flags = { ...given, nodeIp: given.nodeIp ?? '127.0.0.1' };
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
  let runtime: PodRuntime;
  let nodes: ConstructorParameters<typeof Agent>[0]['nodes'];
  if (flags.runtime === 'docker') ({ runtime, nodes } = await dockerNode(flags, client, log));
  else {
    runtime = new SimulatedRuntime({ podStartDelayMs: flags.podStartDelay * 1000 });
    nodes = Array.from({ length: flags.nodes }, (_, i) => ({ name: `${flags.nodeNamePrefix}${i}`, cpu: flags.cpu ?? '32', memory: flags.memory ?? '256Gi', pods: flags.pods }));
  }
  let agent: Agent | undefined;
  const kubelet = flags.kubeletPort !== undefined ? await startKubeletServer(flags, runtime, () => agent!, log) : undefined;
  agent = new Agent({
    client,
    runtime,
    nodes,
    log,
    statusWorkers: flags.statusWorkers,
    leaseDurationSeconds: flags.nodeLeaseDurationSeconds,
    kubeletEndpoint: kubelet ? { address: flags.nodeIp, port: kubelet.port } : undefined,
  });
  const stop = new AbortController();
  const owner = flags.runtime === 'docker' ? (flags.nodeName ?? os.hostname().toLowerCase()) : `${flags.nodeNamePrefix}0`;
  const podCIDR = flags.runtime === 'docker' ? nodes[0]?.podCIDR : undefined;
  const networking = startNetworking(flags, client, owner, podCIDR, log, stop.signal);
  const stats = setInterval(() => log.info({ ...agent.stats }, 'agent progress'), 30_000);
  stats.unref();
  stopOnSignals(async () => {
    stop.abort();
    clearInterval(stats);
    await kubelet?.close();
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

/** One node on the local Docker Engine: its runtime, and its shape from the docker host. */
async function dockerNode(flags: AgentFlags & { nodeIp: string }, client: Client, log: Logger) {
  const nodeName = flags.nodeName ?? os.hostname().toLowerCase();
  const podCIDR = await choosePodCIDR(client, nodeName, flags.podCidr);
  if (!/^10\.244\.\d{1,3}\.0\/24$/.test(podCIDR)) throw new Error(`--pod-cidr ${podCIDR}: the docker runtime takes a /24 of the pgkube network 10.244.0.0/16`);
  const docker = new Docker();
  const host = await dockerHost(docker);
  const cpu = flags.cpu ?? host.cpu;
  const memory = flags.memory ?? host.memory;
  const runtime = new DockerRuntime({
    client,
    docker,
    nodeName,
    podCIDR,
    hostIP: flags.nodeIp,
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
  log.info({ node: nodeName, podCIDR, address: flags.nodeIp, runtime: host.nodeInfo.containerRuntimeVersion }, 'docker node');
  const node = { name: nodeName, cpu, memory, pods: flags.pods, podCIDR, address: flags.nodeIp, hostname: nodeName, runtimeName: 'docker', nodeInfo: host.nodeInfo, images: host.images };
  return { runtime, nodes: [node] };
}
