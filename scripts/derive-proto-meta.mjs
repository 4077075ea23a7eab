#!/usr/bin/env node
// Derives the protobuf field table of the built-in types from the upstream generated.proto files (reference
// data, see shared/reference/kubernetes-1.33/SOURCE.md) and writes the committed
// src/machinery/generated/proto-meta.json. Only structure is kept (field numbers, names and types, and which
// scalar fields the OpenAPI v3 description gives a zero default): no comments or other upstream prose.
//
//   node scripts/derive-proto-meta.mjs [proto-dir] [openapi-v3-dir]
//
// The generated.proto files use a small subset of proto2 (package, import, option, message with optional /
// repeated / map<K, V> fields; no nested messages, enums or oneofs), so a small parser reads them; anything
// else in a message is an error rather than a silent gap.
//
// Output shape:
//   { "kinds": { "<group>/<version>/<Kind>": "<message>" },        (group '' for core: "/v1/Pod")
//     "messages": { "<message>": [ Field, ... ] } }                 (message: fully qualified, no leading dot)
//   Field = [number, jsonName, type, flags?]
//     type: "string" | "bytes" | "bool" | "int32" | "int64" | "<message>" | "map:<keyType>:<valueType>"
//     flags: "r" repeated, "i" an embedded struct whose fields are inlined into the parent (json:",inline"),
//            "z" a scalar that Go writes to JSON even when zero (non-pointer, no omitempty:
//            its OpenAPI v3 property has the zero value as default)
import { readdirSync, readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = process.argv[2] ?? '/work/shared/reference/kubernetes-1.33/proto';
const openapiDir = process.argv[3] ?? '/work/shared/reference/kubernetes-1.33/openapi/v3';
const target = join(root, 'src/machinery/generated/proto-meta.json');
const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64']);

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name === 'generated.proto') out.push(p);
  }
  return out;
}

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** Parses one generated.proto: { pkg, messages: [{ name, fields: [{ number, name, label, type }] }] }. */
function parseProto(file) {
  const text = stripComments(readFileSync(file, 'utf8'));
  const tokens = text.match(/[A-Za-z0-9_.]+|"[^"]*"|[{}<>;=,()[\]]/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const expect = (t) => {
    const got = next();
    if (got !== t) throw new Error(`${file}: expected ${t}, got ${got} (token ${i})`);
  };
  let pkg = '';
  const messages = [];
  while (i < tokens.length) {
    const t = next();
    if (t === 'syntax' || t === 'import' || t === 'option') {
      while (next() !== ';');
    } else if (t === 'package') {
      pkg = next();
      expect(';');
    } else if (t === 'message') {
      const name = next();
      expect('{');
      const fields = [];
      for (;;) {
        const l = next();
        if (l === '}') break;
        if (l === 'optional' || l === 'repeated' || l === 'required') {
          const type = next();
          const fname = next();
          expect('=');
          const number = Number(next());
          skipFieldOptions();
          fields.push({ number, name: fname, label: l, type });
        } else if (l === 'map') {
          expect('<');
          const k = next();
          expect(',');
          const v = next();
          expect('>');
          const fname = next();
          expect('=');
          const number = Number(next());
          skipFieldOptions();
          fields.push({ number, name: fname, label: 'map', type: v, key: k });
        } else {
          throw new Error(`${file}: unsupported construct in message ${name}: ${l}`);
        }
      }
      messages.push({ name, fields });
    } else {
      throw new Error(`${file}: unsupported top-level construct: ${t}`);
    }
  }
  return { pkg, messages };

  function skipFieldOptions() {
    let t = next();
    if (t === '[') {
      while (next() !== ']');
      t = next();
    }
    if (t !== ';') throw new Error(`${file}: expected ; got ${t}`);
  }
}

function qualify(type, pkg) {
  if (SCALARS.has(type)) return type;
  if (type.startsWith('.')) return type.slice(1);
  return `${pkg}.${type}`;
}

