import type { ServerResponse } from 'node:http';
import type { Catalog } from '../registry/catalog.js';
import type { ResourceDefinition } from '../registry/resource.js';
import { sendJson } from './respond.js';

/**
 * Legacy discovery (/api, /apis, /api/v1, /apis/<group>/<version>) built from the catalog. Every kubectl
 * version understands it; the aggregated v2 form is a later addition.
 */
export class Discovery {
  constructor(private readonly catalog: Catalog) {}

  /** Answers a discovery path, or returns false when `path` is not one. */
  serve(path: string, res: ServerResponse): boolean {
    if (path === '/api') {
      sendJson(res, 200, JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] }));
      return true;
    }
    if (path === '/apis') {
      sendJson(res, 200, JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups() }));
      return true;
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) return false;
    const group = m[1] ? '' : m[2];
    const version = m[1] ?? m[3];
    if (!this.catalog.hasGroupVersion(group, version)) return false;
    const resources = this.catalog.resources.filter((r) => r.group === group && r.version === version).flatMap(resourceEntries);
    const groupVersion = group ? `${group}/${version}` : version;
    sendJson(res, 200, JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources }));
    return true;
  }

  private groups() {
    const byGroup = new Map<string, string[]>();
    for (const r of this.catalog.resources) {
      if (!r.group) continue;
      const versions = byGroup.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      byGroup.set(r.group, versions);
    }
    return [...byGroup].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    }));
  }
}

function resourceEntries(r: ResourceDefinition): Record<string, unknown>[] {
  const main: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
  if (r.shortNames.length > 0) main.shortNames = r.shortNames;
  if (r.categories.length > 0) main.categories = r.categories;
  // Only the subresources actually served are listed (scale arrives with the scale subresource).
  const subs = r.subresources
    .filter((s) => s === 'status')
    .map((s) => ({ name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }));
  return [main, ...subs];
}
