/**
 * kubelet's AtomicWriter: a volume's files live in a timestamped hidden directory; `..data` is a symlink to
 * the current one and each visible name is a symlink through `..data`. An update writes a new directory
 * and swaps `..data` with one rename, so a reader sees either the old set of files or the new one.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface FileProjection {
  data: Buffer;
  mode: number;
}

const DATA_LINK = '..data';

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${randomBytes(5).readUInt32BE()}`;
}

async function sameContent(dir: string, payload: Map<string, FileProjection>): Promise<boolean> {
  const seen = new Set<string>();
  const walk = async (rel: string): Promise<boolean> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!(await walk(r))) return false;
        continue;
      }
      const want = payload.get(r);
      if (!want) return false;
      const st = await fs.stat(path.join(dir, r));
      if ((st.mode & 0o777) !== want.mode) return false;
      if (!(await fs.readFile(path.join(dir, r))).equals(want.data)) return false;
      seen.add(r);
    }
    return true;
  };
  try {
    return (await walk('')) && seen.size === payload.size;
  } catch {
    return false;
  }
}

/** Makes `target` hold exactly `payload` (relative path -> content); returns whether anything changed. */
export async function writeAtomically(target: string, payload: Map<string, FileProjection>): Promise<boolean> {
  await fs.mkdir(target, { recursive: true });
  let oldDir: string | undefined;
  try {
    oldDir = await fs.readlink(path.join(target, DATA_LINK));
  } catch {
    oldDir = undefined;
  }
  if (oldDir && (await sameContent(path.join(target, oldDir), payload))) return false;
  const fresh = stamp();
  const freshPath = path.join(target, fresh);
  await fs.mkdir(freshPath, { mode: 0o755 });
  for (const [rel, f] of payload) {
    const file = path.join(freshPath, rel);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await fs.writeFile(file, f.data);
    await fs.chmod(file, f.mode);
  }
  await fs.chmod(freshPath, 0o755);
  const tmpLink = path.join(target, '..data_tmp');
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(fresh, tmpLink);
  await fs.rename(tmpLink, path.join(target, DATA_LINK));
  // Visible names: one symlink per top-level entry, through ..data.
  const top = new Set([...payload.keys()].map((k) => k.split('/')[0]));
  for (const name of top) {
    const link = path.join(target, name);
    try {
      await fs.readlink(link);
      continue;
    } catch {
      await fs.rm(link, { force: true, recursive: true });
    }
    await fs.symlink(path.join(DATA_LINK, name), link);
  }
  for (const e of await fs.readdir(target)) {
    if (e.startsWith('..')) continue;
    if (!top.has(e)) await fs.rm(path.join(target, e), { force: true, recursive: true });
  }
  if (oldDir && oldDir !== fresh) await fs.rm(path.join(target, oldDir), { force: true, recursive: true });
  return true;
}
