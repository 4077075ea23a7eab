/**
 * Field selectors per kind, as kube-apiserver 1.33 serves them. Two upstream pieces decide:
 *
 * - the field label conversion of the kind's group-version (kubernetes `pkg/apis/<group>/<version>/
 *   conversion.go`, registered with `AddFieldLabelConversionFunc`): which labels a selector may name,
 *   what they are renamed to (Pod `spec.host` is `spec.nodeName`), and the error for any other label.
 *   Kinds without one get apimachinery's DefaultMetaV1FieldSelectorConversion (metadata.name and
 *   metadata.namespace only);
 * - the kind's GetAttrs/ToSelectableFields (`pkg/registry/<group>/<resource>/strategy.go`): the values
 *   the labels are matched against, rendered as strings (booleans "true"/"false", integers in decimal,
 *   a missing value ""). A label accepted by the conversion but absent from the set (Pod
 *   `status.podIPs`) matches as "".
 *
 * The values other than metadata.name/metadata.namespace are computed on every write and stored with
 * the object (the `fields` jsonb column), so lists filter in PostgreSQL; watches match in memory with
 * the same function.
 */
import { goQuote } from '../machinery/go-format.js';
import type { KubeObject } from '../machinery/object.js';

export type FieldSet = Record<string, string>;

export interface KindFieldSelectors {
  /** Accepted selector labels → the label they are matched as. */
  labels: Record<string, string>;
  /** The message of the 400 for a label the kind does not accept. */
  unsupported(label: string): string;
  /** The kind's own selectable fields (metadata.name/namespace are the store's columns), or undefined. */
  compute?(obj: KubeObject): FieldSet;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** A string-typed field as Go holds it: "" when missing (or not a string). */
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** fmt.Sprint / strconv.FormatBool of a bool field, false when missing. */
function bool(v: unknown): string {
  return v === true ? 'true' : 'false';
}

/** strconv.Itoa of an int32 field, 0 when missing. */
function int(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.trunc(v)) : '0';
}

const META = ['metadata.name', 'metadata.namespace'];

function identity(labels: string[], aliases: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l] = l;
  return { ...out, ...aliases };
}

const notSupported = (label: string) => `field label not supported: ${label}`;

