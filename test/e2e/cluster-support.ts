/**
 * Helpers for the cluster end-to-end tests (cluster-*.test.ts): stock kubectl against a cluster of separate
 * processes (apiserver, controller-manager, scheduler, simulated agent from test/support/cluster.ts), and a
 * pod watch that records, event by event, how many pods exist and how many are Ready.
 */
import { Client } from '../../src/client/index.js';
import type { Pod } from '../../src/client/index.js';
import { resources } from '../../src/client/index.js';
import { startCluster } from '../support/cluster.js';
import type { Cluster, ClusterOptions } from '../support/cluster.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';
import type { KubectlResult } from '../support/kubectl.js';

export interface E2ECluster {
  cluster: Cluster;
  client: Client;
  /** kubectl 1.33 (or `minor`) with the cluster's kubeconfig; throws with stderr and the cluster's logs on failure. */
  k(...args: string[]): Promise<string>;
  /** As k(), for another kubectl version. */
  kv(minor: string, ...args: string[]): Promise<string>;
  /** The whole result, for commands expected to fail. */
  run(args: string[], minor?: string): Promise<KubectlResult>;
  /** `kubectl apply -f -` of one object (JSON is YAML). */
  apply(obj: unknown): Promise<string>;
  stop(): Promise<void>;
}

/** The full control plane: every controller, the scheduler and `nodes` simulated nodes. */
export async function startE2E(opts: ClusterOptions = {}): Promise<E2ECluster> {
  const cluster = await startCluster({ controllerManager: true, scheduler: true, simulatedNodes: 2, ...opts });
  const client = new Client({ server: cluster.url });
  const run = async (args: string[], minor?: string, input?: string) =>
    runKubectl(await kubectlPath(minor), args, { kubeconfig: cluster.kubeconfig, timeoutMs: 90_000, input });
  const kv = async (minor: string, ...args: string[]) => {
    const r = await run(args, minor);
    if (r.code !== 0) throw new Error(`kubectl ${minor} ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}\n${cluster.logs()}`);
    return r.stdout;
  };
  return {
    cluster,
    client,
    run: (args, minor) => run(args, minor),
    kv,
    k: (...args) => kv('1.33', ...args),
    async apply(obj) {
      const r = await run(['apply', '-f', '-'], undefined, JSON.stringify(obj));
      if (r.code !== 0) throw new Error(`kubectl apply: exit ${r.code}\n${r.stderr}\n${cluster.logs()}`);
      return r.stdout;
    },
    async stop() {
      await client.close();
      await cluster.stop();
    },
  };
}

/** The rows of a kubectl table (title and header lines left out), split on runs of two or more spaces. */
export function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .filter((l) => /^\S+\s{2,}\S/.test(l) && !/^(REVISION|NAME)\s/.test(l))
    .map((l) => l.trim().split(/\s{2,}/));
}

export function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function isTerminating(p: Pod): boolean {
  return p.metadata.deletionTimestamp !== undefined && p.metadata.deletionTimestamp !== null;
}

/** The pods of one selector after one watch event. */
export interface PodSample {
  resourceVersion: string;
  /** Pods not being deleted. */
  active: number;
  /** Active pods with Ready=True. */
  ready: number;
  /** Every pod, terminating ones too. */
  total: number;
  /** Per owning ReplicaSet: active pods (ready ones), for failure messages. */
  byOwner: string;
}

/**
 * Lists then watches the pods of a selector from the list's resourceVersion, so every sample is the state at
 * one resourceVersion of the apiserver. stop() ends the watch and gives the samples.
 */
export class PodWatch {
  readonly samples: PodSample[] = [];
  readonly pods = new Map<string, Pod>();
  /** Every pod seen since start(), deleted ones too, by uid (its last state). */
  readonly seen = new Map<string, Pod>();
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private failure: unknown;
  private lastRV = 0n;

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
    private readonly labelSelector: string,
  ) {}

  async start(): Promise<void> {
    const pods = this.client.resource(resources.pods, this.namespace);
    const list = await pods.list({ labelSelector: this.labelSelector });
    for (const p of list.items) {
      this.pods.set(p.metadata.name!, p);
      this.seen.set(p.metadata.uid!, p);
    }
    this.lastRV = BigInt(list.metadata.resourceVersion ?? '0');
    this.sample(list.metadata.resourceVersion ?? '');
    const watch = pods.watch({ labelSelector: this.labelSelector, resourceVersion: list.metadata.resourceVersion, signal: this.abort.signal });
    this.done = (async () => {
      try {
        for await (const ev of watch) {
          if (ev.type === 'BOOKMARK') continue;
          // A watch delivers changes in resourceVersion order (what every sample here relies on).
          const rv = BigInt(ev.object.metadata.resourceVersion ?? '0');
          if (rv <= this.lastRV) throw new Error(`watch event ${ev.type} ${ev.object.metadata.name} at resourceVersion ${rv} after ${this.lastRV}`);
          this.lastRV = rv;
          this.seen.set(ev.object.metadata.uid!, ev.object);
          if (ev.type === 'DELETED') this.pods.delete(ev.object.metadata.name!);
          else this.pods.set(ev.object.metadata.name!, ev.object);
          this.sample(ev.object.metadata.resourceVersion ?? '');
        }
        if (!this.abort.signal.aborted) this.failure = new Error('the pod watch ended before the test stopped it');
      } catch (err) {
        this.failure = err;
      }
    })();
  }

  private sample(resourceVersion: string): void {
    const all = [...this.pods.values()];
    const active = all.filter((p) => !isTerminating(p));
    const owners = new Map<string, { active: number; ready: number }>();
    for (const p of active) {
      const owner = p.metadata.ownerReferences?.find((r) => r.controller)?.name ?? '-';
      const o = owners.get(owner) ?? { active: 0, ready: 0 };
      o.active++;
      if (isReady(p)) o.ready++;
      owners.set(owner, o);
    }
    const byOwner = [...owners].map(([n, o]) => `${n}=${o.active}(${o.ready})`).sort().join(' ');
    this.samples.push({ resourceVersion, total: all.length, active: active.length, ready: active.filter(isReady).length, byOwner });
  }

  async stop(): Promise<PodSample[]> {
    this.abort.abort();
    await this.done;
    if (this.failure) throw this.failure;
    return this.samples;
  }
}
