/**
 * Container lifecycle hooks (postStart, preStop) as kubelet runs them: exec in the container, an HTTP GET
 * to the pod, or a sleep; a failure comes back as kubelet's message for the FailedPostStartHook /
 * FailedPreStopHook event.
 */
import http from 'node:http';
import https from 'node:https';
import type Docker from 'dockerode';
import type { Container, LifecycleHandler } from '../../client/index.js';
import { execIn } from './engine.js';

export interface HookTarget {
  /** The docker container. */
  id: string;
  container: Container;
  podIP?: string;
  /** kubelet's format.Pod: name_namespace(uid). */
  podDesc: string;
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.get(url, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
    req.on('error', reject);
  });
}

/** Runs the hook; undefined when it succeeded, else the failure message. */
export async function runHook(docker: Docker, h: LifecycleHandler, t: HookTarget, timeoutMs: number): Promise<string | undefined> {
  try {
    if (h.exec) {
      const cmd = h.exec.command ?? [];
      const r = await execIn(docker, t.id, cmd, timeoutMs);
      if (r.exitCode !== 0) {
        return `Exec lifecycle hook (${JSON.stringify(cmd)}) for Container "${t.container.name}" in Pod "${t.podDesc}" failed - error: command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.output}, message: "${r.output}"`;
      }
    } else if (h.httpGet) {
      const g = h.httpGet;
      const port = typeof g.port === 'number' ? g.port : (t.container.ports?.find((p) => p.name === g.port)?.containerPort ?? Number(g.port));
      const url = `${(g.scheme ?? 'HTTP').toLowerCase()}://${g.host || t.podIP}:${port}${g.path ?? '/'}`;
      const code = await httpStatus(url, timeoutMs);
      if (code < 200 || code >= 400) return `HTTP lifecycle hook (${g.path ?? '/'}) for Container "${t.container.name}" in Pod "${t.podDesc}" failed - error: HTTP status ${code}`;
    } else if (h.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(timeoutMs, h.sleep!.seconds * 1000)));
    }
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
