/**
 * The service proxy of the agent (kube-proxy's iptables mode): watches Services and EndpointSlices and
 * keeps the node's nat rules in line with them, so cluster IPs and node ports reach ready endpoints.
 * Changes are batched (kube-proxy's minSyncPeriod) and the whole rule set is rewritten atomically.
 */
import { resources, SharedInformerFactory, silentLogger } from '../../client/index.js';
import type { Client, EndpointSlice, Logger, Service, SharedInformer } from '../../client/index.js';
import { bridgeWithAddress, enableHairpin } from './hairpin.js';
import { apply, iptablesUsable, remove } from './iptables.js';
import { ensureRouteLocalnet } from './route-localnet.js';
import { buildRules, chainNames } from './rules.js';
import type { ChainNames } from './rules.js';
import { servicePorts } from './service-map.js';
import type { ServicePortEntry } from './service-map.js';

export type ProxyMode = 'iptables' | 'none';

export interface ServiceProxyOptions {
  client: Client;
  /** Whose chains these are: the node name (chains are tagged with its hash). */
  owner: string;
  /** The pod network; traffic from outside it to a cluster IP is masqueraded. */
  clusterCIDR?: string;
  /** The service range: packets to it that no rule DNATs are refused (default 10.96.0.0/12). */
  serviceCIDR?: string;
  /** This node's pod range: traffic from it is this proxy's alone (see iptables.ts). */
  podCIDR?: string;
  /**
   * Endpoints this node serves itself, by "ns/name:port" (the agent's DNS for kube-dns's ports, as
   * NodeLocal DNS): used instead of the API's, so pods ask their own node's DNS server.
   */
  localEndpoints?: () => Map<string, string[]>;
  localhostNodePorts?: boolean;
  /** The pod bridge's gateway address: its ports get hairpin mode (default 10.244.0.1). */
  bridgeGateway?: string;
  /** Shortest time between two rewrites (kube-proxy --iptables-min-sync-period, 1 s). */
  minSyncMs?: number;
  /** Rewrite even without changes this often (kube-proxy --iptables-sync-period, 30 s). */
  syncPeriodMs?: number;
  log?: Logger;
}

export class ServiceProxy {
  readonly names: ChainNames;
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private syncing = false;
  private dirty = false;
  private lastSync = 0;
  private services!: SharedInformer<Service>;
  private slices!: SharedInformer<EndpointSlice>;
  /** The caches have synced: rules written before would leave services out. */
  private ready = false;

  constructor(private readonly opts: ServiceProxyOptions) {
    this.names = chainNames(opts.owner);
    this.log = opts.log ?? silentLogger;
  }

  /** Service port entries as the proxy sees them now. */
  entries(): ServicePortEntry[] {
    const byService = new Map<string, EndpointSlice[]>();
    for (const s of this.slices.store.list()) {
      const svc = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!svc) continue;
      const key = `${s.metadata.namespace}/${svc}`;
      byService.set(key, [...(byService.get(key) ?? []), s]);
    }
    const local = this.opts.localEndpoints?.() ?? new Map<string, string[]>();
    return this.services.store.list().flatMap((svc) =>
      servicePorts(svc, byService.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? []).map((e) => {
        const mine = local.get(e.id);
        return mine ? { ...e, endpoints: mine } : e;
      }),
    );
  }

  /** Runs until `signal` aborts, then removes its rules. Resolves at once (logging why) when iptables is unusable. */
  async run(signal: AbortSignal): Promise<void> {
    const problem = await iptablesUsable();
    if (problem) {
      this.log.warn({ err: problem }, 'service proxy disabled: iptables is not usable here');
      return;
    }
    if (this.opts.localhostNodePorts) {
      const err = await ensureRouteLocalnet();
      if (err) this.log.warn({ err }, 'unable to set net.ipv4.conf.all.route_localnet=1: node ports will not answer on 127.0.0.1');
      else this.log.info('net.ipv4.conf.all.route_localnet=1, so node ports answer on 127.0.0.1');
    }
    const informers = new SharedInformerFactory(this.opts.client, { log: this.log });
    this.services = informers.informerFor(resources.services);
    this.slices = informers.informerFor(resources.endpointslices);
    const changed = () => this.requestSync();
    for (const inf of [this.services, this.slices]) inf.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    informers.start(signal);
    await informers.waitForCacheSync(signal);
    this.ready = true;
    this.log.info({ tag: this.names.tag, chains: this.names.services }, 'service proxy synced, writing rules');
    this.requestSync();
    const period = setInterval(() => this.requestSync(), this.opts.syncPeriodMs ?? 30_000);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    // No rewrite may follow the removal below.
    this.ready = false;
    clearInterval(period);
    clearTimeout(this.timer);
    await informers.shutdown();
    while (this.syncing) await new Promise((r) => setTimeout(r, 20));
    try {
      await remove(this.names, this.scope());
      this.log.info({ tag: this.names.tag }, 'service proxy rules removed');
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'unable to remove service proxy rules');
    }
  }

  private scope() {
    return { podCIDR: this.opts.podCIDR, clusterCIDR: this.opts.clusterCIDR ?? '10.244.0.0/16' };
  }

  /** Asks for a rewrite (after a change the informers do not see, such as the local DNS's port). */
  resync(): void {
    this.requestSync();
  }

  private requestSync(): void {
    this.dirty = true;
    if (!this.ready || this.timer || this.syncing) return;
    const wait = Math.max(0, this.lastSync + (this.opts.minSyncMs ?? 1000) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, wait);
  }

  private async sync(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    this.syncing = true;
    try {
      const rules = buildRules(this.entries(), this.names, {
        clusterCIDR: this.opts.clusterCIDR ?? '10.244.0.0/16',
        serviceCIDR: this.opts.serviceCIDR ?? '10.96.0.0/12',
        localhostNodePorts: this.opts.localhostNodePorts,
      });
      await apply(this.names, rules, this.scope());
      const bridge = bridgeWithAddress(this.opts.bridgeGateway ?? '10.244.0.1');
      if (bridge) await enableHairpin(bridge);
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'unable to write service proxy rules');
      this.dirty = true;
    } finally {
      this.lastSync = Date.now();
      this.syncing = false;
      if (this.dirty) this.requestSync();
    }
  }
}
