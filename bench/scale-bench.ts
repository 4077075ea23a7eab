/**
 * npm run bench:scale: a whole control plane on this machine under a scheduling load.
 *
 * Starts an embedded PostgreSQL, `pgkube apiserver`, `pgkube scheduler` and one `pgkube agent` simulating
 * 100 nodes (each a separate process), and, when this build has the controller-manager, a Deployment of
 * 3,000 replicas; without it the benchmark creates the 3,000 pods itself. Prints the time until every pod is
 * Running and Ready, the scheduling throughput (pods/s from creation to binding), the apiserver's request
 * rates (from its /metrics) and the CPU each process used. A program, not a test: it asserts nothing.
 *
 *   npm run bench:scale                     100 nodes, 3,000 pods
 *   npm run bench:scale -- --nodes 20 --pods 500
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, resources } from '../src/client/index.js';
import type { Deployment, Pod } from '../src/client/index.js';
import { buildNode } from '../src/agent/index.js';
import { schedulePod, defaultProfile } from '../src/scheduler/index.js';
import { SchedulerCache } from '../src/scheduler/cache.js';
import { spawnApiServer } from './support/apiserver.js';
import { onCleanup, runBench, stoppedBy } from './support/cleanup.js';
import { machineInfo, treeSeconds } from './support/cpu.js';
import { openBenchDatabase } from './support/postgres.js';
import { spawnRole, writePlainKubeconfig } from './support/role.js';
import type { RoleChild } from './support/role.js';
import { fmt, ms, nowMs, sleep, summarize, table } from './support/stats.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const NODES = flag('nodes', 100);
const PODS = flag('pods', 3000);
/** Seconds to wait for every pod to be Ready before giving up (and printing the processes' logs). */
const TIMEOUT_S = flag('timeout', 900);
const POD_START_DELAY = '1s';
/** Start the scheduler only once every pod exists, so its own throughput is measured, not the creation rate. */
const BACKLOG = process.argv.includes('--backlog');
const NS = 'scale';
const CREATE_CONCURRENCY = 32;
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONTROLLER_MANAGER_MODULE = path.join(DIST, 'src', 'controllers', 'controller-manager.js');

/** Whether this build's controller-manager runs the deployment and replica set controllers. */
async function controllerManagerRunsDeployments(): Promise<boolean> {
  if (!fs.existsSync(CONTROLLER_MANAGER_MODULE)) return false;
  const mod = (await import(CONTROLLER_MANAGER_MODULE)) as { CONTROLLERS?: { name: string; alias?: string }[] };
  const names = new Set((mod.CONTROLLERS ?? []).flatMap((c) => [c.name, c.alias]));
  return (names.has('deployment') || names.has('deployment-controller')) && (names.has('replicaset') || names.has('replicaset-controller'));
}

const out = (s = '') => process.stdout.write(`${s}\n`);

interface PodTimes {
  created?: number;
  bound?: number;
  ready?: number;
}

/** Watches the namespace's pods and notes, per pod, when it was first seen, bound and Ready. */
function recordPods(client: Client, rv: string, signal: AbortSignal): { times: Map<string, PodTimes>; done: Promise<void> } {
  const times = new Map<string, PodTimes>();
  const api = client.resource(resources.pods, NS);
  let lastRV = rv;
  const done = (async () => {
    while (!signal.aborted && !stoppedBy()) {
      try {
        for await (const ev of api.watch({ resourceVersion: lastRV, allowWatchBookmarks: true, signal })) {
          const pod = ev.object as Pod;
          if (pod.metadata?.resourceVersion) lastRV = pod.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
          const name = pod.metadata.name!;
          const t = times.get(name) ?? {};
          const now = nowMs();
          t.created ??= now;
          if (pod.spec?.nodeName) t.bound ??= now;
          if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) t.ready ??= now;
          times.set(name, t);
        }
      } catch (e) {
        if (signal.aborted || stoppedBy()) return;
        out(`(pod watch ended: ${(e as Error).message}; resuming)`);
        await sleep(200);
      }
    }
  })();
  return { times, done };
}

