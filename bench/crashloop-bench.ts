/**
 * npm run bench:crashloop: one `pgkube agent --runtime docker` node running 50 pods whose container
 * crashes every second, for 2 minutes. A kubelet under crash loops must hold steady: this samples the agent
 * process's CPU and RSS every 10 s, and the apiserver's pods/status write rate (from its /metrics
 * apiserver_request_total), and prints them with their trend (flat or not). A program, not a test.
 *
 *   npm run bench:crashloop                     50 pods, 120 s
 *   npm run bench:crashloop -- --seconds 60 --pods 20
 *
 * The agent's --container-backoff-base is short (30 ms: the back-off tops out at 30 times it, under a
 * second), so each container really restarts about once a second. Needs Docker and local/busybox:1.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, resources } from '../src/client/index.js';
import type { Pod } from '../src/client/index.js';
import { spawnApiServer } from './support/apiserver.js';
import { onCleanup, runBench, stoppedBy } from './support/cleanup.js';
import { machineInfo, treeSeconds } from './support/cpu.js';
import { openBenchDatabase } from './support/postgres.js';
import { spawnRole, writePlainKubeconfig } from './support/role.js';
import { fmt, nowMs, sleep, table } from './support/stats.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const PODS = flag('pods', 50);
const SECONDS = flag('seconds', 120);
const SAMPLE_S = flag('sample', 10);
const BACKOFF_BASE = '30ms';
const NS = 'default';
const out = (s = '') => process.stdout.write(`${s}\n`);

/** pods/status writes (update and patch) so far, from apiserver_request_total. */
async function statusWrites(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const m = /^apiserver_request_total\{(.*)\}\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (labels.resource === 'pods' && labels.subresource === 'status' && (labels.verb === 'PATCH' || labels.verb === 'UPDATE')) n += Number(m[2]);
  }
  return n;
}

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The least-squares slope of ys over xs. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * "flat" when the fitted line moves less than 10 % of the mean over the whole run (or less than `floor`
 * in absolute terms: a few MiB or a few % CPU are noise on a shared machine), else rising or falling.
 */
function trend(xs: number[], ys: number[], floor: number, unit: string): string {
  if (ys.length < 3) return 'too few samples';
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const change = slope(xs, ys) * (xs[xs.length - 1] - xs[0]);
  const word = Math.abs(change) < Math.max(0.1 * Math.abs(mean), floor) ? 'flat' : change > 0 ? 'rising' : 'falling';
  return `${word} (fitted change over the run ${change >= 0 ? '+' : ''}${fmt(change, 1)} ${unit}, mean ${fmt(mean, 1)} ${unit})`;
}

function removeNodeContainers(node: string): void {
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=pgkube.node=${node}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'pipe' });
    const vols = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=pgkube.node=${node}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (vols.length > 0) execFileSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'pipe' });
  } catch {
    // docker went away: nothing left to remove
  }
}