// ---- OpenAPI v3: which scalar properties default to their zero value ----
const zeroDefaults = new Set(); // "<openapi definition>.<property>"
const properties = new Map(); // openapi definition -> its property names
for (const name of readdirSync(openapiDir)) {
  if (!name.endsWith('.json')) continue;
  const doc = JSON.parse(readFileSync(join(openapiDir, name), 'utf8'));
  for (const [def, schema] of Object.entries(doc.components?.schemas ?? {})) {
    if (!properties.has(def)) properties.set(def, new Set(Object.keys(schema.properties ?? {})));
    for (const [prop, s] of Object.entries(schema.properties ?? {})) {
      if (s && 'default' in s && (s.default === '' || s.default === 0 || s.default === false)) zeroDefaults.add(`${def}.${prop}`);
    }
  }
}
// k8s.io.api.core.v1.Container -> io.k8s.api.core.v1.Container
const openapiName = (message) => message.replace(/^k8s\.io\./, 'io.k8s.');

// ---- API groups of the k8s.io/api packages ----
const resources = JSON.parse(readFileSync(join(root, 'src/registry/generated/resources.json'), 'utf8'));
const resourceList = resources.resources;
const groupOfPackage = new Map([['core', '']]);
const knownKinds = new Set();
const packageNameOfGroup = (g) => (g === '' ? 'core' : g === 'internal.apiserver.k8s.io' ? 'apiserverinternal' : g.split('.')[0]);
function collectKinds(r) {
  if (!r || typeof r !== 'object') return;
  if (typeof r.kind === 'string' && typeof r.version === 'string' && typeof r.group === 'string') {
    groupOfPackage.set(packageNameOfGroup(r.group), r.group);
    knownKinds.add(`${r.group}/${r.version}/${r.kind}`);
  }
  for (const v of Object.values(r)) if (v && typeof v === 'object') collectKinds(v);
}
collectKinds(resourceList);
// Groups with kinds but no served resource (or none listed).
for (const [p, g] of [
  ['admission', 'admission.k8s.io'],
  ['imagepolicy', 'imagepolicy.k8s.io'],
  ['apidiscovery', 'apidiscovery.k8s.io'],
  ['authentication', 'authentication.k8s.io'],
  ['authorization', 'authorization.k8s.io'],
  ['flowcontrol', 'flowcontrol.apiserver.k8s.io'],
  ['apiserverinternal', 'internal.apiserver.k8s.io'],
  ['extensions', 'extensions'],
  ['rbac', 'rbac.authorization.k8s.io'],
  ['apps', 'apps'],
  ['batch', 'batch'],
  ['policy', 'policy'],
  ['autoscaling', 'autoscaling'],
]) {
  if (!groupOfPackage.has(p)) groupOfPackage.set(p, g);
}

// Types the decoder reads by hand (their proto fields are not JSON properties).
const SPECIAL = new Set([
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Timestamp',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.runtime.Unknown',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
]);

