import generated from './generated/resources.json' with { type: 'json' };
import type { ResourceDefinition, SpecialHandler, Strategy, SubresourceDefinition } from './resource.js';
import { namespaceFinalizeHandler, namespaceStrategy } from './core/namespaces.js';
import { bindingHandler, evictionHandler } from './core/pods.js';
import { podStrategy } from './core/pod-strategy.js';
import { replicationControllerStrategy } from './core/replicationcontrollers.js';
import { secretStrategy } from './core/secrets.js';
import { serviceStrategy } from './core/services.js';
import { daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy } from './apps/workloads.js';
import { cronJobStrategy, jobStrategy } from './batch/jobs.js';
import { componentStatusHandler } from './core/componentstatuses.js';
import { scaleHandler } from './scale.js';
import { selfSubjectReviewHandler } from './authentication/selfsubjectreviews.js';
import {
  localSubjectAccessReviewHandler,
  selfSubjectAccessReviewHandler,
  selfSubjectRulesReviewHandler,
  subjectAccessReviewHandler,
} from './authorization/reviews.js';

/** One resource of src/registry/generated/resources.json (scripts/derive-resources.mjs). */
interface GeneratedResource {
  group: string;
  version: string;
  kind: string;
  listKind?: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  subresources: SubresourceDefinition[];
}

/**
 * Short names and categories are not in the OpenAPI description: these are kube-apiserver 1.33's
 * (pkg/registry/<group>/<resource>/storage ShortNames() and Categories()), keyed by "plural.group".
 */
const SHORT_NAMES: Record<string, string[]> = {
  componentstatuses: ['cs'],
  configmaps: ['cm'],
  endpoints: ['ep'],
  events: ['ev'],
  limitranges: ['limits'],
  namespaces: ['ns'],
  nodes: ['no'],
  persistentvolumeclaims: ['pvc'],
  persistentvolumes: ['pv'],
  pods: ['po'],
  replicationcontrollers: ['rc'],
  resourcequotas: ['quota'],
  serviceaccounts: ['sa'],
  services: ['svc'],
  'daemonsets.apps': ['ds'],
  'deployments.apps': ['deploy'],
  'replicasets.apps': ['rs'],
  'statefulsets.apps': ['sts'],
  'events.events.k8s.io': ['ev'],
  'horizontalpodautoscalers.autoscaling': ['hpa'],
  'cronjobs.batch': ['cj'],
  'certificatesigningrequests.certificates.k8s.io': ['csr'],
  'ingresses.networking.k8s.io': ['ing'],
  'networkpolicies.networking.k8s.io': ['netpol'],
  'poddisruptionbudgets.policy': ['pdb'],
  'storageclasses.storage.k8s.io': ['sc'],
  'customresourcedefinitions.apiextensions.k8s.io': ['crd', 'crds'],
  'priorityclasses.scheduling.k8s.io': ['pc'],
};

const ALL = ['all'];
const API_EXTENSIONS = ['api-extensions'];
const CATEGORIES: Record<string, string[]> = {
  pods: ALL,
  replicationcontrollers: ALL,
  services: ALL,
  'daemonsets.apps': ALL,
  'deployments.apps': ALL,
  'replicasets.apps': ALL,
  'statefulsets.apps': ALL,
  'horizontalpodautoscalers.autoscaling': ALL,
  'cronjobs.batch': ALL,
  'jobs.batch': ALL,
  'mutatingwebhookconfigurations.admissionregistration.k8s.io': API_EXTENSIONS,
  'validatingwebhookconfigurations.admissionregistration.k8s.io': API_EXTENSIONS,
  'validatingadmissionpolicies.admissionregistration.k8s.io': API_EXTENSIONS,
  'validatingadmissionpolicybindings.admissionregistration.k8s.io': API_EXTENSIONS,
  'customresourcedefinitions.apiextensions.k8s.io': API_EXTENSIONS,
};

/** Per-kind rules (defaults, validation); kinds without an entry need none beyond the generic ones. */
const STRATEGIES: Record<string, Strategy> = {
  namespaces: namespaceStrategy,
  pods: podStrategy,
  replicationcontrollers: replicationControllerStrategy,
  secrets: secretStrategy,
  services: serviceStrategy,
  'deployments.apps': deploymentStrategy,
  'replicasets.apps': replicaSetStrategy,
  'statefulsets.apps': statefulSetStrategy,
  'daemonsets.apps': daemonSetStrategy,
  'jobs.batch': jobStrategy,
  'cronjobs.batch': cronJobStrategy,
};

/** Code answering kinds that are not stored objects, by "plural.group". */
const HANDLERS: Record<string, SpecialHandler> = {
  bindings: bindingHandler,
  componentstatuses: componentStatusHandler,
  'selfsubjectreviews.authentication.k8s.io': selfSubjectReviewHandler,
  'selfsubjectaccessreviews.authorization.k8s.io': selfSubjectAccessReviewHandler,
  'selfsubjectrulesreviews.authorization.k8s.io': selfSubjectRulesReviewHandler,
  'subjectaccessreviews.authorization.k8s.io': subjectAccessReviewHandler,
  'localsubjectaccessreviews.authorization.k8s.io': localSubjectAccessReviewHandler,
};

/** Code answering subresources other than status, by "plural.group" and subresource. */
const SUBRESOURCE_HANDLERS: Record<string, Record<string, SpecialHandler>> = {
  namespaces: { finalize: namespaceFinalizeHandler },
  pods: { binding: bindingHandler, eviction: evictionHandler },
  replicationcontrollers: { scale: scaleHandler },
  'deployments.apps': { scale: scaleHandler },
  'replicasets.apps': { scale: scaleHandler },
  'statefulsets.apps': { scale: scaleHandler },
};

/**
 * Resources listed and routed, but answered with a 405 Status until they are implemented, by
 * "group/version/plural" (core: "/v1/<plural>").
 */
const UNSUPPORTED: Record<string, string> = {
  'autoscaling/v1/horizontalpodautoscalers':
    'autoscaling/v1 horizontalpodautoscalers are not served yet (conversion from autoscaling/v2 is not implemented); use autoscaling/v2',
};

/** Kinds with verbs to read but not to create are not stored (component statuses); nor are create-only kinds (reviews, bindings). */
function isStored(r: GeneratedResource): boolean {
  return r.verbs.includes('create') && r.verbs.includes('get');
}

function define(r: GeneratedResource): ResourceDefinition {
  const key = r.group ? `${r.plural}.${r.group}` : r.plural;
  const stored = isStored(r);
  return {
    group: r.group,
    version: r.version,
    kind: r.kind,
    listKind: r.listKind ?? `${r.kind}List`,
    plural: r.plural,
    singular: r.singular,
    namespaced: r.namespaced,
    shortNames: SHORT_NAMES[key] ?? [],
    categories: CATEGORIES[key] ?? [],
    verbs: r.verbs,
    subresources: r.subresources.map((s) => s.name),
    subresourceDefinitions: r.subresources,
    strategy: STRATEGIES[key] ?? {},
    stored,
    handler: stored ? undefined : HANDLERS[key],
    subresourceHandlers: SUBRESOURCE_HANDLERS[key] ?? {},
    unsupported: UNSUPPORTED[`${r.group}/${r.version}/${r.plural}`],
  };
}

/** The group-versions served, in kube-apiserver's discovery order (core first, then group priority). */
export const GROUP_VERSIONS: string[] = generated.groupVersions;

/** Every built-in resource of the group-versions above, as kube-apiserver 1.33 serves them. */
export const BUILTIN_RESOURCES: ResourceDefinition[] = (generated.resources as GeneratedResource[]).map(define);

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
