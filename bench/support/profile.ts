/**
 * Summaries of a V8 .cpuprofile (node --cpu-prof) of the apiserver: self time per function and per
 * area (pgkube source, express, pg, node internals, GC, idle), within a time window. V8 stamps samples
 * with its monotonic clock in microseconds, which on Linux is CLOCK_MONOTONIC, the clock of
 * process.hrtime(): so a window measured with nowMs() in the benchmark selects the samples of a phase.
 */
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; where: string; ms: number; share: number }[];
  areas: { area: string; ms: number; share: number }[];
}

export class Profile {
  private readonly frames = new Map<number, CallFrame>();
  private readonly times: Float64Array;
  readonly startMs: number;
  readonly endMs: number;

  constructor(private readonly p: CpuProfile) {
    for (const n of p.nodes) this.frames.set(n.id, n.callFrame);
    this.times = new Float64Array(p.samples.length);
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      this.times[i] = t / 1000;
    }
    this.startMs = p.startTime / 1000;
    this.endMs = p.endTime / 1000;
  }

  static load(file: string): Profile {
    return new Profile(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile);
  }

  /** Self time per function and area for samples in [fromMs, toMs) (monotonic ms). */
  summarize(fromMs: number, toMs: number, top = 15): ProfileSummary {
    const byFn = new Map<string, { name: string; where: string; ms: number }>();
    const byArea = new Map<string, number>();
    let total = 0;
    const n = this.p.samples.length;
    for (let i = 0; i < n; i++) {
      const t = this.times[i];
      if (t < fromMs || t >= toMs) continue;
      // A sample stands for the time until the next one.
      const dt = i + 1 < n ? this.times[i + 1] - t : 0;
      if (dt <= 0 || dt > 100) continue;
      const f = this.frames.get(this.p.samples[i]);
      if (!f) continue;
      total += dt;
      const where = shortUrl(f.url, f.lineNumber);
      const key = `${f.functionName}@${where}`;
      const e = byFn.get(key) ?? { name: f.functionName || '(anonymous)', where, ms: 0 };
      e.ms += dt;
      byFn.set(key, e);
      const area = areaOf(f);
      byArea.set(area, (byArea.get(area) ?? 0) + dt);
    }
    const functions = [...byFn.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ ...e, share: total > 0 ? e.ms / total : 0 }));
    const areas = [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => ({ area, ms, share: total > 0 ? ms / total : 0 }));
    return { totalMs: total, functions, areas };
  }
}

function shortUrl(url: string, line: number): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) u = u.slice(nm + '/node_modules/'.length);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) u = u.slice(dist + '/dist/'.length);
  return `${u}:${line + 1}`;
}

function areaOf(f: CallFrame): string {
  const name = f.functionName;
  const url = f.url;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (program)';
  if (name === '(root)') return 'other';
  if (!url) return `native: builtins (JSON, strings, regexps...)`;
  const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) {
    const pkg = nm[1];
    if (pkg === 'pg' || pkg.startsWith('pg-')) return 'pg (node-postgres)';
    if (pkg === 'kysely') return 'kysely';
    return `npm: ${pkg === 'express' || pkg === 'router' || pkg === 'body-parser' || pkg === 'finalhandler' || pkg === 'send' ? 'express & router' : pkg}`;
  }
  if (url.startsWith('node:')) {
    if (/node:(_http|http)/.test(url)) return 'node: http';
    if (/node:(net|internal\/stream_base|internal\/streams|stream)/.test(url)) return 'node: net & streams';
    return 'node: other internals';
  }
  const src = /\/dist\/src\/([^/]+)\//.exec(url);
  if (src) return `pgkube src/${src[1]}`;
  return 'other';
}
