import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client, loadRestConfig, runLeaderElection } from '../client/index.js';
import { DEFAULT_SCHEDULER_NAME, Scheduler } from '../scheduler/index.js';
import { createLogger } from './logger.js';
import type { LogFormat } from './logger.js';
import { stopOnSignals } from './workers.js';

export interface SchedulerFlags {
  kubeconfig?: string;
  schedulerName: string;
  leaderElect: boolean;
  leaderElectNamespace: string;
  leaderElectName: string;
  kubeApiQps: number;
  kubeApiBurst: number;
  parallelBindings: number;
  logLevel: string;
  logFormat?: LogFormat;
}

/**
 * `pgkube scheduler`: places pending pods on nodes. With leader election (the default, as kube-scheduler)
 * only the holder of the Lease kube-system/kube-scheduler schedules; the others wait to take over.
 */
export async function runScheduler(flags: SchedulerFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  const config = { ...loadRestConfig({ kubeconfig: flags.kubeconfig }), qps: flags.kubeApiQps, burst: flags.kubeApiBurst, userAgent: 'pgkube-scheduler' };
  const client = new Client(config);
  const stop = new AbortController();
  let stats: NodeJS.Timeout | undefined;
  const schedule = async (signal: AbortSignal) => {
    const scheduler = new Scheduler({ client, log, schedulerName: flags.schedulerName, parallelBindings: flags.parallelBindings });
    stats = setInterval(() => log.info({ ...scheduler.stats, ...scheduler.queue.counts() }, 'scheduler progress'), 30_000);
    stats.unref();
    await scheduler.run(signal);
  };
  stopOnSignals(async () => {
    stop.abort();
    clearInterval(stats);
    await client.close();
  }, log);
  log.info({ server: config.server, schedulerName: flags.schedulerName, leaderElect: flags.leaderElect }, 'scheduler starting');
  if (!flags.leaderElect) {
    await schedule(stop.signal);
    return;
  }
  const identity = `${os.hostname()}_${randomUUID()}`;
  await runLeaderElection({
    client,
    namespace: flags.leaderElectNamespace,
    name: flags.leaderElectName,
    identity,
    log,
    signal: stop.signal,
    onStartedLeading: async (signal) => {
      log.info({ identity, lease: `${flags.leaderElectNamespace}/${flags.leaderElectName}` }, 'became leader');
      await schedule(signal);
    },
    onNewLeader: (leader) => {
      if (leader !== identity) log.info({ leader }, 'new leader elected');
    },
  });
  if (!stop.signal.aborted) {
    // Leadership lost: exit, so a supervisor restarts the process as a candidate (kube-scheduler does the same).
    log.error({}, 'leader election lost');
    process.exit(1);
  }
}

export { DEFAULT_SCHEDULER_NAME };
