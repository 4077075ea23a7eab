import type { ServerResponse } from 'node:http';
import { sendJson } from './respond.js';

/** The Kubernetes release whose behaviour pgkube matches (kubectl picks its dispatch version from it). */
export const KUBERNETES_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0' };

export function versionInfo(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: 'pgkube',
    gitTreeState: 'clean',
    buildDate: '2026-11-27T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'pgkube',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export interface HealthCheck {
  name: string;
  check(): Promise<void> | void;
}

/**
 * /livez, /readyz and /healthz as kube-apiserver answers them: 200 "ok", or with ?verbose one line per
 * check; a failing check makes it 500 with "[-]name failed: reason withheld".
 */
export async function serveHealth(res: ServerResponse, kind: string, checks: HealthCheck[], only: string | undefined, verbose: boolean): Promise<void> {
  const selected = only ? checks.filter((c) => c.name === only) : checks;
  if (only && selected.length === 0) {
    res.statusCode = 404;
    res.end('404 page not found\n');
    return;
  }
  const lines: string[] = [];
  let failed = false;
  for (const c of selected) {
    try {
      await c.check();
      lines.push(`[+]${c.name} ok`);
    } catch {
      failed = true;
      lines.push(`[-]${c.name} failed: reason withheld`);
    }
  }
  res.statusCode = failed ? 500 : 200;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (failed || verbose) res.end(`${lines.join('\n')}\n${kind} check ${failed ? 'failed' : 'passed'}\n`);
  else res.end('ok');
}

export function sendVersion(res: ServerResponse): void {
  sendJson(res, 200, JSON.stringify(versionInfo()));
}