async function main(): Promise<void> {
  execFileSync('docker', ['image', 'inspect', 'local/busybox:1'], { stdio: 'pipe' });
  const machine = machineInfo();
  out(`pgkube crash-loop benchmark: ${PODS} pods crashing every second on one docker node, ${SECONDS} s, samples every ${SAMPLE_S} s`);
  out(`machine: ${machine.cpus} CPUs, ${machine.model}, node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const db = await openBenchDatabase(100);
  const logDir = db.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-crashloop-'));
  const server = await spawnApiServer({ databaseUrl: db.url, logFile: path.join(logDir, 'apiserver.log') });
  out(`apiserver ${server.url} (pid ${server.pid}); logs in ${logDir}`);
  const kubeconfig = writePlainKubeconfig(logDir, server.url);
  const client = new Client({ server: server.url, qps: 1000, burst: 1000 });
  onCleanup({ name: 'bench client', run: () => client.close(), runSync: () => undefined });
  const node = `crashloop-${randomBytes(3).toString('hex')}`;
  onCleanup({ name: 'crash-loop containers', run: async () => removeNodeContainers(node), runSync: () => removeNodeContainers(node) });
  const agent = spawnRole(
    'agent',
    ['--kubeconfig', kubeconfig, '--runtime', 'docker', '--node-name', node, '--pod-cidr', `10.244.${10 + Math.floor(Math.random() * 200)}.0/24`,
      '--proxy-mode', 'none', '--root-dir', path.join(logDir, 'agent-root'), '--container-backoff-base', BACKOFF_BASE, '--log-format', 'json'],
    path.join(logDir, 'agent.log'),
  );
  const deadline = nowMs() + 60_000;
  for (;;) {
    const n = await client.resource(resources.nodes).get(node).catch(() => undefined);
    if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
    if (nowMs() > deadline || agent.exit()) throw new Error(`node ${node} never became Ready:\n${agent.logTail(20)}`);
    await sleep(250);
  }
  const pods = client.resource(resources.pods, NS);
  await Promise.all(
    Array.from({ length: PODS }, (_, i) =>
      pods.create({
        metadata: { name: `crash-${i}`, labels: { bench: 'crashloop' } },
        spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'local/busybox:1', imagePullPolicy: 'Never', command: ['sh', '-c', 'sleep 1; exit 1'] }] },
      } as Pod),
    ),
  );
  out(`${PODS} pods created on ${node}`);
  // Warm-up: the first starts of 50 containers are a burst of their own; sampling begins once every pod
  // has crashed and restarted at least once (or after 60 s), so the trend is the steady crash loop's.
  const warm = nowMs() + 60_000;
  while (nowMs() < warm && !stoppedBy()) {
    const items = (await pods.list({ labelSelector: 'bench=crashloop' })).items;
    if (items.every((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1)) break;
    await sleep(1000);
  }
  out(`warmed up after ${fmt((nowMs() - warm + 60_000) / 1000)} s; sampling`);

  interface Sample { t: number; cpuPct: number; rss: number; statusPerS: number; restarts: number }
  const samples: Sample[] = [];
  const start = nowMs();
  let lastT = start;
  let lastCpu = treeSeconds(agent.pid) ?? 0;
  let lastWrites = await statusWrites(server.url);
  const restartsTotal = async () => (await pods.list({ labelSelector: 'bench=crashloop' })).items.reduce((s, p) => s + (p.status?.containerStatuses?.[0]?.restartCount ?? 0), 0);
  const restarts0 = await restartsTotal();
  const rows: string[][] = [];
  while (nowMs() - start < SECONDS * 1000 && !stoppedBy()) {
    await sleep(Math.min(SAMPLE_S * 1000, start + SECONDS * 1000 - nowMs()));
    const t = nowMs();
    const cpu = agent.exit() ? undefined : treeSeconds(agent.pid);
    if (cpu === undefined) throw new Error(`the agent ended (${agent.exit()}):\n${agent.logTail(20)}`);
    const writes = await statusWrites(server.url);
    const dt = (t - lastT) / 1000;
    const s: Sample = { t: (t - start) / 1000, cpuPct: (100 * (cpu - lastCpu)) / dt, rss: rssMiB(agent.pid) ?? NaN, statusPerS: (writes - lastWrites) / dt, restarts: await restartsTotal() };
    samples.push(s);
    rows.push([fmt(s.t), fmt(s.cpuPct, 1), fmt(s.rss, 1), fmt(s.statusPerS, 1), String(s.restarts)]);
    out(`  t=${fmt(s.t)} s  agent CPU ${fmt(s.cpuPct, 1)} %  RSS ${fmt(s.rss, 1)} MiB  pods/status ${fmt(s.statusPerS, 1)}/s  restarts ${s.restarts}`);
    lastT = t;
    lastCpu = cpu;
    lastWrites = writes;
  }
  out('');
  out(table(rows, ['t (s)', 'agent CPU %', 'agent RSS MiB', 'pods/status writes/s', 'restarts so far']));
  const ts = samples.map((s) => s.t);
  const elapsed = samples.length ? samples[samples.length - 1].t : 0;
  const restarts = (samples.at(-1)?.restarts ?? restarts0) - restarts0;
  out(`\nrestarts during the run: ${restarts} (${fmt(restarts / Math.max(elapsed, 1) / PODS, 2)} per pod per second)`);
  out(`agent CPU:   ${trend(ts, samples.map((s) => s.cpuPct), 5, '%')}`);
  out(`agent RSS:   ${trend(ts, samples.map((s) => s.rss), 5, 'MiB')}`);
  out(`pods/status: ${trend(ts, samples.map((s) => s.statusPerS), 2, 'writes/s')}`);
  out(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await agent.stop();
  removeNodeContainers(node);
  await server.stop();
}

runBench(main);
