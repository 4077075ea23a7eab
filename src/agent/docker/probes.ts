/**
 * Container probes as kubelet's prober runs them: exec in the container, HTTP GET and TCP connect to the
 * pod IP, each bounded by timeoutSeconds; gRPC answers unsupported. A ProbeWorker repeats one probe every
 * periodSeconds after initialDelaySeconds and flips its result after successThreshold successes or
 * failureThreshold failures in a row.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, Probe } from '../../client/index.js';

export type ProbeKind = 'Liveness' | 'Readiness' | 'Startup';

export interface ProbeOutcome {
  ok: boolean;
  output: string;
}

export interface ProbeTarget {
  podIP?: string;
  container: Container;
  /** Runs a command in the container: exit code and combined output; rejects on timeout. */
  exec(cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
}

function portOf(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    const cmd = probe.exec.command ?? [];
    try {
      const r = await target.exec(cmd, timeoutMs);
      return { ok: r.exitCode === 0, output: r.output };
    } catch (e) {
      return { ok: false, output: e instanceof Error ? e.message : String(e) };
    }
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const host = g.host || target.podIP || '127.0.0.1';
    const port = portOf(g.port as number | string, target.container);
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${g.path ?? '/'}`;
    if (port === undefined) return { ok: false, output: `unable to resolve port ${String(g.port)}` };
    return httpProbe(url, g.httpHeaders ?? [], timeoutMs);
  }
  if (probe.tcpSocket) {
    const host = probe.tcpSocket.host || target.podIP || '127.0.0.1';
    const port = portOf(probe.tcpSocket.port as number | string, target.container);
    if (port === undefined) return { ok: false, output: `unable to resolve port ${String(probe.tcpSocket.port)}` };
    return tcpProbe(host, port, timeoutMs);
  }
  if (probe.grpc) return { ok: false, output: 'gRPC probes are not supported by the pgkube docker runtime' };
  return { ok: false, output: 'missing probe handler' };
}

export function httpProbe(url: string, headers: { name: string; value: string }[], timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https') ? https : http;
    const hdrs: Record<string, string> = { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' };
    for (const h of headers) hdrs[h.name] = h.value;
    const req = mod.get(url, { headers: hdrs, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.length < 16 && chunks.push(c));
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) resolve({ ok: true, output: '' });
        else resolve({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => resolve({ ok: false, output: `Get "${url}": ${e.message}` }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: `Get "${url}": ${dialError(e, url)}` }));
  });
}

function dialError(e: NodeJS.ErrnoException, where: string): string {
  if (e.code === 'ECONNREFUSED') return `dial tcp ${where.replace(/^\w+:\/\//, '').replace(/\/.*$/, '')}: connect: connection refused`;
  return e.message;
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const addr = `${host}:${port}`;
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, output: `dial tcp ${addr}: i/o timeout` });
    }, timeoutMs);
    sock.on('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, output: '' });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, output: e.code === 'ECONNREFUSED' ? `dial tcp ${addr}: connect: connection refused` : `dial tcp ${addr}: ${e.message}` });
    });
  });
}

/** One probe of one container, repeated until stopped. */
export class ProbeWorker {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** Liveness starts healthy, readiness and startup do not (kubelet's initial results). */
  result: boolean;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    private readonly report: (kind: ProbeKind, ok: boolean, output: string, changed: boolean) => void,
  ) {
    this.result = kind === 'Liveness';
  }

  start(): void {
    this.timer = setTimeout(() => void this.tick(), (this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const r = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    let changed = false;
    if (r.ok) {
      this.failures = 0;
      this.successes++;
      if (!this.result && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.result = true;
        changed = true;
      }
    } else {
      this.successes = 0;
      this.failures++;
      if ((this.result || this.kind === 'Startup') && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.result = false;
        changed = true;
        this.failures = 0;
      }
    }
    this.report(this.kind, r.ok, r.output, changed);
    // Startup probes stop once decided; liveness stops once it failed (the container restarts).
    if (this.kind === 'Startup' && changed) return;
    if (this.kind === 'Liveness' && !this.result) return;
    this.timer = setTimeout(() => void this.tick(), (this.probe.periodSeconds ?? 10) * 1000);
  }
}
