/**
 * The pod-template-hash (upstream controller.ComputeHash): FNV-32a over the pod template, then the
 * collision count as 8 little-endian bytes (the low 4 set), the uint32 printed in decimal and passed
 * through rand.SafeEncodeString (every byte mapped onto a 27-character alphabet without vowels).
 *
 * Upstream hashes Go's spew printing of the PodTemplateSpec struct (every field in Go declaration
 * order, with Go type names); reproducing that for the whole PodSpec is not done here, so the hash is
 * taken over the template's JSON with keys sorted. Names therefore have the same shape as on a real
 * cluster (`<deployment>-<up to 10 chars>`) but not the same value. Nothing relies on the value: new
 * ReplicaSets are found by comparing templates, as upstream does.
 */
import type { PodTemplateSpec } from '../../client/index.js';

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

export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJson(template), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}
