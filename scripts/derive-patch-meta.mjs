#!/usr/bin/env node
// Derives the strategic-merge-patch metadata of the built-in kinds from the upstream OpenAPI v3 documents
// (reference data, see shared/reference/kubernetes-1.33/SOURCE.md) and writes the committed
// src/registry/generated/patch-meta.json. Only structure is kept (field shapes, patch strategies, merge
// keys, list types): no descriptions or other upstream prose.
//
//   node scripts/derive-patch-meta.mjs [openapi-v3-dir]
//
// Output shape:
//   { "kinds": { "<group>/<version>/<Kind>": "<definition>" },      (group '' for core: "/v1/Pod")
//     "definitions": { "<definition>": { "<field>": <Field> } } }
//   Field = Shape & { strategy?: "merge" | "retainKeys" | "merge,retainKeys" | "replace", mergeKey?: string,
//                     listType?: "atomic" | "set" | "map", listMapKeys?: string[] }
//   Shape = { ref: "<definition>" } | { list: Shape } | { map: Shape } | { type: "string" | "integer" | ... }
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? '/work/shared/reference/kubernetes-1.33/openapi/v3';
const target = join(root, 'src/registry/generated/patch-meta.json');

const REF_PREFIX = '#/components/schemas/';

function refName(ref) {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

/** Definitions that are objects with named fields; the others (Quantity, Time, IntOrString...) are scalars. */
const structs = new Set();
const schemas = new Map();

function shapeOf(s) {
  if (!s || typeof s !== 'object') return {};
  if (typeof s.$ref === 'string') return refShape(refName(s.$ref));
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && typeof s.allOf[0].$ref === 'string') return refShape(refName(s.allOf[0].$ref));
  if (s.type === 'array') return { list: shapeOf(s.items) };
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return { map: shapeOf(s.additionalProperties) };
  if (typeof s.type === 'string' && s.type !== 'object') return { type: s.type };
  return {}; // free-form object (RawExtension, JSON, FieldsV1...)
}

function refShape(name) {
  if (structs.has(name)) return { ref: name };
  const s = schemas.get(name);
  if (s && typeof s.type === 'string' && s.type !== 'object') return { type: s.type };
  if (s && Array.isArray(s.oneOf)) return { type: 'string' }; // int-or-string style scalars
  return {};
}

const files = readdirSync(source).filter((f) => f.endsWith('.json')).sort();
for (const f of files) {
  const doc = JSON.parse(readFileSync(join(source, f), 'utf8'));
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) {
    if (!schemas.has(name)) schemas.set(name, s);
    if (s.properties && typeof s.properties === 'object') structs.add(name);
  }
}

const definitions = {};
const kinds = {};
for (const name of [...schemas.keys()].sort()) {
  const s = schemas.get(name);
  for (const gvk of s['x-kubernetes-group-version-kind'] ?? []) {
    // Lists, options and the like carry a GVK too; every one is mapped, callers look up only what they serve.
    const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
    if (!(key in kinds)) kinds[key] = name;
  }
  if (!structs.has(name)) continue;
  const fields = {};
  for (const [field, p] of Object.entries(s.properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const out = shapeOf(p);
    if (typeof p['x-kubernetes-patch-strategy'] === 'string') out.strategy = p['x-kubernetes-patch-strategy'];
    if (typeof p['x-kubernetes-patch-merge-key'] === 'string') out.mergeKey = p['x-kubernetes-patch-merge-key'];
    if (typeof p['x-kubernetes-list-type'] === 'string') out.listType = p['x-kubernetes-list-type'];
    if (Array.isArray(p['x-kubernetes-list-map-keys'])) out.listMapKeys = p['x-kubernetes-list-map-keys'];
    fields[field] = out;
  }
  definitions[name] = fields;
}

// One definition per line keeps diffs of the committed file readable.
const lines = Object.entries(definitions).map(([n, d]) => `    ${JSON.stringify(n)}: ${JSON.stringify(d)}`);
const kindLines = Object.entries(kinds).map(([k, n]) => `    ${JSON.stringify(k)}: ${JSON.stringify(n)}`);
const text = `{\n  "source": "kubernetes 1.33 OpenAPI v3 (derived by scripts/derive-patch-meta.mjs)",\n  "kinds": {\n${kindLines.join(',\n')}\n  },\n  "definitions": {\n${lines.join(',\n')}\n  }\n}\n`;
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, text);
console.log(`wrote ${target}: ${Object.keys(definitions).length} definitions, ${Object.keys(kinds).length} kinds`);
