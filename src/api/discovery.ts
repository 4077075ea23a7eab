import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Catalog } from '../registry/catalog.js';
import type { ResourceDefinition } from '../registry/resource.js';
import { sendJson } from './respond.js';

/**
 * Discovery built from the catalog: the legacy documents (/api, /apis, /api/v1, /apis/<group>/<version>),
 * which every kubectl understands, and the aggregated APIGroupDiscoveryList (apidiscovery.k8s.io v2 and
 * v2beta1, the same shape) for /api and /apis when the Accept header asks for it, with an ETag.
 * Everything the catalog routes is listed: what is served, and what is answered with a Status.
 */

type AggregatedVersion = 'v2' | 'v2beta1';

const AGGREGATED_AS = 'APIGroupDiscoveryList';
const AGGREGATED_GROUP = 'apidiscovery.k8s.io';

/**
 * The form an Accept header asks for: the first media type we can produce, in the client's order (client-go
 * sends no q-values). Aggregated types are `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`.
 */
export function negotiateDiscovery(accept: string | undefined): AggregatedVersion | 'legacy' {
  if (!accept) return 'legacy';
  for (const entry of accept.split(',')) {
    const [type, ...rawParams] = entry.split(';').map((s) => s.trim());
    const params = new Map(rawParams.map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim().replace(/^"|"$/g, '')] as [string, string];
    }));
    const base = type.toLowerCase();
    if (params.has('g') || params.has('v') || params.has('as')) {
      if (base !== 'application/json') continue;
      if (params.get('g') !== AGGREGATED_GROUP || params.get('as') !== AGGREGATED_AS) continue;
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
      continue;
    }
    if (base === 'application/json' || base === 'application/*' || base === '*/*') return 'legacy';
  }
  return 'legacy';
}

interface GroupVersions {
  group: string;
  versions: string[]; // preferred first
}

export class Discovery {
  private groupOrder: GroupVersions[];
  private cache = new Map<string, { body: string; etag: string }>();

  constructor(private readonly catalog: Catalog) {
    const byGroup = new Map<string, string[]>();
    for (const r of catalog.resources) {
      const versions = byGroup.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      byGroup.set(r.group, versions);
    }
    this.groupOrder = [...byGroup].map(([group, versions]) => ({ group, versions }));
  }

  /** Answers a discovery path, or returns false when `path` is not one. */
  serve(path: string, res: ServerResponse, req: IncomingMessage | undefined = (res as ServerResponse & { req?: IncomingMessage }).req): boolean {
    if (path === '/api' || path === '/apis') {
      res.setHeader('Vary', 'Accept');
      const form = negotiateDiscovery(req?.headers.accept);
      if (form !== 'legacy') {
        this.sendAggregated(res, req, path, form);
        return true;
      }
      if (path === '/api') {
        const address = req?.socket.localAddress ? `${req.socket.localAddress.replace(/^::ffff:/, '')}:${req.socket.localPort}` : '';
        sendJson(res, 200, JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }] }));
      } else {
        sendJson(res, 200, this.cached('apis', () => JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: this.legacyGroups() })).body);
      }
      return true;
    }
    const single = /^\/apis\/([^/]+)$/.exec(path);
    if (single) {
      // The APIGroup document of one group (kubectl rarely asks; client-go's legacy discovery may).
      const group = this.legacyGroups().find((g) => g.name === single[1]);
      if (!group) return false;
      sendJson(res, 200, this.cached(`group:${group.name}`, () => JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...group })).body);
      return true;
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) return false;
    const group = m[1] ? '' : m[2];
    const version = m[1] ?? m[3];
    if (!this.catalog.hasGroupVersion(group, version)) return false;
    const body = this.cached(`${group}/${version}`, () => {
      const resources = this.resourcesOf(group, version).flatMap(legacyEntries);
      const groupVersion = group ? `${group}/${version}` : version;
      return JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources });
    }).body;
    sendJson(res, 200, body);
    return true;
  }

  private resourcesOf(group: string, version: string): ResourceDefinition[] {
    return this.catalog.resources.filter((r) => r.group === group && r.version === version);
  }

  private cached(key: string, build: () => string): { body: string; etag: string } {
    let entry = this.cache.get(key);
    if (!entry) {
      const body = build();
      entry = { body, etag: `"${createHash('sha256').update(body).digest('hex').toUpperCase()}"` };
      this.cache.set(key, entry);
    }
    return entry;
  }

  private legacyGroups() {
    return this.groupOrder
      .filter((g) => g.group !== '')
      .map(({ group, versions }) => ({
        name: group,
        versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
      }));
  }

  private sendAggregated(res: ServerResponse, req: IncomingMessage | undefined, path: string, form: AggregatedVersion): void {
    const entry = this.cached(`${form}:${path}`, () => {
      const groups = this.groupOrder.filter((g) => (path === '/api' ? g.group === '' : g.group !== ''));
      const items = groups.map(({ group, versions }) => ({
        metadata: group ? { name: group } : {},
        versions: versions.map((version) => ({
          version,
          resources: this.resourcesOf(group, version).map(aggregatedResource),
          freshness: 'Current',
        })),
      }));
      return JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion: `${AGGREGATED_GROUP}/${form}`, metadata: {}, items });
    });
    res.setHeader('ETag', entry.etag);
    res.setHeader('Cache-Control', 'public');
    const ifNoneMatch = req?.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === entry.etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', `application/json;g=${AGGREGATED_GROUP};v=${form};as=${AGGREGATED_AS}`);
    res.setHeader('Content-Length', Buffer.byteLength(entry.body));
    res.end(entry.body);
  }
}

function legacyEntries(r: ResourceDefinition): Record<string, unknown>[] {
  const main: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
  if (r.shortNames.length > 0) main.shortNames = r.shortNames;
  if (r.categories.length > 0) main.categories = r.categories;
  const subs = r.subresourceDefinitions.map((s) => {
    const e: Record<string, unknown> = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced };
    // The group and version are named only when the subresource's kind lives elsewhere (autoscaling/v1 Scale).
    if (s.group !== r.group || s.version !== r.version) {
      e.group = s.group;
      e.version = s.version;
    }
    e.kind = s.kind;
    e.verbs = s.verbs;
    return e;
  });
  return [main, ...subs];
}

function aggregatedResource(r: ResourceDefinition): Record<string, unknown> {
  const e: Record<string, unknown> = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length > 0) e.shortNames = r.shortNames;
  if (r.categories.length > 0) e.categories = r.categories;
  if (r.subresourceDefinitions.length > 0) {
    e.subresources = r.subresourceDefinitions.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return e;
}
