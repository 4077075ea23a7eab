import { Client, loadRestConfig } from '../client/index.js';
import { Agent, SimulatedRuntime } from '../agent/index.js';
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
  const agent = new Agent({ client, runtime, nodes, log, statusWorkers: flags.statusWorkers, leaseDurationSeconds: flags.nodeLeaseDurationSeconds });
  const stop = new AbortController();
  const stats = setInterval(() => log.info({ ...agent.stats }, 'agent progress'), 30_000);
  stats.unref();
  stopOnSignals(async () => {
    stop.abort();
    clearInterval(stats);
    await client.close();
  }, log);
  log.info({ server: config.server, nodes: flags.nodes, runtime: flags.runtime }, 'agent starting');
  await agent.run(stop.signal);
}
