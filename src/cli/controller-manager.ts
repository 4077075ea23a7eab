import { Command, InvalidArgumentError, Option } from 'commander';
import { loadRestConfig } from '../client/index.js';
import { runControllerManager } from '../controllers/controller-manager.js';
import { duration, integer } from './flags.js';
import { createLogger, LOG_FORMATS } from './logger.js';
import type { LogFormat } from './logger.js';

export interface ControllerManagerFlags {
  kubeconfig?: string;
  kubeApiQps: number;
  kubeApiBurst: number;
  controllers: string[];
  leaderElect: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  leaderElectResourceLock: string;
  leaderElectResourceName: string;
  leaderElectResourceNamespace: string;
  concurrentGcSyncs: number;
  concurrentNamespaceSyncs: number;
  concurrentReplicasetSyncs: number;
  concurrentDeploymentSyncs: number;
  concurrentRcSyncs: number;
  terminatedPodGcThreshold: number;
  podGcCheckPeriod?: number;
  podGcQuarantine?: number;
  logLevel: string;
  logFormat?: LogFormat;
}

/** --controllers a,b --controllers c: all of them, as pflag's string slices. */
function list(value: string, previous: string[] | undefined): string[] {
  const words = value.split(',').map((v) => v.trim()).filter(Boolean);
  return [...(previous && previous !== DEFAULT_CONTROLLERS ? previous : []), ...words];
}
const DEFAULT_CONTROLLERS = ['*'];

/** --leader-elect, --leader-elect=true|false (a Go bool flag). */
function bool(value: string): boolean {
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(value)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

/** `pgkube controller-manager`: kube-controller-manager's flags for what pgkube runs. */
export function controllerManagerCommand(): Command {
  return new Command('controller-manager')
    .description('run the cluster-wide controllers (replica set, replication controller, deployment, garbage collector, namespace, pod GC) under leader election')
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig of the API server (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)').env('PGKUBE_KUBECONFIG'))
    .addOption(new Option('--kube-api-qps <qps>', 'requests per second to the API server').argParser(Number).default(20))
    .addOption(new Option('--kube-api-burst <n>', 'burst of requests to the API server').argParser(integer).default(30))
    .addOption(
      new Option('--controllers <names>', "controllers to run: '*' is all, 'foo' enables foo, '-foo' disables foo (comma-separated, repeatable)")
        .argParser(list)
        .default(DEFAULT_CONTROLLERS, '*'),
    )
    .addOption(new Option('--leader-elect [enabled]', 'run the controllers only while holding the leader lease').argParser(bool).preset(true).default(true))
    .addOption(new Option('--leader-elect-lease-duration <duration>', 'how long a standby waits after the last renewal before taking over').argParser(duration).default(15, '15s'))
    .addOption(new Option('--leader-elect-renew-deadline <duration>', 'how long the leader retries renewing before it gives up leading').argParser(duration).default(10, '10s'))
    .addOption(new Option('--leader-elect-retry-period <duration>', 'wait between attempts to acquire or renew').argParser(duration).default(2, '2s'))
    .addOption(new Option('--leader-elect-resource-lock <kind>', 'the lock object (only leases)').choices(['leases']).default('leases'))
    .addOption(new Option('--leader-elect-resource-name <name>', 'name of the Lease').default('kube-controller-manager'))
    .addOption(new Option('--leader-elect-resource-namespace <namespace>', 'namespace of the Lease').default('kube-system'))
    .addOption(new Option('--concurrent-gc-syncs <n>', 'garbage collector workers').argParser(integer).default(20))
    .addOption(new Option('--concurrent-namespace-syncs <n>', 'namespace controller workers').argParser(integer).default(10))
    .addOption(new Option('--concurrent-replicaset-syncs <n>', 'replica set controller workers').argParser(integer).default(5))
    .addOption(new Option('--concurrent-deployment-syncs <n>', 'deployment controller workers').argParser(integer).default(5))
    .addOption(new Option('--concurrent-rc-syncs <n>', 'replication controller workers').argParser(integer).default(5))
    .addOption(new Option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before the oldest are deleted (0: no limit)').argParser(integer).default(12500))
    .addOption(new Option('--pod-gc-check-period <duration>', 'pgkube: how often the pod GC looks (upstream fixes it at 20s)').argParser(duration))
    .addOption(new Option('--pod-gc-quarantine <duration>', 'pgkube: how long a node stays missing before its pods are deleted (upstream fixes it at 40s)').argParser(duration))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('info'))
    .addOption(new Option('--log-format <format>', 'text (klog lines) or json (klog JSON) (default: text on a terminal, else json)').env('PGKUBE_LOG_FORMAT').choices(LOG_FORMATS))
    .action(runControllerManagerCommand);
}

export async function runControllerManagerCommand(flags: ControllerManagerFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  const config = { ...loadRestConfig({ kubeconfig: flags.kubeconfig }), qps: flags.kubeApiQps, burst: flags.kubeApiBurst };
  const stop = new AbortController();
  let signals = 0;
  const onSignal = () => {
    // The first signal stops the controllers and releases the lease; a second one exits at once.
    if (++signals > 1) process.exit(1);
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.info({ server: config.server }, 'pgkube controller-manager starting');
  await runControllerManager({
    config,
    controllers: flags.controllers,
    leaderElection: {
      leaderElect: flags.leaderElect,
      leaseDurationMs: flags.leaderElectLeaseDuration * 1000,
      renewDeadlineMs: flags.leaderElectRenewDeadline * 1000,
      retryPeriodMs: flags.leaderElectRetryPeriod * 1000,
      resourceNamespace: flags.leaderElectResourceNamespace,
      resourceName: flags.leaderElectResourceName,
    },
    settings: {
      concurrentGCSyncs: flags.concurrentGcSyncs,
      concurrentNamespaceSyncs: flags.concurrentNamespaceSyncs,
      concurrentReplicaSetSyncs: flags.concurrentReplicasetSyncs,
      concurrentDeploymentSyncs: flags.concurrentDeploymentSyncs,
      concurrentRCSyncs: flags.concurrentRcSyncs,
      terminatedPodGCThreshold: flags.terminatedPodGcThreshold,
      podGCCheckPeriodMs: flags.podGcCheckPeriod !== undefined ? flags.podGcCheckPeriod * 1000 : undefined,
      podGCQuarantineMs: flags.podGcQuarantine !== undefined ? flags.podGcQuarantine * 1000 : undefined,
    },
    log,
    signal: stop.signal,
    // As kube-controller-manager: a process that lost the lease exits, and is restarted to rejoin.
    onLeadershipLost: () => process.exit(1),
    onFatal: () => process.exit(1),
  });
  process.exit(0);
}
