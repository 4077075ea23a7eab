/**
 * The pod-template-hash (upstream controller.ComputeHash): FNV-32a over Go's dump.ForHash printing of
 * the PodTemplateSpec (go-dump.ts), then the collision count as 8 little-endian bytes (the low 4 set),
 * the uint32 printed in decimal and passed through rand.SafeEncodeString (every byte mapped onto a
 * 27-character alphabet without vowels). The same template thus gives the same ReplicaSet name as on a
 * real cluster (test/controllers/fixtures holds vectors computed with upstream's Go code).
 *
 * A template the Go printing is not reproduced for (a non-zero time in it, or a quantity Go keeps as
 * inf.Dec) is hashed over its JSON with sorted keys instead: a name of the same shape, not the same
 * value. Nothing relies on the value: new ReplicaSets are found by comparing templates, as upstream does.
 */
import type { PodTemplateSpec } from '../../client/index.js';
import { goDumpPodTemplate } from './go-dump.js';
import { UnsupportedForHash } from './go-quantity.js';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += ALPHANUMS[b % ALPHANUMS.length];
  return out;
}

/** JSON with object keys sorted at every level, so equal templates hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.keys(v as Record<string, unknown>)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v);
}

function printTemplate(template: PodTemplateSpec): string {
  try {
    return goDumpPodTemplate(template);
  } catch (e) {
    if (e instanceof UnsupportedForHash) return canonicalJson(template);
    throw e;
  }
}

export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(printTemplate(template), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}
