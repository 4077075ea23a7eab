import fs from 'node:fs';
import Docker from 'dockerode';

/** What `pgkube up --node-runtime` takes: which node agent up starts, if any. */
export const NODE_RUNTIMES = ['auto', 'docker', 'simulated', 'none'] as const;
export type NodeRuntimeChoice = (typeof NODE_RUNTIMES)[number];

/** The runtime up settled on, and why (shown in its step line). */
export interface NodeRuntimeDecision {
  runtime: 'docker' | 'simulated' | 'none';
  reason: string;
}

/**
 * Whether a Docker Engine answers a ping, where dockerode looks (DOCKER_HOST, else /var/run/docker.sock);
 * undefined when it does, else why not.
 */
export async function dockerUnreachable(timeoutMs = 3000): Promise<string | undefined> {
  if (!process.env.DOCKER_HOST && !fs.existsSync('/var/run/docker.sock')) return 'no /var/run/docker.sock and no DOCKER_HOST';
  let timer: NodeJS.Timeout | undefined;
  try {
    const docker = new Docker();
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/** auto: real containers when a Docker Engine is reachable, else simulated pods. */
export async function decideNodeRuntime(choice: NodeRuntimeChoice): Promise<NodeRuntimeDecision> {
  switch (choice) {
    case 'docker':
      return { runtime: 'docker', reason: 'real containers' };
    case 'simulated':
      return { runtime: 'simulated', reason: 'as --node-runtime asks' };
    case 'none':
      return { runtime: 'none', reason: 'no node agent' };
    case 'auto': {
      const why = await dockerUnreachable();
      return why === undefined
        ? { runtime: 'docker', reason: 'real containers' }
        : { runtime: 'simulated', reason: `no Docker engine reachable: ${why}` };
    }
  }
}
