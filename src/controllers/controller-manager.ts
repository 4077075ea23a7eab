import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { Client, EventRecorder, runLeaderElection, SharedInformerFactory } from '../client/index.js';
import type { Logger, RestConfig } from '../client/index.js';
import type { ControllerContext } from './context.js';
import * as deployment from './deployment/index.js';
import * as endpoints from './endpoints/index.js';
import * as endpointslice from './endpointslice/index.js';
import * as garbagecollector from './garbagecollector/index.js';
import * as namespace from './namespace/index.js';
import * as nodelifecycle from './nodelifecycle/index.js';
import type { NodeLifecycleOptions } from './nodelifecycle/index.js';
import * as podgc from './podgc/index.js';
import * as replicaset from './replicaset/index.js';
import * as replicationcontroller from './replicationcontroller/index.js';
import * as tainteviction from './tainteviction/index.js';

/** Per-controller settings from the command line. */
export interface ControllerSettings {
  concurrentGCSyncs: number;
  concurrentNamespaceSyncs: number;
  namespaceSyncPeriodMs?: number;
  concurrentReplicaSetSyncs: number;
  concurrentDeploymentSyncs: number;
  concurrentRCSyncs: number;
  terminatedPodGCThreshold: number;
  podGCCheckPeriodMs?: number;
  podGCQuarantineMs?: number;
  /** --node-monitor-period, --node-monitor-grace-period, --node-eviction-rate ... (unset: upstream's defaults). */
  nodeLifecycle?: NodeLifecycleOptions;
  /** --concurrent-endpoint-syncs (default 5). */
  concurrentEndpointSyncs?: number;
  /** --concurrent-service-endpoint-syncs (default 5). */
  concurrentServiceEndpointSyncs?: number;
  /** --max-endpoints-per-slice (default 100). */
  maxEndpointsPerSlice?: number;
}

interface ControllerEntry {
  /** kube-controller-manager 1.33's name, as --controllers takes it. */
  name: string;
  /** The older short name, also accepted (and the `name` its module exports). */
  alias: string;
  run(ctx: ControllerContext, s: ControllerSettings): Promise<void>;
}

/** Every controller this process can run, in one table (upstream: NewControllerDescriptors). */
export const CONTROLLERS: ControllerEntry[] = [
  {
    name: 'endpoints-controller',
    alias: endpoints.name,
    run: (ctx, s) => endpoints.start(ctx, { workers: s.concurrentEndpointSyncs }),
  },
  {
    name: 'endpointslice-controller',
    alias: endpointslice.name,
    run: (ctx, s) => endpointslice.start(ctx, { workers: s.concurrentServiceEndpointSyncs, maxEndpointsPerSlice: s.maxEndpointsPerSlice }),
  },
  {
    name: 'garbage-collector-controller',
    alias: garbagecollector.name,
    run: (ctx, s) => garbagecollector.start(ctx, { workers: s.concurrentGCSyncs }),
  },
  {
    name: 'namespace-controller',
    alias: namespace.name,
    run: (ctx, s) => namespace.start(ctx, { workers: s.concurrentNamespaceSyncs, syncPeriodMs: s.namespaceSyncPeriodMs }),
  },
  {
    name: 'replicaset-controller',
    alias: replicaset.name,
    run: (ctx, s) => replicaset.start(ctx, { workers: s.concurrentReplicaSetSyncs }),
  },
  {
    name: 'replicationcontroller-controller',
    alias: replicationcontroller.name,
    run: (ctx, s) => replicationcontroller.start(ctx, { workers: s.concurrentRCSyncs }),
  },
  {
    name: 'deployment-controller',
    alias: deployment.name,
    run: (ctx, s) => deployment.start(ctx, { workers: s.concurrentDeploymentSyncs }),
  },
  {
    name: 'node-lifecycle-controller',
    alias: nodelifecycle.name,
    run: (ctx, s) => nodelifecycle.start(ctx, s.nodeLifecycle),
  },
  {
    name: 'taint-eviction-controller',
    alias: tainteviction.name,
    run: (ctx) => tainteviction.start(ctx),
  },
  {
    name: 'pod-garbage-collector-controller',
    alias: podgc.name,
    run: (ctx, s) =>
      podgc.start(ctx, { terminatedPodThreshold: s.terminatedPodGCThreshold, checkPeriodMs: s.podGCCheckPeriodMs, quarantineMs: s.podGCQuarantineMs }),
  },
];

/**
 * Which controllers run, from --controllers as upstream reads it: "*" is every controller that is on by
 * default, "name" turns one on, "-name" turns one off; the last word about a name wins over "*". Unknown
 * names are an error.
 */
export function selectControllers(flag: string[], table: ControllerEntry[] = CONTROLLERS): ControllerEntry[] {
  const find = (n: string) => table.find((c) => c.name === n || c.alias === n);
  for (const word of flag) {
    const n = word.startsWith('-') ? word.slice(1) : word;
    if (n !== '*' && !find(n)) throw new Error(`"${n}" is not in the list of known controllers`);
  }
  const star = flag.includes('*');
  return table.filter((c) => {
    if (flag.includes(`-${c.name}`) || flag.includes(`-${c.alias}`)) return false;
    if (flag.includes(c.name) || flag.includes(c.alias)) return true;
    return star;
  });
}

