import { readFileSync } from 'node:fs';
import { Client, loadRestConfig } from '../client/index.js';
import type { Logger } from '../client/index.js';
import { Agent, KubeletServer, SimulatedRuntime } from '../agent/index.js';
import type { PodRuntime } from '../agent/index.js';
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
  cpu: string;
  memory: string;
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
  nodeIp: string;
  /** Client certificates this CA signed may use the kubelet API (kubelet's --client-ca-file). */
  clientCaFile?: string;
  /** A bearer token that may use the kubelet API (the API server's --kubelet-client-token-file). */
  kubeletTokenFile?: string;
}

/**
 * The kubelet API with a self-signed serving certificate for the node address (the API server does not
 * verify it, as with --kubelet-insecure-tls).
 */
async function startKubeletServer(flags: AgentFlags, runtime: PodRuntime, agent: () => Agent, log: Logger): Promise<KubeletServer> {
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
 */
export async function runAgent(flags: AgentFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  if (flags.runtime !== 'simulated') throw new Error(`runtime "${flags.runtime}" is not supported yet: only "simulated" is`);
  const config = {
    ...loadRestConfig({ kubeconfig: flags.kubeconfig }),
    qps: flags.kubeApiQps ?? 50 * flags.nodes,
    burst: flags.kubeApiBurst ?? 100 * flags.nodes,
    userAgent: 'pgkube-agent',
  };
  const client = new Client(config);
  const runtime = new SimulatedRuntime({ podStartDelayMs: flags.podStartDelay * 1000 });
  const nodes = Array.from({ length: flags.nodes }, (_, i) => ({ name: `${flags.nodeNamePrefix}${i}`, cpu: flags.cpu, memory: flags.memory, pods: flags.pods }));
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
  const stats = setInterval(() => log.info({ ...agent.stats }, 'agent progress'), 30_000);
  stats.unref();
  stopOnSignals(async () => {
    stop.abort();
    clearInterval(stats);
    await kubelet?.close();
    await client.close();
  }, log);
  log.info({ server: config.server, nodes: flags.nodes, runtime: flags.runtime }, 'agent starting');
  await agent.run(stop.signal);
}