// ---- build ----
const messages = {};
const kinds = {};
const mismatches = [];
const inlineSeen = new Set(); // "<field>:<simple type>" of embedded structs in described types
// Described types first, so that the others can follow their embedding.
const parsed = walk(join(protoDir, 'k8s.io')).flatMap((file) => {
  const { pkg, messages: msgs } = parseProto(file);
  return msgs.map((m) => ({ pkg, m }));
});
parsed.sort((a, b) => Number(!properties.has(openapiName(`${a.pkg}.${a.m.name}`))) - Number(!properties.has(openapiName(`${b.pkg}.${b.m.name}`))));
{
  for (const { pkg, m } of parsed) {
    const full = `${pkg}.${m.name}`;
    const ownProps = properties.get(openapiName(full));
    messages[full] = m.fields.map((f) => {
      // The proto field name is the protobuf tag's name=, which is the JSON name but for a few fields
      // (MutatingWebhookConfiguration's "Webhooks"); the OpenAPI property settles those.
      let inline = false;
      const embedded = f.label === 'optional' && !SCALARS.has(f.type) && !SPECIAL.has(full);
      if (ownProps && !ownProps.has(f.name)) {
        const match = [...ownProps].find((p) => p.toLowerCase() === f.name.toLowerCase());
        if (match) f.name = match;
        else if (embedded) inline = true; // an embedded struct, json:",inline"
        else mismatches.push(`${full}.${f.name}`);
      } else if (!ownProps && !SPECIAL.has(full)) {
        // Types the OpenAPI files do not describe: embedded as they are where they are described.
        if (embedded && inlineSeen.has(`${f.name}:${f.type.slice(f.type.lastIndexOf('.') + 1)}`)) inline = true;
        else if (/^[A-Z]/.test(f.name)) f.name = f.name[0].toLowerCase() + f.name.slice(1);
      }
      if (inline) inlineSeen.add(`${f.name}:${f.type.slice(f.type.lastIndexOf('.') + 1)}`);
      let type = qualify(f.type, pkg);
      if (f.label === 'map') type = `map:${qualify(f.key, pkg)}:${type}`;
      let flags = f.label === 'repeated' ? 'r' : '';
      if (inline) flags += 'i';
      if (f.label === 'optional' && SCALARS.has(type) && zeroDefaults.has(`${openapiName(full)}.${f.name}`)) flags += 'z';
      return flags ? [f.number, f.name, type, flags] : [f.number, f.name, type];
    });
    const api = /^k8s\.io\.api\.([a-z0-9]+)\.(v[a-z0-9]+)$/.exec(pkg);
    if (api) {
      const group = groupOfPackage.get(api[1]) ?? `${api[1]}.k8s.io`;
      const key = `${group}/${api[2]}/${m.name}`;
      const meta = m.fields.find((f) => f.number === 1 && f.name === 'metadata');
      if (knownKinds.has(key) || (meta && /\.(ObjectMeta|ListMeta)$/.test(meta.type))) kinds[key] = full;
    }
  }
}
// meta.k8s.io/v1 kinds that arrive as bodies.
for (const k of ['DeleteOptions', 'Status', 'PartialObjectMetadata', 'Table', 'WatchEvent']) {
  const full = `k8s.io.apimachinery.pkg.apis.meta.v1.${k}`;
  if (messages[full]) kinds[`meta.k8s.io/v1/${k}`] = full;
}
// Check that every referenced message exists.
for (const [name, fields] of Object.entries(messages)) {
  for (const [, fname, type] of fields) {
    for (const t of type.startsWith('map:') ? type.split(':').slice(1) : [type]) {
      if (!SCALARS.has(t) && !messages[t]) throw new Error(`${name}.${fname}: unknown type ${t}`);
    }
  }
}

const sortedKinds = Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => (a < b ? -1 : 1)));
const sortedMessages = Object.fromEntries(Object.entries(messages).sort(([a], [b]) => (a < b ? -1 : 1)));
mkdirSync(dirname(target), { recursive: true });
// One message per line keeps the file reviewable and diffs small.
const lines = ['{', '  "kinds": ' + JSON.stringify(sortedKinds, null, 4).replace(/\n/g, '\n  ') + ',', '  "messages": {'];
const entries = Object.entries(sortedMessages);
entries.forEach(([name, fields], idx) => {
  lines.push(`    ${JSON.stringify(name)}: ${JSON.stringify(fields)}${idx < entries.length - 1 ? ',' : ''}`);
});
lines.push('  }', '}', '');
writeFileSync(target, lines.join('\n'));
if (mismatches.length) console.log(`proto fields without an OpenAPI property of that name: ${mismatches.join(', ')}`);
console.log(`wrote ${target}: ${entries.length} messages, ${Object.keys(sortedKinds).length} kinds`);
