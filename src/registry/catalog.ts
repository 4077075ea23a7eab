import { STANDARD_VERBS } from './resource.js';
import type { ResourceDefinition, Strategy, Subresource } from './resource.js';
import { namespaceStrategy } from './core/namespaces.js';

interface Entry {
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: Subresource[];
  strategy?: Strategy;
}

function define(group: string, version: string, e: Entry): ResourceDefinition {
  return {
    group,
    version,
    kind: e.kind,
    listKind: `${e.kind}List`,
    plural: e.plural,
    singular: e.kind.toLowerCase(),
    namespaced: e.namespaced,
    shortNames: e.shortNames ?? [],
    categories: e.categories ?? [],
    verbs: e.verbs ?? STANDARD_VERBS,
    subresources: e.subresources ?? [],
    strategy: e.strategy ?? {},
  };
}

const NO_COLLECTION = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** core/v1 and apps/v1 (the built-in API grows group by group; per-kind rules live beside this file). */
const CORE: Entry[] = [
  { kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] },
  { kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], verbs: NO_COLLECTION, subresources: ['status'], strategy: namespaceStrategy },
  { kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status'] },
  { kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: ['status'] },
  { kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
  { kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status'] },
  { kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
  { kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'] },
  { kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: ['status'] },
  { kind: 'Secret', plural: 'secrets', namespaced: true },
  { kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  { kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], verbs: NO_COLLECTION.concat('deletecollection').sort(), subresources: ['status'] },
];

const APPS: Entry[] = [
  { kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
  { kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
  { kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
  { kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] },
  { kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] },
];

export const BUILTIN_RESOURCES: ResourceDefinition[] = [
  ...CORE.map((e) => define('', 'v1', e)),
  ...APPS.map((e) => define('apps', 'v1', e)),
];

/** Looks resources up by the path segments of a request. */
export class Catalog {
  private byPath = new Map<string, ResourceDefinition>();

  constructor(readonly resources: ResourceDefinition[] = BUILTIN_RESOURCES) {
    for (const r of resources) this.byPath.set(`${r.group}/${r.version}/${r.plural}`, r);
  }

  find(group: string, version: string, plural: string): ResourceDefinition | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.resources.some((r) => r.group === group && r.version === version);
  }
}
