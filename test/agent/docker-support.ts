/**
 * For the docker runtime tests: whether Docker answers, a cluster (apiserver process on a fresh database)
 * with `pgkube agent --runtime docker` processes on unique node names, `docker exec` into pod containers,
 * and removal of everything the test made, by label.
 */
import { test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, resources } from '../../src/client/index.js';
import type { Pod } from '../../src/client/index.js';
import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'pgkube.js');

function probeDocker(): string | undefined {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 15_000 });
    execFileSync('docker', ['image', 'inspect', 'local/busybox:1'], { stdio: 'pipe', timeout: 15_000 });
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

const dockerProblem = probeDocker();
export const dockerAvailable = dockerProblem === undefined;
if (!dockerAvailable) process.stderr.write(`docker runtime tests skipped: "docker info" or the local/busybox:1 image is unavailable (${dockerProblem})\n`);

/** `test` when Docker answers, else a skipped test that says why in its name. */
export const dockerTest: typeof test = dockerAvailable ? test : (test.skip as typeof test);

export interface AgentProcess {
  node: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export interface DockerCluster {
  cluster: Cluster;
  client: Client;
  agents: AgentProcess[];
  startAgent(args?: string[], node?: string): AgentProcess;
  stop(): Promise<void>;
  logs(): string;
}

/** A random /24 of 10.244.0.0/16 away from the low ones, so concurrent test files do not share pod IPs. */
export function randomPodCIDR(): string {
  return `10.244.${100 + Math.floor(Math.random() * 150)}.0/24`;
}

export async function startDockerCluster(apiServerArgs: string[] = []): Promise<DockerCluster> {
  const cluster = await startCluster({ apiServerArgs });
  const client = new Client({ server: cluster.url, qps: 200, burst: 400 });
  const agents: AgentProcess[] = [];
  const rootDir = mkdtempSync(path.join(os.tmpdir(), 'pgkube-docker-test-'));
  const suffix = randomBytes(3).toString('hex');
  const startAgent = (args: string[] = [], node = `dn-${suffix}-${agents.length}`): AgentProcess => {
    const child = spawn(
      process.execPath,
      [BIN, 'agent', '--runtime', 'docker', '--node-name', node, '--kubeconfig', cluster.kubeconfig, '--log-format', 'text', '--root-dir', path.join(rootDir, node), '--container-backoff-base', '1s', '--sync-frequency', '1s', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const chunks: string[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => chunks.push(c.toString()));
    let stopping = false;
    const exited = new Promise<void>((r) =>
      child.once('exit', (code) => {
        // An agent that dies on its own says why (the test then times out waiting for its node).
        if (!stopping && code !== 0) process.stderr.write(`agent ${node} exited with ${code}:\n${chunks.join('')}\n`);
        r();
      }),
    );
    const a: AgentProcess = {
      node,
      child,
      output: () => chunks.join(''),
      async stop() {
        stopping = true;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      },
    };
    agents.push(a);
    return a;
  };
  return {
    cluster,
    client,
    agents,
    startAgent,
    logs: () => agents.map((a) => `----- agent ${a.node} -----\n${a.output()}`).join('\n'),
    async stop() {
      try {
        await Promise.all(agents.map((a) => a.stop()));
        for (const a of agents) removeByLabel(a.node);
      } finally {
        await client.close();
        await cluster.stop();
        rmSync(rootDir, { recursive: true, force: true });
      }
    },
  };
}

/** Removes the containers and volumes of one node (label pgkube.node), and the shared network once unused. */
export function removeByLabel(node: string): void {
  const list = (args: string[]) =>
    execFileSync('docker', args, { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  const quietly = (args: string[]) => {
    try {
      execFileSync('docker', args, { stdio: 'pipe' });
    } catch {
      // already going (the agent removes pods' containers too), or in use by another test
    }
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const ids = list(['ps', '-aq', '--filter', `label=pgkube.node=${node}`]);
    if (ids.length === 0) break;
    for (const id of ids) quietly(['rm', '-f', id]);
  }
  for (const v of list(['volume', 'ls', '-q', '--filter', `label=pgkube.node=${node}`])) quietly(['volume', 'rm', '-f', v]);
  // Fails while another test's pods still use it: that test removes it.
  quietly(['network', 'rm', 'pgkube']);
}

/** Runs a command in a pod's container (found by label) and returns its stdout. */
export function execInPod(pod: Pod, container: string, cmd: string[]): string {
  const id = execFileSync('docker', ['ps', '-q', '--filter', `label=io.kubernetes.pod.uid=${pod.metadata.uid}`, '--filter', `label=io.kubernetes.container.name=${container}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)[0];
  if (!id) throw new Error(`no running container ${container} for pod ${pod.metadata.name}`);
  try {
    return execFileSync('docker', ['exec', id, ...cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as Error & { stderr?: string; status?: number };
    throw new Error(`docker exec ${cmd.join(' ')} in ${pod.metadata.name}/${container}: exit ${err.status}: ${err.stderr ?? err.message}`);
  }
}

export async function waitForNodeReady(client: Client, node: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `node ${node} Ready`,
    async () => {
      const n = await client.resource(resources.nodes).get(node);
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    timeoutMs,
    200,
  );
}

export async function waitForPod(client: Client, namespace: string, name: string, what: string, ok: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await eventually(
      `pod ${name}: ${what}`,
      async () => {
        last = await client.resource(resources.pods, namespace).get(name);
        return ok(last) && last;
      },
      timeoutMs,
      200,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`);
  }
}

/** `docker inspect --format` of a pod's container (the latest one of that name). */
export function inspectInPod(pod: Pod, container: string, format: string): string {
  const id = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.kubernetes.pod.uid=${pod.metadata.uid}`, '--filter', `label=io.kubernetes.container.name=${container}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)[0];
  if (!id) throw new Error(`no container ${container} for pod ${pod.metadata.name}`);
  return execFileSync('docker', ['inspect', '--format', format, id], { encoding: 'utf8' }).trim();
}
