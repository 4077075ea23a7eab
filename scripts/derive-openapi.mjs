#!/usr/bin/env node
/**
 * Derives the OpenAPI documents pgkube serves (src/api/generated/openapi/) from the Kubernetes 1.33
 * reference: the OpenAPI v3 document of every group-version the catalog serves, and one OpenAPI v2 (swagger
 * 2.0) document limited to those group-versions. Only structure is kept: paths, operations, parameters, GVKs,
 * schemas with their names, types, formats, required lists, defaults, enums and x-kubernetes-* extensions.
 * Every prose string (`description`) is removed. The output is minified and committed, so the project builds
 * without the reference folder.
 *
 *   node scripts/derive-openapi.mjs [reference-folder]   (default: ../shared/reference/kubernetes-1.33)
 *
 * Output: v3.json `{ "<api/v1|apis/g/v>": <document>, ... }` and v2.json (the swagger document).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reference = resolve(process.argv[2] ?? join(repo, '..', 'shared', 'reference', 'kubernetes-1.33'));
const outDir = join(repo, 'src', 'api', 'generated', 'openapi');
const catalog = JSON.parse(readFileSync(join(repo, 'src', 'registry', 'generated', 'resources.json'), 'utf8'));
const groupVersions = catalog.groupVersions;

/** Prose keys dropped wherever their value is a string (a schema property called `description` is an object and stays). */
const PROSE = new Set(['description', 'summary']);

/** A copy of `value` without prose. */
export function stripProse(value) {
  if (Array.isArray(value)) return value.map(stripProse);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (PROSE.has(k) && typeof v === 'string') continue;
    if (k === 'externalDocs') continue;
    out[k] = stripProse(v);
  }
  return out;
}

/** The v3 index key of a group-version: api/v1, apis/apps/v1. */
function v3Key(gv) {
  return gv === 'v1' ? 'api/v1' : `apis/${gv}`;
}

function v3File(gv) {
  return gv === 'v1' ? 'api__v1_openapi.json' : `apis__${gv.replace('/', '__')}_openapi.json`;
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// ---- v3: one document per served group-version ---------------------------------------------------------
const v3 = {};
for (const gv of groupVersions) {
  const doc = stripProse(readJson(join(reference, 'openapi', 'v3', v3File(gv))));
  v3[v3Key(gv)] = doc;
}

// ---- v2: the swagger document, limited to the served group-versions ------------------------------------
const swagger = readJson(join(reference, 'openapi', 'v2', 'swagger.json'));
const groups = new Set(groupVersions.filter((gv) => gv.includes('/')).map((gv) => gv.split('/')[0]));
const prefixes = groupVersions.map((gv) => (gv === 'v1' ? '/api/v1/' : `/apis/${gv}/`));
function keepPath(path) {
  if (path === '/api/' || path === '/apis/') return true;
  const group = /^\/apis\/([^/]+)\/$/.exec(path);
  if (group) return groups.has(group[1]);
  return prefixes.some((p) => path.startsWith(p));
}
const paths = {};
for (const [path, item] of Object.entries(swagger.paths)) if (keepPath(path)) paths[path] = item;

// Definitions reachable from the kept paths and parameters, and every kind of a served group-version.
const served = new Set(groupVersions);
const wanted = new Set();
const queue = [];
function collectRefs(value) {
  if (Array.isArray(value)) return value.forEach(collectRefs);
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) {
      const name = v.slice('#/definitions/'.length);
      if (!wanted.has(name)) {
        wanted.add(name);
        queue.push(name);
      }
    } else collectRefs(v);
  }
}
collectRefs(paths);
collectRefs(swagger.parameters);
for (const [name, def] of Object.entries(swagger.definitions)) {
  const gvks = def['x-kubernetes-group-version-kind'] ?? [];
  if (gvks.some((g) => served.has(g.group ? `${g.group}/${g.version}` : g.version)) && !wanted.has(name)) {
    wanted.add(name);
    queue.push(name);
  }
}
while (queue.length > 0) collectRefs(swagger.definitions[queue.shift()]);
const definitions = {};
for (const name of Object.keys(swagger.definitions).sort()) if (wanted.has(name)) definitions[name] = swagger.definitions[name];

const v2 = stripProse({
  swagger: swagger.swagger,
  info: swagger.info,
  paths,
  definitions,
  parameters: swagger.parameters,
  securityDefinitions: swagger.securityDefinitions,
  security: swagger.security,
});

// ---- output --------------------------------------------------------------------------------------------
function assertNoProse(doc, where) {
  const text = JSON.stringify(doc);
  if (/"description":"/.test(text)) throw new Error(`${where}: a description survived`);
}
assertNoProse(v3, 'v3');
assertNoProse(v2, 'v2');

mkdirSync(outDir, { recursive: true });
const written = [
  ['v3.json', JSON.stringify(v3)],
  ['v2.json', JSON.stringify(v2)],
];
for (const [name, text] of written) {
  writeFileSync(join(outDir, name), text + '\n');
  console.log(`${join('src', 'api', 'generated', 'openapi', name)}: ${text.length} bytes`);
}