/** apimachinery runtime.DefaultMetaV1FieldSelectorConversion. */
export const DEFAULT_FIELD_SELECTORS: KindFieldSelectors = {
  labels: identity(META),
  unsupported: (label) => `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

/** pkg/registry/core/pod/strategy.go ToSelectableFields (v1 spec.hostNetwork is the internal securityContext's). */
function podFields(pod: KubeObject): FieldSet {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  // The internal pod keeps only podIPs; converting v1 fills it from podIP when podIPs is empty.
  const podIPs = Array.isArray(status.podIPs) ? status.podIPs : [];
  const podIP = podIPs.length > 0 ? str(obj(podIPs[0]).ip) : str(status.podIP);
  return {
    'spec.nodeName': str(spec.nodeName),
    'spec.restartPolicy': str(spec.restartPolicy),
    'spec.schedulerName': str(spec.schedulerName),
    'spec.serviceAccountName': str(spec.serviceAccountName),
    'spec.hostNetwork': bool(spec.hostNetwork),
    'status.phase': str(status.phase),
    'status.podIP': podIP,
    'status.nominatedNodeName': str(status.nominatedNodeName),
  };
}

/** pkg/registry/core/event/strategy.go ToSelectableFields, on the core/v1 shape. */
function coreEventFields(ev: KubeObject): FieldSet {
  const io = obj(ev.involvedObject);
  const source = str(obj(ev.source).component) || str(ev.reportingComponent);
  return eventFieldSet(io, str(ev.reason), str(ev.reportingComponent), source, str(ev.type));
}

/**
 * events.k8s.io/v1 Events are converted to the core Event before upstream selects on them: regarding is
 * involvedObject, deprecatedSource is source, reportingController is reportingComponent.
 */
function eventsV1Fields(ev: KubeObject): FieldSet {
  const io = obj(ev.regarding);
  const source = str(obj(ev.deprecatedSource).component) || str(ev.reportingController);
  return eventFieldSet(io, str(ev.reason), str(ev.reportingController), source, str(ev.type));
}

function eventFieldSet(io: Json, reason: string, reportingComponent: string, source: string, type: string): FieldSet {
  return {
    'involvedObject.kind': str(io.kind),
    'involvedObject.namespace': str(io.namespace),
    'involvedObject.name': str(io.name),
    'involvedObject.uid': str(io.uid),
    'involvedObject.apiVersion': str(io.apiVersion),
    'involvedObject.resourceVersion': str(io.resourceVersion),
    'involvedObject.fieldPath': str(io.fieldPath),
    reason,
    reportingComponent,
    source,
    type,
  };
}

const EVENT_LABELS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

/** Keyed by "group/version/Kind" (core: "/v1/Pod"). */
const TABLE: Record<string, KindFieldSelectors> = {
  '/v1/Pod': {
    labels: identity(
      [
        ...META,
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.podIPs',
        'status.nominatedNodeName',
      ],
      { 'spec.host': 'spec.nodeName' },
    ),
    unsupported: notSupported,
    compute: podFields,
  },
  '/v1/Node': {
    labels: identity(['metadata.name', 'spec.unschedulable']),
    unsupported: notSupported,
    compute: (node) => ({ 'spec.unschedulable': bool(obj(node.spec).unschedulable) }),
  },
  '/v1/ReplicationController': {
    labels: identity([...META, 'status.replicas']),
    unsupported: notSupported,
    compute: (rc) => ({ 'status.replicas': int(obj(rc.status).replicas) }),
  },
  '/v1/Event': {
    labels: identity([...EVENT_LABELS, ...META]),
    unsupported: notSupported,
    compute: coreEventFields,
  },
  '/v1/Namespace': {
    labels: identity(['status.phase', 'metadata.name']),
    unsupported: notSupported,
    compute: (ns) => ({ 'status.phase': str(obj(ns.status).phase) }),
  },
  '/v1/Secret': {
    labels: identity(['type', ...META]),
    unsupported: notSupported,
    compute: (secret) => ({ type: str(secret.type) }),
  },
  '/v1/Service': {
    labels: identity([...META, 'spec.clusterIP', 'spec.type']),
    unsupported: notSupported,
    compute: (svc) => ({ 'spec.clusterIP': str(obj(svc.spec).clusterIP), 'spec.type': str(obj(svc.spec).type) }),
  },
  'events.k8s.io/v1/Event': {
    labels: {
      reason: 'reason',
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
      source: 'source',
      type: 'type',
      'metadata.namespace': 'metadata.namespace',
      'metadata.name': 'metadata.name',
    },
    unsupported: notSupported,
    compute: eventsV1Fields,
  },
  'batch/v1/Job': {
    labels: identity([...META, 'status.successful']),
    unsupported: (label) => `field label ${goQuote(label)} not supported for batchv1.Job`,
    // pkg/registry/batch/job/strategy.go: strconv.Itoa(int(job.Status.Succeeded)).
    compute: (job) => ({ 'status.successful': int(obj(job.status).succeeded) }),
  },
  'certificates.k8s.io/v1/CertificateSigningRequest': {
    labels: identity(['metadata.name', 'spec.signerName']),
    unsupported: notSupported,
    compute: (csr) => ({ 'spec.signerName': str(obj(csr.spec).signerName) }),
  },
};

export function fieldSelectorsFor(kind: { group: string; version: string; kind: string }): KindFieldSelectors {
  return TABLE[`${kind.group}/${kind.version}/${kind.kind}`] ?? DEFAULT_FIELD_SELECTORS;
}

/** Every selectable field of an object, metadata.name/namespace included (for matching in memory). */
export function selectableFields(sel: KindFieldSelectors, o: KubeObject): FieldSet {
  const own = sel.compute ? sel.compute(o) : {};
  return { ...own, 'metadata.name': o.metadata?.name ?? '', 'metadata.namespace': o.metadata?.namespace ?? '' };
}
