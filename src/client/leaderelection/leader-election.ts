import type { Client } from '../client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../errors.js';
import { sleep } from '../flowcontrol/token-bucket.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { resources } from '../generated/resources.js';
import type { Lease, LeaseSpec } from '../types/coordination-v1.js';
import { microTime } from './micro-time.js';

export interface LeaderElectionOptions {
  client: Client;
  namespace: string;
  name: string;
  identity: string;
  /** How long a leader's claim holds without renewal (client-go's LeaseDuration; default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up (RenewDeadline; default 10 s). */
  renewDeadlineMs?: number;
  /** Wait between attempts (RetryPeriod; default 2 s). */
  retryPeriodMs?: number;
  /** Release the lease when `signal` aborts while leading, so another candidate takes over at once (default true). */
  releaseOnCancel?: boolean;
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  signal: AbortSignal;
  log?: Logger;
}

const JITTER = 1.2;

/**
 * client-go's leaderelection with a LeaseLock on a coordination.k8s.io/v1 Lease. Candidates try every retry
 * period to take a lease whose holder has not renewed within leaseDuration (measured on the local clock from
 * when this candidate last saw the record change, as upstream, so clock skew does not matter); the leader
 * renews every retry period and, when it cannot renew within renewDeadline, stops leading: the signal given
 * to onStartedLeading aborts. Writes carry the Lease's resourceVersion, so two candidates never both win.
 * Resolves when leadership is lost or `signal` aborts; it does not try to lead again (restart to rejoin, as
 * client-go's Run).
 */
export async function runLeaderElection(opts: LeaderElectionOptions): Promise<void> {
  const e = new Elector(opts);
  await e.run();
}

class Elector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  private readonly leases;
  /** The record as last read or written, with the local time it was seen to change. */
  private observed: { spec: LeaseSpec; rv: string; at: number } | undefined;
  private reportedLeader = '';

  constructor(private readonly o: LeaderElectionOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER * this.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod*JitterFactor');
    this.log = o.log ?? silentLogger;
    this.leases = o.client.resource(resources.leases, o.namespace);
  }

  async run(): Promise<void> {
    const { signal } = this.o;
    if (!(await this.acquire())) {
      // client-go calls OnStoppedLeading whenever Run returns, led or not
      this.o.onStoppedLeading?.();
      return;
    }
    const leading = new AbortController();
    const stopLeading = () => leading.abort(new Error('leadership lost'));
    signal.addEventListener('abort', stopLeading, { once: true });
    // the leader's work runs beside the renew loop, as client-go starts OnStartedLeading in a goroutine
    void Promise.resolve()
      .then(() => this.o.onStartedLeading(leading.signal))
      .catch((err: unknown) => this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'onStartedLeading failed'));
    try {
      await this.renew(leading.signal);
    } finally {
      stopLeading();
      signal.removeEventListener('abort', stopLeading);
      if (signal.aborted && (this.o.releaseOnCancel ?? true)) await this.release();
      this.o.onStoppedLeading?.();
    }
  }

  private jittered(): number {
    return this.retryPeriodMs * (1 + Math.random() * (JITTER - 1));
  }

  /** Tries every retry period until it holds the lease (true) or `signal` aborts (false). */
  private async acquire(): Promise<boolean> {
    const { signal } = this.o;
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'successfully acquired lease');
        return true;
      }
      await sleep(this.jittered(), signal).catch(() => {});
    }
    return false;
  }

  /** Renews every retry period; returns when a renewal did not succeed within renewDeadline or `leading` aborts. */
  private async renew(leading: AbortSignal): Promise<void> {
    while (!leading.aborted) {
      await sleep(this.retryPeriodMs, leading).catch(() => {});
      if (leading.aborted) return;
      const deadline = performance.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!leading.aborted && performance.now() < deadline) {
        const attemptSignal = AbortSignal.any([leading, AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now())))]);
        if (await this.tryAcquireOrRenew(attemptSignal)) {
          renewed = true;
          break;
        }
        if (this.observed && this.observed.spec.holderIdentity !== this.o.identity) break; // someone else holds it now
        await sleep(Math.min(this.retryPeriodMs, Math.max(0, deadline - performance.now())), leading).catch(() => {});
      }
      if (!renewed) {
        if (!leading.aborted) this.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'failed to renew lease: stopping leading');
        return;
      }
    }
  }

  /** One attempt (client-go's tryAcquireOrRenew): create the lease, renew ours, or take an expired one. */
  private async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const now = new Date();
    const nowTime = microTime(now);
    const leaseDurationSeconds = Math.round(this.leaseDurationMs / 1000);
    let current: Lease;
    try {
      current = await this.leases.get(this.o.name, { signal });
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'error retrieving lease');
        return false;
      }
      const spec: LeaseSpec = { holderIdentity: this.o.identity, leaseDurationSeconds, acquireTime: nowTime, renewTime: nowTime, leaseTransitions: 0 };
      try {
        const created = await this.leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec }, { signal });
        this.observe(created, performance.now());
        return true;
      } catch (err2) {
        if (!isAlreadyExists(err2)) this.log.warn({ err: err2 instanceof Error ? err2.message : String(err2) }, 'error creating lease');
        return false;
      }
    }
    const seenAt = performance.now();
    const spec = current.spec ?? {};
    if (!this.observed || !sameRecord(this.observed.spec, spec)) this.observe(current, seenAt);
    else this.observed.rv = current.metadata.resourceVersion ?? '';
    const holder = spec.holderIdentity ?? '';
    const iAmHolder = holder === this.o.identity;
    const observedDurationMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && !iAmHolder && this.observed!.at + observedDurationMs > performance.now()) return false; // held by another, not expired
    const next: LeaseSpec = {
      ...spec,
      holderIdentity: this.o.identity,
      leaseDurationSeconds,
      renewTime: nowTime,
      acquireTime: iAmHolder ? spec.acquireTime ?? nowTime : nowTime,
      leaseTransitions: iAmHolder ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      // the resourceVersion we read makes this a compare-and-swap: a concurrent candidate gets a 409
      const updated = await this.leases.update({ ...current, spec: next }, { signal });
      this.observe(updated, performance.now());
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'error updating lease');
      return false;
    }
  }

  private observe(lease: Lease, at: number): void {
    const spec = lease.spec ?? {};
    this.observed = { spec, rv: lease.metadata.resourceVersion ?? '', at };
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.o.onNewLeader?.(holder);
      } catch {
        // a callback's failure is the caller's business
      }
    }
  }

  /** Gives the lease up (client-go's release): empty holder, 1 s duration, so the next candidate need not wait. */
  private async release(): Promise<void> {
    try {
      const current = await this.leases.get(this.o.name);
      if (current.spec?.holderIdentity !== this.o.identity) return;
      const now = microTime();
      await this.leases.update({
        ...current,
        spec: { leaseTransitions: current.spec.leaseTransitions ?? 0, leaseDurationSeconds: 1, renewTime: now, acquireTime: now, holderIdentity: '' },
      });
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'failed to release lease');
    }
  }
}

function sameRecord(a: LeaseSpec, b: LeaseSpec): boolean {
  return (
    (a.holderIdentity ?? '') === (b.holderIdentity ?? '') &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    (a.leaseTransitions ?? 0) === (b.leaseTransitions ?? 0)
  );
}
