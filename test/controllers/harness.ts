/**
 * An in-process control plane for the workload controller tests: a real apiserver on a fresh database,
 * the controllers under test on the TypeScript client, and a stand-in kubelet that marks pods Running
 * and Ready through pods/status (there are no nodes yet).
 */
import { setMaxListeners } from 'node:events';
import { Client, EventRecorder, resources, SharedInformerFactory, silentLogger, isConflict, isNotFound } from '../../src/client/index.js';
import type { Event, Pod } from '../../src/client/index.js';
import type { ControllerContext } from '../../src/controllers/context.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';

export type ControllerStart = (ctx: ControllerContext) => Promise<void>;

export interface Harness {
  fixture: ApiFixture;
  client: Client;
  ns: string;
  /** Starts the controllers with fresh informers and expectations; the returned function stops them. */
  startControllers(starts: ControllerStart[]): () => Promise<void>;
  /** Marks pods Ready as they appear, while `ready(pod)` says so (re-evaluated by recheck()). */
  startKubelet(ready?: (pod: Pod) => boolean): { recheck(): Promise<void>; stop(): void };
  events(): Promise<Event[]>;
  close(): Promise<void>;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) {
        if (process.env.HARNESS_TRACE) console.log(`${what}: ${Date.now() - (deadline - timeoutMs)} ms`);
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function markReady(client: Client, pod: Pod): Promise<void> {
  const now = stamp();
  const status = {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastTransitionTime: now },
    ],
    startTime: now,
  };
  try {
    await client.resource(resources.pods, pod.metadata.namespace).updateStatus({ ...pod, status });
  } catch (e) {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  }
}

export async function startHarness(ns = 'work'): Promise<Harness> {
  const fixture = await apiFixture();
  await createNamespace(fixture.base, ns);
  // The test (and its stand-in kubelet) is not throttled. The controllers are, but above
  // kube-controller-manager's defaults (--kube-api-qps 20, --kube-api-burst 30), which would make every
  // rollout here take seconds of waiting for tokens.
  const client = new Client({ server: fixture.base, qps: 1000, burst: 1000 });
  const controllerClient = new Client({ server: fixture.base, qps: 100, burst: 200 });
  const stops: (() => Promise<void>)[] = [];

  const harness: Harness = {
    fixture,
    client,
    ns,
    startControllers(starts) {
      const abort = new AbortController();
      setMaxListeners(100, abort.signal); // every informer and controller listens to it
      const informers = new SharedInformerFactory(controllerClient);
      const recorders: EventRecorder[] = [];
      const ctx: ControllerContext = {
        client: controllerClient,
        informers,
        recorder: (component) => {
          const r = new EventRecorder(controllerClient, { component });
          recorders.push(r);
          return r;
        },
        log: process.env.HARNESS_TRACE ? console : silentLogger,
        signal: abort.signal,
      };
      const running = starts.map((s) => s(ctx));
      informers.start(abort.signal);
      const stop = async () => {
        abort.abort();
        await Promise.allSettled(running);
        await informers.shutdown();
      };
      stops.push(stop);
      return stop;
    },
    startKubelet(ready = () => true) {
      const abort = new AbortController();
      const informers = new SharedInformerFactory(client);
      const pods = informers.informerFor(resources.pods);
      const consider = async (pod: Pod) => {
        if (pod.metadata.deletionTimestamp || pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
        if (ready(pod)) await markReady(client, pod);
      };
      pods.addEventHandler({ onAdd: (p) => void consider(p).catch(() => undefined), onUpdate: (_o, p) => void consider(p).catch(() => undefined) });
      informers.start(abort.signal);
      stops.push(async () => {
        abort.abort();
        await informers.shutdown();
      });
      return {
        recheck: async () => {
          for (const p of pods.store.list()) await consider(p);
        },
        stop: () => abort.abort(),
      };
    },
    async events() {
      return (await client.resource(resources.events, ns).list()).items;
    },
    async close() {
      for (const stop of stops.reverse()) await stop();
      await fixture.close();
    },
  };
  return harness;
}
