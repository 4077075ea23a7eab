/**
 * Running iptables: rule sets go in with one iptables-restore --noflush call (atomic per table, holding
 * the xtables lock), the hooks from the built-in chains are checked and inserted one by one, and
 * everything of one tag comes out again on shutdown.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { ChainNames, RuleSet } from './rules.js';

const run = promisify(execFile);

interface Hook {
  table: 'nat' | 'filter';
  chain: string;
  rule: string[];
}

/** Which traffic arriving from outside (PREROUTING) an agent's chains see. */
export interface HookScope {
  /** This node's pod range: its pods' traffic goes through this agent's chains only. */
  podCIDR?: string;
  /** The whole pod network: traffic from elsewhere (other hosts) goes through every agent's chains. */
  clusterCIDR: string;
}

function hooks(names: ChainNames, scope: HookScope): Hook[] {
  const portals = ['-m', 'comment', '--comment', `pgkube service portals ${names.tag}`, '-j', names.services];
  const rejects = ['-m', 'comment', '--comment', `pgkube service rejects ${names.tag}`, '-j', names.services];
  // Agents of several clusters may share this machine (tests do): each sees its own pods' packets, as each
  // kube-proxy sees its own node's, so one cluster's service addresses never catch another's traffic.
  const prerouting = scope.podCIDR
    ? [
        { table: 'nat' as const, chain: 'PREROUTING', rule: ['-s', scope.podCIDR, ...portals] },
        { table: 'nat' as const, chain: 'PREROUTING', rule: ['!', '-s', scope.clusterCIDR, ...portals] },
      ]
    : [{ table: 'nat' as const, chain: 'PREROUTING', rule: portals }];
  return [
    ...prerouting,
    { table: 'nat', chain: 'OUTPUT', rule: portals },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-m', 'comment', '--comment', `pgkube postrouting rules ${names.tag}`, '-j', names.postrouting] },
    { table: 'filter', chain: 'INPUT', rule: rejects },
    { table: 'filter', chain: 'OUTPUT', rule: rejects },
    { table: 'filter', chain: 'FORWARD', rule: rejects },
  ];
}

export async function restore(text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('iptables-restore', ['--noflush', '-w', '5'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore failed (${code}): ${err.trim()}`))));
    child.stdin.end(text);
  });
}

/** The chains of a table whose names start with one of the prefixes. */
export async function existingChains(table: 'nat' | 'filter', prefixes: string[]): Promise<string[]> {
  const { stdout } = await run('iptables-save', ['-t', table], { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0])
    .filter((c) => prefixes.some((p) => c.startsWith(p)));
}

async function hookPresent(h: Hook): Promise<boolean> {
  try {
    await run('iptables', ['-w', '5', '-t', h.table, '-C', h.chain, ...h.rule]);
    return true;
  } catch {
    return false;
  }
}

/** Writes the rule set, deletes this tag's chains it no longer has, and makes sure the hooks are in place. */
export async function apply(names: ChainNames, rules: RuleSet, scope: HookScope): Promise<void> {
  const prefixes = [names.svcPrefix, names.sepPrefix];
  const staleNat = (await existingChains('nat', prefixes)).filter((c) => !rules.chains.nat.includes(c));
  let text = rules.text;
  if (staleNat.length > 0) {
    // Flushed first (nothing of ours jumps to them once the new rules are in), then deleted.
    text += ['*nat', ...staleNat.map((c) => `:${c} - [0:0]`), ...staleNat.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
  }
  await restore(text);
  for (const h of hooks(names, scope)) {
    if (!(await hookPresent(h))) await run('iptables', ['-w', '5', '-t', h.table, '-I', h.chain, '1', ...h.rule]);
  }
}

/** Removes the hooks and every chain of this tag. */
export async function remove(names: ChainNames, scope: HookScope): Promise<void> {
  for (const h of [...hooks(names, scope), ...hooks(names, { clusterCIDR: scope.clusterCIDR })]) {
    while (await hookPresent(h)) await run('iptables', ['-w', '5', '-t', h.table, '-D', h.chain, ...h.rule]);
  }
  const natPrefixes = [names.services, names.nodePorts, names.postrouting, names.markMasq, names.svcPrefix, names.sepPrefix];
  const nat = await existingChains('nat', natPrefixes);
  const filter = await existingChains('filter', [names.services]);
  const block = (table: string, chains: string[]) => (chains.length ? [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT'] : []);
  const text = [...block('nat', nat), ...block('filter', filter), ''].join('\n');
  if (text.trim()) await restore(text);
}

/** Whether iptables can be used here (present, and we may change rules). */
export async function iptablesUsable(): Promise<string | undefined> {
  try {
    await run('iptables', ['-w', '5', '-t', 'nat', '-S', 'OUTPUT']);
    await run('iptables-restore', ['--version']);
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
