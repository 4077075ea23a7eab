#!/usr/bin/env node
/**
 * Derives the built-in resource table (src/registry/generated/resources.json) from the Kubernetes 1.33
 * OpenAPI v3 documents: for every resource of the group-versions below, its kind, list kind, plural, scope,
 * verbs and subresources (with their verbs and response kind). Only names, kinds and verbs are taken, no
 * prose. The output is committed, so the project builds without the reference folder.
 *
 *   node scripts/derive-resources.mjs [reference-folder]   (default: ../shared/reference/kubernetes-1.33)
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reference = resolve(process.argv[2] ?? join(repo, '..', 'shared', 'reference', 'kubernetes-1.33'));
const output = join(repo, 'src', 'registry', 'generated', 'resources.json');

/** The group-versions pgkube serves, in kube-apiserver's group priority order (core first). */
export const GROUP_VERSIONS = [
  'v1',
  'apps/v1',
  'events.k8s.io/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'autoscaling/v2',
  'autoscaling/v1',
  'batch/v1',
  'certificates.k8s.io/v1',
  'networking.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'storage.k8s.io/v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'coordination.k8s.io/v1',
  'node.k8s.io/v1',
  'discovery.k8s.io/v1',
];

/** OpenAPI file name of a group-version, as upstream names them (api__v1_openapi.json, apis__apps__v1_openapi.json). */
export function openapiFile(gv) {
  return gv === 'v1' ? 'api__v1_openapi.json' : `apis__${gv.replace('/', '__')}_openapi.json`;
}

const METHOD_VERB = { get: 'get', post: 'create', put: 'update', patch: 'patch', delete: 'delete' };
const ACTION_VERB = {
  get: 'get',
  list: 'list',
  watch: 'watch',
  watchlist: 'watch',
  post: 'create',
  put: 'update',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'deletecollection',
};
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/**
 * Every (path, method, verb) an OpenAPI document declares for a group-version, parsed into resource,
 * subresource and scope. Connect actions take their verb from the HTTP method (head and options have none),
 * as kube-apiserver's discovery does.
 */
export function operations(doc, gv) {
  const prefix = gv === 'v1' ? '/api/v1/' : `/apis/${gv}/`;
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith(prefix)) continue;
    let segs = path.slice(prefix.length).split('/').filter(Boolean);
    if (segs[0] === 'watch') segs = segs.slice(1);
    let namespaced = false;
    if (segs[0] === 'namespaces' && segs[1] === '{namespace}' && segs.length > 2) {
      namespaced = true;
      segs = segs.slice(2);
    }
    if (segs.length === 0) continue;
    const resource = segs[0];
    const named = segs[1] === '{name}';
    const subresource = named && segs.length > 2 ? segs[2] : '';
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op || !op['x-kubernetes-action']) continue;
      const action = op['x-kubernetes-action'];
      const verb = action === 'connect' ? METHOD_VERB[method] : ACTION_VERB[action];
      if (!verb) continue;
      const gvk = op['x-kubernetes-group-version-kind'];
      const listRef = action === 'list' ? op.responses?.['200']?.content?.['application/json']?.schema?.$ref : undefined;
      ops.push({ path, method, action, verb, resource, subresource, named, namespaced, gvk, listRef });
    }
  }
  return ops;
}

const VERB_ORDER = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const sortVerbs = (verbs) => [...new Set(verbs)].sort((a, b) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b));

/** The resources of one group-version. */
export function resourcesOf(doc, gv) {
  const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
  const byPlural = new Map();
  for (const op of operations(doc, gv)) {
    let r = byPlural.get(op.resource);
    if (!r) {
      r = { group, version, kind: '', listKind: '', plural: op.resource, namespaced: false, verbs: [], subresources: new Map() };
      byPlural.set(op.resource, r);
    }
    if (op.namespaced) r.namespaced = true;
    if (op.subresource) {
      let s = r.subresources.get(op.subresource);
      if (!s) {
        s = { name: op.subresource, group: op.gvk?.group ?? group, version: op.gvk?.version ?? version, kind: op.gvk?.kind ?? '', verbs: [] };
        r.subresources.set(op.subresource, s);
      }
      s.verbs.push(op.verb);
    } else {
      if (op.gvk && !r.kind) r.kind = op.gvk.kind;
      if (op.listRef) r.listKind = op.listRef.split('.').pop();
      r.verbs.push(op.verb);
    }
  }
  return [...byPlural.values()]
    .map((r) => ({
      group: r.group,
      version: r.version,
      kind: r.kind,
      ...(r.listKind ? { listKind: r.listKind } : {}),
      plural: r.plural,
      singular: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      verbs: sortVerbs(r.verbs),
      subresources: [...r.subresources.values()]
        .map((s) => ({ ...s, verbs: sortVerbs(s.verbs) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.plural.localeCompare(b.plural));
}

export function derive(referenceDir) {
  const resources = [];
  for (const gv of GROUP_VERSIONS) {
    const file = join(referenceDir, 'openapi', 'v3', openapiFile(gv));
    resources.push(...resourcesOf(JSON.parse(readFileSync(file, 'utf8')), gv));
  }
  return { source: 'Kubernetes 1.33 OpenAPI v3 (api/openapi-spec/v3), derived by scripts/derive-resources.mjs', groupVersions: GROUP_VERSIONS, resources };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(reference, 'openapi', 'v3'))) {
    console.error(`no OpenAPI v3 documents under ${reference}`);
    process.exit(1);
  }
  const out = derive(reference);
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${out.resources.length} resources of ${GROUP_VERSIONS.length} group-versions to ${output}`);
}
