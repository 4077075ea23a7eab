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

/** A check that has not answered by then has failed (a hung PostgreSQL must not hang the probes). */
const CHECK_TIMEOUT_MS = 5_000;

async function runCheck(c: HealthCheck): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000}s`)), CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function sendText(res: ServerResponse, code: number, body: string): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(body);
}

/**
 * /livez, /readyz and /healthz as kube-apiserver's healthz package answers them:
 *
 * - 200 "ok"; with `?verbose` one line per check and "<kind> check passed";
 * - a failing check makes it 500 with every line ("[-]name failed: reason withheld") and "<kind> check
 *   failed", verbose or not;
 * - `?exclude=name` (repeatable) skips a check ("[+]name excluded: ok"); a name that matches no check
 *   adds `warn: some health checks cannot be excluded: no matches for "name"`;
 * - `/<kind>/<name>` runs one check: "ok", or 500 "internal server error: <reason>".
 */
export async function serveHealth(res: ServerResponse, kind: string, checks: HealthCheck[], only: string | undefined, query: URLSearchParams): Promise<void> {
  if (only !== undefined) {
    const check = checks.find((c) => c.name === only);
    if (!check) return sendText(res, 404, '404 page not found\n');
    try {
      await runCheck(check);
      return sendText(res, 200, 'ok');
    } catch (err) {
      return sendText(res, 500, `internal server error: ${(err as Error).message ?? String(err)}\n`);
    }
  }
  const excluded = new Set(query.getAll('exclude'));
  const results = await Promise.all(
    checks.map(async (c) => {
      if (excluded.has(c.name)) return `[+]${c.name} excluded: ok`;
      try {
        await runCheck(c);
        return `[+]${c.name} ok`;
      } catch {
        return `[-]${c.name} failed: reason withheld`;
      }
    }),
  );
  for (const c of checks) excluded.delete(c.name);
  const failed = results.some((line) => line.startsWith('[-]'));
  const lines = results.map((line) => `${line}\n`).join('');
  const warn = excluded.size > 0 ? `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((n) => JSON.stringify(n)).join(',')}\n` : '';
  if (failed) return sendText(res, 500, `${lines}${warn}${kind} check failed\n`);
  if (!query.has('verbose')) return sendText(res, 200, 'ok');
  sendText(res, 200, `${lines}${warn}${kind} check passed\n`);
}

export function sendVersion(res: ServerResponse): void {
  sendJson(res, 200, JSON.stringify(versionInfo()));
}
