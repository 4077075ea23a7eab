#!/usr/bin/env node
// Derives where the built-in kinds hold resource.Quantity values, from the upstream OpenAPI v3 documents
// (reference data, see shared/reference/kubernetes-1.33/SOURCE.md), and writes the committed
// src/registry/generated/quantity-fields.json: the definitions that lead to a Quantity, each with only
// those fields. kube-apiserver decodes every such value into a Quantity and writes it back canonical.
//
//   node scripts/derive-quantity-fields.mjs [openapi-v3-dir]
//
// Output shape:
//   { "kinds": { "<group>/<version>/<Kind>": "<definition>" },
//     "definitions": { "<definition>": { "<field>": Shape } } }
//   Shape = "quantity" | { ref: "<definition>" } | { list: Shape } | { map: Shape }
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? '/work/shared/reference/kubernetes-1.33/openapi/v3';
const target = join(root, 'src/registry/generated/quantity-fields.json');
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const REF_PREFIX = '#/components/schemas/';

const schemas = new Map();
for (const f of readdirSync(source).filter((f) => f.endsWith('.json')).sort()) {
  const doc = JSON.parse(readFileSync(join(source, f), 'utf8'));
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) if (!schemas.has(name)) schemas.set(name, s);
}

function refOf(s) {
  if (typeof s.$ref === 'string') return s.$ref.slice(REF_PREFIX.length);
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && typeof s.allOf[0].$ref === 'string') return s.allOf[0].$ref.slice(REF_PREFIX.length);
  return undefined;
}

/** The definitions a schema refers to, and whether it refers to Quantity directly. */
function refsOf(s, out) {
  if (!s || typeof s !== 'object') return out;
  const ref = refOf(s);
  if (ref !== undefined) out.add(ref);
  if (s.type === 'array') refsOf(s.items, out);
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') refsOf(s.additionalProperties, out);
  return out;
}

// The definitions that reach a Quantity through fields, lists and maps: grown to a fixed point, so
// recursive types (JSONSchemaProps) are in only if they really reach one.
const holds = new Set([QUANTITY]);
for (let grew = true; grew; ) {
  grew = false;
  for (const [name, s] of schemas) {
    if (holds.has(name) || !s.properties) continue;
    if (Object.values(s.properties).some((p) => [...refsOf(p, new Set())].some((r) => holds.has(r)))) {
      holds.add(name);
      grew = true;
    }
  }
}

/** The shape of a schema restricted to its Quantity-holding parts, or undefined when it holds none. */
function shapeOf(s) {
  if (!s || typeof s !== 'object') return undefined;
  const ref = refOf(s);
  if (ref === QUANTITY) return 'quantity';
  if (ref !== undefined) return holds.has(ref) ? { ref } : undefined;
  if (s.type === 'array') {
    const item = shapeOf(s.items);
    return item && { list: item };
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    const value = shapeOf(s.additionalProperties);
    return value && { map: value };
  }
  return undefined;
}

const definitions = {};
for (const name of holds) {
  if (name === QUANTITY) continue;
  const fields = {};
  for (const [field, p] of Object.entries(schemas.get(name).properties).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const shape = shapeOf(p);
    if (shape) fields[field] = shape;
  }
  definitions[name] = fields;
}
const defHolds = (name) => holds.has(name);

const kinds = {};
for (const name of [...schemas.keys()].sort()) {
  for (const gvk of schemas.get(name)['x-kubernetes-group-version-kind'] ?? []) {
    if (!defHolds(name)) continue;
    const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
    if (!(key in kinds)) kinds[key] = name;
  }
}

const lines = Object.keys(definitions).sort().map((n) => `    ${JSON.stringify(n)}: ${JSON.stringify(definitions[n])}`);
const kindLines = Object.entries(kinds).map(([k, n]) => `    ${JSON.stringify(k)}: ${JSON.stringify(n)}`);
const text = `{\n  "source": "kubernetes 1.33 OpenAPI v3 (derived by scripts/derive-quantity-fields.mjs)",\n  "kinds": {\n${kindLines.join(',\n')}\n  },\n  "definitions": {\n${lines.join(',\n')}\n  }\n}\n`;
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, text);
console.log(`wrote ${target}: ${Object.keys(definitions).length} definitions, ${Object.keys(kinds).length} kinds`);
