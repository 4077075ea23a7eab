import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, isNotFound, resources } from '../client/index.js';
import type { RestConfig } from '../client/index.js';
import { writeFileAtomic } from './pki.js';
import { startRole } from './role-process.js';
import type { RoleProcess } from './role-process.js';

/**
 * The scheduler and the node agent that `pgkube up` runs as child processes, each with the admin
 * kubeconfig of the data directory and its log in `<dataDir>/<role>.log`.
 */

/** In the pki directory: the bearer token the API server presents to the node agents' kubelet API. */
export const KUBELET_TOKEN_FILE = 'kubelet-client.token';
/** The simulated agent's only node (its --node-name-prefix default, index 0). */
const SIMULATED_NODE = 'sim-node-0';
/** Child logs: klog text lines, info and above, whatever up prints. */
const LOG_ARGS = ['--log-level', 'info', '--log-format', 'text'];

/** The kubelet API token, made at first start (0600) and kept: agents started by hand may use the file. */
export function ensureKubeletToken(pkiDir: string): string {
  const file = path.join(pkiDir, KUBELET_TOKEN_FILE);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (existing) return existing;
  const token = randomBytes(32).toString('base64url');
  writeFileAtomic(file, `${token}\n`, 0o600);
  return token;
}

export function startScheduler(dataDir: string, kubeconfig: string): RoleProcess {
  return startRole('scheduler', ['--kubeconfig', kubeconfig, ...LOG_ARGS], path.join(dataDir, 'scheduler.log'));
}

export interface StartedAgent {
  agent: RoleProcess;
  nodeName: string;
}

/**
 * One node agent on this machine: with the docker runtime one node named after the host, else one
 * simulated node. Its kubelet API listens on loopback (any free port, which it registers in the Node)
 * and accepts the token the API server presents. Resolves once the node is Ready; fails, with the end of
 * its log, if the agent exits first or the node is not Ready within `timeoutMs`.
 */
export async function startNodeAgent(opts: {
  dataDir: string;
  kubeconfig: string;
  runtime: 'docker' | 'simulated';
  config: RestConfig;
  timeoutMs?: number;
}): Promise<StartedAgent> {
  const nodeName = opts.runtime === 'docker' ? os.hostname().toLowerCase() : SIMULATED_NODE;
  const args = [
    '--kubeconfig', opts.kubeconfig,
    ...(opts.runtime === 'docker' ? ['--runtime', 'docker', '--node-name', nodeName] : ['--runtime', 'simulated', '--nodes', '1']),
    '--kubelet-port', '0',
    '--node-ip', '127.0.0.1',
    '--kubelet-token-file', path.join(opts.dataDir, 'pki', KUBELET_TOKEN_FILE),
    ...LOG_ARGS,
  ];
  const agent = startRole('agent', args, path.join(opts.dataDir, 'agent.log'));
  const client = new Client({ ...opts.config, userAgent: 'pgkube-up' });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (agent.hasExited()) {
        throw new Error(`the node agent exited (${await agent.exited}); the end of ${agent.logFile}:\n${agent.logTail()}`);
      }
      try {
        const node = await client.resource(resources.nodes).get(nodeName);
        if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return { agent, nodeName };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (Date.now() > deadline) {
        await agent.stop(2000);
        throw new Error(`node ${nodeName} was not Ready within ${(opts.timeoutMs ?? 60_000) / 1000} s; the end of ${agent.logFile}:\n${agent.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await client.close();
  }
}