export interface LeaderElectionSettings {
  leaderElect: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  resourceNamespace: string;
  resourceName: string;
}

/** kube-controller-manager 1.33's defaults for the settings pgkube has. */
export const DEFAULT_SETTINGS: ControllerSettings = {
  concurrentGCSyncs: 20,
  concurrentNamespaceSyncs: 10,
  namespaceSyncPeriodMs: 5 * 60_000,
  concurrentReplicaSetSyncs: 5,
  concurrentDeploymentSyncs: 5,
  concurrentRCSyncs: 5,
  terminatedPodGCThreshold: 12_500,
};

export const DEFAULT_LEADER_ELECTION: LeaderElectionSettings = {
  leaderElect: true,
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  resourceNamespace: 'kube-system',
  resourceName: 'kube-controller-manager',
};

export interface ControllerManagerOptions {
  config: RestConfig;
  controllers: string[];
  leaderElection: LeaderElectionSettings;
  settings: ControllerSettings;
  log: Logger;
  signal: AbortSignal;
  /** Called when leadership is lost: upstream exits the process so nothing runs twice. */
  onLeadershipLost(): void;
  /** Called when a controller fails for good: upstream exits the process. */
  onFatal(): void;
}

/**
 * Runs the selected controllers until `signal` aborts, with one informer factory for all of them and, as
 * upstream's ClientBuilder gives each controller its own clientset, one client (and rate limiter) per
 * controller, so a busy garbage collector does not slow the namespace controller down.
 */
async function runControllers(opts: ControllerManagerOptions, selected: ControllerEntry[], clients: Clients, signal: AbortSignal): Promise<void> {
  // Every informer, queue and request of every controller listens on this one signal.
  setMaxListeners(0, signal);
  const informers = new SharedInformerFactory(clients.for('shared-informers'), { log: opts.log });
  const running = selected.map(async (c) => {
    const client = clients.for(c.name);
    const recorders = new Map<string, EventRecorder>();
    const ctx: ControllerContext = {
      client,
      informers,
      recorder(component) {
        let r = recorders.get(component);
        if (!r) recorders.set(component, (r = new EventRecorder(client, { component, host: os.hostname() }, { log: opts.log })));
        return r;
      },
      log: opts.log,
      signal,
    };
    opts.log.info({ controller: c.name }, 'Starting controller');
    try {
      await c.run(ctx, opts.settings);
    } catch (err) {
      if (signal.aborted) return;
      // As upstream (a controller's fatal error ends kube-controller-manager): exit and be restarted,
      // rather than lead on without one of the controllers.
      opts.log.error({ controller: c.name, err: err instanceof Error ? err.message : String(err) }, 'controller stopped with an error');
      opts.onFatal();
    }
  });
  // Informers asked for by the controllers so far start now; later ones start when asked for.
  informers.start(signal);
  await Promise.all(running);
  await informers.shutdown();
}

/** Clients by purpose, each with its own user agent suffix and rate limiter; closed together. */
class Clients {
  private readonly made = new Map<string, Client>();

  constructor(private readonly config: RestConfig) {}

  for(purpose: string): Client {
    let c = this.made.get(purpose);
    if (!c) this.made.set(purpose, (c = new Client({ ...this.config, userAgent: `${this.config.userAgent ?? 'pgkube-controller-manager'}/${purpose}` })));
    return c;
  }

  async close(): Promise<void> {
    await Promise.all([...this.made.values()].map((c) => c.close()));
  }
}

/**
 * kube-controller-manager: with leader election (the default) the controllers run only while this process
 * holds the Lease kube-system/kube-controller-manager; identity is "<hostname>_<uuid>" as upstream.
 */
export async function runControllerManager(opts: ControllerManagerOptions): Promise<void> {
  const selected = selectControllers(opts.controllers);
  const clients = new Clients(opts.config);
  opts.log.info({ controllers: selected.map((c) => c.name) }, 'controllers selected');
  try {
    if (!opts.leaderElection.leaderElect) {
      await runControllers(opts, selected, clients, opts.signal);
      return;
    }
    const le = opts.leaderElection;
    const identity = `${os.hostname()}_${randomUUID()}`;
    let leading = false;
    await runLeaderElection({
      // Renewals get their own client, so its rate limiter is never busy with the controllers' requests
      // (upstream: a separate "leader-election" clientset).
      client: clients.for('leader-election'),
      namespace: le.resourceNamespace,
      name: le.resourceName,
      identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      log: opts.log,
      signal: opts.signal,
      onStartedLeading: async (signal) => {
        leading = true;
        opts.log.info({ identity }, 'started leading');
        await runControllers(opts, selected, clients, signal);
      },
      onStoppedLeading: () => {
        if (!leading || opts.signal.aborted) return;
        opts.log.error({ identity }, 'leaderelection lost');
        opts.onLeadershipLost();
      },
      onNewLeader: (holder) => {
        if (holder !== identity) opts.log.info({ leader: holder }, 'new leader elected');
      },
    });
  } finally {
    await clients.close();
  }
}
