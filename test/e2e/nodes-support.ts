/**
 * Issue #6's end-to-end cluster: an apiserver, a controller-manager with short node-monitor grace periods,
 * the scheduler and two `pgkube agent --runtime docker` processes as two nodes (distinct names and pod
 * CIDRs), each serving its kubelet API with a token the apiserver presents. Pods are real containers on
 * the pgkube bridge; stop() removes them by label, and the agents take their iptables chains out.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, resources } from '../../src/client/index.js';
import type { Pod } from '../../src/client/index.js';
import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { dockerAvailable, removeByLabel, waitForNodeReady } from '../agent/docker-support.js';
import { eventually } from '../support/eventually.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';
import type { KubectlResult } from '../support/kubectl.js';

export { dockerAvailable };
export const skipReason = dockerAvailable ? undefined : '"docker info" failed or local/busybox:1 is missing';
if (skipReason) process.stderr.write(`node e2e tests skipped: ${skipReason}\n`);

export interface NodeAgent {
  node: string;
  podCIDR: string;
  args: string[];
  proc: ReturnType<Cluster['startControllerManager']>;
}

export interface NodesCluster {
  c: Cluster;
  client: Client;
  agents: NodeAgent[];
  /** A private temp dir for hostPath volumes and files to copy. */
  dir: string;
  kubectl(args: string[], opts?: { input?: string; minor?: string; timeoutMs?: number }): Promise<KubectlResult>;
  stop(): Promise<void>;
}

/** Two /24s of 10.244.0.0/16, random so concurrent test files do not share pod IPs. */
function twoPodCIDRs(): [string, string] {
  const a = 20 + Math.floor(Math.random() * 115) * 2;
  return [`10.244.${a}.0/24`, `10.244.${a + 1}.0/24`];
}

export async function startNodesCluster(opts: { agentArgs?: string[]; agents?: number } = {}): Promise<NodesCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgkube-nodes-e2e-'));
  const tokenFile = path.join(dir, 'kubelet-token');
  writeFileSync(tokenFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const c = await startCluster({
    controllerManager: ['nodelifecycle', 'tainteviction', 'replicaset', 'deployment', 'endpoint', 'endpointslice', 'garbagecollector'],
    controllerManagerArgs: ['--node-monitor-period', '500ms', '--node-monitor-grace-period', '6s', '--node-startup-grace-period', '20s'],
    scheduler: true,
    apiServerArgs: ['--kubelet-client-token-file', tokenFile],
  });
  const client = new Client({ server: c.url, qps: 200, burst: 400 });
  const suffix = randomBytes(3).toString('hex');
  const cidrs = twoPodCIDRs();
  const agents: NodeAgent[] = [];
  for (let i = 0; i < (opts.agents ?? 2); i++) {
    const node = `e2e-${suffix}-${i}`;
    const args = [
      '--runtime', 'docker', '--node-name', node, '--pod-cidr', cidrs[i],
      '--root-dir', path.join(dir, 'agents', node),
      '--kubelet-port', '0', '--kubelet-token-file', tokenFile,
      '--node-lease-duration-seconds', '2',
      '--container-backoff-base', '2s', '--sync-frequency', '1s',
      ...(opts.agentArgs ?? []),
    ];
    // startAgent adds --runtime simulated first; a later --runtime wins with commander.
    const proc = c.startAgent(args);
    agents.push({ node, podCIDR: cidrs[i], args, proc });
  }
  const kubectl33 = await kubectlPath();
  const stop = async () => {
    for (const a of agents) a.proc.child.kill('SIGCONT');
    await client.close();
    await c.stop();
    for (const a of agents) removeByLabel(a.node);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(agents.map((a) => waitForNodeReady(client, a.node, 90_000)));
  } catch (e) {
    const logs = c.logs();
    await stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
  return {
    c,
    client,
    agents,
    dir,
    kubectl: async (args, o = {}) => runKubectl(o.minor ? await kubectlPath(o.minor) : kubectl33, args, { kubeconfig: c.kubeconfig, input: o.input, timeoutMs: o.timeoutMs }),
    stop,
  };
}

export const podReady = (p: Pod) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true;

/** The pods of a label selector once `ok` holds for them (their list). */
export async function waitForPods(client: Client, ns: string, selector: string, what: string, ok: (pods: Pod[]) => boolean, timeoutMs = 90_000): Promise<Pod[]> {
  let last: Pod[] = [];
  try {
    return await eventually(
      what,
      async () => {
        last = (await client.resource(resources.pods, ns).list({ labelSelector: selector })).items;
        return ok(last) && last;
      },
      timeoutMs,
      300,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast pods: ${JSON.stringify(last.map((p) => ({ name: p.metadata.name, node: p.spec?.nodeName, status: p.status })), null, 1)}`);
  }
}

/** A Deployment of busybox httpd pods whose index page answers the pod's hostname. */
export function httpdDeployment(name: string, replicas: number, extra: { tolerationSeconds?: number } = {}) {
  const tolerations = extra.tolerationSeconds === undefined
    ? undefined
    : ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: extra.tolerationSeconds }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          tolerations,
          containers: [
            {
              name: 'web',
              image: 'local/busybox:1',
              imagePullPolicy: 'Never',
              command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && echo serving $(hostname) && exec httpd -f -p 8080 -h /www'],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}
