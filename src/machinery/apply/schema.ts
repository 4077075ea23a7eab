/**
 * The typed view server-side apply needs of the built-in kinds: which fields a struct has, and how each
 * list and map merges. Built lazily from src/machinery/generated/apply-schema.json (derived from the
 * Kubernetes 1.33 OpenAPI description by scripts/derive-apply-schema.mjs).
 */
import schemaJson from '../generated/apply-schema.json' with { type: 'json' };

type RawType =
  | 's'
  | 'd'
  | { r: string; a?: 1; z?: 1 }
  | { l: RawType; t: 'atomic' | 'set' | 'map'; k?: string[]; kd?: Record<string, unknown>; z?: 1 }
  | { m: RawType; a?: 1; z?: 1 };

interface RawFile {
  kinds: Record<string, string>;
  definitions: Record<string, { f: Record<string, RawType>; a?: 1 }>;
}

const RAW = schemaJson as unknown as RawFile;

export type TypeRef = ScalarType | UntypedType | StructType | ListType | MapType;

export interface ScalarType {
  readonly kind: 'scalar';
}

/** Free-form JSON: maps merge granularly, lists are atomic (upstream's deduced type). */
export interface UntypedType {
  readonly kind: 'untyped';
}

export interface StructType {
  readonly kind: 'struct';
  readonly name: string;
  readonly atomic: boolean;
  /** Fields by name (resolved on first use). */
  field(name: string): TypeRef | undefined;
  fieldNames(): string[];
  /** The type's Go zero value as JSON (frozen): non-pointer structs as {}, non-omitempty lists and maps as null. */
  zero(): Record<string, unknown>;
}

export interface ListType {
  readonly kind: 'list';
  readonly elem: TypeRef;
  readonly relationship: 'atomic' | 'set' | 'map';
  readonly keys: readonly string[];
  readonly keyDefaults: Readonly<Record<string, unknown>>;
}

export interface MapType {
  readonly kind: 'map';
  readonly elem: TypeRef;
  readonly atomic: boolean;
}

export const SCALAR: ScalarType = { kind: 'scalar' };
export const UNTYPED: UntypedType = { kind: 'untyped' };

const structCache = new Map<string, StructType>();
const atomicStructCache = new Map<string, StructType>();

function makeStruct(name: string, atomic: boolean): StructType {
  const def = RAW.definitions[name];
  const fields = new Map<string, TypeRef>();
  let zero: Record<string, unknown> | undefined;
  return {
    kind: 'struct',
    name,
    atomic,
    field(f: string): TypeRef | undefined {
      let t = fields.get(f);
      if (t === undefined) {
        if (!def || !Object.prototype.hasOwnProperty.call(def.f, f)) return undefined;
        t = resolve(def.f[f]);
        fields.set(f, t);
      }
      return t;
    },
    fieldNames: () => (def ? Object.keys(def.f) : []),
    zero(): Record<string, unknown> {
      if (zero) return zero;
      const out: Record<string, unknown> = {};
      for (const [f, raw] of Object.entries(def?.f ?? {})) {
        if (typeof raw !== 'object' || raw.z !== 1) continue;
        out[f] = 'r' in raw ? structType(raw.r).zero() : null;
      }
      // Shared by every caller: frozen, so nobody changes it.
      zero = deepFreeze(out);
      return zero;
    },
  };
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The struct type of a definition; `atomic` overrides the definition's own map type. */
export function structType(name: string, atomic?: boolean): StructType {
  const isAtomic = atomic ?? RAW.definitions[name]?.a === 1;
  const cache = isAtomic ? atomicStructCache : structCache;
  let t = cache.get(name);
  if (!t) {
    t = makeStruct(name, isAtomic);
    cache.set(name, t);
  }
  return t;
}

function resolve(raw: RawType): TypeRef {
  if (raw === 's') return SCALAR;
  if (raw === 'd') return UNTYPED;
  if ('r' in raw) return structType(raw.r, raw.a === 1 ? true : undefined);
  if ('l' in raw) {
    return { kind: 'list', elem: resolve(raw.l), relationship: raw.t, keys: raw.k ?? [], keyDefaults: raw.kd ?? {} };
  }
  return { kind: 'map', elem: resolve(raw.m), atomic: raw.a === 1 };
}

/** The type of a built-in kind (group '' for core), or undefined when the schema does not know it. */
export function kindType(group: string, version: string, kind: string): StructType | undefined {
  const key = `${group}/${version}/${kind}`;
  const name = Object.prototype.hasOwnProperty.call(RAW.kinds, key) ? RAW.kinds[key] : undefined;
  if (!name || !Object.prototype.hasOwnProperty.call(RAW.definitions, name)) return undefined;
  return structType(name);
}
