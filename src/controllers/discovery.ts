import { resourceRef } from '../client/index.js';
import type { Client, ResourceRef } from '../client/index.js';

/** One resource the server serves, from legacy discovery (/api, /apis and each group-version). */
export interface DiscoveredResource {
  ref: ResourceRef;
  verbs: string[];
}

export interface Discovery {
  /** The preferred version of every group's resources (client-go's ServerPreferredResources), subresources left out. */
  resources: DiscoveredResource[];
  /** Group-versions whose document could not be read, with the reason: the rest is still usable. */
  failed: Map<string, string>;
}

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}
interface APIGroupList {
  groups?: { name: string; preferredVersion?: { groupVersion: string; version: string } }[];
}

/** Reads discovery: the core group, then every group's preferred version. */
export async function discoverResources(client: Client, signal?: AbortSignal): Promise<Discovery> {
  const failed = new Map<string, string>();
  const groupVersions: { group: string; version: string; path: string }[] = [{ group: '', version: 'v1', path: '/api/v1' }];
  const groups = await client.request<APIGroupList>({ method: 'GET', path: '/apis', signal });
  for (const g of groups.groups ?? []) {
    if (!g.preferredVersion) continue;
    groupVersions.push({ group: g.name, version: g.preferredVersion.version, path: `/apis/${g.preferredVersion.groupVersion}` });
  }
  const lists = await Promise.all(
    groupVersions.map(async (gv) => {
      try {
        return { gv, list: await client.request<APIResourceList>({ method: 'GET', path: gv.path, signal }) };
      } catch (err) {
        failed.set(gv.group ? `${gv.group}/${gv.version}` : gv.version, err instanceof Error ? err.message : String(err));
        return { gv, list: {} as APIResourceList };
      }
    }),
  );
  const resources: DiscoveredResource[] = [];
  for (const { gv, list } of lists) {
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      resources.push({
        ref: resourceRef({ group: gv.group, version: gv.version, resource: r.name, kind: r.kind, namespaced: r.namespaced }),
        verbs: r.verbs ?? [],
      });
    }
  }
  return { resources, failed };
}

/** Whether the resource has every one of the verbs (client-go's SupportsAllVerbs). */
export function supportsAll(r: DiscoveredResource, verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** "unable to retrieve the complete list of server APIs: g/v: reason, ..." as client-go's ErrGroupDiscoveryFailed prints. */
export function discoveryFailureMessage(failed: Map<string, string>): string {
  const parts = [...failed.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([gv, msg]) => `${gv}: ${msg}`);
  return `unable to retrieve the complete list of server APIs: ${parts.join(', ')}`;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Maps an object's apiVersion and kind to its resource (a RESTMapper). A kind known in another version of
 * the same group maps to the served one, as owner references may name an older version.
 */
export class ResourceMapper {
  private readonly byGVK = new Map<string, ResourceRef>();
  private readonly byGK = new Map<string, ResourceRef>();

  constructor(resources: DiscoveredResource[] = []) {
    this.add(resources);
  }

  add(resources: DiscoveredResource[]): void {
    for (const { ref } of resources) {
      const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
      this.byGVK.set(`${apiVersion}/${ref.kind}`, ref);
      if (!this.byGK.has(`${ref.group}/${ref.kind}`)) this.byGK.set(`${ref.group}/${ref.kind}`, ref);
    }
  }

  find(apiVersion: string, kind: string): ResourceRef | undefined {
    return this.byGVK.get(`${apiVersion}/${kind}`) ?? this.byGK.get(`${groupOf(apiVersion)}/${kind}`);
  }
}