/** apiserver_request_total by verb, resource and subresource. */
async function scrapeRequests(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const m = /^apiserver_request_total\{(.*)\}\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[2]));
  }
  return counts;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, children: RoleChild[]): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (!(await probe())) {
    if (nowMs() > deadline) {
      for (const c of children) out(`\n${c.logFile}, last lines:\n${c.logTail(20)}`);
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(250);
  }
}

function cpuOf(pids: Record<string, number | undefined>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? treeSeconds(pid) : undefined]));
}

/**
 * The scheduling algorithm alone, in this process: PODS decisions over NODES nodes, each pod assumed onto
 * its node as the scheduler does (no API calls). Shows what the scheduler's CPU allows on this machine.
 */
function algorithmRate(): number {
  const cache = new SchedulerCache();
  for (let i = 0; i < NODES; i++) cache.addOrUpdateNode(buildNode({ name: `n${i}`, index: i, cpu: '32', memory: '256Gi', pods: '110' }, '', ''));
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'scale', uid: 'uid-scale', controller: true };
  const started = nowMs();
  for (let i = 0; i < PODS; i++) {
    const pod: Pod = {
      metadata: { name: `p${i}`, namespace: NS, labels: { app: 'scale' }, ownerReferences: [owner] },
      spec: { containers: [{ name: 'app', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    };
    const r = schedulePod(defaultProfile, pod, cache.nodeInfos());
    if (r.node === undefined) throw new Error(r.message);
    cache.assume(pod, r.node);
  }
  return PODS / ((nowMs() - started) / 1000);
}

async function main(): Promise<void> {
  // --backlog measures the scheduler on pods that all exist already: the benchmark creates them itself.
  const HAS_CONTROLLER_MANAGER = !BACKLOG && (await controllerManagerRunsDeployments());
  const machine = machineInfo();
  out(`pgkube scale benchmark: ${NODES} simulated nodes (one agent process), ${PODS} pods`);
  out(`machine: ${machine.cpus} CPUs, ${machine.model}, node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  out('note: PostgreSQL, apiserver, scheduler, agent and the benchmark all share these cores');
  const algorithm = algorithmRate();
  out(`scheduling algorithm alone (in this process, ${NODES} nodes, no API calls): ${fmt(algorithm)} pods/s`);
  const db = await openBenchDatabase(300);
  const logDir = db.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-scale-'));
  const server = await spawnApiServer({ databaseUrl: db.url, logFile: path.join(logDir, 'apiserver.log') });
  out(`apiserver ${server.url} (pid ${server.pid}); logs in ${logDir}`);
  const kubeconfig = writePlainKubeconfig(logDir, server.url);
  const client = new Client({ server: server.url, qps: 10_000, burst: 10_000 });
  onCleanup({ name: 'bench client', run: () => client.close(), runSync: () => undefined });

  const children: RoleChild[] = [];
  const agent = spawnRole('agent', ['--kubeconfig', kubeconfig, '--nodes', String(NODES), '--pod-start-delay', POD_START_DELAY, '--log-format', 'json'], path.join(logDir, 'agent.log'));
  children.push(agent);
  let registered = nowMs();
  await waitUntil(
    `${NODES} Ready nodes`,
    async () => {
      const nodes = await client.resource(resources.nodes).list();
      return nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= NODES;
    },
    120_000,
    children,
  );
  registered = nowMs() - registered;
  out(`${NODES} nodes registered and Ready in ${ms(registered)}`);
  const startScheduler = () => {
    const child = spawnRole('scheduler', ['--kubeconfig', kubeconfig, '--kube-api-qps', '2000', '--kube-api-burst', '4000', '--log-format', 'json'], path.join(logDir, 'scheduler.log'));
    children.push(child);
    return child;
  };
  let scheduler = BACKLOG ? undefined : startScheduler();
  let controllerManager: RoleChild | undefined;
  if (HAS_CONTROLLER_MANAGER) {
    // Upstream's default of 20 requests/s would make the replica set controller, not the scheduler, the limit.
    controllerManager = spawnRole('controller-manager', ['--kubeconfig', kubeconfig, '--kube-api-qps', '2000', '--kube-api-burst', '4000', '--log-format', 'json'], path.join(logDir, 'controller-manager.log'));
    children.push(controllerManager);
  }
  const schedulerLeads = () => waitUntil(
    'the scheduler to take its lease',
    async () => Boolean((await client.resource(resources.leases, 'kube-system').get('kube-scheduler').catch(() => undefined))?.spec?.holderIdentity),
    60_000,
    children,
  );
  if (!BACKLOG) await schedulerLeads();
  await client.resource(resources.namespaces).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const rv = (await client.resource(resources.pods, NS).list()).metadata?.resourceVersion ?? '0';
  const stop = new AbortController();
  const recorder = recordPods(client, rv, stop.signal);

  const pids = { apiserver: server.pid, postgres: db.postmasterPid, scheduler: scheduler?.pid, agent: agent.pid, 'controller-manager': controllerManager?.pid, bench: process.pid };
  const metrics0 = await scrapeRequests(server.url);
  const cpu0 = cpuOf(pids);
  const t0 = nowMs();
  const template = {
    metadata: { labels: { app: 'scale' } },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
  let how: string;
  const createdAt = new Map<string, number>();
  if (HAS_CONTROLLER_MANAGER) {
    how = `a Deployment of ${PODS} replicas (controller-manager running)`;
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scale', namespace: NS },
      spec: { replicas: PODS, selector: { matchLabels: { app: 'scale' } }, template },
    };
    await client.resource(resources.deployments, NS).create(deployment);
  } else {
    how = `${PODS} pods created directly by the benchmark, ${CREATE_CONCURRENCY} at a time (${BACKLOG ? '--backlog' : 'this build has no controller-manager running Deployments'})`;
    let next = 0;
    const api = client.resource(resources.pods, NS);
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < PODS) {
          const name = `scale-${next++}`;
          createdAt.set(name, nowMs());
          await api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, ...template.metadata }, spec: template.spec });
        }
      }),
    );
  }
  const createdAll = nowMs();
  out(`load: ${how}`);
  if (BACKLOG) {
    out(`all ${fmt(PODS)} pods created in ${ms(createdAll - t0)}; starting the scheduler now (--backlog)`);
    scheduler = startScheduler();
    pids.scheduler = scheduler.pid;
    cpu0.scheduler = 0;
  }
  let lastReport = nowMs();
  await waitUntil(
    `${PODS} pods Running and Ready`,
    async () => {
      let ready = 0;
      let bound = 0;
      for (const t of recorder.times.values()) {
        if (t.ready !== undefined) ready++;
        if (t.bound !== undefined) bound++;
      }
      if (nowMs() - lastReport > 5000) {
        lastReport = nowMs();
        out(`  ${fmt((nowMs() - t0) / 1000)} s: ${fmt(recorder.times.size)} seen, ${fmt(bound)} bound, ${fmt(ready)} Ready`);
      }
      return ready >= PODS;
    },
    TIMEOUT_S * 1000,
    children,
  );
  const tEnd = nowMs();
  const metrics1 = await scrapeRequests(server.url);
  const cpu1 = cpuOf(pids);
  stop.abort();
  await recorder.done;

  const times = [...recorder.times.entries()].map(([name, t]) => ({ ...t, created: createdAt.get(name) ?? t.created! }));
  const firstCreated = Math.min(...times.map((t) => t.created));
  const firstBound = Math.min(...times.map((t) => t.bound!));
  const lastBound = Math.max(...times.map((t) => t.bound!));
  const lastReady = Math.max(...times.map((t) => t.ready!));
  const toBound = summarize(times.map((t) => t.bound! - t.created));
  const toReady = summarize(times.map((t) => t.ready! - t.created));
  const seconds = (tEnd - t0) / 1000;
  const used = (k: string) => (cpu0[k] !== undefined && cpu1[k] !== undefined ? cpu1[k]! - cpu0[k]! : 0);
  const clusterCpu = ['apiserver', 'postgres', 'scheduler', 'agent', 'controller-manager'].reduce((sum, k) => sum + used(k), 0);

  out('\nResults');
  out(table(
    [
      ['pods Running and Ready', fmt(times.length)],
      [`time until all Running and Ready (from the ${HAS_CONTROLLER_MANAGER ? 'Deployment\'s' : 'first'} create)`, ms(lastReady - t0)],
      [HAS_CONTROLLER_MANAGER ? 'the Deployment create took (client side)' : 'creating the pods took (client side)', ms(createdAll - t0)],
      ['CPU of the cluster processes per pod (apiserver, PostgreSQL, scheduler, agent, controller-manager)', `${fmt((1000 * clusterCpu) / times.length, 1)} ms`],
      ['scheduling throughput, first creation to last binding', `${fmt(times.length / ((lastBound - firstCreated) / 1000), 1)} pods/s`],
      ['scheduling throughput, first to last binding', `${fmt(times.length / ((lastBound - firstBound) / 1000), 1)} pods/s`],
      ['creation to binding p50 / p99 / max', `${ms(toBound.p50)} / ${ms(toBound.p99)} / ${ms(toBound.max)}`],
      [`creation to Ready p50 / p99 / max (includes the ${POD_START_DELAY} simulated start)`, `${ms(toReady.p50)} / ${ms(toReady.p99)} / ${ms(toReady.max)}`],
      ['node registration (all Ready)', ms(registered)],
      [`scheduling algorithm alone (${NODES} nodes, no API calls)`, `${fmt(algorithm)} pods/s`],
    ],
    ['metric', 'measured'],
  ));

  const rows = [...metrics1.entries()]
    .map(([k, v]) => [k, v - (metrics0.get(k) ?? 0)] as const)
    .filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, d]) => s + d, 0);
  // Requests rarer than one in ten seconds (discovery, the controller-manager's start-up lists) as one row.
  const frequent = rows.filter(([, d]) => d / seconds >= 0.1);
  const rare = rows.filter(([, d]) => d / seconds < 0.1);
  const rareCount = rare.reduce((s, [, d]) => s + d, 0);
  out(`\napiserver requests during the run (${fmt(seconds, 1)} s, from /metrics apiserver_request_total)`);
  out(table(
    [
      ...frequent.map(([k, d]) => [k, fmt(d), `${fmt(d / seconds, 1)}/s`]),
      ...(rare.length > 0 ? [[`${rare.length} other kinds of request`, fmt(rareCount), `${fmt(rareCount / seconds, 1)}/s`]] : []),
      ['total', fmt(total), `${fmt(total / seconds, 1)}/s`],
    ],
    ['verb resource', 'requests', 'rate'],
  ));

  out('\nCPU during the run (cores: 1.00 = one core busy on average)');
  out(table(Object.keys(pids).filter((k) => cpu0[k] !== undefined && cpu1[k] !== undefined).map((k) => [k, ((cpu1[k]! - cpu0[k]!) / seconds).toFixed(2)]), ['process', 'cores']));
  for (const [name, c] of [['agent', agent], ['scheduler', scheduler], ['controller-manager', controllerManager]] as const) {
    const ended = c?.exit();
    if (ended) out(`warning: the ${name} process ended during the run (${ended}); its log:\n${c!.logTail(20)}`);
  }
  const perPodMs = (1000 * clusterCpu) / times.length;
  out(`(an estimate, not a measurement: at ${fmt(perPodMs, 1)} ms of CPU per pod, ${machine.cpus} otherwise idle cores would carry about ${fmt((machine.cpus * 1000) / perPodMs)} pods/s)`);
  out(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const c of children) await c.stop();
  await server.stop();
}

runBench(main);
