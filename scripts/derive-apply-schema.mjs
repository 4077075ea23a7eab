#!/usr/bin/env node
// Derives the server-side apply type view of the built-in kinds from the upstream OpenAPI v3 documents
// (reference data, see shared/reference/kubernetes-1.33/SOURCE.md) and writes the committed
// src/machinery/generated/apply-schema.json. Only structure is kept: which fields a struct has, and how
// lists and maps merge (x-kubernetes-list-type, x-kubernetes-list-map-keys, x-kubernetes-map-type, and
// for lists without a list type the patch strategy and merge key, as kube-openapi's schema conversion
// reads them). No descriptions or other upstream prose.
//
//   node scripts/derive-apply-schema.mjs [openapi-v3-dir]
//
// Output shape:
//   { "kinds": { "<group>/<version>/<Kind>": "<definition>" },
//     "definitions": { "<definition>": { "f": { "<field>": Type }, "a"?: 1 } } }   a: atomic struct
//   Type (z: 1 marks a field present in the type's Go zero value: a struct as {}, a list or map as null)
//        = "s"                                   scalar (strings, numbers, Quantity, Time, IntOrString...)
//        | "d"                                   free-form JSON (RawExtension, FieldsV1...): untyped
//        | { "r": "<definition>", "a"?: 1 }      a struct (a: atomic at this field)
//        | { "l": Type, "t": "atomic" | "set" | "map", "k"?: ["<key>", ...], "kd"?: { "<key>": default } }
//        | { "m": Type, "a"?: 1 }                a map with string keys (a: atomic)
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? '/work/shared/reference/kubernetes-1.33/openapi/v3';
const target = join(root, 'src/machinery/generated/apply-schema.json');
const REF_PREFIX = '#/components/schemas/';

const structs = new Set();
const schemas = new Map();
for (const f of readdirSync(source).filter((n) => n.endsWith('.json')).sort()) {
  const doc = JSON.parse(readFileSync(join(source, f), 'utf8'));
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) {
    if (!schemas.has(name)) schemas.set(name, s);
    if (s.properties && typeof s.properties === 'object') structs.add(name);
  }
}

function refName(ref) {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

/** The list relationship kube-openapi derives: list-type first, then a merge patch strategy, else atomic. */
function listOf(s, items) {
  const t = s['x-kubernetes-list-type'];
  if (t === 'map') return withKeyDefaults({ l: items, t: 'map', k: s['x-kubernetes-list-map-keys'] ?? [] }, s.items);
  if (t === 'set') return { l: items, t: 'set' };
  if (t === 'atomic') return { l: items, t: 'atomic' };
  const strategy = s['x-kubernetes-patch-strategy'];
  if (typeof strategy === 'string' && strategy.split(',').includes('merge')) {
    const key = s['x-kubernetes-patch-merge-key'];
    return typeof key === 'string' ? withKeyDefaults({ l: items, t: 'map', k: [key] }, s.items) : { l: items, t: 'set' };
  }
  return { l: items, t: 'atomic' };
}

/** Key fields with a schema default (ContainerPort.protocol: TCP) identify items that omit them. */
function withKeyDefaults(list, itemSchema) {
  const ref = itemSchema?.$ref ?? itemSchema?.allOf?.[0]?.$ref;
  const def = typeof ref === 'string' ? schemas.get(refName(ref)) : undefined;
  const defaults = {};
  for (const k of list.k) {
    const d = def?.properties?.[k]?.default;
    if (d !== undefined && d !== '' && d !== 0) defaults[k] = d;
  }
  if (Object.keys(defaults).length > 0) list.kd = defaults;
  return list;
}

function typeOf(s) {
  if (!s || typeof s !== 'object') return 'd';
  let ref;
  if (typeof s.$ref === 'string') ref = refName(s.$ref);
  else if (Array.isArray(s.allOf) && s.allOf.length === 1 && typeof s.allOf[0].$ref === 'string') ref = refName(s.allOf[0].$ref);
  if (ref !== undefined) {
    if (!structs.has(ref)) {
      const d = schemas.get(ref);
      return d && d.type === 'object' && !d.properties ? 'd' : 's';
    }
    return s['x-kubernetes-map-type'] === 'atomic' ? { r: ref, a: 1 } : { r: ref };
  }
  if (s.type === 'array') return listOf(s, typeOf(s.items));
  if (s.type === 'object') {
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      const m = { m: typeOf(s.additionalProperties) };
      if (s['x-kubernetes-map-type'] === 'atomic') m.a = 1;
      return m;
    }
    return 'd';
  }
  return 's';
}

const sorted = (o) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const definitions = {};
const kinds = {};
for (const name of [...schemas.keys()].sort()) {
  const s = schemas.get(name);
  for (const gvk of s['x-kubernetes-group-version-kind'] ?? []) {
    const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
    if (!(key in kinds)) kinds[key] = name;
  }
  if (!structs.has(name)) continue;
  const fields = {};
  const required = new Set(Array.isArray(s.required) ? s.required : []);
  for (const [field, p] of sorted(s.properties)) {
    const t = typeOf(p);
    // Present in the Go zero value of the type: non-pointer structs (default {}) and non-omitempty
    // (required) lists and maps, which encode as null. Creates are compared against that zero value.
    if (typeof t === 'object' && (('r' in t && p.default && typeof p.default === 'object' && !Array.isArray(p.default)) || (!('r' in t) && required.has(field) && p.default === undefined))) t.z = 1;
    fields[field] = t;
  }
  definitions[name] = s['x-kubernetes-map-type'] === 'atomic' ? { f: fields, a: 1 } : { f: fields };
}

const lines = Object.entries(definitions).map(([n, d]) => `    ${JSON.stringify(n)}: ${JSON.stringify(d)}`);
const kindLines = Object.entries(kinds).map(([k, n]) => `    ${JSON.stringify(k)}: ${JSON.stringify(n)}`);
const text = `{\n  "source": "kubernetes 1.33 OpenAPI v3 (derived by scripts/derive-apply-schema.mjs)",\n  "kinds": {\n${kindLines.join(',\n')}\n  },\n  "definitions": {\n${lines.join(',\n')}\n  }\n}\n`;
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, text);
console.log(`wrote ${target}: ${Object.keys(definitions).length} definitions, ${Object.keys(kinds).length} kinds`);
