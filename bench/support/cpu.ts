/**
 * CPU accounting from /proc (Linux): how much CPU the apiserver (whole process and its main thread, the
 * event loop), PostgreSQL (postmaster and all its children) and the benchmark process used during a
 * phase, and how busy the machine was. Elsewhere every figure is n/a.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number.parseInt(r.stdout ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

interface ProcStat {
  ppid: number;
  /** user + system seconds of the process (all threads) */
  self: number;
  /** system seconds alone (syscalls: socket reads and writes, ...) */
  sys: number;
  /** user + system seconds of reaped children */
  children: number;
}

function readProcStat(file: string): ProcStat | undefined {
  try {
    const s = fs.readFileSync(file, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // after comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return {
      ppid: Number.parseInt(f[1], 10),
      self: (Number(f[11]) + Number(f[12])) / TICKS,
      sys: Number(f[12]) / TICKS,
      children: (Number(f[13]) + Number(f[14])) / TICKS,
    };
  } catch {
    return undefined;
  }
}

/** Seconds of CPU used by a process tree rooted at `root` (root incl. reaped children, plus live children). */
export function treeSeconds(root: number): number | undefined {
  const top = readProcStat(`/proc/${root}/stat`);
  if (!top) return undefined;
  let total = top.self + top.children;
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return total;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === root) continue;
    const st = readProcStat(`/proc/${e}/stat`);
    if (st && st.ppid === root) total += st.self;
  }
  return total;
}

function machine(): { busy: number; total: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / TICKS, total: total / TICKS };
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  at: number;
  apiserver?: number;
  apiserverSys?: number;
  apiserverMain?: number;
  postgres?: number;
  bench: number;
  machineBusy?: number;
  machineTotal?: number;
}

export interface CpuUse {
  /** Each in cores (1.0 = one core fully busy) averaged over the interval. */
  apiserver?: number;
  /** The part of `apiserver` spent in the kernel. */
  apiserverSys?: number;
  apiserverMain?: number;
  postgres?: number;
  bench: number;
  /** Whole machine, as a fraction of all cores (0..1). */
  machine?: number;
  seconds: number;
}

export class CpuMeter {
  constructor(
    private readonly pids: { apiserver?: number; postmaster?: number },
  ) {}

  sample(): CpuSample {
    const { apiserver, postmaster } = this.pids;
    const m = machine();
    const u = process.cpuUsage();
    const api = apiserver ? readProcStat(`/proc/${apiserver}/stat`) : undefined;
    return {
      at: performance.now(),
      apiserver: api?.self,
      apiserverSys: api?.sys,
      apiserverMain: apiserver ? readProcStat(`/proc/${apiserver}/task/${apiserver}/stat`)?.self : undefined,
      postgres: postmaster ? treeSeconds(postmaster) : undefined,
      bench: (u.user + u.system) / 1e6,
      machineBusy: m?.busy,
      machineTotal: m?.total,
    };
  }

  static between(a: CpuSample, b: CpuSample): CpuUse {
    const secs = (b.at - a.at) / 1000;
    const d = (x?: number, y?: number) => (x === undefined || y === undefined ? undefined : (y - x) / secs);
    const busy = a.machineBusy !== undefined && b.machineBusy !== undefined && a.machineTotal !== undefined && b.machineTotal !== undefined
      ? (b.machineBusy - a.machineBusy) / Math.max(1e-9, b.machineTotal - a.machineTotal)
      : undefined;
    return {
      apiserver: d(a.apiserver, b.apiserver),
      apiserverSys: d(a.apiserverSys, b.apiserverSys),
      apiserverMain: d(a.apiserverMain, b.apiserverMain),
      postgres: d(a.postgres, b.postgres),
      bench: (b.bench - a.bench) / secs,
      machine: busy,
      seconds: secs,
    };
  }
}

export function machineInfo(): { cpus: number; model: string } {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // not Linux
  }
  const r = spawnSync('nproc', [], { encoding: 'utf8' });
  const n = Number.parseInt(r.stdout ?? '', 10);
  return { cpus: Number.isInteger(n) && n > 0 ? n : os.availableParallelism(), model };
}
